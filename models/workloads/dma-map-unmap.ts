/**
 * workloads.dma-map-unmap: a driver that maps each buffer for DMA, lets its
 * device read or write it, and unmaps it (dma_map_single / dma_unmap_single
 * per buffer, as a NIC or storage driver does), through the IOMMU that
 * translates the device's requests (in strict mode every unmap invalidates
 * the IOTLB and waits for it; in deferred mode unmaps queue and a full queue
 * or the timer flushes). The driver's CPU work (map and unmap calls) runs on
 * `cpus` CPUs; the device works on `inFlight` buffers at once. Deferred mode
 * buys throughput with a window in which an unmapped buffer is still
 * reachable by the device: the IOMMU's statistics report both.
 *
 * The device is put in a DMA domain of its own at the start (as Linux gives
 * each device behind an IOMMU a DMA-API domain); the IOMMU should map nothing
 * else for it (identityMap off).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { pageAlignedAddress, positiveByteSize } from '../../src/scenario/units.js';
import { Resource, SimEvent, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_NS, PS_PER_S } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import { IOMMU, type IommuUnit } from '../iommu/generic.js';
import type { DescriptorListener } from '../pcie/dma-engine.js';
import { ENDPOINT } from '../pcie/topology/node.js';
import type { EndpointDevice } from '../pcie/topology/endpoint.js';

/** dma_map_single maps whole 4 KiB pages. */
const PAGE_BYTES = 4096;
const BYTES_PER_GB = 1e9;

const params = z.strictObject({
  device: ref(ENDPOINT).describe('The endpoint whose DMA engine reads or writes each buffer'),
  iommu: ref(IOMMU).describe('The IOMMU translating its requests (e.g. "rc.iommu")'),
  op: z.enum(['read', 'write']).describe('What the device does with each buffer'),
  bufferSize: positiveByteSize().describe('Bytes per buffer (mapped in 4 KiB pages)'),
  buffersBase: pageAlignedAddress().describe('Physical address of the first buffer (in host memory); each in-flight slot has its own buffer after it'),
  buffers: z.number().int().min(1).describe('Buffers in all'),
  inFlight: z.number().int().min(1).describe('Buffers the device works on at once'),
  cpus: z.number().int().min(1).describe("CPUs running the driver's map and unmap calls"),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbytes_per_s', unit: 'GB/s', description: 'Buffer bytes moved / (first map to last unmap)' },
  { name: 'buffer_latency_ns', unit: 'ns', description: 'One buffer: map, DMA, unmap, CPU queueing included', kind: 'distribution' },
  { name: 'cpu_utilization', unit: 'fraction', description: "Busy fraction of the driver's CPUs" },
];

class MapDmaUnmap implements Component, DescriptorListener {
  private device!: EndpointDevice;
  private iommu!: IommuUnit;
  private domain = -1;
  private readonly cpu: Resource;
  private readonly waiting = new Map<number, SimEvent<boolean>>();
  private readonly latency = new Histogram();
  private next = 0;
  private done = 0;
  private lastDone = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.cpu = new Resource(ctx.sim, p.cpus, `${ctx.name}/cpus`);
  }

  connect(): void {
    this.device = this.ctx.peer<EndpointDevice>(this.p.device);
    this.iommu = this.ctx.peer<IommuUnit>(this.p.iommu);
    this.device.endpointModel.dma.listener = this;
  }

  start(): void {
    const mmu = this.iommu.model, requester = this.device.endpointModel.requesterId;
    this.domain = mmu.createDomain();
    mmu.detach(requester);
    mmu.attach(requester, this.domain);
    for (let i = 0; i < Math.min(this.p.inFlight, this.p.buffers); i++) this.ctx.sim.process(this.slot(i), `${this.ctx.name}/slot`);
  }

  descriptorDone(id: number, ok: boolean): void {
    const ev = this.waiting.get(id)!;
    this.waiting.delete(id);
    ev.succeed(ok);
  }

  /** One of the inFlight buffer slots: map, DMA, unmap, again, until every buffer is done. */
  private *slot(i: number): ProcessBody<void> {
    const p = this.p, mmu = this.iommu.model;
    const bytes = Math.ceil(p.bufferSize / PAGE_BYTES) * PAGE_BYTES;
    // Each slot maps its buffer at its own IOVA (identity: the buffer's physical address), reused buffer after buffer.
    const addr = p.buffersBase + i * bytes;
    while (this.next < p.buffers) {
      this.next++;
      const t0 = this.ctx.sim.now;
      yield* this.cpu.use(mmu.map(this.domain, addr, addr, bytes));
      const ev = new SimEvent<boolean>(this.ctx.sim);
      this.waiting.set(this.device.endpointModel.dma.submit(p.op, addr, p.bufferSize), ev);
      yield ev;
      yield* this.cpu.use(mmu.unmap(this.domain, addr, bytes, 0));
      this.done++;
      this.lastDone = this.ctx.sim.now;
      this.latency.add((this.ctx.sim.now - t0) / PS_PER_NS);
    }
  }

  metrics(): Record<string, MetricValue> {
    return {
      throughput_gbytes_per_s: this.lastDone > 0 ? (this.done * this.p.bufferSize * PS_PER_S) / this.lastDone / BYTES_PER_GB : 0,
      buffer_latency_ns: distribution(this.latency),
      cpu_utilization: this.cpu.utilization(),
    };
  }

  invariants(): string[] {
    return this.waiting.size === 0 ? [] : [`${this.waiting.size} buffers submitted to the device and never done`];
  }
}

export const mapDmaUnmap = defineComponent({
  type: 'workloads.dma-map-unmap',
  description: 'A driver mapping, DMA-ing and unmapping each buffer through an IOMMU (strict or deferred invalidation): throughput against the stale-mapping window',
  params,
  stats,
  create: (ctx, p) => new MapDmaUnmap(ctx, p),
});

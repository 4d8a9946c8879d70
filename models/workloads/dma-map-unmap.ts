/**
 * iommu.map-dma-unmap: a driver that maps each buffer for DMA, lets the
 * device read or write it, and unmaps it (dma_map_single / dma_unmap_single
 * per buffer, as a NIC or storage driver does), with the IOMMU in strict
 * mode (every unmap invalidates the IOTLB and waits for it) or deferred mode
 * (unmaps queue; a full queue or a 10 ms timer flushes). The driver's CPU
 * work (map and unmap calls) runs on `cpus` CPUs; the device runs `inFlight`
 * buffers at once. Deferred mode buys throughput with a window in which an
 * unmapped buffer is still reachable by the device: both are reported.
 *
 * The DMA path is the pcie.dma-path's (root-complex.ts buildDmaPath), its
 * sections set by a pcie.dma-path preset under the same flat keys.
 */
import { z } from 'zod';
import type { Component, ComponentContext, ComponentType, MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize } from '../../src/scenario/units.js';
import { Resource, SimEvent, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_S } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/run/metrics.js';
import { Iommu, iommuColumnDecls, iommuColumns } from '../iommu/iommu.js';
import { iommuParams, type IommuParams } from '../iommu/params.js';
import type { DescriptorListener } from '../pcie/dma-engine.js';
import { buildDmaPath, dmaPathParams, type DmaPath } from '../pcie/root-complex.js';
import { prefixedShape, takePrefixed } from '../pcie/sections.js';
import { dmaPathFlatShape } from './dma-stream.js';

const IOMMU = 'iommu';
const PAGE = 4096;
const BYTES_PER_GB = 1e9;
const NS = 1000;

const params = z.strictObject({
  op: z.enum(['read', 'write']).describe('What the device does with each buffer'),
  bufferSize: byteSize().refine((b) => b > 0, 'expected a positive size').describe('Bytes per buffer (mapped in 4 KiB pages)'),
  buffers: z.number().int().min(1).default(2000).describe('Buffers in all'),
  inFlight: z.number().int().min(1).default(16).describe('Buffers the device works on at once'),
  cpus: z.number().int().min(1).default(1).describe('CPUs running the driver\'s map and unmap calls'),
  ...dmaPathFlatShape(),
  ...prefixedShape(IOMMU, iommuParams),
});
type Params = z.output<typeof params> & Record<string, unknown>;

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbps', unit: 'GB/s', description: 'Buffer bytes moved / (first map to last unmap)' },
  { name: 'buffer_latency_ns', unit: 'ns', description: 'One buffer: map, DMA, unmap, CPU queueing included', kind: 'distribution' },
  { name: 'cpu_utilization', unit: 'fraction', description: 'Busy fraction of the driver\'s CPUs' },
  ...iommuColumnDecls('IOMMU: '),
];

class MapDmaUnmap implements Component, DescriptorListener {
  private readonly path: DmaPath;
  private readonly mmu: Iommu;
  private readonly domain: number;
  private readonly cpu: Resource;
  private readonly waiting = new Map<number, SimEvent<boolean>>();
  private readonly latency = new Histogram();
  private next = 0;
  private done = 0;
  private lastDone = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    const sections = dmaPathParams(Object.fromEntries(Object.entries(p).filter(([k]) => /^(endpoint|link|rootComplex|memory)\./.test(k))));
    this.path = buildDmaPath(ctx.sim, sections, { tracer: ctx.tracer });
    this.mmu = new Iommu(ctx.sim, takePrefixed(p, IOMMU) as IommuParams, `${ctx.name}/iommu`);
    this.domain = this.mmu.createDomain();
    this.mmu.attach(sections.endpoint.requesterId, this.domain);
    this.path.rootComplex.translate = this.mmu.translate;
    this.path.endpoint.dma.listener = this;
    this.cpu = new Resource(ctx.sim, p.cpus, `${ctx.name}/cpus`);
  }

  start(): void {
    for (let i = 0; i < Math.min(this.p.inFlight, this.p.buffers); i++) this.ctx.sim.process(this.slot(i), `${this.ctx.name}/slot`);
  }

  descriptorDone(id: number, ok: boolean): void {
    const ev = this.waiting.get(id)!;
    this.waiting.delete(id);
    ev.succeed(ok);
  }

  /** One of the inFlight buffer slots: map, DMA, unmap, again, until every buffer is done. */
  private *slot(i: number): ProcessBody<void> {
    const p = this.p;
    const bytes = Math.ceil(p.bufferSize / PAGE) * PAGE;
    // Each slot maps its buffer at its own IOVA (identity: the buffer's physical address), reused buffer after buffer.
    const addr = Number(p['memory.base']) + i * bytes;
    while (this.next < p.buffers) {
      this.next++;
      const t0 = this.ctx.sim.now;
      yield* this.cpu.use(this.mmu.map(this.domain, addr, addr, bytes));
      const ev = new SimEvent<boolean>(this.ctx.sim);
      this.waiting.set(this.path.endpoint.dma.submit(p.op, addr, p.bufferSize), ev);
      yield ev;
      yield* this.cpu.use(this.mmu.unmap(this.domain, addr, bytes, 0));
      this.done++;
      this.lastDone = this.ctx.sim.now;
      this.latency.add((this.ctx.sim.now - t0) / NS);
    }
  }

  metrics(): Record<string, MetricValue> {
    const out: Record<string, MetricValue> = {
      throughput_gbps: this.lastDone > 0 ? (this.done * this.p.bufferSize * PS_PER_S) / this.lastDone / BYTES_PER_GB : 0,
      buffer_latency_ns: distribution(this.latency),
      cpu_utilization: this.cpu.utilization(),
      ...iommuColumns(this.mmu),
    };
    return out;
  }
}

export const mapDmaUnmap: ComponentType<Params> = {
  type: 'iommu.map-dma-unmap',
  description: 'A driver mapping, DMA-ing and unmapping each buffer through an IOMMU in strict or deferred invalidation mode: throughput against the stale-mapping window',
  params: params as unknown as z.ZodType<Params>,
  presetTypes: ['pcie.dma-path'],
  stats,
  create: (ctx, p) => new MapDmaUnmap(ctx, p),
};

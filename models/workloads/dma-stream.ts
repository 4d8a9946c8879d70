/**
 * workloads.dma-stream: a closed-loop stream of equal DMA transfers from one
 * endpoint's engine into host memory: `inFlight` descriptors kept submitted,
 * `transfers` in all, all reads, all writes or a mix (random or alternating), walking a window of
 * memory sequentially or at random aligned addresses.
 *
 * It counts its transfers as the run's transactions, so the fabric's
 * attribution (pcie/attribution.ts) reads per transfer. It reports the
 * simulated throughput and, when the device hangs straight
 * off a root port, the closed-form link-bound throughput of
 * dma-throughput.ts for the same configuration, so a report shows where the
 * model departs from the formula: small reads, bound by the transfers in
 * flight over the issue latency plus the round trip (Little's law); any
 * size, when the engine's descriptor rate (issueInterval) is slower than a
 * transfer's link time; short runs, by the first transfer's latency.
 *
 * `warmup` transfers finished before the throughput is counted: a closed
 * loop of equal transfers has no transient beyond the first round trip,
 * which `transfers` amortises, unless a cache fills first (the IOMMU's
 * IOTLB, whose compulsory misses a measurement millions of transfers long
 * never sees); then the throughput is the transfers after the warm-up over
 * the time from its last completion to the last one.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { byteSize, positiveByteSize } from '../../src/scenario/units.js';
import { distribution } from '../../src/stats/distribution.js';
import { PS_PER_S } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { PAGE_BYTES, SPEC_DEFAULT_TAGS, type DescriptorListener } from '../pcie/dma-engine.js';
import { DescriptorStream, dmaWorkloadShape, type DmaWorkloadParams } from '../pcie/descriptor-stream.js';
import { dmaReadThroughput, dmaWriteThroughput } from '../pcie/dma-throughput.js';
import { ADDRESS_32BIT_LIMIT, type ReadCompletionBoundary, type TransferSize } from '../pcie/tlp.js';
import { completionModeFor } from '../pcie/completer.js';
import { ENDPOINT, ROOT_COMPLEX } from '../pcie/topology/node.js';
import { transactions } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';
import type { EndpointDevice } from '../pcie/topology/endpoint.js';
import type { RootComplexDevice } from '../pcie/topology/root-complex.js';

/** Descriptors that are reads, by op. */
const READ_FRACTION = { read: 1, write: 0, readwrite: 0.5, alternating: 0.5, 'write-read': 0 } as const;

/** Decimal GB/s, as dma-throughput.ts and the memory model use: 1 GB/s = 10^9 bytes/s. */
const BYTES_PER_GB = 1e9;

/**
 * Descriptors kept in flight by default: one per read tag of an engine
 * without Extended Tags (SPEC_DEFAULT_TAGS), so small reads can use every tag.
 */
export const DEFAULT_IN_FLIGHT = SPEC_DEFAULT_TAGS;

const params = z.strictObject({
  device: ref(ENDPOINT).describe('The endpoint whose DMA engine moves the data'),
  op: z.enum(['read', 'write', 'readwrite', 'alternating', 'write-read']).describe("'read' (MRd out, CplD back), 'write' (posted MWr), 'readwrite' (each transfer a read or a write, even odds), 'alternating' (write, read, write, ...: pcie-bench's BW_DMA_RW) or 'write-read' (each transfer a write and, once it is done, a read of the same bytes: pcie-bench's LAT_DMA_WRRD)"),
  transferSize: positiveByteSize().describe('Bytes per transfer (one DMA descriptor), e.g. "4 KiB"'),
  transfers: z.number().int().positive().describe('Transfers in all'),
  inFlight: z.number().int().min(1).default(DEFAULT_IN_FLIGHT).describe('Descriptors kept submitted and not done (closed loop)'),
  pattern: dmaWorkloadShape.addressPattern,
  windowBase: byteSize().describe('First address of the memory the transfers address (e.g. the root complex\'s memoryBase)'),
  window: positiveByteSize().describe('Bytes of memory, from windowBase, the transfers address'),
  warmup: z.number().int().min(0).default(0).describe('Transfers finished before the throughput is counted (part of `transfers`): the time to fill caches such as the IOTLB left out'),
  alignment: positiveByteSize('alignment').default(PAGE_BYTES).describe(dmaWorkloadShape.alignment.description!),
  pageCrossing: dmaWorkloadShape.pageCrossing,
  hostOffset: dmaWorkloadShape.hostOffset,
  deviceOffset: dmaWorkloadShape.deviceOffset,
}).superRefine((p, ctx) => {
  if (p.warmup >= p.transfers) ctx.addIssue({ code: 'custom', path: ['warmup'], message: `the warm-up (${p.warmup} transfers) must leave some of the ${p.transfers} to measure` });
  if (p.transferSize > p.window) ctx.addIssue({ code: 'custom', path: ['transferSize'], message: `a transfer (${p.transferSize} B) must fit in the window (${p.window} B)` });
  else if (p.hostOffset + p.transferSize > p.window) ctx.addIssue({ code: 'custom', path: ['hostOffset'], message: `a transfer (${p.transferSize} B) at the host offset (${p.hostOffset} B) must fit in the window (${p.window} B)` });
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbytes_per_s', unit: 'GB/s', description: 'Payload bytes moved / (first submission to last transfer done); with a warm-up, the bytes of the transfers after it / (its last completion to the last one)' },
  { name: 'expected_gbytes_per_s', unit: 'GB/s', description: "Closed-form link-bound throughput for the same transfer and link (dma-throughput.ts, pcie-bench's model); null for a mix of reads and writes, or a device not directly below a root port" },
  { name: 'latency_ns', unit: 'ns', description: "Transfer latency: submission to done (write: last TLP on the wire; read: last completion; 'write-read': the write's submission to the read's last completion), queueing behind the other transfers in flight included", kind: 'distribution' },
  { name: 'transfers_done', unit: 'transfers', description: 'Transfers finished, failed ones included' },
  { name: 'transfers_failed', unit: 'transfers', description: 'Transfers with a read request that timed out' },
];

class DmaStreamWorkload implements Component, DescriptorListener {
  private device!: EndpointDevice;
  private stream!: DescriptorStream;
  private doneCount = 0;
  private failed = 0;
  /** When the warm-up's last transfer finished, and the last transfer since. */
  private warmedAt = 0;
  private lastDoneAt = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  connect(): void {
    const p = this.p;
    this.device = this.ctx.peer<EndpointDevice>(p.device);
    const workload: DmaWorkloadParams = {
      descriptors: p.transfers, descriptorSize: p.transferSize, readFraction: READ_FRACTION[p.op], readMix: p.op === 'alternating' ? 'interleaved' : p.op === 'write-read' ? 'after-write' : 'random', addressPattern: p.pattern,
      windowBase: p.windowBase, windowSize: p.window, alignment: p.alignment, pageCrossing: p.pageCrossing, hostOffset: p.hostOffset, deviceOffset: p.deviceOffset, outstandingDescriptors: p.inFlight,
    };
    const engine = this.device.endpointModel.dma;
    this.stream = new DescriptorStream(engine, workload, this.ctx.rng('addresses'), this.ctx.rng('ops'));
    // The stream made itself the engine's listener; stand in front of it to time each transfer.
    engine.listener = this;
  }

  start(): void {
    this.stream.start();
  }

  descriptorDone(id: number, ok: boolean): void {
    if (!ok) this.failed++;
    // Counted once the stream says the transfer is done (a write-read pair: at its read), as it then submits the next.
    const now = this.ctx.sim.now;
    if (this.stream.descriptorDone(id)) {
      this.doneCount++;
      if (this.doneCount === this.p.warmup) this.warmedAt = now;
      this.lastDoneAt = now;
    }
  }

  /** The closed-form link-bound throughput, bytes/s, for this transfer size and the device's link, if it hangs off a root port. */
  private expected(): number | null {
    const link = this.device.upLink, rc = this.device.parent;
    if (this.p.op === 'readwrite' || this.p.op === 'alternating' || this.p.op === 'write-read' || link === null || rc === null || rc.role !== ROOT_COMPLEX) return null;
    const engine = this.device.endpointModel.dma;
    const base = {
      gen: link.gen, width: link.width, mps: link.mps as TransferSize, addr64: this.p.windowBase >= ADDRESS_32BIT_LIMIT,
      ecrc: link.ecrc, offset: this.p.windowBase % PAGE_BYTES, dllp: link.dllp,
    };
    const size = this.p.transferSize;
    if (this.p.op === 'write') return dmaWriteThroughput(size, base);
    const completer = (rc as RootComplexDevice).completionConfig;
    // The completion mode of a whole request at the window's start (a host that coalesces large reads may cut the last, shorter one otherwise).
    const rcbMode = completionModeFor(completer, Math.min(size, engine.mrrs), this.p.windowBase);
    return dmaReadThroughput(size, { ...base, mrrs: engine.mrrs as TransferSize, rcb: completer.rcb as ReadCompletionBoundary, rcbMode });
  }

  metrics(): Record<string, MetricValue> {
    const engine = this.device.endpointModel.dma;
    const s = engine.stats();
    const expected = this.expected();
    const p = this.p;
    const measured = this.doneCount - p.warmup;
    const throughput = p.warmup === 0 ? s.throughput
      : measured > 0 && this.lastDoneAt > this.warmedAt ? (measured * p.transferSize) / ((this.lastDoneAt - this.warmedAt) / PS_PER_S) : 0;
    return {
      throughput_gbytes_per_s: throughput / BYTES_PER_GB,
      expected_gbytes_per_s: expected === null ? null : expected / BYTES_PER_GB,
      // The engine's histograms are in ns already.
      latency_ns: distribution(this.p.op === 'read' ? engine.readLatency : this.p.op === 'write' ? engine.writeLatency
        : this.p.op === 'write-read' ? this.stream.pairLatency : new Histogram().merge(engine.readLatency).merge(engine.writeLatency)),
      transfers_done: this.doneCount,
      transfers_failed: this.failed,
    };
  }

  attribution(): Attribution {
    return transactions(this.doneCount);
  }

  invariants(): string[] {
    return this.doneCount <= this.p.transfers ? [] : [`${this.doneCount} transfers done of ${this.p.transfers} submitted`];
  }

  unfinished(): string[] {
    const left = this.p.transfers - this.doneCount;
    return left > 0 ? [`${left} of ${this.p.transfers} transfers`] : [];
  }

}

export const dmaStream = defineComponent({
  type: 'workloads.dma-stream',
  description: "A closed loop of equal DMA reads, writes or a mix from one endpoint's engine over a window of memory; simulated vs closed-form throughput",
  params,
  stats,
  create: (ctx, p) => new DmaStreamWorkload(ctx, p),
});

/**
 * A PCIe endpoint: one function with a requester ID, a DMA engine
 * (dma-engine.ts) that issues reads and writes upstream, an optional
 * descriptor generator driving it, and an optional BAR backed by device
 * memory that serves reads and writes from peers (P2P).
 *
 * The endpoint is the TlpReceiver at the downstream end of its link:
 *  - completions go to the DMA engine and their link buffer is freed at once
 *    (an endpoint must advertise infinite completion credits, §2.6.1; the
 *    engine's completion buffer is what limits reads);
 *  - MRd/MWr to its BAR go to a MemoryCompleter over the BAR's memory
 *    (latency, bandwidth), which answers reads with CplDs split at MPS and an
 *    RCB of 128 bytes (the RCB of anything but a root port, §2.3.1.1) and
 *    sends them up the same link; the request holds its credits until the
 *    BAR memory starts on it;
 *  - a request to no BAR of ours (or running past the BAR's end), or a
 *    message, is an Unsupported Request: counted and discarded (no UR
 *    completion is modelled; a read's requester times out).
 */
import { z } from 'zod';
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize, duration } from '../../src/scenario/units.js';
import type { Simulation } from '../../src/sim/simulation.js';
import { DEFAULT_CREDITS, type CreditAdvertisement } from './credits.js';
import { DmaEngine, DmaStream, dmaEngineShape, dmaEngineStats, dmaWorkloadShape } from './dma-engine.js';
import { inRange, type PortRoutes, type Tlp, type TlpReceiver, type TlpSender } from './fabric.js';
import { Memory, MemoryCompleter, memoryStats } from './memory.js';

/** Read Completion Boundary of every completer but a root port (PCIe Base Spec §2.3.1.1). */
export const ENDPOINT_RCB = 128;

export const endpointParams = z.strictObject({
  ...dmaEngineShape,
  barBase: byteSize().default(0).describe('First bus address of the BAR'),
  barSize: byteSize().default(0).describe('BAR size, bytes (0 = no BAR)'),
  barLatency: duration().default(0).describe('Read latency of the BAR\'s device memory after its transfer slot'),
  barBandwidth: z.number().positive().optional().describe('Bandwidth of the BAR\'s device memory, GB/s (required with a BAR)'),
  barCompletionMode: z.enum(['mps', 'rcb']).default('mps').describe('How the BAR splits read completions'),
  ...dmaWorkloadShape,
}).superRefine((p, ctx) => {
  if (p.barSize > 0 && p.barBandwidth === undefined) ctx.addIssue({ code: 'custom', path: ['barBandwidth'], message: 'required when barSize > 0' });
  if (p.descriptors > 0 && p.windowSize === undefined) ctx.addIssue({ code: 'custom', path: ['windowSize'], message: 'required when descriptors > 0' });
});
export type EndpointParams = z.output<typeof endpointParams>;

export const endpointStats: readonly StatDecl[] = [
  ...dmaEngineStats,
  { name: 'unsupported_requests', unit: 'requests', description: 'Requests to no BAR of this endpoint, discarded' },
  ...memoryStats.map((s) => ({ ...s, name: `bar_${s.name}`, description: `BAR: ${s.description}` })),
];

/**
 * What the endpoint advertises to its link: the default (unscaled maximum)
 * posted and non-posted credits for requests to its BAR, and infinite
 * completion credits, which the spec requires of endpoints (§2.6.1).
 */
export const ENDPOINT_CREDITS: CreditAdvertisement = Object.freeze({
  P: DEFAULT_CREDITS.P,
  NP: DEFAULT_CREDITS.NP,
  Cpl: { header: 'infinite', data: 'infinite' },
});

export class Endpoint implements TlpReceiver {
  readonly name: string;
  readonly requesterId: number;
  readonly credits: CreditAdvertisement = ENDPOINT_CREDITS;
  /** What a router above needs: the BAR (if any) and the requester ID. */
  readonly routes: PortRoutes;
  readonly dma: DmaEngine;
  readonly stream: DmaStream | null;
  readonly bar: Memory | null;
  private readonly barCompleter: MemoryCompleter | null;
  private unsupportedRequests = 0;

  constructor(sim: Simulation, params: EndpointParams, name = 'endpoint') {
    this.name = name;
    this.requesterId = params.requesterId;
    this.dma = new DmaEngine(sim, params, `${name}/dma`);
    this.stream = params.descriptors > 0
      ? new DmaStream(this.dma, params, sim.rng(`${name}/dma-addresses`), sim.rng(`${name}/dma-ops`))
      : null;
    if (params.barSize > 0) {
      this.bar = new Memory(sim, { base: params.barBase, size: params.barSize, latency: params.barLatency, bandwidth: params.barBandwidth!, cache: 'warm', coldPenalty: 0, socket: 'local', remotePenalty: 0 }, `${name}/bar`);
      this.barCompleter = new MemoryCompleter(sim, this.bar, { mps: params.mps, rcb: ENDPOINT_RCB, completionMode: params.barCompletionMode, ecrc: params.ecrc });
    } else {
      this.bar = null;
      this.barCompleter = null;
    }
    this.routes = Object.freeze({ ranges: this.bar === null ? [] : [this.bar.range], requesterIds: [params.requesterId] });
  }

  /** The TlpReceiver everything upstream goes through (the link's upstream direction). */
  connect(egress: TlpReceiver): this {
    this.dma.connect(egress);
    this.barCompleter?.connect(egress);
    return this;
  }

  /** Starts the descriptor generator, if there is one. */
  start(): void {
    this.stream?.start();
  }

  receive(tlp: Tlp, from: TlpSender): void {
    const type = tlp.type;
    if (type === 'CplD' || type === 'Cpl') {
      this.dma.onCompletion(tlp);
      from.release(tlp);
      return;
    }
    const bar = this.bar;
    if (bar !== null && (type === 'MRd' || type === 'MWr') && inRange(bar.range, tlp.addr) && tlp.addr + tlp.length <= bar.range.base + bar.range.size) {
      this.barCompleter!.receive(tlp, from);
      return;
    }
    this.unsupportedRequests++;
    from.release(tlp);
  }

  /** Requests to the BAR not yet started by its memory, or waiting for their read data. */
  get barPending(): number {
    return this.barCompleter?.pending ?? 0;
  }

  get unsupported(): number {
    return this.unsupportedRequests;
  }

  metrics(): Record<string, MetricValue> {
    const out: Record<string, MetricValue> = { ...this.dma.metrics(), unsupported_requests: this.unsupportedRequests };
    if (this.bar !== null) for (const [k, v] of Object.entries(this.bar.metrics())) out[`bar_${k}`] = v;
    return out;
  }
}

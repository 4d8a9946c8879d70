/**
 * A PCIe endpoint: one function with a requester ID, a DMA engine
 * (dma-engine.ts) that issues reads and writes upstream (workloads drive
 * it), and an optional BAR backed by device memory that serves reads and
 * writes from peers (P2P).
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
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import type { Simulation } from '../../src/sim/simulation.js';
import { DEFAULT_CREDITS, type CreditAdvertisement } from './credits.js';
import { DmaEngine, type DmaEngineSettings } from './dma-engine.js';
import { inRange, type PortRoutes, type Tlp, type TlpReceiver, type TlpSender } from './fabric.js';
import { MemoryCompleter } from './completer.js';
import type { Memory } from './memory.js';
import type { CompletionMode } from './tlp.js';

/** Read Completion Boundary of every completer but a root port (PCIe Base Spec §2.3.1.1). */
export const ENDPOINT_RCB = 128;

/** The function-level parameters the DMA engine takes from its endpoint. */
export interface FunctionConfig {
  readonly requesterId: number;
  readonly mps: number;
  readonly ecrc: boolean;
}

export const endpointStats: readonly StatDecl[] = [
  { name: 'unsupported_requests', unit: 'requests', description: 'Requests to no BAR of this endpoint, discarded' },
];

/** What an endpoint is built from: its function's config, its DMA engine, and the memory behind its BAR (if any). */
export interface EndpointConfig extends FunctionConfig {
  readonly engine: DmaEngineSettings;
  readonly bar: Memory | null;
  readonly barCompletionMode: CompletionMode;
}

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
  readonly bar: Memory | null;
  private readonly barCompleter: MemoryCompleter | null;
  private unsupportedRequests = 0;

  constructor(sim: Simulation, cfg: EndpointConfig, name = 'endpoint') {
    this.name = name;
    this.requesterId = cfg.requesterId;
    this.dma = new DmaEngine(sim, { ...cfg.engine, requesterId: cfg.requesterId, mps: cfg.mps, ecrc: cfg.ecrc }, `${name}.dma`);
    this.bar = cfg.bar;
    this.barCompleter = cfg.bar === null ? null
      : new MemoryCompleter(sim, cfg.bar, { mps: cfg.mps, rcb: ENDPOINT_RCB, completionMode: cfg.barCompletionMode, ecrc: cfg.ecrc });
    this.routes = Object.freeze({ ranges: this.bar === null ? [] : [this.bar.range], requesterIds: [cfg.requesterId] });
  }

  /** The TlpReceiver everything upstream goes through (the link's upstream direction). */
  connect(egress: TlpReceiver): this {
    this.dma.connect(egress, this.barCompleter !== null);
    this.barCompleter?.connect(egress);
    return this;
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
    return { unsupported_requests: this.unsupportedRequests };
  }
}

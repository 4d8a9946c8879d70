/**
 * pcie.dma-engine: an endpoint's DMA engine (dma-engine.ts: descriptors,
 * tags, completion buffer, issue latency and rate, completion timeout), in
 * the endpoint's `dma` slot. The endpoint gives it the function's requester
 * ID, MPS and ECRC; workloads (workloads.dma-stream, workloads.p2p-transfer)
 * submit descriptors to it.
 */
import { defineComponent, type ComponentContext, type MetricValue } from '../../../src/scenario/registry.js';
import { DmaEngine, dmaEngineParams, dmaEngineStats, type DmaEngineSettings } from '../dma-engine.js';
import { dmaEngineInvariants } from '../conservation.js';
import { DEVICE_ISSUE, ledger } from '../attribution.js';
import type { Attribution } from '../../../src/stats/attribution.js';

export const DMA_ENGINE = 'pcie.dma-engine';

export class DmaEngineSlot {
  private engine: DmaEngine | null = null;

  constructor(private readonly ctx: ComponentContext, readonly settings: DmaEngineSettings) {}

  /** Adopted by the endpoint that built the engine from these settings (one engine per slot). */
  adopt(engine: DmaEngine): void {
    if (this.engine !== null) throw new Error(`model bug: ${this.ctx.name} adopted two engines`);
    this.engine = engine;
    const tracer = this.ctx.tracer, descriptors = tracer.channel(this.ctx.name, 'descriptor');
    if (descriptors !== null) engine.traceDescriptors(descriptors, tracer.label('read'), tracer.label('write'));
  }

  get model(): DmaEngine {
    if (this.engine === null) throw new Error(`model bug: ${this.ctx.name} is asked for its engine before its endpoint built it`);
    return this.engine;
  }

  /** Each descriptor's issue latency: from taking it up to its first TLP being ready. */
  attribution(): Attribution {
    return ledger([[DEVICE_ISSUE, this.model.stats().descriptorsDone * this.settings.issueLatency]]);
  }

  metrics(): Record<string, MetricValue> {
    return this.model.metrics();
  }

  invariants(): string[] {
    return dmaEngineInvariants(this.model.stats());
  }
}

export const dmaEngineType = defineComponent({
  type: DMA_ENGINE,
  description: "An endpoint's DMA engine: tags, completion buffer, MRRS, descriptor issue latency and rate, completion timeout",
  params: dmaEngineParams,
  stats: dmaEngineStats,
  traceKinds: [{
    kind: 'descriptor',
    description: 'One row per DMA descriptor at its end: latency = from its submission to its end (a read: its data stored; a write, posted: its last TLP started on the link); txn = its id, which its TLPs carry; bytes = its size; a = 1 if it failed; label = read or write',
  }],
  create: (ctx, p) => new DmaEngineSlot(ctx, p),
});

/**
 * The hypervisor as the protocols see it: domains with vCPUs, and the cost
 * of a hypercall. Everything that happens in Xen is charged to a category of
 * the run's attribution ledger and counted, so a study can say where the
 * time went and prove its counts.
 *
 * A hypercall runs on one of the calling domain's vCPUs, which it holds
 * throughout (that vCPU does nothing else meanwhile; a domain whose vCPUs
 * are all busy queues its next hypercall). Its time is the round trip
 * (entry, dispatch, exit: `xen.hypercallCycles`) plus the operations' work.
 * A batch whose work runs past `xen.preemptAfter` is preempted and
 * continued (Xen's hypercall continuations): each continuation is one more
 * round trip, and is counted. Traced (kind 'hypercall'), each call is a row
 * at its return: its latency from the call (the wait for a vCPU included),
 * the calling domain and its continuations, the op as its label.
 */
import type { ProcessBody, Simulation } from '../../src/sim/index.js';
import { Resource, type Time } from '../../src/sim/index.js';
import { Attribution } from '../../src/stats/attribution.js';
import { NO_TXN, type TraceChannel, type Tracer } from '../../src/trace/channel.js';
import { hypercallPs, type XenCosts } from './costs.js';
import { GrantTable, Maptrack, type GrantVersion } from './grant-table.js';
import type { DomainIommuContext } from './iommu-context.js';

/** The hypercalls the models issue, by the name they are counted and traced under. */
export const HYPERCALL_OPS = [
  'grant_table_op:grow', 'grant_table_op:map', 'grant_table_op:unmap', 'grant_table_op:copy',
  'event_channel_op:alloc_unbound', 'event_channel_op:bind_interdomain', 'event_channel_op:send', 'event_channel_op:close',
] as const;
export type HypercallOp = (typeof HYPERCALL_OPS)[number];

/** Attribution categories of hypervisor work. */
export const HYPERCALL = 'hypercall';

/** 'dom0' is a PV dom0 (the usual x86 setup); 'dom0-pvh' a PVH dom0. */
export type DomainKind = 'dom0' | 'dom0-pvh' | 'pv' | 'hvm' | 'pvh';

/** The domain sees its memory through a p2m (HVM, PVH): grants are mapped at guest-physical addresses it chooses, and TLBs flushed per page. */
export function isTranslated(kind: DomainKind): boolean {
  return kind === 'hvm' || kind === 'pvh' || kind === 'dom0-pvh';
}

/** Xen's defaults (SOURCES.md, Xen grant tables and rings): 64 grant frames, 262,144 maptrack entries. */
export const XEN_DEFAULT_MAX_GRANT_FRAMES = 64;
export const XEN_DEFAULT_MAPTRACK = 262_144;

export interface DomainOptions {
  kind: DomainKind;
  vcpus: number;
  /** Grant table format (default v1, as Linux guests use). */
  grantVersion?: GrantVersion;
  /** Grant frames the table may grow to (default Xen's 64). */
  maxGrantFrames?: number;
  /** Foreign mappings this domain may hold (default Xen's 262,144). */
  maptrackLimit?: number;
}

export class Domain {
  readonly vcpus: Resource;
  readonly grants: GrantTable;
  readonly maptrack: Maptrack;
  /** The IOMMU context Xen keeps in sync with the domain's grant mappings (a domain with passthrough devices), else null. */
  iommu: DomainIommuContext | null = null;

  constructor(readonly xen: Hypervisor, readonly id: number, readonly name: string, readonly options: DomainOptions) {
    this.vcpus = new Resource(xen.sim, options.vcpus, `${name}/vcpus`);
    const maxFrames = options.maxGrantFrames ?? XEN_DEFAULT_MAX_GRANT_FRAMES;
    this.grants = new GrantTable(options.grantVersion ?? 1, maxFrames, Math.min(xen.costs.initialFrames, maxFrames), xen.costs.pageBytes);
    this.maptrack = new Maptrack(options.maptrackLimit ?? XEN_DEFAULT_MAPTRACK);
  }

  get vcpuCount(): number {
    return this.options.vcpus;
  }
}

/** Hypercall counts by name, and other events, for exact tests and metrics. */
export interface HypervisorCounts {
  hypercalls: number;
  continuations: number;
  byOp: Record<string, number>;
}

export class Hypervisor {
  readonly domains: Domain[] = [];
  readonly attribution = new Attribution();
  readonly roundTripPs: Time;
  private nHypercalls = 0;
  private nContinuations = 0;
  private readonly byOp = new Map<HypercallOp, number>();
  /** One row per hypercall (kind 'hypercall'), or null when not traced; its op names as labels. */
  private readonly trace: TraceChannel | null;
  private readonly opLabels = new Map<HypercallOp, number>();

  constructor(readonly sim: Simulation, readonly costs: XenCosts, tracer?: Tracer, name = 'xen') {
    this.roundTripPs = hypercallPs(costs);
    this.trace = tracer?.channel(name, 'hypercall') ?? null;
    // A trace's labels are fixed before its first row: every op's now.
    if (this.trace !== null) for (const op of HYPERCALL_OPS) this.opLabels.set(op, tracer!.label(op));
  }

  createDomain(name: string, options: DomainOptions): Domain {
    const d = new Domain(this, this.domains.length, name, options);
    this.domains.push(d);
    return d;
  }

  /**
   * One hypercall `op` from `dom`, whose operations take `workPs` in the
   * hypervisor, charged to `category`; `during`, if given, runs inside the
   * call after the work (e.g. the flushes of an unmap batch) while the vCPU
   * is still held.
   */
  *hypercall(dom: Domain, op: HypercallOp, workPs: Time, category: string, during?: () => ProcessBody<void>): ProcessBody<void> {
    const called = this.sim.now;
    yield dom.vcpus.request();
    let continuations = 0;
    try {
      const preempt = this.costs.preemptAfter;
      continuations = preempt > 0 && workPs > 0 ? Math.ceil(workPs / preempt) - 1 : 0;
      const overhead = this.roundTripPs * (1 + continuations);
      this.nHypercalls++;
      this.nContinuations += continuations;
      this.byOp.set(op, (this.byOp.get(op) ?? 0) + 1);
      this.attribution.charge(HYPERCALL, overhead);
      this.attribution.charge(category, workPs);
      yield overhead + workPs;
      if (during) yield* during();
    } finally {
      dom.vcpus.release();
    }
    if (this.trace !== null) this.trace.record(this.sim.now, NO_TXN, 0, this.sim.now - called, dom.id, continuations, this.opLabels.get(op));
  }

  counts(): HypervisorCounts {
    const byOp: Record<string, number> = {};
    for (const k of [...this.byOp.keys()].sort()) byOp[k] = this.byOp.get(k)!;
    return { hypercalls: this.nHypercalls, continuations: this.nContinuations, byOp };
  }
}

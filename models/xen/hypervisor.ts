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
 * round trip, and is counted.
 */
import type { ProcessBody, Simulation } from '../../src/sim/index.js';
import { Resource, type Time } from '../../src/sim/index.js';
import { Attribution } from '../../src/stats/attribution.js';
import { hypercallPs, type XenCosts } from './costs.js';
import { GrantTable, Maptrack, type GrantVersion } from './grant-table.js';
import type { DomainIommuContext } from './iommu-context.js';

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
  private readonly byOp = new Map<string, number>();

  constructor(readonly sim: Simulation, readonly costs: XenCosts) {
    this.roundTripPs = hypercallPs(costs);
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
  *hypercall(dom: Domain, op: string, workPs: Time, category: string, during?: () => ProcessBody<void>): ProcessBody<void> {
    yield dom.vcpus.request();
    try {
      const preempt = this.costs.preemptAfter;
      const continuations = preempt > 0 && workPs > 0 ? Math.ceil(workPs / preempt) - 1 : 0;
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
  }

  counts(): HypervisorCounts {
    const byOp: Record<string, number> = {};
    for (const k of [...this.byOp.keys()].sort()) byOp[k] = this.byOp.get(k)!;
    return { hypercalls: this.nHypercalls, continuations: this.nContinuations, byOp };
  }
}

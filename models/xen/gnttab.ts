/**
 * Grant-table operations with their costs (Xen common/grant_table.c as Linux
 * drives it from drivers/xen/grant-table.c):
 *
 *  - grantAccess / endAccess: writes to the granting domain's own table on
 *    its own vCPU, no hypercall, except one per frame when the table must
 *    grow. A full table yields NO_REF for the refs it could not give.
 *  - map (GNTTABOP_map_grant_ref): one hypercall for the whole batch, each
 *    op checked (granted to the mapper? writable if asked?) and given a
 *    maptrack handle; a failed op gets its GNTST_* status, the others map.
 *  - unmap (GNTTABOP_unmap_grant_ref): one hypercall; every `flushEvery`
 *    ops (and for the rest at the end) a TLB shootdown: an IPI to each
 *    other vCPU of the mapping domain, sent one after another, and a local flush
 *    while they are handled; the caller waits for the last acknowledgement
 *    (max of the two), then for an IOMMU IOTLB flush. Each target vCPU
 *    spends the IPI's time, taken from the domain's vCPUs, so a domain busy
 *    elsewhere feels it.
 *  - copy (GNTTABOP_copy): one hypercall; per op its work plus the bytes at
 *    the hypervisor's copy bandwidth.
 */
import type { ProcessBody } from '../../src/sim/index.js';
import { transferTime } from '../../src/sim/time.js';
import { NO_REF } from './grant-table.js';
import type { Domain, Hypervisor } from './hypervisor.js';

/** Status codes of grant operations (Xen public/grant_table.h GNTST_*). */
export const GNTST = { okay: 0, bad_gntref: -3, no_device_space: -7, permission_denied: -8 } as const;
export type GrantStatus = (typeof GNTST)[keyof typeof GNTST];

/** Attribution categories. */
export const GRANT_TABLE = 'grant-table';
export const GRANT_MAP = 'grant-map';
export const GRANT_UNMAP = 'grant-unmap';
export const GRANT_COPY = 'grant-copy';
export const TLB_FLUSH = 'tlb-flush';
export const IOTLB_FLUSH = 'iotlb-flush';
export const IPI = 'ipi';

/** A foreign page mapped by `mapper`: what unmap needs back. */
export interface GrantMapping {
  readonly granter: Domain;
  readonly ref: number;
}

export interface MapResult {
  /** One status per op, in op order. */
  statuses: GrantStatus[];
  /** The mappings that succeeded, in op order. */
  mappings: GrantMapping[];
}

export interface GrantOpCounts {
  grantWrites: number;
  tableGrowths: number;
  grantFailures: number;
  mapOps: number;
  mapFailures: number;
  unmapOps: number;
  copyOps: number;
  copyBytes: number;
  tlbFlushes: number;
  iotlbFlushes: number;
  ipis: number;
}

export class GrantOps {
  private readonly n: GrantOpCounts = {
    grantWrites: 0, tableGrowths: 0, grantFailures: 0, mapOps: 0, mapFailures: 0, unmapOps: 0,
    copyOps: 0, copyBytes: 0, tlbFlushes: 0, iotlbFlushes: 0, ipis: 0,
  };

  constructor(readonly xen: Hypervisor) {}

  counts(): GrantOpCounts {
    return { ...this.n };
  }

  /** `dom` grants `peer` access to `pages` of its pages: the refs, NO_REF for each page the full table could not take. */
  *grantAccess(dom: Domain, peer: Domain, pages: number, readOnly: boolean): ProcessBody<number[]> {
    const c = this.xen.costs;
    const refs: number[] = [];
    let grew = 0;
    for (let i = 0; i < pages; i++) {
      const g = dom.grants.grant(peer.id, readOnly);
      grew += g.grewFrames;
      refs.push(g.ref);
      if (g.ref === NO_REF) this.n.grantFailures++;
      else this.n.grantWrites++;
    }
    // Growing: one hypercall per frame added (Linux gnttab_expand maps frames one by one).
    for (let f = 0; f < grew; f++) yield* this.xen.hypercall(dom, 'grant_table_op:grow', c.tableGrowPerFrame, GRANT_TABLE);
    this.n.tableGrowths += grew;
    const written = refs.filter((r) => r !== NO_REF).length;
    yield* this.onVcpu(dom, written * c.grantWrite, GRANT_TABLE);
    return refs;
  }

  /** Ends foreign access to `refs`: the entries still mapped by the peer stay (counted as busy, returned). */
  *endAccess(dom: Domain, refs: readonly number[]): ProcessBody<number> {
    let busy = 0, ended = 0;
    for (const ref of refs) {
      if (ref === NO_REF) continue;
      const r = dom.grants.end(ref);
      if (r === 'busy') busy++;
      else if (r === 'ok') ended++;
    }
    this.n.grantWrites += ended;
    yield* this.onVcpu(dom, ended * this.xen.costs.grantWrite, GRANT_TABLE);
    return busy;
  }

  /** GNTTABOP_map_grant_ref of `refs` of `granter`'s table into `mapper`, one batch. */
  *map(mapper: Domain, granter: Domain, refs: readonly number[], readOnly: boolean): ProcessBody<MapResult> {
    const statuses: GrantStatus[] = [];
    const mappings: GrantMapping[] = [];
    for (const ref of refs) {
      let s: GrantStatus;
      if (!granter.grants.grantedTo(ref, mapper.id, false)) s = GNTST.bad_gntref;
      else if (!readOnly && !granter.grants.grantedTo(ref, mapper.id, true)) s = GNTST.permission_denied;
      else if (!mapper.maptrack.take()) s = GNTST.no_device_space;
      else {
        s = GNTST.okay;
        granter.grants.noteMapped(ref, 1);
        mappings.push({ granter, ref });
      }
      statuses.push(s);
      if (s !== GNTST.okay) this.n.mapFailures++;
    }
    this.n.mapOps += refs.length;
    yield* this.xen.hypercall(mapper, 'grant_table_op:map', refs.length * this.xen.costs.mapPerOp, GRANT_MAP);
    return { statuses, mappings };
  }

  /** GNTTABOP_unmap_grant_ref of `mappings` held by `mapper`, one batch, with its flushes. */
  *unmap(mapper: Domain, mappings: readonly GrantMapping[]): ProcessBody<void> {
    for (const m of mappings) {
      m.granter.grants.noteMapped(m.ref, -1);
      mapper.maptrack.put();
    }
    const c = this.xen.costs;
    const ops = mappings.length;
    this.n.unmapOps += ops;
    const flushes = Math.ceil(ops / c.flushEvery);
    yield* this.xen.hypercall(mapper, 'grant_table_op:unmap', ops * c.unmapPerOp, GRANT_UNMAP, () => this.flushes(mapper, flushes));
  }

  /** GNTTABOP_copy: `ops` copies of `bytesPerOp` each, one batch, issued by `dom`. */
  *copy(dom: Domain, ops: number, bytesPerOp: number): ProcessBody<void> {
    const c = this.xen.costs;
    this.n.copyOps += ops;
    this.n.copyBytes += ops * bytesPerOp;
    const work = ops * c.copyPerOp + (bytesPerOp > 0 ? ops * transferTime(bytesPerOp, c.copyBandwidth) : 0);
    yield* this.xen.hypercall(dom, 'grant_table_op:copy', work, GRANT_COPY);
  }

  private *flushes(mapper: Domain, flushes: number): ProcessBody<void> {
    const c = this.xen.costs;
    const others = mapper.vcpuCount - 1;
    for (let f = 0; f < flushes; f++) {
      this.n.tlbFlushes++;
      this.n.iotlbFlushes++;
      this.n.ipis += others;
      // The IPIs go out first, one send per target; the local flush runs while they are handled; then the IOTLB.
      for (let v = 0; v < others; v++) this.xen.sim.process(mapper.vcpus.use(c.ipi), `${mapper.name}/ipi`);
      const send = others * c.ipiSendPerTarget;
      const acks = others > 0 ? c.ipi : 0;
      const shootdown = Math.max(c.tlbFlush, acks);
      this.xen.attribution.charge(TLB_FLUSH, c.tlbFlush).charge(IPI, send + shootdown - c.tlbFlush).charge(IOTLB_FLUSH, c.iotlbFlush);
      yield send + shootdown + c.iotlbFlush;
    }
  }

  /** Work on one of `dom`'s vCPUs, charged to `category`. */
  private *onVcpu(dom: Domain, ps: number, category: string): ProcessBody<void> {
    if (ps <= 0) return;
    this.xen.attribution.charge(category, ps);
    yield* dom.vcpus.use(ps);
  }
}

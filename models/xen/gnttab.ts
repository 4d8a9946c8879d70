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
 *    When the mapper's IOMMU context is kept in sync (a domain with
 *    passthrough devices, iommu-context.ts) each mapped page also gets an
 *    IOMMU entry, written by Xen (`iommuMapPerPage`).
 *  - unmap (GNTTABOP_unmap_grant_ref): one hypercall, then the TLB
 *    invalidation the mapper's kind and the architecture call for
 *    (research: xen/common/grant_table.c, arch p2m code):
 *      x86 PV mapper (dom0, a PV guest): a shootdown per `flushEvery` ops
 *        (and for the rest at the end): an IPI to each other vCPU of the
 *        domain, sent one after another, and a local flush while they are
 *        handled; the caller waits for the last acknowledgement;
 *      x86 HVM or PVH mapper: the p2m entry changes page by page, each an
 *        EPT invalidation round with its IPIs;
 *      Arm: a broadcast TLBI per page (`tlbiBroadcast`), no IPI.
 *    Each target vCPU spends the IPI's time, taken from the domain's vCPUs,
 *    so a domain busy elsewhere feels it. A page that had an IOMMU entry
 *    loses it, with a synchronous IOTLB invalidation of its own (`iotlbFlush`
 *    plus `iommuMapPerPage` for the entry): never batched.
 *  - copy (GNTTABOP_copy): one hypercall; per op its work plus the bytes at
 *    the hypervisor's copy bandwidth.
 */
import type { ProcessBody } from '../../src/sim/index.js';
import { transferTime } from '../../src/sim/time.js';
import { NO_REF } from './grant-table.js';
import { isTranslated, type Domain, type Hypervisor } from './hypervisor.js';

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
export const IOMMU_MAP = 'iommu-map';

/** A foreign page mapped by `mapper`: what unmap needs back. */
export interface GrantMapping {
  readonly granter: Domain;
  readonly ref: number;
  /** Where the mapper's devices reach the page, when its IOMMU context holds the mapping. */
  readonly iova?: number;
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
  /** Grant pages mapped into an IOMMU context. */
  iommuMaps: number;
}

export class GrantOps {
  private readonly n: GrantOpCounts = {
    grantWrites: 0, tableGrowths: 0, grantFailures: 0, mapOps: 0, mapFailures: 0, unmapOps: 0,
    copyOps: 0, copyBytes: 0, tlbFlushes: 0, iotlbFlushes: 0, ipis: 0, iommuMaps: 0,
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

  /**
   * GNTTABOP_map_grant_ref of `refs` of `granter`'s table into `mapper`, one
   * batch. `frames[i]` is the machine address of the page `refs[i]` grants,
   * which a mapper with an IOMMU context maps for its devices.
   */
  *map(mapper: Domain, granter: Domain, refs: readonly number[], readOnly: boolean, frames?: readonly number[]): ProcessBody<MapResult> {
    const statuses: GrantStatus[] = [];
    const mappings: GrantMapping[] = [];
    const iommu = mapper.iommu;
    let iommuPages = 0;
    refs.forEach((ref, i) => {
      let s: GrantStatus;
      if (!granter.grants.grantedTo(ref, mapper.id, false)) s = GNTST.bad_gntref;
      else if (!readOnly && !granter.grants.grantedTo(ref, mapper.id, true)) s = GNTST.permission_denied;
      else if (!mapper.maptrack.take()) s = GNTST.no_device_space;
      else {
        s = GNTST.okay;
        granter.grants.noteMapped(ref, 1);
        const frame = frames?.[i];
        if (iommu !== null && frame !== undefined) {
          mappings.push({ granter, ref, iova: iommu.mapGrant(frame) });
          iommuPages++;
        } else mappings.push({ granter, ref });
      }
      statuses.push(s);
      if (s !== GNTST.okay) this.n.mapFailures++;
    });
    this.n.mapOps += refs.length;
    this.n.iommuMaps += iommuPages;
    const c = this.xen.costs;
    this.xen.attribution.charge(IOMMU_MAP, iommuPages * c.iommuMapPerPage);
    yield* this.xen.hypercall(mapper, 'grant_table_op:map', refs.length * c.mapPerOp + iommuPages * c.iommuMapPerPage, GRANT_MAP);
    return { statuses, mappings };
  }

  /** GNTTABOP_unmap_grant_ref of `mappings` held by `mapper`, one batch, with its TLB and IOTLB invalidations. */
  *unmap(mapper: Domain, mappings: readonly GrantMapping[]): ProcessBody<void> {
    let iotlbPages = 0;
    for (const m of mappings) {
      m.granter.grants.noteMapped(m.ref, -1);
      mapper.maptrack.put();
      if (m.iova !== undefined && mapper.iommu!.unmapGrant(m.iova)) iotlbPages++;
    }
    const c = this.xen.costs;
    const ops = mappings.length;
    this.n.unmapOps += ops;
    const iommuWork = iotlbPages * c.iommuMapPerPage;
    this.xen.attribution.charge(IOMMU_MAP, iommuWork);
    yield* this.xen.hypercall(mapper, 'grant_table_op:unmap', ops * c.unmapPerOp + iommuWork, GRANT_UNMAP, () => this.invalidate(mapper, ops, iotlbPages));
  }

  /** GNTTABOP_copy: `ops` copies of `bytesPerOp` each, one batch, issued by `dom`. */
  *copy(dom: Domain, ops: number, bytesPerOp: number): ProcessBody<void> {
    yield* this.copyEach(dom, new Array<number>(ops).fill(bytesPerOp));
  }

  /** GNTTABOP_copy: one op per entry of `bytes` (its length), one batch, issued by `dom`. */
  *copyEach(dom: Domain, bytes: readonly number[]): ProcessBody<void> {
    const c = this.xen.costs;
    let work = bytes.length * c.copyPerOp;
    for (const b of bytes) {
      this.n.copyBytes += b;
      if (b > 0) work += transferTime(b, c.copyBandwidth);
    }
    this.n.copyOps += bytes.length;
    yield* this.xen.hypercall(dom, 'grant_table_op:copy', work, GRANT_COPY);
  }

  /** The TLB invalidations after unmapping `ops` pages (by architecture and mapper kind), then the IOTLB's, one per page that left the IOMMU. */
  private *invalidate(mapper: Domain, ops: number, iotlbPages: number): ProcessBody<void> {
    const c = this.xen.costs;
    if (c.arch === 'arm') {
      // Broadcast TLBI per page: the interconnect does what IPIs do on x86.
      this.n.tlbFlushes += ops;
      this.xen.attribution.charge(TLB_FLUSH, ops * c.tlbiBroadcast!);
      yield ops * c.tlbiBroadcast!;
    } else {
      // PV: one shootdown per batch; HVM/PVH: the p2m changes page by page, each with its own invalidation round.
      const shootdowns = isTranslated(mapper.options.kind) ? ops : Math.ceil(ops / c.flushEvery);
      for (let f = 0; f < shootdowns; f++) yield* this.shootdown(mapper);
    }
    if (iotlbPages > 0) {
      this.n.iotlbFlushes += iotlbPages;
      this.xen.attribution.charge(IOTLB_FLUSH, iotlbPages * c.iotlbFlush);
      yield iotlbPages * c.iotlbFlush;
    }
  }

  /** One TLB shootdown on x86: the IPIs go out first, one send per other vCPU; the local flush runs while they are handled. */
  private *shootdown(mapper: Domain): ProcessBody<void> {
    const c = this.xen.costs;
    const others = mapper.vcpuCount - 1;
    this.n.tlbFlushes++;
    this.n.ipis += others;
    for (let v = 0; v < others; v++) this.xen.sim.process(mapper.vcpus.use(c.ipi), `${mapper.name}/ipi`);
    const send = others * c.ipiSendPerTarget;
    const acks = others > 0 ? c.ipi : 0;
    const shootdown = Math.max(c.tlbFlush, acks);
    this.xen.attribution.charge(TLB_FLUSH, c.tlbFlush).charge(IPI, send + shootdown - c.tlbFlush);
    yield send + shootdown;
  }

  /** Work on one of `dom`'s vCPUs, charged to `category`. */
  private *onVcpu(dom: Domain, ps: number, category: string): ProcessBody<void> {
    if (ps <= 0) return;
    this.xen.attribution.charge(category, ps);
    yield* dom.vcpus.use(ps);
  }
}

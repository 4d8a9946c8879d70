/**
 * A Xen domain's IOMMU context: the translation domain the hypervisor keeps
 * for a domain with passthrough devices, on the host's IOMMU (iommu.ts).
 * Its own RAM is mapped 1:1 at boot; a grant mapped into the domain is
 * mapped in its context too, page by page, and unmapped page by page with a
 * synchronous IOTLB invalidation each (xen/common/grant_table.c
 * map_grant_ref / unmap_common → iommu_legacy_map / iommu_legacy_unmap; the
 * 32-op unmap batch batches only the CPU TLB flush).
 *
 *  - a PV mapping domain (dom0, a PV guest) sees the grant at its machine
 *    address: the IOVA is the frame, and a frame mapped twice is mapped once
 *    (Xen refcounts per frame);
 *  - an HVM or PVH domain maps it at a guest-physical address of its choosing
 *    (a window above its RAM, handed out in order and reused when freed), the
 *    p2m and the IOMMU updated together.
 *
 * Left out: the per-frame read/write refcount's read-only mappings (a
 * mapping is writable), and AMD-Vi / Arm SMMU differences beyond what the
 * platform's costs say.
 */
import type { Iommu } from '../iommu/iommu.js';

/** Grants and own RAM are mapped in 4 KiB pages: a grant is one page. */
export const GRANT_PAGE_BYTES = 4096;

export class DomainIommuContext {
  /** PV: frames mapped, with how many grant mappings hold each. */
  private readonly frameRefs = new Map<number, number>();
  /** HVM/PVH: the next guest-physical page of the grant window, and those freed for reuse (lowest first). */
  private nextGfn: number;
  private readonly freeGfns: number[] = [];

  constructor(
    readonly mmu: Iommu,
    readonly id: number,
    /** The domain sees grants at guest-physical addresses it chooses (HVM, PVH), not at their frames (PV). */
    private readonly translated: boolean,
    /** First guest-physical address of the grant window (above the domain's RAM). */
    grantWindowBase: number,
  ) {
    this.nextGfn = grantWindowBase;
  }

  /** Maps the foreign page at `frame`; returns the IOVA the domain's devices use for it. */
  mapGrant(frame: number): number {
    if (!this.translated) {
      const held = this.frameRefs.get(frame) ?? 0;
      if (held === 0) this.mmu.map(this.id, frame, frame, GRANT_PAGE_BYTES, GRANT_PAGE_BYTES);
      this.frameRefs.set(frame, held + 1);
      return frame;
    }
    const gfn = this.freeGfns.length > 0 ? this.freeGfns.shift()! : this.take();
    this.mmu.map(this.id, gfn, frame, GRANT_PAGE_BYTES, GRANT_PAGE_BYTES);
    return gfn;
  }

  /** Unmaps a grant mapped at `iova`; true if the IOMMU entry went (and so must be invalidated). */
  unmapGrant(iova: number): boolean {
    if (!this.translated) {
      const held = this.frameRefs.get(iova) ?? 0;
      if (held <= 0) throw new Error(`model bug: IOMMU context ${this.id}: unmap of frame 0x${iova.toString(16)}, never mapped`);
      if (held > 1) { this.frameRefs.set(iova, held - 1); return false; }
      this.frameRefs.delete(iova);
    } else {
      const at = this.freeGfns.findIndex((g) => g > iova);
      this.freeGfns.splice(at < 0 ? this.freeGfns.length : at, 0, iova);
    }
    this.mmu.unmap(this.id, iova, GRANT_PAGE_BYTES);
    return true;
  }

  private take(): number {
    const g = this.nextGfn;
    this.nextGfn += GRANT_PAGE_BYTES;
    return g;
  }
}

/**
 * xen.domain: a domain on a Xen hypervisor (dom0, a driver domain, a guest):
 * its vCPUs (a resource its hypercalls, upcalls and IPI handlers take), its
 * grant table (v1 or v2, growing a frame at a time to maxGrantFrames), its
 * maptrack (the foreign mappings it may hold), its RAM (a range of machine
 * frames that buffers are allocated from), and the PCIe devices assigned to
 * it (passthrough), whose DMA the hypervisor's IOMMU translates in the
 * domain's IOMMU context (iommu-context.ts).
 *
 * The kind decides what a grant unmap costs (gnttab.ts: a PV mapper flushes
 * per batch, an HVM/PVH one per page) and where a grant appears to the
 * domain's devices (PV: at its frame; HVM/PVH: at a guest-physical address
 * above its RAM). The IOMMU context holds:
 *  - `all-memory` (a PV dom0's default, dom0-iommu=relaxed): every byte of
 *    host memory 1:1, so grants need no IOMMU update;
 *  - `own-memory` (a guest with passthrough; a PVH dom0, or a PV dom0 with
 *    dom0-iommu=strict): its own RAM 1:1, and each grant it maps, page by page.
 *
 * Left out: HVM guest-physical addresses that differ from machine ones for
 * the domain's own RAM (its RAM is seen 1:1: only the grant window is
 * translated), ballooning, NUMA placement.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl, type TopologyIssue, type TopologyNode, type TopologyView } from '../../src/scenario/registry.js';
import { ref, refs } from '../../src/scenario/refs.js';
import { byteSize } from '../../src/scenario/units.js';
import { identitySpans } from '../iommu/generic.js';
import { ENDPOINT } from '../pcie/topology/node.js';
import type { EndpointDevice } from '../pcie/topology/endpoint.js';
import { isTranslated, XEN_DEFAULT_MAPTRACK, XEN_DEFAULT_MAX_GRANT_FRAMES, type Domain } from './hypervisor.js';
import { DomainIommuContext, GRANT_PAGE_BYTES } from './iommu-context.js';
import { XEN_HYPERVISOR, type XenHost } from './xen-host.js';

export const XEN_DOMAIN = 'xen.domain';

/** Frames handed out one apart when a buffer is `scattered`: no two pages contiguous, as a long-running guest's memory is. */
const SCATTER_STRIDE = 2;

const params = z.strictObject({
  hypervisor: ref(XEN_HYPERVISOR).describe('The hypervisor the domain runs on'),
  kind: z.enum(['dom0', 'dom0-pvh', 'pv', 'hvm', 'pvh']).describe('dom0 (PV), dom0-pvh, or a guest: para-virtualized, hardware-virtualized, or PVH'),
  vcpus: z.number().int().min(1).describe('Virtual CPUs'),
  grantVersion: z.union([z.literal(1), z.literal(2)]).default(1).describe('Grant table format: v1 (8-byte entries, what Linux guests use) or v2 (16-byte entries + status frames)'),
  maxGrantFrames: z.number().int().min(1).default(XEN_DEFAULT_MAX_GRANT_FRAMES).describe("Grant frames the table may grow to (Xen's default 64)"),
  maptrackLimit: z.number().int().min(1).default(XEN_DEFAULT_MAPTRACK).describe("Foreign mappings the domain may hold (Xen's default 262,144)"),
  memoryBase: byteSize().optional().describe("Machine address of the domain's RAM (in host memory); needed to allocate buffers or to map its RAM for passthrough"),
  memorySize: byteSize().optional().describe("Bytes of the domain's RAM"),
  passthrough: refs(ENDPOINT).default([]).describe('PCIe endpoints assigned to the domain: their DMA is translated in its IOMMU context'),
  iommuView: z.enum(['all-memory', 'own-memory']).optional()
    .describe("What the domain's IOMMU context maps besides its grants: all host memory (a PV dom0's default) or its own RAM, grants mapped page by page (default: all-memory for a PV dom0, own-memory otherwise)"),
  iommuPage: z.enum(['4k', '2m', 'largest']).default('largest')
    .describe("Page size of the 1:1 map of the domain's memory in its IOMMU context (Xen uses superpages where it can: 'largest'); grants are always 4 KiB"),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'grant_entries_peak', unit: 'entries', description: 'Most grant entries in use at once' },
  { name: 'grant_table_bytes', unit: 'B', description: 'Memory of the grant table at the end (v2: status frames included)' },
  { name: 'vcpu_utilization', unit: 'fraction', description: 'Busy fraction of the vCPUs (hypercalls, upcalls, IPIs, protocol work)' },
];

export class XenDomain {
  private domain: Domain | null = null;
  /** Next free page of RAM for buffers, as an offset from memoryBase. */
  private nextFree = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  /** The hypervisor's host (after build). */
  get host(): XenHost {
    return this.ctx.peer<XenHost>(this.p.hypervisor);
  }

  get name(): string {
    return this.ctx.name;
  }

  /** The domain in the hypervisor, made on first use (every user asks after build, in a fixed order). */
  get model(): Domain {
    if (this.domain === null) {
      const p = this.p;
      this.domain = this.host.xen.createDomain(this.ctx.name, { kind: p.kind, vcpus: p.vcpus, grantVersion: p.grantVersion, maxGrantFrames: p.maxGrantFrames, maptrackLimit: p.maptrackLimit });
    }
    return this.domain;
  }

  /** The RAM handed out for buffers lies within the domain's RAM (none without RAM). */
  invariants(): string[] {
    const size = this.hasRam ? this.p.memorySize! : 0;
    return this.nextFree >= 0 && this.nextFree <= size ? [] : [`${this.nextFree} bytes of RAM allocated of ${size}`];
  }

  /** Whether the scenario gives the domain RAM (memoryBase and memorySize): buffers in it then have machine addresses a device can read. */
  get hasRam(): boolean {
    return this.p.memoryBase !== undefined && this.p.memorySize !== undefined;
  }

  /**
   * Whether the RAM left holds these buffers, allocated in this order (true
   * when the scenario gives the domain no RAM: allocate then returns null).
   * False is the guest kernel's -ENOMEM: a driver that asks gives up.
   */
  hasRoomFor(buffers: readonly { pages: number; layout: 'contiguous' | 'scattered' }[]): boolean {
    if (!this.hasRam) return true;
    return this.nextFree + buffers.reduce((sum, b) => sum + ramBytes(b.pages, b.layout), 0) <= this.p.memorySize!;
  }

  /**
   * Machine addresses of `pages` pages of the domain's RAM for a buffer:
   * consecutive frames, or `scattered` ones no two of which are adjacent;
   * null if the scenario gives the domain no RAM (then nothing reads the
   * buffer over the fabric).
   */
  allocate(pages: number, layout: 'contiguous' | 'scattered'): number[] | null {
    const { memoryBase, memorySize } = this.p;
    if (memoryBase === undefined || memorySize === undefined) return null;
    const stride = layout === 'scattered' ? SCATTER_STRIDE : 1;
    if (!this.hasRoomFor([{ pages, layout }])) throw new Error(`model bug: ${this.ctx.name}'s ${memorySize} bytes of RAM cannot hold a buffer of ${pages} pages; ask hasRoomFor first`);
    const frames: number[] = [];
    for (let i = 0; i < pages; i++) frames.push(memoryBase + this.nextFree + i * stride * GRANT_PAGE_BYTES);
    this.nextFree += ramBytes(pages, layout);
    return frames;
  }

  connect(): void {
    const d = this.model;
    if (this.p.passthrough.length === 0) return;
    const iommu = this.host.iommu!;
    const mmu = iommu.model;
    const id = mmu.createDomain();
    for (const dev of this.p.passthrough) {
      const rid = this.ctx.peer<EndpointDevice>(dev).endpointModel.requesterId;
      mmu.detach(rid);
      mmu.attach(rid, id);
    }
    const view = this.p.iommuView ?? (this.p.kind === 'dom0' ? 'all-memory' : 'own-memory');
    const own = { base: this.p.memoryBase!, size: this.p.memorySize! };
    const ranges = view === 'all-memory' ? iommu.ownerRanges : [own];
    for (const s of identitySpans(this.p.iommuPage, ranges)) mmu.map(id, s.base, s.base, s.size, s.page);
    // With all of memory mapped, a grant is already reachable: Xen keeps nothing in sync.
    if (view === 'own-memory') d.iommu = new DomainIommuContext(mmu, id, isTranslated(this.p.kind), own.base + own.size);
  }

  metrics(): Record<string, MetricValue> {
    const d = this.model;
    return { grant_entries_peak: d.grants.peakUsed, grant_table_bytes: d.grants.bytes, vcpu_utilization: d.vcpus.utilization() };
  }
}

/** A domain with passthrough devices needs its RAM and a hypervisor that has an IOMMU. */
function checkDomain(self: TopologyNode, view: TopologyView): TopologyIssue[] {
  const p = self.params as Params;
  if (p.passthrough.length === 0) return [];
  const issues: TopologyIssue[] = [];
  const xen = view.node(p.hypervisor);
  if (xen && (xen.params as { iommu?: string }).iommu === undefined) {
    issues.push({ path: [...self.path, 'params', 'passthrough'], message: `passthrough needs an IOMMU: give hypervisor ${p.hypervisor} its "iommu" (e.g. "rc.iommu")` });
  }
  if (p.memoryBase === undefined || p.memorySize === undefined) issues.push({ path: [...self.path, 'params'], message: 'a domain with passthrough devices needs its memoryBase and memorySize (its RAM is mapped for them)' });
  return issues;
}

export const xenDomain = defineComponent({
  type: XEN_DOMAIN,
  description: 'A Xen domain (dom0, driver domain or guest): vCPUs, a v1 or v2 grant table, maptrack, RAM for buffers, passthrough PCIe devices in its IOMMU context',
  params,
  stats,
  create: (ctx, p) => new XenDomain(ctx, p),
  checkTopology: (self, view) => checkDomain(self as TopologyNode, view),
});

/** RAM a buffer of `pages` pages takes: a scattered one leaves a gap after each page (SCATTER_STRIDE). */
function ramBytes(pages: number, layout: 'contiguous' | 'scattered'): number {
  return pages * (layout === 'scattered' ? SCATTER_STRIDE : 1) * GRANT_PAGE_BYTES;
}

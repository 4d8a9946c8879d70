/**
 * The dma-buf core (Linux drivers/dma-buf): a buffer of N pages that an
 * exporter owns and importers attach to, with what each step costs.
 *
 *  - attach / detach: an importing device joins the buffer. If the buffer
 *    lives in device memory (a GPU's VRAM) the attachment is either P2P,
 *    the importer reaching that memory in place over PCIe (the exporter
 *    allows it and the pair can do P2P), or the exporter migrates the
 *    buffer to system memory first (amdgpu/ttm move): a copy of every page.
 *    An APU's "VRAM" is a carve-out of system memory behind the iGPU's BAR
 *    (the 2018 discussion): reached in place through the BAR where the pair
 *    can do P2P, else the driver redirects the importer to the carve-out's
 *    system address, with no copy: it already is system memory.
 *  - map / unmap attachment: the exporter builds an sg_table of the pages
 *    and dma_map_sg maps them for the importing device, through its IOMMU
 *    domain when there is one (the IOMMU model's own map/unmap costs).
 *  - begin / end CPU access: cache maintenance for non-coherent importers,
 *    per page.
 *  - fences: a fence signalled by the producer wakes its waiters after the
 *    signalling latency (interrupt, fence callback, waking the waiter).
 *
 * Steps are generator processes on the caller; each charges the run's
 * attribution under "dma-buf" categories and is counted. The core keeps
 * the attachments it made until they are detached, so its counts can be
 * checked against them (dmaBufCoreInvariants).
 */
import { z } from 'zod';
import { duration, pageSize } from '../../src/scenario/units.js';
import { SimEvent, type ProcessBody, type Simulation } from '../../src/sim/index.js';
import { PS_PER_NS, PS_PER_US, transferTime, type Time } from '../../src/sim/time.js';
import type { Attribution } from '../../src/stats/attribution.js';
import type { Iommu } from '../iommu/iommu.js';

/** Costs of the core; every default is an estimate (no published figure), its range in the description. */
export const dmaBufCoreParams = z.strictObject({
  attach: duration().default(2 * PS_PER_US).describe('dma_buf_attach: the exporter\'s attach callback, list bookkeeping (est., 0.5-20 us)'),
  detach: duration().default(1 * PS_PER_US).describe('dma_buf_detach (est., 0.3-10 us)'),
  sgBase: duration().default(1 * PS_PER_US).describe('Building an sg_table: allocation and setup (est., 0.3-5 us)'),
  sgPerPage: duration().default(30 * PS_PER_NS).describe('One page into the sg_table (est., 10-100 ns)'),
  cacheMaintenancePerPage: duration().default(100 * PS_PER_NS).describe('Begin/end CPU access on a non-coherent buffer: clean or invalidate one page\'s cache lines (est., 20-500 ns)'),
  migrateBandwidth: z.number().positive().default(12).describe('GB/s of a buffer migration from device memory to system memory, a DMA copy over the exporter\'s link (est., 5-25)'),
  migrateBase: duration().default(20 * PS_PER_US).describe('Setting up a migration: allocating system pages, scheduling the copy, waiting its fence (est., 5-100 us)'),
  fenceSignal: duration().default(5 * PS_PER_US).describe('A fence signalled to its waiter running: interrupt, callback, wake-up (est., 1-50 us)'),
  pageBytes: pageSize().default(4096).describe('Page size, bytes'),
});
export type DmaBufCosts = z.output<typeof dmaBufCoreParams>;

export const DMABUF_ATTACH = 'dma-buf-attach';
export const DMABUF_MAP = 'dma-buf-map';
export const DMABUF_MIGRATE = 'dma-buf-migrate';
export const DMABUF_CPU_ACCESS = 'dma-buf-cpu-access';
export const DMABUF_FENCE = 'dma-buf-fence';

/** Where a buffer's pages are: system memory, a device's own memory, or an APU's carve-out of system memory behind its BAR. */
export type Placement = 'system' | 'device' | 'carve-out';

/** How an importer of a device-memory buffer reaches it. */
export type P2pPolicy = 'in-place' | 'migrate';

export interface Attachment {
  readonly buffer: DmaBuf;
  readonly device: number;
  /** The importer reaches device memory over PCIe (P2P), not system memory. */
  readonly p2p: boolean;
  mapped: boolean;
}

export class DmaBuf {
  placement: Placement;
  readonly attachments: Attachment[] = [];

  constructor(readonly pages: number, placement: Placement, readonly iova: number) {
    this.placement = placement;
  }
}

export interface DmaBufCounts {
  attaches: number;
  detaches: number;
  maps: number;
  unmaps: number;
  migrations: number;
  pagesMigrated: number;
  /** Attachments to a carve-out sent to its system address instead of the BAR. */
  redirects: number;
  cpuAccesses: number;
  /** Fences made (DmaBufCore.fence), and signals of them. */
  fences: number;
  fencesSignalled: number;
}

/** Where the core's attachments are now (DmaBufCore.attachmentState). */
export interface AttachmentState {
  /** Attachments made and not detached, and of them those mapped and those missing from their buffer's list. */
  live: number;
  mapped: number;
  offList: number;
  /** dma_buf_attach calls under way (counted, their attachment not made yet). */
  attaching: number;
}

/**
 * The core's counts against its attachments, true at any moment of a run:
 * every attach call made an attachment that was detached or is live, or is
 * under way; every map not undone by an unmap is a mapped live attachment
 * (a detach refuses a mapped one), and each live one is on its buffer's
 * list; each attach migrated or redirected at most once; no fence was
 * signalled more often than fences were made.
 */
export function dmaBufCoreInvariants(c: DmaBufCounts, a: AttachmentState): string[] {
  const out: string[] = [];
  if (c.attaches !== c.detaches + a.live + a.attaching) {
    out.push(`attachments: ${c.attaches} attach calls != ${c.detaches} detached + ${a.live} live + ${a.attaching} under way`);
  }
  if (c.maps !== c.unmaps + a.mapped) out.push(`maps: ${c.maps} != ${c.unmaps} unmapped + ${a.mapped} mapped attachments`);
  if (a.offList !== 0) out.push(`${a.offList} live attachments missing from their buffer's list`);
  if (c.migrations + c.redirects > c.attaches) out.push(`${c.migrations} migrations + ${c.redirects} redirects > ${c.attaches} attach calls`);
  if (c.fencesSignalled > c.fences) out.push(`fences: ${c.fencesSignalled} signalled > ${c.fences} made`);
  return out;
}

/** A fence: one producer signals it, any number of waiters wake, each after the signalling latency. */
export class Fence {
  private readonly done: SimEvent<void>;

  constructor(private readonly sim: Simulation, private readonly core: DmaBufCore) {
    this.done = new SimEvent<void>(sim);
  }

  get signalled(): boolean {
    return this.done.processed;
  }

  signal(): void {
    this.core.noteFence();
    this.sim.schedule(this.core.costs.fenceSignal, Fence.onSignalled, this, 0);
  }

  /** An event the waiter yields on. */
  wait(): SimEvent<void> {
    return this.done;
  }

  private static onSignalled(f: Fence): void {
    f.done.succeed();
  }
}

export class DmaBufCore {
  private readonly n: DmaBufCounts = { attaches: 0, detaches: 0, maps: 0, unmaps: 0, migrations: 0, pagesMigrated: 0, redirects: 0, cpuAccesses: 0, fences: 0, fencesSignalled: 0 };
  /** Attachments made and not detached, and attach calls whose attachment is not made yet. */
  private readonly live = new Set<Attachment>();
  private attaching = 0;

  /**
   * `iommus`: the IOMMU and domain each importing device's DMA goes
   * through, by requester ID (absent: no IOMMU, mapping costs only the sg_table).
   */
  constructor(readonly sim: Simulation, readonly costs: DmaBufCosts, private readonly attribution: Attribution,
    private readonly iommus: ReadonlyMap<number, { iommu: Iommu; domain: number }> = new Map()) {}

  counts(): DmaBufCounts {
    return { ...this.n };
  }

  /** Its attachments now, for dmaBufCoreInvariants. */
  attachmentState(): AttachmentState {
    let mapped = 0, offList = 0;
    for (const a of this.live) {
      if (a.mapped) mapped++;
      if (!a.buffer.attachments.includes(a)) offList++;
    }
    return { live: this.live.size, mapped, offList, attaching: this.attaching };
  }

  fence(): Fence {
    this.n.fences++;
    return new Fence(this.sim, this);
  }

  /** @internal (Fence) */
  noteFence(): void {
    this.n.fencesSignalled++;
    this.attribution.charge(DMABUF_FENCE, this.costs.fenceSignal);
  }

  /**
   * dma_buf_attach of `device`. A buffer in device memory is reached in
   * place when `policy` is 'in-place' and `p2pCapable` (the pair can do
   * P2P, e.g. Linux's p2pdma distance allows it); otherwise it is migrated
   * to system memory first, and stays there for every importer. A
   * carve-out is reached through its BAR on the same terms, else redirected
   * to its system address at no cost beyond the attach.
   */
  *attach(buf: DmaBuf, device: number, policy: P2pPolicy, p2pCapable: boolean): ProcessBody<Attachment> {
    let t = this.costs.attach;
    let p2p = false;
    if (buf.placement === 'device') {
      if (policy === 'in-place' && p2pCapable) p2p = true;
      else {
        const migrate = this.costs.migrateBase + transferTime(buf.pages * this.costs.pageBytes, this.costs.migrateBandwidth);
        this.attribution.charge(DMABUF_MIGRATE, migrate);
        t += migrate;
        buf.placement = 'system';
        this.n.migrations++;
        this.n.pagesMigrated += buf.pages;
      }
    } else if (buf.placement === 'carve-out') {
      if (policy === 'in-place' && p2pCapable) p2p = true;
      else this.n.redirects++;
    }
    this.attribution.charge(DMABUF_ATTACH, this.costs.attach);
    this.n.attaches++;
    this.attaching++;
    yield t;
    const a: Attachment = { buffer: buf, device, p2p, mapped: false };
    buf.attachments.push(a);
    this.attaching--;
    this.live.add(a);
    return a;
  }

  *detach(a: Attachment): ProcessBody<void> {
    if (a.mapped) throw new Error('model bug: detach of a mapped attachment (unmap it first)');
    const list = a.buffer.attachments;
    list.splice(list.indexOf(a), 1);
    this.live.delete(a);
    this.attribution.charge(DMABUF_ATTACH, this.costs.detach);
    this.n.detaches++;
    yield this.costs.detach;
  }

  /** dma_buf_map_attachment: the sg_table, then dma_map_sg for the device (through its IOMMU, if any). */
  *map(a: Attachment): ProcessBody<void> {
    const c = this.costs, pages = a.buffer.pages;
    let t = c.sgBase + pages * c.sgPerPage;
    const mmu = this.iommus.get(a.device);
    if (mmu) t += mmu.iommu.map(mmu.domain, a.buffer.iova, a.buffer.iova, pages * c.pageBytes);
    this.attribution.charge(DMABUF_MAP, t);
    this.n.maps++;
    a.mapped = true;
    yield t;
  }

  *unmap(a: Attachment): ProcessBody<void> {
    const mmu = this.iommus.get(a.device);
    const t = mmu ? mmu.iommu.unmap(mmu.domain, a.buffer.iova, a.buffer.pages * this.costs.pageBytes) : 0;
    this.attribution.charge(DMABUF_MAP, t);
    this.n.unmaps++;
    a.mapped = false;
    yield t;
  }

  /** dma_buf_begin_cpu_access or end_cpu_access: cache maintenance over the buffer's pages. */
  *cpuAccess(buf: DmaBuf): ProcessBody<void> {
    const t = buf.pages * this.costs.cacheMaintenancePerPage;
    this.attribution.charge(DMABUF_CPU_ACCESS, t);
    this.n.cpuAccesses++;
    yield t;
  }
}

/** For tests and studies: the time a migration of `pages` takes. */
export function migrationPs(c: DmaBufCosts, pages: number): Time {
  return c.migrateBase + transferTime(pages * c.pageBytes, c.migrateBandwidth);
}

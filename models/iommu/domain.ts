/**
 * An IOMMU domain's state (VT-d: a domain id and its second-level page
 * tables), apart from what translating through it costs (iommu.ts):
 *  - the mappings, per page-size class (4 KiB, 2 MiB, 1 GiB), page by page
 *    in maps, or as runs for a long single-segment map (an identity map of a
 *    whole host), with the overlaps Linux refuses told apart;
 *  - a nested domain's own page-table pages, allocated in guest memory from
 *    `tableBase` as mappings need them (the walk reads them through stage 2);
 *  - the deferred invalidation state Linux keeps per domain (struct
 *    iommu_dma_cookie): per-CPU flush rings (struct iova_fq), the flush
 *    count, and when each unmap not yet covered by a flush returned.
 *
 * Left out: the page tables' contents as memory (a walk's reads are counted
 * by page-walk.ts, not read from here) and IOVA allocation (callers pick
 * IOVAs).
 *
 * Hot path: lookup tries each page-size class's map, then its runs by
 * binary search; a translation that hits the IOTLB never comes here.
 */
import { PAGE_4K, PAGE_BYTES, PAGE_SIZE_CLASSES } from './iotlb.js';
import { leafLevel, levelSpan, type WalkDomain } from './page-walk.js';

/** A paging structure is one 4 KiB page (page-walk.ts). */
export const TABLE_BYTES = PAGE_BYTES[PAGE_4K]!;
/** Table keys: the table's index at its level, times this, plus the level. */
const KEY_LEVELS = 8;
/**
 * A single-segment map of at least this many pages into a single-stage
 * domain is kept as one run (Domain.runs), not page by page: an identity
 * map of a 64 GiB host in 4 KiB pages is 16 M pages, past what a Map holds
 * (2^24 entries) and seconds to build. Speed only: a run translates exactly
 * as its pages would.
 */
const RUN_MIN_PAGES = 1024;

/** A deferred-mode flush queue: a ring of the flush count each queued unmap must see pass (Linux struct iova_fq). */
export class FlushRing {
  readonly counter: Float64Array;
  readonly mask: number;
  head = 0;
  tail = 0;

  constructor(size: number) {
    this.counter = new Float64Array(size);
    this.mask = size - 1;
  }

  /** fq_full: one slot stays empty so a full ring differs from an empty one. */
  get full(): boolean {
    return ((this.tail + 1) & this.mask) === this.head;
  }

  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  /** fq_ring_free: drops the entries a completed flush has covered. */
  freeFlushed(flushCount: number): void {
    while (this.head !== this.tail && this.counter[this.head]! < flushCount) this.head = (this.head + 1) & this.mask;
  }

  add(flushCount: number): void {
    this.counter[this.tail] = flushCount;
    this.tail = (this.tail + 1) & this.mask;
  }
}

/** Pages of one size mapped back to back in one call: [iova, iova + bytes) → [phys, phys + bytes). */
interface MappedRun {
  readonly iova: number;
  readonly bytes: number;
  readonly phys: number;
}

/** Why a page of class `k` cannot go where a mapping of class `c` is. */
function overlapReason(c: number, k: number): string {
  if (c === k) return 'already mapped';
  if (c > k) return c === 2 ? 'inside a mapped 1 GiB page' : 'inside a mapped 2 MiB page';
  return k === 1 ? 'over mapped 4 KiB pages' : 'over mapped smaller pages';
}

/** The index of the run of `runs` (sorted by IOVA, disjoint) that holds `addr`, or -1. */
function runAt(runs: readonly MappedRun[], addr: number): number {
  let lo = 0, hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, r = runs[mid]!;
    if (addr < r.iova) hi = mid - 1;
    else if (addr >= r.iova + r.bytes) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * One DMA remapping domain's page tables: which IOVA pages map to which
 * physical (or, nested, guest-physical) pages, and its deferred flush
 * queues. The Iommu (iommu.ts) translates through it and charges the costs.
 */
export class Domain implements WalkDomain {
  /** Mappings per page-size class: page number → physical (or guest-physical) address of the page. */
  readonly pages: [Map<number, number>, Map<number, number>, Map<number, number>] = [new Map(), new Map(), new Map()];
  /** Long runs of pages per class (RUN_MIN_PAGES), sorted by IOVA; with `pages`, every mapping, none overlapping another. */
  private readonly runs: [MappedRun[], MappedRun[], MappedRun[]] = [[], [], []];
  /** 4 KiB mappings inside each 2 MiB frame, and smaller mappings inside each 1 GiB frame: to refuse overlapping maps. */
  private readonly smallIn2m = new Map<number, number>();
  private readonly smallIn1g = new Map<number, number>();
  /** Nested domains only: table key → guest-physical address of that page-table page. */
  private readonly tables: Map<number, number> | null;
  private nextTable: number;
  /** Requesters attached. */
  readonly requesters: number[] = [];
  /** Nested domains whose stage 2 this is. */
  readonly nestedUsers: Domain[] = [];
  /** The address of the page the last lookup found. */
  foundBase = 0;
  /** superpageFill '4k': per superpage (its tag × PAGE_SIZE_CLASSES + its class), when the last walk to its entry ends. */
  readonly superpageWalkEnd = new Map<number, number>();

  // Deferred invalidation state (Linux struct iommu_dma_cookie).
  readonly rings = new Map<number, FlushRing>();
  flushCount = 0;
  timerArmed = false;
  /** When each unmap not yet covered by a flush returned to its caller. */
  readonly pendingUnmaps: number[] = [];

  constructor(readonly id: number, readonly levels: number, readonly stage2: Domain | null, tableBase: number) {
    this.tables = stage2 === null ? null : new Map();
    this.nextTable = tableBase;
  }

  /** The class of the mapping holding `addr` (its page's address in foundBase), or -1. */
  lookup(addr: number): number {
    for (let k = 0; k < PAGE_SIZE_CLASSES; k++) {
      const page = Math.floor(addr / PAGE_BYTES[k]!);
      const base = this.pages[k]!.get(page);
      if (base !== undefined) {
        this.foundBase = base;
        return k;
      }
      const runs = this.runs[k]!;
      if (runs.length === 0) continue;
      const i = runAt(runs, addr);
      if (i >= 0) {
        const r = runs[i]!;
        this.foundBase = r.phys + (page * PAGE_BYTES[k]! - r.iova);
        return k;
      }
    }
    return -1;
  }

  leafLevelAt(addr: number): number {
    const k = this.lookup(addr);
    return k < 0 ? 0 : leafLevel(k);
  }

  tableAddr(level: number, addr: number): number {
    const t = this.tables?.get(tableKey(level, addr));
    if (t === undefined) throw new Error(`model bug: domain ${this.id} has no level-${level} table for 0x${addr.toString(16)}`);
    return t;
  }

  /** Why a page of class k at `iova` cannot be mapped, or null. */
  conflict(iova: number, k: number): string | null {
    const run = this.runConflict(iova, PAGE_BYTES[k]!, k);
    if (run !== null) return run;
    const v2m = Math.floor(iova / PAGE_BYTES[1]!), v1g = Math.floor(iova / PAGE_BYTES[2]!);
    if (this.pages[2].has(v1g)) return 'inside a mapped 1 GiB page';
    if (k <= 1 && this.pages[1].has(v2m)) return 'inside a mapped 2 MiB page';
    if (k === 0 && this.pages[0].has(Math.floor(iova / PAGE_BYTES[0]!))) return 'already mapped';
    if (k === 1 && (this.smallIn2m.get(v2m) ?? 0) > 0) return 'over mapped 4 KiB pages';
    if (k === 2 && (this.smallIn1g.get(v1g) ?? 0) > 0) return 'over mapped smaller pages';
    return null;
  }

  /** Why pages of class k over [iova, iova + bytes) cannot be mapped for the runs already there, or null. */
  private runConflict(iova: number, bytes: number, k: number): string | null {
    for (let c = 0; c < PAGE_SIZE_CLASSES; c++) {
      for (const r of this.runs[c]!) if (r.iova < iova + bytes && iova < r.iova + r.bytes) return overlapReason(c, k);
    }
    return null;
  }

  /**
   * Why `pages` pages of class k from `iova` cannot be mapped as one run, or
   * null: the checks of conflict() for the whole range at once, through
   * the mappings already there rather than page by page.
   */
  runConflictOf(iova: number, pages: number, k: number): { at: number; why: string } | null {
    const bytes = pages * PAGE_BYTES[k]!, end = iova + bytes;
    const run = this.runConflict(iova, bytes, k);
    if (run !== null) return { at: iova, why: run };
    let first: { at: number; why: string } | null = null;
    for (let c = 0; c < PAGE_SIZE_CLASSES; c++) {
      const size = PAGE_BYTES[c]!;
      for (const page of this.pages[c]!.keys()) {
        const at = page * size;
        if (at < end && iova < at + size && (first === null || Math.max(at, iova) < first.at)) first = { at: Math.max(at, iova), why: overlapReason(c, k) };
      }
    }
    return first;
  }

  /** Maps `pages` pages of class k from `iova` to `phys` as one run (single-stage domains: nested ones allocate tables per page). */
  addRun(iova: number, phys: number, pages: number, k: number): void {
    if (this.tables !== null) throw new Error(`model bug: domain ${this.id} is nested; its maps go page by page`);
    const runs = this.runs[k]!, run = { iova, bytes: pages * PAGE_BYTES[k]!, phys };
    let i = runs.length;
    while (i > 0 && runs[i - 1]!.iova > iova) i--;
    runs.splice(i, 0, run);
  }

  /** Whether maps of `pages` pages at once may go in as one run. */
  takesRun(pages: number): boolean {
    return this.tables === null && pages >= RUN_MIN_PAGES;
  }

  add(iova: number, phys: number, k: number): void {
    this.pages[k]!.set(Math.floor(iova / PAGE_BYTES[k]!), phys);
    if (k === 0) bump(this.smallIn2m, Math.floor(iova / PAGE_BYTES[1]!), 1);
    if (k <= 1) bump(this.smallIn1g, Math.floor(iova / PAGE_BYTES[2]!), 1);
    const tables = this.tables;
    if (tables !== null) {
      // The guest's tables from the root down to the one holding the leaf entry, allocated on first use.
      for (let l = this.levels; l >= leafLevel(k); l--) {
        const key = tableKey(l, iova);
        if (!tables.has(key)) {
          tables.set(key, this.nextTable);
          this.nextTable += TABLE_BYTES;
        }
      }
    }
  }

  remove(iova: number, k: number): void {
    const runs = this.runs[k]!;
    const i = runAt(runs, iova);
    if (i >= 0) {
      // One page out of a run: what is left on either side stays mapped.
      const r = runs[i]!, size = PAGE_BYTES[k]!, left = iova - r.iova, right = r.iova + r.bytes - iova - size;
      const rest: MappedRun[] = [];
      if (left > 0) rest.push({ iova: r.iova, bytes: left, phys: r.phys });
      if (right > 0) rest.push({ iova: iova + size, bytes: right, phys: r.phys + left + size });
      runs.splice(i, 1, ...rest);
      return;
    }
    this.pages[k]!.delete(Math.floor(iova / PAGE_BYTES[k]!));
    if (k === 0) bump(this.smallIn2m, Math.floor(iova / PAGE_BYTES[1]!), -1);
    if (k <= 1) bump(this.smallIn1g, Math.floor(iova / PAGE_BYTES[2]!), -1);
  }

  ring(cpu: number, size: number): FlushRing {
    let r = this.rings.get(cpu);
    if (r === undefined) {
      r = new FlushRing(size);
      this.rings.set(cpu, r);
    }
    return r;
  }
}

/** The key of the level-`level` table that translates `addr`: one table covers what one entry of the level above maps. */
function tableKey(level: number, addr: number): number {
  return Math.floor(addr / levelSpan(level + 1)) * KEY_LEVELS + level;
}

function bump(m: Map<number, number>, key: number, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n === 0) m.delete(key);
  else m.set(key, n);
}

/**
 * IOMMU page walks and the paging-structure caches (PSCs) that shorten them.
 *
 * Paging structures (VT-d spec, second-level translation: the x86-64 layout,
 * Intel SDM Vol. 3A §4.5): each table is a
 * 4 KiB page of 512 8-byte entries, so each level resolves 9 bits of the
 * address above the 12-bit page offset. Levels are numbered from the leaf up:
 * level 1 = page table (PT, maps 4 KiB), 2 = page directory (PD, 2 MiB),
 * 3 = PDPT (1 GiB), 4 = PML4 (512 GiB), 5 = PML5 (256 TiB). A domain uses
 * 4 or 5 levels. A 2 MiB page is a PD entry with PS set, a 1 GiB page a PDPT
 * entry with PS set: their walks end one or two levels early.
 *
 * A walk reads one entry per level from the root down to the leaf, each read
 * a memory access. The PSCs keep upper-level, non-leaf entries, tagged with
 * the domain id (VT-d spec, "Caching Translation Information"; the same
 * caches as the CPU's, Intel SDM Vol. 3A §4.10.3: a PDE-cache entry is
 * looked up by address bits 47:21 and holds the page table's address): a
 * PD-entry hit gives the page table's address at once, so a 4 KiB walk is one read; a
 * PDPT-entry hit leaves two reads (PD, PT); and so on. The walk uses the
 * lowest (deepest) level that hits, and caches every non-leaf entry it reads.
 * The PSCs are looked up in parallel in hardware; here the levels are probed
 * from the deepest up and only the one used moves in its LRU order.
 *
 * Nested (two-stage) translation, for a device assigned to a guest: the
 * guest's stage-1 tables map IOVA → guest-physical (GPA), and live in guest
 * memory, so every stage-1 entry read is first translated by a stage-2
 * (host) walk of the table's GPA; the final GPA needs one more host walk.
 * With n guest and m host reads per walk that is n(m + 1) + m =
 * (n + 1)(m + 1) − 1 reads: 24 for 4 × 4 levels, 15 with 2 MiB pages in both
 * stages (3 × 3), as SOURCES.md gives. A modelling choice: stage-1 PSC
 * entries of a nested domain hold the host address of the next table, so a
 * stage-1 PSC hit also spares the host walks of the tables above it (a cache
 * of guest addresses would still need a host walk per remaining table). Host
 * walks use the same PSCs, tagged with the stage-2 domain's id.
 *
 * Left out: context/PASID caches (one lookup per requester, assumed always
 * hit), access/dirty bit updates, and walks of non-present entries (a
 * translation fault is reported without reads). Walks are not queued: the
 * root complex already serializes translations in order.
 */
import { NO_SLOT, SetAssocLru } from './iotlb.js';

/** Bits of address each level resolves: 512 entries per 4 KiB table. */
export const LEVEL_BITS = 9;
/** The page offset below the lowest level. */
export const PAGE_SHIFT = 12;
/** Levels a domain may have (4: 48-bit, 5: 57-bit addresses). */
export const MIN_LEVELS = 4;
export const MAX_LEVELS = 5;
/** walkNested's result when a stage-1 table page is not mapped in stage 2. */
export const WALK_FAULT = -1;

/** Bytes one entry of a level-`level` table maps: 4 KiB at level 1, ×512 per level up. */
export function levelSpan(level: number): number {
  return 2 ** (PAGE_SHIFT + LEVEL_BITS * (level - 1));
}

/** The level whose entries map a page of size class k (PAGE_4K → 1, PAGE_2M → 2, PAGE_1G → 3). */
export function leafLevel(sizeClass: number): number {
  return sizeClass + 1;
}

/** The size of the address space of a domain with `levels` levels, bytes. */
export function addressSpan(levels: number): number {
  return levelSpan(levels + 1);
}

/** PSC capacities per level, entries (0 = no cache at that level). */
export interface PscConfig {
  readonly pml5: number;
  readonly pml4: number;
  readonly pdpt: number;
  readonly pd: number;
}

/** What a nested walk needs to know about a domain. */
export interface WalkDomain {
  /** Domain id: the tag of its PSC entries. */
  readonly id: number;
  readonly levels: number;
  /** The leaf level of the mapping of `addr` (1, 2 or 3), 0 if it is not mapped. */
  leafLevelAt(addr: number): number;
  /** Address (in the space the domain's tables live in: GPA for a guest) of the level-`level` table used to translate `addr`. */
  tableAddr(level: number, addr: number): number;
}

export interface WalkStats {
  readonly walks: number;
  readonly nestedWalks: number;
  /** Memory reads of page-table entries, all walks. */
  readonly reads: number;
  /** PSC hits by level (index = level; 0 and 1 unused). */
  readonly pscHits: readonly number[];
  readonly pscLookups: number;
}

/**
 * Counts the reads of each walk against the PSCs (shared by every domain of
 * one IOMMU, tagged by domain id). Walk time is reads × the read latency;
 * the IOMMU multiplies.
 */
export class PageWalker {
  /** PSC per level (index 2..5); index 0 and 1 unused (level 1 entries are leaves, cached by the IOTLB). */
  private readonly psc: SetAssocLru[];
  private readonly span: Float64Array;
  private walks = 0;
  private nestedWalks = 0;
  private reads = 0;
  private pscLookups = 0;
  private readonly pscHits = new Float64Array(MAX_LEVELS + 1);

  constructor(cfg: PscConfig) {
    const fa = (n: number, name: string) => new SetAssocLru(n, Math.max(1, n), name);
    const none = fa(0, 'unused');
    this.psc = [none, none, fa(cfg.pd, 'PD-entry cache'), fa(cfg.pdpt, 'PDPT-entry cache'), fa(cfg.pml4, 'PML4-entry cache'), fa(cfg.pml5, 'PML5-entry cache')];
    this.span = new Float64Array(MAX_LEVELS + 2);
    for (let l = 1; l <= MAX_LEVELS + 1; l++) this.span[l] = levelSpan(l);
  }

  /**
   * One walk of a single-stage domain to the leaf at level `leaf` for `addr`
   * (which the caller knows is mapped); returns the memory reads it took and
   * caches the non-leaf entries it read.
   */
  walk(domain: number, levels: number, addr: number, leaf: number): number {
    this.walks++;
    const r = this.stageReads(domain, levels, addr, leaf);
    this.reads += r;
    return r;
  }

  /**
   * One nested walk: stage 1 (`s1`, IOVA → GPA) with its leaf at `s1Leaf`,
   * each of its table reads translated by stage 2 (`s2`), then the data GPA
   * `gpa` (whose stage-2 leaf is `s2Leaf`) walked in stage 2. Returns the
   * reads, or WALK_FAULT if a stage-1 table page is not mapped in stage 2.
   */
  walkNested(s1: WalkDomain, iova: number, s1Leaf: number, s2: WalkDomain, gpa: number, s2Leaf: number): number {
    this.walks++;
    this.nestedWalks++;
    const start = this.firstLevelToRead(s1.id, s1.levels, iova, s1Leaf);
    let reads = 0;
    for (let l = start; l >= s1Leaf; l--) {
      const table = s1.tableAddr(l, iova);
      const hostLeaf = s2.leafLevelAt(table);
      if (hostLeaf === 0) {
        this.reads += reads;
        return WALK_FAULT;
      }
      reads += this.stageReads(s2.id, s2.levels, table, hostLeaf) + 1;
    }
    this.fill(s1.id, iova, s1Leaf, start);
    reads += this.stageReads(s2.id, s2.levels, gpa, s2Leaf);
    this.reads += reads;
    return reads;
  }

  /**
   * Caches the non-leaf entries a walk of `addr` to the leaf at level `leaf`
   * reads, as a walk from the root would, without counting a walk, a read or
   * a lookup (Iommu.warmTranslations: the walks happened before the run).
   */
  warm(domain: number, levels: number, addr: number, leaf: number): void {
    this.fill(domain, addr, leaf, levels);
  }

  /** Drops the PSC entries of `domain` (what a domain-selective IOTLB invalidation does to them). */
  invalidateDomain(domain: number): number {
    let n = 0;
    for (let l = 2; l <= MAX_LEVELS; l++) n += this.psc[l]!.invalidateDomain(domain);
    return n;
  }

  /** PSC entries held at `level` (2..5). */
  pscSize(level: number): number {
    return this.psc[level]!.size;
  }

  stats(): WalkStats {
    return { walks: this.walks, nestedWalks: this.nestedWalks, reads: this.reads, pscHits: Array.from(this.pscHits), pscLookups: this.pscLookups };
  }

  /** Reads of one stage's walk, PSCs consulted and filled. */
  private stageReads(domain: number, levels: number, addr: number, leaf: number): number {
    const start = this.firstLevelToRead(domain, levels, addr, leaf);
    this.fill(domain, addr, leaf, start);
    return start - leaf + 1;
  }

  /**
   * The level of the first table the walk must read: just below the deepest
   * PSC hit, or the root. Only levels above the leaf can hit (their entries
   * point to tables, not pages).
   */
  private firstLevelToRead(domain: number, levels: number, addr: number, leaf: number): number {
    const psc = this.psc, span = this.span;
    for (let l = leaf + 1; l <= levels; l++) {
      const cache = psc[l]!;
      if (cache.entries === 0) continue;
      this.pscLookups++;
      if (cache.find(domain, Math.floor(addr / span[l]!)) !== NO_SLOT) {
        this.pscHits[l]!++;
        return l - 1;
      }
    }
    return levels;
  }

  /** Caches the non-leaf entries read by a walk that started at level `start`. */
  private fill(domain: number, addr: number, leaf: number, start: number): void {
    const psc = this.psc, span = this.span;
    for (let l = leaf + 1; l <= start; l++) psc[l]!.insert(domain, Math.floor(addr / span[l]!), 0);
  }
}

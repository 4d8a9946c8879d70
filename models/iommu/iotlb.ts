/**
 * Translation caches of the IOMMU model: the set-associative LRU store they
 * all use (SetAssocLru), the IOTLB with a separate capacity per page size
 * (Iotlb), and a device's ATS translation cache (DeviceTlb).
 *
 * Every lookup is on the per-TLP path, so the stores are typed arrays
 * allocated once, and a lookup allocates nothing: it scans the ways of one
 * set (all entries when fully associative) comparing (domain, tag).
 *
 * LRU is exact: each use stamps the entry with a counter that only grows, so
 * the victim in a full set is the entry with the smallest stamp. Ties cannot
 * happen (stamps are unique); an empty way is always taken before any
 * eviction, the lowest-numbered one first. Same inputs, same contents.
 *
 * Keys are (domain id, tag): VT-d tags cached translations with the domain
 * id (VT-d spec, "Caching Translation Information"), so devices in different
 * domains never share an entry. The set index is the
 * tag modulo the number of sets (the low bits of the virtual page number);
 * the domain is only compared.
 *
 * Page sizes are those of VT-d second-level (and x86) paging: 4 KiB pages
 * from page-table entries, 2 MiB from page-directory entries with PS set,
 * 1 GiB from PDPT entries with PS set (VT-d spec, second-level paging
 * structures; the x86-64 layout of Intel SDM Vol. 3A §4.5).
 */
import type { Time } from '../../src/sim/time.js';

// ---------------------------------------------------------------- page sizes

/** Page-size classes, indexes of PAGE_BYTES. */
export const PAGE_4K = 0;
export const PAGE_2M = 1;
export const PAGE_1G = 2;
export type PageSizeClass = typeof PAGE_4K | typeof PAGE_2M | typeof PAGE_1G;
export const PAGE_SIZE_CLASSES = 3;

/** Bytes of a page of each class. */
export const PAGE_BYTES: readonly number[] = Object.freeze([2 ** 12, 2 ** 21, 2 ** 30]);
/** Short names, for statistics. */
export const PAGE_NAMES: readonly string[] = Object.freeze(['4k', '2m', '1g']);

/** The class of a page of `bytes` bytes; throws for any other size. */
export function pageSizeClass(bytes: number): PageSizeClass {
  const k = PAGE_BYTES.indexOf(bytes);
  if (k < 0) throw new RangeError(`page size ${bytes} B: expected 4 KiB (4096), 2 MiB (2097152) or 1 GiB (1073741824)`);
  return k as PageSizeClass;
}

// ---------------------------------------------------------------- the store

/** What lookups return for "not there". */
export const NO_SLOT = -1;
/** The domain of an empty way. */
const EMPTY = -1;
/** staleSince of an entry whose mapping still exists. */
export const NOT_STALE = -1;

/**
 * A set-associative cache of (domain, tag) → value with exact LRU per set.
 * `entries` = 0 gives a cache that holds nothing. Fully associative when
 * `ways` = `entries`.
 */
export class SetAssocLru {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  /** Per slot: owning domain, EMPTY for an empty way. */
  readonly domain: Int32Array;
  /** Per slot: the tag (a page number; exact integers up to 2^53). */
  readonly tag: Float64Array;
  /** Per slot: the payload (a translation cache keeps the physical base of the page). */
  readonly value: Float64Array;
  /**
   * Per slot: NOT_STALE, or the time the entry's mapping was unmapped while
   * the entry stayed (deferred invalidation); translation caches read it on
   * a hit to count uses of stale translations.
   */
  readonly staleSince: Float64Array;
  private readonly lastUse: Float64Array;
  private clock = 0;
  private used = 0;
  /** The slot the last successful peek returned (a shortcut only: checked like any other). */
  private lastFound = NO_SLOT;
  /** Valid entries pushed out to make room. */
  evictions = 0;

  constructor(entries: number, ways: number, readonly name = 'cache') {
    if (!Number.isInteger(entries) || entries < 0) throw new RangeError(`${name}: entries must be a whole number >= 0, got ${entries}`);
    if (!Number.isInteger(ways) || ways < 1) throw new RangeError(`${name}: ways must be a whole number >= 1, got ${ways}`);
    if (entries % ways !== 0) throw new RangeError(`${name}: ${ways} ways do not divide ${entries} entries into whole sets`);
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.domain = new Int32Array(entries).fill(EMPTY);
    this.tag = new Float64Array(entries);
    this.value = new Float64Array(entries);
    this.staleSince = new Float64Array(entries).fill(NOT_STALE);
    this.lastUse = new Float64Array(entries);
  }

  /** Valid entries. */
  get size(): number {
    return this.used;
  }

  /** The slot holding (domain, tag), NO_SLOT if none; a hit becomes the most recently used of its set. */
  find(domain: number, tag: number): number {
    const slot = this.peek(domain, tag);
    if (slot !== NO_SLOT) this.lastUse[slot] = ++this.clock;
    return slot;
  }

  /** As find, without touching the LRU order. */
  peek(domain: number, tag: number): number {
    const sets = this.sets;
    if (sets === 0) return NO_SLOT;
    const d = this.domain, t = this.tag;
    // A DMA stream sends many TLPs to one page in a row: try the last slot found before scanning its set.
    const last = this.lastFound;
    if (t[last] === tag && d[last] === domain) return last;
    const ways = this.ways;
    const base = (tag % sets) * ways;
    for (let s = base, end = base + ways; s < end; s++) {
      if (t[s] === tag && d[s] === domain) {
        this.lastFound = s;
        return s;
      }
    }
    return NO_SLOT;
  }

  /**
   * Puts (domain, tag) → value in, as the most recently used entry of its set,
   * replacing an empty way or else the least recently used one; returns its
   * slot (NO_SLOT when the cache has no entries). An entry already there is
   * updated in place.
   */
  insert(domain: number, tag: number, value: number): number {
    const sets = this.sets;
    if (sets === 0) return NO_SLOT;
    const ways = this.ways;
    const base = (tag % sets) * ways;
    const d = this.domain, t = this.tag, use = this.lastUse;
    let victim = NO_SLOT, oldest = Infinity;
    for (let s = base, end = base + ways; s < end; s++) {
      const ds = d[s]!;
      if (ds === domain && t[s] === tag) { victim = s; break; }
      if (ds === EMPTY) {
        if (oldest !== -Infinity) { victim = s; oldest = -Infinity; }
      } else if (use[s]! < oldest) {
        victim = s;
        oldest = use[s]!;
      }
    }
    if (d[victim] === EMPTY) this.used++;
    else if (!(d[victim] === domain && t[victim] === tag)) this.evictions++;
    d[victim] = domain;
    t[victim] = tag;
    this.value[victim] = value;
    this.staleSince[victim] = NOT_STALE;
    use[victim] = ++this.clock;
    return victim;
  }

  /** Empties one slot. */
  invalidateSlot(slot: number): void {
    if (this.domain[slot] === EMPTY) return;
    this.domain[slot] = EMPTY;
    this.staleSince[slot] = NOT_STALE;
    this.used--;
  }

  /** Empties every entry of `domain`; returns how many. */
  invalidateDomain(domain: number): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) {
      if (this.domain[s] === domain) { this.invalidateSlot(s); n++; }
    }
    return n;
  }

  /** Empties the entries of `domain` with firstTag <= tag <= lastTag; returns how many. */
  invalidateRange(domain: number, firstTag: number, lastTag: number): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) {
      const t = this.tag[s]!;
      if (this.domain[s] === domain && t >= firstTag && t <= lastTag) { this.invalidateSlot(s); n++; }
    }
    return n;
  }

  /** Marks the entries of `domain` with firstTag <= tag <= lastTag stale since `at` (if not already); returns how many. */
  markStale(domain: number, firstTag: number, lastTag: number, at: Time): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) {
      const t = this.tag[s]!;
      if (this.domain[s] === domain && t >= firstTag && t <= lastTag && this.staleSince[s] === NOT_STALE) {
        this.staleSince[s] = at;
        n++;
      }
    }
    return n;
  }

  /** Empties everything. */
  clear(): void {
    this.domain.fill(EMPTY);
    this.staleSince.fill(NOT_STALE);
    this.used = 0;
  }
}

// ---------------------------------------------------------------- IOTLB

export interface IotlbConfig {
  /** Entries per page-size class (4 KiB, 2 MiB, 1 GiB). */
  readonly entries: readonly [number, number, number];
  /** Ways per page-size class. */
  readonly ways: readonly [number, number, number];
}

/**
 * The IOMMU's IOTLB: one SetAssocLru per page size, looked up together (the
 * page size of an address is not known before the lookup), each keyed by
 * (domain, page number at its size). After a hit, `hitClass` and `hitSlot`
 * say where, and physAddr() gives the translation.
 */
export class Iotlb {
  readonly caches: readonly [SetAssocLru, SetAssocLru, SetAssocLru];
  /** Page-size class and slot of the last hit. */
  hitClass = -1;
  hitSlot = NO_SLOT;
  /** Hits per page-size class. */
  readonly hits = new Float64Array(PAGE_SIZE_CLASSES);
  lookups = 0;

  constructor(cfg: IotlbConfig, name = 'iotlb') {
    this.caches = [
      new SetAssocLru(cfg.entries[0], cfg.ways[0], `${name} 4 KiB`),
      new SetAssocLru(cfg.entries[1], cfg.ways[1], `${name} 2 MiB`),
      new SetAssocLru(cfg.entries[2], cfg.ways[2], `${name} 1 GiB`),
    ];
  }

  /** Looks `addr` up for `domain`; true on a hit (the entry becomes most recently used). */
  lookup(domain: number, addr: number): boolean {
    this.lookups++;
    const c = this.caches;
    for (let k = 0; k < PAGE_SIZE_CLASSES; k++) {
      const cache = c[k]!;
      if (cache.size === 0) continue;
      const slot = cache.find(domain, Math.floor(addr / PAGE_BYTES[k]!));
      if (slot !== NO_SLOT) {
        this.hitClass = k;
        this.hitSlot = slot;
        this.hits[k]!++;
        return true;
      }
    }
    return false;
  }

  /** The physical address of `addr` through the last hit. */
  physAddr(addr: number): number {
    const k = this.hitClass;
    return this.caches[k]!.value[this.hitSlot]! + (addr % PAGE_BYTES[k]!);
  }

  /** When the last hit's mapping was unmapped, NOT_STALE if it still exists. */
  hitStaleSince(): number {
    return this.caches[this.hitClass]!.staleSince[this.hitSlot]!;
  }

  /** Caches the translation of the page of class `k` holding `addr`, whose first byte is at `physBase`. */
  insert(domain: number, addr: number, k: number, physBase: number): void {
    this.caches[k]!.insert(domain, Math.floor(addr / PAGE_BYTES[k]!), physBase);
  }

  /** Drops the entries of `domain` that translate any byte of [lo, hi); returns how many. */
  invalidateRange(domain: number, lo: number, hi: number): number {
    let n = 0;
    for (let k = 0; k < PAGE_SIZE_CLASSES; k++) {
      const b = PAGE_BYTES[k]!;
      n += this.caches[k]!.invalidateRange(domain, Math.floor(lo / b), Math.floor((hi - 1) / b));
    }
    return n;
  }

  /** Marks the entries of `domain` for [lo, hi) stale since `at`. */
  markStale(domain: number, lo: number, hi: number, at: Time): number {
    let n = 0;
    for (let k = 0; k < PAGE_SIZE_CLASSES; k++) {
      const b = PAGE_BYTES[k]!;
      n += this.caches[k]!.markStale(domain, Math.floor(lo / b), Math.floor((hi - 1) / b), at);
    }
    return n;
  }

  invalidateDomain(domain: number): number {
    return this.caches[0].invalidateDomain(domain) + this.caches[1].invalidateDomain(domain) + this.caches[2].invalidateDomain(domain);
  }

  get size(): number {
    return this.caches[0].size + this.caches[1].size + this.caches[2].size;
  }

  get evictions(): number {
    return this.caches[0].evictions + this.caches[1].evictions + this.caches[2].evictions;
  }
}

// ---------------------------------------------------------------- ATS device TLB

/**
 * A device's ATS translation cache (PCIe Base Spec, Address Translation
 * Services: the device's "ATC"): one small fully associative store for all
 * page sizes, each entry tagged with its size class (tag = page number × 4 +
 * class), so a 2 MiB translation takes one entry, as a 4 KiB one does.
 */
export class DeviceTlb {
  readonly cache: SetAssocLru;
  hitClass = -1;
  hitSlot = NO_SLOT;
  hits = 0;
  lookups = 0;

  constructor(entries: number, name = 'atc') {
    this.cache = new SetAssocLru(entries, Math.max(1, entries), name);
  }

  lookup(domain: number, addr: number): boolean {
    this.lookups++;
    const c = this.cache;
    if (c.size === 0) return false;
    for (let k = 0; k < PAGE_SIZE_CLASSES; k++) {
      const slot = c.find(domain, Math.floor(addr / PAGE_BYTES[k]!) * TAG_CLASSES + k);
      if (slot !== NO_SLOT) {
        this.hitClass = k;
        this.hitSlot = slot;
        this.hits++;
        return true;
      }
    }
    return false;
  }

  physAddr(addr: number): number {
    return this.cache.value[this.hitSlot]! + (addr % PAGE_BYTES[this.hitClass]!);
  }

  hitStaleSince(): number {
    return this.cache.staleSince[this.hitSlot]!;
  }

  insert(domain: number, addr: number, k: number, physBase: number): void {
    this.cache.insert(domain, Math.floor(addr / PAGE_BYTES[k]!) * TAG_CLASSES + k, physBase);
  }

  /** Drops the entries of `domain` for any byte of [lo, hi) (an ATS invalidation request for the range). */
  invalidateRange(domain: number, lo: number, hi: number): number {
    return this.forRange(domain, lo, hi, (s) => this.cache.invalidateSlot(s));
  }

  markStale(domain: number, lo: number, hi: number, at: Time): number {
    const c = this.cache;
    return this.forRange(domain, lo, hi, (s) => { if (c.staleSince[s] === NOT_STALE) c.staleSince[s] = at; });
  }

  invalidateDomain(domain: number): number {
    return this.cache.invalidateDomain(domain);
  }

  get size(): number {
    return this.cache.size;
  }

  private forRange(domain: number, lo: number, hi: number, fn: (slot: number) => void): number {
    const c = this.cache;
    let n = 0;
    for (let s = 0; s < c.entries; s++) {
      if (c.domain[s] !== domain) continue;
      const tag = c.tag[s]!, k = tag % TAG_CLASSES, b = PAGE_BYTES[k]!;
      const start = ((tag - k) / TAG_CLASSES) * b;
      if (start < hi && start + b > lo) { fn(s); n++; }
    }
    return n;
  }
}

/** Tag stride that leaves room for the size class in a DeviceTlb tag. */
const TAG_CLASSES = 4;

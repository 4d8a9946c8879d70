/**
 * The IOMMU: DMA remapping of device requests (Intel VT-d as Linux drives it
 * through dma-iommu), usable as a root complex's translate hook:
 *
 *   rootComplex.translate = iommu.translate;   // (addr, requester) => { ok, delayPs }
 *
 * What it models
 *  - Domains (their state: domain.ts): each requester ID is attached to
 *    one domain (VT-d context entry → domain id); a domain maps IOVA pages
 *    to physical pages of
 *    4 KiB, 2 MiB or 1 GiB, with 4 or 5 page-table levels. A nested domain
 *    (a device assigned to a guest) maps IOVA → guest-physical, and its
 *    stage-2 domain maps guest-physical → host-physical; its own page-table
 *    pages live in guest memory (allocated from `tableBase` as mappings need
 *    them), so walking them needs the stage-2 translation too.
 *  - translate(addr, requester): the device's ATS cache first, if it has
 *    one; then the IOTLB (hit: hitLatency); on a miss a page walk (reads ×
 *    walkReadLatency, page-walk.ts) whose result is cached; an address with
 *    no mapping is a translation fault: ok = false, counted, never thrown.
 *  - Second-level IOTLB (l2Iotlb*, optional): 4 KiB translations only,
 *    looked up when the first-level IOTLB misses, before any walk; a hit
 *    refills the first level and costs l2IotlbHitLatency, the lookup, on
 *    the page walker free first (waiting for one if all are busy), with no
 *    page-table read; a DMA read keeps that walker l2IotlbReadHeld longer
 *    (fitted: loaded reads served by the second level finish no faster
 *    than walks do; the read itself is not delayed by it). Every walk that ends at a 4 KiB translation fills both levels
 *    (not exclusive: the reach is the larger of the two). Invalidations
 *    reach it as they reach the first level. Fitted to pcie-bench with
 *    4 KiB IOMMU pages (see the preset): the first level's 64 entries give
 *    the sharp loaded cliff, the second level's reach the unloaded miss
 *    fraction and posted writes' full speed to 512 KiB-1 MiB.
 *  - walkerHeldPerWalk: every walk keeps its walker busy this much past
 *    its last read (filling the caches) before the next miss can start on
 *    it; the translation is not delayed. Absent = 0 (fitted per generation:
 *    Ivy Bridge's walks finish fewer a second than its walk latency gives).
 *  - walkerHeldPerReadLine: a DMA read that misses keeps its walker busy
 *    past the walk for this much per 64 B line it fetches (fitted to
 *    pcie-bench: misses that read complete fewer per second than writes);
 *    the read's own delay is unchanged. Absent = 0.
 *  - superpageFill '4k' (an IOTLB without superpage entries, as pcie-bench
 *    measured Sandy Bridge's): a walk to a 2 MiB or 1 GiB page caches only
 *    the 4 KiB piece asked for, and a miss to a superpage whose walk is in
 *    flight waits for it and its fill (walkerHeldPerWalk: the fill does not
 *    serve it) and then walks. The IOMMU looks at its oldest
 *    `superpageMissWindow` waiting misses only (absent: 1, misses start in
 *    arrival order), so a held miss holds back those behind it beyond these.
 *  - warmTranslations: the caches as a device's writes over a range, in
 *    address order, just before the run leave them (the IOTLB, its second
 *    level, the PSCs), uncounted: a host cache warmed by the device through
 *    the IOMMU (iommu.generic's warmWithHostCache).
 *  - map / mapSg / unmap: dma_map_sg / dma_unmap_sg with their software
 *    costs per call and per page; each returns its duration in ps, so a
 *    process can `yield iommu.unmap(...)`. Mapping needs no invalidation
 *    (VT-d caches no not-present entries unless Caching Mode is set).
 *  - Invalidation, two modes (Linux drivers/iommu/dma-iommu.c):
 *    strict: each unmap invalidates its range at once (page-selective, with
 *      the invalidation hint set, since no page-table page is freed: the
 *      PSCs survive; Linux intel_iommu_tlb_sync passes ih = 1 when its
 *      freelist is empty) and the caller waits flushCost.
 *    deferred (Linux's default on x86, IOMMU_DEFAULT_DMA_LAZY): the page-table
 *      entries are cleared, but cached translations stay usable until a
 *      domain-wide flush (IOTLB, PSCs and device TLBs of the domain). The
 *      unmap goes into a per-CPU ring of flushQueueSize slots (one kept
 *      empty, as fq_full does); an unmap that finds its ring full flushes
 *      first and waits for it; the first queued unmap arms a timer of
 *      flushTimeout whose handler flushes unconditionally (fq_flush_timeout).
 *      The time from an unmap's return to the flush that ends it is its
 *      stale window (0 in strict mode); a translation served from an entry
 *      whose mapping is gone is a stale hit.
 *  - ATS (optional per device): a small fully associative device TLB tried
 *    first; a hit costs nothing at the root complex (the request arrives
 *    translated); a miss adds the translation request's round trip
 *    (atsMissLatency) to the IOMMU's own lookup. Invalidations reach it,
 *    and add atsInvalidation to their cost.
 *
 * Left out: the context and PASID caches, page-request (PRI), interrupt
 * remapping, invalidation-queue occupancy, concurrent walks competing for
 * walkers or memory, page-table memory traffic on the memory model, and
 * IOVA allocation (the caller picks IOVAs). Unmap ranges must cover whole
 * mappings; mapping over a mapping is refused (both are driver bugs that
 * Linux warns about). An unmap in a stage-2 domain drops every cached
 * translation of the nested domains built on it at its invalidation (they
 * cannot be found by range), and their stale hits are not counted.
 * Invalidations take effect when issued; their cost is what the caller waits.
 */
import { distribution } from '../../src/stats/distribution.js';
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import type { Simulation } from '../../src/sim/simulation.js';
import { PS_PER_NS, type Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import type { TranslateResult } from '../pcie/root-complex.js';
import { DeviceTlb, Iotlb, NO_SLOT, NOT_STALE, PAGE_4K, PAGE_BYTES, PAGE_NAMES, PAGE_SIZE_CLASSES, SetAssocLru, pageSizeClass } from './iotlb.js';
import { Domain, TABLE_BYTES } from './domain.js';
import { MAX_LEVELS, MIN_LEVELS, PageWalker, WALK_FAULT, addressSpan, leafLevel } from './page-walk.js';
import { effectiveWays, iommuParams, type IommuParams, type IommuParamsInput } from './params.js';

/** A cache line: a DMA read fetches memory line by line (memory.ts uses the same 64 B). */
const CACHE_LINE_BYTES = 64;

/** Requester IDs are 16 bits: bus 8, device 5, function 3 (PCIe Base Spec §2.2.6.2). */
const REQUESTER_ID_COUNT = 1 << 16;
const NO_DOMAIN = -1;
const NO_ATC = -1;

// ---------------------------------------------------------------- results and statistics

export type TranslationSource = 'ats' | 'iotlb' | 'walk' | 'fault';

/** A translation: the root complex's TranslateResult plus where it came from and what it gave. */
export interface IommuTranslation extends TranslateResult {
  /** The translated (host-physical) address; 0 on a fault. */
  readonly physAddr: number;
  /** Bytes of the page it came from; 0 on a fault. */
  readonly pageBytes: number;
  readonly source: TranslationSource;
}

/** The one result object translate() fills (nothing is allocated per translation): read it before the next call. */
class Translation implements IommuTranslation {
  ok = false;
  delayPs = 0;
  physAddr = 0;
  pageBytes = 0;
  source: TranslationSource = 'fault';
}

export interface IommuStats {
  readonly translations: number;
  readonly atsHits: number;
  readonly atsMisses: number;
  /** Hits in either level of the IOTLB. */
  readonly iotlbHits: number;
  /** The part of `iotlbHits` served by the second-level IOTLB. */
  readonly l2IotlbHits: number;
  /** First-level hits per page-size class (PAGE_4K, PAGE_2M, PAGE_1G). */
  readonly iotlbHitsBySize: readonly number[];
  /** IOTLB misses that found a mapping, by the class of the page walked to. */
  readonly iotlbMisses: number;
  readonly iotlbMissesBySize: readonly number[];
  readonly iotlbEvictions: number;
  readonly walks: number;
  readonly nestedWalks: number;
  readonly walkReads: number;
  /** Time spent walking, ps (reads × walkReadLatency). */
  readonly walkPs: number;
  /** Time misses waited for a free page walker (or, superpageFill '4k', for a walk of the same superpage), ps. */
  readonly walkerWaitPs: number;
  /** Translation faults: no mapping (or no domain for the requester). */
  readonly faults: number;
  /** The part of `faults` from requesters attached to no domain. */
  readonly contextFaults: number;
  /** Translations served from a cached entry whose mapping had been unmapped. */
  readonly staleHits: number;
  /** Longest time after an unmap returned that its translation was still used, ps (0 if never). */
  readonly staleUseMaxPs: number;
  readonly maps: number;
  readonly mapPages: number;
  readonly mapPs: number;
  readonly unmaps: number;
  readonly unmapPages: number;
  /** Time callers spent in unmap, flushes they waited for included, ps. */
  readonly unmapPs: number;
  /** IOTLB invalidations issued, all kinds. */
  readonly invalidations: number;
  readonly strictFlushes: number;
  readonly queueFullFlushes: number;
  readonly timerFlushes: number;
  /** Device TLBs invalidated (one per ATS device reached by an invalidation). */
  readonly atsInvalidations: number;
  /** Time of all invalidations, waited for or not, ps. */
  readonly flushPs: number;
  /** Unmaps whose stale window is closed (strict: every unmap, with window 0). */
  readonly staleWindows: number;
  readonly staleWindowMeanPs: number;
  readonly staleWindowMaxPs: number;
}

export const iommuStats: readonly StatDecl[] = [
  { name: 'translations', unit: 'requests', description: 'Requests translated (ATS, IOTLB or walk) or faulted' },
  { name: 'ats_hits', unit: 'requests', description: 'Requests translated by the device TLB (ATS), the IOMMU skipped' },
  { name: 'iotlb_hits', unit: 'requests', description: 'IOTLB hits' },
  { name: 'l2_iotlb_hits', unit: 'requests', description: 'IOTLB hits served by the second-level IOTLB (first-level misses that needed no walk)' },
  { name: 'iotlb_hit_rate', unit: 'fraction', description: 'IOTLB hits / IOTLB lookups that found a mapping' },
  ...PAGE_NAMES.map((n): StatDecl => ({ name: `iotlb_misses_${n}`, unit: 'requests', description: `IOTLB misses walked to a ${n.toUpperCase()} page` })),
  { name: 'walks', unit: 'walks', description: 'Page walks' },
  { name: 'walk_reads', unit: 'reads', description: 'Page-table reads of all walks' },
  { name: 'reads_per_walk', unit: 'reads', description: 'Mean page-table reads per walk' },
  { name: 'walker_wait_mean_ns', unit: 'ns', description: 'Mean time a walk waited for a free page walker' },
  { name: 'faults', unit: 'requests', description: 'Translation faults (no mapping, or no domain)' },
  { name: 'stale_hits', unit: 'requests', description: 'Translations served from entries whose mapping was already unmapped (deferred invalidation)' },
  { name: 'invalidations', unit: 'flushes', description: 'IOTLB invalidations (strict, queue full, timer)' },
  { name: 'timer_flushes', unit: 'flushes', description: 'Deferred-mode flushes by the timer' },
  { name: 'queue_full_flushes', unit: 'flushes', description: 'Deferred-mode flushes because a flush queue was full' },
  { name: 'unmap_mean_ns', unit: 'ns', description: 'Mean time an unmap call took, flushes it waited for included' },
  { name: 'stale_window_ns', unit: 'ns', description: 'Per unmap: time its IOVA stayed translatable after the unmap returned (0 in strict mode)', kind: 'distribution' },
];

export interface DomainOptions {
  /** Page-table levels, 4 or 5 (default: the `levels` parameter). */
  readonly levels?: number;
}

export interface NestedDomainOptions extends DomainOptions {
  /** Guest-physical address where the guest's page-table pages are allocated (must be mapped in stage 2). */
  readonly tableBase: number;
}

export interface AttachOptions {
  /** Give the device an ATS translation cache (default: the `ats` parameter). */
  readonly ats?: boolean;
}

/** One piece of a scatter-gather list: `bytes` of physical memory at `phys`. */
export interface SgSegment {
  readonly phys: number;
  readonly bytes: number;
}

// ---------------------------------------------------------------- the IOMMU

export class Iommu {
  readonly name: string;
  readonly params: IommuParams;
  readonly iotlb: Iotlb;
  /** The second-level IOTLB of 4 KiB translations (0 entries when the preset has none). */
  readonly l2Iotlb: SetAssocLru;
  readonly walker: PageWalker;
  /**
   * The root complex hook (a root-complex.ts TranslateFn), bound to this
   * IOMMU. It returns one reused result object: read it before the next call.
   */
  readonly translate: (addr: number, requester: number, readBytes?: number) => IommuTranslation;
  /** Stale windows of unmaps, ns. */
  readonly staleWindow = new Histogram();

  private readonly domains: Domain[] = [];
  private readonly domainOf = new Int32Array(REQUESTER_ID_COUNT).fill(NO_DOMAIN);
  private readonly atcOf = new Int32Array(REQUESTER_ID_COUNT).fill(NO_ATC);
  private readonly atcs: (DeviceTlb | null)[] = [];
  private readonly result = new Translation();

  private translations = 0;
  private atsHits = 0;
  private atsMisses = 0;
  private l2Hits = 0;
  private readonly misses = new Float64Array(PAGE_SIZE_CLASSES);
  private walkPs = 0;
  /** When each page walker is next free (ps); a miss takes the earliest. */
  private readonly walkerFree: Float64Array;
  private walkerWaitPs = 0;
  /**
   * superpageFill '4k': the latest starts of the misses so far, the largest
   * `superpageMissWindow` of them, in ascending order (a miss starts no earlier
   * than the smallest: see translate).
   */
  private readonly latestWalkStarts: Float64Array;
  private faults = 0;
  private contextFaults = 0;
  private staleHits = 0;
  private staleUseMaxPs = 0;
  private maps = 0;
  private mapPages = 0;
  private mapPs = 0;
  private unmaps = 0;
  private unmapPages = 0;
  private unmapPs = 0;
  private strictFlushes = 0;
  private queueFullFlushes = 0;
  private timerFlushes = 0;
  private atsInvalidations = 0;
  private flushPs = 0;
  private staleWindowSumPs = 0;
  private staleWindowMaxPs = 0;

  /**
   * `params` are checked against the iommu.params schema (durations as ps
   * numbers or strings such as "250 ns"); what is left out takes its default.
   */
  constructor(private readonly sim: Simulation, params: IommuParamsInput, name = 'iommu') {
    this.name = name;
    const parsed = iommuParams.safeParse(params);
    if (!parsed.success) throw new RangeError(`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const p = this.params = Object.freeze(parsed.data);
    this.iotlb = new Iotlb({
      entries: [p.iotlb4kEntries, p.iotlb2mEntries, p.iotlb1gEntries],
      ways: [effectiveWays(p.iotlb4kWays, p.iotlb4kEntries), effectiveWays(p.iotlb2mWays, p.iotlb2mEntries), effectiveWays(p.iotlb1gWays, p.iotlb1gEntries)],
    }, `${name} IOTLB`);
    const l2 = p.l2IotlbEntries ?? 0;
    this.l2Iotlb = new SetAssocLru(l2, effectiveWays(p.l2IotlbWays ?? l2, l2), `${name} second-level IOTLB`);
    this.walker = new PageWalker({ pml5: p.pscPml5Entries, pml4: p.pscPml4Entries, pdpt: p.pscPdptEntries, pd: p.pscPdEntries });
    this.walkerFree = new Float64Array(p.pageWalkers);
    this.latestWalkStarts = new Float64Array(p.superpageMissWindow ?? 1);
    this.translate = (addr: number, requester: number, readBytes = 0) => this.translateNow(addr, requester, readBytes);
  }

  // ---------------------------------------------------------------- domains and devices

  /** A new single-stage domain; returns its id. */
  createDomain(opts: DomainOptions = {}): number {
    return this.addDomain(this.levelsOf(opts), null, 0);
  }

  /**
   * A nested domain (IOVA → guest-physical through its own tables, then
   * guest-physical → host-physical through domain `stage2`); returns its id.
   */
  createNestedDomain(stage2: number, opts: NestedDomainOptions): number {
    const s2 = this.domain(stage2);
    if (s2.stage2 !== null) throw new RangeError(`${this.name}: domain ${stage2} is itself nested; a stage 2 must be a single-stage domain`);
    if (!Number.isSafeInteger(opts.tableBase) || opts.tableBase < 0 || opts.tableBase % TABLE_BYTES !== 0) {
      throw new RangeError(`${this.name}: tableBase ${opts.tableBase} must be a 4 KiB-aligned guest-physical address`);
    }
    const id = this.addDomain(this.levelsOf(opts), s2, opts.tableBase);
    s2.nestedUsers.push(this.domains[id]!);
    return id;
  }

  /** Attaches requester `requester` (a 16-bit requester ID) to `domain`. */
  attach(requester: number, domain: number, opts: AttachOptions = {}): void {
    if (!Number.isInteger(requester) || requester < 0 || requester >= REQUESTER_ID_COUNT) throw new RangeError(`${this.name}: requester ID ${requester} is not a 16-bit ID`);
    const d = this.domain(domain);
    if (this.domainOf[requester] !== NO_DOMAIN) throw new RangeError(`${this.name}: requester ${requester} is already attached to domain ${this.domainOf[requester]}`);
    this.domainOf[requester] = domain;
    d.requesters.push(requester);
    if (opts.ats ?? this.params.ats) {
      this.atcOf[requester] = this.atcs.length;
      this.atcs.push(new DeviceTlb(this.params.atsEntries, `${this.name} ATC ${requester}`));
    }
  }

  /** Detaches `requester`; its ATS cache, if any, goes with it. */
  detach(requester: number): void {
    const did = this.domainOf[requester];
    if (did === undefined || did === NO_DOMAIN) return;
    const d = this.domains[did]!;
    d.requesters.splice(d.requesters.indexOf(requester), 1);
    this.domainOf[requester] = NO_DOMAIN;
    const a = this.atcOf[requester]!;
    if (a !== NO_ATC) {
      this.atcs[a] = null;
      this.atcOf[requester] = NO_ATC;
    }
  }

  /** The domain `requester` is attached to, -1 if none. */
  domainOfRequester(requester: number): number {
    return this.domainOf[requester] ?? NO_DOMAIN;
  }

  /** The ATS cache of `requester`, null if it has none. */
  deviceTlb(requester: number): DeviceTlb | null {
    const a = this.atcOf[requester] ?? NO_ATC;
    return a === NO_ATC ? null : this.atcs[a]!;
  }

  // ---------------------------------------------------------------- DMA API

  /** dma_map_page: maps [iova, iova + bytes) to [phys, phys + bytes) with pages of `pageBytes`; returns the call's duration, ps. */
  map(domain: number, iova: number, phys: number, bytes: number, pageBytes: number = TABLE_BYTES): Time {
    return this.mapSg(domain, iova, [{ phys, bytes }], pageBytes);
  }

  /**
   * dma_map_sg: maps the segments back to back from `iova` (each a whole
   * number of pages of `pageBytes`, aligned) in one call; returns the call's
   * duration, ps: mapPerCall + pages × mapPerPage. Refuses (throws) to map
   * over an existing mapping.
   */
  mapSg(domain: number, iova: number, segments: readonly SgSegment[], pageBytes: number = TABLE_BYTES): Time {
    const d = this.domain(domain);
    const k = pageSizeClass(pageBytes);
    if (segments.length === 0) throw new RangeError(`${this.name}: dma_map_sg of no segments`);
    let bytes = 0;
    for (const s of segments) {
      if (!(s.bytes > 0) || s.bytes % pageBytes !== 0 || !isAligned(s.phys, pageBytes)) {
        throw new RangeError(`${this.name}: segment of ${s.bytes} B at 0x${s.phys.toString(16)} is not whole ${pageBytes}-byte pages, aligned`);
      }
      bytes += s.bytes;
    }
    this.checkRange(d, iova, bytes, pageBytes);
    const pages = bytes / pageBytes;
    if (segments.length === 1 && d.takesRun(pages)) {
      const c = d.runConflictOf(iova, pages, k);
      if (c !== null) throw new RangeError(`${this.name}: domain ${domain}: cannot map IOVA 0x${c.at.toString(16)}: ${c.why}`);
      d.addRun(iova, segments[0]!.phys, pages, k);
    } else {
      for (let a = iova; a < iova + bytes; a += pageBytes) {
        const why = d.conflict(a, k);
        if (why !== null) throw new RangeError(`${this.name}: domain ${domain}: cannot map IOVA 0x${a.toString(16)}: ${why}`);
      }
      let a = iova;
      for (const s of segments) {
        for (let off = 0; off < s.bytes; off += pageBytes, a += pageBytes) d.add(a, s.phys + off, k);
      }
    }
    const cost = this.params.mapPerCall + pages * this.params.mapPerPage;
    this.maps++;
    this.mapPages += pages;
    this.mapPs += cost;
    return cost;
  }

  /**
   * dma_unmap_sg / dma_unmap_page: removes the mappings of [iova, iova +
   * bytes) (whole mappings only) in one call, from CPU `cpu` (whose flush
   * queue it uses in deferred mode); returns the call's duration, ps:
   * unmapPerCall + pages × unmapPerPage, plus the invalidation it waits for
   * (strict: always; deferred: when its queue is full).
   */
  unmap(domain: number, iova: number, bytes: number, cpu = 0): Time {
    const d = this.domain(domain);
    this.checkRange(d, iova, bytes, TABLE_BYTES);
    const found: number[] = [];
    for (let a = iova; a < iova + bytes;) {
      const k = d.lookup(a);
      if (k < 0) throw new RangeError(`${this.name}: domain ${domain}: unmap of IOVA 0x${a.toString(16)}, which is not mapped`);
      const size = PAGE_BYTES[k]!;
      if (a % size !== 0 || a + size > iova + bytes) throw new RangeError(`${this.name}: domain ${domain}: unmap of [0x${iova.toString(16)}, +${bytes}) splits a ${size}-byte mapping at 0x${(a - (a % size)).toString(16)}`);
      found.push(a, k);
      a += size;
    }
    for (let i = 0; i < found.length; i += 2) d.remove(found[i]!, found[i + 1]!);
    const pages = found.length / 2;
    const p = this.params;
    let cost = p.unmapPerCall + pages * p.unmapPerPage;
    const hi = iova + bytes;
    if (p.mode === 'strict') {
      cost += this.invalidateRange(d, iova, hi);
      this.strictFlushes++;
      this.closeWindow(0);
    } else {
      const ring = d.ring(cpu, p.flushQueueSize);
      ring.freeFlushed(d.flushCount);
      const full = ring.full;
      if (full) cost += this.flushCostOf(d);
      const returnsAt = this.sim.now + cost;
      // The page-table entries are gone; copies in the caches stay usable until a flush.
      this.markStale(d, iova, hi, returnsAt);
      d.pendingUnmaps.push(returnsAt);
      if (full) {
        // queue_iova: flush the whole domain (this unmap's entries too), then free the ring.
        this.flushDomain(d);
        this.queueFullFlushes++;
        ring.freeFlushed(d.flushCount);
      }
      ring.add(d.flushCount);
      if (!d.timerArmed) {
        d.timerArmed = true;
        this.sim.schedule(p.flushTimeout, Iommu.onFlushTimer, this, d.id);
      }
    }
    this.unmaps++;
    this.unmapPages += pages;
    this.unmapPs += cost;
    return cost;
  }

  /** Unmaps queued on `cpu`'s flush queue of `domain` and not yet freed (deferred mode). */
  queued(domain: number, cpu = 0): number {
    return this.domain(domain).rings.get(cpu)?.length ?? 0;
  }

  // ---------------------------------------------------------------- statistics

  stats(): IommuStats {
    const w = this.walker.stats();
    const hitsBySize = Array.from(this.iotlb.hits);
    const missesBySize = Array.from(this.misses);
    const closed = this.staleWindow.count;
    return {
      translations: this.translations,
      atsHits: this.atsHits,
      atsMisses: this.atsMisses,
      iotlbHits: hitsBySize.reduce((a, b) => a + b, 0) + this.l2Hits,
      l2IotlbHits: this.l2Hits,
      iotlbHitsBySize: hitsBySize,
      iotlbMisses: missesBySize.reduce((a, b) => a + b, 0),
      iotlbMissesBySize: missesBySize,
      iotlbEvictions: this.iotlb.evictions,
      walks: w.walks,
      nestedWalks: w.nestedWalks,
      walkReads: w.reads,
      walkPs: this.walkPs,
      walkerWaitPs: this.walkerWaitPs,
      faults: this.faults,
      contextFaults: this.contextFaults,
      staleHits: this.staleHits,
      staleUseMaxPs: this.staleUseMaxPs,
      maps: this.maps,
      mapPages: this.mapPages,
      mapPs: this.mapPs,
      unmaps: this.unmaps,
      unmapPages: this.unmapPages,
      unmapPs: this.unmapPs,
      invalidations: this.strictFlushes + this.queueFullFlushes + this.timerFlushes,
      strictFlushes: this.strictFlushes,
      queueFullFlushes: this.queueFullFlushes,
      timerFlushes: this.timerFlushes,
      atsInvalidations: this.atsInvalidations,
      flushPs: this.flushPs,
      staleWindows: closed,
      staleWindowMeanPs: closed > 0 ? this.staleWindowSumPs / closed : 0,
      staleWindowMaxPs: this.staleWindowMaxPs,
    };
  }

  metrics(): Record<string, MetricValue> {
    const s = this.stats();
    const found = s.iotlbHits + s.iotlbMisses;
    const out: Record<string, MetricValue> = {
      translations: s.translations, ats_hits: s.atsHits, iotlb_hits: s.iotlbHits, l2_iotlb_hits: s.l2IotlbHits,
      iotlb_hit_rate: found > 0 ? s.iotlbHits / found : null,
    };
    PAGE_NAMES.forEach((n, k) => { out[`iotlb_misses_${n}`] = s.iotlbMissesBySize[k]!; });
    Object.assign(out, {
      walks: s.walks, walk_reads: s.walkReads, reads_per_walk: s.walks > 0 ? s.walkReads / s.walks : null,
      walker_wait_mean_ns: s.walks > 0 ? s.walkerWaitPs / s.walks / PS_PER_NS : null,
      faults: s.faults, stale_hits: s.staleHits,
      invalidations: s.invalidations, timer_flushes: s.timerFlushes, queue_full_flushes: s.queueFullFlushes,
      unmap_mean_ns: s.unmaps > 0 ? s.unmapPs / s.unmaps / PS_PER_NS : null,
      stale_window_ns: distribution(this.staleWindow),
    });
    return out;
  }

  /**
   * The translation caches as the writes of `requester` over [iova, iova +
   * bytes), one after another in address order, leave them: each page's
   * translation in the IOTLB (a 4 KiB one in the second level too), the
   * upper-level entries of its walk in the paging-structure caches. A device
   * that warms the host's cache by writing a buffer through the IOMMU just
   * before the run warms these too (pcie-bench's host_warm_cache writes the
   * window from the NFP through its BAR). No time passes and nothing is
   * counted, the entries the sweep pushes out included: it is not the run's.
   * A page with no mapping is passed over. Single-stage domains only: a
   * nested domain's caches start empty. The device TLB (ATS) is left empty.
   */
  warmTranslations(requester: number, iova: number, bytes: number): void {
    const did = requester >= 0 && requester < REQUESTER_ID_COUNT ? this.domainOf[requester]! : NO_DOMAIN;
    if (did === NO_DOMAIN) return;
    const d = this.domains[did]!;
    if (d.stage2 !== null) return;
    const tlb = this.iotlb, l2 = this.l2Iotlb, piece = PAGE_BYTES[PAGE_4K]!;
    const evicted = tlb.caches.map((c) => c.evictions), l2Evicted = l2.evictions;
    for (let addr = iova; addr < iova + bytes;) {
      const k = d.lookup(addr);
      if (k < 0) {
        addr += piece - (addr % piece);
        continue;
      }
      this.walker.warm(did, d.levels, addr, leafLevel(k));
      // The next page the IOTLB caches apart: the next 4 KiB piece of a superpage cached a piece at a time.
      const page = PAGE_BYTES[this.cacheWalked(did, addr, k, d.foundBase, null)]!;
      addr += page - (addr % page);
    }
    tlb.caches.forEach((c, k) => { c.evictions = evicted[k]!; });
    l2.evictions = l2Evicted;
  }

  // ---------------------------------------------------------------- translation

  private translateNow(addr: number, requester: number, readBytes = 0): IommuTranslation {
    const r = this.result;
    this.translations++;
    const did = requester >= 0 && requester < REQUESTER_ID_COUNT ? this.domainOf[requester]! : NO_DOMAIN;
    if (did === NO_DOMAIN) {
      this.contextFaults++;
      return this.fault(r);
    }
    const p = this.params;
    let extra = 0;
    const ai = this.atcOf[requester]!;
    const atc = ai === NO_ATC ? null : this.atcs[ai]!;
    if (atc !== null) {
      if (atc.lookup(did, addr)) {
        this.atsHits++;
        this.noteStale(atc.hitStaleSince());
        r.ok = true;
        r.delayPs = 0;
        r.physAddr = atc.physAddr(addr);
        r.pageBytes = PAGE_BYTES[atc.hitClass]!;
        r.source = 'ats';
        return r;
      }
      this.atsMisses++;
      extra = p.atsMissLatency;
    }
    const tlb = this.iotlb;
    if (tlb.lookup(did, addr)) {
      this.noteStale(tlb.hitStaleSince());
      const k = tlb.hitClass;
      const phys = tlb.physAddr(addr);
      if (atc !== null) atc.insert(did, addr, k, phys - (addr % PAGE_BYTES[k]!));
      r.ok = true;
      r.delayPs = p.hitLatency + extra;
      r.physAddr = phys;
      r.pageBytes = PAGE_BYTES[k]!;
      r.source = 'iotlb';
      return r;
    }
    // A first-level miss: the second level, if any, before a walk (4 KiB translations only).
    const l2 = this.l2Iotlb;
    const tag4k = Math.floor(addr / PAGE_BYTES[PAGE_4K]!);
    if (l2.size > 0) {
      const slot = l2.find(did, tag4k);
      if (slot !== NO_SLOT) {
        this.l2Hits++;
        // The second level is looked up by a walker (the first-level miss path); a read keeps it longer (fitted, see the preset).
        const now = this.sim.now, free = this.walkerFree, w = this.earliestWalker();
        const wait = free[w]! > now ? free[w]! - now : 0;
        const lookup = p.l2IotlbHitLatency ?? 0;
        free[w] = now + wait + lookup + (readBytes > 0 ? p.l2IotlbReadHeld ?? 0 : 0);
        this.walkerWaitPs += wait;
        this.noteStale(l2.staleSince[slot]!);
        const base4k = l2.value[slot]!;
        tlb.insert(did, addr, PAGE_4K, base4k);
        if (atc !== null) atc.insert(did, addr, PAGE_4K, base4k);
        r.ok = true;
        r.delayPs = p.hitLatency + wait + lookup + extra;
        r.physAddr = base4k + (addr % PAGE_BYTES[PAGE_4K]!);
        r.pageBytes = PAGE_BYTES[PAGE_4K]!;
        r.source = 'iotlb';
        return r;
      }
    }
    // A miss: walk the tables of the domain (and of its stage 2).
    const d = this.domains[did]!;
    const k1 = d.lookup(addr);
    if (k1 < 0) return this.fault(r);
    let k = k1, base = d.foundBase, reads: number;
    const s2 = d.stage2;
    if (s2 === null) {
      reads = this.walker.walk(did, d.levels, addr, leafLevel(k1));
    } else {
      const gpa = d.foundBase + (addr % PAGE_BYTES[k1]!);
      const k2 = s2.lookup(gpa);
      if (k2 < 0) return this.fault(r);
      const hpa = s2.foundBase + (gpa % PAGE_BYTES[k2]!);
      reads = this.walker.walkNested(d, addr, leafLevel(k1), s2, gpa, leafLevel(k2));
      if (reads === WALK_FAULT) return this.fault(r);
      // The translation holds for the smaller of the two pages.
      k = k1 < k2 ? k1 : k2;
      base = hpa - (addr % PAGE_BYTES[k]!);
    }
    this.misses[k]!++;
    // The walk runs on the walker free first; with all busy, the miss waits for it.
    const now = this.sim.now, free = this.walkerFree, w = this.earliestWalker();
    let start = free[w]! > now ? free[w]! : now;
    // An IOTLB without superpage entries keeps the 4 KiB piece asked for; a miss
    // held behind a walk of the same superpage entry is not served by its fill
    // and walks after it.
    const pieceOnly = k !== PAGE_4K && p.superpageFill === '4k';
    const entry = pieceOnly ? Math.floor(addr / PAGE_BYTES[k]!) * PAGE_SIZE_CLASSES + k : 0;
    if (pieceOnly) {
      const busy = d.superpageWalkEnd.get(entry);
      if (busy !== undefined && busy > start) start = busy;
      // The IOMMU looks at its oldest `superpageMissWindow` waiting misses only: a miss
      // starts once at most window − 1 of those before it are still waiting (window 1:
      // in the order they came, one held behind its superpage holding those after it).
      const starts = this.latestWalkStarts;
      if (starts[0]! > start) start = starts[0]!;
      insertKeepingLargest(starts, start);
    }
    const wait = start - now;
    const walk = wait + reads * p.walkReadLatency;
    // The walk and its fill (walkerHeldPerWalk): what the walker, and a miss held behind it for its superpage, wait for.
    const filled = now + walk + (p.walkerHeldPerWalk ?? 0);
    // A read holds the walker until its data is fetched too (fitted, see the preset); the request itself is not delayed by it.
    free[w] = filled + (readBytes > 0 ? Math.ceil(readBytes / CACHE_LINE_BYTES) * (p.walkerHeldPerReadLine ?? 0) : 0);
    if (pieceOnly) d.superpageWalkEnd.set(entry, filled);
    this.walkerWaitPs += wait;
    this.walkPs += walk - wait;
    const cached = this.cacheWalked(did, addr, k, base, atc);
    r.ok = true;
    r.delayPs = p.hitLatency + walk + extra;
    r.physAddr = base + (addr % PAGE_BYTES[k]!);
    r.pageBytes = PAGE_BYTES[cached]!;
    r.source = 'walk';
    return r;
  }

  /**
   * Caches what a walk found for `addr` in domain `did`, a page of class `k`
   * at `base`: in the IOTLB (superpageFill '4k': only the 4 KiB piece of a
   * superpage that holds `addr`), a 4 KiB translation in the second level
   * too, and in `atc` if given. Returns the class cached.
   */
  private cacheWalked(did: number, addr: number, k: number, base: number, atc: DeviceTlb | null): number {
    const piece = PAGE_BYTES[PAGE_4K]!;
    if (k !== PAGE_4K && this.params.superpageFill === '4k') {
      base += (addr % PAGE_BYTES[k]!) - (addr % piece);
      k = PAGE_4K;
    }
    this.iotlb.insert(did, addr, k, base);
    if (k === PAGE_4K) this.l2Iotlb.insert(did, Math.floor(addr / piece), base);
    if (atc !== null) atc.insert(did, addr, k, base);
    return k;
  }

  /** The page walker free first (the lowest-numbered of those free as early). */
  private earliestWalker(): number {
    const free = this.walkerFree;
    let w = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[w]!) w = i;
    return w;
  }

  private fault(r: Translation): Translation {
    this.faults++;
    r.ok = false;
    r.delayPs = 0;
    r.physAddr = 0;
    r.pageBytes = 0;
    r.source = 'fault';
    return r;
  }

  private noteStale(since: number): void {
    if (since === NOT_STALE) return;
    this.staleHits++;
    const age = this.sim.now - since;
    if (age > this.staleUseMaxPs) this.staleUseMaxPs = age;
  }

  // ---------------------------------------------------------------- invalidation

  /** Cost of one invalidation of `d`: the IOTLB's, plus the device TLBs' if it reaches any. */
  private flushCostOf(d: Domain): Time {
    return this.params.flushCost + (this.atsDevicesOf(d) > 0 ? this.params.atsInvalidation : 0);
  }

  private atsDevicesOf(d: Domain): number {
    let n = 0;
    for (const r of d.requesters) if (this.atcOf[r] !== NO_ATC) n++;
    for (const u of d.nestedUsers) n += this.atsDevicesOf(u);
    return n;
  }

  /** Strict mode: a page-selective invalidation of [lo, hi) in `d` (PSCs kept); returns its cost. */
  private invalidateRange(d: Domain, lo: number, hi: number): Time {
    this.iotlb.invalidateRange(d.id, lo, hi);
    this.l2Iotlb.invalidateRange(d.id, ...pageTags(lo, hi));
    for (const r of d.requesters) {
      const atc = this.deviceTlb(r);
      if (atc !== null) {
        atc.invalidateRange(d.id, lo, hi);
        this.atsInvalidations++;
      }
    }
    // Guest translations built on these host pages cannot be found by range: drop them all.
    for (const u of d.nestedUsers) this.dropCaches(u);
    const cost = this.flushCostOf(d);
    this.flushPs += cost;
    return cost;
  }

  /** Deferred mode: a domain-selective flush of `d` now; closes the stale windows of its queued unmaps. */
  private flushDomain(d: Domain): void {
    this.dropCaches(d);
    const now = this.sim.now;
    for (const returned of d.pendingUnmaps) this.closeWindow(Math.max(0, now - returned));
    d.pendingUnmaps.length = 0;
    d.flushCount++;
    this.flushPs += this.flushCostOf(d);
  }

  /** Drops every cached translation of `d` (and of the nested domains built on it): IOTLB, PSCs, device TLBs. */
  private dropCaches(d: Domain): void {
    this.iotlb.invalidateDomain(d.id);
    this.l2Iotlb.invalidateDomain(d.id);
    this.walker.invalidateDomain(d.id);
    for (const r of d.requesters) {
      const atc = this.deviceTlb(r);
      if (atc !== null) {
        atc.invalidateDomain(d.id);
        this.atsInvalidations++;
      }
    }
    for (const u of d.nestedUsers) this.dropCaches(u);
  }

  private markStale(d: Domain, lo: number, hi: number, at: Time): void {
    this.iotlb.markStale(d.id, lo, hi, at);
    this.l2Iotlb.markStale(d.id, ...pageTags(lo, hi), at);
    for (const r of d.requesters) this.deviceTlb(r)?.markStale(d.id, lo, hi, at);
  }

  private closeWindow(ps: number): void {
    this.staleWindow.add(ps / PS_PER_NS);
    this.staleWindowSumPs += ps;
    if (ps > this.staleWindowMaxPs) this.staleWindowMaxPs = ps;
  }

  /** fq_flush_timeout: flush the domain (even if its queues are empty by now) and free every CPU's queue. */
  private static onFlushTimer(self: Iommu, domain: number): void {
    const d = self.domains[domain]!;
    d.timerArmed = false;
    self.flushDomain(d);
    self.timerFlushes++;
    for (const ring of d.rings.values()) ring.freeFlushed(d.flushCount);
  }

  // ---------------------------------------------------------------- helpers

  private addDomain(levels: number, stage2: Domain | null, tableBase: number): number {
    const id = this.domains.length;
    this.domains.push(new Domain(id, levels, stage2, tableBase));
    return id;
  }

  private levelsOf(opts: DomainOptions): number {
    const levels = opts.levels ?? this.params.levels;
    if (levels !== MIN_LEVELS && levels !== MAX_LEVELS) throw new RangeError(`${this.name}: a domain has ${MIN_LEVELS} or ${MAX_LEVELS} page-table levels, got ${levels}`);
    return levels;
  }

  private domain(id: number): Domain {
    const d = this.domains[id];
    if (d === undefined) throw new RangeError(`${this.name}: no domain ${id}`);
    return d;
  }

  private checkRange(d: Domain, iova: number, bytes: number, align: number): void {
    if (!Number.isSafeInteger(iova) || iova < 0 || !isAligned(iova, align)) throw new RangeError(`${this.name}: IOVA ${iova} must be a ${align}-byte-aligned address`);
    if (!(bytes > 0) || bytes % TABLE_BYTES !== 0) throw new RangeError(`${this.name}: ${bytes} B is not a whole number of 4 KiB pages`);
    const span = addressSpan(d.levels);
    if (iova + bytes > span) throw new RangeError(`${this.name}: [0x${iova.toString(16)}, +${bytes}) is beyond the ${d.levels}-level address space (0x${span.toString(16)} bytes)`);
  }
}

/** The first and last 4 KiB page numbers of [lo, hi): the second-level IOTLB's tags for that range. */
function pageTags(lo: number, hi: number): [number, number] {
  const b = PAGE_BYTES[PAGE_4K]!;
  return [Math.floor(lo / b), Math.floor((hi - 1) / b)];
}

function isAligned(addr: number, align: number): boolean {
  return Number.isSafeInteger(addr) && addr >= 0 && addr % align === 0;
}

/** Puts `v` into `largest` (ascending: the largest values seen, as many as it holds) if it is larger than the smallest. */
function insertKeepingLargest(largest: Float64Array, v: number): void {
  if (v <= largest[0]!) return;
  let i = 0;
  while (i + 1 < largest.length && largest[i + 1]! < v) {
    largest[i] = largest[i + 1]!;
    i++;
  }
  largest[i] = v;
}

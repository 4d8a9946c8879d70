/**
 * The IOMMU as a whole: dma_map_sg / dma_unmap_sg costs (SOURCES.md: 8 × 4 KiB
 * about 1.4 µs map, 1.3 µs unmap), strict against deferred invalidation
 * (flush counts, Linux's 256-slot queue and 10 ms timer, the stale window),
 * translation faults as counted outcomes, ATS, the preset, and the hook in a
 * real root complex.
 */
import { test } from 'uvu';
import { presetParams, presetValuesOf } from '../preset-params.js';

/** The IOMMU every test here starts from: the iommu-xeon-e5 preset. */
const XEON_IOMMU = presetValuesOf('iommu-xeon-e5') as IommuParamsInput;
import * as assert from 'uvu/assert';
import { Simulation } from '../../src/sim/index.js';
import { PS_PER_MS, PS_PER_NS, PS_PER_US } from '../../src/sim/time.js';
import { Iommu, iommuStats } from '../../models/iommu/iommu.js';
import { iommuParams, type IommuParamsInput } from '../../models/iommu/params.js';
import { PAGE_4K } from '../../models/iommu/iotlb.js';
import type { TranslateFn } from '../../models/pcie/root-complex.js';
import { BASE_PATH, G4, rig } from '../models/pcie/dma-helpers.js';

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
const PAGE = 4 * KiB;
const RID = 0x300;
const IOVA = 4 * GiB;
const PHYS = 16 * GiB;
const DEFAULTS = presetParams(iommuParams, 'iommu-xeon-e5');

function world(params: Partial<IommuParamsInput> = {}, attach: { ats?: boolean } = {}) {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...XEON_IOMMU, ...params });
  const d = mmu.createDomain();
  mmu.attach(RID, d, attach);
  /** Runs `body` as a process to the end. */
  const run = (body: () => Generator<number, void, unknown>) => {
    sim.process(body());
    sim.run();
  };
  return { sim, mmu, d, run };
}

// ---------------------------------------------------------------- map and unmap costs

test('misses arriving together queue for the page walkers: with W walkers, the k-th waits floor(k / W) walks', () => {
  for (const walkers of [1, 2, 4]) {
    const sim = new Simulation();
    const mmu = new Iommu(sim, { ...XEON_IOMMU, pageWalkers: walkers });
    const d = mmu.createDomain();
    mmu.attach(0x100, d);
    mmu.map(d, 0x1_0000_0000, 0x1_0000_0000, 64 * 4096);
    // Warm the paging-structure caches: every later miss is one read.
    const one = mmu.translate(0x1_0000_0000, 0x100).delayPs;
    sim.schedule(10 * one, () => {
      const delays: number[] = [];
      for (let k = 1; k <= 8; k++) delays.push(mmu.translate(0x1_0000_0000 + k * 4096, 0x100).delayPs);
      const walk = mmu.params.walkReadLatency;
      assert.equal(delays, delays.map((_, i) => (Math.floor(i / walkers) + 1) * walk), `${walkers} walkers`);
    }, null);
    sim.run();
    assert.ok((mmu.metrics().walker_wait_mean_ns as number) > 0);
  }
});

/**
 * On one walker, the upper levels cached: a miss (`first` read bytes, 0 = a
 * write), then at once another; both delays, the walk and the per-line hold.
 */
function twoMisses(params: Partial<IommuParamsInput>, first: number) {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...XEON_IOMMU, pageWalkers: 1, ...params });
  const d = mmu.createDomain();
  mmu.attach(0x100, d);
  mmu.map(d, 0x1_0000_0000, 0x1_0000_0000, 64 * 4096);
  const one = mmu.translate(0x1_0000_0000, 0x100).delayPs;
  let firstDelay = -1, second = -1;
  sim.schedule(10 * one, () => {
    firstDelay = mmu.translate(0x1_0000_0000 + 4096, 0x100, first).delayPs;
    second = mmu.translate(0x1_0000_0000 + 2 * 4096, 0x100).delayPs;
  }, null);
  sim.run();
  return { firstDelay, second, walk: mmu.params.walkReadLatency, line: mmu.params.walkerHeldPerReadLine ?? 0 };
}

test('walkerHeldPerReadLine: a read that misses holds its walker past the walk (per 64 B line), a write does not; absent, reads and writes wait alike', () => {
  const hold = 20 * PS_PER_NS;
  const read256 = twoMisses({ walkerHeldPerReadLine: '20 ns' }, 256), read64 = twoMisses({ walkerHeldPerReadLine: '20 ns' }, 64);
  const write = twoMisses({ walkerHeldPerReadLine: '20 ns' }, 0);
  assert.is(read256.firstDelay, read256.walk, 'the read itself is not delayed by the hold');
  assert.is(read256.second, 2 * read256.walk + 4 * hold, '256 B = 4 lines held');
  assert.is(read64.second, 2 * read64.walk + hold, '64 B = 1 line held');
  assert.is(write.second, 2 * write.walk, 'a write holds the walker for its walk only');
  const off = twoMisses({ walkerHeldPerReadLine: undefined }, 256);
  assert.is(off.second, 2 * off.walk, 'absent: a read holds no longer than a write');
});

test('walkerHeldPerWalk: every walk, a read\'s or a write\'s, holds its walker that much longer; the translation itself is not delayed', () => {
  const held = 30 * PS_PER_NS;
  const write = twoMisses({ walkerHeldPerWalk: '30 ns' }, 0), read = twoMisses({ walkerHeldPerWalk: '30 ns' }, 64), none = twoMisses({}, 0);
  assert.is(write.firstDelay, write.walk, 'the walk\'s own translation is not delayed');
  assert.is(write.second, 2 * write.walk + held, 'after a write\'s walk');
  assert.is(read.second, 2 * read.walk + held + read.line, 'after a read\'s walk, beside its per-line hold');
  assert.is(none.second, 2 * none.walk, 'absent: the walker is free when its walk ends');
});

test('second-level IOTLB: a first-level miss it holds needs no walk and costs its lookup; a read served by it holds the walker l2IotlbReadHeld, a write does not; an unmap reaches it', () => {
  const A = IOVA, B = IOVA + PAGE, C = IOVA + 2 * PAGE;
  /** One-entry first level, one walker: A and B walked (B evicts A from the first level), later A again (`bytes` read, 0 = a write), then C at once. */
  const replay = (bytes: number, l2Entries?: number) => {
    const sim = new Simulation();
    const params: IommuParamsInput = { ...XEON_IOMMU, iotlb4kEntries: 1, iotlb4kWays: 1, pageWalkers: 1, mode: 'strict' };
    if (l2Entries !== undefined) params.l2IotlbEntries = l2Entries;
    const mmu = new Iommu(sim, params);
    const d = mmu.createDomain();
    mmu.attach(RID, d);
    mmu.map(d, IOVA, PHYS, 4 * PAGE);
    mmu.translate(A, RID);
    let again = -1, next = -1, afterUnmap = '', neighbour = -1;
    sim.schedule(PS_PER_US, () => { mmu.translate(B, RID); }, null);
    sim.schedule(2 * PS_PER_US, () => {
      again = mmu.translate(A, RID, bytes).delayPs;
      next = mmu.translate(C, RID).delayPs;
    }, null);
    sim.schedule(3 * PS_PER_US, () => {
      mmu.translate(A, RID); // back in the first level
      mmu.translate(B, RID); // A out of the first level, still in the second
      mmu.unmap(d, A, PAGE);
      afterUnmap = mmu.translate(A, RID).source;
      mmu.translate(C, RID); // B out of the first level
      neighbour = mmu.translate(B, RID).delayPs;
    }, null);
    sim.run();
    return { again, next, afterUnmap, neighbour, s: mmu.stats(), p: mmu.params };
  };
  const read = replay(64), write = replay(0);
  const p = read.p, lookup = p.l2IotlbHitLatency ?? 0, held = p.l2IotlbReadHeld ?? 0;
  assert.ok(p.l2IotlbEntries! > 0 && lookup < p.walkReadLatency && held > 0, 'the preset has a second level, cheaper than a walk');
  assert.is(read.again, p.hitLatency + lookup, 'A again: a second-level hit, no page-table read');
  assert.is(read.s.l2IotlbHits, 5, 'A at 2 us; A, B, and after the unmap C and B at 3 us');
  assert.is(read.next, p.hitLatency + lookup + held + p.walkReadLatency, 'C waits for the walker the read keeps');
  assert.is(write.next, p.hitLatency + lookup + p.walkReadLatency, 'after a write C waits for the lookup only');
  assert.is(read.afterUnmap, 'fault', 'the unmap (strict) dropped A from the second level too');
  assert.ok(read.neighbour < p.walkReadLatency, `and only A: B, the next page, is still a second-level hit (no page-table read: ${read.neighbour} ps)`);
  const none = replay(64, 0);
  assert.is(none.again, p.hitLatency + p.walkReadLatency, 'without a second level A walks again');
  assert.is(none.s.l2IotlbHits, 0);
});

/** An IOMMU with `walkers` walkers (and `more` parameters), PSCs warm over a 2 MiB-mapped region at 0x1_0000_0000 (two superpages); runs `body(mmu)` then. */
function superpageWorld(superpageFill: 'superpage' | '4k', walkers: number, body: (mmu: Iommu) => void, more: Partial<IommuParamsInput> = {}): Iommu {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...XEON_IOMMU, pageWalkers: walkers, superpageFill, ...more });
  const d = mmu.createDomain();
  mmu.attach(0x100, d);
  mmu.map(d, 0x1_0000_0000, 0x1_0000_0000, 6 * MiB, 2 * MiB);
  // Warm the paging-structure caches (a walk that ends at a PD entry is then one read) and the IOTLB with the first 4 KiB.
  const one = mmu.translate(0x1_0000_0000, 0x100).delayPs;
  sim.schedule(10 * one, () => body(mmu), null);
  sim.run();
  return mmu;
}

test("superpageFill '4k': a 2 MiB page is cached 4 KiB at a time: another piece of it misses, the same piece hits, the translation is right", () => {
  superpageWorld('4k', 6, (mmu) => {
    assert.is(mmu.translate(0x1_0000_0000 + 8, 0x100).source, 'iotlb', 'the piece walked to is cached');
    const other = mmu.translate(0x1_0000_0000 + 5 * PAGE + 3, 0x100);
    assert.is(other.source, 'walk', 'another 4 KiB of the same 2 MiB page walks');
    assert.is(other.physAddr, 0x1_0000_0000 + 5 * PAGE + 3);
    assert.is(other.pageBytes, PAGE);
  });
  superpageWorld('superpage', 6, (mmu) => {
    assert.is(mmu.translate(0x1_0000_0000 + 5 * PAGE + 3, 0x100).source, 'iotlb', 'the whole 2 MiB page is cached');
  });
});

test("superpageFill '4k': misses to one 2 MiB page walk one after another, misses to different ones at once; '4k' pages and whole superpages never wait on each other", () => {
  const walk = DEFAULTS.walkReadLatency;
  superpageWorld('4k', 6, (mmu) => {
    const same = [1, 2, 3].map((k) => mmu.translate(0x1_0000_0000 + k * PAGE, 0x100).delayPs);
    assert.equal(same, [walk, 2 * walk, 3 * walk], 'one superpage: each waits for the walk before it');
  });
  superpageWorld('4k', 6, (mmu) => {
    // The second superpage's walk does not wait for the first's (each one read: the PDPT entry is in the PSC).
    const a = mmu.translate(0x1_0000_0000 + PAGE, 0x100).delayPs;
    const b = mmu.translate(0x1_0000_0000 + 2 * MiB + PAGE, 0x100).delayPs;
    assert.equal([a, b], [walk, walk], 'two superpages: walked at once');
  });
  superpageWorld('4k', 6, (mmu) => {
    // Arrival order: a miss held behind its superpage's walk holds the misses after it, whatever page they are in.
    const delays = [PAGE, 2 * PAGE, 2 * MiB + PAGE].map((off) => mmu.translate(0x1_0000_0000 + off, 0x100).delayPs);
    assert.equal(delays, [walk, 2 * walk, 2 * walk]);
  });
  superpageWorld('4k', 6, (mmu) => {
    // A window of two: the miss after a held one may go, the one after two held ones waits for the older to start.
    const delays = [PAGE, 2 * PAGE, 2 * MiB + PAGE, 3 * PAGE, 2 * MiB + 2 * PAGE, 4 * MiB + PAGE].map((off) => mmu.translate(0x1_0000_0000 + off, 0x100).delayPs);
    assert.equal(delays, [walk, 2 * walk, walk, 3 * walk, 2 * walk, 2 * walk],
      'the third passes the held second; the fourth waits its superpage; the fifth its own superpage and the window; the sixth, in a third superpage, the window alone (the older of the two latest starts)');
  }, { superpageMissWindow: 2 });
  const held = 20_000;
  superpageWorld('4k', 6, (mmu) => {
    const same = [1, 2, 3].map((k) => mmu.translate(0x1_0000_0000 + k * PAGE, 0x100).delayPs);
    assert.equal(same, [walk, 2 * walk + held, 3 * walk + 2 * held], 'one superpage: each waits for the walk before it and its fill');
  }, { walkerHeldPerWalk: held });
  const m = superpageWorld('superpage', 1, (mmu) => {
    assert.is(mmu.translate(0x1_0000_0000 + 2 * MiB + PAGE, 0x100).delayPs, walk, 'whole superpages: one walk fills the page');
  });
  assert.is(m.stats().walks, 2);
});

test('warmTranslations: the caches as writes over the range in address order leave them, with no time passed and nothing counted', () => {
  const reach = DEFAULTS.iotlb4kEntries;
  const { sim, mmu, d } = world({ l2IotlbEntries: 0, l2IotlbWays: 1 });
  mmu.map(d, IOVA, PHYS, 2 * reach * PAGE);
  mmu.warmTranslations(RID, IOVA, 2 * reach * PAGE);
  assert.is(sim.now, 0);
  const s = mmu.stats();
  assert.equal([s.translations, s.walks, s.walkReads, s.iotlbEvictions, mmu.iotlb.lookups], [0, 0, 0, 0, 0], 'the sweep is not counted');
  assert.is(mmu.iotlb.size, reach, 'the IOTLB full');
  const last = mmu.translate(IOVA + (2 * reach - 1) * PAGE + 8, RID);
  assert.equal([last.source, last.physAddr], ['iotlb', PHYS + (2 * reach - 1) * PAGE + 8], 'the last pages swept are cached, and translate right');
  assert.is(mmu.translate(IOVA + reach * PAGE, RID).source, 'iotlb', 'the last `reach` pages, all of them');
  const first = mmu.translate(IOVA, RID);
  assert.is(first.source, 'walk', 'the first pages swept were pushed out');
  assert.is(first.delayPs, DEFAULTS.walkReadLatency, "one read: the sweep's walks left the upper levels in the paging-structure caches");
});

test('warmTranslations: a 4 KiB translation goes into the second level too; a superpage is one entry, or its 4 KiB pieces without superpage entries; unmapped pages and unknown requesters are passed over', () => {
  const reach = DEFAULTS.iotlb4kEntries;
  const two = world({ l2IotlbEntries: 4 * reach, l2IotlbWays: 4 * reach });
  two.mmu.map(two.d, IOVA, PHYS, 2 * reach * PAGE);
  two.mmu.warmTranslations(RID, IOVA, 2 * reach * PAGE);
  assert.is(two.mmu.translate(IOVA, RID).source, 'iotlb', 'pushed out of the first level, held by the second');
  assert.is(two.mmu.stats().l2IotlbHits, 1);
  for (const [fill, entries] of [['superpage', 1], ['4k', 3]] as const) {
    const w = world({ superpageFill: fill });
    w.mmu.map(w.d, IOVA, PHYS, 2 * MiB, 2 * MiB);
    w.mmu.warmTranslations(RID, IOVA + 4 * PAGE, 3 * PAGE);
    assert.is(w.mmu.iotlb.size, entries, `superpageFill '${fill}'`);
    assert.is(w.mmu.translate(IOVA + 6 * PAGE + 5, RID).physAddr, PHYS + 6 * PAGE + 5);
  }
  const holes = world();
  holes.mmu.map(holes.d, IOVA + PAGE, PHYS, PAGE);
  holes.mmu.warmTranslations(RID, IOVA, 3 * PAGE);
  holes.mmu.warmTranslations(RID + 1, IOVA, 3 * PAGE);
  assert.is(holes.mmu.iotlb.size, 1, 'only the mapped page, only for the attached requester');
});

test('dma_map_sg of 8 × 4 KiB: 1.4 us; dma_unmap_sg: 1.3 us deferred, plus the 0.8 us flush when strict', () => {
  const segs = Array.from({ length: 8 }, (_, i) => ({ phys: PHYS + (7 - i) * 3 * PAGE, bytes: PAGE }));
  const lazy = world({ mode: 'deferred' });
  assert.is(lazy.mmu.mapSg(lazy.d, IOVA, segs), 1.4 * PS_PER_US);
  for (let i = 0; i < 8; i++) {
    const r = lazy.mmu.translate(IOVA + i * PAGE + 9, RID);
    assert.is(r.physAddr, PHYS + (7 - i) * 3 * PAGE + 9, `page ${i} goes to its own segment`);
  }
  assert.is(lazy.mmu.unmap(lazy.d, IOVA, 8 * PAGE), 1.3 * PS_PER_US);
  const strict = world({ mode: 'strict' });
  strict.mmu.mapSg(strict.d, IOVA, segs);
  assert.is(strict.mmu.unmap(strict.d, IOVA, 8 * PAGE), 1.3 * PS_PER_US + 0.8 * PS_PER_US);
  const s = strict.mmu.stats();
  assert.is(s.maps, 1);
  assert.is(s.mapPages, 8);
  assert.is(s.unmapPages, 8);
  // One page-table entry per 2 MiB page: mapping 4 MiB that way is one call and two pages.
  const big = world();
  assert.is(big.mmu.map(big.d, IOVA, PHYS, 4 * MiB, 2 * MiB), DEFAULTS.mapPerCall + 2 * DEFAULTS.mapPerPage);
});

test('statistics of the calls: map and unmap counts and time (the sum of what the calls returned), the invalidations\' time, unmap_mean_ns', () => {
  const { mmu, d } = world({ mode: 'strict' });
  const maps = [mmu.map(d, IOVA, PHYS, PAGE), mmu.map(d, IOVA + 2 * MiB, PHYS, 2 * MiB, 2 * MiB), mmu.mapSg(d, IOVA + 8 * MiB, [{ phys: PHYS, bytes: 3 * PAGE }])];
  const unmaps = [mmu.unmap(d, IOVA, PAGE), mmu.unmap(d, IOVA + 8 * MiB, 3 * PAGE)];
  const s = mmu.stats();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  assert.equal([s.maps, s.mapPages, s.mapPs], [3, 5, sum(maps)]);
  assert.equal([s.unmaps, s.unmapPages, s.unmapPs], [2, 4, sum(unmaps)]);
  assert.is(s.flushPs, 2 * DEFAULTS.flushCost, 'strict: one invalidation an unmap');
  assert.is(mmu.metrics().unmap_mean_ns, sum(unmaps) / 2 / PS_PER_NS);
});

test('driver bugs are refused: mapping over a mapping, unmapping a hole or half a large page, misalignment', () => {
  const { mmu, d } = world();
  mmu.map(d, IOVA, PHYS, 2 * MiB, 2 * MiB);
  assert.throws(() => mmu.map(d, IOVA + PAGE, PHYS, PAGE), /inside a mapped 2 MiB page/);
  mmu.map(d, IOVA + 2 * MiB, PHYS, PAGE);
  assert.throws(() => mmu.map(d, IOVA + 2 * MiB, PHYS, 2 * MiB, 2 * MiB), /over mapped 4 KiB pages/);
  assert.throws(() => mmu.unmap(d, IOVA, PAGE), /splits a 2097152-byte mapping/);
  assert.throws(() => mmu.unmap(d, IOVA + 2 * MiB, 2 * PAGE), /not mapped/);
  assert.throws(() => mmu.map(d, IOVA + 1, PHYS, PAGE), /aligned/);
  assert.throws(() => mmu.map(d, 2 ** 48 - PAGE, PHYS, 2 * PAGE), /address space/);
  assert.throws(() => mmu.map(d, IOVA, PHYS, PAGE, 8192), /page size/);
  assert.throws(() => new Iommu(new Simulation(), { ...XEON_IOMMU, iotlb4kEntries: 64, iotlb4kWays: 48 }), /do not divide/);
  assert.throws(() => new Iommu(new Simulation(), { ...XEON_IOMMU, flushQueueSize: 100 }), /power of two/);
});

test('a long map is kept as one run: it translates, faults and refuses overlaps as its pages would; a page unmapped out of it leaves the rest mapped', () => {
  const pages = 4096, end = IOVA + pages * PAGE;
  const { mmu, d } = world();
  const cost = mmu.map(d, IOVA, PHYS, pages * PAGE);
  assert.is(cost, mmu.params.mapPerCall + pages * mmu.params.mapPerPage, 'costed per page all the same');
  assert.ok(mmu.translate(IOVA, RID).ok);
  assert.ok(mmu.translate(end - 1, RID).ok);
  assert.not.ok(mmu.translate(end, RID).ok, 'past the run: a fault');
  assert.throws(() => mmu.map(d, IOVA + 7 * PAGE, PHYS, PAGE), /cannot map IOVA 0x100007000: already mapped/);
  assert.throws(() => mmu.map(d, IOVA, PHYS, 2 * MiB, 2 * MiB), /over mapped 4 KiB pages/);
  assert.throws(() => mmu.map(d, end - PAGE, PHYS, pages * PAGE), /cannot map IOVA 0x100fff000: already mapped/);
  mmu.map(d, end + 2 * MiB, PHYS, 2 * MiB, 2 * MiB);
  assert.throws(() => mmu.map(d, end, PHYS, pages * PAGE), /cannot map IOVA 0x101200000: inside a mapped 2 MiB page/, 'a run over a page mapped on its own');
  mmu.unmap(d, IOVA + 9 * PAGE, PAGE);
  assert.not.ok(mmu.translate(IOVA + 9 * PAGE, RID).ok, 'the unmapped page faults');
  assert.ok(mmu.translate(IOVA + 8 * PAGE, RID).ok && mmu.translate(IOVA + 10 * PAGE, RID).ok && mmu.translate(end - PAGE, RID).ok, 'either side stays mapped');
  mmu.map(d, IOVA + 9 * PAGE, PHYS, PAGE);
  assert.ok(mmu.translate(IOVA + 9 * PAGE + 8, RID).ok, 'the hole maps again');
  mmu.unmap(d, IOVA, PAGE);
  mmu.unmap(d, end - PAGE, PAGE);
  assert.throws(() => mmu.unmap(d, end - PAGE, PAGE), /not mapped/, 'the run shrank at its end');
  assert.throws(() => mmu.map(d, IOVA + PAGE, PHYS, PAGE), /already mapped/, 'the run, shrunk at its start, still holds its second page');
  // An identity map of a 64 GiB host in 4 KiB pages: 16 M pages, more than a Map holds one by one.
  const big = world();
  big.mmu.map(big.d, 64 * GiB, 64 * GiB, 64 * GiB);
  assert.ok(big.mmu.translate(128 * GiB - 64, RID).ok);
  assert.is(big.mmu.stats().mapPages, 16 * MiB);
});

// ---------------------------------------------------------------- strict and deferred

/** `n` single-page mappings, then `n` unmap calls from one CPU, one after another in simulated time. */
function unmapBurst(mode: 'strict' | 'deferred', n: number) {
  const w = world({ mode });
  for (let i = 0; i < n; i++) w.mmu.map(w.d, IOVA + i * PAGE, PHYS + i * PAGE, PAGE);
  let queuedAtEnd = -1, fullAtEnd = -1;
  w.run(function* () {
    for (let i = 0; i < n; i++) yield w.mmu.unmap(w.d, IOVA + i * PAGE, PAGE);
    queuedAtEnd = w.mmu.queued(w.d);
    fullAtEnd = w.mmu.stats().queueFullFlushes;
  });
  return { ...w, queuedAtEnd, fullAtEnd, s: w.mmu.stats() };
}

test('strict: N unmaps, N invalidations, each waited for; no stale window', () => {
  for (const n of [1, 10, 300]) {
    const { s, sim } = unmapBurst('strict', n);
    assert.is(s.invalidations, n);
    assert.is(s.strictFlushes, n);
    assert.is(s.timerFlushes, 0);
    assert.is(s.unmapPs, n * (DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost));
    assert.is(sim.now, s.unmapPs, 'no timer left behind');
    assert.is(s.staleWindows, n);
    assert.is(s.staleWindowMaxPs, 0);
  }
});

test("deferred: a flush when the 256-slot ring is full (it holds 255, as Linux's fq_full), then the 10 ms timer's", () => {
  // Linux: an unmap that finds its ring full flushes first; so N unmaps in a burst flush floor((N-1)/255) times, plus the timer once.
  const cases: [number, number][] = [[1, 0], [255, 0], [256, 1], [510, 1], [511, 2], [1000, 3], [1024, 4]];
  for (const [n, full] of cases) {
    const b = unmapBurst('deferred', n);
    assert.is(b.fullAtEnd, full, `${n} unmaps: full-queue flushes`);
    assert.is(b.queuedAtEnd, n - full * 255, `${n} unmaps: left in the queue`);
    assert.is(b.s.queueFullFlushes, full);
    assert.is(b.s.timerFlushes, 1, 'the timer armed by the first unmap fires once');
    assert.is(b.s.invalidations, full + 1);
    assert.is(b.mmu.queued(b.d), 0, 'the timer frees the queue');
    assert.is(b.sim.now, 10 * PS_PER_MS, 'the timer fires 10 ms after the first unmap');
    // The same total as ceil(N / 256) flushes for these N, except where 255 per ring shows (256 ... 510 ... 1024).
    if ([1, 255, 1000].includes(n)) assert.is(b.s.invalidations, Math.ceil(n / 256));
  }
  // With the queue never full, only the timer flushes: 1 invalidation for 200 unmaps where strict does 200.
  assert.is(unmapBurst('deferred', 200).s.invalidations, 1);
});

test('deferred: an unmap after the timer\'s flush arms the timer again', () => {
  const w = world({ mode: 'deferred' });
  w.mmu.map(w.d, IOVA, PHYS, 2 * PAGE);
  w.run(function* () {
    yield w.mmu.unmap(w.d, IOVA, PAGE);
    yield 20 * PS_PER_MS;
    yield w.mmu.unmap(w.d, IOVA + PAGE, PAGE);
  });
  const s = w.mmu.stats(), cost = DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage;
  assert.is(s.timerFlushes, 2);
  assert.is(w.mmu.queued(w.d), 0);
  assert.equal([s.staleWindows, s.staleWindowMaxPs], [2, 10 * PS_PER_MS - cost]);
  assert.is(w.sim.now, cost + 20 * PS_PER_MS + 10 * PS_PER_MS, 'the second timer fires 10 ms after the second unmap');
});

test('deferred: the stale window is the time to the flush (up to the 10 ms timer); strict has none', () => {
  const one = unmapBurst('deferred', 1);
  const cost = DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage;
  assert.is(one.s.staleWindows, 1);
  assert.is(one.s.staleWindowMaxPs, 10 * PS_PER_MS - cost, 'from the unmap returning to the timer flush');
  assert.is(one.s.staleWindowMeanPs, 10 * PS_PER_MS - cost);
  assert.is(one.mmu.staleWindow.max, (10 * PS_PER_MS - cost) / PS_PER_NS, 'histogram in ns');
  assert.is(one.s.flushPs, DEFAULTS.flushCost, 'the timer\'s flush');
  const many = unmapBurst('deferred', 300);
  assert.is(many.s.staleWindows, 300);
  assert.ok(many.s.staleWindowMaxPs > 0);
  // The 255 unmaps covered by the full-queue flush waited less than those the timer covered.
  assert.ok(many.s.staleWindowMeanPs < many.s.staleWindowMaxPs);
  assert.ok(Math.abs(many.s.staleWindowMeanPs - many.mmu.staleWindow.mean * PS_PER_NS) < 1e-6 * many.s.staleWindowMeanPs, 'the mean of the windows the histogram holds');
  assert.is(many.s.flushPs, 2 * DEFAULTS.flushCost, 'the full queue\'s flush and the timer\'s');
  assert.is(unmapBurst('strict', 300).s.staleWindowMaxPs, 0);
});

test('deferred: a cached translation outlives its unmap (counted stale hits) until the flush; strict faults at once', () => {
  const lazy = world({ mode: 'deferred' });
  lazy.mmu.map(lazy.d, IOVA, PHYS, 2 * PAGE);
  assert.is(lazy.mmu.translate(IOVA, RID).source, 'walk');
  lazy.mmu.translate(IOVA + PAGE, RID);
  lazy.mmu.unmap(lazy.d, IOVA, PAGE);
  const stale = lazy.mmu.translate(IOVA + 8, RID);
  assert.ok(stale.ok, 'still translatable: the IOTLB entry was not invalidated');
  assert.is(stale.physAddr, PHYS + 8);
  lazy.sim.run({ until: 5 * PS_PER_MS });
  assert.ok(lazy.mmu.translate(IOVA, RID).ok, 'still there at 5 ms');
  const s5 = lazy.mmu.stats();
  assert.is(s5.staleHits, 2);
  assert.is(s5.staleUseMaxPs, 5 * PS_PER_MS - (DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage));
  lazy.sim.run();
  assert.is(lazy.mmu.translate(IOVA, RID).ok, false, 'after the timer flush: a fault');
  // The flush is domain-wide: the page still mapped lost its IOTLB entry and PSCs too, a full walk again.
  const again = lazy.mmu.translate(IOVA + PAGE, RID);
  assert.is(again.source, 'walk');
  assert.is(again.delayPs, 4 * DEFAULTS.walkReadLatency);

  const strict = world({ mode: 'strict' });
  strict.mmu.map(strict.d, IOVA, PHYS, 2 * PAGE);
  strict.mmu.translate(IOVA, RID);
  strict.mmu.translate(IOVA + PAGE, RID);
  strict.mmu.unmap(strict.d, IOVA, PAGE);
  assert.is(strict.mmu.translate(IOVA, RID).ok, false);
  assert.is(strict.mmu.stats().staleHits, 0);
  // Page-selective: the other page keeps its IOTLB entry (and the PSCs theirs).
  assert.is(strict.mmu.translate(IOVA + PAGE, RID).source, 'iotlb');
});

test('per-CPU queues: each CPU has its own ring; one timer per domain covers them all', () => {
  const w = world({ mode: 'deferred' });
  for (let i = 0; i < 400; i++) w.mmu.map(w.d, IOVA + i * PAGE, PHYS, PAGE);
  w.run(function* () {
    for (let i = 0; i < 400; i++) yield w.mmu.unmap(w.d, IOVA + i * PAGE, PAGE, i % 2);
  });
  const s = w.mmu.stats();
  assert.is(s.queueFullFlushes, 0, '200 per CPU never fill a 255-entry ring');
  assert.is(s.timerFlushes, 1);
});

// ---------------------------------------------------------------- faults

test('detach: the device leaves its domain (its translations fault, its device TLB goes, the domain\'s invalidations no longer wait for it) and may attach elsewhere; detaching one never attached does nothing', () => {
  const { mmu, d } = world({ mode: 'strict' }, { ats: true });
  mmu.map(d, IOVA, PHYS, 2 * PAGE);
  mmu.translate(IOVA, RID);
  mmu.attach(RID + 1, d, { ats: true });
  mmu.detach(RID);
  assert.is(mmu.domainOfRequester(RID), -1);
  assert.is(mmu.deviceTlb(RID), null);
  assert.is(mmu.translate(IOVA, RID).ok, false);
  assert.is(mmu.stats().contextFaults, 1);
  mmu.detach(RID + 7);
  assert.is(mmu.unmap(d, IOVA, PAGE), DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost + DEFAULTS.atsInvalidation, 'RID + 1 still has ATS');
  assert.is(mmu.stats().atsInvalidations, 1, 'one device TLB invalidated: the detached one is gone');
  mmu.detach(RID + 1);
  assert.is(mmu.unmap(d, IOVA + PAGE, PAGE), DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost, 'no device TLB left to wait for');
  const other = mmu.createDomain();
  mmu.attach(RID, other);
  assert.is(mmu.domainOfRequester(RID), other);
  // Back in its domain, the device is one of its devices once: one device TLB invalidated an unmap.
  mmu.attach(RID + 1, d, { ats: true });
  mmu.map(d, IOVA, PHYS, PAGE);
  mmu.unmap(d, IOVA, PAGE);
  assert.is(mmu.stats().atsInvalidations, 2);
});

test('translation faults are counted, not thrown: unmapped IOVA, unknown requester', () => {
  const { mmu, d } = world();
  mmu.map(d, IOVA, PHYS, PAGE);
  const r = mmu.translate(IOVA + PAGE, RID);
  assert.is(r.ok, false);
  assert.is(r.source, 'fault');
  assert.is(mmu.translate(IOVA, 0x999).ok, false);
  assert.is(mmu.translate(IOVA, -1).ok, false);
  assert.ok(mmu.translate(IOVA, RID).ok);
  const s = mmu.stats();
  assert.is(s.faults, 3);
  assert.is(s.contextFaults, 2);
  assert.is(s.translations, 4);
  assert.is(mmu.metrics().faults, 3);
});

// ---------------------------------------------------------------- ATS

test('ATS: a device-TLB hit skips the IOMMU; a miss pays the translation request; invalidations reach it', () => {
  const { mmu, d } = world({ mode: 'strict' }, { ats: true });
  mmu.map(d, IOVA, PHYS, 2 * PAGE);
  const first = mmu.translate(IOVA, RID);
  assert.is(first.source, 'walk');
  assert.is(first.delayPs, 4 * DEFAULTS.walkReadLatency + DEFAULTS.atsMissLatency);
  const lookups = mmu.iotlb.lookups;
  const hit = mmu.translate(IOVA + 100, RID);
  assert.is(hit.source, 'ats');
  assert.is(hit.delayPs, 0);
  assert.is(hit.physAddr, PHYS + 100);
  assert.is(mmu.iotlb.lookups, lookups, 'the IOTLB was not consulted');
  const s = mmu.stats();
  assert.is(s.atsHits, 1);
  assert.is(s.atsMisses, 1);
  assert.is(s.iotlbHits, 0);
  assert.is(s.walks, 1);
  // An ATC miss that hits the IOTLB: the IOMMU's hit plus the round trip.
  mmu.deviceTlb(RID)!.cache.clear();
  assert.is(mmu.translate(IOVA + 8, RID).delayPs, DEFAULTS.hitLatency + DEFAULTS.atsMissLatency);
  // What the IOTLB hit put in the device TLB is the page, not the byte asked for.
  const again = mmu.translate(IOVA + 100, RID);
  assert.equal([again.source, again.physAddr], ['ats', PHYS + 100]);
  // Strict unmap: the device TLB is invalidated too, and the caller waits for it.
  assert.is(mmu.unmap(d, IOVA, PAGE), DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost + DEFAULTS.atsInvalidation);
  assert.is(mmu.translate(IOVA, RID).ok, false);
  assert.is(mmu.stats().atsInvalidations, 1);
  // A device without ATS in the same domain goes to the IOMMU, with no translation request to pay.
  mmu.attach(RID + 1, d, { ats: false });
  assert.is(mmu.translate(IOVA + PAGE, RID + 1).delayPs, DEFAULTS.walkReadLatency, 'a walk, PD entry cached');
  assert.is(mmu.translate(IOVA + PAGE, RID + 1).source, 'iotlb');
});

test('ATS in deferred mode: the device TLB keeps a stale translation until the timer flush', () => {
  const { sim, mmu, d } = world({ mode: 'deferred', ats: true });
  mmu.map(d, IOVA, PHYS, PAGE);
  mmu.translate(IOVA, RID);
  mmu.unmap(d, IOVA, PAGE);
  const r = mmu.translate(IOVA, RID);
  assert.is(r.source, 'ats');
  assert.is(mmu.stats().staleHits, 1);
  sim.run();
  assert.is(mmu.translate(IOVA, RID).ok, false);
  assert.is(mmu.deviceTlb(RID)!.size, 0);
  const s = mmu.stats();
  assert.is(s.timerFlushes, 1);
  assert.is(s.atsInvalidations, 1, 'the timer\'s flush reached the device TLB');
  assert.is(s.flushPs, DEFAULTS.flushCost + DEFAULTS.atsInvalidation);
});

test('a host domain\'s invalidation waits for the device TLBs of the guest domains built on it', () => {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...XEON_IOMMU, mode: 'strict' });
  const host = mmu.createDomain();
  mmu.map(host, 0, PHYS, 64 * KiB);
  mmu.map(host, GiB, PHYS + GiB, 2 * PAGE);
  const guest = mmu.createNestedDomain(host, { tableBase: 0 });
  mmu.map(guest, IOVA, GiB, PAGE);
  mmu.attach(RID, guest, { ats: true });
  assert.is(mmu.translate(IOVA + 5, RID).physAddr, PHYS + GiB + 5);
  assert.is(mmu.unmap(host, GiB + PAGE, PAGE), DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost + DEFAULTS.atsInvalidation);
  assert.is(mmu.stats().atsInvalidations, 1);
  // Without ATS in the guest, the host's invalidation is the IOMMU's alone.
  const plain = new Iommu(new Simulation(), { ...XEON_IOMMU, mode: 'strict' });
  const h = plain.createDomain();
  plain.map(h, GiB, PHYS + GiB, PAGE);
  const g = plain.createNestedDomain(h, { tableBase: 0 });
  plain.attach(RID, g);
  assert.is(plain.unmap(h, GiB, PAGE), DEFAULTS.unmapPerCall + DEFAULTS.unmapPerPage + DEFAULTS.flushCost);
});

// ---------------------------------------------------------------- parameters and preset

test('the iommu-xeon-e5 preset: its reach and flush figures', () => {
  assert.is(DEFAULTS.iotlb4kEntries * PAGE, 256 * KiB, 'reach 256 KiB');
  assert.is(DEFAULTS.flushCost, 800 * PS_PER_NS);
  assert.is(DEFAULTS.flushQueueSize, 256);
  assert.is(DEFAULTS.flushTimeout, 10 * PS_PER_MS);
});

test('metrics: counts by page size and the stale-window distribution', () => {
  const { mmu, d, sim } = world();
  mmu.map(d, IOVA, PHYS, PAGE);
  mmu.translate(IOVA, RID);
  mmu.translate(IOVA, RID);
  mmu.unmap(d, IOVA, PAGE);
  sim.run();
  const m = mmu.metrics();
  assert.is(m.iotlb_hits, 1);
  assert.is(m.iotlb_misses_4k, 1);
  assert.is(m.iotlb_hit_rate, 0.5);
  assert.is(m.reads_per_walk, 4);
  assert.is(m.timer_flushes, 1);
  const w = m.stale_window_ns as { count: number; max: number };
  assert.is(w.count, 1);
  assert.ok(w.max > 9.9e6);
  assert.is(mmu.stats().iotlbMissesBySize[PAGE_4K], 1);
  assert.equal(Object.keys(m).sort(), iommuStats.map((x) => x.name).sort(), 'every metric is declared, every declaration reported');
});

// ---------------------------------------------------------------- the root complex hook

test('usable as rootComplex.translate: a DMA read pays the walk, the next one does not, an unmapped one faults', () => {
  /** 64-byte reads one after another on a fresh DMA path, with an IOMMU if `withIommu`; each read's time. */
  const reads = (withIommu: boolean, addrs: number[]) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH);
    const mmu = new Iommu(sim, XEON_IOMMU);
    if (withIommu) {
      const d = mmu.createDomain();
      mmu.attach(r.endpoint.requesterId, d);
      mmu.map(d, G4, G4, 1 * MiB); // identity: the root complex routes by the request's own address
      const fn: TranslateFn = mmu.translate; // unbound, as the root complex calls it
      r.rootComplex.translate = fn;
    }
    const times = addrs.map((addr) => {
      const t0 = sim.now;
      r.endpoint.dma.submit('read', addr, 64);
      sim.run();
      return sim.now - t0;
    });
    return { times, rc: r.rootComplex.stats(), mmu: mmu.stats() };
  };
  const plain = reads(false, [G4, G4 + 64]).times;
  const translated = reads(true, [G4, G4 + 64]);
  assert.is(translated.times[0]! - plain[0]!, 4 * DEFAULTS.walkReadLatency, 'cold walk: 1 us more');
  assert.is(translated.times[1]! - plain[1]!, 0, 'IOTLB hit: no extra time (hitLatency 0)');
  assert.is(translated.mmu.iotlbHits, 1);
  const faulted = reads(true, [G4 + 2 * MiB]);
  assert.is(faulted.rc.translationFaults, 1);
  assert.is(faulted.mmu.faults, 1);
});

test.run();

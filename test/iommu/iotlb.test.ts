/**
 * The IOTLB: exact LRU, associativity, the reach cliff of pcie-bench
 * (SOURCES.md: about 64 entries of 4 KiB, reach 256 KiB) and how 2 MiB pages
 * remove it, with exact hit and miss counts.
 */
import { test } from 'uvu';
import { presetValuesOf } from '../preset-params.js';

/** The IOMMU every test here starts from: the iommu-xeon-e5 preset. */
const XEON_IOMMU = presetValuesOf('iommu-xeon-e5') as IommuParamsInput;
import * as assert from 'uvu/assert';
import { Simulation } from '../../src/sim/index.js';
import { DeviceTlb, Iotlb, NO_SLOT, PAGE_1G, PAGE_2M, PAGE_4K, SetAssocLru } from '../../models/iommu/iotlb.js';
import { Iommu } from '../../models/iommu/iommu.js';
import type { IommuParamsInput } from '../../models/iommu/params.js';

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
const RID = 0x100;
const IOVA = 4 * GiB;
const PHYS = 64 * GiB;

test('exact LRU: the least recently used entry goes, a hit refreshes, peek does not', () => {
  const c = new SetAssocLru(4, 4, 'lru');
  for (const t of [10, 11, 12, 13]) c.insert(0, t, t * 100);
  assert.is(c.size, 4);
  assert.ok(c.find(0, 10) !== NO_SLOT, 'touch 10: now 11 is the oldest');
  c.insert(0, 14, 1400);
  assert.is(c.peek(0, 11), NO_SLOT, '11 evicted');
  assert.ok(c.peek(0, 12) !== NO_SLOT, 'peeking 12 does not refresh it');
  c.insert(0, 15, 1500);
  assert.is(c.peek(0, 12), NO_SLOT, '12 was next oldest');
  c.find(0, 13);
  c.insert(0, 16, 1600);
  assert.is(c.peek(0, 10), NO_SLOT, '10 (touched before 14, 15, 13) goes before 13');
  const present = [10, 11, 12, 13, 14, 15, 16].filter((t) => c.peek(0, t) !== NO_SLOT);
  assert.equal(present, [13, 14, 15, 16]);
  assert.is(c.value[c.peek(0, 15)]!, 1500);
  assert.is(c.evictions, 3);
  // Same tag, other domain: a different entry.
  assert.is(c.peek(1, 13), NO_SLOT);
  c.insert(0, 13, 1301);
  assert.is(c.size, 4, 'reinserting a present key updates it in place');
  assert.is(c.value[c.peek(0, 13)]!, 1301);
});

test('set-associative: five pages of one set thrash 4 ways that a fully associative cache of the same size holds', () => {
  const sa = new SetAssocLru(64, 4, 'sa'), fa = new SetAssocLru(64, 64, 'fa');
  assert.is(sa.sets, 16);
  const tags = [0, 16, 32, 48, 64]; // all set 0 of 16
  let saHits = 0, faHits = 0;
  for (let pass = 0; pass < 10; pass++) {
    for (const t of tags) {
      if (sa.find(0, t) !== NO_SLOT) saHits++; else sa.insert(0, t, 0);
      if (fa.find(0, t) !== NO_SLOT) faHits++; else fa.insert(0, t, 0);
    }
  }
  assert.is(saHits, 0, 'LRU in a 4-way set with 5 cyclic tags never hits');
  assert.is(faHits, 9 * 5);
  // Sequential pages spread over the sets: 64 fit in 16 sets × 4 ways.
  const seq = new SetAssocLru(64, 4, 'seq');
  let hits = 0;
  for (let pass = 0; pass < 3; pass++) for (let t = 0; t < 64; t++) { if (seq.find(0, t) !== NO_SLOT) hits++; else seq.insert(0, t, 0); }
  assert.is(hits, 2 * 64);
});

test('bad shapes are refused; zero entries hold nothing', () => {
  assert.throws(() => new SetAssocLru(64, 5), /do not divide/);
  assert.throws(() => new SetAssocLru(-1, 1), /entries/);
  const none = new SetAssocLru(0, 1);
  assert.is(none.insert(0, 1, 1), NO_SLOT);
  assert.is(none.find(0, 1), NO_SLOT);
});

test('Iotlb: one store per page size, looked up together, translation by page offset', () => {
  const t = new Iotlb({ entries: [4, 2, 1], ways: [4, 2, 1] });
  t.insert(3, IOVA, PAGE_4K, PHYS);
  t.insert(3, IOVA + 2 * MiB, PAGE_2M, PHYS + 2 * MiB);
  t.insert(3, 2 * GiB, PAGE_1G, 8 * GiB);
  assert.ok(t.lookup(3, IOVA + 123));
  assert.is(t.hitClass, PAGE_4K);
  assert.is(t.physAddr(IOVA + 123), PHYS + 123);
  assert.not.ok(t.lookup(3, IOVA + 4 * KiB), 'the next 4 KiB page is not cached');
  assert.ok(t.lookup(3, IOVA + 3 * MiB + 5));
  assert.is(t.hitClass, PAGE_2M);
  assert.is(t.physAddr(IOVA + 3 * MiB + 5), PHYS + 3 * MiB + 5);
  assert.ok(t.lookup(3, 2 * GiB + 700 * MiB));
  assert.is(t.physAddr(2 * GiB + 700 * MiB), 8 * GiB + 700 * MiB);
  assert.not.ok(t.lookup(4, IOVA), 'other domain');
  assert.is(t.invalidateRange(3, IOVA, IOVA + 4 * MiB), 2);
  assert.is(t.size, 1);
  assert.equal(Array.from(t.hits), [1, 1, 1]);
});

test('DeviceTlb: one store for all page sizes; range invalidation by page extent', () => {
  const atc = new DeviceTlb(2);
  atc.insert(1, IOVA, PAGE_2M, PHYS);
  atc.insert(1, IOVA + 4 * MiB, PAGE_4K, PHYS + 4 * MiB);
  assert.ok(atc.lookup(1, IOVA + MiB));
  assert.is(atc.physAddr(IOVA + MiB), PHYS + MiB);
  assert.ok(atc.lookup(1, IOVA + 4 * MiB + 8));
  assert.is(atc.invalidateRange(1, IOVA + MiB, IOVA + MiB + 4 * KiB), 1, 'a 4 KiB range inside the 2 MiB page drops it');
  assert.not.ok(atc.lookup(1, IOVA));
  assert.ok(atc.lookup(1, IOVA + 4 * MiB));
});

/** `passes` cyclic sweeps over `pages` pages of `stride` bytes through one domain mapped with `pageBytes` pages. */
function sweep(params: Partial<IommuParamsInput>, windowBytes: number, stride: number, passes: number, pageBytes = 4 * KiB) {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...XEON_IOMMU, ...params });
  const d = mmu.createDomain();
  mmu.attach(RID, d);
  mmu.map(d, IOVA, PHYS, Math.ceil(windowBytes / pageBytes) * pageBytes, pageBytes);
  for (let p = 0; p < passes; p++) {
    for (let off = 0; off < windowBytes; off += stride) {
      const r = mmu.translate(IOVA + off + 64, RID);
      if (!r.ok || r.physAddr !== PHYS + off + 64) throw new Error(`bad translation at +${off}`);
    }
  }
  return mmu.stats();
}

for (const E of [32, 64, 128]) {
  test(`the IOTLB cliff with ${E} fully associative 4 KiB entries: W <= ${E} hits all but the first pass, W > ${E} never hits`, () => {
    const fa = { iotlb4kEntries: E, iotlb4kWays: E, l2IotlbEntries: 0 };
    const passes = 20;
    for (const W of [E / 2, E]) {
      const s = sweep(fa, W * 4 * KiB, 4 * KiB, passes);
      assert.is(s.iotlbMisses, W, `W=${W}: one miss per page, first pass only`);
      assert.is(s.iotlbHits, (passes - 1) * W);
      assert.ok(s.iotlbHits / (s.iotlbHits + s.iotlbMisses) >= 0.95);
    }
    for (const W of [E + 1, 2 * E]) {
      const s = sweep(fa, W * 4 * KiB, 4 * KiB, passes);
      assert.is(s.iotlbHits, 0, `W=${W}: LRU evicts each page just before its next use`);
      assert.is(s.iotlbMisses, passes * W);
    }
  });
}

test('the second-level IOTLB: a cyclic sweep past the first level but inside the second walks on its first pass only; without it every access walks', () => {
  const pages = 100, passes = 5;
  const l2 = presetValuesOf('iommu-xeon-e5') as { iotlb4kEntries: number; l2IotlbEntries: number };
  assert.ok(pages > l2.iotlb4kEntries && pages <= l2.l2IotlbEntries, 'the window is between the two reaches');
  const two = sweep({}, pages * 4 * KiB, 4 * KiB, passes);
  assert.is(two.iotlbMisses, pages, 'one walk per page, first pass only');
  assert.is(two.l2IotlbHits, (passes - 1) * pages, 'the first level (LRU, cyclic) never hits; the second always does');
  assert.is(two.iotlbHits, two.l2IotlbHits);
  const one = sweep({ l2IotlbEntries: 0 }, pages * 4 * KiB, 4 * KiB, passes);
  assert.is(one.iotlbMisses, passes * pages);
  assert.is(one.l2IotlbHits, 0);
});

test('with 2 MiB pages the same byte window fits: 64 MiB swept at 4 KiB strides', () => {
  const passes = 2, window = 64 * MiB, accesses = passes * (window / (4 * KiB));
  const small = sweep({}, window, 4 * KiB, passes, 4 * KiB);
  assert.is(small.iotlbHits, 0, '16384 pages of 4 KiB thrash 64 entries');
  assert.is(small.iotlbMisses, accesses);
  const huge = sweep({}, window, 4 * KiB, passes, 2 * MiB);
  assert.is(huge.iotlbMissesBySize[PAGE_2M], 32, 'one miss per 2 MiB page, first pass only: 32 pages fit 32 entries');
  assert.is(huge.iotlbHits, accesses - 32);
  // And just past the 2 MiB reach the cliff is back (one access per 2 MiB page).
  const past = sweep({}, 66 * MiB, 2 * MiB, 5, 2 * MiB);
  assert.is(past.iotlbHits, 0);
  // The default 4 KiB reach is 256 KiB: a 512 KiB window thrashes with 4 KiB pages, not with 2 MiB.
  assert.is(sweep({}, 512 * KiB, 4 * KiB, 5).iotlbHits, 0);
  assert.is(sweep({}, 512 * KiB, 4 * KiB, 5, 2 * MiB).iotlbMisses, 1);
});

test('a translation reuses one result object (no allocation per lookup)', () => {
  // Heap growth is a benchmark's business, not a test's (it depends on GC timing); this checks the mechanism.
  const sim = new Simulation();
  const mmu = new Iommu(sim, XEON_IOMMU);
  const d = mmu.createDomain();
  mmu.attach(RID, d);
  mmu.map(d, IOVA, PHYS, 32 * 4 * KiB);
  const r1 = mmu.translate(IOVA, RID), r2 = mmu.translate(IOVA + 4 * KiB, RID);
  assert.ok(r1 === r2, 'one reused result object');
});

test.run();

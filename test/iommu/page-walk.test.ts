/**
 * Page walks: one read per level not held in a paging-structure cache,
 * early ends for 2 MiB and 1 GiB pages, 5 levels, and nested translation's
 * (n+1)(m+1)-1 reads (SOURCES.md: 24 for 4 × 4 levels, 15 with 2 MiB pages
 * in both stages), through the walker and through Iommu.translate.
 */
import { test } from 'uvu';
import { presetParams, presetValuesOf } from '../preset-params.js';

/** The IOMMU every test here starts from: the iommu-xeon-e5 preset. */
const XEON_IOMMU = presetValuesOf('iommu-xeon-e5') as IommuParamsInput;
import * as assert from 'uvu/assert';
import { Simulation } from '../../src/sim/index.js';
import { Iommu } from '../../models/iommu/iommu.js';
import { PageWalker, levelSpan } from '../../models/iommu/page-walk.js';
import { iommuParams, type IommuParamsInput } from '../../models/iommu/params.js';

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, TiB = 1024 * GiB;
const RID = 0x200;
const NO_PSC = { pscPml5Entries: 0, pscPml4Entries: 0, pscPdptEntries: 0, pscPdEntries: 0 };
const PSC = { pml5: 2, pml4: 4, pdpt: 8, pd: 32 };

test('level spans: 4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB', () => {
  assert.equal([1, 2, 3, 4, 5].map(levelSpan), [4 * KiB, 2 * MiB, GiB, 512 * GiB, 256 * TiB]);
});

test('4 levels: 4 reads cold; 1 with the PD entry cached, 2 with the PDPT entry, 3 with the PML4 entry', () => {
  const w = new PageWalker(PSC);
  const a = 16 * GiB;
  assert.is(w.walk(0, 4, a, 1), 4, 'cold');
  assert.is(w.walk(0, 4, a + 4 * KiB, 1), 1, 'same 2 MiB: PD-entry hit, only the PTE read');
  assert.is(w.walk(0, 4, a + 2 * MiB, 1), 2, 'same 1 GiB: PDPT-entry hit, PD and PT read');
  assert.is(w.walk(0, 4, a + GiB, 1), 3, 'same 512 GiB: PML4-entry hit');
  assert.is(w.walk(0, 4, a + 512 * GiB, 1), 4, 'another PML4 entry: the root is read again');
  assert.is(w.walk(1, 4, a, 1), 4, 'PSC entries are tagged by domain');
  const s = w.stats();
  assert.is(s.walks, 6);
  assert.is(s.reads, 4 + 1 + 2 + 3 + 4 + 4);
  assert.is(s.pscHits[2], 1);
  assert.is(s.pscHits[3], 1);
  assert.is(s.pscHits[4], 1);
});

test('2 MiB pages end the walk at the PD (3 reads cold), 1 GiB at the PDPT (2); PD-entry caches do not apply to them', () => {
  const w = new PageWalker(PSC);
  assert.is(w.walk(0, 4, 0, 2), 3);
  assert.is(w.walk(0, 4, 2 * MiB, 2), 1, 'PDPT-entry hit: only the PD entry (the leaf) read');
  assert.is(w.walk(0, 4, 8 * GiB, 3), 1, 'the PML4 entry of the first walk is cached: only the PDPT entry read');
  assert.is(w.walk(0, 4, 1024 * GiB, 3), 2, 'another 512 GiB: cold');
  assert.is(w.walk(0, 4, 1025 * GiB, 3), 1);
  assert.is(w.pscSize(2), 0, 'no PD entries were read, none cached');
});

test('5 levels: 5 reads cold; a PML5-entry hit saves one', () => {
  const w = new PageWalker(PSC);
  assert.is(w.walk(0, 5, 0, 1), 5);
  assert.is(w.walk(0, 5, 512 * GiB, 1), 4);
  assert.is(w.walk(0, 5, 512 * GiB + 4 * KiB, 1), 1);
});

test('PSC capacity is exact LRU: two PD entries, three 2 MiB regions, the oldest entry is gone', () => {
  const w = new PageWalker({ pml5: 0, pml4: 0, pdpt: 0, pd: 2 });
  assert.is(w.walk(0, 4, 0, 1), 4);
  assert.is(w.walk(0, 4, 2 * MiB, 1), 4, 'no PDPT cache: a PD miss walks from the root');
  assert.is(w.walk(0, 4, 4 * MiB, 1), 4);
  assert.is(w.walk(0, 4, 4 * MiB + 4 * KiB, 1), 1);
  assert.is(w.walk(0, 4, 2 * MiB + 4 * KiB, 1), 1);
  assert.is(w.walk(0, 4, 4 * KiB, 1), 4, 'region 0 was evicted by region 2');
  const none = new PageWalker({ pml5: 0, pml4: 0, pdpt: 0, pd: 0 });
  assert.is(none.walk(0, 4, 0, 1), 4);
  assert.is(none.walk(0, 4, 0, 1), 4, 'without PSCs every walk is full');
});

function iommu(params: Partial<IommuParamsInput> = {}) {
  const sim = new Simulation();
  return { sim, mmu: new Iommu(sim, { ...XEON_IOMMU, ...params }) };
}

test('through translate: a miss costs reads × walkReadLatency, a hit hitLatency', () => {
  const { mmu } = iommu({ hitLatency: '5 ns' });
  const p = presetParams(iommuParams, 'iommu-xeon-e5');
  const d = mmu.createDomain();
  mmu.attach(RID, d);
  mmu.map(d, 8 * GiB, 32 * GiB, 16 * 4 * KiB);
  const cold = mmu.translate(8 * GiB, RID);
  assert.is(cold.source, 'walk');
  assert.is(cold.delayPs, 5000 + 4 * p.walkReadLatency);
  assert.is(cold.delayPs, 5000 + 1_120_000, 'a cold 4-level walk with the default 280 ns read: 1.12 us');
  const next = mmu.translate(8 * GiB + 4 * KiB, RID);
  assert.is(next.delayPs, 5000 + p.walkReadLatency, 'PD entry cached: one read');
  const hit = mmu.translate(8 * GiB + 100, RID);
  assert.is(hit.source, 'iotlb');
  assert.is(hit.delayPs, 5000);
  const s = mmu.stats();
  assert.is(s.walks, 2);
  assert.is(s.walkReads, 5);
  assert.is(s.walkPs, 5 * p.walkReadLatency);
});

/** A guest's device: a host (stage-2) domain identity-plus-offset mapping the guest's memory, and a nested domain. */
function nested(params: Partial<IommuParamsInput>, guestPage: number, hostPage: number, levels = 4) {
  const { mmu } = iommu({ ...params, levels: levels as 4 | 5 });
  const HOST_OFFSET = 64 * GiB;
  const tables = 0, tablesBytes = Math.max(hostPage, 64 * KiB);
  const dataGpa = GiB, dataBytes = Math.max(guestPage, hostPage) * 2;
  const host = mmu.createDomain();
  mmu.map(host, tables, tables + HOST_OFFSET, tablesBytes, hostPage);
  mmu.map(host, dataGpa, dataGpa + HOST_OFFSET, dataBytes, hostPage);
  const guest = mmu.createNestedDomain(host, { tableBase: tables });
  const IOVA = 3 * GiB;
  mmu.map(guest, IOVA, dataGpa, dataBytes, guestPage);
  mmu.attach(RID, guest);
  return { mmu, IOVA, expect: (iova: number) => iova - IOVA + dataGpa + HOST_OFFSET };
}

test('nested 4 × 4 levels with empty PSCs: (4+1)(4+1)-1 = 24 reads', () => {
  const { mmu, IOVA, expect } = nested(NO_PSC, 4 * KiB, 4 * KiB);
  const r = mmu.translate(IOVA + 4 * KiB + 12, RID);
  assert.ok(r.ok);
  assert.is(r.physAddr, expect(IOVA + 4 * KiB + 12), 'IOVA -> GPA -> HPA');
  assert.is(mmu.stats().walkReads, 24);
  assert.is(mmu.stats().nestedWalks, 1);
  mmu.translate(IOVA, RID);
  assert.is(mmu.stats().walkReads, 48, 'still 24: nothing is cached between walks');
});

test('nested with 2 MiB pages in both stages and empty PSCs: (3+1)(3+1)-1 = 15 reads', () => {
  const { mmu, IOVA, expect } = nested(NO_PSC, 2 * MiB, 2 * MiB);
  const r = mmu.translate(IOVA + MiB + 4, RID);
  assert.is(r.physAddr, expect(IOVA + MiB + 4));
  assert.is(r.pageBytes, 2 * MiB);
  assert.is(mmu.stats().walkReads, 15);
});

test('nested mixed and 5-level: 4 KiB guest over 2 MiB host = 4 × 4 + 3 = 19; 5 × 5 levels = 35', () => {
  const mixed = nested(NO_PSC, 4 * KiB, 2 * MiB);
  const r = mixed.mmu.translate(mixed.IOVA, RID);
  assert.is(r.pageBytes, 4 * KiB, 'the smaller page of the two stages');
  assert.is(mixed.mmu.stats().walkReads, 4 * (3 + 1) + 3);
  const five = nested(NO_PSC, 4 * KiB, 4 * KiB, 5);
  five.mmu.translate(five.IOVA, RID);
  assert.is(five.mmu.stats().walkReads, 35);
});

test('nested with PSCs: host walks of later table pages and the next page reuse cached entries (14 cold, then 3)', () => {
  const { mmu, IOVA } = nested({}, 4 * KiB, 4 * KiB);
  mmu.translate(IOVA, RID);
  // Guest PML4 page: a cold host walk (4) + the entry (1); the guest PDPT, PD and PT pages lie in the
  // same 2 MiB of guest memory: one host read each (PD-entry hit) + the entry; the data GPA (1 GiB, another
  // PDPT entry): a PML4-entry hit leaves 3 host reads.
  assert.is(mmu.stats().walkReads, 5 + 3 * 2 + 3);
  mmu.translate(IOVA + 4 * KiB, RID);
  // Stage-1 PD entry cached: only the guest PT read (1 host read + 1), then the data GPA in the same 2 MiB (1).
  assert.is(mmu.stats().walkReads, 14 + 3);
});

test('a guest table page missing from stage 2 is a translation fault, not a throw', () => {
  const { mmu } = iommu();
  const host = mmu.createDomain();
  mmu.map(host, GiB, 65 * GiB, 64 * KiB);
  const guest = mmu.createNestedDomain(host, { tableBase: 0 }); // tables at GPA 0: not mapped in stage 2
  mmu.map(guest, 0, GiB, 4 * KiB);
  mmu.attach(RID, guest);
  const r = mmu.translate(100, RID);
  assert.is(r.ok, false);
  assert.is(mmu.stats().faults, 1);
});

test.run();

/**
 * The grant table's own bookkeeping (GrantTable.invariants): a consistent
 * table reports nothing, and each way its state can disagree with itself is
 * named. The state is tampered with directly, as a model bug would leave it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GrantTable, RESERVED_ENTRIES } from '../../models/xen/grant-table.js';

const PAGE = 4096;

/** A v1 table (512 entries a frame) after some grants, ends and mappings. */
function used(): { t: GrantTable; refs: number[] } {
  const t = new GrantTable(1, 4, 1, PAGE);
  const refs = Array.from({ length: 600 }, () => t.grant(7, false).ref); // grows to 2 frames
  for (const ref of refs.slice(0, 100)) assert.is(t.end(ref), 'ok');
  t.noteMapped(refs[200]!, 1);
  t.noteMapped(refs[200]!, 1);
  t.noteMapped(refs[300]!, 1);
  return { t, refs };
}

const state = (t: GrantTable) => t as unknown as {
  grantee: Int32Array; mapCount: Int32Array; free: Int32Array; nFree: number; inUse: number; highWater: number; framesNow: number; grantedTotal: number;
};

test('a table used by the rules keeps its counts: entries, frames, mappings, bytes', () => {
  const { t, refs } = used();
  assert.equal(t.invariants(), []);
  assert.is(t.frames, 2);
  assert.is(t.used, 500);
  assert.is(t.peakUsed, 600);
  assert.is(t.mappings, 3, 'two mappings of one entry and one of another');
  assert.is(t.available, 2 * 512 - RESERVED_ENTRIES - 500 + 2 * 512, 'free now plus the two frames it may still add');
  assert.is(t.bytes, 2 * PAGE);
  assert.is(t.end(refs[200]!), 'busy', 'a mapped entry stays granted');
  assert.is(t.end(3), 'bad-ref', 'a reserved entry was never granted');
  // v2: 256 entries a frame, plus a status frame per 2,048 entries (2 bytes each): 8 frames need one, 9 two.
  assert.is(new GrantTable(2, 16, 3, PAGE).bytes, 3 * PAGE + PAGE);
  assert.is(new GrantTable(2, 16, 8, PAGE).bytes, 8 * PAGE + PAGE);
  assert.is(new GrantTable(2, 16, 9, PAGE).bytes, 9 * PAGE + 2 * PAGE);
});

test('a fresh table, one with its first entry granted, and one of reserved entries only agree with themselves', () => {
  const t = new GrantTable(1, 2, 1, PAGE);
  assert.equal(t.invariants(), []);
  for (let i = 0; i < 10; i++) t.grant(1, true); // entries 8..17; the free list's slots above its top still hold them
  assert.equal([t.grantedTo(8, 1, false), t.invariants()], [true, []]);
  // 64-byte frames of v2: 4 entries each, all reserved; nothing free, nothing in use.
  assert.equal(new GrantTable(2, 2, 1, 64).invariants(), []);
});

test('every way the bookkeeping can disagree with itself is named', () => {
  const cases: [string, (s: ReturnType<typeof state>, refs: number[]) => void, RegExp][] = [
    ['a reserved entry granted', (s) => { s.grantee[2] = 7; }, /entry 2 is granted but reserved or past the table's 2 frames/],
    ['the first reserved entry granted', (s) => { s.grantee[0] = 7; }, /entry 0 is granted but reserved/],
    ['an entry past the frames granted', (s) => { s.grantee[2 * 512] = 7; }, /entry 1024 is granted but reserved or past/],
    ['a free entry mapped', (s, refs) => { s.mapCount[refs[0]!] = 1; }, /is free but mapped 1 times/],
    ['a negative mapping', (s, refs) => { s.mapCount[refs[400]!] = -1; }, /is mapped -1 times/],
    ['an entry twice on the free list', (s) => { s.free[1] = s.free[0]!; }, /is on the free list twice, or while granted/],
    ['a granted entry on the free list', (s, refs) => { s.free[0] = refs[500]!; }, /is on the free list twice, or while granted/],
    ['the in-use count off', (s) => { s.inUse++; }, /500 entries granted, 501 counted in use, 600 grants - 100 ends/],
    ['the grants counted off', (s) => { s.grantedTotal++; }, /500 entries granted, 500 counted in use, 601 grants - 100 ends/],
    ['the free count off', (s) => { s.nFree--; }, /free \+ 500 in use != 1024 entries present - 8 reserved/],
    ['the peak below the use', (s) => { s.highWater = 10; }, /2 of 4 frames, peak 10 < 500 in use/],
    ['more frames than the maximum', (s) => { s.framesNow = 5; }, /5 of 4 frames/],
  ];
  for (const [what, tamper, message] of cases) {
    const { t, refs } = used();
    tamper(state(t), refs);
    const problems = t.invariants();
    assert.ok(problems.some((p) => message.test(p)), `${what}: ${problems.join('; ') || 'nothing reported'}`);
  }
});

test.run();

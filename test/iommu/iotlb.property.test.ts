/**
 * The translation caches against reference caches built from plain arrays:
 * each set a list from least to most recently used, holding at most `ways`
 * entries; a hit moves an entry to the end, an insert into a full set drops
 * the first, and an invalidated entry simply leaves its list (so its way is
 * free for the next insert, before any valid entry is evicted).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceTlb, Iotlb, NO_SLOT, NOT_STALE, PAGE_BYTES, SetAssocLru, pageSizeClass } from '../../models/iommu/iotlb.js';
import { fc, holds } from '../property.js';

/** `stale`: when the entry's mapping went (a time), or null while it exists. */
interface Entry { domain: number; tag: number; value: number; stale: number | null }

/** The model's staleSince read as the reference keeps it: null while the mapping exists. */
const staleOf = (since: number) => (since === NOT_STALE ? null : since);

class ReferenceLru {
  readonly sets: Entry[][];
  evictions = 0;
  constructor(readonly setCount: number, readonly ways: number) {
    this.sets = Array.from({ length: setCount }, () => []);
  }
  private set(tag: number): Entry[] { return this.sets[tag % this.setCount]!; }
  private indexOf(domain: number, tag: number): number {
    return this.setCount === 0 ? -1 : this.set(tag).findIndex((e) => e.domain === domain && e.tag === tag);
  }
  peek(domain: number, tag: number): Entry | undefined { return this.setCount === 0 ? undefined : this.set(tag)[this.indexOf(domain, tag)]; }
  find(domain: number, tag: number): Entry | undefined {
    const i = this.indexOf(domain, tag);
    if (i < 0) return undefined;
    const s = this.set(tag), [e] = s.splice(i, 1);
    s.push(e!);
    return e;
  }
  insert(domain: number, tag: number, value: number): void {
    if (this.setCount === 0) return;
    const s = this.set(tag), i = this.indexOf(domain, tag);
    if (i >= 0) s.splice(i, 1);
    else if (s.length === this.ways) { s.shift(); this.evictions++; }
    s.push({ domain, tag, value, stale: null });
  }
  remove(pred: (e: Entry) => boolean): number {
    let n = 0;
    for (const s of this.sets) for (let i = s.length - 1; i >= 0; i--) if (pred(s[i]!)) { s.splice(i, 1); n++; }
    return n;
  }
  get size(): number { return this.sets.reduce((a, s) => a + s.length, 0); }
  all(): Entry[] { return this.sets.flat(); }
}

const shape = fc.constantFrom([0, 1], [1, 1], [2, 1], [2, 2], [4, 4], [4, 2], [8, 4], [8, 2], [6, 3], [16, 4]);
const storeOp = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), domain: fc.nat(2), tag: fc.nat(19) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('find' as const), domain: fc.nat(2), tag: fc.nat(19) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('peek' as const), domain: fc.nat(2), tag: fc.nat(19) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateSlot' as const), domain: fc.nat(2), tag: fc.nat(19) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateRange' as const), domain: fc.nat(2), tag: fc.nat(19), span: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('markStale' as const), domain: fc.nat(2), tag: fc.nat(19), span: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateDomain' as const), domain: fc.nat(2) }) },
);

test('SetAssocLru: hits, misses, evictions, contents, values and staleness match the reference LRU', () => {
  holds(fc.property(shape, fc.array(storeOp, { maxLength: 150 }), ([entries, ways], ops) => {
    const real = new SetAssocLru(entries!, ways!, 'under test');
    const ref = new ReferenceLru(entries === 0 ? 0 : entries! / ways!, ways!);
    let clock = -1; // times from 0: a mark at 0 or 1 is a time like any other
    for (const o of ops) {
      clock++;
      switch (o.kind) {
        case 'insert': real.insert(o.domain, o.tag, clock); ref.insert(o.domain, o.tag, clock); break;
        case 'find': case 'peek': {
          const slot = real[o.kind](o.domain, o.tag), e = ref[o.kind](o.domain, o.tag);
          assert.is(slot !== NO_SLOT, e !== undefined, `${o.kind} ${o.domain}:${o.tag}`);
          if (e) assert.equal([real.value[slot], staleOf(real.staleSince[slot]!)], [e.value, e.stale]);
          break;
        }
        case 'invalidateSlot': {
          const slot = real.peek(o.domain, o.tag);
          if (slot !== NO_SLOT) real.invalidateSlot(slot);
          ref.remove((e) => e.domain === o.domain && e.tag === o.tag);
          break;
        }
        case 'invalidateRange':
          assert.is(real.invalidateRange(o.domain, o.tag, o.tag + o.span), ref.remove((e) => e.domain === o.domain && e.tag >= o.tag && e.tag <= o.tag + o.span));
          break;
        case 'markStale': {
          const hit = ref.all().filter((e) => e.domain === o.domain && e.tag >= o.tag && e.tag <= o.tag + o.span && e.stale === null);
          hit.forEach((e) => { e.stale = clock; });
          assert.is(real.markStale(o.domain, o.tag, o.tag + o.span, clock), hit.length);
          break;
        }
        case 'invalidateDomain':
          assert.is(real.invalidateDomain(o.domain), ref.remove((e) => e.domain === o.domain));
          break;
      }
      assert.equal([real.size, real.evictions], [ref.size, ref.evictions], `after ${o.kind}`);
    }
    // Every entry the reference holds is there with its value and staleness; the counts say nothing else is.
    for (const e of ref.all()) {
      const slot = real.peek(e.domain, e.tag);
      assert.ok(slot !== NO_SLOT, `${e.domain}:${e.tag} lost`);
      assert.equal([real.value[slot], staleOf(real.staleSince[slot]!)], [e.value, e.stale]);
    }
    real.clear();
    assert.equal([real.size, ref.all().filter((e) => real.peek(e.domain, e.tag) !== NO_SLOT).length], [0, 0]);
  }), 400);
});

test('an invalidated way is reused before a valid entry is evicted: a 4-way set keeps 4 entries', () => {
  const c = new SetAssocLru(8, 4, 'two sets');
  for (const t of [0, 2, 4, 6]) c.insert(0, t, t);
  c.invalidateSlot(c.peek(0, 2));
  for (const t of [8, 10]) c.insert(0, t, t);
  // 8 took 2's way; 10 evicted the least recently used, 0.
  assert.equal([0, 2, 4, 6, 8, 10].filter((t) => c.peek(0, t) !== NO_SLOT), [4, 6, 8, 10]);
  assert.equal([c.size, c.evictions], [4, 1]);
  assert.is(c.insert(0, 1, 1) >= 4, true, 'odd tags go to the second set');
});

/** A page of size class k holding addr, as the reference keys it. */
const pageOf = (addr: number, k: number) => Math.floor(addr / PAGE_BYTES[k]!);
const MiB = 2 ** 20, GiB = 2 ** 30;

test('Iotlb: lookups search 4 KiB, then 2 MiB, then 1 GiB; translation and range invalidation by page extent', () => {
  const addr = fc.integer({ min: 0, max: 4 * GiB - 1 }).map((a) => a - (a % (256 * 1024)));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), domain: fc.nat(1), addr, k: fc.nat(2) }),
    fc.record({ kind: fc.constant('lookup' as const), domain: fc.nat(1), addr }),
    fc.record({ kind: fc.constant('invalidate' as const), domain: fc.nat(1), addr, bytes: fc.integer({ min: 1, max: 3 * MiB }) }),
    fc.record({ kind: fc.constant('invalidateDomain' as const), domain: fc.nat(1) }),
  );
  holds(fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
    const cfg = { entries: [8, 4, 2], ways: [2, 4, 1] } as const;
    const real = new Iotlb(cfg);
    const ref = [0, 1, 2].map((k) => new ReferenceLru(cfg.entries[k]! / cfg.ways[k]!, cfg.ways[k]!));
    const hits = [0, 0, 0];
    for (const o of ops) {
      if (o.kind === 'insert') {
        const base = pageOf(o.addr, o.k) * PAGE_BYTES[o.k]! + 2 ** 40;
        real.insert(o.domain, o.addr, o.k, base);
        ref[o.k]!.insert(o.domain, pageOf(o.addr, o.k), base);
      } else if (o.kind === 'lookup') {
        const k = [0, 1, 2].find((c) => ref[c]!.find(o.domain, pageOf(o.addr, c)) !== undefined);
        assert.is(real.lookup(o.domain, o.addr), k !== undefined);
        if (k !== undefined) {
          hits[k]++;
          assert.is(real.hitClass, k);
          assert.is(real.physAddr(o.addr + 4095), o.addr + 4095 + 2 ** 40, 'identity plus 1 TiB, at the right offset');
          assert.is(real.hitStaleSince(), NOT_STALE);
        }
      } else if (o.kind === 'invalidate') {
        const lo = o.addr, hi = o.addr + o.bytes;
        const dropped = [0, 1, 2].reduce((n, k) => n + ref[k]!.remove((e) => e.domain === o.domain &&
          e.tag * PAGE_BYTES[k]! < hi && (e.tag + 1) * PAGE_BYTES[k]! > lo), 0);
        assert.is(real.invalidateRange(o.domain, lo, hi), dropped);
      } else {
        assert.is(real.invalidateDomain(o.domain), ref.reduce((n, r) => n + r.remove((e) => e.domain === o.domain), 0));
      }
      assert.equal([real.size, real.evictions], [ref.reduce((n, r) => n + r.size, 0), ref.reduce((n, r) => n + r.evictions, 0)]);
    }
    assert.equal([...real.hits], hits);
    assert.is(real.lookups, ops.filter((o) => o.kind === 'lookup').length);
  }), 300);
});

test('DeviceTlb: one fully associative store for every page size, invalidated by page extent', () => {
  const addr = fc.integer({ min: 0, max: 4 * GiB - 1 }).map((a) => a - (a % 4096));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), domain: fc.nat(1), addr, k: fc.nat(2) }),
    fc.record({ kind: fc.constant('lookup' as const), domain: fc.nat(1), addr }),
    fc.record({ kind: fc.constant('invalidate' as const), domain: fc.nat(1), addr, bytes: fc.integer({ min: 1, max: 3 * MiB }) }),
    fc.record({ kind: fc.constant('stale' as const), domain: fc.nat(1), addr, bytes: fc.integer({ min: 1, max: 3 * MiB }) }),
  );
  holds(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
    const real = new DeviceTlb(4);
    // One store: the key is (class, page) and every entry competes for the same 4 ways.
    const ref = new ReferenceLru(1, 4);
    const key = (page: number, k: number) => page * 4 + k;
    let lookupHits = 0;
    let t = -1;
    for (const o of ops) {
      t++;
      if (o.kind === 'insert') {
        real.insert(o.domain, o.addr, o.k, pageOf(o.addr, o.k) * PAGE_BYTES[o.k]!);
        ref.insert(o.domain, key(pageOf(o.addr, o.k), o.k), pageOf(o.addr, o.k) * PAGE_BYTES[o.k]!);
      } else if (o.kind === 'lookup') {
        const k = [0, 1, 2].find((c) => ref.find(o.domain, key(pageOf(o.addr, c), c)) !== undefined);
        assert.is(real.lookup(o.domain, o.addr), k !== undefined);
        if (k !== undefined) {
          lookupHits++;
          assert.is(real.physAddr(o.addr + 17), o.addr + 17);
          assert.is(staleOf(real.hitStaleSince()), ref.peek(o.domain, key(pageOf(o.addr, k), k))!.stale);
        }
      } else {
        const lo = o.addr, hi = o.addr + o.bytes;
        const overlaps = (e: Entry) => {
          const k = e.tag % 4, b = PAGE_BYTES[k]!, start = ((e.tag - k) / 4) * b;
          return e.domain === o.domain && start < hi && start + b > lo;
        };
        if (o.kind === 'invalidate') assert.is(real.invalidateRange(o.domain, lo, hi), ref.remove(overlaps));
        else {
          const hit = ref.all().filter(overlaps);
          hit.forEach((e) => { if (e.stale === null) e.stale = t; });
          assert.is(real.markStale(o.domain, lo, hi, t), hit.length);
        }
      }
      assert.is(real.size, ref.size);
    }
    assert.equal([real.lookups, real.hits], [ops.filter((o) => o.kind === 'lookup').length, lookupHits]);
  }), 300);
});

test('page sizes are the VT-d ones: 4 KiB, 2 MiB and 1 GiB; a 1 GiB page translates by its offset within 2^30 bytes', () => {
  assert.equal([...PAGE_BYTES], [4096, 2_097_152, 1_073_741_824]);
  assert.equal([4096, 2_097_152, 1_073_741_824].map(pageSizeClass), [0, 1, 2]);
  assert.throws(() => pageSizeClass(8192), /page size 8192 B: expected 4 KiB \(4096\), 2 MiB \(2097152\) or 1 GiB \(1073741824\)/);
  const t = new Iotlb({ entries: [4, 2, 1], ways: [4, 2, 1] });
  t.insert(0, 3 * GiB + 5, 2, 7 * GiB);
  assert.ok(t.lookup(0, 3 * GiB + 123_456_789));
  assert.equal([t.hitClass, t.physAddr(3 * GiB + 123_456_789)], [2, 7 * GiB + 123_456_789]);
  assert.not.ok(t.lookup(0, 4 * GiB), 'the next 1 GiB page');
  assert.not.ok(t.lookup(0, 3 * GiB - 1), 'the page before');
});

test('ranges end where they say: [lo, hi) drops the pages it touches, not the ones that start at hi or end at lo', () => {
  const fill = () => {
    const t = new Iotlb({ entries: [8, 2, 1], ways: [8, 2, 1] });
    for (const page of [0, 1, 2]) t.insert(0, page * 4096, 0, page * 4096);
    return t;
  };
  // [4096, 8192) is page 1 exactly.
  let t = fill();
  assert.is(t.invalidateRange(0, 4096, 8192), 1);
  assert.equal([0, 4096, 8192].map((a) => t.lookup(0, a)), [true, false, true]);
  t = fill();
  assert.is(t.markStale(0, 4096, 8192, 0), 1);
  assert.equal([0, 4096, 8192].map((a) => (t.lookup(0, a), t.hitStaleSince())), [NOT_STALE, 0, NOT_STALE]);
  // A page marked stale at 0 or 1 keeps that time: a later mark of it counts nothing.
  assert.is(t.markStale(0, 0, 4096, 1), 1);
  assert.is(t.markStale(0, 0, 3 * 4096, 5), 1, 'only page 2 was not stale yet');
  assert.equal([0, 4096, 8192].map((a) => (t.lookup(0, a), t.hitStaleSince())), [1, 0, 5]);
  assert.is(t.markStale(1, 0, 3 * 4096, 6), 0, 'another domain');
  // The device TLB the same: entries of every size by their extent.
  const atc = new DeviceTlb(4);
  for (const page of [0, 1, 2]) atc.insert(0, page * 4096, 0, page * 4096);
  assert.is(atc.invalidateRange(0, 4096, 8192), 1);
  assert.equal([0, 4096, 8192].map((a) => atc.lookup(0, a)), [true, false, true]);
  assert.equal([atc.lookups, atc.hits], [3, 2]);
});

test('zero-entry translation caches hold nothing; bad ways are refused by name', () => {
  const atc = new DeviceTlb(0);
  atc.insert(0, 0, 0, 0);
  assert.equal([atc.lookup(0, 0), atc.size, atc.lookups, atc.hits], [false, 0, 1, 0]);
  assert.throws(() => new SetAssocLru(8, 0, 'c'), /c: ways must be a whole number >= 1, got 0/);
  assert.throws(() => new SetAssocLru(8, 1.5, 'c'), /c: ways must be a whole number >= 1, got 1.5/);
  assert.is(new SetAssocLru(8, 1, 'direct-mapped').sets, 8);
});

test.run();

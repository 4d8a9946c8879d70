/**
 * The grant table and maptrack against references made of plain arrays and
 * sets: a table of frames × entries-per-frame entries, the first 8 reserved,
 * grown a frame at a time only when no entry is free, full at maxFrames;
 * free entries handed out last-freed first (a new frame's lowest first).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENTRY_BYTES, GrantTable, Maptrack, NO_REF, RESERVED_ENTRIES, type GrantVersion } from '../../models/xen/grant-table.js';
import { fc, holds } from '../property.js';

class ReferenceTable {
  frames: number;
  readonly free: number[] = [];
  readonly granted = new Map<number, { domid: number; readOnly: boolean }>();
  readonly mapped = new Map<number, number>();
  peak = 0;
  constructor(readonly perFrame: number, readonly maxFrames: number, initial: number) {
    this.frames = 0;
    this.addFrame(initial);
  }
  private addFrame(n: number): void {
    const first = this.frames * this.perFrame;
    this.frames += n;
    const fresh: number[] = [];
    for (let r = first; r < this.frames * this.perFrame; r++) if (r >= RESERVED_ENTRIES) fresh.push(r);
    this.free.push(...fresh.reverse()); // the lowest on top
  }
  grant(domid: number, readOnly: boolean): { ref: number; grewFrames: number } {
    let grew = 0;
    while (this.free.length === 0 && this.frames < this.maxFrames) { this.addFrame(1); grew++; }
    if (this.free.length === 0) return { ref: NO_REF, grewFrames: grew };
    const ref = this.free.pop()!;
    this.granted.set(ref, { domid, readOnly });
    this.peak = Math.max(this.peak, this.granted.size);
    return { ref, grewFrames: grew };
  }
  end(ref: number): 'ok' | 'busy' | 'bad-ref' {
    if (!this.granted.has(ref)) return 'bad-ref';
    if ((this.mapped.get(ref) ?? 0) > 0) return 'busy';
    this.granted.delete(ref);
    this.free.push(ref);
    return 'ok';
  }
}

const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('grant' as const), domid: fc.nat(3), readOnly: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('end' as const), pick: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('map' as const), pick: fc.nat(1000), delta: fc.constantFrom(1, -1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('endAny' as const), ref: fc.integer({ min: -2, max: 80 }) }) },
);

test('grant, end, map counts, growth and exhaustion match the reference, for v1 and v2 and any frame limits', () => {
  // 64-byte "pages" keep the tables small enough to exhaust: 8 v1 or 4 v2 entries a frame.
  holds(fc.property(fc.constantFrom<GrantVersion>(1, 2), fc.integer({ min: 1, max: 6 }), fc.nat(5), fc.array(op, { maxLength: 200 }), (version, maxFrames, initialPick, ops) => {
    const pageBytes = 64, perFrame = pageBytes / ENTRY_BYTES[version];
    const initial = 1 + (initialPick % maxFrames);
    if ((maxFrames * perFrame) <= RESERVED_ENTRIES) return; // no usable entry at all
    const real = new GrantTable(version, maxFrames, initial, pageBytes);
    const ref = new ReferenceTable(perFrame, maxFrames, initial);
    for (const o of ops) {
      const held = [...ref.granted.keys()];
      if (o.kind === 'grant') assert.equal(real.grant(o.domid, o.readOnly), ref.grant(o.domid, o.readOnly));
      else if (o.kind === 'end' && held.length) { const r = held[o.pick % held.length]!; assert.is(real.end(r), ref.end(r)); }
      else if (o.kind === 'endAny') assert.is(real.end(o.ref), ref.end(o.ref));
      else if (o.kind === 'map' && held.length) {
        const r = held[o.pick % held.length]!, now = ref.mapped.get(r) ?? 0;
        if (now + o.delta < 0) continue;
        real.noteMapped(r, o.delta as 1 | -1);
        ref.mapped.set(r, now + o.delta);
      }
      assert.equal([real.frames, real.used, real.peakUsed], [ref.frames, ref.granted.size, ref.peak]);
      assert.is(real.available, ref.free.length + (maxFrames - ref.frames) * perFrame);
      assert.is(real.usable, maxFrames * perFrame - RESERVED_ENTRIES);
      // v2 status words are grant_status_t, uint16_t: 2 bytes an entry, in whole pages.
      const statusPages = Math.ceil((ref.frames * perFrame * 2) / pageBytes);
      assert.is(real.bytes, ref.frames * pageBytes + (version === 2 ? statusPages * pageBytes : 0));
      assert.equal(real.invariants(), [], 'a table used by its rules agrees with itself');
      assert.is(real.mappings, [...ref.mapped.values()].reduce((a, b) => a + b, 0));
    }
    // Access checks: granted to whom, writable or not; reserved, free and out-of-table refs are granted to nobody.
    for (let r = -1; r <= maxFrames * perFrame; r++) {
      const g = ref.granted.get(r);
      for (const domid of [0, 1, 2, 3]) {
        assert.is(real.grantedTo(r, domid, false), g?.domid === domid, `ref ${r} read by ${domid}`);
        assert.is(real.grantedTo(r, domid, true), g?.domid === domid && !g.readOnly, `ref ${r} written by ${domid}`);
      }
      if (g) assert.is(real.mapped(r), ref.mapped.get(r) ?? 0);
    }
  }), 400);
});

test('a full table at maxFrames gives NO_REF without growing; every usable entry can be held at once', () => {
  for (const version of [1, 2] as const) {
    const perFrame = 4096 / ENTRY_BYTES[version];
    const t = new GrantTable(version, 3, 1, 4096);
    const refs = new Set<number>();
    let grew = 0;
    for (let i = 0; i < 3 * perFrame - RESERVED_ENTRIES; i++) { const g = t.grant(1, false); refs.add(g.ref); grew += g.grewFrames; }
    assert.equal([refs.size, Math.min(...refs), Math.max(...refs), grew, t.available], [3 * perFrame - 8, 8, 3 * perFrame - 1, 2, 0]);
    assert.equal(t.grant(1, false), { ref: NO_REF, grewFrames: 0 });
  }
  assert.throws(() => new GrantTable(1, 0, 1, 4096), /maxFrames must be a positive integer/);
  assert.is(new GrantTable(1, 1, 1, 4096).usable, 512 - 8, 'one frame is a table');
  assert.throws(() => new GrantTable(1, 4, 5, 4096), /initialFrames must be 1..maxFrames \(4\), got 5/);
  assert.throws(() => new GrantTable(1, 4, 0, 4096), /initialFrames/);
});

test('maptrack: takes up to its limit, then refuses; the peak is the most held at once; a double return is a model bug', () => {
  holds(fc.property(fc.nat(6), fc.array(fc.boolean(), { maxLength: 60 }), (limit, takes) => {
    const m = new Maptrack(limit);
    let held = 0, peak = 0;
    for (const take of takes) {
      if (take) { assert.is(m.take(), held < limit); if (held < limit) held++; }
      else if (held > 0) { m.put(); held--; } else assert.throws(() => m.put(), /returned twice/);
      peak = Math.max(peak, held);
      assert.equal([m.used, m.peakUsed], [held, peak]);
    }
  }));
});

test.run();

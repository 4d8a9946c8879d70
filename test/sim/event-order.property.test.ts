/**
 * The kernel's event order against a reference that cannot be wrong: a plain
 * array scanned for the earliest (time, insertion number) entry, or, for the
 * thousands of events it takes to reach the ladder (ladder.ts), an array
 * kept sorted by (time, insertion number). Generated
 * programs schedule, cancel, reschedule from handlers and run in pieces
 * (until a time, a number of events, a condition, to the end); the kernel
 * must execute exactly the reference's events, in its order, at its times.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../src/sim/index.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { fc, holds } from '../property.js';

const noop = () => {};

/** The reference queue: entries in insertion order; the next is the earliest time, the smallest id among equals. */
class NaiveQueue {
  entries: { time: number; id: number }[] = [];
  push(time: number, id: number): void { this.entries.push({ time, id }); }
  earliest(): number {
    let best = 0;
    for (let i = 1; i < this.entries.length; i++) {
      const e = this.entries[i]!, b = this.entries[best]!;
      if (e.time < b.time || (e.time === b.time && e.id < b.id)) best = i;
    }
    return best;
  }
  pop(): { time: number; id: number } { return this.entries.splice(this.earliest(), 1)[0]!; }
}

/** The same reference for thousands of entries: kept sorted latest first, so the earliest is the last. */
class SortedQueue {
  entries: { time: number; id: number }[] = [];
  push(time: number, id: number): void {
    let lo = 0, hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1, e = this.entries[mid]!;
      if (e.time > time || (e.time === time && e.id > id)) lo = mid + 1; else hi = mid;
    }
    this.entries.splice(lo, 0, { time, id });
  }
  earliest(): number { return this.entries.length - 1; }
  pop(): { time: number; id: number } { return this.entries.pop()!; }
}

/** Small limits reach every path of the ladder with a few dozen events; the defaults need thousands. */
const limits = fc.record({ heapLimit: fc.integer({ min: 1, max: 12 }), maxBuckets: fc.integer({ min: 1, max: 9 }) });

test('EventQueue with a ladder: every pop is the earliest (time, sequence), through entering and leaving the ladder, rebuilt rungs, events past the rung, ties and events put back', () => {
  // Times at or after the last one popped (as the kernel schedules: later buckets, top, ties at bucket edges),
  // or anywhere, negative too (before the current bucket, before the rung): the ladder never needs times in order.
  const op = fc.oneof(
    { arbitrary: fc.record({ push: fc.integer({ min: -20, max: 40 }), near: fc.boolean() }), weight: 3 },
    { arbitrary: fc.constant({ pop: true }), weight: 2 }, fc.constant({ peek: true }), fc.constant({ putBack: true }));
  holds(fc.property(fc.array(op, { maxLength: 400 }), limits, fc.integer({ min: 1, max: 8 }), (ops, lim, capacity) => {
    const q = new EventQueue(capacity, lim), ref = new NaiveQueue();
    let seq = 0, now = 0;
    for (const o of ops) {
      if ('push' in o) {
        const t = o.near ? now + Math.abs(o.push) : o.push;
        q.push(t, seq, noop, { id: seq }, 1000 + seq); ref.push(t, seq++);
      } else if (ref.entries.length === 0) continue;
      else if ('peek' in o) assert.is(q.peekTime(), ref.entries[ref.earliest()]!.time);
      else {
        const e = 'putBack' in o ? ref.entries[ref.earliest()]! : ref.pop();
        q.pop();
        assert.equal([q.outTime, q.outSeq, q.outArg, q.outTarget], [e.time, e.id, 1000 + e.id, { id: e.id }]);
        if ('putBack' in o) q.unpop(); else now = e.time;
      }
      assert.is(q.size, ref.entries.length);
    }
    while (ref.entries.length > 0) {
      const e = ref.pop();
      q.pop();
      assert.equal([q.outTime, q.outSeq], [e.time, e.id]);
    }
    assert.is(q.size, 0);
  }), 300);
});

test('EventQueue: a bucket that outgrows the heap\'s limit stays in the heap, before the later buckets', () => {
  // Ten distinct times pass a limit of 4: the ladder spreads them over 8 buckets (0 and 1 share the first).
  // Popping 0 hands the heap bucket 0; five more events at time 1 then join it there, past the limit. They must
  // come out next, before the times 2..9 still in later buckets, and in the order they were pushed.
  const q = new EventQueue(4, { heapLimit: 4, maxBuckets: 8 });
  let seq = 0;
  for (let t = 0; t < 10; t++) q.push(t, seq++, noop, null, 0);
  q.pop();
  assert.equal([q.outTime, q.outSeq], [0, 0]);
  for (let j = 0; j < 5; j++) q.push(1, seq++, noop, null, 0);
  const out: [number, number][] = [];
  while (q.size > 0) { q.pop(); out.push([q.outTime, q.outSeq]); }
  assert.equal(out, [[1, 1], [1, 10], [1, 11], [1, 12], [1, 13], [1, 14], ...[2, 3, 4, 5, 6, 7, 8, 9].map((t) => [t, t])]);
});

test('EventQueue at its own limits: thousands of events, past 4096 into the ladder and back, in (time, sequence) order', () => {
  // A hold model: a batch of events, then each pop pushes two at the popped time plus a delay until the queue
  // is past 4096 by `over`, then one for `hold` pops, then none until it is empty. Delays from a few values (every bucket full of ties), from a wide
  // range, or exponential-like with a long tail (events past the rung into top, rungs rebuilt from it).
  const shape = fc.record({
    initial: fc.integer({ min: 1000, max: 5000 }),
    over: fc.integer({ min: 1, max: 3000 }),
    hold: fc.integer({ min: 0, max: 10_000 }),
    span: fc.constantFrom(1, 4, 1000, 1_000_000),
    tail: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });
  holds(fc.property(shape, ({ initial, over, hold, span, tail, seed }) => {
    let x = seed;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const delay = () => Math.floor(tail ? -span * Math.log(1 - rnd()) : span * rnd());
    const q = new EventQueue(16), ref = new SortedQueue();
    let seq = 0, phase = 2, held = 0;
    const push = (t: number) => { q.push(t, seq, noop, null, seq); ref.push(t, seq++); };
    for (let i = 0; i < initial; i++) push(delay());
    for (let i = 0; ref.entries.length > 0; i++) {
      const e = ref.pop();
      q.pop();
      if (q.outTime !== e.time || q.outSeq !== e.id) assert.equal([q.outTime, q.outSeq], [e.time, e.id], `pop ${i}`);
      // The run loop's `until`: now and then the event goes back.
      if (i % 7 === 3) { q.unpop(); ref.push(e.time, e.id); continue; }
      if (phase === 2 && ref.entries.length >= 4096 + over) phase = 1;
      if (phase === 1 && held++ === hold) phase = 0;
      for (let j = 0; j < phase; j++) push(e.time + delay());
      if (i % 1000 === 0) assert.is(q.size, ref.entries.length);
    }
    assert.is(q.size, 0);
  }), 25);
});

test('EventQueue: every pop is the earliest (time, sequence) of what was pushed, through growth, ties, holes and events put back', () => {
  const op = fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 12 }) }), fc.constant({ pop: true }), fc.constant({ peek: true }), fc.constant({ putBack: true }));
  holds(fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, capacity) => {
    const q = new EventQueue(capacity), ref = new NaiveQueue();
    const fn = () => {};
    let seq = 0;
    for (const o of ops) {
      if ('push' in o) { q.push(o.push, seq, fn, { id: seq }, 1000 + seq); ref.push(o.push, seq++); }
      else if (ref.entries.length === 0) continue;
      else if ('peek' in o) assert.is(q.peekTime(), ref.entries[ref.earliest()]!.time);
      else if ('putBack' in o) {
        // The run loop's `until` check: pop, see the time, put it back; the queue is as before.
        const e = ref.entries[ref.earliest()]!;
        q.pop();
        assert.equal([q.outTime, q.outSeq, q.outArg, q.outTarget], [e.time, e.id, 1000 + e.id, { id: e.id }]);
        q.unpop();
      } else {
        const e = ref.pop();
        q.pop();
        assert.equal([q.outTime, q.outSeq, q.outArg, q.outTarget], [e.time, e.id, 1000 + e.id, { id: e.id }], 'the event with its own target, also after being put back');
      }
      assert.is(q.size, ref.entries.length);
    }
  }), 300);
});

test('EventQueue: deep heaps of few distinct times and sequence numbers in any order, ties settled by sequence', () => {
  // Pushes outweigh pops, so the heap reaches hundreds of events (four levels and more), and with four
  // distinct times nearly every sift meets a tie. The queue orders by (time, sequence number) whatever order
  // the numbers come in (the kernel's increase; here a fixed permutation: 7919 i mod 10007, all distinct).
  const op = fc.oneof({ arbitrary: fc.record({ push: fc.integer({ min: 0, max: 3 }) }), weight: 3 }, { arbitrary: fc.constant({ pop: true }), weight: 2 });
  holds(fc.property(fc.array(op, { minLength: 200, maxLength: 800 }), fc.boolean(), (ops, permuted) => {
    const q = new EventQueue(4), ref = new NaiveQueue();
    let pushed = 0;
    const popBoth = () => {
      const e = ref.pop();
      q.pop();
      assert.equal([q.outTime, q.outSeq], [e.time, e.id]);
    };
    for (const o of ops) {
      if ('push' in o) {
        const seq = permuted ? (7919 * pushed++) % 10_007 : pushed++;
        q.push(o.push, seq, noop, null, 0);
        ref.push(o.push, seq);
      } else if (ref.entries.length > 0) popBoth();
    }
    while (ref.entries.length > 0) popBoth();
    assert.is(q.size, 0);
  }), 100);
});

/**
 * A generated program: events scheduled up front; each executed event may
 * schedule more (delays taken in turn from `delays`) and cancel one earlier
 * id; the run goes in pieces.
 */
const program = fc.record({
  initial: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
  delays: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 40 }),
  spawn: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 }),
  cancels: fc.array(fc.option(fc.nat(100), { nil: undefined, freq: 3 }), { minLength: 1, maxLength: 40 }),
  pieces: fc.array(fc.record({ kind: fc.constantFrom('until', 'maxEvents', 'stopAfter'), n: fc.integer({ min: 0, max: 60 }) }), { maxLength: 4 }),
  budget: fc.integer({ min: 0, max: 80 }),
});
type Program = (typeof program extends fc.Arbitrary<infer P> ? P : never) & { bulk?: Bulk };

/** Many more events scheduled up front, delay i = (a i^2 + b i) mod span: enough for the ladder. */
interface Bulk { count: number; span: number; a: number; b: number }
const bulkDelays = (k: Bulk) => Array.from({ length: k.count }, (_, i) => (k.a * i * i + k.b * i) % k.span);

interface Executed { time: number; id: number }
interface Piece { reason: string; now: number; events: number }

/** What the program does on the real kernel. */
function onKernel(p: Program): { executed: Executed[]; pieces: Piece[]; pending: number } {
  const sim = new Simulation();
  const executed: Executed[] = [];
  const ids: number[] = [];
  let k = 0, budget = p.budget;
  // The argument is our own count of scheduled events: the kernel's id must equal it (ids are insertion numbers).
  const schedule = (delay: number) => { const id = sim.schedule(delay, handler, null, ids.length); assert.is(id, ids.length); ids.push(id); };
  const handler = (_: null, id: number) => {
    executed.push({ time: sim.now, id });
    const step = k++;
    for (let j = p.spawn[step % p.spawn.length]!; j > 0 && budget > 0; j--, budget--) schedule(p.delays[(step + j) % p.delays.length]!);
    const c = p.cancels[step % p.cancels.length];
    if (c !== undefined && ids.length > 0) sim.cancel(ids[c % ids.length]!);
  };
  for (const d of p.initial) schedule(d);
  if (p.bulk) for (const d of bulkDelays(p.bulk)) schedule(d);
  const pieces: Piece[] = [];
  for (const { kind, n } of [...p.pieces, { kind: 'end', n: 0 }]) {
    let left = n;
    const r = kind === 'until' ? sim.run({ until: Math.max(n, sim.now) })
      : kind === 'maxEvents' ? sim.run({ maxEvents: n % 10 })
        : kind === 'stopAfter' ? sim.run({ stopWhen: () => --left <= 0 })
          : sim.run();
    pieces.push({ reason: r.reason, now: r.now, events: r.events });
  }
  return { executed, pieces, pending: sim.pending };
}

/** The same program on the reference queue, with lazy cancellation as the kernel documents it. */
function onReference(p: Program): { executed: Executed[]; pieces: Piece[]; pending: number } {
  const q = p.bulk ? new SortedQueue() : new NaiveQueue();
  const cancelled = new Set<number>();
  const executed: Executed[] = [];
  let now = 0, k = 0, budget = p.budget, nextId = 0;
  const schedule = (at: number) => q.push(at, nextId++);
  const execute = (e: { time: number; id: number }) => {
    now = e.time;
    executed.push({ time: now, id: e.id });
    const step = k++;
    for (let j = p.spawn[step % p.spawn.length]!; j > 0 && budget > 0; j--, budget--) schedule(now + p.delays[(step + j) % p.delays.length]!);
    const c = p.cancels[step % p.cancels.length];
    if (c !== undefined && nextId > 0) cancelled.add(c % nextId);
  };
  for (const d of p.initial) schedule(d);
  if (p.bulk) for (const d of bulkDelays(p.bulk)) schedule(d);
  const pieces: Piece[] = [];
  for (const { kind, n: amount } of [...p.pieces, { kind: 'end', n: 0 }]) {
    const until = kind === 'until' ? Math.max(amount, now) : Infinity;
    const max = kind === 'maxEvents' ? amount % 10 : Infinity;
    const stopAfter = kind === 'stopAfter' ? Math.max(amount, 1) : Infinity;
    let n = 0, reason = 'empty';
    while (q.entries.length > 0) {
      if (q.entries[q.earliest()]!.time > until) { reason = 'until'; break; }
      if (n >= max) { reason = 'maxEvents'; break; }
      const e = q.pop();
      if (cancelled.delete(e.id)) continue;
      execute(e);
      n++;
      if (n === stopAfter) { reason = 'stopped'; break; }
    }
    if (kind === 'until' && reason === 'empty') reason = 'until';
    if (reason === 'until') now = until;
    pieces.push({ reason, now, events: n });
  }
  return { executed, pieces, pending: q.entries.length };
}

test('Simulation: executed events, their times, each run piece\'s reason, clock and count, and what stays queued match the reference', () => {
  holds(fc.property(program, (p) => {
    assert.equal(onKernel(p), onReference(p));
  }), 300);
});

test('Simulation past 4096 pending events (the ladder): the same events, times, pieces and leftovers as the reference', () => {
  // Thousands of events on few times (ties in every bucket) or many; handlers schedule more and cancel; the
  // run goes in pieces (until a time: the first event past it goes back), then to the end.
  const bulk = fc.record({ count: fc.integer({ min: 4097, max: 7000 }), span: fc.constantFrom(3, 31, 5000, 1_000_003), a: fc.nat(1000), b: fc.integer({ min: 1, max: 1000 }) });
  const big = fc.record({
    program,
    bulk,
    pieces: fc.array(fc.record({ kind: fc.constantFrom('until', 'maxEvents', 'stopAfter'), n: fc.integer({ min: 0, max: 2_000_000 }) }), { maxLength: 6 }),
  });
  holds(fc.property(big, ({ program: p, bulk: k, pieces }) => {
    const withBulk = { ...p, bulk: k, pieces: pieces.map((x) => ({ ...x, n: x.n % k.span })) };
    assert.equal(onKernel(withBulk), onReference(withBulk));
  }), 25);
});

test('a timeout, a signal and a process resumed at the same time run in the order they were triggered', () => {
  // Same-time wake-ups follow insertion order through SimEvent and Process too (each trigger schedules at delay 0).
  holds(fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }), (delays) => {
    const sim = new Simulation();
    const woke: number[] = [];
    delays.forEach((d, i) => sim.process((function* () { yield d; yield sim.timeout(0); woke.push(i); })()));
    sim.run();
    const expected = delays.map((d, i) => ({ d, i })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.i);
    assert.equal(woke, expected);
  }));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, ns, us, ms, s, clock, transferTime, toPs, roundHalfUp, TimeOverflowError, MAX_TIME } from '../../src/sim/index.js';
import { EventQueue } from '../../src/sim/event-queue.js';

test('equal times run in insertion order', () => {
  const sim = new Simulation();
  const order: number[] = [];
  const log = (_: null, i: number) => order.push(i);
  for (let i = 0; i < 50; i++) sim.schedule(100, log, null, i);
  sim.schedule(50, log, null, -1);
  sim.run();
  assert.equal(order, [-1, ...Array.from({ length: 50 }, (_, i) => i)]);
});

test('events run in time order and the clock follows', () => {
  const sim = new Simulation();
  const seen: number[] = [];
  for (const t of [500, 20, 7, 1000, 20, 0]) sim.schedule(t, (_: null, a: number) => { assert.is(sim.now, a); seen.push(a); }, null, t);
  const r = sim.run();
  assert.equal(seen, [0, 7, 20, 20, 500, 1000]);
  assert.is(r.reason, 'empty');
  assert.is(r.events, 6);
});

test('heap agrees with a sorted reference on many random (time, seq) pairs', () => {
  const q = new EventQueue(4);
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 97);
  const ref: [number, number][] = [];
  let seq = 0;
  const f = () => {};
  for (let round = 0; round < 2000; round++) {
    if (rnd() % 3 !== 0 || q.size === 0) {
      const t = rnd();
      q.push(t, seq, f, null, seq);
      ref.push([t, seq++]);
    } else {
      ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const [t, sq] = ref.shift()!;
      q.pop();
      assert.is(q.outTime, t);
      assert.is(q.outSeq, sq);
      assert.is(q.outArg, sq);
    }
  }
});

/** Inserts (t, s) into `ref`, kept sorted by (time, sequence): the reference order, without sorting at every pop. */
function insertSorted(ref: [number, number][], t: number, s: number): void {
  let lo = 0, hi = ref.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1, [mt, ms] = ref[mid]!;
    if (mt < t || (mt === t && ms < s)) lo = mid + 1; else hi = mid;
  }
  ref.splice(lo, 0, [t, s]);
}

test('heap order equals the (time, seq) sort under every mix of operations, ties and sizes', () => {
  // Exercises every path of the 4-ary heap: growth from a tiny capacity, the
  // hole pop() leaves at the root (filled by push, completed by peek/size/pop),
  // and the exact tie paths, with few distinct times (many ties) and many.
  let x = 987654321;
  const rnd = (n: number) => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  const f = () => {};
  for (const span of [3, 50, 1_000_000]) {
    for (const target of [5, 300, 3000]) {
      const q = new EventQueue(4);
      const ref: [number, number][] = [];
      let seq = 0, now = 0;
      for (let step = 0; step < 20_000; step++) {
        const op = rnd(10);
        if (ref.length === 0 || (op < 5 && ref.length < target) || (op < 4)) {
          const t = now + rnd(span);
          q.push(t, seq, f, null, seq);
          insertSorted(ref, t, seq++);
        } else if (op < 9) {
          const [t, s] = ref.shift()!;
          q.pop();
          assert.is(q.outTime, t);
          assert.is(q.outSeq, s);
          assert.is(q.outArg, s);
          now = t;
        } else {
          assert.is(q.size, ref.length);
          assert.is(q.peekTime(), ref[0]![0]);
        }
      }
    }
  }
});

test("a tie among a node's children is settled among those four, never with the next node's first child", () => {
  // Events pushed in heap order with times that never fall below their parent's stay where pushed: node i's
  // children are 4i+1..4i+4. Removing the root walks the hole 0 -> 1 -> 8 (each the earliest of its four, times
  // distinct), then meets a tie at 33..36 (20, 20, 21, 22). Node 37 (time 4) is node 9's child: were it taken
  // for node 8's, time 4 would sit under time 10 and come out after it.
  const times = Array<number>(39).fill(100);
  Object.assign(times, { 0: 0, 1: 1, 2: 2, 3: 50, 4: 51, 5: 40, 6: 41, 7: 42, 8: 10, 9: 3, 33: 20, 34: 20, 35: 21, 36: 22, 37: 4, 38: 5 });
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[(i - 1) >> 2]!, `node ${i} not before its parent`);
  const q = new EventQueue(4);
  times.forEach((t, seq) => q.push(t, seq, () => {}, null, 0));
  const out: number[] = [];
  while (q.size > 0) { q.pop(); out.push(q.outSeq); }
  const expected = times.map((t, seq) => ({ t, seq })).sort((a, b) => a.t - b.t || a.seq - b.seq).map((e) => e.seq);
  assert.equal(out, expected);
});

test('cancel skips an event lazily; others still run', () => {
  const sim = new Simulation();
  const ran: number[] = [];
  const f = (_: null, a: number) => ran.push(a);
  sim.schedule(10, f, null, 1);
  const id = sim.schedule(20, f, null, 2);
  sim.schedule(30, f, null, 3);
  sim.cancel(id);
  assert.is(sim.pending, 3, 'cancellation is lazy: the entry stays queued');
  const r = sim.run();
  assert.equal(ran, [1, 3]);
  assert.is(r.events, 2);
});

test('run until a time leaves later events queued and the clock at until', () => {
  const sim = new Simulation();
  const ran: number[] = [];
  const f = (_: null, a: number) => ran.push(a);
  sim.schedule(100, f, null, 100);
  sim.schedule(200, f, null, 200);
  sim.schedule(300, f, null, 300);
  const r = sim.run({ until: 200 });
  assert.equal(ran, [100, 200]);
  assert.is(r.reason, 'until');
  assert.is(sim.now, 200);
  sim.run({ until: 1000 });
  assert.equal(ran, [100, 200, 300]);
  assert.is(sim.now, 1000);
});

test('run stops on a condition, on stop(), and after maxEvents', () => {
  const sim = new Simulation();
  let n = 0;
  const tick = () => { n++; sim.schedule(1, tick, null); };
  sim.schedule(0, tick, null);
  assert.is(sim.run({ stopWhen: () => n === 10 }).reason, 'stopped');
  assert.is(n, 10);
  assert.is(sim.run({ maxEvents: 5 }).reason, 'maxEvents');
  assert.is(n, 15);
  const stopper = () => sim.stop();
  sim.schedule(3, stopper, null);
  const r = sim.run();
  assert.is(r.reason, 'stopped');
  assert.is(sim.now, 17, "stopped right after the stopper ran at 14 + 3");
});

test('extendTo: a run that empties the queue ends at the latest time dated without an event; one stopped, or run until a time, does not', () => {
  for (const fingerprint of [false, true]) {
    const sim = new Simulation({ fingerprint });
    // An event at 100 dates something at 700 (no event of its own), another at 400, and nothing later.
    sim.schedule(100, () => { sim.extendTo(700); sim.extendTo(400); }, null);
    sim.schedule(300, () => {}, null);
    const r = sim.run();
    assert.is(r.reason, 'empty');
    assert.is(r.now, 700);
    assert.is(sim.now, 700);
    assert.is(r.events, 2);
    // Times already passed extend nothing.
    sim.extendTo(650);
    sim.schedule(10, () => {}, null);
    assert.is(sim.run().now, 710);
  }
  const stopped = new Simulation();
  stopped.schedule(100, () => { stopped.extendTo(900); stopped.stop(); }, null);
  stopped.schedule(200, () => {}, null);
  assert.equal([stopped.run().now, stopped.pending], [100, 1]);
  const until = new Simulation();
  until.schedule(100, () => until.extendTo(900), null);
  assert.is(until.run({ until: 500 }).now, 500);
  assert.is(until.run().now, 900);
});

test('time helpers convert units and clocks exactly', () => {
  assert.is(ns(1), 1_000);
  assert.is(us(1.5), 1_500_000);
  assert.is(ms(2), 2_000_000_000);
  assert.is(s(1), 1e12);
  assert.is(clock(1).cycles(4), 4_000);
  assert.is(clock(2.5).cycles(1230), 492_000);
  assert.is(clock(3).cycles(1), 333, 'a single cycle rounds to an integer ps');
  assert.is(transferTime(64, 1), 64_000);
  assert.is(transferTime(4096, 7.877), Math.round(4096_000 / 7.877));
});

test('roundHalfUp is Math.round (but for the sign of a zero)', () => {
  const edge = [0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2 ** 52, 2 ** 52 + 1,
    2 ** 53, 4503599627370495.5, 1e6 + 0.5, 123456.49999999999, 1e-300, -1e-300, Infinity, -Infinity, NaN];
  let x = 7;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 100_000; i++) edge.push((rnd() - 0.1) * 10 ** (rnd() * 17));
  for (const v of edge) {
    const a = roundHalfUp(v), b = Math.round(v);
    assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `roundHalfUp(${v}) = ${a}, Math.round gives ${b}`);
  }
});

test('the plain run() loop and the general loop execute the same events', () => {
  const trace = (opts: object) => {
    const sim = new Simulation({ seed: 5 });
    const rng = sim.rng('t');
    const seen: number[] = [];
    let left = 5000;
    const ids: number[] = [];
    const h = (_: null, a: number) => {
      seen.push(sim.now, a);
      if (--left > 0) ids.push(sim.schedule(rng.int(0, 20), h, null, rng.int(0, 99)));
      if (left % 7 === 0 && ids.length > 0) sim.cancel(ids[rng.int(0, ids.length - 1)]!);
    };
    for (let i = 0; i < 50; i++) sim.schedule(rng.int(0, 20), h, null, i);
    const r = sim.run(opts);
    return { seen, events: r.events, reason: r.reason };
  };
  const plain = trace({});
  assert.equal(trace({ maxEvents: 1e9 }), plain);
  assert.equal(trace({ stopWhen: () => false }), plain);
  assert.is(plain.reason, 'empty');
});

test('time past 2^53 ps is an error, not a silent loss of precision', () => {
  assert.throws(() => toPs(2 ** 53 + 10), (e: unknown) => e instanceof TimeOverflowError);
  assert.throws(() => s(10_000), /past 2\^53 ps/);
  const sim = new Simulation();
  sim.schedule(MAX_TIME - 5, () => {}, null);
  sim.run();
  assert.throws(() => sim.schedule(10, () => {}, null), (e: unknown) => e instanceof TimeOverflowError);
  assert.throws(() => sim.schedule(-1, () => {}, null), /non-negative integer/);
  assert.throws(() => sim.schedule(1.5, () => {}, null), /non-negative integer/);
});

test.run();

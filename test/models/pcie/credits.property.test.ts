/**
 * Flow-control credits (FlowControlCredits) against a reference that keeps
 * every freed TLP as its own record: a class's available credits are what
 * was advertised, minus what was taken, plus what came back, where a free
 * at t comes back once the transmitter settles at t + the return delay or
 * later. Generated histories take, free and settle in any order, many
 * events in the same picosecond and several classes at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FlowControlCredits, CREDIT_CLASSES, CREDIT_CLASS_COUNT, DEFAULT_CREDITS, INFINITE_CREDITS, creditClassIndex, type CreditAdvertisement, type CreditCount,
} from '../../../models/pcie/credits.js';
import type { TlpType } from '../../../models/pcie/tlp.js';
import { fc, holds } from '../../property.js';

interface Freed { cls: number; data: number; at: number; back: boolean }

class ReferenceCredits {
  readonly taken: number[][] = [[], [], []]; // per class: data credits of each held TLP
  readonly freed: Freed[] = [];
  readonly takenTotal = [[0, 0], [0, 0], [0, 0]];
  constructor(readonly adv: number[][], readonly delay: number) {}
  available(cls: number): [number, number] {
    const back = this.freed.filter((f) => f.back && f.cls === cls);
    const [ah, ad] = this.adv[cls]!;
    return [ah! - this.takenTotal[cls]![0]! + back.length, ad! - this.takenTotal[cls]![1]! + back.reduce((s, f) => s + f.data, 0)];
  }
  take(cls: number, data: number): void { this.taken[cls]!.push(data); this.takenTotal[cls]![0]!++; this.takenTotal[cls]![1]! += data; }
  free(now: number, cls: number, pick: number): number {
    const data = this.taken[cls]!.splice(pick % this.taken[cls]!.length, 1)[0]!;
    this.freed.push({ cls, data, at: now + this.delay, back: false });
    return data;
  }
  settle(now: number): void { for (const f of this.freed) if (f.at <= now) f.back = true; }
  /** The next return that changes a pool: infinite pools need none. */
  nextReturnAt(): number {
    const changes = (f: Freed) => Number.isFinite(this.adv[f.cls]![0]!) || (Number.isFinite(this.adv[f.cls]![1]!) && f.data > 0);
    return Math.min(Infinity, ...this.freed.filter((f) => !f.back && changes(f)).map((f) => f.at));
  }
}

const count = (max: number) => fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max }) }, { weight: 1, arbitrary: fc.constant<'infinite'>('infinite') });
const pool = fc.record({ header: count(4), data: count(24) });
const advertisement = fc.record({ P: pool, NP: pool, Cpl: pool });
const op = fc.oneof(
  fc.record({ kind: fc.constant('take' as const), cls: fc.integer({ min: 0, max: 2 }), data: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ kind: fc.constant('free' as const), cls: fc.integer({ min: 0, max: 2 }), pick: fc.nat(7) }),
  fc.record({ kind: fc.constant('advance' as const), dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })) }),
  fc.record({ kind: fc.constant('settle' as const) }),
);
const n = (c: CreditCount) => (c === 'infinite' ? Infinity : c);

test('credits available, held TLPs and the next return match the reference through any history', () => {
  holds(fc.property(advertisement, fc.integer({ min: 0, max: 30 }), fc.array(op, { maxLength: 120 }), (adv: CreditAdvertisement, delay, ops) => {
    const real = new FlowControlCredits(adv, delay);
    const ref = new ReferenceCredits(CREDIT_CLASSES.map((c) => [n(adv[c].header), n(adv[c].data)]), delay);
    let now = 0;
    for (const o of ops) {
      if (o.kind === 'take') {
        const [h, d] = ref.available(o.cls);
        const fits = h >= 1 && d >= o.data;
        assert.is(real.fits(o.cls, o.data), fits, `fits ${CREDIT_CLASSES[o.cls]} ${o.data}`);
        if (fits) { real.take(o.cls, o.data); ref.take(o.cls, o.data); }
      } else if (o.kind === 'free') {
        if (ref.taken[o.cls]!.length === 0) continue;
        real.free(now, o.cls, ref.free(now, o.cls, o.pick));
      } else if (o.kind === 'advance') now += o.dt;
      else { real.settle(now); ref.settle(now); }
      for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) {
        assert.equal([real.headerCredits(cls), real.dataCredits(cls), real.heldTlps(cls)], [...ref.available(cls), ref.taken[cls]!.length],
          `${CREDIT_CLASSES[cls]} at ${now}`);
      }
      assert.is(real.nextReturnAt(), ref.nextReturnAt());
    }
    // Everything freed comes back: the pools are whole again.
    for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) while (ref.taken[cls]!.length) real.free(now, cls, ref.free(now, cls, 0));
    real.settle(now + delay);
    for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) {
      assert.equal([real.headerCredits(cls), real.dataCredits(cls), real.heldTlps(cls)], [n(adv[CREDIT_CLASSES[cls]!].header), n(adv[CREDIT_CLASSES[cls]!].data), 0]);
    }
  }), 400);
});

test('two classes freed in the same picosecond come back each to its own pool, in full', () => {
  const adv = { P: { header: 4, data: 32 }, NP: { header: 4, data: 32 }, Cpl: { header: 4, data: 32 } } as const;
  const c = new FlowControlCredits(adv, 100);
  c.take(0, 8); c.take(2, 16); c.take(0, 4); c.take(1, 0);
  // P, then Cpl, then P again and NP, all freed at 50 ps: due at 150 ps.
  c.free(50, 0, 8); c.free(50, 2, 16); c.free(50, 0, 4); c.free(50, 1, 0);
  c.settle(149);
  assert.equal([c.headerCredits(0), c.dataCredits(0), c.headerCredits(1), c.headerCredits(2), c.dataCredits(2)], [2, 20, 3, 3, 16], 'nothing back before 150 ps');
  assert.is(c.nextReturnAt(), 150);
  c.settle(150);
  assert.equal([c.headerCredits(0), c.dataCredits(0), c.headerCredits(1), c.dataCredits(1), c.headerCredits(2), c.dataCredits(2)], [4, 32, 4, 32, 4, 32]);
  assert.is(c.nextReturnAt(), Infinity);
});

test('misuse is a model bug: a release of nothing held, a take past the pool', () => {
  const c = new FlowControlCredits({ P: { header: 1, data: 4 }, NP: { header: 1, data: 4 }, Cpl: { header: 'infinite', data: 'infinite' } }, 10);
  assert.throws(() => c.free(0, 0, 0), /released that this link did not deliver/);
  assert.is(c.heldTlps(0), 0, 'the failed release left the count at zero');
  c.take(0, 4);
  assert.throws(() => c.take(0, 1), /went negative/);
  assert.throws(() => c.assertSendable(1, 5), /advertises 1 header and 4 data NP credits, but a TLP needs 1 and 5/);
  c.assertSendable(1, 4);
  assert.throws(() => new FlowControlCredits(DEFAULT(), 1.5), /non-negative integer/);
  assert.throws(() => new FlowControlCredits({ ...DEFAULT(), P: { header: -1, data: 4 } }, 0), /P header credits must be a non-negative integer/);
});

const DEFAULT = () => ({ P: { header: 2, data: 8 }, NP: { header: 2, data: 8 }, Cpl: { header: 2, data: 8 } });

test('pending returns past the ring\'s first size: grown, wrapped, and every one comes back at its time', () => {
  // 100 TLPs of each class in flight; each freed at its own picosecond, classes interleaved, so no two
  // returns merge and the pending ring (16 to start) grows while its head has moved (it wraps).
  const pool = { header: 127, data: 2047 };
  const c = new FlowControlCredits({ P: pool, NP: pool, Cpl: pool }, 10);
  const DATA = [4, 0, 8];
  for (let i = 0; i < 100; i++) for (let cls = 0; cls < 3; cls++) c.take(cls, DATA[cls]!);
  let t = 0;
  for (let i = 0; i < 5; i++) for (let cls = 0; cls < 3; cls++) c.free(t++, cls, DATA[cls]!);
  c.settle(10 + 4); // the first five frees are back: the head has moved before the ring grows
  for (let i = 5; i < 100; i++) for (let cls = 0; cls < 3; cls++) c.free(t++, cls, DATA[cls]!);
  for (let now = 15; now <= 10 + t; now += 7) {
    c.settle(now);
    const back = Math.min(t, now - 10 + 1); // frees at 0 … now − 10 are back
    for (let cls = 0; cls < 3; cls++) {
      const returned = Math.floor(back / 3) + (back % 3 > cls ? 1 : 0);
      assert.is(c.headerCredits(cls), 127 - 100 + returned, `header ${cls} at ${now}`);
      assert.is(c.dataCredits(cls), 2047 - DATA[cls]! * (100 - returned), `data ${cls} at ${now}`);
    }
  }
  c.settle(10 + t);
  for (let cls = 0; cls < 3; cls++) assert.equal([c.headerCredits(cls), c.dataCredits(cls), c.heldTlps(cls)], [127, 2047, 0]);
  assert.is(c.nextReturnAt(), Infinity);
});

test('credits can never go negative or come back beyond the advertisement: both are model bugs', () => {
  const c = new FlowControlCredits({ P: { header: 4, data: 8 }, NP: { header: 1, data: 8 }, Cpl: { header: 4, data: 8 } }, 0);
  assert.throws(() => c.take(0, 9), /P credits went negative \(header 3, data -1\)/, 'data short, header not');
  assert.throws(() => { c.take(1, 0); c.take(1, 0); }, /NP credits went negative \(header -1, data 8\)/, 'header short, data not');
  const d = new FlowControlCredits({ P: { header: 4, data: 8 }, NP: { header: 4, data: 8 }, Cpl: { header: 4, data: 8 } }, 0);
  d.take(2, 4);
  d.free(0, 2, 6); // a release claiming more data than the TLP took
  assert.throws(() => d.settle(0), /more Cpl credits came back than were advertised \(header 4, data 10\)/);
});

test('a return merges only with the newest pending one, never with a settled slot the ring still holds', () => {
  const pool = { header: 127, data: 2047 };
  // Returns at 5 ps, P and NP in turn (none merges), all settled: 1 pair leaves the ring's head at slot 2, 8 pairs fill
  // the ring of 16 and wrap it to slot 0. Either way its settled slots hold P returns at 5 ps too.
  for (const pairs of [1, 8]) {
    const c = new FlowControlCredits({ P: pool, NP: pool, Cpl: pool }, 0);
    for (let i = 0; i < 10; i++) { c.take(0, 1); c.take(1, 1); }
    for (let i = 0; i < pairs; i++) { c.free(5, 0, 1); c.free(5, 1, 1); }
    c.settle(5);
    assert.equal([c.headerCredits(0), c.headerCredits(1)], [127 - 10 + pairs, 127 - 10 + pairs], `${pairs} pairs`);
    // Two more P returns at 5 ps: the second merges with the first, and both come back.
    c.free(5, 0, 1); c.free(5, 0, 1);
    c.settle(5);
    assert.equal([c.headerCredits(0), c.dataCredits(0), c.heldTlps(0)], [127 - 8 + pairs, 2047 - 8 + pairs, 8 - pairs], `${pairs} pairs`);
  }
});

test("the classes as the spec sorts TLPs: posted writes and messages, non-posted reads, completions; the default is the unscaled maximum", () => {
  // §2.6.1: Posted (memory writes, messages), Non-Posted (reads), Completions; each TLP takes from its own pools.
  const pools = new FlowControlCredits({ P: { header: 1, data: 1 }, NP: { header: 2, data: 2 }, Cpl: { header: 3, data: 3 } }, 0);
  const types: TlpType[] = ['MWr', 'Msg', 'MsgD', 'MRd', 'Cpl', 'CplD'];
  assert.equal(types.map((t) => pools.headerCredits(creditClassIndex(t))), [1, 1, 1, 2, 3, 3]);
  assert.equal([CREDIT_CLASS_COUNT, CREDIT_CLASSES], [3, ['P', 'NP', 'Cpl']]);
  // §2.6.1.2: without Scaled Flow Control at most 127 header and 2047 data credits outstanding.
  for (const cls of ['P', 'NP', 'Cpl'] as const) {
    assert.equal(DEFAULT_CREDITS[cls], { header: 127, data: 2047 }, cls);
    assert.equal(INFINITE_CREDITS[cls], { header: 'infinite', data: 'infinite' }, cls);
  }
});

test('an advertisement of zero credits is a configuration, refused only when a TLP needs what it lacks', () => {
  const none = { header: 0, data: 0 };
  const c = new FlowControlCredits({ P: none, NP: { header: 1, data: 0 }, Cpl: none }, 0);
  assert.equal([c.headerCredits(0), c.dataCredits(0), c.fits(0, 0), c.fits(1, 0), c.fits(1, 1)], [0, 0, false, true, false]);
  assert.throws(() => c.assertSendable(0, 0), /advertises 0 header and 0 data P credits, but a TLP needs 1 and 0/);
  c.assertSendable(1, 0);
});

test.run();

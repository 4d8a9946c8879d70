/**
 * The simulated link against the closed form and against timings worked out
 * by hand from the spec numbers:
 *   byte time on one lane: Gen1 4000 ps, Gen3 1015.625 ps (8 bits × 130/128 × 125 ps),
 *   Gen5 253.90625 ps; a xN link moves N bytes per byte time;
 *   MWr with a 64-bit address: 16-byte header + payload + 8 framing bytes;
 *   MRd: 16-byte header + 8 framing; DLLP 8 bytes;
 *   Gen3 x8 MPS 128: Ack and UpdateFC due every floor(156 × 2.5 / 8) + 115 = 163 symbol times = 163,000 ps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import { Link, LinkDirection, NO_RELEASE, defaultCreditReturnDelayPs, type LinkParams } from '../../../models/pcie/link.js';
import { DEFAULT_CREDITS, INFINITE_CREDITS, type CreditAdvertisement } from '../../../models/pcie/credits.js';
import { dmaWriteThroughput } from '../../../models/pcie/dma-throughput.js';
import { tlpWireTimePs, type LinkWidth, type PcieGen } from '../../../models/pcie/link-timing.js';
import type { TransferSize } from '../../../models/pcie/tlp.js';
import type { EarlyReceiver, Tlp, TlpSender } from '../../../models/pcie/fabric.js';
import {
  ADDR64, HoldingSink, ImmediateSink, RecordingTracer, SaturatingWriter, classOf, makeTlp, type Arrival,
} from './link-helpers.js';

const MiB = 1 << 20;
const relErr = (a: number, b: number) => Math.abs(a - b) / b;

/** Simulated write throughput (payload bytes/s) of `size` bytes over one direction, and the closed form. */
function saturatedWrite(gen: PcieGen, width: LinkWidth, mps: TransferSize, size: number, extra: Partial<LinkParams> = {}) {
  const sim = new Simulation();
  const propagationPs = 10_000;
  const sink = new ImmediateSink(sim);
  const link = new Link(sim, { gen, width, mps, propagationPs, ...extra }, {}, { receiver: sink });
  const writer = new SaturatingWriter(link.aToB, size, mps, extra.ecrc ?? false);
  writer.start();
  sim.run();
  assert.is(sink.payload, size);
  const simulated = size / ((sink.lastArrival - propagationPs) * 1e-12);
  const closed = dmaWriteThroughput(size, { gen, width, mps, addr64: true, ecrc: extra.ecrc ?? false, dllp: extra.dllp ?? 'recommended' });
  return { simulated, closed, link, sim };
}

test('saturated MWr stream matches dmaWriteThroughput within 1 % (Gen1-5, x1-x16, MPS 128/256/512)', () => {
  let worst = 0, where = '';
  for (const gen of [1, 2, 3, 4, 5] as PcieGen[]) {
    for (const width of [1, 2, 4, 8, 16] as LinkWidth[]) {
      for (const mps of [128, 256, 512] as TransferSize[]) {
        const { simulated, closed } = saturatedWrite(gen, width, mps, 4 * MiB);
        const e = relErr(simulated, closed);
        if (e > worst) { worst = e; where = `Gen${gen} x${width} MPS ${mps}: ${simulated} vs ${closed}`; }
      }
    }
  }
  assert.ok(worst < 0.01, `worst ${(worst * 100).toFixed(3)} % at ${where}`);
});

test('Gen6 (Flit Mode) matches its closed form too, x1-x16', () => {
  for (const width of [1, 2, 4, 8, 16] as LinkWidth[]) {
    for (const mps of [128, 256, 512] as TransferSize[]) {
      const { simulated, closed } = saturatedWrite(6, width, mps, 2 * MiB);
      assert.ok(relErr(simulated, closed) < 0.01, `Gen6 x${width} MPS ${mps}: ${simulated} vs ${closed}`);
    }
  }
});

test('a long busy period stays exact: every gap is one TLP time (or one plus a SKP), rounded either way', () => {
  // Gen6 x16 MPS 512: 528 TLP bytes × 256 wire units each passes 2^32 units (where the link
  // re-anchors its count) after about 31,800 TLPs. TLP time 528 × 256/236 × 125/16 = 4,474.58 ps;
  // a SKP ordered set is 40 symbols × 125 ps = 5,000 ps.
  const sim = new Simulation();
  const times: number[] = [];
  const sink = { receive: (tlp: Tlp, from: LinkDirection) => { times.push(sim.now); from.release(tlp); } };
  const link = new Link(sim, { gen: 6, width: 16, mps: 512, propagationPs: 0 }, {}, { receiver: sink });
  new SaturatingWriter(link.aToB, 24 * MiB, 512).start();
  sim.run();
  assert.is(times.length, 24 * MiB / 512);
  const tlp = 528 * 256 / 236 * 125 / 16, skp = 5000;
  const ok = new Set([Math.floor(tlp), Math.ceil(tlp), Math.floor(tlp + skp), Math.ceil(tlp + skp)]);
  for (let i = 1; i < times.length; i++) assert.ok(ok.has(times[i]! - times[i - 1]!), `gap ${times[i]! - times[i - 1]!} before TLP ${i}`);
});

test('ECRC and dllp: none change the stream as they change the closed form', () => {
  for (const extra of [{ ecrc: true }, { dllp: 'none' as const }, { ecrc: true, dllp: 'none' as const }]) {
    const { simulated, closed } = saturatedWrite(3, 8, 256, 4 * MiB, extra);
    assert.ok(relErr(simulated, closed) < 0.01, `${JSON.stringify(extra)}: ${simulated} vs ${closed}`);
  }
});

test('statistics of a saturated stream: busy nearly all the time, overhead at the closed-form fractions', () => {
  const { link, sim } = saturatedWrite(3, 8, 256, 4 * MiB);
  const s = link.aToB.stats();
  assert.is(s.tlpsSent, 4 * MiB / 256);
  assert.is(s.tlpsDelivered, s.tlpsSent);
  assert.is(s.payloadBytesSent, 4 * MiB);
  assert.is(s.tlpBytesSent, s.tlpsSent * (256 + 16));
  assert.is(s.wireBytesSent, s.tlpsSent * (256 + 16 + 8));
  assert.is(s.queued, 0);
  assert.is(s.inFlight, 0);
  assert.is(s.creditStallPs, 0);
  // Gen3 x8 MPS 256: Ack and UpdateFC every 203,000 ps, 1015.625 ps each; SKP 1/375.
  const dllpFraction = 2 * 1015.625 / 203_000, skpFraction = 1 / 375;
  assert.ok(relErr(s.dllpPs / s.busyPs, dllpFraction) < 0.01, `dllp ${s.dllpPs / s.busyPs}`);
  assert.ok(relErr(s.skpPs / s.busyPs, skpFraction) < 0.01, `skp ${s.skpPs / s.busyPs}`);
  assert.ok(s.utilization > 0.99 && s.utilization <= 1, `utilization ${s.utilization}`);
  assert.is(s.busyPs, s.tlpPs + s.dllpPs + s.skpPs);
  assert.ok(sim.now > 0);
  // The other direction carried nothing.
  assert.is(link.bToA.stats().tlpsSent, 0);
  assert.is(link.bToA.stats().busyPs, 0);
});

// ---------------------------------------------------------------- latency on an idle link

/** Sends one TLP at `at` over an idle direction; returns its arrival time. */
function oneTlp(params: LinkParams, tlp: Tlp, at: number): { arrival: number; latency: number; wireBytes: number } {
  const sim = new Simulation();
  const tracer = new RecordingTracer();
  const sink = new HoldingSink(sim, () => 0);
  const link = new Link(sim, { ...params, tracer, name: 'l0' }, {}, { receiver: sink });
  sim.schedule(at, (dir: LinkDirection) => dir.receive(tlp, NO_RELEASE), link.aToB);
  sim.run();
  assert.is(sink.arrivals.length, 1);
  const rows = tracer.rows.get('l0.ab/tlp')!;
  assert.is(rows.length, 1);
  assert.is(rows[0]!.time, sink.arrivals[0]!.time);
  return { arrival: sink.arrivals[0]!.time, latency: rows[0]!.latency, wireBytes: link.aToB.stats().wireBytesSent };
}

test('one TLP on an idle link: serialization + propagation, exactly', () => {
  // Gen3 x8, MWr 256 B: 16 + 256 + 8 = 280 bytes × 1015.625 / 8 = 35,546.875 -> 35,547 ps; + 7,000 ps propagation.
  let r = oneTlp({ gen: 3, width: 8, mps: 256, propagationPs: 7000 }, makeTlp('MWr', ADDR64, 256, 1), 1000);
  assert.is(r.arrival, 1000 + 35_547 + 7000);
  assert.is(r.latency, 35_547 + 7000);
  assert.is(r.wireBytes, 280);
  // Gen1 x1, MRd: 16 + 8 = 24 bytes × 4000 ps = 96,000 ps.
  r = oneTlp({ gen: 1, width: 1, mps: 128, propagationPs: 5000 }, makeTlp('MRd', ADDR64, 512, 2), 0);
  assert.is(r.arrival, 96_000 + 5000);
  // Gen5 x16, MWr 256 B: 280 × 253.90625 / 16 = 4,443.359375 -> 4,444 ps.
  r = oneTlp({ gen: 5, width: 16, mps: 256, propagationPs: 0 }, makeTlp('MWr', ADDR64, 256, 3), 3);
  assert.is(r.arrival, 3 + 4444);
  // Gen6 x16 (Flit Mode share): 272 TLP bytes × 256/236 × 125 / 16 ps = 2,305.08... -> 2,306 ps.
  r = oneTlp({ gen: 6, width: 16, mps: 256, propagationPs: 1000 }, makeTlp('MWr', ADDR64, 256, 4), 0);
  assert.is(r.arrival, 2306 + 1000);
  assert.is(r.wireBytes, (272 * 256) / 236, 'a TLP byte is 256/236 link bytes in Flit Mode');
  assert.is(tlpWireTimePs(272, 6, 16), 2306);
  // With ECRC: 284 bytes at Gen3 x8 -> 36,054.6875 -> 36,055 ps.
  r = oneTlp({ gen: 3, width: 8, mps: 256, propagationPs: 0, ecrc: true }, makeTlp('MWr', ADDR64, 256, 5, true), 0);
  assert.is(r.arrival, 36_055);
});

test('back to back: the n-th TLP ends at ceil(n × TLP time), rounding does not accumulate', () => {
  // Gen3 x8, MWr 128 B: 152 bytes × 126.953125 ps = 19,296.875 ps each; no DLLP due before 163,000 ps.
  const sim = new Simulation();
  const sink = new HoldingSink(sim, () => 0);
  const link = new Link(sim, { gen: 3, width: 8, mps: 128, propagationPs: 0 }, {}, { receiver: sink });
  for (let i = 0; i < 8; i++) link.aToB.receive(makeTlp('MWr', ADDR64 + 128 * i, 128, i), NO_RELEASE);
  sim.run();
  assert.equal(sink.arrivals.map((a) => a.time), [1, 2, 3, 4, 5, 6, 7, 8].map((n) => Math.ceil(n * 19_296.875)));
});

test('a DLLP due while the wire is busy delays the TLPs behind it; one due in idle time costs nothing', () => {
  // Gen3 x8 MPS 128, MWr 128 B back to back: TLP 8 (from 0) is on the wire over [154,375, 173,671.875),
  // which holds the Ack/UpdateFC grid point 163,000; both DLLPs (16 bytes = 2,031.25 ps) follow it.
  const sim = new Simulation();
  const sink = new HoldingSink(sim, () => 0);
  const link = new Link(sim, { gen: 3, width: 8, mps: 128, propagationPs: 100 }, {}, { receiver: sink });
  for (let i = 0; i < 11; i++) link.aToB.receive(makeTlp('MWr', ADDR64 + 128 * i, 128, i), NO_RELEASE);
  sim.run();
  const t = sink.arrivals.map((a) => a.time - 100);
  assert.is(t[8], Math.ceil(9 * 19_296.875)); // 173,672: not delayed by the DLLPs due during it
  assert.is(t[9], 10 * 19_296.875 + 2031.25); // 195,000
  assert.is(t[10], Math.ceil(11 * 19_296.875 + 2031.25)); // 214,296.875 -> 214,297
  assert.is(link.aToB.stats().dllpPs, 2031.25);

  // Idle link: one TLP at 0, the next at 170,000, after the grid point at 163,000 went by in idle time.
  const sim2 = new Simulation();
  const sink2 = new HoldingSink(sim2, () => 0);
  const link2 = new Link(sim2, { gen: 3, width: 8, mps: 128, propagationPs: 0 }, {}, { receiver: sink2 });
  link2.aToB.receive(makeTlp('MWr', ADDR64, 128, 0), NO_RELEASE);
  sim2.schedule(170_000, (dir: LinkDirection) => dir.receive(makeTlp('MWr', ADDR64, 128, 1), NO_RELEASE), link2.aToB);
  sim2.run();
  assert.equal(sink2.arrivals.map((a) => a.time), [19_297, 170_000 + 19_297]);
  assert.is(link2.aToB.stats().dllpPs, 0);
});

// ---------------------------------------------------------------- credits

/** Six 128-byte writes at time 0 into a receiver that advertises 2 posted headers and holds each TLP 50 ns, run to `until`. */
function twoCreditStall(until?: number) {
  const sim = new Simulation();
  const sink = new HoldingSink(sim, () => 50_000);
  const credits: CreditAdvertisement = { ...DEFAULT_CREDITS, P: { header: 2, data: 'infinite' } };
  const link = new Link(sim, { gen: 3, width: 8, mps: 128, propagationPs: 10_000 }, {}, { receiver: sink, credits });
  for (let i = 0; i < 6; i++) link.aToB.receive(makeTlp('MWr', ADDR64 + 128 * i, 128, i), NO_RELEASE);
  sim.run(until === undefined ? {} : { until });
  return { sim, sink, link };
}

test('credit stall: 2 posted header credits, released 50 ns after arrival', () => {
  // Gen3 x8 MWr 128 B (19,296.875 ps on the wire), propagation 10,000 ps; credits come back
  // 1,016 ps (one DLLP, rounded up) + 10,000 ps after release.
  const { sink, link } = twoCreditStall();
  assert.is(link.aToB.creditReturnDelayPs, 11_016);
  assert.is(defaultCreditReturnDelayPs(3, 8, 10_000), 11_016);
  // TLP 0, 1 back to back: end 19,297 and 38,594 (38,593.75), arrive 10,000 ps later.
  // TLP 2 waits for TLP 0's credit: arrival 29,297 + 50,000 hold + 11,016 = 90,313; ends 109,610, arrives 119,610.
  // TLP 3: TLP 1's credit is back at 48,594 + 61,016 = 109,610, when the wire frees (109,609.875): ends
  //   90,313 + ceil(2 × 19,296.875) = 128,907, arrives 138,907.
  // TLP 4: TLP 2's credit at 119,610 + 61,016 = 180,626 (the DLLP grid point 163,000 fell in idle time):
  //   ends 199,923, arrives 209,923. TLP 5: credit at 138,907 + 61,016 = 199,923: arrives 229,220.
  assert.equal(sink.arrivals.map((a) => a.time), [29_297, 48_594, 119_610, 138_907, 209_923, 229_220]);
  assert.equal(sink.arrivals.map((a) => a.tlp.txn), [0, 1, 2, 3, 4, 5]);
  assert.is(sink.maxHeaders[0], 2);
  const s = link.aToB.stats();
  // Stalled from the first whole ps the wire was free: (90,313 − 38,594) + (180,626 − 128,907).
  assert.is(s.creditStallPs, 2 * 51_719);
  assert.is(s.dllpPs, 0);
  assert.is(link.aToB.credits.heldTlps(0), 0);
  assert.ok(link.aToB.credits.headerCredits(0) >= 0);
});

test('statistics read mid-run count only what lies before now: part of the TLP on the wire, a stall up to now', () => {
  // (The run of the credit-stall test.) Nothing has happened at time 0.
  let s = twoCreditStall(0).link.aToB.stats();
  assert.equal([s.busyPs, s.utilization, s.creditStallPs], [0, 0, 0]);
  // 10,000 ps into TLP 0 (on the wire over [0, 19,296.875)): that much of its wire time is busy, all of the time so far;
  // TLP 1, started ahead to follow it, counts from its start: still queued.
  s = twoCreditStall(10_000).link.aToB.stats();
  assert.equal([s.tlpPs, s.busyPs, s.utilization, s.tlpsSent, s.queued], [19_296.875, 10_000, 1, 1, 5]);
  // 70,000 ps: the wire idle since 38,594, stalled for credits till 90,313; the stall so far counts.
  s = twoCreditStall(70_000).link.aToB.stats();
  assert.equal([s.busyPs, s.creditStallPs, s.inFlight], [2 * 19_296.875, 70_000 - 38_594, 0]);
  assert.is(s.utilization, (2 * 19_296.875) / 70_000);
});

/**
 * A deterministic mix of P, NP and Cpl TLPs through tight credits, handed over
 * in bursts by `sender` (NO_RELEASE releases at any time: TLPs start ahead),
 * run to `until`.
 */
function mixedRun(fingerprint = false, sender: TlpSender = NO_RELEASE, until?: number) {
  const sim = new Simulation({ seed: 7, fingerprint });
  const rng = sim.rng('test/link-mix');
  const credits: CreditAdvertisement = {
    P: { header: 3, data: 40 },
    NP: { header: 2, data: 0 },
    Cpl: { header: 2, data: 33 },
  };
  const sink = new HoldingSink(sim, () => Math.floor(rng.random() * 400_000));
  const link = new Link(sim, { gen: 2, width: 4, mps: 512, propagationPs: 3000 }, {}, { receiver: sink, credits });
  const sent: Tlp[] = [];
  const sizes = [4, 64, 100, 128, 256, 512];
  for (let i = 0; i < 400; i++) {
    const u = rng.random();
    const size = sizes[Math.floor(rng.random() * sizes.length)]!;
    const tlp = u < 0.5 ? makeTlp('MWr', ADDR64 + 4096 * i, size, i)
      : u < 0.75 ? makeTlp('MRd', ADDR64 + 4096 * i, size, i)
        : makeTlp('CplD', 4096 * i, Math.min(size, 512), i);
    sent.push(tlp);
  }
  // Bursts of 20 every 2 µs.
  const hand = (dir: LinkDirection, burst: number) => {
    for (let k = burst * 20; k < burst * 20 + 20; k++) dir.receive(sent[k]!, sender);
    if (burst + 1 < sent.length / 20) sim.schedule(2_000_000, hand, dir, burst + 1);
  };
  sim.schedule(0, hand, link.aToB, 0);
  sim.run(until === undefined ? {} : { until });
  return { sim, sink, link, sent, credits };
}

test('tight credits, mixed classes: nothing lost or duplicated, order and buffer limits kept', () => {
  const { sink, link, sent, credits } = mixedRun();
  const got = sink.arrivals.map((a) => a.tlp);
  assert.is(got.length, sent.length);
  assert.is(new Set(got).size, sent.length);
  for (const t of sent) assert.ok(got.includes(t));
  // In order within each class (txn = hand-over order).
  for (let c = 0; c < 3; c++) {
    const txns = got.filter((t) => classOf(t) === c).map((t) => t.txn);
    assert.equal(txns, [...txns].sort((x, y) => x - y), `class ${c} reordered`);
  }
  // Passing only where PCIe allows: when a TLP arrives, every older one still missing is one it may pass.
  const mayPass = (later: number, earlier: number) => (later === 0 && earlier !== 0) || (later === 2 && earlier === 1);
  const arrived = new Set<number>();
  for (const t of got) {
    for (let older = 0; older < t.txn; older++) {
      if (!arrived.has(older)) assert.ok(mayPass(classOf(t), classOf(sent[older]!)), `TLP ${t.txn} passed ${older}`);
    }
    arrived.add(t.txn);
  }
  // The receiver never held more than it advertised.
  const adv = [credits.P, credits.NP, credits.Cpl];
  for (let c = 0; c < 3; c++) {
    assert.ok(sink.maxHeaders[c]! <= (adv[c]!.header as number), `class ${c} headers ${sink.maxHeaders[c]}`);
    assert.ok(sink.maxData[c]! <= (adv[c]!.data as number), `class ${c} data ${sink.maxData[c]}`);
    assert.is(link.aToB.credits.heldTlps(c), 0);
    assert.ok(link.aToB.credits.headerCredits(c) >= 0 && link.aToB.credits.dataCredits(c) >= 0);
  }
  const s = link.aToB.stats();
  assert.is(s.tlpsSent, sent.length);
  assert.is(s.tlpsDelivered, sent.length);
  assert.ok(s.creditStallPs > 0, 'the credits should have been tight enough to stall');
});

test('TLPs started ahead (their sender releases at any time): the same arrivals and statistics at every instant, an event fewer each', () => {
  // The same run with a sender that cares when it is released (no TLP starts ahead), stopped at instants
  // inside busy periods, credit stalls and idle time.
  const timed: TlpSender = { release(): void {} };
  for (const until of [1, 150_000, 1_000_000, 2_345_678, 7_777_777, 20_000_000, undefined]) {
    const ahead = mixedRun(false, NO_RELEASE, until), onTime = mixedRun(false, timed, until);
    assert.equal(ahead.sink.arrivals, onTime.sink.arrivals, `arrivals by ${until}`);
    assert.equal(ahead.link.aToB.stats(), onTime.link.aToB.stats(), `stats at ${until}`);
    if (until === undefined) {
      assert.is(onTime.link.aToB.startedAhead, 0);
      assert.ok(ahead.link.aToB.startedAhead > 0, `${ahead.link.aToB.startedAhead} started ahead`);
      assert.is(onTime.sim.eventCount - ahead.sim.eventCount, ahead.link.aToB.startedAhead);
    }
  }
});

/**
 * A far end that takes each TLP ahead of its arrival, with its arrival time
 * (as a two-port switch does), or at its arrival when the link is traced
 * (a traced direction keeps its arrival events): it records the arrival and
 * frees the TLP's buffer a fixed time after it, dated.
 */
class EarlySink implements EarlyReceiver {
  readonly arrivals: [number, number][] = [];
  readonly takesBeforeStart = true;
  constructor(private readonly sim: Simulation) {}
  receiveAhead(tlp: Tlp, from: TlpSender, at: number): boolean {
    this.take(tlp, from as LinkDirection, at);
    return true;
  }
  receive(tlp: Tlp, from: TlpSender): void {
    this.take(tlp, from as LinkDirection, this.sim.now);
  }
  private take(tlp: Tlp, from: LinkDirection, at: number): void {
    this.arrivals.push([at, tlp.txn]);
    from.releaseAt(tlp, at + ((tlp.txn * 7919) % 400_000));
  }
}

test('a far end that takes TLPs ahead of their arrival: the same arrivals and statistics at every instant as one that takes them on arrival', () => {
  // Bursts of mixed TLPs under tight credits, their senders releasing at any time (TLPs start ahead too).
  const run = (traced: boolean, until: number) => {
    const sim = new Simulation();
    const sink = new EarlySink(sim);
    const credits: CreditAdvertisement = { P: { header: 3, data: 40 }, NP: { header: 2, data: 0 }, Cpl: { header: 2, data: 33 } };
    const link = new Link(sim, { gen: 2, width: 4, mps: 512, propagationPs: 3000, ...(traced ? { tracer: new RecordingTracer() } : {}) }, {}, { receiver: sink, credits });
    const hand = (dir: LinkDirection, burst: number) => {
      for (let k = burst * 20; k < burst * 20 + 20; k++) {
        const size = [4, 64, 100, 128, 256, 512][k % 6]!;
        dir.receive(k % 4 === 1 ? makeTlp('MRd', ADDR64 + 4096 * k, size, k) : k % 4 === 3 ? makeTlp('CplD', 4096 * k, size, k) : makeTlp('MWr', ADDR64 + 4096 * k, size, k), NO_RELEASE);
      }
      if (burst < 19) sim.schedule(2_000_000, hand, dir, burst + 1);
    };
    sim.schedule(0, hand, link.aToB, 0);
    sim.run({ until });
    return { arrivals: sink.arrivals.filter(([t]) => t <= until), stats: link.aToB.stats(), link };
  };
  let handedAhead = 0;
  // Instants in busy periods, credit stalls and idle time, and past the end (the two runs end at different instants: no arrival event ends the early one).
  for (const until of [1, 150_000, 1_000_000, 2_345_678, 7_777_777, 20_000_000, 33_333_333, 60_000_000]) {
    const early = run(false, until), onArrival = run(true, until);
    assert.equal(early.arrivals, onArrival.arrivals, `arrivals by ${until}`);
    // A TLP handed over ahead counts as delivered from its hand-over (at its start, or the start of one started ahead), not its arrival.
    const { tlpsDelivered, inFlight, ...rest } = early.stats, { tlpsDelivered: d, inFlight: f, ...restOnArrival } = onArrival.stats;
    assert.equal(rest, restOnArrival, `stats at ${until}`);
    assert.equal([tlpsDelivered, inFlight], [rest.tlpsSent, 0], `every TLP started by ${until} handed over`);
    assert.is(d + f, rest.tlpsSent);
    handedAhead = Math.max(handedAhead, early.link.aToB.startedAhead);
    if (until === 60_000_000) assert.is(early.arrivals.length, 400, 'every TLP arrived');
  }
  assert.ok(handedAhead > 50, `${handedAhead} TLPs started ahead and handed over before their start`);
});

test('a posted write passes a read blocked on credits; a blocked write holds back everything behind it', () => {
  // One NP header credit, and the first read is never released: the second read waits for good.
  let sim = new Simulation();
  let sink = new HoldingSink(sim, (t) => (t.type === 'MRd' ? Infinity : 0));
  let link = new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 0 }, {}, { receiver: sink, credits: { ...DEFAULT_CREDITS, NP: { header: 1, data: 0 } } });
  for (const [i, type] of (['MRd', 'MRd', 'MWr', 'CplD', 'MWr'] as const).entries()) link.aToB.receive(makeTlp(type, ADDR64, 64, i), NO_RELEASE);
  sim.run();
  assert.equal(sink.arrivals.map((a) => a.tlp.txn), [0, 2, 3, 4]);
  assert.is(link.aToB.stats().queued, 1);

  // One P header credit, never returned: reads and completions may not pass the blocked write.
  sim = new Simulation();
  sink = new HoldingSink(sim, (t) => (t.type === 'MWr' ? Infinity : 0));
  link = new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 0 }, {}, { receiver: sink, credits: { ...DEFAULT_CREDITS, P: { header: 1, data: 100 } } });
  for (const [i, type] of (['MWr', 'MWr', 'MRd', 'CplD'] as const).entries()) link.aToB.receive(makeTlp(type, ADDR64, 64, i), NO_RELEASE);
  sim.run();
  assert.equal(sink.arrivals.map((a) => a.tlp.txn), [0]);
  assert.is(link.aToB.stats().queued, 3);
});

test('model bugs and impossible configurations throw', () => {
  const sim = new Simulation();
  const sink = new HoldingSink(sim, () => Infinity);
  const link = new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 0 }, {}, { receiver: sink, credits: { ...INFINITE_CREDITS, P: { header: 4, data: 8 } } });
  // 256 bytes need 16 data credits; the receiver advertises 8: it could never go.
  assert.throws(() => link.aToB.receive(makeTlp('MWr', ADDR64, 256, 0), NO_RELEASE), (e: unknown) => e instanceof RangeError);
  const w = makeTlp('MWr', ADDR64, 64, 1);
  link.aToB.receive(w, NO_RELEASE);
  sim.run();
  link.aToB.release(w);
  assert.throws(() => link.aToB.release(w), /released twice/);
  assert.throws(() => new Link(sim, { gen: 7 as PcieGen, width: 4, mps: 256, propagationPs: 0 }), RangeError);
  assert.throws(() => new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 1.5 }), RangeError);
  assert.throws(() => new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: -1000 }), /propagationPs must be a non-negative integer/);
  assert.throws(() => new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 0, creditReturnDelayPs: -1 }), /creditReturnDelayPs must be a non-negative integer/);
  // A direction with nothing at its far end fails when the TLP gets there.
  const lonely = new Link(sim, { gen: 3, width: 4, mps: 256, propagationPs: 0 });
  lonely.aToB.receive(makeTlp('MWr', ADDR64, 4, 0), NO_RELEASE);
  assert.throws(() => sim.run(), /no receiver/);
});

test('the upstream sender is released when its TLP starts on the wire', () => {
  const sim = new Simulation();
  const sink = new HoldingSink(sim, () => 0);
  const link = new Link(sim, { gen: 1, width: 1, mps: 128, propagationPs: 0 }, {}, { receiver: sink });
  const released: Array<[number, number]> = [];
  const from = { release: (t: Tlp) => { released.push([t.txn, sim.now]); } };
  // MRd: 24 bytes × 4000 ps = 96,000 ps each.
  for (let i = 0; i < 3; i++) link.aToB.receive(makeTlp('MRd', ADDR64, 64, i), from);
  sim.run();
  assert.equal(released, [[0, 0], [1, 96_000], [2, 192_000]]);
});

// ---------------------------------------------------------------- determinism and tracing

test('determinism: two identical runs give the same arrival sequence', () => {
  const a = mixedRun(true), b = mixedRun(true);
  const seq = (arr: Arrival[]) => arr.map((x) => `${x.time}:${x.tlp.txn}`).join(',');
  assert.is(seq(a.sink.arrivals), seq(b.sink.arrivals));
  assert.is(a.sim.fingerprint(), b.sim.fingerprint());
  assert.equal(a.link.aToB.stats(), b.link.aToB.stats());
});

test('trace: one row per TLP at its arrival, latency from hand-over, payload bytes, type label', () => {
  const sim = new Simulation();
  const tracer = new RecordingTracer();
  const sink = new HoldingSink(sim, () => 0);
  const link = new Link(sim, { gen: 1, width: 1, mps: 128, propagationPs: 1000, tracer, name: 'up0' }, {}, { receiver: sink });
  link.aToB.receive(makeTlp('MWr', ADDR64, 64, 10), NO_RELEASE); // 16 + 64 + 8 = 88 bytes = 352,000 ps
  link.aToB.receive(makeTlp('MRd', ADDR64, 64, 11), NO_RELEASE); // 24 bytes = 96,000 ps, after the write
  sim.run();
  const rows = tracer.rows.get('up0.ab/tlp')!;
  assert.equal(rows.map((r) => [r.time, r.txn, r.bytes, r.latency, r.a, r.b]), [
    [353_000, 10, 64, 353_000, 0, 80],
    [449_000, 11, 0, 449_000, 1, 16],
  ]);
  assert.equal(rows.map((r) => tracer.labelName(r.label!)), ['MWr', 'MRd']);
  assert.ok(tracer.rows.has('up0.ba/tlp'));
});

test.run();

/**
 * The switch against timings worked out by hand, and its routing, ACS
 * redirect, arbitration and back-pressure. Numbers used below:
 *   Gen3 byte time on one lane 1015.625 ps; a xN link moves N bytes per byte time.
 *   MWr 256 B at a 64-bit address: 16 header + 256 payload + 8 framing = 280 link bytes:
 *     Gen3 x8 35,546.875 -> 35,547 ps; Gen3 x4 71,093.75 -> 71,094 ps;
 *     Gen3 x16 17,773.4375 -> 17,774 ps; Gen1 x1 280 × 4000 = 1,120,000 ps.
 *   Cut-through, as the switch defines it: the TLP starts on the egress wire
 *   at max(A, A − S_in + latency), A = when the ingress link delivered it
 *   (last byte in), S_in = its ingress wire time: latency = first byte in to
 *   first byte out. Store-and-forward: A + latency.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import { type Tlp, type PortRoutes, type TlpReceiver, type TlpSender } from '../../../models/pcie/fabric.js';
import { Link, NO_RELEASE, type LinkDirection, type LinkParams } from '../../../models/pcie/link.js';
import { NO_ROUTES } from '../../../models/pcie/router.js';
import { PcieSwitch, switchParams, type SwitchParams } from '../../../models/pcie/switch.js';
import { presetValuesOf } from '../../preset-params.js';
import { ADDR64, classOf, HoldingSink, ImmediateSink, makeTlp, RecordingTracer, tlpFrom, eventInstants, withoutMostHeld } from './link-helpers.js';

/** The switch every test here uses: the PEX8796 preset's values. */
const PEX8796 = presetValuesOf('pcie-switch-pex8796');

const MiB = 1 << 20;
const GEN3_X8: LinkParams = { gen: 3, width: 8, mps: 256, propagationPs: 0 };

type ParamInput = Record<string, unknown>;

/** Parameters of a 3-port switch: the preset's defaults, with `over` on top. */
function params(over: ParamInput = {}): SwitchParams {
  return switchParams.parse({ ...PEX8796, ports: 3, ...over });
}

/** A TLP with a requester ID (completions route by it). */

/** Records what leaves a port and frees it at once (no wire: the TLP has "started" on arrival). */
class PortSink implements TlpReceiver {
  readonly got: Array<{ time: number; tlp: Tlp }> = [];
  constructor(private readonly sim: Simulation) {}
  receive(tlp: Tlp, from: TlpSender): void {
    this.got.push({ time: this.sim.now, tlp });
    from.release(tlp);
  }
}

/** Counts the releases a sender gets, per TLP. */
class CountingSender implements TlpSender {
  readonly released = new Map<Tlp, number[]>();
  constructor(private readonly sim: Simulation) {}
  release(tlp: Tlp): void {
    const r = this.released.get(tlp) ?? [];
    r.push(this.sim.now);
    this.released.set(tlp, r);
  }
}

/**
 * Writes `count` MWr TLPs of `size` bytes into a link direction, keeping
 * `depth` in its transmit queue (the next one when the link starts one);
 * records when each started on the wire.
 */
class Writer implements TlpSender {
  next = 0;
  readonly starts: number[] = [];
  constructor(private readonly sim: Simulation, private readonly dir: LinkDirection, private readonly count: number,
    private readonly size: number, private readonly txnBase: number, private readonly addr = ADDR64, private readonly depth = 2) {}
  start(): void { for (let i = 0; i < this.depth; i++) this.push(); }
  release(): void {
    this.starts.push(this.sim.now);
    this.push();
  }
  private push(): void {
    if (this.next >= this.count) return;
    const i = this.next++;
    this.dir.receive(makeTlp('MWr', this.addr + i * this.size, this.size, this.txnBase + i), this);
  }
}

// ---------------------------------------------------------------- latency through an idle switch

/**
 * One MWr 256 B through a two-port switch: source -> link1 -> port 1 -> port 0
 * -> link0 -> sink. Returns the sink's arrival time and the switch.
 */
function oneThrough(sw: ParamInput, ingress: Partial<LinkParams>, egress: Partial<LinkParams>) {
  const sim = new Simulation();
  const tracer = new RecordingTracer();
  const s = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2, ...sw }), [NO_ROUTES, NO_ROUTES], { tracer, name: 'sw' });
  const sink = new HoldingSink(sim, () => 0);
  const up = new Link(sim, { ...GEN3_X8, propagationPs: 5000, ...egress }, s.linkEnd(0), { receiver: sink });
  s.attach(0, up, 'a');
  const down = new Link(sim, { ...GEN3_X8, propagationPs: 7000, ...ingress }, {}, s.linkEnd(1));
  s.attach(1, down, 'b');
  down.aToB.receive(makeTlp('MWr', ADDR64, 256, 1), NO_RELEASE);
  sim.run();
  assert.is(sink.arrivals.length, 1);
  const rows = tracer.rows.get('sw/forward')!;
  assert.is(rows.length, 1);
  return { arrival: sink.arrivals[0]!.time, sw: s, row: rows[0]! };
}

test('cut-through, idle, Gen3 x8 both sides: prop1 + latency + ser2 + prop2, the ingress serialization hidden', () => {
  // Last byte in at A = 35,547 + 7,000 = 42,547; first byte in at A − 35,547 = 7,000;
  // out at 7,000 + 150,000 = 157,000; at the sink 157,000 + 35,547 + 5,000.
  const r = oneThrough({}, {}, {});
  assert.is(r.arrival, 7000 + 150_000 + 35_547 + 5000);
  assert.is(r.arrival, 197_547);
  assert.is(r.row.time, 157_000, 'trace: starts on the egress wire at 157,000');
  assert.is(r.row.latency, 157_000 - 42_547, 'trace: time in the switch, from last byte in');
  assert.equal([r.row.a, r.row.b, r.row.bytes], [1, 0, 256]);
  const st = r.sw.stats();
  assert.is(st.cutThroughClamped, 0);
  assert.equal(st.forwarded, [[0, 0], [1, 0]]);
  assert.equal(st.forwardedPayloadBytes, [[0, 0], [256, 0]]);
  assert.is(r.sw.queueingDelayPs().count, 1);
  assert.is(r.sw.queueingDelayPs(0).max, 0, 'nothing ahead of it');
});

test('store-and-forward: ser1 + prop1 + latency + ser2 + prop2', () => {
  const r = oneThrough({ forwarding: 'store-and-forward' }, {}, {});
  assert.is(r.arrival, 35_547 + 7000 + 150_000 + 35_547 + 5000);
  assert.is(r.row.time, 42_547 + 150_000);
});

test('cut-through from a narrow ingress to a wide egress: first byte in + latency', () => {
  // Gen3 x4 in: A = 71,094 + 7,000 = 78,094, first byte at 7,000; out at 157,000 on Gen3 x16 (17,774 ps).
  const r = oneThrough({}, { width: 4 }, { width: 16 });
  assert.is(r.arrival, 7000 + 150_000 + 17_774 + 5000);
  assert.is(r.sw.stats().cutThroughClamped, 0);
});

test('cut-through clamped: a TLP longer on the ingress wire than the latency leaves when fully in', () => {
  // Gen1 x1 in: 1,120,000 ps > 150,000 ps, so A − S_in + latency < A: starts out at A = 1,127,000.
  const r = oneThrough({}, { gen: 1, width: 1, mps: 256 }, {});
  assert.is(r.arrival, 1_120_000 + 7000 + 35_547 + 5000);
  assert.is(r.row.time, 1_127_000);
  assert.is(r.sw.stats().cutThroughClamped, 1);
  // Latency 0 in store-and-forward is the clamp's bound: the same.
  const r0 = oneThrough({ forwarding: 'store-and-forward', latency: 0 }, { gen: 1, width: 1, mps: 256 }, {});
  assert.is(r0.arrival, r.arrival);
  // A latency exactly the ingress wire time (Gen3 x8, 256 B: 35,547 ps) leaves as the last byte comes in: not clamped.
  const even = oneThrough({ latency: 35_547 }, {}, {});
  assert.is(even.arrival, 35_547 + 7000 + 35_547 + 5000);
  assert.is(even.sw.stats().cutThroughClamped, 0);
});

// ---------------------------------------------------------------- TLPs handed over ahead of their arrival

/**
 * A stream of 256 B writes through a two-port switch with a slow egress, run
 * to `until`. The ingress link hands the switch each TLP as it starts on the
 * wire (switch.ts arriveAhead), unless the link is traced: a traced link keeps
 * its arrival event (its trace row goes in order with every other row).
 */
function aheadRun(tracedLink: boolean, until: number, ingress: Partial<LinkParams>, tracedSwitch = false) {
  const sim = new Simulation({ fingerprint: true });
  // A traced switch dates no hand-over (startDated): a TLP taken ahead waits in the ingress pipeline instead.
  const s = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2 }), [NO_ROUTES, NO_ROUTES], { name: 'sw', ...(tracedSwitch ? { tracer: new RecordingTracer() } : {}) });
  const sink = new HoldingSink(sim, () => 20_000);
  const up = new Link(sim, { ...GEN3_X8, width: 1, propagationPs: 5000 }, s.linkEnd(0), { receiver: sink });
  s.attach(0, up, 'a');
  const down = new Link(sim, { ...GEN3_X8, propagationPs: 7000, ...ingress, ...(tracedLink ? { tracer: new RecordingTracer() } : {}) }, {}, s.linkEnd(1));
  s.attach(1, down, 'b');
  new Writer(sim, down.aToB, 200, 256, 0).start();
  sim.run({ until });
  return { sim, sw: s, sink, down };
}

test('a two-port switch taken TLPs ahead of their arrival: same times and statistics at every instant, an event fewer per TLP', () => {
  for (const [ingress, tracedSwitch] of [[{}, false], [{ gen: 1 as const, width: 1 as const }, false], [{ gen: 1 as const, width: 1 as const }, true]] as const) {
    for (const until of [1, 40_000, 42_547, 42_548, 200_000, 1_000_000, 3_333_333, 1_000_000_000]) {
      const ahead = aheadRun(false, until, ingress, tracedSwitch), onArrival = aheadRun(true, until, ingress, tracedSwitch);
      // All but the most held at once, which counts a TLP taken ahead from its start on the ingress link (SwitchPortStats.held).
      assert.equal(withoutMostHeld(ahead.sw.stats()), withoutMostHeld(onArrival.sw.stats()), `at ${until}`);
      assert.equal(ahead.sink.arrivals.map((x) => x.time), onArrival.sink.arrivals.map((x) => x.time));
      assert.equal(ahead.sw.queueingDelayPs().toJSON(), onArrival.sw.queueingDelayPs().toJSON());
      const a = ahead.down.aToB.stats(), b = onArrival.down.aToB.stats();
      assert.equal({ ...a, tlpsDelivered: 0, inFlight: 0 }, { ...b, tlpsDelivered: 0, inFlight: 0 });
      assert.is(a.tlpsDelivered + a.inFlight, b.tlpsDelivered + b.inFlight);
      if (until === 1_000_000_000) {
        assert.is(ahead.sink.arrivals.length, 200);
        assert.is(onArrival.sim.eventCount - ahead.sim.eventCount, 200, 'one arrival event fewer per TLP');
      }
    }
  }
  // The Gen1 x1 ingress is longer on the wire than the latency: every TLP clamped, counted from its arrival.
  assert.is(aheadRun(false, 1_000_000_000, { gen: 1, width: 1 }).sw.stats().cutThroughClamped, 200);
});

// ---------------------------------------------------------------- dated hand-overs to the egress link

/**
 * A stream of 256 B writes through a two-port switch whose egress link is as
 * wide as its ingress (`egressWidth` 8: hand-overs dated, switch.ts
 * startDated) or narrower (4: the egress backs up, few dated), run to
 * `until`. With `fewCredits` the sink advertises four TLPs' worth, which the
 * dated TLPs take before their start (fewer dated; `hold` keeps them longer).
 * A traced switch dates none (its rows keep event order).
 */
function datedRun(tracedSwitch: boolean, until: number, egressWidth: 4 | 8, fewCredits: boolean, hold: number) {
  const run = datedSetup(tracedSwitch, egressWidth, fewCredits, hold);
  run.sim.run({ until });
  return run;
}

/**
 * datedRun's switch, links and writer, started and not yet run; `latency`
 * replaces the switch's, and `tracedIngress` keeps the ingress link's
 * arrival events (a traced link hands over nothing ahead).
 */
function datedSetup(tracedSwitch: boolean, egressWidth: 4 | 8, fewCredits: boolean, hold: number, { latency = PEX8796.latency, tracedIngress = false } = {}) {
  const sim = new Simulation({ fingerprint: true });
  const s = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2, latency }), [NO_ROUTES, NO_ROUTES], { name: 'sw', ...(tracedSwitch ? { tracer: new RecordingTracer() } : {}) });
  const sink = new HoldingSink(sim, () => hold);
  const credits = fewCredits ? { P: { header: 4, data: 64 }, NP: { header: 4, data: 4 }, Cpl: { header: 4, data: 64 } } : undefined;
  const up = new Link(sim, { ...GEN3_X8, width: egressWidth, propagationPs: 5000 }, s.linkEnd(0), { receiver: sink, ...(credits ? { credits } : {}) });
  s.attach(0, up, 'a');
  const down = new Link(sim, { ...GEN3_X8, propagationPs: 7000, ...(tracedIngress ? { tracer: new RecordingTracer() } : {}) }, {}, s.linkEnd(1));
  s.attach(1, down, 'b');
  const w = new Writer(sim, down.aToB, 300, 256, 0);
  w.start();
  return { sim, sw: s, sink, up, down, w };
}

test('dated hand-overs to the egress link: same times and statistics at every instant as a switch that dates none, fewer events', () => {
  for (const [egressWidth, fewCredits, hold] of [[8, false, 0], [8, true, 0], [8, true, 60_000], [4, false, 0]] as const) {
    let fewer = 0;
    for (const until of [1, 150_000, 157_000, 190_000, 400_000, 1_234_567, 3_000_000, 1_000_000_000]) {
      const dated = datedRun(false, until, egressWidth, fewCredits, hold), plain = datedRun(true, until, egressWidth, fewCredits, hold);
      const at = `egress x${egressWidth}, ${fewCredits ? 'few credits' : 'default credits'}, sink hold ${hold}, at ${until}`;
      assert.equal(dated.sw.stats(), plain.sw.stats(), at);
      assert.equal(dated.sw.queueingDelayPs().toJSON(), plain.sw.queueingDelayPs().toJSON(), at);
      assert.equal(dated.sink.arrivals.map((x) => x.time), plain.sink.arrivals.map((x) => x.time), at);
      assert.equal(dated.w.starts, plain.w.starts, `${at}: the ingress link's starts (its credits came back at the same times)`);
      assert.equal(dated.up.aToB.stats(), plain.up.aToB.stats(), at);
      assert.equal(dated.down.aToB.stats(), plain.down.aToB.stats(), at);
      fewer = plain.sim.eventCount - dated.sim.eventCount;
    }
    assert.is(datedRun(false, 1_000_000_000, egressWidth, fewCredits, hold).sink.arrivals.length, 300);
    // Each dated hand-over saves the event at the end of the internal latency: all but a few at full width and credits.
    if (egressWidth === 8 && !fewCredits) assert.ok(fewer > 290, `${fewer} events fewer`);
    else assert.ok(fewer >= 0, `${fewer} events fewer`);
  }
});

test('dated hand-overs read the same at the very instant of every event of a switch that dates none: a start, arrival or end of latency counts from that instant on', () => {
  // The fixed instants above fall between events; here both runs stop at each instant a run that dates nothing and
  // takes nothing ahead has an event, where a dated TLP starts, arrives or is ready exactly then (stats() counts what
  // happens at `now` as done). Latency 35,547 ps is a 256-byte TLP's ingress wire time: the edge of the clamp.
  const edge = 35_547;
  for (const [egressWidth, fewCredits, hold, latency] of [[8, false, 0, PEX8796.latency], [8, true, 60_000, PEX8796.latency], [4, false, 0, PEX8796.latency], [8, false, 0, edge], [4, false, 0, edge]] as const) {
    const instants = eventInstants(datedSetup(true, egressWidth, fewCredits, hold, { latency, tracedIngress: true }).sim);
    const dated = datedSetup(false, egressWidth, fewCredits, hold, { latency }), plain = datedSetup(true, egressWidth, fewCredits, hold, { latency });
    for (const until of instants) {
      dated.sim.run({ until });
      plain.sim.run({ until });
      const at = `egress x${egressWidth}, ${fewCredits ? 'few credits' : 'default credits'}, sink hold ${hold}, latency ${latency}, at ${until}`;
      assert.equal(dated.sw.stats(), plain.sw.stats(), at);
      assert.equal(dated.sw.queueingDelayPs().toJSON(), plain.sw.queueingDelayPs().toJSON(), at);
      assert.equal(dated.up.aToB.stats(), plain.up.aToB.stats(), at);
    }
    assert.ok(instants.length > 600, `${instants.length} instants`);
  }
});

// ---------------------------------------------------------------- parameters

test("credits at the spec's minimum are accepted, one below refused; a switch the constructor cannot build is an error naming what", () => {
  // §2.6.1: one header of every class, one Max_Payload_Size TLP of posted and completion data (256 B = 16 credits).
  const min = { postedHeaderCredits: 1, postedDataCredits: 16, nonPostedHeaderCredits: 1, nonPostedDataCredits: 0, completionHeaderCredits: 1, completionDataCredits: 16 };
  assert.ok(switchParams.safeParse({ ...PEX8796, ports: 2, maxPayloadSize: 256, ...min }).success, 'exactly the minimum');
  for (const [field, below] of [['postedHeaderCredits', 0], ['postedDataCredits', 15], ['nonPostedHeaderCredits', 0], ['completionDataCredits', 15]] as const) {
    const r = switchParams.safeParse({ ...PEX8796, ports: 2, maxPayloadSize: 256, ...min, [field]: below });
    assert.not.ok(r.success, `${field} ${below}`);
    assert.equal(r.error!.issues.map((i) => i.path.join('.')), [field]);
  }
  // The constructor's own checks, for a caller that builds a switch without the schema.
  const sim = new Simulation();
  const params = switchParams.parse({ ...PEX8796, ports: 2 });
  const build = (over: Partial<SwitchParams>, routes = [NO_ROUTES, NO_ROUTES]) => () => new PcieSwitch(sim, { ...params, ...over }, routes);
  assert.throws(build({ ports: 1 }, [NO_ROUTES]), /at least 2 ports, got 1/);
  assert.throws(build({ ports: 2.5 }), /at least 2 ports/);
  for (const upstreamPort of [-1, 2, 0.5]) assert.throws(build({ upstreamPort }), /upstreamPort must be a port index below 2/, `upstreamPort ${upstreamPort}`);
  for (const latency of [-1, 1.5]) assert.throws(build({ latency }), /latency must be a non-negative integer number of ps/, `latency ${latency}`);
  assert.ok(build({ upstreamPort: 1, latency: 0 })() instanceof PcieSwitch);
  const sw = build({})();
  for (const port of [-1, 2, 0.5]) assert.throws(() => sw.ingress(port), /has ports 0 to 1, got/, `port ${port}`);
  // A link into a port must enforce what the port advertises: one that differs in data credits alone is refused.
  const own = sw.linkEnd(1).credits!;
  const lessData = { ...own, P: { header: own.P.header, data: (own.P.data as number) - 16 } };
  assert.throws(() => sw.attach(1, new Link(sim, GEN3_X8, {}, { receiver: sw.ingress(1), credits: lessData }), 'b'), /advertises other P credits/);
});

test('a two-port switch with a plain block on one side (no link to date with) forwards every TLP at the same time as one with links', () => {
  const through = (plainIngress: boolean, plainEgress: boolean) => {
    const sim = new Simulation();
    const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2 }), [NO_ROUTES, NO_ROUTES]);
    const sink = new PortSink(sim), held = new HoldingSink(sim, () => 0);
    if (plainEgress) sw.connect(0, sink);
    else sw.attach(0, new Link(sim, { ...GEN3_X8, propagationPs: 5000 }, sw.linkEnd(0), { receiver: held }), 'a');
    const tlp = tlpFrom('MWr', ADDR64, 256, 0, 1);
    if (plainIngress) {
      sw.connect(1, new PortSink(sim), { gen: 3, width: 8 });
      sim.schedule(42_547, () => sw.ingress(1).receive(tlp, new CountingSender(sim)), null);
    } else {
      const down = new Link(sim, { ...GEN3_X8, propagationPs: 7000 }, {}, sw.linkEnd(1));
      sw.attach(1, down, 'b');
      down.aToB.receive(tlp, NO_RELEASE);
    }
    sim.run();
    return plainEgress ? sink.got.map((g) => g.time) : held.arrivals.map((a) => a.time);
  };
  // Cut-through: out at first byte in (7,000) + 150 ns = 157,000; over the egress link 35,547 + 5,000 more.
  assert.equal(through(false, false), [157_000 + 35_547 + 5000]);
  assert.equal(through(true, false), [157_000 + 35_547 + 5000], 'an ingress with no dated release: through the pipeline, the same time');
  assert.equal(through(false, true), [157_000], 'an egress that is no link: handed over at the end of the latency');
});

test('posted writes and completions through a backed-up two-port switch: dated hand-overs keep the ordering rules, the same arrivals as a switch that dates none', () => {
  const run = (tracedSwitch: boolean) => {
    const sim = new Simulation();
    const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2 }), [NO_ROUTES, NO_ROUTES], tracedSwitch ? { tracer: new RecordingTracer() } : {});
    const sink = new HoldingSink(sim, () => 0);
    sw.attach(0, new Link(sim, { ...GEN3_X8, width: 1, propagationPs: 5000 }, sw.linkEnd(0), { receiver: sink }), 'a');
    const down = new Link(sim, { ...GEN3_X8, propagationPs: 7000 }, {}, sw.linkEnd(1));
    sw.attach(1, down, 'b');
    // Bursts of four writes then four completions, every 400 ns: the x1 egress falls behind and queues.
    for (let b = 0; b < 6; b++) {
      sim.schedule(b * 400_000, () => {
        for (let k = 0; k < 8; k++) down.aToB.receive(k < 4 ? tlpFrom('MWr', ADDR64 + 256 * k, 256, 0, 8 * b + k) : tlpFrom('CplD', 0, 256, 0x999, 8 * b + k), NO_RELEASE);
      }, null);
    }
    sim.run();
    return sink.arrivals.map((a) => [a.tlp.txn, a.time]);
  };
  const dated = run(false), plain = run(true);
  assert.is(dated.length, 48);
  assert.equal(dated, plain);
  // A completion never passes a posted write (§2.4.1): within each burst the four writes arrive first.
  for (let b = 0; b < 6; b++) {
    const order = dated.filter(([txn]) => Math.floor(txn! / 8) === b).map(([txn]) => txn! % 8);
    assert.equal(order.slice(0, 4).sort(), [0, 1, 2, 3], `burst ${b}: ${order}`);
  }
});

// ---------------------------------------------------------------- routing

const ROUTES: PortRoutes[] = [
  NO_ROUTES,
  { ranges: [{ base: 0x1000_0000, size: MiB }], requesterIds: [0x100] },
  { ranges: [{ base: 0x2000_0000, size: MiB }], requesterIds: [0x200, 0x201] },
  { ranges: [], requesterIds: [0x300] },
];

/** A 4-port switch whose ports go to PortSinks; TLPs are handed straight to its ingress receivers. */
function routingRig(over: ParamInput = {}) {
  const sim = new Simulation();
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 4, maxPayloadSize: 256, ...over }), ROUTES);
  const sinks = [0, 1, 2, 3].map(() => new PortSink(sim));
  sinks.forEach((s, p) => sw.connect(p, s));
  const sender = new CountingSender(sim);
  const send = (port: number, tlp: Tlp) => sw.ingress(port).receive(tlp, sender);
  /** Port each TLP came out of (-1 if none). */
  const outOf = (tlp: Tlp) => sinks.findIndex((s) => s.got.some((g) => g.tlp === tlp));
  return { sim, sw, sinks, sender, send, outOf };
}

test('routing: requests by address, completions by requester ID, the rest upstream', () => {
  const { sim, sw, sinks, sender, send, outOf } = routingRig();
  const cases: Array<[number, Tlp, number]> = [
    [0, tlpFrom('MWr', 0x2000_0040, 64, 0, 1), 2],
    [0, tlpFrom('MRd', 0x1000_0000, 512, 0, 2), 1],
    [0, tlpFrom('CplD', 0x40, 64, 0x300, 3), 3],
    [0, tlpFrom('CplD', 0x40, 64, 0x201, 4), 2],
    [1, tlpFrom('MWr', 0x8000_0000, 64, 0x100, 5), 0], // to host memory
    [1, tlpFrom('MRd', 0x2000_1000, 64, 0x100, 6), 2], // peer to peer, below the switch
    [2, tlpFrom('CplD', 0x2000_1000, 64, 0x100, 7), 1], // the peer's completion, back by ID
    [2, tlpFrom('CplD', 0x0, 64, 0x0, 8), 0], // completion for the root complex's request
    [3, tlpFrom('Msg', 0, 0, 0x300, 9), 0], // messages go towards the root complex
  ];
  for (const [port, tlp] of cases) send(port, tlp);
  sim.run();
  for (const [port, tlp, out] of cases) assert.is(outOf(tlp), out, `txn ${tlp.txn} from port ${port}`);
  // connect() without ingress timing: cut-through counts S_in = 0, so each leaves 150 ns after it came in.
  for (const s of sinks) for (const g of s.got) assert.is(g.time, 150_000);
  for (const [, tlp] of cases) assert.equal(sender.released.get(tlp), [150_000], `txn ${tlp.txn} released once, when it left`);
  const st = sw.stats();
  assert.is(st.unsupportedRequests + st.unexpectedCompletions + st.malformed + st.redirected, 0);
  assert.equal(st.forwarded[1], [1, 0, 1, 0]);
  assert.equal(st.ports.map((p) => p.tlpsOut), [3, 2, 3, 1]);
  assert.equal(st.ports.map((p) => p.held), [0, 0, 0, 0]);
  // Bytes by port, from the cases: payload in and out (a read request carries none), and whole TLPs out.
  const bytesBy = (pick: (c: [number, Tlp, number]) => number, of: (t: Tlp) => number) =>
    [0, 1, 2, 3].map((p) => cases.filter((c) => pick(c) === p).reduce((n, [, t]) => n + of(t), 0));
  assert.equal(st.ports.map((p) => p.payloadBytesIn), bytesBy(([p]) => p, (t) => t.payloadBytes));
  assert.equal(st.ports.map((p) => p.payloadBytesOut), bytesBy(([, , o]) => o, (t) => t.payloadBytes));
  assert.equal(st.ports.map((p) => p.tlpBytesOut), bytesBy(([, , o]) => o, (t) => t.bytes));
  assert.ok(st.ports[3]!.tlpBytesOut > st.ports[3]!.payloadBytesOut, 'TLP bytes count the headers too');
});

test('unsupported requests, unexpected completions and malformed TLPs are counted, discarded and released at once', () => {
  const { sim, sw, sinks, sender, send } = routingRig();
  const bad: Array<[number, Tlp]> = [
    [0, tlpFrom('MWr', 0x5000_0000, 64, 0, 1)], // from above, claimed by no port
    [0, tlpFrom('MRd', 0x5000_0000, 64, 0, 2)],
    [0, tlpFrom('Msg', 0, 0, 0, 3)],
    [1, tlpFrom('MWr', 0x1000_0010, 64, 0x100, 4)], // from below, into its own port's window
    [0, tlpFrom('CplD', 0, 64, 0x999, 5)], // for a requester not below the switch
    [3, tlpFrom('Cpl', 0, 0, 0x300, 6)], // back to the port it came from
    [1, tlpFrom('MWr', 0x8000_0000, 512, 0x100, 7)], // more than Max_Payload_Size (256)
  ];
  sim.schedule(1000, () => { for (const [port, tlp] of bad) send(port, tlp); }, null);
  sim.run();
  for (const s of sinks) assert.is(s.got.length, 0);
  for (const [, tlp] of bad) assert.equal(sender.released.get(tlp), [1000], `txn ${tlp.txn}`);
  const st = sw.stats();
  assert.is(st.unsupportedRequests, 4);
  assert.is(st.unexpectedCompletions, 2);
  assert.is(st.malformed, 1);
  assert.equal(st.ports.map((p) => p.tlpsIn), [4, 2, 0, 1]);
  assert.equal(st.ports.map((p) => p.tlpsOut), [0, 0, 0, 0]);
  // Discarded TLPs came in all the same: their payload counts in (the MWr's and the CplD's 64 each at port 0, 64 + 512 at port 1; requests, messages and a Cpl carry none).
  assert.equal(st.ports.map((p) => p.payloadBytesIn), [128, 576, 0, 0]);
});

test('a two-port switch, which takes TLPs from its links at their start, still discards what no port claims on arrival: counted, and its ingress credits back', () => {
  const sim = new Simulation();
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2, maxPayloadSize: 256 }), [NO_ROUTES, { ranges: [{ base: 0x1000_0000, size: MiB }], requesterIds: [0x100] }]);
  const above = new Link(sim, { ...GEN3_X8, propagationPs: 5000 }, sw.linkEnd(0), { receiver: new ImmediateSink(sim) });
  sw.attach(0, above, 'a');
  const below = new Link(sim, { ...GEN3_X8, propagationPs: 7000 }, { receiver: new ImmediateSink(sim) }, sw.linkEnd(1));
  sw.attach(1, below, 'b');
  // From above: a write no port claims and a completion for nobody below; from below: a write larger than MPS.
  above.bToA.receive(tlpFrom('MWr', 0x5000_0000, 64, 0, 1), NO_RELEASE);
  above.bToA.receive(tlpFrom('CplD', 0, 64, 0x999, 2), NO_RELEASE);
  below.aToB.receive(tlpFrom('MWr', 0x8000_0000, 512, 0x100, 3), NO_RELEASE);
  sim.run();
  const st = sw.stats();
  assert.equal([st.unsupportedRequests, st.unexpectedCompletions, st.malformed], [1, 1, 1]);
  assert.equal(st.ports.map((p) => [p.tlpsIn, p.tlpsOut, p.held]), [[2, 0, 0], [1, 0, 0]]);
  for (const dir of [above.bToA, below.aToB]) for (let cls = 0; cls < 3; cls++) assert.is(dir.credits.heldTlps(cls), 0, `${dir.name} class ${cls}`);
});

test('ACS redirect: requests and completions between downstream ports go upstream, and are counted', () => {
  const { sim, sw, send, outOf } = routingRig({ acsRedirect: true });
  const cases: Array<[number, Tlp, number]> = [
    [1, tlpFrom('MWr', 0x2000_0000, 64, 0x100, 1), 0], // P2P write: redirected
    [1, tlpFrom('MRd', 0x2000_0000, 64, 0x100, 2), 0], // P2P read: redirected
    [2, tlpFrom('CplD', 0, 64, 0x100, 3), 0], // P2P completion: redirected
    [0, tlpFrom('MWr', 0x2000_0000, 64, 0, 4), 2], // from above: routed down as usual
    [3, tlpFrom('MWr', 0x8000_0000, 64, 0x300, 5), 0], // to memory: upstream anyway, not a redirect
  ];
  for (const [port, tlp] of cases) send(port, tlp);
  sim.run();
  for (const [port, tlp, out] of cases) assert.is(outOf(tlp), out, `txn ${tlp.txn} from port ${port}`);
  assert.is(sw.stats().redirected, 3);
});

test('ACS redirect timing: P2P goes up, the root complex sends it back down; twice the upstream link', () => {
  // Gen3 x8 everywhere, 5,000 ps propagation, MWr 256 B from the device on port 1 to the BAR on port 2.
  function run(acsRedirect: boolean) {
    const sim = new Simulation();
    const sw = new PcieSwitch(sim, params({ acsRedirect }), [NO_ROUTES, NO_ROUTES, { ranges: [{ base: ADDR64, size: MiB }], requesterIds: [] }]);
    const link = (end: 'a' | 'b', port: number, other: { receiver?: TlpReceiver }) => {
      const l = end === 'a' ? new Link(sim, { ...GEN3_X8, propagationPs: 5000 }, sw.linkEnd(port), other)
        : new Link(sim, { ...GEN3_X8, propagationPs: 5000 }, other, sw.linkEnd(port));
      sw.attach(port, l, end);
      return l;
    };
    // The root complex: sends whatever comes up straight back down.
    let up!: Link;
    const rc: TlpReceiver = { receive: (tlp, from) => { up.bToA.receive(tlp, NO_RELEASE); from.release(tlp); } };
    up = link('a', 0, { receiver: rc });
    const src = link('b', 1, {});
    const dst = new HoldingSink(sim, () => 0);
    link('a', 2, { receiver: dst });
    src.aToB.receive(makeTlp('MWr', ADDR64 + 64, 256, 1), NO_RELEASE);
    sim.run();
    assert.is(dst.arrivals.length, 1);
    return { arrival: dst.arrivals[0]!.time, sw, up };
  }
  const direct = run(false);
  // First byte in at 5,000; out of port 2 at 155,000; in at the device 155,000 + 35,547 + 5,000.
  assert.is(direct.arrival, 195_547);
  assert.is(direct.up.aToB.stats().tlpsSent, 0);
  const redirected = run(true);
  // Out of port 0 at 155,000; at the root complex 195,547, straight back: in at the switch 195,547 + 40,547,
  // first byte at 200,547, out of port 2 at 350,547, at the device 350,547 + 40,547.
  assert.is(redirected.arrival, 391_094);
  assert.is(redirected.sw.stats().redirected, 1);
  assert.equal(redirected.sw.stats().forwarded, [[0, 0, 1], [1, 0, 0], [0, 0, 0]]);
  assert.is(redirected.up.aToB.stats().tlpsSent, 1);
  assert.is(redirected.up.bToA.stats().tlpsSent, 1);
});

// ---------------------------------------------------------------- arbitration and back-pressure

/** Two sources' TLPs (transactions below `split` from one, the rest from the other) in arrival order: the most either was ever ahead. */
function mostApart(arrivals: readonly { tlp: Tlp }[], split: number): number {
  let a = 0, b = 0, most = 0;
  for (const x of arrivals) {
    if (x.tlp.txn < split) a++; else b++;
    most = Math.max(most, Math.abs(a - b));
  }
  return most;
}

test('two ingress ports saturating one egress share it by turns, and the egress wire never idles', () => {
  const sim = new Simulation();
  const credits = { postedHeaderCredits: 8, postedDataCredits: 128, maxPayloadSize: 256 };
  const sw = new PcieSwitch(sim, params(credits), [NO_ROUTES, NO_ROUTES, NO_ROUTES]);
  const arrivals: number[] = [];
  const sink = new HoldingSink(sim, () => 0);
  const up = new Link(sim, { ...GEN3_X8, propagationPs: 4000, dllp: 'none' }, sw.linkEnd(0), { receiver: sink });
  sw.attach(0, up, 'a');
  const count = 400;
  const writers = [1, 2].map((port) => {
    const l = new Link(sim, { ...GEN3_X8, propagationPs: 4000 }, {}, sw.linkEnd(port));
    sw.attach(port, l, 'b');
    return { link: l, writer: new Writer(sim, l.aToB, count, 256, port * 10_000) };
  });
  for (const w of writers) w.writer.start();
  sim.run();
  for (const a of sink.arrivals) arrivals.push(a.time);
  assert.is(sink.arrivals.length, 2 * count);
  // By turns: at every point of the output sequence the two sources are at most one TLP apart.
  assert.is(mostApart(sink.arrivals, 20_000), 1);
  // Never idle: every gap between deliveries is one TLP time (35,546.875 ps, rounded either way),
  // or one plus a SKP ordered set (one 130-bit block per lane, 16,250 ps).
  const ok = new Set([35_546, 35_547, 51_796, 51_797]);
  for (let i = 1; i < arrivals.length; i++) assert.ok(ok.has(arrivals[i]! - arrivals[i - 1]!), `gap ${arrivals[i]! - arrivals[i - 1]!} before ${i}`);
  const st = sw.stats();
  assert.equal(st.forwarded.map((r) => r[0]), [0, count, count]);
  // The sources were held back by the switch's credits, which it filled and never exceeded.
  for (const w of writers) assert.ok(w.link.aToB.stats().creditStallPs > 0, 'each source stalled on credits');
  for (const p of [1, 2]) {
    assert.is(st.ports[p]!.maxHeldHeaders[0], 8);
    assert.ok(st.ports[p]!.maxHeldData[0]! <= 128);
  }
  // Queueing delay: while both wait, each TLP waits about one TLP time for its turn.
  const q = sw.queueingDelayPs(0);
  assert.is(q.count, 2 * count);
  assert.ok(q.quantile(0.5) > 30_000, `median wait ${q.quantile(0.5)} ps`);
});

test('the turns wrap from the last port to the first: ports 2 and 0 saturating port 1 alternate too', () => {
  const sim = new Simulation();
  // Port 1 claims the writes' window: from port 0 (above) they go down to it, from port 2 across to it.
  const window = { ranges: [{ base: ADDR64, size: 1 << 30 }], requesterIds: [] };
  const sw = new PcieSwitch(sim, params({ postedHeaderCredits: 8, postedDataCredits: 128, maxPayloadSize: 256 }), [NO_ROUTES, window, NO_ROUTES]);
  const sink = new HoldingSink(sim, () => 0);
  const out = new Link(sim, { ...GEN3_X8, propagationPs: 4000 }, { receiver: sink }, sw.linkEnd(1));
  sw.attach(1, out, 'b');
  const count = 200;
  for (const port of [0, 2]) {
    const l = new Link(sim, { ...GEN3_X8, propagationPs: 4000 }, {}, sw.linkEnd(port));
    sw.attach(port, l, 'b');
    new Writer(sim, l.aToB, count, 256, (port + 1) * 10_000).start();
  }
  sim.run();
  assert.is(sink.arrivals.length, 2 * count);
  assert.is(mostApart(sink.arrivals, 20_000), 1);
});

test('back-pressure: a slow egress fills the ingress buffer and stalls the sender; every TLP comes out once, in order', () => {
  const sim = new Simulation();
  const tracer = new RecordingTracer();
  // Room for 4 TLPs of 256 B: 4 posted headers, 64 data credits.
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2, postedHeaderCredits: 4, postedDataCredits: 64, maxPayloadSize: 256 }),
    [NO_ROUTES, NO_ROUTES], { tracer, name: 'sw' });
  const sink = new ImmediateSink(sim);
  const seen: Tlp[] = [];
  const slow = new Link(sim, { gen: 1, width: 1, mps: 256, propagationPs: 2000 }, sw.linkEnd(0), {
    receiver: { receive: (tlp, from) => { seen.push(tlp); sink.receive(tlp, from); } },
  });
  sw.attach(0, slow, 'a');
  const fast = new Link(sim, { ...GEN3_X8, propagationPs: 2000 }, {}, sw.linkEnd(1));
  sw.attach(1, fast, 'b');
  const count = 50;
  const writer = new Writer(sim, fast.aToB, count, 256, 0);
  writer.start();
  sim.run();

  // Conservation, and order.
  assert.is(seen.length, count);
  assert.equal(seen.map((t) => t.txn), Array.from({ length: count }, (_, i) => i));
  const st = sw.stats();
  assert.is(st.ports[1]!.tlpsIn, count);
  assert.is(st.ports[0]!.tlpsOut, count);
  assert.is(st.ports[1]!.held, 0);
  // The buffer filled to its advertisement and no further.
  assert.is(st.ports[1]!.maxHeldHeaders[0], 4);
  assert.is(st.ports[1]!.maxHeldData[0], 64);
  // The sender stalled: TLP k + 4 could start only once TLP k had left the switch (started on the
  // slow wire) and its credits had come back (one DLLP at Gen3 x8, 1,016 ps, + 2,000 ps propagation).
  const left = tracer.rows.get('sw/forward')!.map((r) => r.time);
  assert.is(left.length, count);
  const creditBack = fast.aToB.creditReturnDelayPs;
  assert.is(creditBack, 3016);
  for (let k = 0; k + 4 < count; k++) assert.ok(writer.starts[k + 4]! >= left[k]! + creditBack, `TLP ${k + 4}`);
  // Once the buffer is full, that is exactly when it starts: the slow egress sets the pace.
  for (let k = 4; k + 4 < count; k++) assert.is(writer.starts[k + 4], left[k]! + creditBack, `TLP ${k + 4}`);
  assert.ok(fast.aToB.stats().creditStallPs > 0);
  // Credits all back, none ever negative (the link throws if they go negative).
  assert.is(fast.aToB.credits.heldTlps(0), 0);
  fast.aToB.credits.settle(sim.now); // returns are applied lazily, when the transmitter looks
  assert.is(fast.aToB.credits.headerCredits(0), 4);
  assert.is(fast.aToB.credits.dataCredits(0), 64);
  // The egress was the bottleneck: at least one Gen1 x1 TLP time (1,120,000 ps) per TLP.
  for (let k = 1; k < count; k++) assert.ok(left[k]! - left[k - 1]! >= 1_120_000);
});

test('a read blocked on the next hop\'s credits does not hold back writes and completions behind it', () => {
  // The device below port 1 advertises one non-posted header credit and never frees its reads:
  // the second read waits for good, the write, completion and write after it go through (PCIe §2.4.1).
  const sim = new Simulation();
  const sw = new PcieSwitch(sim, params(), [NO_ROUTES, { ranges: [{ base: ADDR64, size: MiB }], requesterIds: [0x100] }, NO_ROUTES]);
  const dev = new HoldingSink(sim, (t) => (t.type === 'MRd' ? Infinity : 0));
  const down = new Link(sim, GEN3_X8, sw.linkEnd(1), { receiver: dev, credits: { P: { header: 8, data: 256 }, NP: { header: 1, data: 0 }, Cpl: { header: 8, data: 256 } } });
  sw.attach(1, down, 'a');
  sw.connect(0, new PortSink(sim));
  const sender = new CountingSender(sim);
  const tlps = [
    tlpFrom('MRd', ADDR64, 64, 0, 0), tlpFrom('MRd', ADDR64, 64, 0, 1), tlpFrom('MWr', ADDR64, 64, 0, 2),
    tlpFrom('CplD', 0, 64, 0x100, 3), tlpFrom('MWr', ADDR64, 64, 0, 4),
  ];
  for (const t of tlps) sw.ingress(0).receive(t, sender);
  sim.run();
  assert.equal(dev.arrivals.map((a) => a.tlp.txn), [0, 2, 3, 4]);
  assert.is(sw.stats().ports[1]!.queuedOut, 1);
  assert.is(sw.stats().ports[0]!.held, 1, 'the stuck read still holds its ingress buffer');
  assert.is(sender.released.get(tlps[1]!), undefined);
});

test('TLPs from one ingress port never overtake each other inside the switch', () => {
  // Handed in together (as no real link would): a 4-byte write, then a 256-byte one. Cut-through alone
  // would let the long one out first (first byte in 35,547 ps before it was fully in, the short one 3,555);
  // it leaves with the short one instead, at 0 − 3,555 + 150,000.
  const sim = new Simulation();
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2 }), [NO_ROUTES, NO_ROUTES]);
  const out = new PortSink(sim);
  sw.connect(0, out);
  sw.connect(1, new PortSink(sim), { gen: 3, width: 8 });
  sw.ingress(1).receive(makeTlp('MWr', ADDR64, 4, 0), NO_RELEASE);
  sw.ingress(1).receive(makeTlp('MWr', ADDR64, 256, 1), NO_RELEASE);
  sim.run();
  assert.equal(out.got.map((g) => [g.tlp.txn, g.time]), [[0, 146_445], [1, 146_445]]);
});

// ---------------------------------------------------------------- mixed traffic

/**
 * Four ports with an endpoint on each downstream port and a root complex
 * upstream; every end sends a deterministic random mix of writes, reads and
 * completions to the others through tight switch credits, and the far ends
 * hold what they get for a random time.
 */
function mixedRun(fingerprint = false) {
  const sim = new Simulation({ seed: 11, fingerprint });
  const rng = sim.rng('test/switch-mix');
  const bar = (p: number) => ADDR64 * p;
  const routes: PortRoutes[] = [0, 1, 2, 3].map((p) => (p === 0 ? NO_ROUTES : { ranges: [{ base: bar(p), size: MiB }], requesterIds: [p << 8] }));
  const tight = {
    ports: 4, maxPayloadSize: 256,
    postedHeaderCredits: 3, postedDataCredits: 40,
    nonPostedHeaderCredits: 2, nonPostedDataCredits: 2,
    completionHeaderCredits: 2, completionDataCredits: 33,
  };
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ...tight }), routes);
  const sinks: HoldingSink[] = [];
  const into: LinkDirection[] = [];
  for (let p = 0; p < 4; p++) {
    const sink = new HoldingSink(sim, () => Math.floor(rng.random() * 300_000));
    sinks.push(sink);
    const link = new Link(sim, { gen: 2, width: p === 0 ? 8 : 4, mps: 256, propagationPs: 3000 },
      sw.linkEnd(p), { receiver: sink, credits: { P: { header: 4, data: 64 }, NP: { header: 4, data: 0 }, Cpl: { header: 4, data: 64 } } });
    sw.attach(p, link, 'a');
    into.push(link.bToA);
  }
  // Expected destination of each TLP, by txn = source × 10,000 + k.
  const expect = new Map<number, number>();
  const sent: Tlp[][] = [[], [], [], []];
  const sizes = [4, 64, 100, 128, 256];
  let unsupported = 0;
  for (let src = 0; src < 4; src++) {
    for (let k = 0; k < 150; k++) {
      const txn = src * 10_000 + k;
      let dst = Math.floor(rng.random() * 4);
      if (dst === src) dst = (dst + 1) % 4;
      const u = rng.random(), size = sizes[Math.floor(rng.random() * sizes.length)]!;
      const toUnclaimed = src === 0 && rng.random() < 0.05;
      let tlp: Tlp;
      if (u < 0.75) {
        // Requests: to dst's BAR, or for dst 0 to host memory (nothing claims it below the switch).
        const addr = toUnclaimed ? 0x7000_0000 : dst === 0 ? 0x4000_0000 + 4096 * k : bar(dst) + 4096 * (k % 200);
        tlp = tlpFrom(u < 0.5 ? 'MWr' : 'MRd', addr, size, src << 8, txn);
      } else {
        tlp = tlpFrom('CplD', 4096 * k, size, toUnclaimed ? 0x999 : dst << 8, txn);
      }
      if (toUnclaimed) unsupported++;
      else expect.set(txn, dst);
      sent[src]!.push(tlp);
    }
  }
  // Each source hands over bursts of 10 every 1.5 µs.
  const hand = (src: number, burst: number) => {
    for (let k = burst * 10; k < burst * 10 + 10; k++) into[src]!.receive(sent[src]![k]!, NO_RELEASE);
    if ((burst + 1) * 10 < sent[src]!.length) sim.schedule(1_500_000, hand, src, burst + 1);
  };
  for (let src = 0; src < 4; src++) sim.schedule(0, hand, src, 0);
  sim.run();
  return { sim, sw, sinks, sent, expect, unsupported };
}

test('mixed traffic through tight credits: each TLP delivered once to the right port, PCIe order kept per port pair', () => {
  const { sw, sinks, sent, expect, unsupported } = mixedRun();
  const total = sent.reduce((n, s) => n + s.length, 0);
  let delivered = 0;
  const seen = new Set<number>();
  sinks.forEach((sink, port) => {
    for (const a of sink.arrivals) {
      assert.is(expect.get(a.tlp.txn), port, `txn ${a.tlp.txn} at port ${port}`);
      assert.not.ok(seen.has(a.tlp.txn), `txn ${a.tlp.txn} twice`);
      seen.add(a.tlp.txn);
      delivered++;
    }
  });
  assert.is(delivered, expect.size);
  assert.is(delivered + unsupported, total);
  const st = sw.stats();
  assert.ok(unsupported > 0);
  assert.is(st.unsupportedRequests + st.unexpectedCompletions, unsupported);
  assert.equal(st.ports.map((p) => p.held), [0, 0, 0, 0]);
  assert.equal(st.ports.map((p) => p.queuedOut), [0, 0, 0, 0]);

  // Per source-destination pair: a TLP arrives before an older one of the pair only if PCIe lets it pass.
  const mayPass = (later: number, earlier: number) => (later === 0 && earlier !== 0) || (later === 2 && earlier === 1);
  sinks.forEach((sink, port) => {
    for (let src = 0; src < 4; src++) {
      const pair = sink.arrivals.map((a) => a.tlp).filter((t) => Math.floor(t.txn / 10_000) === src);
      const arrived = new Set<number>();
      const older = sent[src]!.filter((t) => expect.get(t.txn) === port);
      for (const t of pair) {
        for (const o of older) {
          if (o.txn >= t.txn) break;
          if (!arrived.has(o.txn)) assert.ok(mayPass(classOf(t), classOf(o)), `${src}->${port}: txn ${t.txn} passed ${o.txn}`);
        }
        arrived.add(t.txn);
      }
    }
  });
  // The switch's buffers never held more than it advertised.
  for (const p of st.ports) {
    assert.ok(p.maxHeldHeaders[0]! <= 3 && p.maxHeldHeaders[1]! <= 2 && p.maxHeldHeaders[2]! <= 2, JSON.stringify(p.maxHeldHeaders));
    assert.ok(p.maxHeldData[0]! <= 40 && p.maxHeldData[2]! <= 33, JSON.stringify(p.maxHeldData));
  }
});

test('determinism: two identical mixed runs give the same arrivals, statistics and event fingerprint', () => {
  const a = mixedRun(true), b = mixedRun(true);
  const seq = (r: ReturnType<typeof mixedRun>) => r.sinks.map((s) => s.arrivals.map((x) => `${x.time}:${x.tlp.txn}`).join(',')).join('|');
  assert.is(seq(a), seq(b));
  assert.is(a.sim.fingerprint(), b.sim.fingerprint());
  assert.equal(a.sw.stats(), b.sw.stats());
  assert.equal(a.sw.queueingDelayPs().toJSON(), b.sw.queueingDelayPs().toJSON());
});

// ---------------------------------------------------------------- parameters and preset

test('bad parameters and wiring are refused', () => {
  assert.not.ok(switchParams.safeParse({ ...PEX8796, ports: 1 }).success);
  assert.not.ok(switchParams.safeParse({ ...PEX8796, ports: 3, upstreamPort: 3 }).success);
  assert.not.ok(switchParams.safeParse({ ...PEX8796, ports: 3, maxPayloadSize: 300 }).success);
  assert.not.ok(switchParams.safeParse({ ...PEX8796, ports: 3, postedHeaderCredits: -1 }).success);
  assert.ok(switchParams.safeParse({ ...PEX8796, ports: 3, completionDataCredits: 'infinite', latency: '105 ns' }).success);
  const sim = new Simulation();
  // Posted data credits below one Max_Payload_Size TLP (2048 B = 128 credits) could never take one.
  assert.throws(() => new PcieSwitch(sim, params({ postedDataCredits: 64 }), [NO_ROUTES, NO_ROUTES, NO_ROUTES]), /Max_Payload_Size/);
  assert.throws(() => new PcieSwitch(sim, params(), [NO_ROUTES, NO_ROUTES]), /routes for 2/);
  const sw = new PcieSwitch(sim, params(), [NO_ROUTES, NO_ROUTES, NO_ROUTES]);
  assert.throws(() => sw.ingress(3), RangeError);
  // A link built with the link's default credits, not the switch's, is caught at attach().
  const wrong = new Link(sim, GEN3_X8, {}, { receiver: sw.ingress(1) });
  assert.throws(() => sw.attach(1, wrong, 'b'), /linkEnd\(1\)/);
  // A TLP routed to a port with nothing attached is a wiring error.
  sw.connect(1, new PortSink(sim));
  assert.throws(() => sw.ingress(1).receive(makeTlp('MWr', ADDR64, 64, 0), NO_RELEASE), /port 0.*not connected/);
});

test.run();

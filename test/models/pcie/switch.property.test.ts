/**
 * A two-port switch that dates its hand-overs to the egress link
 * (switch.ts startDated: the TLP is handed over as it comes in, dated the
 * end of its internal latency, when what happens then is certain) against
 * the same switch traced, which dates none and takes each TLP through its
 * pipeline and an event. Generated traffic: posted writes, reads and
 * completions of any size to MPS, handed into the ingress link at any
 * spacing; links of any generation and width on either side; latency from
 * 0 to past the ingress wire time of the longest TLP (cut-through clamps),
 * either forwarding mode; the far end's credits tight or ample, held any
 * time. Both runs must read the same at the instant of every event of a
 * run that dates nothing and takes nothing ahead (the switch's statistics
 * and queueing delays, the egress link's), and give the same arrivals at
 * the far end and the same starts on the ingress link (its credits back at
 * the same times).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import type { TlpSender } from '../../../models/pcie/fabric.js';
import { Link, type LinkParams } from '../../../models/pcie/link.js';
import type { LinkWidth, PcieGen } from '../../../models/pcie/link-timing.js';
import { NO_ROUTES } from '../../../models/pcie/router.js';
import { PcieSwitch, switchParams } from '../../../models/pcie/switch.js';
import type { TlpType } from '../../../models/pcie/tlp.js';
import { presetValuesOf } from '../../preset-params.js';
import { fc, holds } from '../../property.js';
import { ADDR64, HoldingSink, RecordingTracer, eventInstants, makeTlp } from './link-helpers.js';

const PEX8796 = presetValuesOf('pcie-switch-pex8796');
/** Max_Payload_Size of the switch and both links; the far end's tight credits hold two such TLPs of a class. */
const MPS = 256;
const TIGHT_DATA = 2 * Math.ceil(MPS / 16);
const CASES = 150;

interface Handed { type: TlpType; size: number; gapPs: number }
interface Case {
  ingress: { gen: PcieGen; width: LinkWidth };
  egress: { gen: PcieGen; width: LinkWidth };
  latencyPs: number;
  forwarding: 'cut-through' | 'store-and-forward';
  tightCredits: boolean;
  holdPs: number;
  tlps: Handed[];
}

/** Records when the ingress link starts each TLP it hands over (its release). */
class StartLog implements TlpSender {
  readonly starts: number[] = [];
  constructor(private readonly sim: Simulation) {}
  release(): void {
    this.starts.push(this.sim.now);
  }
}

/** The case's switch between its two links, the traffic scheduled; `tracedSwitch` dates nothing, `tracedIngress` hands nothing ahead. */
function build(c: Case, tracedSwitch: boolean, tracedIngress = false) {
  const sim = new Simulation();
  const sw = new PcieSwitch(sim, switchParams.parse({ ...PEX8796, ports: 2, maxPayloadSize: MPS, latency: c.latencyPs, forwarding: c.forwarding }), [NO_ROUTES, NO_ROUTES],
    { name: 'sw', ...(tracedSwitch ? { tracer: new RecordingTracer() } : {}) });
  const sink = new HoldingSink(sim, () => c.holdPs);
  const credits = c.tightCredits ? { P: { header: 2, data: TIGHT_DATA }, NP: { header: 2, data: 2 }, Cpl: { header: 2, data: TIGHT_DATA } } : undefined;
  const link = (side: Case['ingress'], propagationPs: number, traced: boolean): LinkParams =>
    ({ ...side, mps: MPS, propagationPs, ...(traced ? { tracer: new RecordingTracer() } : {}) });
  const up = new Link(sim, link(c.egress, 5000, false), sw.linkEnd(0), { receiver: sink, ...(credits ? { credits } : {}) });
  sw.attach(0, up, 'a');
  const down = new Link(sim, link(c.ingress, 7000, tracedIngress), {}, sw.linkEnd(1));
  sw.attach(1, down, 'b');
  const log = new StartLog(sim);
  let at = 0;
  c.tlps.forEach((h, k) => {
    at += h.gapPs;
    sim.schedule(at, (_: null, i: number) => down.aToB.receive(makeTlp(h.type, ADDR64 + 4096 * i, h.size, i), log), null, k);
  });
  return { sim, sw, sink, up, log };
}

const gens = fc.constantFrom<PcieGen>(1, 3, 5);
const widths = fc.constantFrom<LinkWidth>(1, 4, 8, 16);
const cases: fc.Arbitrary<Case> = fc.record({
  ingress: fc.record({ gen: gens, width: widths }),
  egress: fc.record({ gen: gens, width: widths }),
  latencyPs: fc.oneof(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom(0, 35_547, 150_000)),
  forwarding: fc.constantFrom('cut-through' as const, 'store-and-forward' as const),
  tightCredits: fc.boolean(),
  holdPs: fc.constantFrom(0, 10_000, 60_000),
  tlps: fc.array(fc.record({
    type: fc.constantFrom<TlpType>('MWr', 'MRd', 'CplD'),
    size: fc.integer({ min: 1, max: MPS }),
    gapPs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100_000 })),
  }), { minLength: 1, maxLength: 40 }),
});

test('dated hand-overs read the same as none at every event instant, with the same arrivals and ingress starts, whatever the traffic and links', () => {
  let datedFewer = 0;
  holds(fc.property(cases, (c) => {
    const instants = eventInstants(build(c, true, true).sim);
    const dated = build(c, false), plain = build(c, true);
    for (const until of instants) {
      dated.sim.run({ until });
      plain.sim.run({ until });
      assert.equal(dated.sw.stats(), plain.sw.stats(), `at ${until}`);
      assert.equal(dated.sw.queueingDelayPs().toJSON(), plain.sw.queueingDelayPs().toJSON(), `at ${until}`);
      assert.equal(dated.up.aToB.stats(), plain.up.aToB.stats(), `at ${until}`);
    }
    dated.sim.run();
    plain.sim.run();
    assert.equal(dated.sink.arrivals.map((a) => [a.time, a.tlp.txn]), plain.sink.arrivals.map((a) => [a.time, a.tlp.txn]));
    assert.is(dated.sink.arrivals.length, c.tlps.length, 'every TLP through');
    assert.equal(dated.log.starts, plain.log.starts, 'the ingress link started each TLP at the same time');
    if (dated.sim.eventCount < plain.sim.eventCount) datedFewer++;
  }), CASES);
  // Not a vacuous comparison: most cases dated hand-overs (an event saved each).
  assert.ok(datedFewer > CASES / 2, `${datedFewer} of ${CASES} cases dated a hand-over`);
});

test.run();

/**
 * Pairs of configurations that must run identically: the same end time and
 * metrics. Not event for event (the same fingerprint): each pair's two sides
 * take different shortcuts past events (see each test). They pin behaviour,
 * not numbers: neither side's values are written down here, only that the
 * two agree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScenario, resolveScenario } from '../../../src/scenario/loader.js';
import { loadModelLibrary } from '../../../src/scenario/library.js';
import { runScenario, type RunSummary } from '../../../src/run/single.js';
import { tlpBytes } from '../../../models/pcie/tlp.js';
import { tlpWireTimePs } from '../../../models/pcie/link-timing.js';

const lib = await loadModelLibrary();
const G4 = 2 ** 32;
const MiB = 2 ** 20;
const LATENCY_PS = 150_000;

/** rc —uplink— sw0 —link<i>— ep<i>, Gen3 x8 links; `streams[i]`, if any, is the workloads.dma-stream w<i> driving endpoint i. */
function tree(streams: (Record<string, unknown> | null)[], sw: Record<string, unknown> = {}) {
  const components: Record<string, unknown>[] = [
    { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' },
    { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: streams.length + 1, maxPayloadSize: 256, ...sw } },
  ];
  const links: Record<string, unknown>[] = [{ name: 'uplink', type: 'pcie.link', preset: 'pcie-link', a: 'rc.rp0', b: 'sw0.up', params: { gen: 3, width: 8 } }];
  streams.forEach((w, i) => {
    components.push({ name: `ep${i}`, type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 0x100 * (i + 1) } });
    if (w) components.push({ name: `w${i}`, type: 'workloads.dma-stream', params: { device: `ep${i}`, windowBase: G4 + i * 64 * MiB, window: 64 * MiB, ...w } });
    links.push({ name: `link${i}`, type: 'pcie.link', preset: 'pcie-link', a: `sw0.dp${i}`, b: `ep${i}.up`, params: { gen: 3, width: 8 } });
  });
  return { name: 'equivalence', components, links };
}

const run = (body: unknown): RunSummary => {
  const r = runScenario(resolveScenario(parseScenario('t.json', JSON.stringify(body)), {}, lib), { seed: 1, replication: 0 });
  assert.is(r.status, 'ok', r.error ?? '');
  return r;
};

const a0 = (r: RunSummary, metric: string): number => (r.metrics as Record<string, number>)[metric]!;

/** Endpoint 0's and its workload's metrics, its link's and the uplink's: what the path did, whatever else the scenario holds. */
function pathMetrics(r: RunSummary): Record<string, unknown> {
  const m = r.metrics as Record<string, unknown>;
  return Object.fromEntries(Object.entries(m).filter(([k]) => /^(ep0|w0|link0|uplink)\./.test(k)));
}

test('a switch port with nothing behind it changes nothing: same times, same results', () => {
  // Mixed reads and writes at random addresses, sizes that are no multiple of MPS or RCB.
  const w0 = { transfers: 300, transferSize: 3000, op: 'readwrite', pattern: 'random', alignment: 64, inFlight: 16 };
  const alone = run(tree([w0]));
  const withIdle = run(tree([w0, null]));
  // Not the same events: a 2-port switch is handed its TLPs ahead of their
  // arrival (switch.ts arriveAhead), one with more ports is not, so the
  // 2-port run needs an arrival event fewer per TLP it forwards; and it dates
  // what it can of its hand-overs to the egress link (switch.ts startDated),
  // which saves the event at the end of the internal latency of those.
  const arrivals = a0(alone, 'link0.up_tlps') + a0(alone, 'uplink.down_tlps');
  assert.ok(withIdle.events - alone.events > arrivals, `${withIdle.events} - ${alone.events} events, ${arrivals} arrivals`);
  assert.is(withIdle.simulated_ps, alone.simulated_ps);
  const a = pathMetrics(alone), b = pathMetrics(withIdle);
  assert.ok((a['w0.transfers_done'] as number) === 300 && (a['uplink.up_tlps'] as number) > 0);
  assert.equal(b, a);
});

test('cut-through with latency L runs a stream of equal TLPs exactly as store-and-forward with L minus their ingress wire time', () => {
  // Page-aligned 64 KiB writes above 4 GiB: every TLP is an MWr of 256 bytes with a 4 DW header.
  const w0 = { transfers: 40, transferSize: 65536, op: 'write', inFlight: 32 };
  const sIn = tlpWireTimePs(tlpBytes('MWr', G4, 256), 3, 8);
  const cut = run(tree([w0], { forwarding: 'cut-through', latency: LATENCY_PS }));
  const store = run(tree([w0], { forwarding: 'store-and-forward', latency: LATENCY_PS - sIn }));
  // Not event for event: cut-through knows that the next TLP cannot be ready
  // sooner than its wire time after this one, and dates hand-overs that
  // store-and-forward must leave to an event (switch.ts startDated).
  assert.is(store.simulated_ps, cut.simulated_ps);
  assert.equal(store.metrics, cut.metrics);
  assert.is((cut.metrics as Record<string, number>)['sw0.cut_through_clamped'], 0);
  // And the latency matters: store-and-forward with the same L is another run.
  assert.not.equal(run(tree([w0], { forwarding: 'store-and-forward', latency: LATENCY_PS })).metrics, cut.metrics);
});

test.run();

/**
 * Topologies from scenario files: components with ports, links between them,
 * the checks made before a run, and runs of built trees, checked against the
 * hand-built DMA path and for conservation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScenario, resolveScenario } from '../../../src/scenario/loader.js';
import { loadModelLibrary } from '../../../src/scenario/library.js';
import { UserError } from '../../../src/scenario/errors.js';
import { runScenario } from '../../../src/run/single.js';
import { Simulation } from '../../../src/sim/simulation.js';
import { distribution } from '../../../src/stats/distribution.js';
import { platformPath, rig } from './dma-helpers.js';
import { dmaEngineInvariants, linkDirectionInvariants, switchInvariants } from '../../../models/pcie/conservation.js';

const lib = await loadModelLibrary();
const G4 = 4 * 1024 ** 3;
const MiB = 1024 ** 2;

/** A BAR of `size` bytes at `base`, backed by memory of `bandwidth` GB/s: the endpoint's params and its bar slot. */
const bar = (base: number, size: string | number, bandwidth: number) => ({ params: { barBase: base, barSize: size }, slots: { bar: { type: 'memory.dram', params: { latency: 0, bandwidth } } } });

/**
 * rc —uplink— sw0 —link<i>— ep<i>, each endpoint driven by a workloads.dma-stream w<i> (listed after every
 * endpoint, so components[2 + i] is ep<i>) writing host memory; `ep(i)` and `w(i)` change either, `w(i)` null for none.
 */
function tree(n = 2, ep: (i: number) => { params?: Record<string, unknown>; slots?: Record<string, unknown> } = () => ({}),
  sw: Record<string, unknown> = {}, w: (i: number) => Record<string, unknown> | null = () => ({})) {
  const components: Record<string, unknown>[] = [
    { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' },
    { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: n + 1, maxPayloadSize: 256, ...sw } },
  ];
  const links: Record<string, unknown>[] = [{ name: 'uplink', type: 'pcie.link', preset: 'pcie-link', a: 'rc.rp0', b: 'sw0.up', params: { gen: 3, width: 16 } }];
  const loads: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const e = ep(i);
    components.push({ name: `ep${i}`, type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 0x100 * (i + 1), ...e.params }, ...(e.slots ? { slots: e.slots } : {}) });
    const load = w(i);
    if (load !== null) {
      loads.push({ name: `w${i}`, type: 'workloads.dma-stream', params: { device: `ep${i}`, transfers: 50, transferSize: 4096, op: 'write', windowBase: G4 + i * 16 * MiB, window: 16 * MiB, inFlight: 8, ...load } });
    }
    links.push({ name: `link${i}`, type: 'pcie.link', preset: 'pcie-link', a: `sw0.dp${i}`, b: `ep${i}.up`, params: { gen: 3, width: 8 } });
  }
  return { name: 'tree', components: [...components, ...loads], links };
}

const resolve = (body: unknown) => resolveScenario(parseScenario('t.json', JSON.stringify(body)), {}, lib);
const run = (body: unknown) => runScenario(resolve(body), { seed: 1, replication: 0 });
const problem = (body: unknown): string => {
  try { resolve(body); } catch (e) { assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`); return (e as Error).message; }
  assert.unreachable('no error');
  return '';
};

// ---------------------------------------------------------------- checks before the run

test('a link end must name a component and one of its ports', () => {
  const t = tree(); t.links[1]!.b = 'ep7.up';
  assert.match(problem(t), 't.json: links[1].b: no component named "ep7"');
  const u = tree(); u.links[1]!.a = 'sw0.dp9';
  assert.match(problem(u), 't.json: links[1].a: sw0 (pcie.switch) has no port "dp9"; its ports: up, dp0, dp1');
});

test('a port takes one link', () => {
  const t = tree(); t.links[2]!.a = 'sw0.dp0';
  assert.match(problem(t), 't.json: links[2].a: port sw0.dp0 is already linked by links[1]; a port takes one link');
});

test('a link joins a downstream port to an upstream port', () => {
  const t = tree(); t.links[0]!.b = 'sw0.dp1'; t.links.splice(2, 1);
  assert.match(problem(t), 'a pcie.link joins a pcie.downstream port to a pcie.upstream port, but rc.rp0 is pcie.downstream and sw0.dp1 is pcie.downstream');
});

test('an endpoint whose upstream port is not linked is reported', () => {
  const t = tree(); t.links.pop();
  assert.match(problem(t), 't.json: components[3]: port ep1.up (the endpoint\'s upstream port, towards the root complex) must be linked');
});

test('switches linked in a loop are reported: no root complex reaches them', () => {
  const t = tree(1);
  t.components.push({ name: 'sw1', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 2, maxPayloadSize: 256 } });
  t.components[1] = { ...t.components[1]!, params: { ports: 3, maxPayloadSize: 256 } };
  // rc.rp0 left unlinked; sw0.up <- sw1.dp0 and sw1.up <- sw0.dp1.
  t.links[0] = { name: 'loop0', type: 'pcie.link', preset: 'pcie-link', a: 'sw1.dp0', b: 'sw0.up', params: { gen: 3, width: 8 } };
  t.links.push({ name: 'loop1', type: 'pcie.link', preset: 'pcie-link', a: 'sw0.dp1', b: 'sw1.up', params: { gen: 3, width: 8 } });
  assert.match(problem(t), 't.json: components[2]: its upstream links go round in a loop (ep0 → sw0 → sw1 → sw0), so no root complex reaches it');
  const named = tree(1); named.links[0]!.name = 'link2'; named.links.push({ type: 'pcie.link', a: 'x.y', b: 'z.w' });
  assert.match(problem(named), 't.json: links[2].name: the default name "link2" (this link has no name) is used by a component or an earlier link');
});

test('overlapping BARs, shared requester IDs and a BAR over host memory are reported', () => {
  const overlap = tree(2, () => bar(0xf000_0000, '1 MiB', 10));
  assert.match(problem(overlap), 't.json: components[3].params.barBase: ep1\'s BAR [0xf0000000, 0xf0100000) overlaps ep0\'s BAR [0xf0000000, 0xf0100000)');
  const ids = tree(2, () => ({ params: { requesterId: 0x100 } }));
  assert.match(problem(ids), 't.json: components[3].params.requesterId: 0x100 is also ep0\'s');
  const inMemory = tree(1, () => bar(G4, '1 MiB', 10));
  assert.match(problem(inMemory), 'ep0\'s BAR [0x100000000, 0x100100000) overlaps rc\'s memory');
});

test('BARs are naturally aligned powers of two; MPS is one per hierarchy and within every switch', () => {
  assert.match(problem(tree(1, () => bar(0xf000_0000, 3 * MiB, 10))), 'components[2].params.barSize: expected a power of two');
  assert.match(problem(tree(1, () => bar(0xf008_0000, MiB, 10))), 'components[2].params.barBase: 0xf0080000 is not a multiple of the BAR size');
  assert.match(problem(tree(1, () => ({ params: { mps: 128 } }))), "components[2].params.mps: 128 differs from root complex rc's mps 256");
  assert.match(problem(tree(1, () => ({ params: { barBase: 0xf000_0000, barSize: MiB } }))), 'components[2].slots.bar: missing: a BAR of 1048576 bytes needs the memory behind it in the bar slot');
});

test('settings that could never work together are reported with their field before the run: switch credits below one MPS TLP, a completion buffer below one read request, a memory\'s DDIO ways beyond its cache\'s', () => {
  assert.match(problem(tree(1, () => ({}), { postedDataCredits: 4 })),
    't.json: components[1].params.postedDataCredits: P data credits must cover one Max_Payload_Size TLP (256 B = 16 credits, PCIe Base Spec §2.6.1), got 4');
  assert.match(problem(tree(1, () => ({}), { completionHeaderCredits: 0 })), 'components[1].params.completionHeaderCredits: Cpl header credits must be at least 1');
  assert.match(problem(tree(1, () => ({ slots: { dma: { params: { mrrs: 512, completionBuffer: '256 B' } } } }))),
    't.json: components[2].slots.dma.params.completionBuffer: a completion buffer of 256 bytes cannot hold one 512-byte read request (mrrs)');
  const remote = tree(1);
  remote.components[0] = { name: 'rc', type: 'pcie.root-complex', preset: 'nfp6000-xeon-e5-2630v4-remote', slots: { memory: { params: { llcWays: 1 } } } };
  assert.match(problem(remote), 't.json: components[0].slots.memory.params.ddioWays: are ways of the last-level cache: llcWays must be at least as many (2), got 1');
});

test('component and link types are not interchangeable', () => {
  const t = tree(); t.links[0]!.type = 'pcie.switch';
  assert.match(problem(t), 't.json: links[0].type: "pcie.switch" is not a link type; known: pcie.integrated, pcie.link');
  const u = tree(); u.components[1]!.type = 'pcie.link';
  assert.match(problem(u), 't.json: components[1].type: "pcie.link" is not a component type');
});

// ---------------------------------------------------------------- runs

test('one endpoint on a root port, built from a scenario, times DMA exactly as the same path built by hand from the same presets', () => {
  for (const op of ['read', 'write'] as const) {
    const topo = run({
      name: 'topo',
      components: [
        { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' },
        { name: 'ep0', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 0x100 } },
        { name: 'w0', type: 'workloads.dma-stream', params: { device: 'ep0', op, transferSize: 4096, transfers: 64, inFlight: 32, windowBase: G4, window: 16 * MiB } },
      ],
      links: [{ type: 'pcie.link', preset: 'pcie-link', a: 'rc.rp0', b: 'ep0.up', params: { gen: 3, width: 8 } }],
    });
    assert.is(topo.status, 'ok');
    const sim = new Simulation();
    const r = rig(sim, platformPath(), {
      'endpoint.descriptors': 64, 'endpoint.descriptorSize': 4096, 'endpoint.readFraction': op === 'read' ? 1 : 0,
      'endpoint.windowBase': G4, 'endpoint.windowSize': 16 * MiB, 'endpoint.outstandingDescriptors': 32,
    });
    r.start();
    sim.run();
    const m = topo.metrics as Record<string, any>, e = r.endpoint.dma.stats();
    assert.is(m['w0.transfers_done'], 64);
    assert.is(m['w0.throughput_gbytes_per_s'], e.throughput / 1e9, `${op}: same throughput`);
    assert.equal(m['w0.latency_ns'], distribution(op === 'read' ? r.endpoint.dma.readLatency : r.endpoint.dma.writeLatency), `${op}: same latency distribution`);
    assert.is(topo.simulated_ps, sim.now, `${op}: same end time`);
  }
});

test('endpoints behind a switch: every transfer done, every TLP accounted for at each hop, fair shares', () => {
  for (const op of ['write', 'read'] as const) {
    const r = run(tree(3, () => ({}), {}, () => ({ op })));
    assert.is(r.status, 'ok');
    const m = r.metrics as Record<string, any>;
    let sum = 0;
    for (let i = 0; i < 3; i++) {
      assert.is(m[`ep${i}.dma.descriptors_done`], 50);
      assert.is(m[`ep${i}.dma.descriptors_failed`], 0);
      // What each endpoint's link carried up is what went through the uplink, no more, no less.
      sum += m[`link${i}.up_tlps`];
      assert.ok(Math.abs(m[`w${i}.throughput_gbytes_per_s`] - m['w0.throughput_gbytes_per_s']) / m['w0.throughput_gbytes_per_s'] < 0.02, 'equal shares under round robin');
    }
    assert.is(m['uplink.up_tlps'], sum, 'uplink carries every endpoint TLP');
    assert.is(m['sw0.tlps_forwarded'], sum + m['uplink.down_tlps'], 'the switch forwarded each TLP once');
    assert.is(m['sw0.unsupported_requests'], 0);
    if (op === 'read') {
      assert.is(m['rc.memory_reads'], 3 * 50 * (4096 / 512), 'one memory read per MRRS-sized request');
      assert.is(m['uplink.down_tlps'], m['rc.completions_sent'], 'every completion came down');
    } else assert.is(m['rc.memory.written_bytes'], 3 * 50 * 4096);
  }
});

test('peer-to-peer below a switch stays below it; with ACS redirect it goes through the root complex', () => {
  const p2p = (acsRedirect: boolean) => run(tree(2, (i) => (i === 0 ? {} : bar(0xf010_0000, MiB, 10)), { acsRedirect },
    (i) => (i === 0 ? { transfers: 20, windowBase: 0xf010_0000, window: MiB } : null)));
  const direct = p2p(false).metrics as Record<string, any>;
  assert.is(direct['w0.transfers_done'], 20);
  assert.is(direct['uplink.up_tlps'], 0, 'nothing went up to the root complex');
  assert.is(direct['rc.p2p_forwarded'], 0);
  const redirected = p2p(true).metrics as Record<string, any>;
  assert.is(redirected['w0.transfers_done'], 20);
  assert.is(redirected['uplink.up_tlps'], redirected['link0.up_tlps'], 'every write went up');
  assert.is(redirected['rc.p2p_forwarded'], redirected['link0.up_tlps'], 'and the root complex sent it back down');
  assert.is(redirected['sw0.acs_redirected'], redirected['link0.up_tlps']);
});

test('the conservation checks see a lost TLP, a lost request and a lost descriptor', () => {
  const port = { tlpsIn: 10, payloadBytesIn: 0, tlpsOut: 8, payloadBytesOut: 0, tlpBytesOut: 0, held: 1, maxHeldHeaders: [], maxHeldData: [], queuedOut: 0 };
  const sw = { ports: [port], forwarded: [], forwardedPayloadBytes: [], unsupportedRequests: 0, unexpectedCompletions: 0, malformed: 0, redirected: 0, cutThroughClamped: 0 };
  assert.match(switchInvariants(sw)[0]!, 'TLPs: 10 in != 8 out + 1 held + 0 discarded');
  assert.equal(switchInvariants({ ...sw, malformed: 1 }), []);
  const link = { tlpsSent: 5, tlpsDelivered: 3, payloadBytesSent: 0, tlpBytesSent: 0, wireBytesSent: 0, tlpPs: 0, dllpPs: 0, skpPs: 0, busyPs: 0, utilization: 0, creditStallPs: 0, queued: 0, inFlight: 1 };
  assert.match(linkDirectionInvariants('up', link)[0]!, 'up: 5 TLPs sent != 3 delivered + 1 in flight');
  const dma = { descriptorsSubmitted: 4, descriptorsDone: 3, descriptorsFailed: 0, descriptorsInFlight: 0, readRequestsIssued: 9, readRequestsCompleted: 8,
    completionTimeouts: 0, completionsReceived: 0, unexpectedCompletions: 0, writeTlpsSent: 0, bytesRead: 0, bytesWritten: 0, firstSubmitAt: 0, lastDoneAt: 0,
    throughput: 0, tagsBusy: 0, completionBufferUsed: 0, tagBusyPs: 0, allTagsBusyPs: 0, transmitQueued: 0 };
  assert.equal(dmaEngineInvariants(dma).length, 2);
  // And every topology run in this file passed them: runScenario fails a run that breaks one.
});

test.run();

/**
 * The root complex: routing completions by requester ID, P2P between root
 * ports under each policy, unsupported requests, the IOMMU hook, the
 * package's idle wake, and its configuration checks. Two endpoints, A (requester 0x0100) and B (0x0200,
 * with a BAR at 8 GiB), each on its own Gen3 x8 root port; memory at 4 GiB.
 * Link time of a TLP: see dma.test.ts (gen3Ps).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import type { Endpoint } from '../../../models/pcie/endpoint.js';
import { MemoryCompleter } from '../../../models/pcie/completer.js';
import { Memory, memoryParams } from '../../../models/pcie/memory.js';
import { RootComplex, rootComplexParams, type RootPort } from '../../../models/pcie/root-complex.js';
import { readCompletionCount } from '../../../models/pcie/tlp.js';
import { Link, NO_RELEASE } from '../../../models/pcie/link.js';
import { NO_ROUTES } from '../../../models/pcie/router.js';
import { PcieSwitch, switchParams } from '../../../models/pcie/switch.js';
import { presetValuesOf } from '../../preset-params.js';
import { G4, KiB, MiB, assertConserved, assertPathConserved, BASE_PATH, connectEndpoint, endpointFrom, gen3Ps, relErr, rig, traceCounts } from './dma-helpers.js';
import { ADDR64, makeTlp, RecordingTracer, tlpFrom, withoutMostHeld } from './link-helpers.js';

const NS = 1000;
const BAR = 2 * G4;
const PROP = 25 * NS, TRAVERSAL = 150 * NS, ISSUE = 40 * NS, WAKE_NS = 330 * NS;

interface Two {
  sim: Simulation;
  rc: RootComplex;
  memory: Memory;
  a: Endpoint;
  b: Endpoint;
  linkA: Link;
  linkB: Link;
  portA: RootPort;
  portB: RootPort;
  tracer: RecordingTracer;
}

function two(rc: Record<string, unknown> = {}, a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): Two {
  const sim = new Simulation();
  const tracer = new RecordingTracer();
  const memory = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: '80 ns', bandwidth: 10_000 }));
  const root = new RootComplex(sim, rootComplexParams.parse({ mps: 256, traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', ...rc }), memory);
  const epA = endpointFrom(sim, ({ requesterId: 0x0100, mps: 256, issueLatency: ISSUE, ...a }), 'a');
  const epB = endpointFrom(sim, ({
    requesterId: 0x0200, mps: 256, issueLatency: ISSUE, barBase: BAR, barSize: '16 MiB', barLatency: '100 ns', barBandwidth: 10_000, ...b,
  }), 'b');
  const portA = root.addRootPort(epA.routes), portB = root.addRootPort(epB.routes);
  const link = { gen: 3 as const, width: 8 as const, mps: 256, propagationPs: PROP, tracer };
  const linkA = connectEndpoint(sim, { ...link, name: 'la' }, epA, portA);
  const linkB = connectEndpoint(sim, { ...link, name: 'lb' }, epB, portB);
  return { sim, rc: root, memory, a: epA, b: epB, linkA, linkB, portA, portB, tracer };
}

function conserved(t: Two, timeouts = 0): void {
  assertConserved({
    sim: t.sim, engines: [t.a.dma, t.b.dma], endpoints: [t.a, t.b], rootComplexes: [t.rc], tracer: t.tracer, timeouts,
    links: [{ link: t.linkA, aCredits: t.a.credits, bCredits: t.portA.credits }, { link: t.linkB, aCredits: t.b.credits, bCredits: t.portB.credits }],
  });
}

/** An IOMMU hook that translates every address to itself at no cost: the root complex then crosses every request by event. */
const IDENTITY = () => ({ delayPs: 0, ok: true });

/**
 * One endpoint on the only root port, reading and writing 64 KiB, run to
 * `until`; its link traced (an arrival event per TLP) or not; with
 * `eventCrossing` every request crosses the root complex by event (the
 * identity hook), else those for memory are handed to it ahead (crossAhead).
 */
function onePort(tracedLink: boolean, until: number, eventCrossing = false, memory: Record<string, unknown> = {}) {
  const sim = new Simulation({ fingerprint: true });
  const mem = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: '80 ns', bandwidth: 10_000, ...memory }));
  const root = new RootComplex(sim, rootComplexParams.parse({ mps: 256, traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full' }), mem);
  if (eventCrossing) root.translate = IDENTITY;
  const ep = endpointFrom(sim, { requesterId: 0x0100, mps: 256, issueLatency: ISSUE }, 'a');
  const port = root.addRootPort(ep.routes);
  const tracer = new RecordingTracer();
  const link = connectEndpoint(sim, { gen: 3, width: 8, mps: 256, propagationPs: PROP, name: 'la', ...(tracedLink ? { tracer } : {}) }, ep, port);
  ep.dma.submit('read', G4, 64 * KiB);
  ep.dma.submit('write', G4 + MiB, 64 * KiB);
  sim.run({ until });
  return { sim, rc: root, memory: mem, ep, link, tracer };
}

test('one root port is handed TLPs ahead of their arrival, completions start ahead: same results at every instant, an event fewer per TLP up and per completion started ahead', () => {
  for (const until of [1, PROP, PROP + TRAVERSAL, 300 * NS, 1234 * NS, 5 * 1000 * NS, 1e9]) {
    const ahead = onePort(false, until), onArrival = onePort(true, until);
    assert.equal(ahead.rc.stats(), onArrival.rc.stats(), `at ${until}`);
    assert.equal(ahead.memory.stats(), onArrival.memory.stats());
    assert.equal(ahead.ep.dma.stats(), onArrival.ep.dma.stats());
    assert.equal(ahead.link.bToA.stats(), onArrival.link.bToA.stats());
    // Up, the root port takes each TLP as it starts (delivered from then, not in flight): all else the same.
    const { tlpsDelivered: _d, inFlight: _f, ...up } = ahead.link.aToB.stats(), { tlpsDelivered: _e, inFlight: _g, ...upOnArrival } = onArrival.link.aToB.stats();
    assert.equal(up, upOnArrival);
    if (until === 1e9) {
      assert.is(ahead.ep.dma.stats().bytesRead + ahead.ep.dma.stats().bytesWritten, 128 * KiB);
      // Up: no arrival event, and the engine's writes queued behind the one on the wire start ahead, released ahead (DmaEngine.releaseAhead).
      // Down: the completions queued behind the one on the wire start ahead (LinkDirection.startAhead). No wake-up for either; not on a traced link.
      assert.ok(ahead.link.bToA.startedAhead > 0 && onArrival.link.bToA.startedAhead === 0);
      assert.ok(ahead.link.aToB.startedAhead > 0 && onArrival.link.aToB.startedAhead === 0);
      const writesSaved = onArrival.sim.eventCount - ahead.sim.eventCount - ahead.link.aToB.stats().tlpsSent - ahead.link.bToA.startedAhead;
      // Each write started ahead saves its wake-up but the first of the write train, whose wake-up was pending already (the write descriptor's first TLPs were queued by then).
      assert.is(writesSaved, ahead.link.aToB.startedAhead - 1);
    }
  }
});

test('a request for memory is handed to it as it comes in, dated when it crosses: the same results at every instant as crossing by event, and no event', () => {
  // A plain memory; one with a write path (writes queue on it: releases by event) and refresh (reads out of order); one whose writes commit.
  const memories = [{}, { writeAccess: '40 ns', readAccessPerLine: '2 ns', refreshInterval: '7.8 us', refreshTime: '350 ns', coldPenalty: '50 ns', cache: 'cold' }, { writeCommit: '60 ns' }];
  for (const memory of memories) {
    // Every 1.5 µs through the run (reads, then writes, crossing), and at the first requests' arrivals at the root complex and a ps before.
    const arrivals = onePort(true, 1e9, true, memory).tracer.rows.get('la.ab/tlp')!.slice(0, 40).map((r) => r.time);
    const instants = [1, PROP + TRAVERSAL, ...Array.from({ length: 20 }, (_, k) => 1 + k * 1500 * NS), ...arrivals.flatMap((t) => [t - 1, t]), 1e9];
    for (const until of instants) {
      const ahead = onePort(false, until, false, memory), byEvent = onePort(false, until, true, memory);
      const at = `${JSON.stringify(memory)} at ${until}`;
      assert.equal(ahead.sim.now, byEvent.sim.now, at);
      assert.equal(ahead.rc.stats(), byEvent.rc.stats(), at);
      assert.equal(ahead.memory.stats(), byEvent.memory.stats(), at);
      assert.equal(ahead.ep.dma.stats(), byEvent.ep.dma.stats(), at);
      assert.equal(ahead.link.aToB.stats(), byEvent.link.aToB.stats(), at);
      assert.equal(ahead.link.bToA.stats(), byEvent.link.bToA.stats(), at);
      if (until === 1e9) {
        const s = ahead.rc.stats();
        assert.is(s.memoryReads + s.memoryWrites, 64 * KiB / 512 + 64 * KiB / 256);
        assert.is(s.tlpsIn, ahead.link.aToB.stats().tlpsSent);
        // One crossing event fewer per request, at least (a release the memory would have queued at its start goes dated too).
        assert.ok(byEvent.sim.eventCount - ahead.sim.eventCount >= s.memoryReads + s.memoryWrites, at);
      }
    }
  }
});

test('a message ends at the root complex, a completion for a requester below no port is unroutable: each counted, its credits back', () => {
  const t = two();
  const msg = makeTlp('Msg', 0, 0, 1), stray = tlpFrom('CplD', ADDR64, 64, 0x0777, 2);
  t.linkA.aToB.receive(msg, NO_RELEASE);
  t.linkA.aToB.receive(stray, NO_RELEASE);
  t.sim.run();
  const st = t.rc.stats();
  assert.equal([st.messagesReceived, st.unroutableCompletions, st.unsupportedRequests, st.tlpsIn], [1, 1, 0, 2]);
  for (let cls = 0; cls < 3; cls++) assert.is(t.linkA.aToB.credits.heldTlps(cls), 0, `class ${cls}`);
  assert.is(t.b.dma.stats().completionsReceived, 0, 'the stray completion reached nobody');
});

test("a root port's routes are checked as it is added: 16-bit requester IDs, ranges clear of memory and of each other (touching is not overlapping); P2P policy only between ports present", () => {
  const t = two();
  for (const id of [-1, 0x10000, 1.5]) assert.throws(() => t.rc.addRootPort({ ranges: [], requesterIds: [id] }), /is not a 16-bit ID/, `id ${id}`);
  // Memory is [4 GiB, 5 GiB); B's BAR [8 GiB, 8 GiB + 16 MiB).
  assert.throws(() => t.rc.addRootPort({ ranges: [{ base: G4 - MiB, size: MiB + 1 }], requesterIds: [] }), /overlaps memory/);
  assert.throws(() => t.rc.addRootPort({ ranges: [{ base: BAR + 16 * MiB - 1, size: MiB }], requesterIds: [] }), /overlaps root port 1's/);
  const touching = t.rc.addRootPort({ ranges: [{ base: G4 - MiB, size: MiB }, { base: BAR + 16 * MiB, size: MiB }], requesterIds: [0x0300] });
  assert.is(touching.index, 2);
  for (const [from, to] of [[-1, 0], [0, 3], [3, 0]]) assert.throws(() => t.rc.p2pPolicy('read', from!, to!), /root ports are 0 to 2/, `${from} → ${to}`);
  assert.is(t.rc.p2pPolicy('write', 0, 2), 'full');
});

test('a request that starts in memory and runs past its end is an Unsupported Request, crossing by event or not', () => {
  for (const eventCrossing of [false, true]) {
    const sim = new Simulation();
    // A memory that ends 64 bytes into a page, so one request (never across a 4 KiB boundary) can start in it and run past it.
    const memory = new Memory(sim, memoryParams.parse({ base: G4, size: 1024 * MiB + 64, latency: '80 ns', bandwidth: 10_000 }));
    const root = new RootComplex(sim, rootComplexParams.parse({ mps: 256, traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full' }), memory);
    if (eventCrossing) root.translate = IDENTITY;
    const ep = endpointFrom(sim, { requesterId: 0x0100, mps: 256, issueLatency: ISSUE, completionTimeout: '20 us' }, 'a');
    connectEndpoint(sim, { gen: 3, width: 8, mps: 256, propagationPs: PROP, name: 'la' }, ep, root.addRootPort(ep.routes));
    ep.dma.submit('read', G4 + 1024 * MiB, 128);
    ep.dma.submit('read', G4 + 1024 * MiB, 64);
    sim.run();
    assert.equal([root.stats().unsupportedRequests, root.stats().memoryReads, memory.stats().reads], [1, 1, 1], `event crossing ${eventCrossing}`);
    assert.is(ep.dma.stats().completionTimeouts, 1);
  }
});

/**
 * The fabric bench's path, endpoint —link— two-port switch —link— root
 * complex, its endpoint running a closed loop of `reads`-fraction read and
 * write descriptors (interleaved), run to `until`; the endpoint's link traced
 * (every TLP at its time, no start ahead on it) or not.
 */
function switched(tracedLink: boolean, until: number, reads: number, credits: Record<string, unknown> = {}) {
  const sim = new Simulation({ fingerprint: true });
  const memory = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: '80 ns', bandwidth: 10_000 }));
  const root = new RootComplex(sim, rootComplexParams.parse({ mps: 256, traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full' }), memory);
  const ep = endpointFrom(sim, {
    requesterId: 0x0100, mps: 256, issueLatency: ISSUE, descriptors: 12, descriptorSize: 8 * KiB, readFraction: reads, readMix: 'interleaved',
    windowBase: G4, windowSize: MiB, outstandingDescriptors: 3,
  }, 'a');
  const sw = new PcieSwitch(sim, switchParams.parse({ ...presetValuesOf('pcie-switch-pex8796'), ports: 2, maxPayloadSize: 256, ...credits }), [NO_ROUTES, ep.routes], { name: 'sw' });
  const port = root.addRootPort(ep.routes);
  const gen3x8 = { gen: 3 as const, width: 8 as const, mps: 256, propagationPs: PROP };
  const uplink = new Link(sim, { ...gen3x8, name: 'up' }, sw.linkEnd(0), { receiver: port, credits: port.credits });
  sw.attach(0, uplink, 'a');
  port.connect(uplink.bToA);
  const link = new Link(sim, { ...gen3x8, name: 'la', ...(tracedLink ? { tracer: new RecordingTracer() } : {}) }, { receiver: ep, credits: ep.credits }, sw.linkEnd(1));
  sw.attach(1, link, 'b');
  ep.connect(link.aToB);
  ep.start();
  sim.run({ until });
  return { sim, sw, ep, link, uplink, memory };
}

test("an endpoint's writes through a switch start ahead, released ahead: same results at every instant as on a traced link, fewer events", () => {
  const few = { postedHeaderCredits: 4, postedDataCredits: 64 };
  for (const [reads, credits] of [[0, {}], [0.5, {}], [0, few], [0.25, few]] as const) {
    let fewer = 0, ahead = 0;
    for (const until of [1, 40 * NS, 300 * NS, 1234 * NS, 3456 * NS, 10_000 * NS, 1e9]) {
      const dated = switched(false, until, reads, credits), plain = switched(true, until, reads, credits);
      const at = `reads ${reads}, ${credits === few ? 'few' : 'default'} credits, at ${until}`;
      assert.equal(dated.ep.dma.stats(), plain.ep.dma.stats(), at);
      assert.equal(dated.ep.dma.metrics(), plain.ep.dma.metrics(), at);
      assert.equal(dated.memory.stats(), plain.memory.stats(), at);
      assert.equal(dated.uplink.aToB.stats(), plain.uplink.aToB.stats(), at);
      // The switch takes each TLP from the untraced link as it starts: all but its most held at once, and the link's delivered and in flight, agree.
      assert.equal(withoutMostHeld(dated.sw.stats()), withoutMostHeld(plain.sw.stats()), at);
      const { tlpsDelivered: _d, inFlight: _f, ...up } = dated.link.aToB.stats(), { tlpsDelivered: _e, inFlight: _g, ...upPlain } = plain.link.aToB.stats();
      assert.equal(up, upPlain, at);
      // The switch has each TLP from its start on the untraced link (EarlyReceiver): delivered as it is sent, none in flight.
      const early = dated.link.aToB.stats();
      assert.equal([early.tlpsDelivered, early.inFlight], [early.tlpsSent, 0], at);
      fewer = plain.sim.eventCount - dated.sim.eventCount;
      ahead = dated.link.aToB.startedAhead;
    }
    const done = switched(false, 1e9, reads, credits).ep.dma.stats();
    assert.is(done.descriptorsDone, 12);
    assert.is(done.bytesRead + done.bytesWritten, 12 * 8 * KiB);
    // With the switch's credits, most writes start ahead, each saving its wake-up; four posted headers
    // run out within a few TLPs, and the link starts the next as credits come back (the exact path).
    if (credits !== few) assert.ok(ahead > 0.8 * (1 - reads) * 12 * 32, `${ahead} started ahead`);
    assert.ok(fewer >= ahead, `${fewer} events fewer, ${ahead} started ahead`);
  }
});

test('completions go back to the root port of their requester', () => {
  const t = two();
  t.a.dma.submit('read', G4, 256 * KiB);
  t.b.dma.submit('read', G4 + 256 * KiB, 128 * KiB);
  t.a.dma.submit('write', G4 + 512 * KiB, 64 * KiB);
  t.sim.run();
  assert.is(t.a.dma.stats().bytesRead, 256 * KiB);
  assert.is(t.b.dma.stats().bytesRead, 128 * KiB);
  assert.is(traceCounts(t.tracer, 'la.ba/tlp')['CplD'], t.a.dma.stats().completionsReceived);
  assert.is(traceCounts(t.tracer, 'lb.ba/tlp')['CplD'], t.b.dma.stats().completionsReceived);
  assert.is(t.rc.stats().completionsSent, t.a.dma.stats().completionsReceived + t.b.dma.stats().completionsReceived);
  assert.is(t.memory.stats().bytesWritten, 64 * KiB);
  assert.is(t.rc.stats().p2pForwarded, 0);
  conserved(t);
});

test("P2P write, 'full': reaches the peer's BAR after both links and one crossing", () => {
  const t = two();
  t.a.dma.submit('write', BAR, 64);
  t.sim.run();
  const mwr = gen3Ps(16 + 64 + 8, 8);
  const barSlot = Math.ceil(64 * 1000 / 10_000);
  assert.is(t.b.bar!.stats().lastWriteDoneAt, ISSUE + mwr + PROP + TRAVERSAL + mwr + PROP + barSlot);
  assert.is(t.rc.stats().p2pForwarded, 1);
  assert.is(t.memory.stats().writes, 0);
  conserved(t);
});

test("P2P read, 'full': a 64-byte read of a peer's BAR takes exactly the sum of its hops", () => {
  const t = two();
  t.a.dma.submit('read', BAR, 64);
  t.sim.run();
  const mrd = gen3Ps(16 + 8, 8), cpl = gen3Ps(12 + 64 + 8, 8), bar = Math.ceil(64 * 1000 / 10_000) + 100 * NS;
  const expected = ISSUE + mrd + PROP + TRAVERSAL + mrd + PROP + bar + cpl + PROP + TRAVERSAL + cpl + PROP;
  assert.is(t.a.dma.stats().lastDoneAt, expected);
  assert.is(t.a.dma.stats().bytesRead, 64);
  assert.is(t.rc.stats().p2pForwarded, 2, 'the request down and the completion back');
  conserved(t);
});

test("P2P read, 'dropped': the requester's completion timeout fires, counted, the descriptor fails", () => {
  const t = two({ p2pRead: 'dropped' }, { completionTimeout: '50 us', mrrs: 512 });
  t.a.dma.submit('read', BAR, 4 * KiB);
  t.a.dma.submit('read', G4, 4 * KiB);
  t.sim.run();
  const s = t.a.dma.stats();
  assert.is(s.completionTimeouts, 8);
  assert.is(s.descriptorsFailed, 1);
  assert.is(s.bytesRead, 4 * KiB, 'the read from memory behind it completed');
  assert.is(t.rc.stats().p2pReadsDropped, 8);
  assert.is(t.b.bar!.stats().reads, 0);
  assert.ok(t.sim.now >= 50_000 * NS && t.sim.now < 51_000 * NS, `${t.sim.now}`);
  conserved(t, 8);
});

test("P2P write, 'dropped': discarded at the root complex; the posted writer cannot tell", () => {
  const t = two({ p2pWrite: 'dropped' });
  t.a.dma.submit('write', BAR, 16 * KiB);
  t.sim.run();
  assert.is(t.rc.stats().p2pWritesDropped, 64);
  assert.is(t.b.bar!.stats().writes, 0);
  assert.is(t.a.dma.stats().descriptorsFailed, 0);
  conserved(t);
});

test("P2P write, 'throttled': the peer's BAR is written at the cap, within 1 %", () => {
  const t = two({ p2pWrite: 'throttled', p2pWriteBandwidth: 2 });
  t.a.dma.submit('write', BAR, 4 * MiB);
  t.sim.run();
  const bar = t.b.bar!.stats();
  assert.is(bar.bytesWritten, 4 * MiB);
  const rate = (4 * MiB * 1e12) / (bar.lastWriteDoneAt - bar.firstAccessAt);
  assert.ok(relErr(rate, 2e9) < 0.01, `${rate}`);
  assert.ok(t.linkA.aToB.stats().creditStallPs > 0.5 * t.sim.now, 'A was held back by the credits the throttled TLPs kept');
  conserved(t);
});

test("P2P read, 'throttled': read data comes back at the cap, within 1 %", () => {
  const t = two({ p2pRead: 'throttled', p2pReadBandwidth: 3 }, { tags: 32 });
  t.a.dma.submit('read', BAR, 2 * MiB);
  t.sim.run();
  const s = t.a.dma.stats();
  assert.is(s.bytesRead, 2 * MiB);
  assert.ok(relErr(s.throughput, 3e9) < 0.01, `${s.throughput}`);
  conserved(t);
});

test("a pair's own read cap holds completions as the shared cap does: the same times, and the same count inside the root complex at every instant", () => {
  const probe = (rc: Record<string, unknown>) => {
    const t = two(rc, { tags: 32 });
    const inside: number[] = [];
    for (let k = 1; k <= 20; k++) t.sim.schedule(k * 500 * NS, () => inside.push(t.rc.stats().inside), null);
    t.a.dma.submit('read', BAR, 16 * KiB);
    t.sim.run();
    return { inside, end: t.sim.now, bytes: t.a.dma.stats().bytesRead };
  };
  const shared = probe({ p2pRead: 'throttled', p2pReadBandwidth: 1 });
  const own = probe({ p2pPairs: [{ from: 'rp0', to: 'rp1', read: 'throttled', readBandwidth: 1 }] });
  assert.is(shared.bytes, 16 * KiB);
  assert.ok(Math.max(...shared.inside) > 1, `completions wait at the cap: ${shared.inside}`);
  assert.equal(own, shared);
});

test("a write's translation overlaps the part of its commit that needs no host address: a read behind it waits that much less, up to writeCommitUntranslated", () => {
  // A 64-byte write, then a read of the same bytes that arrives inside the write's 200 ns commit; every translation 50 ns.
  const readDone = (untranslated: string) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'memory.writeCommit': '200 ns', 'memory.writeCommitUntranslated': untranslated });
    r.rootComplex.translate = () => ({ delayPs: 50 * NS, ok: true });
    r.endpoint.dma.submit('write', G4, 64);
    r.endpoint.dma.submit('read', G4, 64);
    sim.run();
    assert.is(r.endpoint.dma.stats().bytesRead, 64);
    return sim.now;
  };
  const none = readDone('0 ns'), some = readDone('100 ns'), less = readDone('20 ns');
  assert.is(none - some, 50 * NS, 'the whole 50 ns translation overlapped (under the 100 ns that may)');
  assert.is(none - less, 20 * NS, 'only the 20 ns that may overlap');
});

test('a request to no known address is an Unsupported Request: discarded, the read times out', () => {
  const t = two({}, { completionTimeout: '20 us' });
  t.a.dma.submit('read', 3 * G4, 64);
  t.a.dma.submit('write', 3 * G4, 64);
  t.a.dma.submit('read', G4 + 1024 * MiB - 64, 128); // its second request lies past the end of memory
  t.sim.run();
  assert.is(t.rc.stats().unsupportedRequests, 3);
  assert.is(t.a.dma.stats().completionTimeouts, 2);
  assert.is(t.a.dma.stats().bytesRead, 64);
  conserved(t, 2);
});

test('IOMMU hook: its delay adds to the round trip exactly; a refused translation is a fault and the read times out', () => {
  const base = () => {
    const sim = new Simulation();
    return { sim, r: rig(sim, BASE_PATH, { 'endpoint.completionTimeout': '20 us' }) };
  };
  const plain = base();
  plain.r.endpoint.dma.submit('read', G4, 64);
  plain.sim.run();

  const calls: [number, number][] = [];
  const slow = base();
  // Looked at 100 ns into its translation: the request is inside the root complex, not routed yet.
  const probes: [number, number][] = [];
  slow.r.rootComplex.translate = (addr, requester) => {
    calls.push([addr, requester]);
    slow.sim.schedule(100 * NS, () => { const st = slow.r.rootComplex.stats(); probes.push([st.inside, st.unrouted]); }, null);
    return { delayPs: 300 * NS, ok: true };
  };
  slow.r.endpoint.dma.submit('read', G4, 64);
  slow.sim.run();
  assert.is(slow.sim.now - plain.sim.now, 300 * NS);
  assert.equal(calls, [[G4, 0x0100]]);
  assert.equal(probes, [[1, 1]]);
  assertPathConserved(slow.r);

  const fault = base();
  fault.r.rootComplex.translate = (addr) => ({ delayPs: 0, ok: addr < G4 + 4096 });
  fault.r.endpoint.dma.submit('read', G4, 8 * KiB);
  fault.sim.run();
  const s = fault.r.endpoint.dma.stats();
  assert.is(fault.r.rootComplex.stats().translationFaults, 8);
  assert.is(s.completionTimeouts, 8);
  assert.is(s.bytesRead, 4 * KiB);
  assert.is(fault.r.rootComplex.stats().memoryReads, 8);
  // Conservation without the memory-side accounting (faulted reads never reached memory).
  assertConserved({
    sim: fault.sim, engines: [fault.r.endpoint.dma], rootComplexes: [fault.r.rootComplex], tracer: fault.r.tracer, timeouts: 8,
    links: [{ link: fault.r.link, aCredits: fault.r.endpoint.credits, bCredits: fault.r.port.credits }],
  });
});

test('IOMMU hook: translation is in order, so a slow translation holds back the requests behind it', () => {
  const sim = new Simulation();
  // No DLLPs: one would land inside the burst of completions and shift the end by a DLLP time.
  const r = rig(sim, BASE_PATH, { 'link.dllp': 'none' });
  let n = 0;
  r.rootComplex.translate = () => ({ delayPs: n++ === 0 ? 1000 * NS : 0, ok: true });
  r.endpoint.dma.submit('read', G4, 1024); // two 512-byte requests, 3047 ps apart on the wire
  sim.run();
  // Both leave translation when the first one's ends; the first's data is ready one memory slot
  // (512 B at 10,000 GB/s: 51.2 ps -> 52) plus the latency later, and all four 256-byte CplDs
  // then go down back to back (the second's are ready 51 ps after the first's, with the wire busy).
  const translated = ISSUE + gen3Ps(24, 8) + PROP + TRAVERSAL + 1000 * NS;
  const cpls = Math.ceil((4 * 276 * 1015.625) / 8);
  assert.is(sim.now, translated + 52 + 80 * NS + cpls + PROP);
  assertPathConserved(r);
});

test('idleWake: a TLP that finds nothing inside waits for the package to wake before its traversal; one behind it waits its turn, not a wake of its own', () => {
  const WAKE = 330 * NS;
  const run = (wake: number, reads: number[]) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'link.dllp': 'none', 'rootComplex.idleWake': wake });
    const ends: number[] = [];
    for (const bytes of reads) {
      r.endpoint.dma.submit('read', G4, bytes);
      sim.run();
      ends.push(sim.now);
    }
    assertPathConserved(r);
    return { ends, waited: r.rootComplex.stats().idleWaitPs };
  };
  // One read at a time: each finds the root complex idle and pays the wake, exactly.
  const plain = run(0, [64, 64]), woken = run(WAKE, [64, 64]);
  assert.is(woken.ends[0]! - plain.ends[0]!, WAKE);
  assert.is(woken.ends[1]! - plain.ends[1]!, 2 * WAKE);
  assert.is(woken.waited, 2 * WAKE);
  assert.is(plain.waited, 0);
  // Two 512-byte requests 3047 ps apart on the wire: the first wakes the package, the second comes in while
  // the first is inside (no wake of its own) and crosses right behind it, in order.
  const pair = run(WAKE, [1024]);
  assert.is(pair.waited, WAKE + (WAKE - 3047));
});

test('idleWake: idleness is judged as a TLP comes in, so a link that hands TLPs over at their start (untraced) gives the results of one with an arrival event per TLP (traced)', () => {
  // Found by the shortcuts property test: judged at its start on the link, a TLP found inside what had left by the
  // time it came in; the untraced run paid one wake (300 ns) fewer and finished 300 ns before the traced one.
  const run = (traced: boolean) => {
    const sim = new Simulation();
    const memory = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: '80 ns', bandwidth: 20 }));
    const root = new RootComplex(sim, rootComplexParams.parse({ mps: 128, traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', idleWake: 300 * NS }), memory);
    const ep = endpointFrom(sim, { requesterId: 0x0100, mps: 128, mrrs: 128, tags: 1, issueLatency: ISSUE, issueInterval: 4 * NS }, 'a');
    const link = connectEndpoint(sim, { gen: 3, width: 8, mps: 128, propagationPs: PROP, name: 'la', ...(traced ? { tracer: new RecordingTracer() } : {}) }, ep, root.addRootPort(ep.routes));
    for (const [op, size] of [['read', 385], ['write', 1137], ['write', 1025], ['read', 1]] as const) ep.dma.submit(op, G4, size);
    sim.run();
    return { now: sim.now, dma: ep.dma.stats(), waited: root.stats().idleWaitPs, up: link.aToB.stats(), down: link.bToA.stats() };
  };
  const untraced = run(false), traced = run(true);
  assert.equal(untraced.dma, traced.dma);
  assert.is(untraced.waited, traced.waited);
  assert.is(untraced.now, traced.now);
  assert.equal(untraced.down, traced.down);
  assert.is(untraced.up.tlpsSent, traced.up.tlpsSent);
});

test('deepIdleWakes: each idle wake finds a deeper package state by its share and pays its exit; the draws are the seed\'s', () => {
  const WAKE = 330 * NS, DEEP = 1330 * NS, DEEPER = 3330 * NS, READS = 2000;
  const run = (deep: { share: number; wake: number }[], seed = 1) => {
    const sim = new Simulation({ seed });
    const r = rig(sim, BASE_PATH, { 'link.dllp': 'none', 'rootComplex.idleWake': WAKE, 'rootComplex.deepIdleWakes': deep });
    const latencies: number[] = [];
    for (let k = 0; k < READS; k++) {
      const t0 = sim.now;
      r.endpoint.dma.submit('read', G4, 64);
      sim.run();
      latencies.push(sim.now - t0);
    }
    assertPathConserved(r);
    return latencies;
  };
  const shallow = run([])[0]!;
  const mixed = run([{ share: 0.3, wake: DEEP }, { share: 0.05, wake: DEEPER }]);
  // One read at a time: every read pays exactly one of the three exits.
  const count = (extra: number) => mixed.filter((l) => l === shallow + extra).length;
  assert.is(count(0) + count(DEEP - WAKE) + count(DEEPER - WAKE), READS);
  assert.ok(Math.abs(count(DEEP - WAKE) / READS - 0.3) < 0.03, `${count(DEEP - WAKE)} of ${READS} in the 30% state`);
  assert.ok(Math.abs(count(DEEPER - WAKE) / READS - 0.05) < 0.015, `${count(DEEPER - WAKE)} of ${READS} in the 5% state`);
  assert.equal(run([{ share: 0.3, wake: DEEP }, { share: 0.05, wake: DEEPER }]), mixed, 'the same seed draws the same states');
  assert.not.equal(run([{ share: 0.3, wake: DEEP }, { share: 0.05, wake: DEEPER }], 2), mixed, 'another seed draws others');
});

test('deepIdleWakes entry: a wake that finds the package entering the state waits out a uniform part of the entry too', () => {
  const WAKE = 330 * NS, DEEP = 1330 * NS, ENTRY = 600 * NS, READS = 3000;
  const sim = new Simulation({ seed: 3 });
  const r = rig(sim, BASE_PATH, { 'link.dllp': 'none', 'rootComplex.idleWake': WAKE, 'rootComplex.deepIdleWakes': [{ share: 0.5, wake: DEEP, entry: ENTRY }] });
  const extra: number[] = [];
  let shallow = Infinity;
  for (let k = 0; k < READS; k++) {
    const t0 = sim.now;
    r.endpoint.dma.submit('read', G4, 64);
    sim.run();
    extra.push(sim.now - t0);
    shallow = Math.min(shallow, sim.now - t0);
  }
  assertPathConserved(r);
  const deep = extra.map((l) => l - shallow - (DEEP - WAKE)).filter((x) => x >= 0);
  assert.ok(Math.abs(deep.length / READS - 0.5) < 0.04, `${deep.length} of ${READS} in the deep state`);
  assert.ok(deep.every((x) => x < ENTRY), 'never more than the whole entry');
  const thirds = [0, 1, 2].map((k) => deep.filter((x) => x >= (k * ENTRY) / 3 && x < ((k + 1) * ENTRY) / 3).length);
  assert.ok(thirds.every((n) => Math.abs(n / deep.length - 1 / 3) < 0.05), `uniform over the entry: ${thirds}`);
});

test('deepIdleWakes: shares that leave idleWake none, or no idleWake to be deeper than, are refused with their path', () => {
  const issues = (p: Record<string, unknown>) => rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', ...p }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.match(issues({ idleWake: WAKE_NS, deepIdleWakes: [{ share: 0.6, wake: 1 }, { share: 0.4, wake: 2 }] }).join(), 'deepIdleWakes: the shares add up to 1');
  assert.match(issues({ deepIdleWakes: [{ share: 0.1, wake: 1 }] }).join(), 'deepIdleWakes: deeper package states need idleWake set');
  assert.equal(issues({ idleWake: WAKE_NS, deepIdleWakes: [{ share: 0.1, wake: 1 }] }), []);
});

test("completionMode 'rcb': one CplD per RCB block", () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64 });
  r.endpoint.dma.submit('read', G4 + 100, 4000);
  sim.run();
  assert.is(r.rootComplex.stats().completionsSent, readCompletionCount(G4 + 100, 4000, 512, 256, 64, 'rcb'));
  assertPathConserved(r);
});

test('completionCoalescing: reads up to it come back one CplD per RCB block, longer ones in MPS-sized CplDs', () => {
  const completions = (size: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64, 'rootComplex.completionCoalescing': 256 });
    r.endpoint.dma.submit('read', G4, size);
    sim.run();
    assertPathConserved(r);
    return r.rootComplex.stats().completionsSent;
  };
  // MPS 256 (BASE_PATH), aligned reads: 256 B in four 64-byte blocks; 257 B past the threshold, 256 + 1; 512 B in two of 256.
  assert.is(completions(256), 4);
  assert.is(completions(257), 2);
  assert.is(completions(512), 2);
  // Two requests (MRRS 512) of 512 B each: each is over the threshold.
  assert.is(completions(1024), 4);
});

test('completionCoalescingBlock: only requests spanning a whole aligned block are coalesced', () => {
  const completions = (offset: number, size: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, {
      'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64, 'rootComplex.completionCoalescing': 256, 'rootComplex.completionCoalescingBlock': 512,
    });
    r.endpoint.dma.submit('read', G4 + offset, size);
    sim.run();
    assertPathConserved(r);
    return r.rootComplex.stats().completionsSent;
  };
  // A whole 512-byte block (and 511 B, still its first line to its last): two 256-byte completions.
  assert.is(completions(0, 512), 2);
  assert.is(completions(0, 511), 2);
  // 384 B within one block but short of its last line: past the threshold, yet one CplD per line.
  assert.is(completions(0, 384), 6);
  // 512 B at offset 256: two requests (MRRS 512) of 256 B, neither a whole block.
  assert.is(completions(256, 512), 8);
  // 1024 B aligned: two whole blocks.
  assert.is(completions(0, 1024), 4);
  // 768 B at offset 256: 256 B line by line, then a whole block.
  assert.is(completions(256, 768), 4 + 2);
});

test('completionCoalescingHold: after a partial block, whole blocks come back line by line for a while', () => {
  const BLOCK = { 'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64, 'rootComplex.completionCoalescing': 256, 'rootComplex.completionCoalescingBlock': 512 };
  const completions = (hold: string, reads: Array<[number, number]>) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { ...BLOCK, 'rootComplex.completionCoalescingHold': hold });
    for (const [offset, size] of reads) r.endpoint.dma.submit('read', G4 + offset, size);
    sim.run();
    assertPathConserved(r);
    return r.rootComplex.stats().completionsSent;
  };
  // 384 B (a partial block, six lines) then a whole block in another page: held, the whole block comes back in eight lines.
  assert.is(completions('1 us', [[0, 384], [4096, 512]]), 6 + 8);
  assert.is(completions('0 ns', [[0, 384], [4096, 512]]), 6 + 2, 'no hold: each request on its own');
  // The whole block first: its data is ready before the partial one's, so it is still combined.
  assert.is(completions('1 us', [[4096, 512], [0, 384]]), 2 + 6);
  // A hold without a block: the schema refuses it at its field; a completer built directly refuses it too.
  const holdAlone = rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', completionCoalescingHold: '1 us' });
  assert.equal(holdAlone.error?.issues.map((i) => [i.path, i.message]), [[['completionCoalescingHold'], 'needs completionCoalescingBlock: the hold follows read requests that are not whole blocks']]);
  const memory = new Memory(new Simulation(), memoryParams.parse({ base: G4, size: '1 GiB', latency: 0, bandwidth: 1 }));
  assert.throws(() => new MemoryCompleter(new Simulation(), memory, { mps: 256, rcb: 64, completionMode: 'rcb', coalesceHold: 1000, ecrc: false }), /needs a coalescing block/);
});

test('completionInterval: a root complex paces completions one per slot, a lone one undelayed', () => {
  const finish = (interval: string, size: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64, 'rootComplex.completionInterval': interval });
    r.endpoint.dma.submit('read', G4, size);
    sim.run();
    assertPathConserved(r);
    return r.endpoint.dma.stats().lastDoneAt;
  };
  // One completion: its slot starts when it is ready.
  assert.is(finish('30 ns', 64), finish('0 ns', 64));
  // Four 64-byte completions 30 ns apart where the link alone spaces them about 10.7 ns: the last one about 3 × 19 ns later.
  const later = (finish('30 ns', 256) - finish('0 ns', 256)) / 1000;
  assert.ok(later > 50 && later <= 90, `four completions paced 30 ns apart finish ${later} ns later`);
});

test('completionIntervalFixedShare: a completion of part of a line takes that share of the slot and the rest by its payload; whole lines take the whole slot', () => {
  const finish = (share: number, addr: number, size: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'rootComplex.completionMode': 'rcb', 'rootComplex.rcb': 64, 'rootComplex.completionInterval': '30 ns', 'rootComplex.completionIntervalFixedShare': share });
    r.endpoint.dma.submit('read', addr, size);
    sim.run();
    assertPathConserved(r);
    return r.endpoint.dma.stats().lastDoneAt;
  };
  // 65 B from byte 63 of a line: a 1-byte completion, then a 64-byte one, its slot after the first's: 30 ns whole, 15 + 15/64 ns at half.
  const earlier = finish(1, G4 + 63, 65) - finish(0.5, G4 + 63, 65);
  assert.ok(Math.abs(earlier - (30_000 - 15_234)) <= 1, `the second completion ${earlier} ps earlier`);
  // Four whole lines: every slot whole, whatever the share.
  assert.is(finish(0.5, G4, 256), finish(1, G4, 256));
  assert.not.ok(rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', completionIntervalFixedShare: 1.5 }).success, 'a share is at most 1');
});

test('configuration errors are refused up front', () => {
  const sim = new Simulation();
  const memory = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: 0, bandwidth: 1 }));
  const rc = new RootComplex(sim, rootComplexParams.parse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full' }), memory);
  rc.addRootPort({ ranges: [{ base: BAR, size: 4096 }], requesterIds: [0x100] });
  assert.throws(() => rc.addRootPort({ ranges: [], requesterIds: [0x100] }), /requester ID 256/);
  assert.throws(() => rc.addRootPort({ ranges: [{ base: G4 + 4096, size: 4096 }], requesterIds: [] }), /overlaps memory/);
  assert.throws(() => rc.addRootPort({ ranges: [{ base: BAR + 2048, size: 4096 }], requesterIds: [] }), /overlaps root port 0/);
  assert.not.ok(rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pWrite: 'full', p2pRead: 'throttled' }).success, 'a throttle needs a bandwidth');
  assert.not.ok(rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pWrite: 'full', rcb: 96 }).success);
  assert.not.ok(rootComplexParams.safeParse({}).success, 'no default traversal: a preset gives it');
  const p = rootComplexParams.parse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full' });
  assert.is(p.rcb, 64, 'the spec default RCB');
  assert.is(p.mps, 128, 'the spec default MPS');
});

test('p2pPairs: an exception covers one ordered pair and one direction; every other pair keeps the root complex\'s policy', () => {
  const sim = new Simulation();
  const memory = new Memory(sim, memoryParams.parse({ base: G4, size: '1 GiB', latency: 0, bandwidth: 1 }));
  const rc = new RootComplex(sim, rootComplexParams.parse({
    traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'throttled', p2pWriteBandwidth: 7,
    p2pPairs: [{ from: 'rp1', to: 'rp0', write: 'dropped' }, { from: 'rp0', to: 'rp2', read: 'throttled', readBandwidth: 2 }],
  }), memory);
  for (let k = 0; k < 3; k++) rc.addRootPort({ ranges: [{ base: BAR + k * MiB, size: MiB }], requesterIds: [0x100 * (k + 1)] });
  const table = (op: 'read' | 'write') => [0, 1, 2].flatMap((a) => [0, 1, 2].filter((b) => b !== a).map((b) => `${a}>${b}:${rc.p2pPolicy(op, a, b)}`));
  assert.equal(table('write'), ['0>1:throttled', '0>2:throttled', '1>0:dropped', '1>2:throttled', '2>0:throttled', '2>1:throttled']);
  assert.equal(table('read'), ['0>1:full', '0>2:throttled', '1>0:full', '1>2:full', '2>0:full', '2>1:full']);
  const bad = (p2pPairs: unknown[]) => rootComplexParams.safeParse({ traversal: TRAVERSAL, p2pRead: 'full', p2pWrite: 'full', p2pPairs }).success;
  assert.not.ok(bad([{ from: 'rp0', to: 'rp0', write: 'dropped' }]), 'a pair is two root ports');
  assert.not.ok(bad([{ from: 'rp0', to: 'rp1' }, { from: 'rp0', to: 'rp1' }]), 'one exception per pair');
  assert.not.ok(bad([{ from: 'rp0', to: 'rp1', read: 'throttled' }]), 'a throttle needs a bandwidth, its own or the shared one');
  assert.not.ok(bad([{ from: 'port0', to: 'rp1' }]), 'root ports by name');
  assert.ok(bad([{ from: 'rp1', to: 'rp0' }, { from: 'rp0', to: 'rp1' }]), 'A→B and B→A are different pairs');
});

test.run();

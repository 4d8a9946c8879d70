/**
 * The whole DMA path, Endpoint —Link— RootComplex —(internal)— Memory,
 * against numbers worked out by hand and against the closed forms.
 *
 * Hand timing facts used below (Gen3): one byte on one lane takes
 * 8 bits × 130/128 × 125 ps = 1015.625 ps; a x8 link moves 8 bytes per byte
 * time, 126.953125 ps per byte. With a 64-bit address an MRd is a 16-byte
 * header + 8 framing bytes; a CplD is a 12-byte header + payload + 8; an
 * MWr a 16-byte header + payload + 8. The link rounds each lone TLP up to a
 * whole ps; memory rounds its transfer slot up to a whole ps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import { dmaReadThroughput, dmaWriteThroughput } from '../../../models/pcie/dma-throughput.js';
import { tlpWireTimePs, type LinkWidth, type PcieGen } from '../../../models/pcie/link-timing.js';
import type { CompletionMode, ReadCompletionBoundary, TransferSize } from '../../../models/pcie/tlp.js';
import type { DmaEngine } from '../../../models/pcie/dma-engine.js';
import { FIRST_END, LAST_END, blocksTouched, moverMergedWords, partialBursts, partialWordEnds } from '../../../models/pcie/data-paths.js';
import { DescriptorStream, dmaWorkloadParams } from '../../../models/pcie/descriptor-stream.js';
import { BASE_PATH, G4, MiB, assertPathConserved, gen3Ps, platformPath, relErr, rig } from './dma-helpers.js';

// ---------------------------------------------------------------- one read on an idle system

test('one 64-byte DMA read on an idle system takes exactly the sum of its hops', () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 76.8 });
  r.endpoint.dma.submit('read', G4, 64);
  sim.run();

  const issue = 40_000, prop = 25_000, rc = 150_000, memLatency = 80_000;
  const mrdUp = gen3Ps(16 + 8, 8);            // 24 × 126.953125 = 3046.875 -> 3047
  const memXfer = Math.ceil(64 * 1000 / 76.8); // 833.33 -> 834
  const cplDown = gen3Ps(12 + 64 + 8, 8);      // 84 × 126.953125 = 10664.0625 -> 10665
  assert.is(mrdUp, 3047);
  assert.is(cplDown, 10665);
  assert.is(mrdUp, tlpWireTimePs(16, 3, 8), 'hand figure agrees with link-timing');
  assert.is(cplDown, tlpWireTimePs(12 + 64, 3, 8));
  const expected = issue + mrdUp + prop + rc + memXfer + memLatency + cplDown + prop;
  assert.is(expected, 334_546);

  const s = r.endpoint.dma.stats();
  assert.is(s.lastDoneAt - s.firstSubmitAt, expected);
  assert.is(sim.now, expected, 'nothing else ran after the completion (no stray timeout event)');
  assert.is(s.bytesRead, 64);
  // The request round trip leaves out the issue latency (the histogram is within its 1 % accuracy).
  assert.ok(relErr(r.endpoint.dma.requestRtt.max * 1000, expected - issue) < 1e-9);
  assertPathConserved(r);
});

test('latencyTick: a latency is read in whole ticks of a clock, from the tick the read was submitted in to the one it was done in', () => {
  // The read above takes 334_546 ps; read off a 100 ns clock it is 3 ticks or 4, as its start falls.
  const readAt = (submitPs: number): number => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 76.8, 'endpoint.latencyTick': '100 ns' });
    sim.schedule(submitPs, () => r.endpoint.dma.submit('read', G4, 64), null);
    sim.run();
    assert.is(r.endpoint.dma.stats().lastDoneAt - submitPs, 334_546, 'the read itself is not changed');
    return r.endpoint.dma.readLatency.max;
  };
  assert.ok(relErr(readAt(0), 300) < 0.01, 'submitted at a tick: done 34.5 ns into the fourth, read as 3 ticks');
  assert.ok(relErr(readAt(70_000), 400) < 0.01, 'submitted 70 ns into a tick: done in the fifth, read as 4');
  assert.ok(relErr(readAt(170_000), 400) < 0.01, 'submitted 70 ns into the second tick: done in the sixth, read as 4');
});

test("readMix 'after-write': each transfer a write, then, once it is done, a read of the same bytes; the pair's latency is the two back to back", () => {
  const sim = new Simulation();
  // The memory's writeCommit tells whether each read met the write before it at its line.
  const r = rig(sim, BASE_PATH, { 'memory.writeCommit': '200 ns' });
  const w = dmaWorkloadParams.parse({ descriptors: 3, descriptorSize: 64, readMix: 'after-write', addressPattern: 'random', alignment: 64, windowBase: G4, windowSize: 4096, outstandingDescriptors: 1 });
  const stream = new DescriptorStream(r.endpoint.dma, w, sim.rng('addresses'), sim.rng('ops'));
  stream.start();
  sim.run();
  const dma = r.endpoint.dma, s = dma.stats();
  assert.is(s.descriptorsDone, 6, 'three writes and three reads');
  assert.is(dma.writeLatency.count, 3);
  assert.is(dma.readLatency.count, 3);
  assert.is(r.memory.stats().readsAfterWrite, 3, 'every read was of the line its write had just reached');
  assert.is(stream.pairLatency.count, 3, 'one latency per pair');
  // One pair in flight: each read is submitted when its write is done, so a pair takes the two one after the other.
  assert.ok(relErr(stream.pairLatency.mean, dma.writeLatency.mean + dma.readLatency.mean) < 0.01, `${stream.pairLatency.mean} ns`);
  assertPathConserved(r);
});

test('a write-then-read pair behind an IOTLB miss: the root complex tells the memory how long the write spent translating, which overlaps writeCommitUntranslated of its commit', () => {
  const pair = (untranslated: string, missPs: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'memory.writeCommit': '200 ns', 'memory.writeCommitUntranslated': untranslated });
    // Every page's first request walks for missPs; the read behind its write waits in the in-order stage.
    const walked = new Set<number>();
    r.rootComplex.translate = (addr) => {
      const page = Math.floor(addr / 4096), first = !walked.has(page);
      walked.add(page);
      return { delayPs: first ? missPs : 0, ok: true };
    };
    const w = dmaWorkloadParams.parse({ descriptors: 1, descriptorSize: 64, readMix: 'after-write', addressPattern: 'random', alignment: 64, windowBase: G4, windowSize: 4096, outstandingDescriptors: 1 });
    const stream = new DescriptorStream(r.endpoint.dma, w, sim.rng('addresses'), sim.rng('ops'));
    stream.start();
    sim.run();
    assert.is(r.memory.stats().readsAfterWrite, 1, 'the read met its write committing');
    return stream.pairLatency.mean;
  };
  assert.is(pair('80 ns', 0), pair('0 ns', 0), 'no translation time, no overlap');
  assert.is(pair('0 ns', 300_000) - pair('0 ns', 0), 300, 'without the overlap the miss adds its whole walk to the pair, ns');
  assert.is(pair('80 ns', 300_000) - pair('0 ns', 0), 220, 'with it, the walk less the 80 ns of commit that ran meanwhile');
});

test('a 32-bit address uses a 3 DW MRd header: 4 bytes shorter on the wire', () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'memory.base': 1 << 30, 'memory.bandwidth': 76.8 });
  r.endpoint.dma.submit('read', 1 << 30, 64);
  sim.run();
  const expected = 40_000 + gen3Ps(12 + 8, 8) + 25_000 + 150_000 + 834 + 80_000 + gen3Ps(12 + 64 + 8, 8) + 25_000;
  assert.is(gen3Ps(12 + 8, 8), 2540); // 2539.0625 rounded up
  assert.is(sim.now, expected);
  assertPathConserved(r);
});

test('one 64-byte DMA write reaches memory after issue + MWr + propagation + root complex + memory slot', () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 76.8 });
  r.endpoint.dma.submit('write', G4, 64);
  sim.run();
  const mwr = gen3Ps(16 + 64 + 8, 8); // 88 × 126.953125 = 11171.875 -> 11172
  assert.is(mwr, 11_172);
  const s = r.endpoint.dma.stats();
  // Posted: the descriptor is done when its TLP starts on the wire, right after the issue latency.
  assert.is(s.lastDoneAt, 40_000);
  assert.is(r.memory.stats().lastWriteDoneAt, 40_000 + mwr + 25_000 + 150_000 + 834);
  assertPathConserved(r);
});

// ---------------------------------------------------------------- the issue stage on the path

test('issueLatency adds exactly to one isolated read and one isolated write; issueInterval does not touch them', () => {
  const one = (op: 'read' | 'write', overrides: Record<string, unknown>) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 76.8, ...overrides });
    r.endpoint.dma.submit(op, G4, 64);
    sim.run();
    assertPathConserved(r);
    const s = r.endpoint.dma.stats();
    return { done: s.lastDoneAt - s.firstSubmitAt, atMemory: r.memory.stats().lastWriteDoneAt, rtt: r.endpoint.dma.requestRtt.max };
  };
  for (const latency of [0, 1_000, 170_000, 1_234_567]) {
    const base = one('read', { 'endpoint.issueLatency': 0 });
    const read = one('read', { 'endpoint.issueLatency': latency });
    assert.is(read.done - base.done, latency, `read round trip with ${latency} ps of issue latency`);
    assert.is(read.rtt, base.rtt, 'the request round trip (MRd to completion) leaves the issue latency out');
    const wBase = one('write', { 'endpoint.issueLatency': 0 });
    const write = one('write', { 'endpoint.issueLatency': latency });
    assert.is(write.done - wBase.done, latency, 'write latency');
    assert.is(write.atMemory - wBase.atMemory, latency, 'the write reaches memory that much later too');
    assert.equal(one('read', { 'endpoint.issueLatency': latency, 'endpoint.issueInterval': '1 us' }), read, 'a lone descriptor never waits for the interval');
  }
});

/** Throughput of `n` 64-byte writes kept 32 in flight on BASE_PATH (Gen3 x8, MPS 256). */
function smallWrites(n: number, overrides: Record<string, unknown>): number {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, {
    'endpoint.descriptors': n, 'endpoint.descriptorSize': 64, 'endpoint.readFraction': 0,
    'endpoint.windowBase': G4, 'endpoint.windowSize': MiB, 'endpoint.outstandingDescriptors': 32, ...overrides,
  });
  r.start();
  sim.run();
  assertPathConserved(r);
  const s = r.endpoint.dma.stats();
  assert.is(s.bytesWritten, 64 * n);
  return s.throughput;
}

test('issueInterval 0 and many descriptors in flight: small writes are link-bound, whatever the issue latency', () => {
  const closed = dmaWriteThroughput(64, { gen: 3, width: 8, mps: 256, addr64: true });
  for (const latency of ['40 ns', '170 ns']) {
    const t = smallWrites(4000, { 'endpoint.issueLatency': latency, 'endpoint.issueInterval': 0 });
    // The first descriptor's latency is not amortised: 4000 TLPs of about 12 ns each keep it under 1 %.
    assert.ok(relErr(t, closed) < 0.01, `${latency}: ${t} vs closed form ${closed} B/s`);
    // Serial occupancy of the latency would cap it at one descriptor per latency.
    assert.ok(t > 10 * (64e12 / 170_000), `${t} B/s is not issue-bound`);
  }
});

test('an issueInterval longer than a TLP\'s link time sets the rate: one descriptor per interval', () => {
  const interval = 20_000; // a 64-byte MWr takes about 11.2 ns on Gen3 x8
  const t = smallWrites(4000, { 'endpoint.issueLatency': '170 ns', 'endpoint.issueInterval': interval });
  const bound = 64e12 / interval;
  assert.ok(t <= bound, `${t} vs ${bound} B/s`);
  assert.ok(relErr(t, bound) < 0.01, `${t} vs ${bound} B/s`);
  assert.ok(t < dmaWriteThroughput(64, { gen: 3, width: 8, mps: 256, addr64: true }), 'below the link bound');
});

test('writeIssueInterval: writes are taken up from a queue of their own, issueInterval spaces the reads alone', () => {
  // 64-byte writes and reads kept 32 in flight, alternating; writes one per 60 ns, reads one per 20 ns.
  const mix = (overrides: Record<string, unknown>) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, {
      'endpoint.descriptors': 4000, 'endpoint.descriptorSize': 64, 'endpoint.readFraction': 0.5, 'endpoint.readMix': 'interleaved',
      'endpoint.windowBase': G4, 'endpoint.windowSize': MiB, 'endpoint.outstandingDescriptors': 32, 'endpoint.tags': 64,
      'endpoint.issueLatency': '170 ns', ...overrides,
    });
    r.start();
    sim.run();
    assertPathConserved(r);
    return r.endpoint.dma.stats().throughput;
  };
  // Own queues: the writes' 60 ns bound a pair (one write, one read: 128 bytes); one sequence: 60 + 20 ns a pair.
  const own = mix({ 'endpoint.issueInterval': '20 ns', 'endpoint.writeIssueInterval': '60 ns' });
  assert.ok(relErr(own, 128e12 / 60_000) < 0.01, `${own} vs ${128e12 / 60_000} B/s`);
  const shared = mix({ 'endpoint.issueInterval': '40 ns' });
  assert.ok(relErr(shared, 128e12 / 80_000) < 0.01, `${shared} vs ${128e12 / 80_000} B/s`);
  // Writes alone: their own queue's 60 ns, not the reads' 20.
  const writes = mix({ 'endpoint.issueInterval': '20 ns', 'endpoint.writeIssueInterval': '60 ns', 'endpoint.readFraction': 0 });
  assert.ok(relErr(writes, 64e12 / 60_000) < 0.01, `${writes} vs ${64e12 / 60_000} B/s`);
  // A write queue of its own with no spacing: the reads' 40 ns alone bound a pair.
  const unspaced = mix({ 'endpoint.issueInterval': '40 ns', 'endpoint.writeIssueInterval': '0 ns' });
  assert.ok(relErr(unspaced, 128e12 / 40_000) < 0.01, `${unspaced} vs ${128e12 / 40_000} B/s`);
});

// ---------------------------------------------------------------- data movers turning between directions

/**
 * One slow mover (0.1 GB/s: 640 ns per 64 bytes, 64-byte bursts): a read
 * submitted before a write is emitted first, but the write's data fetch takes
 * the mover from its issue latency (40 ns) to 680 ns. The read's completion is
 * back at 334.546 ns (the idle read above), so its data waits for the fetch,
 * for the turn, and then takes 640 ns to store.
 */
const ONE_SLOW_MOVER = { 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 0.1, 'endpoint.dataPathBurst': 64, 'memory.bandwidth': 76.8 };

function readAfterFetch(turnaround: string): { readDoneNs: number; rttNs: number } {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { ...ONE_SLOW_MOVER, 'endpoint.dataPathTurnaround': turnaround });
  r.endpoint.dma.submit('read', G4, 64);
  r.endpoint.dma.submit('write', G4 + 4096, 64);
  sim.run();
  return { readDoneNs: r.endpoint.dma.readLatency.max, rttNs: r.endpoint.dma.requestRtt.max };
}

test('a mover that fetched write data turns before storing read data: the read waits fetch + turnaround + its own store', () => {
  const fetchEnd = 40 + 640, store = 640;
  const none = readAfterFetch('0 ns'), turned = readAfterFetch('50 ns');
  assert.ok(none.rttNs + 40 < fetchEnd, `the completion (${none.rttNs + 40} ns) is back while the mover still fetches`);
  // Histograms hold 1 % accuracy: compare within it.
  assert.ok(relErr(none.readDoneNs, fetchEnd + store) < 0.01, `${none.readDoneNs} ns`);
  assert.ok(relErr(turned.readDoneNs, fetchEnd + 50 + store) < 0.01, `${turned.readDoneNs} ns`);
});

test('an idle mover has turned already: a read long after a write pays no turnaround', () => {
  const readAlone = (turnaround: string, writeFirst: boolean) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { ...ONE_SLOW_MOVER, 'endpoint.dataPathTurnaround': turnaround });
    if (writeFirst) { r.endpoint.dma.submit('write', G4 + 4096, 64); sim.run(); }
    const t0 = sim.now;
    r.endpoint.dma.submit('read', G4, 64);
    sim.run();
    return sim.now - t0;
  };
  // Idle read: completion at 334.546 ns, then 640 ns of storing.
  assert.is(readAlone('50 ns', false), 334_546 + 640_000);
  assert.is(readAlone('50 ns', true), 334_546 + 640_000);
});

/**
 * A 256-byte write (four 64-byte bursts) submitted at `submitNs`, after a
 * 64-byte read whose data the one slow mover stores from the completion's
 * arrival (334.546 ns) to 974.546 ns: the write's fetch latency, ps.
 */
function writeFetchAfterRead(arbitration: 'job' | 'burst', submitNs: number): number {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { ...ONE_SLOW_MOVER, 'endpoint.dataPathTurnaround': '50 ns', 'endpoint.dataPathArbitration': arbitration });
  r.endpoint.dma.submit('read', G4, 64);
  sim.run({ until: submitNs * 1000 });
  r.endpoint.dma.submit('write', G4 + 4096, 256);
  sim.run();
  return r.endpoint.dma.writeLatency.max;
}

test('burst arbitration: a job that finds the mover busy with the other direction turns once per burst; one that finds it idle turns once', () => {
  // Submitted at 400 ns, ready at 440: the mover stores read data until 974.546 ns.
  const busyJob = writeFetchAfterRead('job', 400), busyBurst = writeFetchAfterRead('burst', 400);
  // Four bursts interleaved with the reads: three turns more than one whole-job turn (histograms hold 1 %).
  assert.ok(relErr(busyBurst - busyJob, 3 * 50) < 0.05, `${busyBurst} - ${busyJob} ns`);
  // Job mode: fetch starts at 974.546 + 50 ns, takes 4 × 640 ns; the write is done soon after.
  assert.ok(busyJob > 974.5 + 50 + 2560 - 400 && busyJob < 974.5 + 50 + 2560 - 400 + 100, `${busyJob} ns`);
  // Submitted once the mover is idle (its last job a read): one turn either way.
  assert.is(writeFetchAfterRead('burst', 2000), writeFetchAfterRead('job', 2000));
});

/**
 * A fast mover (6.4 GB/s: 10 ns per 64 bytes), 20 ns turns, a 200 ns issue
 * latency: a 64-byte read submitted at 0 and a 64-byte write submitted at
 * `writeAtNs`, whose fetch is booked at once for when it is ready (200 ns
 * later). Returns the read's and the write's latency (ns).
 */
function readBeforeBookedFetch(writeAtNs: number | null): { read: number; write: number } {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 6.4, 'endpoint.dataPathBurst': 64, 'endpoint.dataPathTurnaround': '20 ns',
    'endpoint.issueLatency': '200 ns', 'memory.bandwidth': 76.8 });
  r.endpoint.dma.submit('read', G4, 64);
  if (writeAtNs !== null) {
    sim.run({ until: writeAtNs * 1000 });
    r.endpoint.dma.submit('write', G4 + 4096, 64);
  }
  sim.run();
  assertPathConserved(r);
  return { read: r.endpoint.dma.readLatency.max, write: r.endpoint.dma.writeLatency.max };
}

test('a mover serves the directions in time order: read data that arrives before a booked write fetch and fits is stored first', () => {
  const alone = readBeforeBookedFetch(null).read;
  // The read's data is back at about alone - 10 ns. A write submitted 100 ns before that is fetched from 100 ns after: the store and a turn fit first.
  const early = readBeforeBookedFetch(Math.round(alone - 110));
  assert.is(early.read, alone, 'the write booked ahead does not delay the read');
  // Submitted 200 ns before, its fetch starts as the data arrives: no room, the read waits for the fetch (10 ns) and a turn (20 ns).
  const late = readBeforeBookedFetch(Math.round(alone - 210));
  assert.ok(late.read > alone + 25 && late.read < alone + 40, `read ${late.read} ns against ${alone} alone`);
});

test('read data stored between two booked write fetches turns after the first: a fetch that ended just before the data came delays its store by the rest of the turn', () => {
  // As above; one write's fetch booked to end 5 ns before the read's data arrives, a second booked for well after.
  const readDone = (writes: [number, number][]): number => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 6.4, 'endpoint.dataPathBurst': 64, 'endpoint.dataPathTurnaround': '20 ns',
      'endpoint.issueLatency': '200 ns', 'memory.bandwidth': 76.8 });
    const done: number[] = [];
    r.endpoint.dma.listener = { descriptorDone: (id: number) => { done[id] = sim.now; } };
    r.endpoint.dma.submit('read', G4, 64);
    for (const [at, k] of writes) {
      sim.run({ until: at });
      r.endpoint.dma.submit('write', G4 + 4096 * k, 64);
    }
    sim.run();
    assertPathConserved(r);
    return done[0]!;
  };
  // Alone: issue 200 ns, then the idle round trip (334.546 ns less its 40 ns issue), then 10 ns of storing.
  const alone = readDone([]);
  assert.is(alone, 200_000 + 294_546 + 10_000);
  const arrives = alone - 10_000;
  // The first write, taken up at s, is fetched from s + 200 ns for 10 ns: to end 5 ns before the data, s = arrives - 215 ns.
  // The second, submitted 100 ns before the data arrives, is fetched from 100 ns after: a gap the store fits in, turns and all.
  const between = readDone([[arrives - 215_000, 1], [arrives - 100_000, 2]]);
  assert.is(between, arrives + 15_000 + 10_000, 'the store starts once the mover has turned (20 ns after the first fetch), not when the data is in');
});

test('partialBursts: the first and the last burst a completion touches, when it leaves them partly empty', () => {
  assert.is(partialBursts(0, 256, 128), 0, 'two whole bursts');
  assert.is(partialBursts(0, 64, 128), 1, 'the first half of one burst');
  assert.is(partialBursts(64, 64, 128), 1, 'the second half of one burst');
  assert.is(partialBursts(32, 64, 128), 1, 'the middle of one burst: one burst, partly filled');
  assert.is(partialBursts(96, 64, 128), 2, 'across a boundary: the end of one burst and the start of the next');
  assert.is(partialBursts(64, 256, 128), 2, 'a whole burst between two halves');
  assert.is(partialBursts(0, 200, 128), 1, 'a whole burst and the start of the next');
});

test('a mover spends dataPathPartialBurst more on each burst a completion fills in part: per 64-byte completion of a burst-aligned read, none for whole-burst completions', () => {
  // One slow mover (3.2 GB/s: 20 ns per 64 bytes, slower than 64-byte completions arrive), so it is busy from the first completion to the read's end.
  const readTime = (completionMode: string, partial: string): number =>
    oneRead(256, { 'rootComplex.completionMode': completionMode, 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 3.2, 'endpoint.dataPathBurst': 128, 'endpoint.dataPathPartialBurst': partial });
  assert.is(readTime('rcb', '3 ns') - readTime('rcb', '0 ns'), 4 * 3_000, 'four 64-byte completions, each half a burst');
  assert.is(readTime('mps', '3 ns'), readTime('mps', '0 ns'), 'one 256-byte completion: two whole bursts');
});

// ---------------------------------------------------------------- partial device-memory words

/** One read of `size` bytes (into device memory at `deviceOffset`) on an idle BASE_PATH: submission to done, ps. */
function oneRead(size: number, overrides: Record<string, unknown>, deviceOffset = 0): number {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 76.8, 'endpoint.deviceWordBytes': 8, ...overrides });
  r.endpoint.dma.submit('read', G4, size, deviceOffset);
  sim.run();
  assertPathConserved(r);
  const s = r.endpoint.dma.stats();
  return s.lastDoneAt - s.firstSubmitAt;
}

test('a read that is not a whole number of device words is merged on one merge unit: back to back, one read per merge; alone, no longer; whole-word reads and writes merge nothing', () => {
  const merge = { 'endpoint.partialWordMerge': '23.8 ns' };
  // Alone: the last word's merge is the unit's occupancy, not the read's latency.
  for (const size of [63, 65, 100, 127]) assert.is(oneRead(size, merge), oneRead(size, {}), `${size} B`);
  // Back to back: each read waits for the merges before its own, so they finish one per merge, well below what the path moves without it.
  for (const size of [63, 65]) {
    const free = readsThrough(size, {}), merged = readsThrough(size, merge), bound = (size * 1e12) / 23_800;
    assert.ok(free > 1.5 * bound, `${size} B: the path alone moves ${free} B/s`);
    assert.ok(merged <= bound * 1.001 && relErr(merged, bound) < 0.01, `${size} B: ${merged} vs ${bound} B/s`);
  }
  // Whole words, and 4 B within one word (written with a byte mask): no merge, at any rate.
  for (const size of [4, 16, 64, 72, 128]) assert.is(oneRead(size, merge), oneRead(size, {}), `${size} B`);
  assert.is(readsThrough(64, merge), readsThrough(64, {}));
  // 4-byte words: 100 B is whole.
  assert.is(readsThrough(100, { ...merge, 'endpoint.deviceWordBytes': 4 }), readsThrough(100, {}));
});

test('partialWordEnds: the first and the last word the bytes leave partly filled; none when they lie in one word', () => {
  assert.is(partialWordEnds(0, 64, 8), 0, 'whole words');
  assert.is(partialWordEnds(0, 63, 8), LAST_END);
  assert.is(partialWordEnds(1, 63, 8), FIRST_END, 'from byte 1 to the end of word 7');
  assert.is(partialWordEnds(1, 64, 8), FIRST_END | LAST_END);
  assert.is(partialWordEnds(8, 64, 8), 0, 'a whole-word offset');
  assert.is(partialWordEnds(2, 4, 8), 0, 'inside one word: written whole with a byte mask');
  assert.is(partialWordEnds(6, 4, 8), FIRST_END | LAST_END, 'across a word boundary');
  assert.equal([blocksTouched(0, 128, 128), blocksTouched(1, 128, 128), blocksTouched(127, 2, 128), blocksTouched(0, 129, 128)], [1, 2, 2, 2]);
});

test('a read one byte into a device word merges its first word before the data behind it goes on: the receive stage holds for the merge and the data waits for it (the merge unit, without a stage); whole-word offsets cost nothing', () => {
  // 128 B in one completion through a stage of 5 + 10 + 32 ns = 47 ns a read; the first word's merge adds 20 ns to it.
  // Its last word is partial too, but that merge is the merge unit's (20 ns a read, under the stage's 67): it does not bound.
  const stage = { 'endpoint.receiveOverhead': '10 ns', 'endpoint.receiveRate': 4, 'endpoint.receiveDescriptorOverhead': '5 ns', 'endpoint.deviceWordBytes': 8, 'endpoint.partialWordMerge': '20 ns' };
  const off = readsThrough(128, { ...stage, 'endpoint.deviceOffset': 1 }), bound = 128e12 / 67_000;
  assert.ok(off <= bound * 1.001 && relErr(off, bound) < 0.01, `${off} vs ${bound} B/s`);
  for (const deviceOffset of [0, 8, 64]) assert.ok(relErr(readsThrough(128, { ...stage, 'endpoint.deviceOffset': deviceOffset }), 128e12 / 47_000) < 0.01, `device offset ${deviceOffset}`);
  // One read alone: its data waits for the first word's merge; the last word's adds nothing (the merge unit's occupancy).
  const withStage = { ...stage, 'endpoint.partialWordMerge': '20 ns' }, noMerge = { ...stage, 'endpoint.partialWordMerge': 0 };
  assert.is(oneRead(128, withStage, 1), oneRead(128, noMerge, 1) + 20_000, 'both ends partial: the first word\'s merge');
  assert.is(oneRead(127, withStage, 1), oneRead(127, noMerge, 1) + 20_000, 'a partial first word alone');
  assert.is(oneRead(64, withStage, 16), oneRead(64, noMerge, 16));
  // An engine without a receive stage merges the first word on the merge unit, before the last: the first on the read's way.
  const merge = { 'endpoint.partialWordMerge': '20 ns' };
  assert.is(oneRead(128, merge, 1), oneRead(128, {}) + 20_000);
  assert.is(oneRead(127, merge, 1), oneRead(127, {}) + 20_000);
  assert.is(oneRead(64, merge, 16), oneRead(64, {}));
});

test('a write one byte into a device word fetches every burst it touches from that word: 128 B fetches two bursts of 128 at offset 1, one at any whole-word offset', () => {
  const oneWrite = (deviceOffset: number): number => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 3.2, 'endpoint.dataPathBurst': 128, 'endpoint.deviceWordBytes': 8 });
    r.endpoint.dma.submit('write', G4, 128, deviceOffset);
    sim.run();
    assertPathConserved(r);
    const s = r.endpoint.dma.stats();
    return s.lastDoneAt - s.firstSubmitAt;
  };
  // A burst of 128 B at 3.2 GB/s: 40 ns.
  assert.is(oneWrite(1) - oneWrite(0), 40_000);
  for (const deviceOffset of [8, 16, 120]) assert.is(oneWrite(deviceOffset), oneWrite(0), `device offset ${deviceOffset}`);
  assert.throws(() => rig(new Simulation(), BASE_PATH, {}).endpoint.dma.submit('write', G4, 64, -1), /device offset/);
});

test('moverMergedWords: the first partial word, and a last one inside its burst of a read longer than a burst', () => {
  const both = FIRST_END | LAST_END;
  assert.is(moverMergedWords(0, 407, LAST_END, 8, 128), 1, 'the last word at byte 400: the third word of the burst from 384');
  assert.is(moverMergedWords(0, 255, LAST_END, 8, 128), 0, 'the last word ends its burst');
  assert.is(moverMergedWords(0, 129, LAST_END, 8, 128), 0, 'the last word begins its burst');
  assert.is(moverMergedWords(0, 63, LAST_END, 8, 128), 0, 'a read within one burst');
  assert.is(moverMergedWords(1, 63, FIRST_END, 8, 128), 1, 'the first word, whatever its place');
  assert.is(moverMergedWords(1, 416, both, 8, 128), 2, 'both: the last word at byte 416, inside the burst from 384');
  assert.is(moverMergedWords(1, 1024, both, 8, 128), 1, 'the last word at byte 1024 begins its burst');
  assert.is(moverMergedWords(0, 256, 0, 8, 128), 0, 'whole words');
});

test('a read\'s mover merges its partial first word, and a last one inside a burst, for partialWordMerge each: reads back to back on one slow mover take a merge more each; a last word at a burst\'s edge costs it nothing', () => {
  // One mover at 2 GB/s (0.5 ns a byte) bounds these reads: a 407-byte read holds it 203.5 ns, plus 20 ns for its last word, inside the burst from 384.
  const mover = { 'endpoint.dataPaths': 1, 'endpoint.dataPathRate': 2, 'endpoint.dataPathBurst': 128, 'endpoint.deviceWordBytes': 8 };
  const merged = { ...mover, 'endpoint.partialWordMerge': '20 ns' };
  const perRead = (size: number, overrides: Record<string, unknown>) => (size * 1e12) / readsThrough(size, overrides);
  const near = (ps: number, want: number, what: string) => assert.ok(Math.abs(ps - want) < 0.01 * want, `${what}: ${ps} ps a read, expected ${want}`);
  near(perRead(407, mover), 203_500, '407 B without merges: the mover alone');
  near(perRead(407, merged), 223_500, '407 B: one merge on the mover');
  near(perRead(407, { ...merged, 'endpoint.deviceOffset': 2 }), 243_500, '407 B two bytes into a word: the first word too');
  near(perRead(384, { ...merged, 'endpoint.deviceOffset': 1 }), 212_000, '384 B one byte in: the first word; the last (byte 384) begins its burst');
  assert.is(perRead(255, merged), perRead(255, mover), 'the last word ends its burst: the merge unit only, which does not bound');
});

test('one merge unit: many partial-word reads in flight finish no more often than one per merge', () => {
  const reads = (size: number, merge: number) => {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, {
      'endpoint.descriptors': 3000, 'endpoint.descriptorSize': size, 'endpoint.readFraction': 1,
      'endpoint.windowBase': G4, 'endpoint.windowSize': MiB, 'endpoint.outstandingDescriptors': 32, 'endpoint.tags': 64,
      'endpoint.issueLatency': '170 ns', 'endpoint.issueInterval': '16 ns', 'endpoint.deviceWordBytes': 8, 'endpoint.partialWordMerge': merge,
    });
    r.start();
    sim.run();
    assertPathConserved(r);
    return r.endpoint.dma.stats().throughput;
  };
  const bound = 63e12 / 30_000;
  const t = reads(63, 30_000);
  assert.ok(t <= bound * 1.001 && relErr(t, bound) < 0.01, `${t} vs ${bound} B/s: one per merge`);
  // Without merges the 16 ns interval sets the rate, and 64-byte reads never merge.
  assert.ok(relErr(reads(63, 0), 63e12 / 16_000) < 0.01, 'issue-bound without merges');
  assert.ok(relErr(reads(64, 30_000), 64e12 / 16_000) < 0.01, 'whole words: no merge');
});

// ---------------------------------------------------------------- throughput against the closed forms

interface Config { gen: PcieGen; width: LinkWidth; mps: TransferSize }

const WRITE_CONFIGS: Config[] = [
  { gen: 3, width: 8, mps: 128 },
  { gen: 3, width: 8, mps: 256 },
  { gen: 2, width: 4, mps: 128 },
  { gen: 4, width: 16, mps: 256 },
  { gen: 5, width: 16, mps: 512 },
];

test('large aligned DMA writes run at dmaWriteThroughput within 1 % (Gen2-5, MPS 128-512)', () => {
  for (const c of WRITE_CONFIGS) {
    const sim = new Simulation();
    const total = 4 * MiB, size = 64 * 1024;
    const r = rig(sim, BASE_PATH, {
      'link.gen': c.gen, 'link.width': c.width, 'endpoint.mps': c.mps, 'rootComplex.mps': c.mps, 'endpoint.issueLatency': '100 ns',
      'endpoint.descriptors': total / size, 'endpoint.descriptorSize': size, 'endpoint.readFraction': 0,
      'endpoint.windowBase': G4, 'endpoint.windowSize': 64 * MiB, 'endpoint.outstandingDescriptors': 4,
    });
    r.start();
    sim.run();
    const s = r.endpoint.dma.stats();
    assert.is(s.bytesWritten, total);
    assert.is(s.descriptorsDone, total / size);
    const closed = dmaWriteThroughput(total, { gen: c.gen, width: c.width, mps: c.mps, addr64: true });
    assert.ok(relErr(s.throughput, closed) < 0.01, `Gen${c.gen} x${c.width} MPS ${c.mps}: ${s.throughput} vs ${closed}`);
    assertPathConserved(r);
  }
});

interface ReadConfig extends Config { mrrs: TransferSize; rcb: ReadCompletionBoundary; mode: CompletionMode }

const READ_CONFIGS: ReadConfig[] = [
  { gen: 3, width: 8, mps: 256, mrrs: 512, rcb: 64, mode: 'mps' },
  { gen: 3, width: 8, mps: 128, mrrs: 512, rcb: 64, mode: 'rcb' },
  { gen: 3, width: 8, mps: 256, mrrs: 512, rcb: 128, mode: 'rcb' },
  { gen: 2, width: 4, mps: 128, mrrs: 256, rcb: 64, mode: 'mps' },
  { gen: 4, width: 16, mps: 256, mrrs: 1024, rcb: 64, mode: 'mps' },
];

test('large DMA reads with enough tags run at dmaReadThroughput within 1 % (completion direction bound)', () => {
  for (const c of READ_CONFIGS) {
    const sim = new Simulation();
    const total = 4 * MiB;
    const r = rig(sim, BASE_PATH, {
      'link.gen': c.gen, 'link.width': c.width, 'endpoint.mps': c.mps, 'rootComplex.mps': c.mps, 'endpoint.mrrs': c.mrrs,
      'rootComplex.rcb': c.rcb, 'rootComplex.completionMode': c.mode, 'endpoint.tags': 64,
    });
    r.endpoint.dma.submit('read', G4, total);
    sim.run();
    const s = r.endpoint.dma.stats();
    assert.is(s.bytesRead, total);
    const closed = dmaReadThroughput(total, { gen: c.gen, width: c.width, mps: c.mps, mrrs: c.mrrs, rcb: c.rcb, rcbMode: c.mode, addr64: true });
    assert.ok(relErr(s.throughput, closed) < 0.01, `${JSON.stringify(c)}: ${s.throughput} vs ${closed}`);
    assertPathConserved(r);
  }
});

/**
 * Round trip of one MRRS-sized read on an idle path of BASE_PATH (Gen3 x8,
 * MPS 256, 10,000 GB/s memory): MRd up, propagation, root complex, memory
 * slot + latency, the two 256-byte CplDs back to back, propagation.
 */
function idleReadRoundTrip(mrrs: number): number {
  const cpls = mrrs / 256;
  const cplBurst = Math.ceil((cpls * (12 + 256 + 8) * 1015.625) / 8);
  return gen3Ps(16 + 8, 8) + 25_000 + 150_000 + Math.ceil(mrrs * 1000 / 10_000) + 80_000 + cplBurst + 25_000;
}

test("few tags: read throughput is tags × MRRS / round trip (Little's law) within 2 %", () => {
  for (const tags of [1, 2, 4]) {
    const sim = new Simulation();
    const r = rig(sim, BASE_PATH, { 'endpoint.tags': tags });
    r.endpoint.dma.submit('read', G4, MiB);
    sim.run();
    const rtt = idleReadRoundTrip(512);
    const little = (tags * 512 * 1e12) / rtt;
    const s = r.endpoint.dma.stats();
    assert.ok(relErr(s.throughput, little) < 0.02, `${tags} tags: ${s.throughput} vs ${little} (round trip ${rtt} ps)`);
    assert.ok(s.allTagsBusyPs > 0.97 * sim.now, 'every tag busy nearly all the time');
    assert.ok(relErr(r.endpoint.dma.requestRtt.quantile(0.5) * 1000, rtt) < 0.011, `median round trip ${r.endpoint.dma.requestRtt.quantile(0.5)} ns vs ${rtt} ps`);
    assertPathConserved(r);
  }
});

test("a small completion buffer limits reads the same way: buffer / MRRS requests in flight", () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'endpoint.tags': 32, 'endpoint.completionBuffer': '1 KiB' });
  r.endpoint.dma.submit('read', G4, MiB);
  sim.run();
  const little = (2 * 512 * 1e12) / idleReadRoundTrip(512);
  const s = r.endpoint.dma.stats();
  assert.ok(relErr(s.throughput, little) < 0.02, `${s.throughput} vs ${little}`);
  assert.is(s.allTagsBusyPs, 0, 'tags were never the limit');
  assert.ok(relErr(s.tagBusyPs / sim.now, 2) < 0.02, `mean tags busy ${s.tagBusyPs / sim.now}`);
  assertPathConserved(r);
});

test('memory slower than the link: writes run at the memory bandwidth, pushed back through credits', () => {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, { 'memory.bandwidth': 2 });
  r.endpoint.dma.submit('write', G4, 4 * MiB);
  sim.run();
  const m = r.memory.stats();
  const atMemory = (4 * MiB * 1e12) / (m.lastWriteDoneAt - m.firstAccessAt);
  assert.ok(relErr(atMemory, 2e9) < 0.01, `${atMemory}`);
  assert.ok(relErr(r.endpoint.dma.stats().throughput, 2e9) < 0.01, 'the engine sees it too');
  assert.ok(r.link.aToB.stats().creditStallPs > 0.5 * sim.now, 'the link waited for credits');
  assertPathConserved(r);
});

// ---------------------------------------------------------------- the preset

test('the dma-bandwidth platform (xeon-e5-v4, netfpga-sume): 64-byte read round trip 500-600 ns; cold cache +50 ns, remote socket +100 ns', () => {
  const run = (overrides: Record<string, unknown>) => {
    const sim = new Simulation();
    const r = rig(sim, platformPath(), overrides);
    r.endpoint.dma.submit('read', G4, 64);
    sim.run();
    assertPathConserved(r);
    return sim.now;
  };
  const warm = run({});
  assert.ok(warm >= 500_000 && warm <= 600_000, `warm round trip ${warm} ps`);
  assert.is(run({ 'memory.cache': 'cold' }) - warm, 50_000, 'cold cache adds 50 ns');
  assert.is(run({ 'memory.socket': 'remote' }) - warm, 100_000, 'remote socket adds 100 ns');
});

test('platform: sequential 4 KiB reads with 32 tags are tag-bound below the link (Little\'s law), and deterministic', () => {
  const go = () => {
    const sim = new Simulation({ seed: 7 });
    const r = rig(sim, platformPath(), {
      'endpoint.descriptors': 512, 'endpoint.windowBase': G4, 'endpoint.windowSize': '1 MiB', 'endpoint.outstandingDescriptors': 8,
    });
    r.start();
    sim.run();
    assertPathConserved(r);
    return { now: sim.now, s: r.endpoint.dma.stats() };
  };
  const a = go(), b = go();
  assert.is(a.now, b.now);
  assert.equal(a.s, b.s);
  assert.is(a.s.bytesRead, 512 * 4096);
  const link = dmaReadThroughput(4096, { gen: 3, width: 8, mps: 256, mrrs: 512, rcb: 64, rcbMode: 'mps', addr64: true });
  assert.ok(a.s.throughput <= link * 1.001, `${a.s.throughput} vs link ${link}`);
});


// ---------------------------------------------------------------- receive stage

/** Throughput of 3000 random reads of `size` bytes kept 32 in flight on BASE_PATH, with a receive stage from `overrides`. */
function readsThrough(size: number, overrides: Record<string, unknown>): number {
  const sim = new Simulation();
  const r = rig(sim, BASE_PATH, {
    'endpoint.descriptors': 3000, 'endpoint.descriptorSize': size, 'endpoint.readFraction': 1, 'endpoint.addressPattern': 'random', 'endpoint.alignment': size,
    'endpoint.windowBase': G4, 'endpoint.windowSize': MiB, 'endpoint.outstandingDescriptors': 32, 'endpoint.tags': 64, 'endpoint.issueLatency': '170 ns', ...overrides,
  });
  r.start();
  sim.run();
  assertPathConserved(r);
  return r.endpoint.dma.stats().throughput;
}

test('the receive stage bounds reads at one descriptor per (its overhead + completions × overhead + bytes / rate)', () => {
  // BASE_PATH answers a 128-byte read in one completion (MPS mode): 5 + 10 + 128 B at 4 GB/s (32 ns) = 47 ns a read.
  const stage = { 'endpoint.receiveOverhead': '10 ns', 'endpoint.receiveRate': 4, 'endpoint.receiveDescriptorOverhead': '5 ns' };
  const t = readsThrough(128, stage), bound = 128e12 / 47_000;
  assert.ok(t <= bound * 1.001 && relErr(t, bound) < 0.01, `${t} vs ${bound} B/s`);
  assert.ok(readsThrough(128, {}) > 1.2 * bound, 'without the stage the link is the bound');
});

test('the receive stage holds a read\'s descriptor overhead once, on its last completion: two completions a read, one overhead', () => {
  // A 512-byte read comes back in two 256-byte completions: 5 + 2 × 10 + 512 B at 4 GB/s (128 ns) = 153 ns a read.
  const stage = { 'endpoint.receiveOverhead': '10 ns', 'endpoint.receiveRate': 4, 'endpoint.receiveDescriptorOverhead': '5 ns' };
  const t = readsThrough(512, stage), bound = 512e12 / 153_000;
  assert.ok(t <= bound * 1.001 && relErr(t, bound) < 0.01, `${t} vs ${bound} B/s`);
});

test('the receive stage adds occupancy, not latency: a read alone waits only where its completions queue there', () => {
  const slow = { 'endpoint.receiveOverhead': '10 ns', 'endpoint.receiveRate': 4, 'endpoint.receiveDescriptorOverhead': '5 ns' };
  // One completion: nothing before it in the stage.
  assert.is(oneRead(64, slow), oneRead(64, {}));
  // Completions of 128 B arrive about 17 ns apart on Gen3 x8: a stage quicker than that never queues them.
  const quick = { 'endpoint.receiveOverhead': '1 ns', 'endpoint.receiveRate': 100, 'endpoint.receiveDescriptorOverhead': '5 ns' };
  for (const size of [64, 512, 2048]) assert.is(oneRead(size, quick), oneRead(size, {}), `${size} B`);
  // A slow one queues them: the read's last completion leaves the stage's queue later.
  assert.ok(oneRead(2048, slow) > oneRead(2048, {}));
});

// ---------------------------------------------------------------- random addresses and 4 KiB pages

/** The [address, device offset] of each of `n` descriptors of `size` bytes a stream submits in an 8 KiB window, from a recording engine. */
function submitted(size: number, n: number, workload: Record<string, unknown>): [number, number][] {
  const sim = new Simulation();
  const got: [number, number][] = [];
  const engine = { listener: null as unknown, submit: (_op: string, addr: number, _size: number, deviceOffset: number) => { got.push([addr, deviceOffset]); return got.length - 1; } };
  const w = dmaWorkloadParams.parse({ descriptors: n, descriptorSize: size, windowBase: G4, windowSize: 8192, outstandingDescriptors: n, ...workload });
  new DescriptorStream(engine as unknown as DmaEngine, w, sim.rng('addresses'), sim.rng('ops')).start();
  return got;
}

/** The addresses `n` random descriptors of `size` bytes get in an 8 KiB window at `alignment`. */
function drawnAddresses(size: number, alignment: number, pageCrossing: 'allow' | 'avoid', n = 2000): number[] {
  return submitted(size, n, { addressPattern: 'random', alignment, pageCrossing }).map(([addr]) => addr);
}

test("'sequential-slots' takes the window's slots in turn, each transfer hostOffset into its slot, passing over those that would cross 4 KiB (pcie-bench's sequential addresses)", () => {
  // 407 B one byte into 448-byte slots (407 + 1 rounded up to 64): 18 slots in 8 KiB; slot 9 (4033-4439) crosses 4 KiB.
  const got = submitted(407, 20, { addressPattern: 'sequential-slots', alignment: 448, hostOffset: 1, pageCrossing: 'avoid', deviceOffset: 3 });
  const slots = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 0, 1, 2];
  assert.equal(got.map(([addr]) => addr), slots.map((k) => G4 + 448 * k + 1));
  assert.ok(got.every(([, deviceOffset]) => deviceOffset === 3), 'every descriptor at the device offset');
  // Random slots take the host offset too.
  assert.ok(submitted(64, 200, { addressPattern: 'random', alignment: 128, hostOffset: 5 }).every(([addr]) => (addr - G4) % 128 === 5));
  // The plain walk starts at the host offset and wraps before running past the window.
  assert.equal(submitted(4096, 3, { hostOffset: 100 }).map(([addr]) => addr - G4), [100, 100, 100]);
  assert.throws(() => submitted(8192, 1, { hostOffset: 1 }), /host offset/);
});

test("pageCrossing 'avoid': no random transfer crosses a 4 KiB boundary, and every slot that does not is drawn", () => {
  const crosses = (size: number) => (a: number) => (a % 4096) + size > 4096;
  // 1536-byte slots of an 8 KiB window: 0, 1536, 3072 (crosses), 4608, 6144.
  const allowed = drawnAddresses(1536, 1536, 'allow');
  assert.ok(allowed.some(crosses(1536)), "'allow' draws the slot across the boundary");
  const avoided = drawnAddresses(1536, 1536, 'avoid');
  assert.not.ok(avoided.some(crosses(1536)));
  assert.equal([...new Set(avoided)].sort((a, b) => a - b), [0, 1536, 4608, 6144].map((o) => G4 + o));
  // 3000-byte slots: 0 and 3000, which crosses; only the first slot is left to draw.
  assert.equal([...new Set(drawnAddresses(3000, 3000, 'avoid', 200))], [G4]);
  // Slots that never cross: the same draws either way.
  assert.equal(drawnAddresses(512, 512, 'avoid'), drawnAddresses(512, 512, 'allow'));
});

test("pageCrossing 'avoid' with no slot inside one page is refused", () => {
  assert.throws(() => drawnAddresses(5000, 64, 'avoid', 1), /4 KiB page/);
  assert.throws(() => submitted(5000, 1, { addressPattern: 'sequential-slots', alignment: 64, pageCrossing: 'avoid' }), /4 KiB page/);
  assert.not.throws(() => drawnAddresses(5000, 64, 'allow', 1));
});

test.run();

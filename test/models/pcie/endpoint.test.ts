/**
 * The endpoint and its DMA engine on their own: the issue pipeline, tags and
 * the completion buffer, completion timeouts, completion matching, the
 * descriptor generator, and the BAR. The engine talks to small fakes here
 * (one fixed answer delay, no link) so every time is a multiple of a
 * round number.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import { DmaEngine, dmaEngineParams, transferSize, type DescriptorListener } from '../../../models/pcie/dma-engine.js';
import { Tlp, type TlpReceiver, type TlpSender } from '../../../models/pcie/fabric.js';
import { Link } from '../../../models/pcie/link.js';
import { DEFAULT_CREDITS } from '../../../models/pcie/credits.js';
import { tlpBytes } from '../../../models/pcie/tlp.js';
import { G4, KiB, assertConserved, endpointFrom } from './dma-helpers.js';

const NS = 1000, US = 1_000_000;

/**
 * Takes every TLP at once; answers each MRd `delay` ps later with one CplD
 * per `pieces`-th of it (at delay × k / pieces), unless `drop(n)` says the
 * n-th request (0-based) gets no answer. Records the most requests it ever
 * held unanswered, and everything it received.
 */
class FakeCompleter implements TlpReceiver {
  readonly received: Tlp[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  private reads = 0;
  /** Answers to send, by index: the event's argument says which. */
  private readonly answers: { tlp: Tlp; piece: number }[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly engine: DmaEngine,
    private readonly delay: number,
    private readonly pieces = 1,
    private readonly drop: (n: number) => boolean = () => false,
  ) {}

  receive(tlp: Tlp, from: TlpSender): void {
    this.received.push(tlp);
    from.release(tlp);
    if (tlp.type !== 'MRd' || this.drop(this.reads++)) return;
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    for (let k = 1; k <= this.pieces; k++) {
      this.answers.push({ tlp, piece: k });
      this.sim.schedule((this.delay * k) / this.pieces, FakeCompleter.answer, this, this.answers.length - 1);
    }
  }

  private static answer(self: FakeCompleter, index: number): void {
    const { tlp, piece } = self.answers[index]!;
    const part = tlp.length / self.pieces;
    const addr = tlp.addr + part * (piece - 1);
    if (piece === self.pieces) self.outstanding--;
    self.engine.onCompletion(new Tlp('CplD', addr, part, tlpBytes('CplD', addr, part), tlp.requester, tlp.tag, tlp.txn, tlp.length - part * (piece - 1)));
  }
}

class DoneLog implements DescriptorListener {
  readonly done: { id: number; ok: boolean; time: number }[] = [];
  constructor(private readonly sim: Simulation) {}
  descriptorDone(id: number, ok: boolean): void {
    this.done.push({ id, ok, time: this.sim.now });
  }
}

const engine = (sim: Simulation, p: Record<string, unknown> = {}) => new DmaEngine(sim, { ...dmaEngineParams.parse({ mrrs: 512, ...p }), requesterId: 0x0100, mps: 256, ecrc: false });
/** A fresh simulation with an engine of `p` whose finished descriptors go to a DoneLog. */
function loggedEngine(p: Record<string, unknown> = {}) {
  const sim = new Simulation();
  const e = engine(sim, p);
  const log = new DoneLog(sim);
  e.listener = log;
  return { sim, e, log };
}

function conserved(sim: Simulation, e: DmaEngine, timeouts = 0, unexpected = 0): void {
  assertConserved({ sim, engines: [e], links: [], rootComplexes: [], timeouts, unexpected });
}

/** Takes every TLP at once and records when each arrived. */
class TimedSink implements TlpReceiver {
  readonly got: { time: number; tlp: Tlp }[] = [];
  constructor(private readonly sim: Simulation) {}
  receive(tlp: Tlp, from: TlpSender): void {
    this.got.push({ time: this.sim.now, tlp });
    from.release(tlp);
  }
  /** The arrival time of each descriptor's first TLP, by descriptor id. */
  firstTimes(): number[] {
    const out: number[] = [];
    for (const g of this.got) if (out[g.tlp.txn] === undefined) out[g.tlp.txn] = g.time;
    return out;
  }
}

test('issue latency is pipelined: descriptors taken up together are ready together, one latency later, in order', () => {
  const { sim, e, log } = loggedEngine({ issueLatency: '100 ns' });
  const sink = new TimedSink(sim);
  e.connect(sink);
  for (let i = 0; i < 10; i++) e.submit('write', G4 + 512 * i, 512);
  sim.run();
  // Interval 0: all ten are taken up at 0 and ready at 100 ns; the sink takes every TLP at once, so all are done then.
  assert.equal(log.done.map((d) => d.time), Array(10).fill(100 * NS));
  assert.ok(log.done.every((d, k) => d.ok && d.id === k));
  // Two MWr per descriptor (MPS 256), in descriptor order: no TLP overtakes one of an earlier descriptor.
  assert.equal(sink.got.map((g) => g.tlp.addr), Array.from({ length: 20 }, (_, k) => G4 + 256 * k));
  assert.is(sim.eventCount, 1, 'one wake-up served every descriptor');
  assert.ok(Math.abs(e.writeLatency.max - 100) <= 1, 'latency is the issue latency, not ten of them');
  conserved(sim, e);
});

test('issue interval: descriptors are taken up exactly issueInterval apart, the latency on top; an idle engine takes one up at once', () => {
  const sim = new Simulation();
  const e = engine(sim, { issueLatency: '30 ns', issueInterval: '100 ns' });
  const sink = new TimedSink(sim);
  e.connect(sink);
  for (let i = 0; i < 10; i++) e.submit('write', G4 + KiB * i, KiB);
  sim.run({ until: 5 * US });
  e.submit('write', G4 + 10 * KiB, KiB); // long after the last take-up (900 ns)
  e.submit('write', G4 + 11 * KiB, KiB);
  sim.run();
  const first = sink.firstTimes();
  assert.equal(first.slice(0, 10), Array.from({ length: 10 }, (_, k) => 30 * NS + k * 100 * NS));
  assert.equal(first.slice(10), [5 * US + 30 * NS, 5 * US + 130 * NS]);
  // Each descriptor's four MWr (1 KiB at MPS 256) go out together when it is ready, in address order.
  assert.is(sink.got.length, 12 * 4);
  sink.got.forEach((g, k) => assert.is(g.tlp.addr, G4 + 256 * k));
  conserved(sim, e);
});

test('issue interval and latency both 0: an ideal engine sends at submission, with no event of its own', () => {
  const { sim, e, log } = loggedEngine();
  const sink = new TimedSink(sim);
  e.connect(sink);
  sim.run({ until: 7 * NS });
  for (let i = 0; i < 3; i++) e.submit('write', G4 + 64 * i, 64);
  assert.is(sink.got.length, 3, 'handed to the link inside submit()');
  assert.equal(log.done.map((d) => [d.id, d.time]), [[0, 7 * NS], [1, 7 * NS], [2, 7 * NS]]);
  sim.run();
  assert.is(sim.eventCount, 0);
  conserved(sim, e);
});

test('tags bound the reads in flight: waves of `tags` requests, one round trip each', () => {
  const sim = new Simulation();
  const e = engine(sim, { tags: 4 });
  const fake = new FakeCompleter(sim, e, 1 * US);
  e.connect(fake);
  e.submit('read', G4, 64 * KiB); // 128 requests of 512 B
  sim.run();
  assert.is(fake.maxOutstanding, 4);
  const s = e.stats();
  assert.is(s.readRequestsIssued, 128);
  assert.is(s.lastDoneAt, 32 * US);
  assert.is(s.allTagsBusyPs, 32 * US, 'all four tags busy the whole time');
  assert.is(s.tagBusyPs, 4 * 32 * US);
  assert.is(s.bytesRead, 64 * KiB);
  assert.is(e.requestRtt.count, 128);
  conserved(sim, e);
});

test('the completion buffer bounds reads too: a request goes out only when its data fits', () => {
  const sim = new Simulation();
  const e = engine(sim, { tags: 32, completionBuffer: 1536 });
  const fake = new FakeCompleter(sim, e, 1 * US);
  e.connect(fake);
  e.submit('read', G4, 64 * KiB);
  sim.run();
  assert.is(fake.maxOutstanding, 3);
  assert.is(e.stats().lastDoneAt, Math.ceil(128 / 3) * US);
  assert.is(e.stats().allTagsBusyPs, 0);
  conserved(sim, e);
});

test('the completion buffer frees as each completion drains, before the request ends', () => {
  const sim = new Simulation();
  // Room for two 512-byte requests; each is answered in two halves, at 0.5 µs and 1 µs.
  const e = engine(sim, { tags: 32, completionBuffer: 1024 });
  const fake = new FakeCompleter(sim, e, 1 * US, 2);
  e.connect(fake);
  e.submit('read', G4, 2 * KiB); // 4 requests
  sim.run();
  // t=0: requests 0 and 1. t=0.5: their first halves free 512 B, so request 2 goes out. t=1: request 3.
  const mrdTimes = fake.received.length;
  assert.is(mrdTimes, 4);
  assert.is(fake.maxOutstanding, 3);
  assert.is(e.stats().lastDoneAt, 2 * US);
  conserved(sim, e);
});

test('a request that is never answered times out: counted, its tag freed, its descriptor failed; a late answer is unexpected', () => {
  const { sim, e, log } = loggedEngine({ tags: 2, completionTimeout: '50 us' });
  const fake = new FakeCompleter(sim, e, 1 * US, 1, () => true);
  e.connect(fake);
  e.submit('read', G4, 2 * KiB); // 4 requests, 2 tags
  sim.run();
  const s = e.stats();
  assert.is(s.completionTimeouts, 4);
  assert.is(s.readRequestsIssued, 4);
  assert.is(s.readRequestsCompleted, 0);
  assert.equal(log.done, [{ id: 0, ok: false, time: 100 * US }], 'two waves of timeouts');
  assert.is(sim.now, 100 * US);
  assert.is(s.descriptorsFailed, 1);
  // The first request's answer turns up long after.
  const first = fake.received[0]!;
  e.onCompletion(new Tlp('CplD', first.addr, first.length, tlpBytes('CplD', first.addr, first.length), first.requester, first.tag, first.txn, first.length));
  conserved(sim, e, 4, 1);
});

test('a busy engine costs one timer event per timeout period, and the run ends with its last completion', () => {
  const sim = new Simulation();
  const ep = endpointFrom(sim, ({
    descriptors: 2000, descriptorSize: 64, windowBase: G4, windowSize: 64 * KiB, outstandingDescriptors: 1, completionTimeout: '100 us',
  }), 'ep');
  ep.connect(new FakeCompleter(sim, ep.dma, 1 * US));
  ep.start();
  sim.run();
  // 2000 answers, one after another, 1 µs each; the timer fires every ~100 µs and finds nothing due.
  assert.is(sim.now, 2000 * US);
  assert.is(ep.dma.stats().lastDoneAt, sim.now);
  assert.ok(sim.eventCount <= 2000 + 2000 / 100 + 1, `${sim.eventCount} events`);
  conserved(sim, ep.dma);
});

test('one lost request fails its descriptor only; the others and later descriptors complete', () => {
  const { sim, e, log } = loggedEngine({ tags: 8, completionTimeout: '20 us' });
  e.connect(new FakeCompleter(sim, e, 1 * US, 1, (n) => n === 1));
  e.submit('read', G4, 4 * KiB);
  e.submit('read', G4 + 4 * KiB, 4 * KiB);
  sim.run();
  assert.equal(log.done.map((d) => [d.id, d.ok]), [[1, true], [0, false]]);
  assert.is(e.stats().completionTimeouts, 1);
  assert.is(e.stats().bytesRead, 8 * KiB - 512);
  conserved(sim, e, 1);
});

test('the timeout ring grows past 64 requests with its head anywhere, and an engine gone idle arms its timer again: every lost request times out, once, in issue order, one timeout after its issue', () => {
  // The transmit port sends a request every 10 ns: every request has its own deadline.
  const { sim, e, log } = loggedEngine({ tags: 128, completionTimeout: '50 us', tlpOverhead: '10 ns' });
  // Requests after the first 40 are never answered.
  e.connect(new FakeCompleter(sim, e, 1 * US, 1, (n) => n >= 40));
  // 40 requests, the last answered at 1.39 us: the ring of deadlines (64 to start with) is empty again, its head at 40, and the timer cancelled.
  e.submit('read', G4, 40 * 512);
  sim.run();
  const idleAt = 1 * US + 390 * NS;
  assert.equal(log.done, [{ id: 0, ok: true, time: idleAt }]);
  assert.is(sim.now, idleAt, 'an idle engine holds the run open with no timer');
  // 100 requests: the ring fills with its head at 40 (wrapped) and grows, then takes 36 more.
  e.submit('read', G4 + 64 * KiB, 100 * 512);
  const timedOutAt: number[] = [];
  sim.run({ stopWhen: () => { while (timedOutAt.length < e.stats().completionTimeouts) timedOutAt.push(sim.now); return false; } });
  assert.equal(timedOutAt, Array.from({ length: 100 }, (_, k) => idleAt + k * 10 * NS + 50 * US), 'each request 50 us after its issue, in issue order');
  assert.equal(log.done, [{ id: 0, ok: true, time: idleAt }, { id: 1, ok: false, time: idleAt + 990 * NS + 50 * US }]);
  const s = e.stats();
  assert.equal([s.completionTimeouts, s.readRequestsIssued, s.readRequestsCompleted, s.tagsBusy], [100, 140, 40, 0]);
  conserved(sim, e, 100);
});

test('the last request in flight, lost, still times out once every other has completed', () => {
  const { sim, e, log } = loggedEngine({ tags: 8, completionTimeout: '50 us' });
  e.connect(new FakeCompleter(sim, e, 1 * US, 1, (n) => n === 3));
  e.submit('read', G4, 4 * 512);
  sim.run();
  assert.equal(log.done, [{ id: 0, ok: false, time: 50 * US }]);
  assert.is(e.stats().completionTimeouts, 1);
  conserved(sim, e, 1);
});

test('three waves of lost requests, each its own deadline: each times out at its own, the others left waiting; a request that waited for a tag times out one timeout after its issue', () => {
  const { sim, e, log } = loggedEngine({ tags: 8, completionTimeout: '50 us' });
  e.connect(new FakeCompleter(sim, e, 1 * US, 1, () => true));
  for (const at of [0, 10, 20]) {
    sim.run({ until: at * US });
    e.submit('read', G4 + at * KiB, 3 * 512);
  }
  // [time, timeouts so far] after each event that timed a request out.
  const waves: [number, number][] = [];
  let seen = 0;
  sim.run({ stopWhen: () => { const n = e.stats().completionTimeouts; if (n > seen) waves.push([sim.now, (seen = n)]); return false; } });
  // Eight tags: the third wave's last request waits for a tag the first wave frees at 50 us, and times out at 100.
  assert.equal(waves, [[50 * US, 3], [60 * US, 6], [70 * US, 8], [100 * US, 9]]);
  assert.equal(log.done.map((d) => [d.id, d.ok, d.time]), [[0, false, 50 * US], [1, false, 60 * US], [2, false, 100 * US]]);
  assert.is(e.stats().completionTimeouts, 9);
  conserved(sim, e, 9);
});

test('completions that match no request in flight are counted and ignored', () => {
  const sim = new Simulation();
  const e = engine(sim, { tags: 4 });
  const held: Tlp[] = [];
  e.connect({ receive: (tlp: Tlp, from: TlpSender) => { held.push(tlp); from.release(tlp); } });
  e.submit('read', G4, 512);
  sim.run({ until: 1 * US }); // well before the completion timeout
  const r = held[0]!;
  const cpl = (addr: number, len: number, tag: number, txn: number, requester = r.requester) =>
    new Tlp('CplD', addr, len, tlpBytes('CplD', addr, len), requester, tag, txn, len);
  e.onCompletion(cpl(r.addr, 64, r.tag + 1, r.txn));        // tag not in use
  e.onCompletion(cpl(r.addr + 64, 64, r.tag, r.txn));       // not the next address
  e.onCompletion(cpl(r.addr, 64, r.tag, r.txn + 1));        // another transaction
  e.onCompletion(cpl(r.addr, 64, r.tag, r.txn, 0x0200));    // another requester
  e.onCompletion(cpl(r.addr, 64, 99, r.txn));               // not a tag at all
  assert.is(e.stats().unexpectedCompletions, 5);
  e.onCompletion(cpl(r.addr, 256, r.tag, r.txn));
  e.onCompletion(cpl(r.addr + 256, 256, r.tag, r.txn));
  sim.run();
  assert.is(e.stats().bytesRead, 512);
  conserved(sim, e, 0, 5);
});

test('a descriptor needs a non-negative whole address and a positive whole size that end below 2^53, and an op: others are refused; address 0 and 1 byte are fine', () => {
  const sim = new Simulation();
  const e = engine(sim);
  e.connect(new TimedSink(sim));
  const bad: [number, number][] = [[-1, 64], [0.5, 64], [NaN, 64], [0, 0], [0, -64], [0, 1.5], [2 ** 53 - 64, 128]];
  for (const [addr, size] of bad) assert.throws(() => e.submit('read', addr, size), /a descriptor needs a non-negative address and a positive size below 2\^53/, `${size} bytes at ${addr}`);
  assert.throws(() => e.submit('copy' as never, 0, 64), /op must be 'read' or 'write'/);
  e.submit('write', 0, 64);
  e.submit('write', 64, 1);
  e.submit('write', 2 ** 53 - 128, 64);
  sim.run();
  assert.is(e.stats().bytesWritten, 129);
});

test('writes released ahead of their start read the same, at every instant, as writes released when they start: the engine\'s counts and the link\'s', () => {
  // The same writes on a link that takes dated hand-overs: the engine may take the link's releases ahead (a train), or,
  // connected as a shared sender, never. Counts of writes sent and bytes written come from the start either way.
  const run = (shared: boolean) => {
    const sim = new Simulation();
    const e = engine(sim, { issueInterval: '30 ns' });
    const sink = { receive: (tlp: Tlp, from: TlpSender) => from.release(tlp) };
    const link = new Link(sim, { gen: 3, width: 8, mps: 256, propagationPs: 10 * NS }, {}, { receiver: sink });
    e.connect(link.aToB, shared);
    for (let k = 0; k < 40; k++) e.submit('write', G4 + k * KiB, 1 * KiB);
    const seen: unknown[] = [];
    for (let t = 50 * NS; t <= 7 * US; t += 37 * NS) {
      sim.run({ until: t });
      const s = e.stats();
      // The link's too: a write handed over dated (receiveAt) is queued from its date.
      seen.push([s.writeTlpsSent, s.bytesWritten, s.descriptorsDone, s.transmitQueued, link.aToB.stats()]);
    }
    sim.run();
    conserved(sim, e);
    return { seen, startedAhead: link.aToB.startedAhead, end: sim.now };
  };
  const ahead = run(false), plain = run(true);
  assert.ok(ahead.startedAhead > 100, `${ahead.startedAhead} writes started ahead`);
  assert.is(plain.startedAhead, 0, 'a shared sender is never released ahead');
  assert.equal(ahead.seen, plain.seen);
  assert.is(ahead.end, plain.end);
});

test('many descriptors submitted at once (past the first size of the queue of pending descriptors) are all taken up, in order', () => {
  const { sim, e, log } = loggedEngine({ issueLatency: '100 ns', issueInterval: '10 ns' });
  const sink = new TimedSink(sim);
  e.connect(sink);
  for (let i = 0; i < 100; i++) e.submit('write', G4 + 512 * i, 512);
  sim.run();
  assert.equal(log.done.map((d) => d.id), Array.from({ length: 100 }, (_, k) => k));
  assert.equal(sink.firstTimes(), Array.from({ length: 100 }, (_, k) => 100 * NS + 10 * NS * k), 'each taken up 10 ns after the one before');
  conserved(sim, e);
});

test('on a real link the engine keeps at most `transmitQueue` TLPs waiting for the wire', () => {
  for (const depth of [1, 2, 5]) {
    const sim = new Simulation();
    const e = engine(sim, { transmitQueue: depth });
    const sink = { receive: (tlp: Tlp, from: TlpSender) => from.release(tlp) };
    const link = new Link(sim, { gen: 3, width: 8, mps: 256, propagationPs: 10 * NS }, {}, { receiver: sink });
    e.connect(link.aToB);
    e.submit('write', G4, 256 * KiB);
    let worst = 0;
    sim.run({ stopWhen: () => { worst = Math.max(worst, link.aToB.stats().queued); return false; } });
    assert.is(worst, depth);
    assert.is(e.stats().bytesWritten, 256 * KiB);
    conserved(sim, e);
  }
});

// ---------------------------------------------------------------- descriptor generator

function streamRun(seed: number, extra: Record<string, unknown>) {
  const sim = new Simulation({ seed });
  const ep = endpointFrom(sim, ({
    descriptors: 400, descriptorSize: 1024, windowBase: G4, windowSize: 64 * KiB, outstandingDescriptors: 3, ...extra,
  }), 'ep');
  const fake = new FakeCompleter(sim, ep.dma, 1 * US);
  ep.connect(fake);
  ep.start();
  sim.run();
  conserved(sim, ep.dma);
  return { ep, fake, sim };
}

/** The first TLP of each descriptor: its start address. */
const starts = (tlps: Tlp[]) => {
  const seen = new Set<number>();
  return tlps.filter((t) => !seen.has(t.txn) && seen.add(t.txn)).map((t) => t.addr);
};

test('generator, sequential: walks the window and wraps', () => {
  const { fake, ep } = streamRun(1, { readFraction: 0 });
  const a = starts(fake.received);
  assert.is(a.length, 400);
  a.forEach((addr, i) => assert.is(addr, G4 + (i % 64) * 1024));
  assert.is(ep.dma.stats().bytesWritten, 400 * 1024);
});

test('generator, random: aligned addresses inside the window, the same for the same seed, different for another', () => {
  const extra = { readFraction: 0, addressPattern: 'random', alignment: 4096 };
  const a = starts(streamRun(1, extra).fake.received), b = starts(streamRun(1, extra).fake.received), c = starts(streamRun(2, extra).fake.received);
  assert.equal(a, b);
  assert.not.equal(a, c);
  for (const addr of a) {
    assert.is((addr - G4) % 4096, 0);
    assert.ok(addr >= G4 && addr + 1024 <= G4 + 64 * KiB);
  }
  assert.ok(new Set(a).size === 16, 'every one of the 16 aligned slots is used');
});

test('generator, mix: about readFraction of the descriptors are reads', () => {
  const { ep } = streamRun(3, { readFraction: 0.3 });
  const s = ep.dma.stats();
  const reads = s.bytesRead / 1024, writes = s.bytesWritten / 1024;
  assert.is(reads + writes, 400);
  // Binomial(400, 0.3): mean 120, sd 9.2; ±4 sd.
  assert.ok(reads > 83 && reads < 157, `${reads} reads`);
  assert.is(ep.dma.readLatency.count, reads);
  assert.is(ep.dma.writeLatency.count, writes);
});

test('generator, interleaved mix: descriptor n is a read when floor((n+1)f) > floor(nf), the same under any seed', () => {
  // f = 1/2: write, read, write, ... (pcie-bench's alternating test); f = 1/3: write, write, read, ...
  const opsOf = (seed: number, f: number) => {
    const { fake } = streamRun(seed, { readFraction: f, readMix: 'interleaved' });
    const first = new Map<number, string>();
    for (const t of fake.received) if (!first.has(t.txn)) first.set(t.txn, t.type === 'MRd' ? 'r' : 'w');
    return [...first.keys()].sort((x, y) => x - y).map((k) => first.get(k)).join('');
  };
  assert.is(opsOf(1, 0.5), 'wr'.repeat(200));
  assert.is(opsOf(7, 0.5), 'wr'.repeat(200));
  assert.is(opsOf(1, 1 / 3).slice(0, 12), 'wwrwwrwwrwwr');
  assert.is([...opsOf(1, 1 / 3)].filter((c) => c === 'r').length, 133, 'floor(400 / 3) reads');
});

// ---------------------------------------------------------------- the BAR

test('the BAR serves reads and writes from peers; other requests are unsupported; completion credits are infinite', () => {
  const sim = new Simulation();
  const ep = endpointFrom(sim, ({ barBase: 2 * G4, barSize: '1 MiB', barLatency: '200 ns', barBandwidth: 4, mps: 256 }), 'ep');
  assert.equal(ep.credits.Cpl, { header: 'infinite', data: 'infinite' });
  assert.equal(ep.credits.P, DEFAULT_CREDITS.P);
  assert.equal(ep.routes.ranges, [{ base: 2 * G4, size: 1 << 20 }]);
  const up: { time: number; tlp: Tlp }[] = [];
  ep.connect({ receive: (tlp: Tlp, from: TlpSender) => { up.push({ time: sim.now, tlp }); from.release(tlp); } });
  const released: number[] = [];
  const from = { release: () => released.push(sim.now) };
  const req = (type: 'MRd' | 'MWr', addr: number, len: number) => new Tlp(type, addr, len, tlpBytes(type, addr, len), 0x0300, 7, 11, 0);
  ep.receive(req('MWr', 2 * G4, 256), from);
  ep.receive(req('MRd', 2 * G4 + 256, 512), from);
  ep.receive(req('MRd', G4, 64), from);
  sim.run();
  assert.is(ep.unsupported, 1);
  // 256 B at 4 GB/s = 64 ns; the read starts after it, takes 128 ns, then 200 ns of latency. RCB 128, MPS 256: two CplDs.
  assert.equal(released, [0, 0, 64 * NS]);
  assert.equal(up.map((u) => [u.time, u.tlp.type, u.tlp.addr, u.tlp.length, u.tlp.requester, u.tlp.tag]), [
    [392 * NS, 'CplD', 2 * G4 + 256, 256, 0x0300, 7],
    [392 * NS, 'CplD', 2 * G4 + 512, 256, 0x0300, 7],
  ]);
  assert.is(ep.bar!.stats().bytesWritten, 256);
  assert.is(ep.barPending, 0);
  // The BAR's last bytes are the BAR's; a request that runs past its end is not.
  ep.receive(req('MRd', 2 * G4 + (1 << 20) - 64, 64), from);
  ep.receive(req('MWr', 2 * G4 + (1 << 20) - 64, 64), from);
  ep.receive(req('MRd', 2 * G4 + (1 << 20) - 64, 128), from);
  sim.run();
  assert.is(ep.unsupported, 2);
  assert.equal(up.slice(2).map((u) => [u.tlp.type, u.tlp.addr, u.tlp.length]), [['CplD', 2 * G4 + (1 << 20) - 64, 64]]);
  assert.is(ep.bar!.stats().bytesWritten, 256 + 64);
});

test('parameters: the schemas fill spec defaults and refuse impossible settings', () => {
  const p = dmaEngineParams.parse({});
  assert.is(p.mrrs, 512);
  assert.is(p.tags, 32);
  assert.is(p.completionTimeout, 10_000 * US);
  assert.is(transferSize.parse('256 B'), 256);
  assert.not.ok(transferSize.safeParse(200).success, 'an MPS is a power of two from 128 to 4096');
  assert.not.ok(dmaEngineParams.safeParse({ tags: 1000 }).success);
  // Sizes a cost is divided by: zero would make every write's time NaN.
  for (const field of ['writeBlock', 'dataPathBurst', 'deviceWordBytes']) {
    const r = dmaEngineParams.safeParse({ [field]: 0 });
    assert.ok(!r.success && r.error.issues.some((i) => i.path[0] === field && /positive size/.test(i.message)), field);
    assert.ok(dmaEngineParams.safeParse({ [field]: '512 B' }).success, field);
  }
  assert.throws(() => engine(new Simulation(), { completionBuffer: 256 }), /completion buffer/);
  assert.throws(() => engine(new Simulation()).submit('read', G4, 0), /positive size/);
});

test.run();

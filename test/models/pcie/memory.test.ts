/**
 * Memory and the memory completer, against hand-computed times.
 * 1 GB/s moves one byte per ns (1000 ps per byte).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation } from '../../../src/sim/simulation.js';
import { Tlp, type TlpReceiver, type TlpSender } from '../../../models/pcie/fabric.js';
import { MemoryCompleter, completionModeFor, isCoalescingBlock } from '../../../models/pcie/completer.js';
import { Memory, cacheHitFraction, memoryParams } from '../../../models/pcie/memory.js';
import { SplitCache, paddedBytes } from '../../../models/pcie/split-cache.js';
import { payloadWireBytes, splitCompletions, splitRead, tlpBytes } from '../../../models/pcie/tlp.js';
import { G4 } from './dma-helpers.js';

const mem = (sim: Simulation, extra: Record<string, unknown> = {}) =>
  new Memory(sim, memoryParams.parse({ base: G4, size: '1 MiB', latency: '100 ns', bandwidth: 1, ...extra }));

/** Calls `fn` at time `at` of `sim`. */
function at(sim: Simulation, t: number, fn: () => void): void {
  sim.schedule(t, (f: () => void) => f(), fn);
}

test('an idle read: transfer slot (bytes / bandwidth, rounded up) then the latency; cold and remote add their penalties', () => {
  const sim = new Simulation();
  assert.is(mem(sim).read(G4, 64), 64_000 + 100_000);
  assert.is(mem(sim, { bandwidth: 76.8 }).read(G4, 64), 834 + 100_000, '833.33 ps rounded up');
  assert.is(mem(sim, { cache: 'cold', coldPenalty: '50 ns' }).read(G4, 64), 64_000 + 150_000);
  assert.is(mem(sim, { socket: 'remote', remotePenalty: '100 ns' }).read(G4, 64), 64_000 + 200_000);
  assert.is(mem(sim, { cache: 'cold', coldPenalty: '50 ns', socket: 'remote', remotePenalty: '100 ns' }).read(G4, 64), 64_000 + 250_000);
  assert.is(mem(sim, { coldPenalty: '50 ns' }).read(G4, 64), 64_000 + 100_000, 'a penalty applies only in its state');
});

test('writeCommit: a read of a line a write is still committing waits for the commit, then is served at the warm local latency; other lines and later reads do not wait', () => {
  const sim = new Simulation();
  const penalties = { cache: 'cold', coldPenalty: '50 ns', socket: 'remote', remotePenalty: '100 ns', bandwidth: 64 };
  const m = mem(sim, { ...penalties, writeCommit: '200 ns' });
  // At 64 GB/s a line is 1000 ps of slot: the write is absorbed at 1 ns, committed at 201 ns.
  assert.is(m.write(G4, 64), 1_000);
  assert.is(m.read(G4 + 32, 16), 201_000 + 100_000, 'the same line: after the commit, the warm local 100 ns, no cold or remote penalty');
  assert.is(m.read(G4 + 64, 64), 2_250 + 250_000, 'the next line: an ordinary cold remote read, its slot behind the write\'s and the 16-byte read\'s');
  assert.is(m.stats().readsAfterWrite, 1);
  at(sim, 201_000, () => assert.is(m.read(G4, 64), 201_000 + 1_000 + 250_000, 'once committed, the line is read as any other'));
  sim.run();
  assert.not.ok(m.readsInOrder, 'reads served after a commit finish out of their arrival order');
  assert.ok(mem(sim, penalties).readsInOrder);
});

test('writeCommit over a long run: lines written again and again, thousands of commits forgotten, every read waits for exactly the commit under way on its line', () => {
  // A write every 10 ns to one of 1,500 lines, and a read of another line at the same instant; the reference keeps
  // each line's last commit end. A line is 1 ns of slot at 64 GB/s: the write is absorbed 1 ns after it comes in,
  // the read's slot ends a ns later; its data comes 100 ns after that, or after the commit if that ends later.
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 64, writeCommit: '200 ns' });
  const LINES = 1500, STEP = 10_000, COMMIT = 200_000, SLOT = 1_000, LATENCY = 100_000;
  const committedUntil = new Map<number, number>();
  let waited = 0;
  for (let k = 0; k < 3000; k++) {
    at(sim, k * STEP, () => {
      const t = sim.now, written = k % LINES, read = (7 * k) % LINES;
      m.write(G4 + 64 * written, 64);
      committedUntil.set(written, t + SLOT + COMMIT);
      const commit = committedUntil.get(read) ?? 0;
      if (commit > t) waited++;
      assert.is(m.read(G4 + 64 * read, 64), Math.max(t + 2 * SLOT, commit) + LATENCY, `read of line ${read} at ${t}`);
    });
  }
  sim.run();
  assert.is(m.stats().readsAfterWrite, waited);
  assert.ok(waited > 10, `${waited} reads waited for a commit`);
});

test('writeCommitUntranslated: a write that spent t in translation commits min(t, writeCommitUntranslated) sooner; the commits still end in order; it cannot exceed writeCommit', () => {
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 64, writeCommit: '200 ns', writeCommitUntranslated: '80 ns' });
  // Each 64-byte write holds a 1 ns slot: absorbed at 1, 2, 3 ns.
  assert.is(m.write(G4, 64, 300_000), 1_000, 'a write after a 300 ns walk');
  assert.is(m.read(G4, 64), 1_000 + 200_000 - 80_000 + 100_000, 'its commit ends 80 ns sooner: only 80 ns of it ran during the walk');
  m.write(G4 + 64, 64, 30_000);
  assert.is(m.read(G4 + 64, 64), 3_000 + 200_000 - 30_000 + 100_000, 'a 30 ns translation overlaps 30 ns');
  m.write(G4 + 128, 64);
  assert.is(m.read(G4 + 128, 64), 5_000 + 200_000 + 100_000, 'a write that was not translated commits whole');
  // A write absorbed later whose translation overlapped more than the gap does not end its commit first.
  const o = mem(sim, { bandwidth: 64, writeCommit: '200 ns', writeCommitUntranslated: '80 ns' });
  o.write(G4, 64);
  o.write(G4 + 64, 64, 80_000);
  assert.is(o.read(G4 + 64, 64), 201_000 + 100_000, 'commits end in order: the first one\'s end, 201 ns, not 2 + 200 - 80');
  assert.throws(() => mem(sim, { writeCommit: '100 ns', writeCommitUntranslated: '150 ns' }), /writeCommitUntranslated[\s\S]*part of writeCommit/);
  // Values that were not parsed (a model built in code) meet the same check in the model.
  const parsed = memoryParams.parse({ base: G4, size: '1 MiB', latency: '100 ns', bandwidth: 1, writeCommit: '100 ns' });
  assert.throws(() => new Memory(sim, { ...parsed, writeCommitUntranslated: 150_000 }, 'dram'), /^dram: writeCommitUntranslated: is part of writeCommit/);
});

test('remoteWriteCommit: a write to the other socket\'s memory whose line the device\'s socket\'s cache does not hold commits that much later, all of it after its translation', () => {
  const sim = new Simulation();
  const base = { bandwidth: 64, writeCommit: '200 ns', writeCommitUntranslated: '80 ns', remoteWriteCommit: '100 ns', llcBytes: '1 MiB', llcWays: 16 };
  // Held by no cache (ddioWays 0, a cache of given size): every remote write's commit crosses, with no overlap.
  const far = mem(sim, { ...base, socket: 'remote' });
  far.write(G4, 64, 300_000);
  assert.is(far.read(G4, 64), 1_000 + 200_000 + 100_000 + 100_000, 'the whole commit after the walk, plus remoteWriteCommit');
  assert.is(far.stats().remoteCommits, 1);
  // The same memory on the device's socket: no crossing, the overlap as usual.
  const near = mem(sim, base);
  near.write(G4, 64, 300_000);
  assert.is(near.read(G4, 64), 1_000 + 120_000 + 100_000);
  assert.is(near.stats().remoteCommits, 0);
  // The device's socket's cache warmed by the driver and holding the working set: held, no crossing.
  const warmNear = mem(sim, { ...base, socket: 'remote', cacheSocket: 'local', workingSet: '512 KiB' });
  warmNear.write(G4, 64);
  assert.is(warmNear.read(G4, 64), 1_000 + 200_000 + 100_000);
  // DDIO's 2 of 16 ways of a 1 MiB cache hold 128 KiB of the lines DMA wrote, scattered over its sets as
  // cacheHitFraction says: of a 64 KiB window about 90%, of a 1 MiB window about 12%.
  for (const [window, bytes] of [['64 KiB', 64 * 1024], ['1 MiB', 1024 * 1024]] as const) {
    const m = mem(sim, { ...base, socket: 'remote', ddioWays: 2, workingSet: window });
    for (let k = 0; k < 2000; k++) m.write(G4 + 64 * k, 64);
    const expected = 1 - cacheHitFraction(128 * 1024, bytes, 2), crossed = m.stats().remoteCommits / 2000;
    assert.ok(Math.abs(crossed - expected) < 0.03, `${window}: crosses at 1 - held, ${expected.toFixed(3)}: ${crossed}`);
  }
  assert.throws(() => mem(sim, { ...base, socket: 'remote', ddioWays: 20 }), /ddioWays[\s\S]*are ways of the last-level cache: llcWays must be at least as many \(20\), got 16/);
  // The ways matter only to remote commits: all of the cache's ways, a local memory, or no remote commit pass.
  for (const ok of [{ ...base, socket: 'remote', ddioWays: 16 }, { ...base, ddioWays: 20 }, { ...base, socket: 'remote', remoteWriteCommit: 0, ddioWays: 20 }]) {
    assert.not.throws(() => mem(sim, ok), JSON.stringify(ok));
  }
  // A cache of no given size (llcBytes 0) holds every line: no write crosses, whatever the window.
  const unlimited = mem(sim, { ...base, socket: 'remote', llcBytes: 0, workingSet: '1 MiB' });
  for (let k = 0; k < 100; k++) unlimited.write(G4 + 64 * k, 64);
  assert.is(unlimited.stats().remoteCommits, 0);
});

test('concurrent accesses queue for the bandwidth; the latency is pipelined; rounding does not accumulate', () => {
  const sim = new Simulation();
  const m = mem(sim);
  assert.is(m.read(G4, 1000), 1_000_000 + 100_000);
  assert.is(m.write(G4 + 1000, 1000), 2_000_000, 'a write waits for the read before it, and pays no latency');
  assert.is(m.read(G4 + 2000, 1000), 3_000_000 + 100_000);
  const s = m.stats();
  assert.is(s.queuePs, 1_000_000 + 2_000_000);
  assert.is(s.maxQueuePs, 2_000_000);
  assert.is(s.reads, 2);
  assert.is(s.writes, 1);

  const f = mem(sim, { bandwidth: 76.8 });
  // 64 B = 833.33 ps each: slots end at 833.33, 1666.67, 2500 -> 834, 1667, 2500 (not 834 × k).
  assert.equal([f.read(G4, 64), f.read(G4, 64), f.read(G4, 64)].map((t) => t - 100_000), [834, 1667, 2500]);
});

test('remote reads take turns on the inter-socket link: per request remoteReadInterval plus its bytes at remoteBandwidth', () => {
  // Memory bandwidth 1000 GB/s (64 B in 64 ps), latency 100 ns; link: 16 ns a request, 12.8 GB/s (a 64-byte line in 5 ns).
  const link = { bandwidth: 1000, remoteReadInterval: '16 ns', remoteBandwidth: 12.8 };
  const sim = new Simulation();
  const remote = mem(sim, { ...link, socket: 'remote', remotePenalty: '100 ns' });
  const local = mem(sim, link);
  const lat = 200_000; // latency + remote penalty
  assert.is(remote.read(G4, 64), 64 + lat, 'the first read goes at once');
  // The second waits for the first's request and line (21 ns); 100 bytes from offset 32, three lines in part, hold the link 16 + 7.8125 ns, not 16 + 15.
  assert.is(remote.read(G4 + 32, 100), Math.ceil(21_000 + 100 * 1) + lat);
  assert.is(remote.read(G4, 16), Math.ceil(21_000 + 23_812.5 + 16) + lat, 'the third waits for the second\'s bytes, not its three lines');
  // The link does not delay writes, and a local memory ignores it.
  assert.is(remote.write(G4, 64), Math.ceil(21_000 + 23_812.5 + 16 + 64), 'a write queues only behind the bandwidth slots');
  assert.is(local.read(G4, 64), 64 + 100_000);
  assert.is(local.read(G4, 64), 128 + 100_000);
});

test('a stream of writes is absorbed at the bandwidth; utilization counts busy time only', () => {
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 4 });
  // 256 writes of 256 B at 4 GB/s = 64 ns each, all arriving at time 0.
  let last = 0;
  for (let i = 0; i < 256; i++) last = m.write(G4 + 256 * i, 256);
  assert.is(last, 256 * 64_000);
  sim.run({ until: 2 * last });
  const s = m.stats();
  assert.is(s.bytesWritten, 65_536);
  assert.ok(Math.abs(s.utilization - 0.5) < 1e-12, `${s.utilization}`);
});

test('statistics: none before any access; busy time only up to now; the waits, their largest and their mean per access', () => {
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 4 });
  assert.equal(
    [m.stats().firstAccessAt, m.stats().lastWriteDoneAt, m.stats().maxQueuePs, m.stats().refreshStallPs, m.stats().utilization, m.stats().busyPs],
    [-1, -1, 0, 0, 0, 0], 'an untouched memory');
  assert.is(m.metrics().mean_queue_ns, null, 'no access, no mean');
  at(sim, 10_000, () => {
    // Three 256-byte writes at once, 64 ns of slot each: they wait 0, 64 and 128 ns.
    for (let i = 0; i < 3; i++) m.write(G4 + 256 * i, 256);
  });
  sim.run({ until: 42_000 });
  const mid = m.stats();
  assert.equal([mid.firstAccessAt, mid.busyPs, mid.transferPs], [10_000, 32_000, 192_000], '32 ns of the first slot have passed; all three are booked');
  assert.ok(Math.abs(mid.utilization - 32 / 42) < 1e-12);
  sim.run({ until: 300_000 });
  const s = m.stats();
  assert.equal([s.queuePs, s.maxQueuePs, s.lastWriteDoneAt, s.busyPs], [192_000, 128_000, 202_000, 192_000]);
  assert.is(m.metrics().mean_queue_ns, 64, '192 ns of waits over three accesses');
  // Utilization is over the memory's own life: one made at 300 ns and busy for 64 of its first 128 ns is half used.
  const late = mem(sim, { bandwidth: 4 });
  late.write(G4, 256);
  sim.run({ until: 428_000 });
  assert.is(late.stats().utilization, 0.5);
});

test('writeCommit: a read served from a committing write counts as a read; a line written twice waits for the later commit, after the earlier one has ended', () => {
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 64, writeCommit: '200 ns' });
  m.write(G4, 64);
  at(sim, 100_000, () => m.write(G4, 64));
  // At 250 ns the first commit (1 + 200 ns) is over, the second (101 + 200) is not.
  at(sim, 250_000, () => assert.is(m.read(G4, 32), 301_000 + 100_000, 'waits for the second write\'s commit'));
  sim.run();
  const st = m.stats();
  assert.equal([st.reads, st.bytesRead, st.readsAfterWrite], [1, 32, 1]);
});

test('refresh: the time reads wait on refreshes is the sum of their stalls; a partial reach of a remote buffer misses by the cold penalty alone', () => {
  const sim = new Simulation({ seed: 2 });
  const m = mem(sim, { bandwidth: 1000, cache: 'cold', refreshInterval: '2 us', refreshTime: '500 ns' });
  let stalls = 0;
  for (let i = 0; i < 2000; i++) at(sim, i * 700_000, () => { stalls += m.read(G4, 64) - sim.now - 100_064; });
  sim.run();
  assert.ok(stalls > 0);
  assert.is(m.stats().refreshStallPs, stalls);
  // Remote memory the warm cache serves ('all'): a hit pays the remote penalty, a miss the cold one on top.
  const remote = unloadedReads({ socket: 'remote', remotePenalty: '100 ns', coldPenalty: '50 ns', cachedReads: 'all', llcBytes: '15 MiB', workingSet: '64 MiB' }, 400);
  assert.equal([...new Set(remote)].sort(), [200_064, 250_064]);
});

test('an access outside the range is a routing bug', () => {
  const sim = new Simulation();
  const m = mem(sim);
  assert.throws(() => m.read(G4 - 4, 8), /model bug/);
  assert.throws(() => m.write(G4 + (1 << 20) - 4, 8), /model bug/);
});

test('SplitCache gives the same pieces as the split function, relative to the start', () => {
  const cache = new SplitCache((a, n) => splitRead(a, n, 512));
  for (const [addr, len] of [[G4 + 100, 3000], [7 * 4096 + 4, 4092], [G4 + 8192, 4096], [12, 1]] as const) {
    const p = cache.get(addr, len);
    const want = splitRead(addr, len, 512);
    assert.is(p.count, want.length);
    for (let k = 0; k < p.count; k++) {
      assert.is(addr + p.offset[k]!, want[k]!.addr);
      assert.is(p.length[k], want[k]!.length);
      assert.is(p.bytes[k], want[k]!.tlpBytes);
    }
  }
  assert.throws(() => cache.get(4000, 200), /4 KiB/);
  for (const [a, n] of [[0, 0], [1, 1], [3, 6], [G4 + 2, 4095]]) assert.is(paddedBytes(a!, n!), payloadWireBytes(a!, n!));
});

test('SplitCache keeps every shape apart: offsets across a page, above and below 4 GiB, and lengths, asked in turn and again', () => {
  const split = (a: number, n: number) => splitCompletions(a, n, 256, 64, 'rcb');
  const cache = new SplitCache(split);
  const shapes: [number, number][] = [];
  for (const base of [0x10000, G4 + 0x10000]) {
    for (let offset = 0; offset < 4096; offset += 60) {
      for (const length of [1, 4, 61, 64, 65, 128, 200, 512]) if (offset + length <= 4096) shapes.push([base + offset, length]);
    }
  }
  // Twice, the second time in another order: the first pass fills the cache, the second reads it back.
  for (const [addr, length] of [...shapes, ...shapes.map((_, i) => shapes[(i * 7919) % shapes.length]!)]) {
    const p = cache.get(addr, length), want = split(addr, length);
    const got = Array.from({ length: p.count }, (_, k) => [addr + p.offset[k]!, p.length[k], p.bytes[k]]);
    assert.equal(got, want.map((w) => [w.addr, w.length, w.tlpBytes]), `${length} B at 0x${addr.toString(16)}`);
  }
});

test('coalescing: only a request over its whole aligned block, first RCB block to last, is cut in MPS-sized pieces; a block is a power of two from the RCB to 4 KiB', () => {
  const cfg = { completionMode: 'rcb' as const, coalesceAbove: 256, coalesceBlock: 512, rcb: 64 };
  assert.is(completionModeFor(cfg, 512, 0x1000), 'mps', 'the whole block');
  assert.is(completionModeFor(cfg, 449, 0x1000 + 63), 'mps', 'from inside its first RCB block to inside its last');
  assert.is(completionModeFor(cfg, 448, 0x1000 + 64), 'rcb', 'starting in its second RCB block');
  assert.is(completionModeFor(cfg, 448, 0x1000), 'rcb', 'ending before its last RCB block');
  assert.is(completionModeFor(cfg, 449, 0x1000), 'mps', 'ending one byte into its last RCB block');
  assert.is(completionModeFor(cfg, 256, 0x1000), 'rcb', 'not above coalesceAbove');
  assert.is(completionModeFor({ ...cfg, coalesceBlock: undefined }, 300, 0x1000 + 64), 'mps', 'no block: every request past coalesceAbove');
  for (const [block, ok] of [[64, true], [128, true], [4096, true], [32, false], [8192, false], [96, false], [64.5, false]] as const) {
    assert.is(isCoalescingBlock(block, 64), ok, `${block}`);
  }
  assert.not.ok(isCoalescingBlock(64, 128), 'below the RCB');
});

// ---------------------------------------------------------------- the completer

class Capture implements TlpReceiver {
  readonly got: { time: number; tlp: Tlp }[] = [];
  constructor(private readonly sim: Simulation) {}
  receive(tlp: Tlp, from: TlpSender): void {
    this.got.push({ time: this.sim.now, tlp });
    from.release(tlp);
  }
}

class ReleaseLog implements TlpSender {
  readonly times: number[] = [];
  constructor(private readonly sim: Simulation) {}
  release(): void {
    this.times.push(this.sim.now);
  }
}

const mrd = (addr: number, len: number, tag: number, txn: number) => new Tlp('MRd', addr, len, tlpBytes('MRd', addr, len), 0x0100, tag, txn, 0);
const mwr = (addr: number, len: number) => new Tlp('MWr', addr, len, tlpBytes('MWr', addr, len), 0x0100, 0, 9, 0);

test('the completer answers a read with the CplDs of splitCompletions, in order, echoing requester, tag and transaction', () => {
  for (const mode of ['mps', 'rcb'] as const) {
    const sim = new Simulation();
    const m = mem(sim, { bandwidth: 10 });
    const out = new Capture(sim);
    const c = new MemoryCompleter(sim, m, { mps: 256, rcb: 64, completionMode: mode, ecrc: false }).connect(out);
    const addr = G4 + 4096 + 36, len = 1000; // unaligned start and end
    const log = new ReleaseLog(sim);
    c.receive(mrd(addr, len, 5, 42), log);
    sim.run();
    const want = splitCompletions(addr, len, 256, 64, mode);
    assert.is(out.got.length, want.length);
    const ready = Math.ceil(len * 100) + 100_000; // 1000 B at 10 GB/s = 100 ns
    let remaining = len;
    out.got.forEach(({ time, tlp }, k) => {
      assert.is(time, ready);
      assert.is(tlp.type, 'CplD');
      assert.is(tlp.addr, want[k]!.addr);
      assert.is(tlp.length, want[k]!.length);
      assert.is(tlp.bytes, want[k]!.tlpBytes);
      assert.is(tlp.byteCount, remaining);
      assert.is(tlp.requester, 0x0100);
      assert.is(tlp.tag, 5);
      assert.is(tlp.txn, 42);
      remaining -= tlp.length;
    });
    assert.is(remaining, 0);
    assert.equal(log.times, [0], 'the idle memory starts at once, so the request is released at once');
    assert.is(c.completionsSent, want.length);
    assert.is(c.completionsReleased, want.length);
    assert.is(c.pending, 0);
  }
});

test('a request holds its sender\'s buffer until the memory starts on it', () => {
  const sim = new Simulation();
  const m = mem(sim); // 1 GB/s: 256 B take 256 ns
  const c = new MemoryCompleter(sim, m, { mps: 256, rcb: 128, completionMode: 'mps', ecrc: false }).connect(new Capture(sim));
  const log = new ReleaseLog(sim);
  at(sim, 0, () => { c.receive(mwr(G4, 256), log); c.receive(mwr(G4 + 256, 256), log); c.receive(mrd(G4 + 512, 256, 0, 1), log); });
  at(sim, 1000_000, () => c.receive(mwr(G4, 256), log));
  sim.run();
  assert.equal(log.times, [0, 256_000, 512_000, 1000_000]);
  assert.is(m.stats().bytesWritten, 768);
  assert.is(c.pending, 0);
});

test('writeAccess: writes take the write path one at a time, a new address for writeAccess, one continuing the last write for writeContinued; a write holds its sender\'s buffer until the path takes it', () => {
  const sim = new Simulation();
  const m = mem(sim, { bandwidth: 1000, writeAccess: '40 ns', writeContinued: '25 ns' }); // 1000 GB/s: the slots are a few ps
  const c = new MemoryCompleter(sim, m, { mps: 128, rcb: 64, completionMode: 'mps', ecrc: false }).connect(new Capture(sim));
  const log = new ReleaseLog(sim);
  // Three writes at once: a new address, one continuing it, one elsewhere; then one after the path has gone idle.
  at(sim, 0, () => { c.receive(mwr(G4, 128), log); c.receive(mwr(G4 + 128, 128), log); c.receive(mwr(G4 + 4096, 64), log); });
  at(sim, 500_000, () => c.receive(mwr(G4 + 4096 + 64, 64), log));
  sim.run();
  assert.equal(log.times, [0, 40_000, 65_000, 500_000], 'taken at 0, after 40 ns (new), after 25 ns more (continued); the late one continues the third at once');
  const plain = mem(new Simulation(), { bandwidth: 1000 });
  assert.is(plain.write(G4, 128), plain.write(G4 + 128, 128) - 128, 'without it, writes take only their bandwidth slots');
});

test('readAccessPerLine: where the DRAM serves every read, reads take the write path a line at a time, in turn with the writes; reads the cache serves do not', () => {
  const path = { bandwidth: 1000, writeAccess: '40 ns', readAccessPerLine: '10 ns' };
  const sim = new Simulation();
  const m = mem(sim, { ...path, cachedReads: 'none' });
  m.write(G4, 64); // holds the path for 40 ns
  const read = m.read(G4 + 4096, 128); // two lines: waits for the write, holds 20 ns
  m.write(G4 + 8192, 64); // waits for the read
  assert.is(m.lastStart, 60_000, 'the second write starts after the write (40 ns) and the read\'s two lines (20 ns)');
  assert.is(read, 40_000 + 128 + 100_000, 'the read\'s slot starts when the path takes it, then its latency');
  const cached = mem(new Simulation(), path); // warm, cachedReads all: the cache serves reads
  cached.write(G4, 64);
  cached.read(G4 + 4096, 128);
  cached.write(G4 + 8192, 64);
  assert.is(cached.lastStart, 40_000, 'a read the cache serves leaves the path to the writes');
});

test('cachedReads: which warm reads the DRAM serves (and pays coldPenalty for): local ones never with "all", remote ones with "local", every one with "none"', () => {
  const sim = new Simulation();
  const p = { coldPenalty: '50 ns', remotePenalty: '40 ns' };
  const read = (extra: Record<string, unknown>) => mem(sim, { ...p, ...extra }).read(G4, 64) - 64_000;
  assert.is(read({ socket: 'remote' }), 140_000, 'all: a warm remote read hits the cache');
  assert.is(read({ socket: 'remote', cachedReads: 'local' }), 190_000, 'local: a remote read is served from memory');
  assert.is(read({ socket: 'remote', cachedReads: 'local', cache: 'cold' }), read({ socket: 'remote', cachedReads: 'local' }), 'local: a remote read costs the same warm or cold');
  assert.is(read({ cachedReads: 'local' }), 100_000, 'local: a local warm read still hits');
  assert.is(read({ cachedReads: 'none' }), 150_000, 'none: every read goes to memory');
  assert.is(read({ cachedReads: 'none', cache: 'cold' }), 150_000);
  // cacheSocket: where the driver left the warm data. On the device's socket it hits even in remote memory;
  // on the other socket a local-memory read is served from memory and snoops across (one crossing).
  assert.is(read({ socket: 'remote', cachedReads: 'local', cacheSocket: 'local' }), 100_000);
  assert.is(read({ cachedReads: 'local', cacheSocket: 'remote' }), 190_000, 'snoopPenalty unset: the snoop costs remotePenalty');
  assert.is(read({ cachedReads: 'local', cacheSocket: 'remote', snoopPenalty: '25 ns' }), 175_000, 'a snoop costs snoopPenalty on top of the memory read');
  assert.is(read({ socket: 'remote', cachedReads: 'local', snoopPenalty: '25 ns' }), 190_000, 'remote memory: remotePenalty, not snoopPenalty');
  assert.is(read({ cachedReads: 'local', cacheSocket: 'remote', cache: 'cold' }), 150_000, 'cold: local memory, no snoop');
  // Only reads that cross take turns on the inter-socket link (16 ns a request here).
  const link = { bandwidth: 1000, remoteReadInterval: '16 ns', cachedReads: 'local' };
  const gap = (extra: Record<string, unknown>) => { const m = mem(sim, { ...link, ...extra }); const a = m.read(G4, 64); return m.read(G4, 64) - a; };
  assert.is(gap({ socket: 'remote', cacheSocket: 'local' }), 64, 'remote memory cached on the device\'s socket: no link, one 64 ps slot apart');
  assert.is(gap({ socket: 'remote' }), 16_000, 'remote memory: the link spaces reads');
  assert.is(gap({ cacheSocket: 'remote' }), 16_000, 'local memory cached on the other socket: its lines come across the link');
  // The link holds a read for its request and each of its lines, remote memory's or a snoop's alike.
  const lines = { ...link, remoteBandwidth: 6.4 }; // 10 ns a 64-byte line
  const gap128 = (extra: Record<string, unknown>) => { const m = mem(sim, { ...lines, ...extra }); const a = m.read(G4, 128); return m.read(G4, 128) - a; };
  assert.is(gap128({ socket: 'remote' }), 36_000, 'remote memory: the request and its two lines');
  assert.is(gap128({ cacheSocket: 'remote', snoopPenalty: '25 ns' }), 36_000, 'a snoop: the same turn, whatever its penalty');
  assert.is(gap({}), 64, 'local memory, local cache: no link');
});

/** Latencies (ps) of `n` unloaded reads one `gap` apart on a memory with `extra`, each after the last one's data. */
function unloadedReads(extra: Record<string, unknown>, n: number, gap = 600_000, seed = 1): number[] {
  const sim = new Simulation({ seed });
  const m = mem(sim, { bandwidth: 1000, ...extra });
  const lat: number[] = [];
  const next = (): void => {
    const done = m.read(G4, 64);
    lat.push(done - sim.now);
    if (lat.length < n) at(sim, done - sim.now + gap, next);
  };
  at(sim, 0, next);
  sim.run();
  return lat;
}

test('refresh: a DRAM read meets one with probability tRFC / tREFI and waits a uniform part of tRFC; warm cache hits never wait', () => {
  const refresh = { refreshInterval: '7.8 us', refreshTime: '350 ns' };
  const base = 100_064;
  const cold = unloadedReads({ ...refresh, cache: 'cold' }, 20_000).map((l) => l - base);
  const stalled = cold.filter((w) => w > 0);
  // 350 / 7800 = 4.5% of reads; binomial sd over 20 000 reads is 0.15 points.
  assert.ok(Math.abs(stalled.length / cold.length - 350 / 7800) < 0.006, `stalled fraction ${stalled.length / cold.length}`);
  assert.ok(Math.max(...stalled) <= 350_000, 'no read waits longer than tRFC');
  const mean = stalled.reduce((a, b) => a + b, 0) / stalled.length;
  assert.ok(Math.abs(mean - 175_000) < 15_000, `mean wait ${mean} ps is half of tRFC`);
  assert.ok(unloadedReads({ ...refresh }, 2000).every((l) => l === base), 'warm local reads hit the cache: no refresh');
  assert.ok(unloadedReads({ ...refresh, socket: 'remote', cachedReads: 'local' }, 5000).some((l) => l > base), 'remote reads served from memory meet refreshes');
});

test('refresh: off unless both times are set, deterministic per seed; with ranks, a refresh holds up only its own rank\'s reads', () => {
  const plain = unloadedReads({ cache: 'cold' }, 500);
  assert.equal(unloadedReads({ cache: 'cold', refreshInterval: '7.8 us' }, 500), plain);
  assert.equal(unloadedReads({ cache: 'cold', refreshTime: '350 ns' }, 500), plain);
  const on = { cache: 'cold', refreshInterval: '7.8 us', refreshTime: '350 ns' };
  assert.equal(unloadedReads(on, 2000, 600_000, 7), unloadedReads(on, 2000, 600_000, 7));
  assert.not.equal(unloadedReads(on, 2000, 600_000, 7), unloadedReads(on, 2000, 600_000, 8));
  // Unloaded, the share of reads that stall does not depend on how many ranks take turns.
  const share = (ranks: number) => unloadedReads({ ...on, refreshRanks: ranks }, 20_000).filter((l) => l > 100_064).length / 20_000;
  assert.ok(Math.abs(share(8) - share(1)) < 0.008, `${share(8)} vs ${share(1)}`);
  // Loaded: reads 10 ns apart over 64 lines. Each rank stalls the same share of its reads, but with one rank all reads
  // arriving in a refresh stall together (35 in a row for 350 ns), with eight only those of the refreshing rank.
  const longestStalledRun = (ranks: number) => {
    const sim = new Simulation({ seed: 3 });
    const m = mem(sim, { ...on, bandwidth: 1000, refreshRanks: ranks });
    let run = 0, longest = 0;
    for (let i = 0; i < 20_000; i++) {
      at(sim, i * 10_000, () => {
        run = m.read(G4 + (i % 64) * 64, 64) - sim.now > 100_064 ? run + 1 : 0;
        longest = Math.max(longest, run);
      });
    }
    sim.run();
    return longest;
  };
  assert.ok(longestStalledRun(1) >= 30, `one rank: ${longestStalledRun(1)} reads in a row`);
  const eight = longestStalledRun(8);
  assert.ok(eight >= 1 && eight <= 3, `eight ranks: ${eight} in a row (consecutive reads are in different ranks, whose refreshes rarely overlap)`);
  assert.throws(() => mem(new Simulation(), { refreshInterval: '300 ns', refreshTime: '350 ns' }), /refreshTime[\s\S]*shorter than refreshInterval/);
  assert.throws(() => mem(new Simulation(), { refreshInterval: '300 ns', refreshTime: '300 ns' }), /refreshTime[\s\S]*shorter than refreshInterval/, 'equal is not shorter');
});

/** Median of `xs`: the upper of the two middle values, as a measured median of quantised latencies reads. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('the warm cache\'s reach: reads hit with probability llcBytes / workingSet, a miss pays coldPenalty; the median steps where hits fall below one half', () => {
  const llc = { coldPenalty: '50 ns', llcBytes: '15 MiB' };
  const warm = 100_064, cold = 150_064;
  const missShare = (workingSet: string) => unloadedReads({ ...llc, workingSet }, 20_000).filter((l) => l === cold).length / 20_000;
  // 15 / 32 MiB hit: 53% miss; 15 / 64: 77%; binomial sd over 20 000 reads is 0.4 points.
  assert.ok(Math.abs(missShare('32 MiB') - 17 / 32) < 0.015, `32 MiB: ${missShare('32 MiB')} missed`);
  assert.ok(Math.abs(missShare('64 MiB') - 49 / 64) < 0.015, `64 MiB: ${missShare('64 MiB')} missed`);
  assert.ok(unloadedReads({ ...llc, workingSet: '64 MiB' }, 2000).every((l) => l === warm || l === cold), 'a read hits or pays the whole penalty');
  // The median of the unloaded latency stays warm while most reads hit (16 MiB: 94%), is cold once most miss (32 MiB: 47% hit).
  assert.is(median(unloadedReads({ ...llc, workingSet: '16 MiB' }, 2000)), warm);
  assert.is(median(unloadedReads({ ...llc, workingSet: '32 MiB' }, 2000)), cold);
  // Within the cache, unset, or a cache that serves no read: every read as before, and no draws (reads stay in order).
  for (const extra of [{ workingSet: '15 MiB' }, { workingSet: '8 KiB' }, { llcBytes: 0, workingSet: '64 MiB' }, { llcBytes: '15 MiB' }]) {
    const m = mem(new Simulation(), { ...llc, ...extra });
    assert.is(m.hitFraction, 1, JSON.stringify(extra));
    assert.is(m.readsInOrder, true);
    assert.ok(unloadedReads({ ...llc, ...extra }, 200).every((l) => l === warm), JSON.stringify(extra));
  }
  assert.ok(unloadedReads({ ...llc, workingSet: '64 MiB', cache: 'cold' }, 200).every((l) => l === cold), 'a cold cache misses every read, no more');
  assert.ok(unloadedReads({ ...llc, workingSet: '64 MiB', cachedReads: 'none' }, 200).every((l) => l === cold), 'without DDIO every read is the DRAM\'s');
  // Past the reach reads finish out of order (a miss behind a hit), and the draws are the seed's.
  assert.is(mem(new Simulation(), { ...llc, workingSet: '64 MiB' }).readsInOrder, false);
  assert.equal(unloadedReads({ ...llc, workingSet: '64 MiB' }, 500, 600_000, 4), unloadedReads({ ...llc, workingSet: '64 MiB' }, 500, 600_000, 4));
  assert.not.equal(unloadedReads({ ...llc, workingSet: '64 MiB' }, 500, 600_000, 4), unloadedReads({ ...llc, workingSet: '64 MiB' }, 500, 600_000, 5));
  // Misses are DRAM reads: they meet refreshes; hits never do.
  const refreshed = unloadedReads({ ...llc, workingSet: '64 MiB', refreshInterval: '2 us', refreshTime: '500 ns' }, 5000);
  assert.ok(refreshed.some((l) => l > cold), 'some misses wait for a refresh');
  assert.ok(refreshed.every((l) => l === warm || l >= cold), 'no hit waits');
  const m = mem(new Simulation(), { ...llc, workingSet: '30 MiB' });
  for (let i = 0; i < 1000; i++) m.read(G4, 64);
  assert.is(m.stats().llcMissPs, m.stats().llcMisses * 50_000, 'the time misses add is counted');
});

test('a set-associative cache holds less of a working set near its size than its bytes say; fully associative as before', () => {
  const MiB = 1024 * 1024;
  assert.is(cacheHitFraction(15 * MiB, 32 * MiB, 0), 15 / 32);
  assert.is(cacheHitFraction(15 * MiB, 8 * MiB, 0), 1);
  assert.is(cacheHitFraction(0, 64 * MiB, 20), 1, 'no cache size: no limit');
  // 16 MiB over 15 MiB of 20 ways: λ = 21.3 lines a set, E[min(X, 20)] / λ = 0.88 (Poisson, summed by hand: 18.76 / 21.33).
  const near = cacheHitFraction(15 * MiB, 16 * MiB, 20);
  assert.ok(Math.abs(near - 0.88) < 0.005, `16 MiB: ${near}`);
  // Far past the cache the sets are all full: the fraction tends to the bytes' ratio; well inside, to 1.
  assert.ok(Math.abs(cacheHitFraction(15 * MiB, 256 * MiB, 20) - 15 / 256) < 1e-3);
  assert.ok(cacheHitFraction(15 * MiB, 4 * MiB, 20) > 0.99999);
  // More ways: closer to the bytes' ratio; and never more than it past the cache.
  assert.ok(cacheHitFraction(15 * MiB, 16 * MiB, 64) > near);
  for (const w of [16, 20, 32, 48, 64]) assert.ok(cacheHitFraction(15 * MiB, w * MiB, 20) <= Math.min(1, 15 / w) + 1e-12, `${w} MiB`);
  // The memory draws at that fraction: 12% of unloaded reads miss at 16 MiB (sd 0.2 points over 20 000 reads).
  const share = unloadedReads({ coldPenalty: '50 ns', llcBytes: '15 MiB', llcWays: 20, workingSet: '16 MiB' }, 20_000).filter((l) => l > 100_064).length / 20_000;
  assert.ok(Math.abs(share - (1 - near)) < 0.01, `${share} missed`);
});

/** Done times of `n` reads arriving `gap` ps apart (loaded: many in flight), each at its own line. */
function loadedReads(extra: Record<string, unknown>, n: number, gap = 10_000, seed = 1): { at: number; done: number }[] {
  const sim = new Simulation({ seed });
  const m = mem(sim, { bandwidth: 1000, ...extra });
  const out: { at: number; done: number }[] = [];
  for (let i = 0; i < n; i++) at(sim, i * gap, () => out.push({ at: sim.now, done: m.read(G4 + (i % 1024) * 64, 64) }));
  sim.run();
  return out;
}

test('hitsInRequestOrder: under load a hit waits for the misses before it; one read at a time nothing changes', () => {
  const llc = { coldPenalty: '50 ns', llcBytes: '15 MiB', workingSet: '30 MiB' };
  const free = loadedReads(llc, 2000), ordered = loadedReads({ ...llc, hitsInRequestOrder: true }, 2000);
  const overtakes = (r: { done: number }[]) => r.filter((x, i) => i > 0 && x.done < r[i - 1]!.done).length;
  assert.ok(overtakes(free) > 100, `without it hits overtake misses: ${overtakes(free)}`);
  assert.is(overtakes(ordered), 0, 'in request order');
  const mean = (r: { at: number; done: number }[]) => r.reduce((a, x) => a + x.done - x.at, 0) / r.length;
  // Half the reads miss (50 ns more); a hit right behind a miss waits up to 40 ns of it (reads 10 ns apart).
  assert.ok(mean(ordered) > mean(free) + 5_000, `mean ${mean(ordered)} vs ${mean(free)} ps`);
  // The same draws: a read that missed without the order misses with it (no hit is made a miss or back).
  assert.equal(ordered.map((x, i) => x.done >= free[i]!.done), ordered.map(() => true));
  // One at a time (unloaded): as without it.
  assert.equal(unloadedReads({ ...llc, hitsInRequestOrder: true }, 500), unloadedReads(llc, 500));
  // Within the cache every read hits: no draws, reads in order as before.
  assert.is(mem(new Simulation(), { ...llc, workingSet: '8 MiB', hitsInRequestOrder: true }).readsInOrder, true);
});

test('dramQueuePerRead: a read served from memory pays it for each such read still in flight; unloaded and cached reads pay nothing', () => {
  const cold = { cache: 'cold', coldPenalty: '50 ns' };
  const q = { ...cold, dramQueuePerRead: '2 ns' };
  assert.equal(unloadedReads(q, 200), unloadedReads(cold, 200), 'one at a time: no queue');
  // Reads 10 ns apart with 150 ns latency: about 15 in flight, more as the queue lengthens them (L = 150 + 2 L / 10: 188 ns, 18 in flight).
  const base = loadedReads(cold, 400), queued = loadedReads(q, 400);
  const lat = (r: { at: number; done: number }[], i: number) => r[i]!.done - r[i]!.at;
  assert.is(lat(queued, 0), lat(base, 0), 'the first read finds none in flight');
  // In steady state a read finds the k reads before it whose data is not ready: k × 2 ns more.
  const extra = lat(queued, 399) - lat(base, 399);
  assert.ok(extra >= 20_000 && extra <= 40_000 && extra % 2_000 === 0, `steady extra ${extra} ps`);
  assert.is(mem(new Simulation(), q).readsInOrder, false, 'queueing done times may fall out of order');
  // Warm hits are not memory's reads: no queue.
  assert.equal(loadedReads({ dramQueuePerRead: '2 ns' }, 100), loadedReads({}, 100));
});

test('the completer answers every read of a memory that finishes them out of order (refresh), each with its own completions', () => {
  const sim = new Simulation({ seed: 5 });
  const m = mem(sim, { bandwidth: 1000, cache: 'cold', refreshInterval: '2 us', refreshTime: '500 ns', refreshRanks: 4 });
  assert.is(m.readsInOrder, false);
  const c = new MemoryCompleter(sim, m, { mps: 256, rcb: 64, completionMode: 'rcb', ecrc: false });
  const got: Tlp[] = [];
  c.connect({ receive: (t: Tlp) => { got.push(t); } } as unknown as TlpReceiver);
  const from = { release: () => {} } as unknown as TlpSender;
  const n = 400;
  for (let i = 0; i < n; i++) at(sim, i * 20_000, () => c.receive(new Tlp('MRd', G4 + (i % 16) * 64, 64, tlpBytes('MRd', G4, 64), 0x0100, i % 256, i, 0), from));
  sim.run();
  assert.is(c.pending, 0);
  assert.is(got.length, n);
  assert.equal(got.map((t) => t.txn).sort((a, b) => a - b), [...Array(n).keys()]);
  assert.ok(got.some((t, k) => k > 0 && t.txn < got[k - 1]!.txn), 'some reads overtook one held by a refresh');
});

test.run();

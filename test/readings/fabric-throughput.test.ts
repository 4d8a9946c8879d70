/**
 * The PCIe studies' throughput figures against the link bound written from
 * the spec's byte counts (spec-link.ts), not the model's closed form:
 * dma-bandwidth's writes and its sawtooth, switch-fanin's total, shares and
 * Jain index, the P2P path below a switch and the APU's writes through the
 * BAR or redirected to its carve-out.
 *
 * Tolerance: a run is measured from its start to its last transfer, so its
 * ends count against it (the first descriptor's issue latency, the first
 * round trip) or for it (a posted write is done for the writer when it
 * leaves, the last credits' worth still on its way). A single stream's
 * ends are the first descriptor's issue latency (170 ns) and a round trip
 * (about 1 µs); its run is at least 400 µs: 0.5 % covers them. Four writers
 * behind a switch each finish with their last credits' worth still in the
 * switch's buffers (a few µs of the uplink's time in a run of 0.7 to 1.4 ms): 1 %.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FRAMING, GB, HEADER, linkBound, tlpWireRate } from './spec-link.js';
import { near, runStudy } from './study.js';

const RUN_ENDS = 0.005, FOUR_WRITERS_ENDS = 0.01;

test('dma-bandwidth: 64 KiB writes run at the link bound, Gen3 to Gen5 (256-byte MWr with a 4 DW header: the buffer is above 4 GiB)', () => {
  for (const gen of [3, 5] as const) {
    const { m } = runStudy('dma-bandwidth', { op: 'write', size: 65536, gen });
    // Gen3 x8: 7.877 GB/s × (1 − 1/375 − 2 × 1,015.6 ps / 203 ns) × 256/280 = 7.11 GB/s; Gen5 four times that.
    near(m['dma.throughput_gbytes_per_s'], linkBound(gen, 8, 256, HEADER.mem64) / GB, RUN_ENDS, `Gen${gen} x8 writes`);
  }
});

test('dma-bandwidth\'s sawtooth: 4 bytes past MPS cost a whole TLP (a 256-byte and a 4-byte MWr, 308 bytes on the wire for 260)', () => {
  // Enough transfers for a run of 400 µs.
  const { m } = runStudy('dma-bandwidth', { op: 'write', size: 260, transfers: 10_000 });
  assert.is(m['link0.up_tlps'], 2 * 10_000);
  const expected = tlpWireRate(3, 8) * 260 / ((256 + HEADER.mem64 + FRAMING) + (4 + HEADER.mem64 + FRAMING));
  near(m['dma.throughput_gbytes_per_s'], expected / GB, RUN_ENDS, '260-byte writes');
  assert.ok(m['dma.throughput_gbytes_per_s'] < 0.95 * linkBound(3, 8, 256, HEADER.mem64) / GB, 'below the 256-byte bound by the extra TLP');
});

test('switch-fanin, x4 uplink: four writers share the uplink\'s bound equally (round robin): Jain index 1, each a quarter', () => {
  const { m } = runStudy('switch-fanin', { upstreamWidth: 4, op: 'write' });
  // 4 KiB writes above 4 GiB: 256-byte MWr with 4 DW headers. Gen3 x4: 3.94 GB/s × 0.978 × 256/280 = 3.52 GB/s.
  const bound = linkBound(3, 4, 256, HEADER.mem64) / GB;
  near(m.total_gbytes_per_s, bound, FOUR_WRITERS_ENDS, 'total');
  near(m.min_share_gbytes_per_s, bound / 4, FOUR_WRITERS_ENDS, 'smallest share');
  assert.ok(m['uplink.up_utilization'] > 1 - FOUR_WRITERS_ENDS, `uplink busy ${m['uplink.up_utilization']}`);
  // Round robin: the shares differ by at most one TLP of 4,800 per endpoint (300 transfers of 16), ε ≤ 1/4800, and 1 − J ≤ ε².
  assert.ok(m.jain_index <= 1 && m.jain_index >= 1 - (1 / 4800) ** 2, `Jain index ${m.jain_index}`);
});

test('switch-fanin, x8 uplink, reads: completions of 256 bytes with a 3 DW header fill the uplink\'s down direction', () => {
  const { m } = runStudy('switch-fanin', { upstreamWidth: 8, op: 'read' });
  near(m.total_gbytes_per_s, linkBound(3, 8, 256, HEADER.completion) / GB, FOUR_WRITERS_ENDS, 'total');
  assert.ok(m.jain_index >= 1 - (1 / 4800) ** 2, `Jain index ${m.jain_index}`);
});

test('p2p-paths below a switch: 64 KiB writes and reads at the Gen3 x16 bound (the BAR is below 4 GiB: 3 DW headers, completions 3 DW)', () => {
  // 15.75 GB/s × (1 − 1/375 − 2 × 507.8 ps / 168 ns) × 256/276 = 14.5 GB/s.
  const bound = linkBound(3, 16, 256, HEADER.mem32) / GB;
  for (const op of ['write', 'read']) near(runStudy('p2p-paths', { path: 'switch', op }).m['p2p.throughput_gbytes_per_s'], bound, RUN_ENDS, op);
});

/**
 * p2p-paths bounced through host memory (64 KiB writes, 100 transfers): the
 * drive writes each into a buffer at 5 GiB (4-DW MWr of 256 B), then the GPU
 * reads it from there (4-DW MRd of MRRS 512 B); both legs go up the root
 * port's link up0, which is the bottleneck: per transfer 256 writes of
 * 256 + 16 + 8 wire bytes and 128 read requests of 16 + 8. The last
 * transfer's read leg runs after up0 has carried everything, so the run's
 * span exceeds up0's busy time by at most one transfer of the 100.
 */
test('p2p-paths bounced through memory: 64 KiB writes at the uplink\'s bound for both legs\' upstream traffic (13.5 GB/s, the reading\'s "about 7%" below a switch)', () => {
  const transfers = 100, size = 65536;
  const wirePerTransfer = (size / 256) * (256 + HEADER.mem64 + FRAMING) + (size / 512) * (HEADER.mem64 + FRAMING);
  const bound = tlpWireRate(3, 16) * size / wirePerTransfer / GB;
  const gbps = runStudy('p2p-paths', { path: 'bounce', op: 'write', transfers }).m['p2p.throughput_gbytes_per_s'];
  assert.ok(gbps <= bound * (1 + 1e-9) && gbps >= bound * (1 - 1 / transfers - RUN_ENDS), `bounce: ${gbps} GB/s against ${bound.toFixed(3)}`);
});

test('apu-redirect, 8 writes in flight: 14.5 GB/s into the BAR (below 4 GiB), 14.3 redirected to the carve-out at 12 GiB (4 DW headers)', () => {
  const sets = { op: 'write', size: 65536, inFlight: 8 };
  near(runStudy('apu-redirect', { ...sets, path: 'rootcomplex' }).m['p2p.throughput_gbytes_per_s'], linkBound(3, 16, 256, HEADER.mem32) / GB, RUN_ENDS, 'through the BAR');
  near(runStudy('apu-redirect', { ...sets, path: 'redirect' }).m['p2p.throughput_gbytes_per_s'], linkBound(3, 16, 256, HEADER.mem64) / GB, RUN_ENDS, 'redirected');
});

test.run();

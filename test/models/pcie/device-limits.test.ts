/**
 * The DMA engine's device-side limits (nfp6000-dma): a per-TLP transmit cost
 * that bounds small writes below the link, whole-burst fetches from device
 * memory that make writes just past a burst cost a burst more, and read data
 * stored at the data path's rate, which sets how unloaded read latency grows
 * with size, and write data streamed from device memory TLP by TLP. Expected
 * values come from the preset's figures, not from runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dmaEngineParams } from '../../../models/pcie/dma-engine.js';
import { PS_PER_NS } from '../../../src/sim/time.js';
import { runJsonInProcess } from '../../helpers.js';
import { presetParams } from '../../preset-params.js';

// The preset parsed by the engine's own schema: durations in ps, sizes in bytes, rates in GB/s.
const dma = presetParams(dmaEngineParams, 'nfp6000-dma');
const tlpOverheadNs = dma.tlpOverhead / PS_PER_NS, tlpRate = dma.tlpRate!;
const block = dma.writeBlock!, blockNs = dma.writeBlockOverhead / PS_PER_NS, unalignedNs = dma.unalignedWriteOverhead / PS_PER_NS;
const readIntervalNs = dma.issueInterval / PS_PER_NS, writeIntervalNs = dma.writeIssueInterval! / PS_PER_NS;
const paths = dma.dataPaths, pathRate = dma.dataPathRate!, burst = dma.dataPathBurst;
const base = { platform: 'nfp6000-xeon-e5-2630v4', pattern: 'sequential', window: 65536, transfers: 1000 };
const gbps = async (sets: Record<string, string | number>) => (await runJsonInProcess('dma-bandwidth', { ...base, ...sets })).metrics['dma.throughput_gbytes_per_s'] as number;
/** Throughput of 1 KiB writes `hostOffset` bytes into 2 KiB slots of host memory, GB/s. */
const kibWriteAt = (hostOffset: number) => gbps({ op: 'write', size: 1024, inFlight: 88, pattern: 'sequential-slots', alignment: 2048, hostOffset });
/** Median unloaded latency of one `op` of `size` bytes at a time, ns. */
const unloadedNs = async (op: string, size: number) => (await runJsonInProcess('dma-bandwidth', { ...base, op, size, inFlight: 1, transfers: 20 })).metrics['dma.latency_ns'].p50 as number;

test('64-byte writes are bound by the write queue\'s descriptor rate, 256-byte ones by the transmit port (a TLP and its block), not the link', async () => {
  // One TLP each; the slowest of the write queue, the transmit port and the data movers (whole bursts) sets the pace.
  const perWrite = (size: number) => Math.max(writeIntervalNs, tlpOverheadNs + size / tlpRate + blockNs, (Math.ceil(size / burst) * burst) / pathRate / paths);
  for (const size of [64, 256]) {
    const expected = size / perWrite(size);
    const got = await gbps({ op: 'write', size, inFlight: 88 });
    assert.ok(Math.abs(got - expected) / expected < 0.01, `${size} B: ${got} GB/s vs ${expected}`);
  }
  assert.is(perWrite(64), writeIntervalNs);
  assert.is(perWrite(256), tlpOverheadNs + 256 / tlpRate + blockNs);
});

test('the TLP that starts a write block holds the transmit port for the block overhead, the TLPs that continue it do not', async () => {
  // 256-byte TLPs: the port's per-TLP cost each, and the block's once per `block` bytes (the data movers take less).
  const portNs = (size: number) => (size / 256) * (tlpOverheadNs + 256 / tlpRate) + Math.ceil(size / block) * blockNs;
  for (const size of [block, 2.5 * block]) {
    assert.ok(portNs(size) > (Math.ceil(size / burst) * burst) / pathRate / paths, `${size} B: the transmit port, not the movers, sets the pace`);
    const got = await gbps({ op: 'write', size, inFlight: 88 });
    assert.ok(Math.abs(got - size / portNs(size)) / (size / portNs(size)) < 0.01, `${size} B: ${got} GB/s vs ${size / portNs(size)}`);
    // Once a block: not once a TLP, nor once a write.
    assert.ok(got > size / (portNs(size) + blockNs) && got < size / (portNs(size) - blockNs), `${size} B: ${got} GB/s`);
  }
});

test('write blocks are blocks of host memory: a 1 KiB write 16 bytes past a 512-byte boundary starts three, and takes a TLP and a block more than an aligned one', async () => {
  // 256-byte TLPs: aligned, four TLPs in two blocks; 16 bytes in, five TLPs (240, 3 x 256, 16) starting the write's block and those at 512 and 1024.
  const portNs = (tlps: number, blocks: number) => tlps * tlpOverheadNs + 1024 / tlpRate + blocks * blockNs;
  for (const [hostOffset, tlps, blocks] of [[0, 4, 2], [16, 5, 3]] as const) {
    const expected = 1024 / portNs(tlps, blocks), got = await kibWriteAt(hostOffset);
    assert.ok(Math.abs(got - expected) / expected < 0.01, `host offset ${hostOffset}: ${got} GB/s vs ${expected}`);
  }
});

test('a write to a host address off a DW holds the transmit port once more for its realignment: on its first TLP, not on its last with a partial DW', async () => {
  assert.ok(unalignedNs > 0, 'the preset realigns');
  // 1 KiB 16 or 17 bytes past a 512-byte boundary: five 256-byte-split TLPs in three blocks either way; at 17 the first starts off a DW and the last ends off one.
  const portNs = (realigned: number) => 5 * tlpOverheadNs + 1024 / tlpRate + 3 * blockNs + realigned * unalignedNs;
  for (const [hostOffset, realigned] of [[16, 0], [17, 1]] as const) {
    const expected = 1024 / portNs(realigned), got = await kibWriteAt(hostOffset);
    assert.ok(Math.abs(got - expected) / expected < 0.002, `host offset ${hostOffset}: ${got} GB/s vs ${expected}`);
  }
});

test('small reads are bound by the read queue\'s descriptor rate when enough are in flight', async () => {
  const expected = 64 / Math.max(readIntervalNs, tlpOverheadNs);
  // 8000 reads: the first one's round trip (about 560 ns) stays under 0.5 % of the run.
  const got = await gbps({ op: 'read', size: 64, inFlight: 88, transfers: 8000 });
  assert.ok(Math.abs(got - expected) / expected < 0.01, `${got} GB/s vs ${expected}`);
});

test('a write one byte past a burst costs a whole burst more on the data paths', async () => {
  const size = 2 * burst + 1;
  const expected = size / ((Math.ceil(size / burst) * burst) / pathRate / paths);
  const got = await gbps({ op: 'write', size });
  assert.ok(Math.abs(got - expected) / expected < 0.02, `${got} GB/s vs ${expected}`);
});

test('a write streams from device memory: each TLP goes once its own bursts are fetched, so unloaded write latency grows at the data path rate alone', async () => {
  const lat = (size: number) => unloadedNs('write', size);
  // 256-byte TLPs, each fetched (74 ns at the mover's rate) slower than the transmit port sends it (34.8 ns): the last TLP goes when its data is in.
  const perTlpPortNs = tlpOverheadNs + 256 / tlpRate;
  assert.ok(perTlpPortNs < 256 / pathRate, 'the port outpaces one mover');
  const growth = (await lat(2048)) - (await lat(256));
  const streamed = (2048 - 256) / pathRate;
  // Within one tick of the device's latency clock; fetching the whole write first would add every earlier TLP's port time (7 × 34.8 ns and more).
  assert.ok(Math.abs(growth - streamed) <= dma.latencyTick / PS_PER_NS + 1, `${growth} ns from 256 B to 2 KiB vs ${streamed}`);
});

test('unloaded read latency grows with size at the data path rate', async () => {
  const lat = (size: number) => unloadedNs('read', size);
  const slope = (await lat(2048) - await lat(64)) / (2048 - 64);
  // Within 10%: the first completion's larger payload also crosses the link before storing starts.
  assert.ok(slope > 1 / pathRate && (slope - 1 / pathRate) / (1 / pathRate) < 0.1, `${slope} ns/B vs ${1 / pathRate}`);
});

test.run();

/**
 * The warm cache's reach through a scenario: the calibration hosts' llcBytes
 * and the window the iommu-window scenario hands the memory as its
 * workingSet. Unloaded random 64-byte reads, one at a time, as pcie-bench's
 * latency-by-window sweep.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricsOf, runJsonInProcess } from '../helpers.js';

const MiB = 1024 * 1024;
const latency = async (platform: string, window: number, cache = 'warm') =>
  metricsOf(await runJsonInProcess('iommu-window', { platform, window, cache, iommu: 'off', inFlight: 1, transfers: 400 }))['dma.latency_ns'];

test('a 15 MiB cache (the Haswell host): the median steps to the cold one where the window passes twice the cache, not before', async () => {
  const host = 'nfp6000-xeon-e5-2637v3';
  const warm = await latency(host, 8192), cold = await latency(host, 8192, 'cold');
  assert.ok(cold.p50 > warm.p50 + 30, `cold ${cold.p50} ns vs warm ${warm.p50} ns`);
  assert.equal(await latency(host, 4 * MiB), warm, 'a window the cache holds (no set overflows but once in 10^5 reads): as in 8 KiB');
  const near = (await latency(host, 16 * MiB)).p50;
  // The misses widen the range the sketch's buckets are clamped to: the median is the warm one within the sketch's 0.1%.
  assert.ok(Math.abs(near - warm.p50) <= warm.p50 * 1e-3, `88% hits (its 20-way sets overflow): the median stays warm (${near} ns, warm ${warm.p50} ns)`);
  const past = await latency(host, 32 * MiB);
  // 47% hits: the median is a miss's, the cold latency (the two medians interpolate between different samples).
  assert.ok(Math.abs(past.p50 - cold.p50) < 5, `32 MiB: median ${past.p50} ns, cold ${cold.p50} ns`);
  // The mean moves the missed share (17/32, every set full) of the way from warm to cold; 400 reads: about 2.5 points of sd.
  const share = (past.mean - warm.mean) / (cold.mean - warm.mean);
  assert.ok(Math.abs(share - 17 / 32) < 0.1, `the mean went ${share} of the way`);
});

/** Loaded random 64-byte reads, as pcie-bench's throughput by window (88 DMAs in flight, 32 tags), Gb/s. */
const loaded = async (platform: string, window: number, cache = 'warm') =>
  8 * (metricsOf(await runJsonInProcess('iommu-window', { platform, window, cache, iommu: 'off', inFlight: 88, transfers: 4000, warmup: 1000 }))['dma.throughput_gbytes_per_s'] as number);

test('loaded, a few misses cost most of the way to the cold throughput: hits wait behind them, and loaded misses queue', async () => {
  // pcie-bench's Haswell host (bw_dma_win_sweep_rd_rnd_64.csv): 30.0 Gb/s within the cache, 28.2 at 16 MiB (51% of
  // the way to cold with 12% of reads missing), 26.5 cold. Without the order, 12% misses cost about 12% of the way.
  const host = 'nfp6000-xeon-e5-2637v3';
  const warm = await loaded(host, 8 * MiB), near = await loaded(host, 16 * MiB), cold = await loaded(host, 8 * MiB, 'cold');
  const way = (warm - near) / (warm - cold);
  assert.ok(way > 0.35 && way < 0.7, `16 MiB: ${near.toFixed(2)} Gb/s, ${(100 * way).toFixed(0)}% of the way from ${warm.toFixed(2)} to ${cold.toFixed(2)}`);
  // Loaded cold reads queue at the memory controller: 4-6% below what the unloaded cold latency allows (measured 26.5 Gb/s).
  assert.ok(cold > 25.9 && cold < 27.0, `cold ${cold.toFixed(2)} Gb/s`);
});

test('a platform without llcBytes keeps every warm read a hit, whatever the window', async () => {
  assert.equal(await latency('xeon-e5-v4', 64 * MiB), await latency('xeon-e5-v4', 8192));
});

test.run();

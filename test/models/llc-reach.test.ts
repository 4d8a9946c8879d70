/**
 * The warm cache's reach through a scenario: the calibration hosts' llcBytes
 * and the window the iommu-window scenario hands the memory as its
 * workingSet. Unloaded random 64-byte reads, one at a time, as pcie-bench's
 * latency-by-window sweep.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricsOf, runJson } from '../helpers.js';

const MiB = 1024 * 1024;
const latency = (platform: string, window: number, cache = 'warm') =>
  metricsOf(runJson('iommu-window', { platform, window, cache, iommu: 'off', inFlight: 1, transfers: 400 }))['dma.latency_ns'];

test('a 15 MiB cache (the Haswell host): the median steps to the cold one where the window passes twice the cache, not before', () => {
  const host = 'nfp6000-xeon-e5-2637v3';
  const warm = latency(host, 8192), cold = latency(host, 8192, 'cold');
  assert.ok(cold.p50 > warm.p50 + 30, `cold ${cold.p50} ns vs warm ${warm.p50} ns`);
  assert.equal(latency(host, 15 * MiB), warm, 'a window the cache holds: as in 8 KiB');
  assert.is(latency(host, 16 * MiB).p50, warm.p50, '94% hits: the median stays warm');
  const past = latency(host, 32 * MiB);
  // 47% hits: the median is a miss's, the cold latency (the two medians interpolate between different samples).
  assert.ok(Math.abs(past.p50 - cold.p50) < 5, `32 MiB: median ${past.p50} ns, cold ${cold.p50} ns`);
  // The mean moves the missed share (17/32) of the way from warm to cold; 400 reads: about 2.5 points of sd.
  const share = (past.mean - warm.mean) / (cold.mean - warm.mean);
  assert.ok(Math.abs(share - 17 / 32) < 0.1, `the mean went ${share} of the way`);
});

test('a platform without llcBytes keeps every warm read a hit, whatever the window', () => {
  assert.equal(latency('xeon-e5-v4', 64 * MiB), latency('xeon-e5-v4', 8192));
});

test.run();

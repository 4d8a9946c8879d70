/** The IOMMU on the DMA path (pcie.dma-path with iommu on): the IOTLB-reach cliff where it belongs, and its absence with 2 MiB pages. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJson } from '../helpers.js';

const run = (sets: Record<string, string | number>) => runJson('iommu-window', sets).metrics as Record<string, any>;
const KiB = 1024, MiB = 1024 * KiB;

test('4 KiB pages: every translation hits inside the IOTLB\'s reach (64 x 4 KiB), most miss past it, and reads slow down', () => {
  const inside = run({ window: 256 * KiB, pageSize: '4k' });
  const past = run({ window: 4 * MiB, pageSize: '4k' });
  assert.ok(inside.iommu_iotlb_hit_rate > 0.97, `hit rate ${inside.iommu_iotlb_hit_rate} inside the reach`);
  assert.ok(past.iommu_iotlb_hit_rate < 0.1, `hit rate ${past.iommu_iotlb_hit_rate} at 16 x the reach`);
  assert.ok(past.throughput_gbps < 0.8 * inside.throughput_gbps, `${past.throughput_gbps} vs ${inside.throughput_gbps} GB/s`);
  assert.is(past.iommu_translations, 3000, 'one translation per 64-byte read request');
});

test('posted writes hit the cliff too: misses queue for the page walkers', () => {
  const inside = run({ op: 'write', window: 256 * KiB, pageSize: '4k' });
  const past = run({ op: 'write', window: 4 * MiB, pageSize: '4k' });
  assert.ok(past.throughput_gbps < 0.5 * inside.throughput_gbps, `${past.throughput_gbps} vs ${inside.throughput_gbps} GB/s`);
  assert.ok(past.iommu_walker_wait_ns_mean > inside.iommu_walker_wait_ns_mean);
  const big = run({ op: 'write', window: 4 * MiB, pageSize: '2m' });
  assert.is(big.iommu_walker_wait_ns_mean, 0, '2 MiB pages: no walk after the first');
});

test('2 MiB pages: the same windows stay inside the reach, no cliff', () => {
  const small = run({ window: 64 * KiB, pageSize: '2m' });
  const big = run({ window: 16 * MiB, pageSize: '2m' });
  assert.ok(big.iommu_iotlb_hit_rate > 0.99);
  assert.ok(Math.abs(big.throughput_gbps - small.throughput_gbps) / small.throughput_gbps < 0.02);
});

test('IOMMU off: translation costs nothing and its columns are empty', () => {
  const off = run({ iommu: 'off', window: 4 * MiB });
  assert.is(off.iommu_translations, null);
  assert.ok(off.throughput_gbps >= run({ window: 64 * KiB, pageSize: '2m' }).throughput_gbps * 0.99);
});

test.run();

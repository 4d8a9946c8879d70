/**
 * IOTLB hit rates the iommu-window reading quotes, counted by hand from the
 * page count and the IOTLB's reach (iommu-xeon-e5: 64 entries of 4 KiB in
 * the first level, 112 in the second, which every walk fills too);
 * vm-display-pipeline's is in frame-reads.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { iommuParams } from '../../models/iommu/params.js';
import { runStudy } from './study.js';

const KiB = 1024, MiB = 1024 * KiB;
const ENTRIES_4K = 64, L2_ENTRIES = 112, REQUESTS = 3000;

test('iommu-window inside the reach (256 KiB = 64 pages): only each page\'s first request misses', () => {
  const { m } = runStudy('iommu-window', { window: 256 * KiB, pageSize: '4k' });
  assert.is(m['rc.iommu.translations'], REQUESTS, 'one translation per 64-byte read');
  // 3,000 random reads over 64 pages: each page is touched (the chance one is missed is 64 × (63/64)^3000 < 1e-18).
  assert.is(m['rc.iommu.iotlb_misses_4k'], ENTRIES_4K);
  assert.is(m['rc.iommu.iotlb_hit_rate'], (REQUESTS - ENTRIES_4K) / REQUESTS);
});

test('iommu-window at 4 MiB (1,024 pages, 16 × the first level\'s reach): uniform random pages hit one level or the other with probability 112 / 1,024', () => {
  const { m } = runStudy('iommu-window', { window: 4 * MiB, pageSize: '4k' });
  const mmu = presetParams(iommuParams, 'iommu-xeon-e5');
  assert.is(mmu.iotlb4kEntries, ENTRIES_4K);
  assert.is(mmu.l2IotlbEntries, L2_ENTRIES);
  // Whatever the replacement, a full second level holds 112 of 1,024 equally likely pages, the first level's 64
  // among them or not (an IOTLB hit either way). Binomial spread over 3,000 requests:
  // 3σ = 3 × √(p(1 − p) / 3000) = 0.017; filling the IOTLB first costs under 0.002.
  const p = L2_ENTRIES / 1024;
  const sigma = Math.sqrt(p * (1 - p) / REQUESTS);
  assert.ok(Math.abs(m['rc.iommu.iotlb_hit_rate'] - p) < 3 * sigma + 0.002, `hit rate ${m['rc.iommu.iotlb_hit_rate']} against ${p}`);
});

/**
 * Past the reach the walkers set the pace: with the paging-structure caches
 * holding a 4 MiB window's upper levels, a walk is one page-table read, so
 * each walker is busy for `walkReadLatency` plus, for a read, the time it
 * stays held while the read's one 64-byte line is fetched
 * (`walkerHeldPerReadLine`), and each request walks with probability
 * 1 − 112/1,024; a request the second level serves (probability
 * (112 − 64)/1,024 at least: the first level keeps its own 64, not always
 * the second's) holds a walker for the lookup and `l2IotlbReadHeld`. Reads
 * (the run ends when the last completion is in) go at 64 B × walkers / the
 * walker time a request takes. Tolerance: the walk count's binomial spread
 * (3σ of 3,000 × 0.109 × 0.891 hits: 51 of 2,672 walks, 1.9%) plus the
 * run's ends and the few first-walk reads of the upper levels (0.5%).
 */
test('iommu-window at 4 MiB, 64-byte reads: the walkers\' rate over the miss rate (the reading\'s 1.36 GB/s)', () => {
  const mmu = presetParams(iommuParams, 'iommu-xeon-e5');
  const { m } = runStudy('iommu-window', { window: 4 * MiB, pageSize: '4k', op: 'read' });
  const missRate = 1 - L2_ENTRIES / 1024, l2Rate = (L2_ENTRIES - ENTRIES_4K) / 1024;
  const walkerPs = missRate * (mmu.walkReadLatency + (mmu.walkerHeldPerWalk ?? 0) + (mmu.walkerHeldPerReadLine ?? 0)) + l2Rate * ((mmu.l2IotlbHitLatency ?? 0) + (mmu.l2IotlbReadHeld ?? 0));
  const expected = 64 * mmu.pageWalkers / (walkerPs / 1000); // bytes per ns = GB/s
  const tol = 3 * Math.sqrt(REQUESTS * missRate * (1 - missRate)) / (REQUESTS * missRate) + 0.005;
  const gbps = m['dma.throughput_gbytes_per_s'];
  assert.ok(Math.abs(gbps - expected) <= tol * expected, `${gbps} GB/s against ${expected.toFixed(3)} (±${(tol * 100).toFixed(1)}%)`);
});

test.run();

/**
 * IOTLB hit rates the iommu-window reading quotes, counted by hand from the
 * page count and the IOTLB's reach (iommu-xeon-e5: 64 entries of 4 KiB);
 * vm-display-pipeline's is in frame-reads.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { iommuParams } from '../../models/iommu/params.js';
import { runStudy } from './study.js';

const KiB = 1024, MiB = 1024 * KiB;
const ENTRIES_4K = 64, REQUESTS = 3000;

test('iommu-window inside the reach (256 KiB = 64 pages): only each page\'s first request misses', () => {
  const { m } = runStudy('iommu-window', { window: 256 * KiB, pageSize: '4k' });
  assert.is(m['rc.iommu.translations'], REQUESTS, 'one translation per 64-byte read');
  // 3,000 random reads over 64 pages: each page is touched (the chance one is missed is 64 × (63/64)^3000 < 1e-18).
  assert.is(m['rc.iommu.iotlb_misses_4k'], ENTRIES_4K);
  assert.is(m['rc.iommu.iotlb_hit_rate'], (REQUESTS - ENTRIES_4K) / REQUESTS);
});

test('iommu-window at 4 MiB (1,024 pages, 16 × the reach): uniform random pages hit with probability 64 / 1,024', () => {
  const { m } = runStudy('iommu-window', { window: 4 * MiB, pageSize: '4k' });
  // Whatever the replacement, a full IOTLB holds 64 of 1,024 equally likely pages. Binomial spread over
  // 3,000 requests: 3σ = 3 × √(p(1 − p) / 3000) = 0.013; filling the IOTLB first costs under 0.002.
  const p = ENTRIES_4K / 1024;
  const sigma = Math.sqrt(p * (1 - p) / REQUESTS);
  assert.ok(Math.abs(m['rc.iommu.iotlb_hit_rate'] - p) < 3 * sigma + 0.002, `hit rate ${m['rc.iommu.iotlb_hit_rate']} against ${p}`);
});

/**
 * Past the reach the walkers set the pace: with the paging-structure caches
 * holding a 4 MiB window's upper levels, a walk is one page-table read, so
 * each walker is busy for `walkReadLatency` plus, for a read, the time it
 * stays held while the read's one 64-byte line is fetched
 * (`walkerHeldPerReadLine`), and each request misses with probability
 * 1 − 64/1,024. Reads (the run ends when the last completion is in) go at
 * 64 B × walkers / ((walkReadLatency + walkerHeldPerReadLine) × miss rate). Tolerance: the
 * miss count's binomial spread (3σ of 3,000 × 0.0625 × 0.9375 hits: 40 of
 * 2,810 misses, 1.4%) plus the run's ends and the few first-walk reads of the
 * upper levels (0.5%).
 */
test('iommu-window at 4 MiB, 64-byte reads: the walkers\' rate over the miss rate (the reading\'s 1.36 GB/s)', () => {
  const mmu = presetParams(iommuParams, 'iommu-xeon-e5');
  const { m } = runStudy('iommu-window', { window: 4 * MiB, pageSize: '4k', op: 'read' });
  const missRate = 1 - ENTRIES_4K / 1024;
  const walksPerNs = mmu.pageWalkers / ((mmu.walkReadLatency + (mmu.walkerHeldPerReadLine ?? 0)) / 1000);
  const expected = 64 * walksPerNs / missRate; // bytes per ns = GB/s
  const tol = 3 * Math.sqrt(REQUESTS * missRate * (1 - missRate)) / (REQUESTS * missRate) + 0.005;
  const gbps = m['dma.throughput_gbytes_per_s'];
  assert.ok(Math.abs(gbps - expected) <= tol * expected, `${gbps} GB/s against ${expected.toFixed(3)} (±${(tol * 100).toFixed(1)}%)`);
});

test.run();

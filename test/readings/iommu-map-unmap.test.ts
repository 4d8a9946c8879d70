/**
 * iommu-map-unmap's reading from the driver's CPU time per buffer and the
 * link bound. One CPU runs every map and unmap call (iommu-xeon-e5 preset:
 * dma_map 600 ns + 100 ns a page, dma_unmap 500 ns + 100 ns a page; strict
 * mode flushes the IOTLB in every unmap and waits, 800 ns; deferred flushes
 * once the 256-entry queue is full, every 255 unmaps, and at the 10 ms timer,
 * after the last buffer). 16 buffers in flight keep the device busy while the
 * CPU works, so small buffers go at the CPU's pace:
 *   strict   4 KiB / (700 + 600 + 800 ns) = 1.95 GB/s
 *   deferred 4 KiB / (700 + 600 ns + 7 queue flushes over 2,000 buffers) = 3.14 GB/s
 * and large ones at the link's (64 KiB reads: 256-byte completions on Gen3 x8, 7.2 GB/s).
 */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import { iommuParams } from '../../models/iommu/params.js';
import { GB, HEADER, linkBound } from './spec-link.js';
import { near, runStudy } from './study.js';

const mmu = presetParams(iommuParams, 'iommu-xeon-e5');
const BUFFERS = 2000, PAGE = 4096;
/** The last buffer's DMA (a few µs) need not overlap CPU work: 0.1 % of a run of 2.6 ms or more. */
const LAST_DMA = 0.001;
const cpuPs = (pages: number, strict: boolean) => mmu.mapPerCall + pages * mmu.mapPerPage + mmu.unmapPerCall + pages * mmu.unmapPerPage + (strict ? mmu.flushCost : 0);

test('4 KiB buffers, strict: the CPU\'s map, unmap and flush set the pace', () => {
  const { m } = runStudy('iommu-map-unmap', { mode: 'strict', bufferSize: PAGE, buffers: BUFFERS });
  near(m['drv.throughput_gbytes_per_s'], PAGE / (cpuPs(1, true) / 1000), LAST_DMA, 'strict (bytes per ns = GB/s)');
  near(m['drv.cpu_utilization'], 1, LAST_DMA, 'CPU busy');
});

test('4 KiB buffers, deferred: map and unmap only, plus one flush per 255 unmaps', () => {
  const { m } = runStudy('iommu-map-unmap', { mode: 'deferred', bufferSize: PAGE, buffers: BUFFERS });
  const queueFlushes = Math.floor((BUFFERS - 1) / (mmu.flushQueueSize - 1));
  const ns = (BUFFERS * cpuPs(1, false) + queueFlushes * mmu.flushCost) / 1000;
  near(m['drv.throughput_gbytes_per_s'], BUFFERS * PAGE / ns, LAST_DMA, 'deferred');
});

test('64 KiB buffers, strict: the link sets the pace, the CPU half idle', () => {
  // CPU: 2.2 + 2.1 + 0.8 µs a buffer, 12.9 GB/s; the link's completions carry 7.21 GB/s. Run ends (first map,
  // first round trip, last unmap: about 6 µs of a 2.7 ms run): 0.5 %.
  const { m } = runStudy('iommu-map-unmap', { mode: 'strict', bufferSize: 65536, buffers: 300 });
  near(m['drv.throughput_gbytes_per_s'], linkBound(3, 8, 256, HEADER.completion) / GB, 0.005, 'link-bound');
  near(m['drv.cpu_utilization'], (cpuPs(16, true) / 1000) / (65536 / (linkBound(3, 8, 256, HEADER.completion) / GB)), 0.005, 'CPU busy');
});

test.run();

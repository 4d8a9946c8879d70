/**
 * How long a frame's read over PCIe takes in the system studies: the
 * frame's bytes over the link bound of 256-byte completions (the frame is
 * in host memory read by dom0's GPU on a Gen3 x16 link), plus the first
 * request's round trip. A 1080p ARGB frame is 2,025 pages: 8,294,400 B at
 * 14.49 GB/s is 572.6 µs (the readings' 0.57 ms; 4K four times that, 2.29 ms).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GB, HEADER, linkBound } from './spec-link.js';
import { runStudy } from './study.js';

const FRAME_1080P_BYTES = 2025 * 4096;
const READ_US = FRAME_1080P_BYTES / (linkBound(3, 16, 256, HEADER.completion) / GB) / 1000;
/** The first request's trip to memory and back, before the link is busy: a few path latencies, well under 2 µs. */
const FIRST_ROUND_TRIP_US = 2;

const within = (us: number, what: string) =>
  assert.ok(us >= READ_US && us <= READ_US + FIRST_ROUND_TRIP_US, `${what}: ${us} µs against ${READ_US} µs + at most ${FIRST_ROUND_TRIP_US}`);

test('vm-display-pipeline: one 1080p refresh\'s scan-out is the frame at the link\'s pace (dom0 maps all memory in 2 MiB pages)', () => {
  within(runStudy('vm-display-pipeline', { frames: 2, dom0IommuView: 'all-memory' }).m['display.scanout_time_us'].p50, 'all-memory');
});

test('the same with the grants in 4 KiB IOMMU pages: a page is read in 8 requests of 512 bytes (MRRS), the first misses, so 7/8 hit; the GPU\'s outstanding reads hide the walks', () => {
  const { m } = runStudy('vm-display-pipeline', { frames: 2, dom0IommuView: 'own-memory' });
  assert.is(m['rc.iommu.iotlb_hit_rate'], 7 / 8);
  within(m['display.scanout_time_us'].p50, 'own-memory');
});

test('vm-video-encode: the encoder reads a 1080p frame in the same time', () => {
  within(runStudy('vm-video-encode', { frames: 1 }).m['encoder.read_time_us'].p50, 'encoder');
});

test.run();

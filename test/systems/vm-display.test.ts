/**
 * The flagship system: a guest's frames shared over displif and scanned out
 * by dom0's GPU over PCIe through the IOMMU. Counts derived by hand from the
 * configuration: bytes read per refresh, descriptors per frame, grant pages
 * in the IOMMU, IOTLB invalidations, and the display running dry when the
 * link cannot carry a frame per period.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJsonInProcess, statsOf, tempDir, writeScenario } from '../helpers.js';

const PAGE = 4096;
const PAGES_1080P = 2025, PAGES_4K = 8100;
const run = async (sets: Record<string, string | number>, file = 'vm-display-pipeline') => statsOf(await runJsonInProcess(file, { frames: 4, ...sets }));
const scenario = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'vm-display-pipeline.json'), 'utf8'));

test('every refresh reads the whole front buffer over the link: one 4 KiB descriptor per scattered page', async () => {
  const summary = await runJsonInProcess('vm-display-pipeline', { frames: 4 });
  const m = statsOf(summary);
  const scanned = m['display.refreshes_scanned'];
  assert.ok(scanned >= 2, `${scanned} refreshes scanned`);
  assert.is(m['display.descriptors_per_frame'], PAGES_1080P, 'scattered pages, seen by a PV dom0 at their frames: no two contiguous');
  assert.is(m['gpu.dma.read_bytes'], scanned * PAGES_1080P * PAGE);
  assert.is(m['gpulink.down_payload_gbytes_per_s'] * 1e9 * summary.simulated_ps / 1e12, scanned * PAGES_1080P * PAGE);
  assert.is(m['rc.memory_reads'], scanned * PAGES_1080P * (PAGE / 512), 'one memory read per 512-byte request (MRRS)');
  assert.is(m['display.underruns'], 0);
  // Four refreshes at 60 Hz, vblanks from time 0: the last at three periods, the run over before a fourth would be.
  const periodUs = 1e6 / 60;
  assert.ok(summary.simulated_ps < 4 * periodUs * 1e6, `${summary.simulated_ps} ps`);
  const latency = m['display.frame_latency_us'], scan = m['display.scanout_time_us'];
  assert.is(latency.count, m['display.frames_shown']);
  assert.ok(latency.min > 0 && latency.max < periodUs, `each frame on screen within a period of its tick: ${latency.min}..${latency.max} us`);
  assert.is(scan.count, scanned);
  assert.ok(scan.min > 0 && scan.max < periodUs, `each scan-out done within its period: ${scan.min}..${scan.max} us`);
});

test('dom0 seeing all memory (PV default) needs no grant in the IOMMU; seeing its own, every granted page is mapped there in 4 KiB', async () => {
  const all = await run({ dom0IommuView: 'all-memory' });
  assert.is(all['xen.iommu_grant_maps'], 0);
  assert.is(all['rc.iommu.iotlb_misses_4k'], 0, 'host memory mapped in 2 MiB pages');
  const own = await run({ dom0IommuView: 'own-memory' });
  assert.is(own['xen.iommu_grant_maps'], 2 * PAGES_1080P, 'two buffers shared once, every data page mapped for dom0\'s GPU');
  // 4 KiB mappings of scattered pages: each page's first request misses (the IOTLB holds 64 entries, a frame has 2,025 pages).
  assert.is(own['rc.iommu.iotlb_misses_4k'], own['display.refreshes_scanned'] * PAGES_1080P);
  assert.is(own['rc.iommu.faults'], 0);
});

test('per-frame sharing into an IOMMU-synced dom0: each torn-down frame leaves the IOMMU page by page, one IOTLB invalidation each', async () => {
  const m = await run({ sharing: 'per-frame', dom0IommuView: 'own-memory' });
  const flipped = m['displif.frames_flipped'];
  assert.is(m['xen.iommu_grant_maps'], flipped * PAGES_1080P);
  // Every flip but the last releases the buffer it replaced.
  assert.is(m['xen.iotlb_flushes'], (flipped - 1) * PAGES_1080P);
});

test('copy: dom0 copies each frame into its own contiguous buffer, which the display reads in 64 KiB descriptors', async () => {
  const m = await run({ transfer: 'copy' });
  assert.is(m['displif.copied_bytes'], m['displif.frames_flipped'] * PAGES_1080P * PAGE);
  assert.is(m['display.descriptors_per_frame'], Math.ceil((PAGES_1080P * PAGE) / (64 * 1024)));
});

test('a PVH dom0 sees grants at consecutive guest-physical pages: 64 KiB descriptors even from scattered frames', async () => {
  const body = scenario();
  body.components.find((c: { name: string }) => c.name === 'dom0').params.kind = 'dom0-pvh';
  const m = await run({ dom0IommuView: 'own-memory' }, writeScenario(tempDir(), 'pvh.json', body));
  assert.is(m['display.descriptors_per_frame'], Math.ceil((PAGES_1080P * PAGE) / (64 * 1024)));
  assert.is(m['xen.iommu_grant_maps'], 2 * PAGES_1080P);
});

test('a link that cannot carry a 4K frame per period runs the display dry', async () => {
  const body = scenario();
  body.links[0].params.width = 1;
  const m = await run({ resolution: '4k', fps: 120, frames: 6 }, writeScenario(tempDir(), 'x1.json', body));
  // Gen3 x1 carries under 1 GB/s: a 33 MB frame takes over 33 ms, four periods of 8.3 ms.
  assert.ok(m['display.underruns'] >= 1, `${m['display.underruns']} underruns`);
  assert.ok(m['display.scanout_time_us'].p50 > 4 * 1e6 / 120, `${m['display.scanout_time_us'].p50} µs a refresh`);
  assert.is((await run({ resolution: '4k', fps: 120, frames: 6 }))['display.underruns'], 0, 'Gen3 x16 keeps up');
  void PAGES_4K;
});

test('no sync across the VMs: a guest that renders into a buffer at once, while the display still reads it, tears frames; waiting for the flip skips frames instead', async () => {
  // A frame takes 20 ms to render at 60 Hz: it is latched two vblanks after its tick, and two ticks later the
  // guest renders into the same buffer of the two. On Gen3 x4 a 4K read (33 MB) outlasts that gap.
  const body = scenario();
  body.links[0].params.width = 4;
  const file = writeScenario(tempDir(), 'x4.json', body);
  // Eight frames tear (or skip) several times over: six of six refreshes torn, three frames skipped.
  const sets = { resolution: '4k', renderTime: '20 ms', frames: 8 };
  const immediate = await run({ ...sets, reuse: 'immediate' }, file);
  const afterFlip = await run({ ...sets, reuse: 'after-flip' }, file);
  assert.ok(immediate['display.torn_refreshes'] > 0, 'torn frames counted');
  assert.ok(immediate['display.torn_refreshes'] <= immediate['display.refreshes_scanned']);
  assert.is(immediate['compositor.skipped_frames'], 0, 'never waits, never skips');
  assert.is(afterFlip['display.torn_refreshes'], 0, "the page-flip event keeps the guest off the displayed buffer");
  assert.ok(afterFlip['compositor.skipped_frames'] > 0, 'and costs frames');
});

test("per-frame sharing in step with the vblank: double buffered, the buffer leaving the screen is torn down after the flip's event, so every other tick finds none free; a third buffer fixes it unless dom0's IOMMU maps every grant", async () => {
  const sets = { resolution: '4k', fps: 120, sharing: 'per-frame', frames: 12 };
  const double = await run({ ...sets, buffers: 2 });
  // Ticks fall on vblanks: frame k is latched at the vblank of tick k+1, when frame k-1's buffer only starts its
  // teardown. The first two ticks find a buffer, then every other one does: ticks 2, 4, 6, 8 and 10 are skipped.
  assert.is(double['compositor.skipped_frames'], 5);
  assert.is(double['compositor.missed_deadlines'], 5, 'the frames shown are on time: latched at the vblank after their tick');
  const triple = await run({ ...sets, buffers: 3 });
  assert.is(triple['compositor.missed_deadlines'], 0);
  const strict = await run({ ...sets, buffers: 3, dom0IommuView: 'own-memory' });
  assert.ok(strict['compositor.missed_deadlines'] > 0, 'each grant entering and leaving the IOMMU page by page does not fit the period');
});

test.run();

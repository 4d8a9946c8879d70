/**
 * A guest's frames encoded in dom0: the same system as the flagship with a
 * video encoder reading each frame once instead of a display scanning it at
 * every refresh. Counts and the copy's lateness derived by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runDocInProcess, runJsonInProcess, statsOf } from '../helpers.js';

const PAGE = 4096;
const PAGES_1080P = 2025, PAGES_4K = 8100;
const run = async (sets: Record<string, string | number>) => statsOf(await runJsonInProcess('vm-video-encode', { frames: 6, ...sets }));

test('each presented frame is read once, whole: one 4 KiB descriptor per scattered page', async () => {
  const m = await run({});
  assert.is(m['encoder.frames_encoded'], 6);
  assert.is(m['encoder.descriptors_per_frame'], PAGES_1080P);
  assert.is(m['gpu.dma.read_bytes'], 6 * PAGES_1080P * PAGE);
  assert.is(m['encoder.late_frames'], 0);
  assert.is(m['encoder.torn_reads'], 0);
});

test("copying each 4K frame in dom0 first makes every frame at 120 fps late: the memcpy alone nearly fills the period", async () => {
  const m = await run({ resolution: '4k', fps: 120, transfer: 'copy' });
  // 8,100 pages × 4 KiB = 33,177,600 B: 6.64 ms at the 5 GB/s memcpy estimate, then at least
  // 33,177,600 B / 15.75 GB/s (Gen3 x16: 8 GT/s × 16 lanes × 128/130 / 8) = 2.11 ms of reading: 8.74 ms > 8.33 ms.
  const copyMs = (PAGES_4K * PAGE) / 5e9 * 1e3;
  const readMs = (PAGES_4K * PAGE) / (8e9 * 16 * 128 / 130 / 8) * 1e3;
  assert.ok(copyMs + readMs > 1000 / 120);
  assert.ok(m['encoder.frames_encoded'] > 0);
  assert.is(m['encoder.late_frames'], m['encoder.frames_encoded']);
  const zeroCopy = await run({ resolution: '4k', fps: 120 });
  assert.is(zeroCopy['encoder.late_frames'], 0, 'zero-copy reads the guest\'s pages in place and keeps up');
});

test('a device passed through to dom0 on a hypervisor without an IOMMU is refused before the run: exit 2, the field and what to give', async () => {
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'vm-video-encode.json'), 'utf8'));
  const xen = doc.components.find((c: { name: string }) => c.name === 'xen');
  delete xen.params.iommu;
  const r = await runDocInProcess('no-iommu.json', doc);
  assert.is(r.code, 2);
  const dom0 = doc.components.findIndex((c: { name: string }) => c.name === 'dom0');
  assert.match(r.stderr, `components[${dom0}].params.passthrough: passthrough needs an IOMMU: give hypervisor xen its "iommu" (e.g. "rc.iommu")`);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test.run();

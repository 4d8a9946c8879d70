/**
 * dmabuf-attach's ready times summed by hand from its steps and their
 * estimated costs (the dma-buf core's defaults, the iommu-xeon-e5 preset):
 *   attach 2 µs (+ a migration: 20 µs + the buffer at 12 GB/s)
 *   map    sg_table 1 µs + 30 ns a page; dma_map_sg 600 ns + 100 ns a 4 KiB page
 *   a CPU access bracket: begin and end, 100 ns a page each
 * A 4K frame (8,100 pages): 2.68 ms in place, 5.46 ms migrated; an APU's
 * carve-out is never copied, so 2.68 ms either way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { dmaBufCoreParams } from '../../models/dmabuf/dma-buf.js';
import { iommuParams } from '../../models/iommu/params.js';
import { runStudy } from './study.js';

const core = dmaBufCoreParams.parse({});
const mmu = presetParams(iommuParams, 'iommu-xeon-e5');
const N = 8100;
const us = (ps: number) => ps / 1e6;
const inPlaceUs = us(core.attach + core.sgBase + N * core.sgPerPage + mmu.mapPerCall + N * mmu.mapPerPage + 2 * N * core.cacheMaintenancePerPage);
const copyUs = us(core.migrateBase) + N * core.pageBytes / (core.migrateBandwidth * 1e3); // GB/s = 1e3 bytes a µs
/** Picoseconds summed exactly; the metric is in µs. */
const EXACT = 1e-6;

test('discrete VRAM, a 4K frame: ready in place after attach, map and one CPU access bracket; migrated after the copy too', () => {
  const inPlace = runStudy('dmabuf-attach', { backing: 'vram', policy: 'in-place', pages: N }).m;
  assert.ok(Math.abs(inPlace['attach.ready_us'] - inPlaceUs) < EXACT, `${inPlace['attach.ready_us']} µs in place against ${inPlaceUs}`);
  const migrated = runStudy('dmabuf-attach', { backing: 'vram', policy: 'migrate', pages: N }).m;
  assert.ok(Math.abs(migrated['attach.ready_us'] - (inPlaceUs + copyUs)) < EXACT, `${migrated['attach.ready_us']} µs migrated against ${inPlaceUs + copyUs}`);
});

test('an APU carve-out, a 4K frame: redirected through memory it is ready as soon as in place, nothing copied', () => {
  const redirected = runStudy('dmabuf-attach', { backing: 'carve-out', policy: 'migrate', pages: N }).m;
  assert.ok(Math.abs(redirected['attach.ready_us'] - inPlaceUs) < EXACT, `${redirected['attach.ready_us']} µs against ${inPlaceUs}`);
});

test.run();

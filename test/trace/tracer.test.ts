import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tableFromIPC } from 'apache-arrow';
import { COL, DISABLED_TRACER, NO_LABEL, openTracer, type TraceConfig } from '../../src/trace/index.js';
import { tempDir } from '../helpers.js';
import { PROVENANCE, listDir } from './fixtures.js';

test('the disabled tracer gives no channels and writes nothing', () => {
  assert.is(DISABLED_TRACER.channel('link0', 'tlp'), null);
  assert.is(DISABLED_TRACER.channel('link0', 'tlp', { hot: true }), null);
  assert.is(DISABLED_TRACER.label('MRd'), NO_LABEL);
  const dir = tempDir();
  const tracer = openTracer(path.join(dir, 'trace.arrow'), { enabled: false, include: ['*/tlp'] }, PROVENANCE);
  assert.is(tracer, DISABLED_TRACER);
  assert.is(tracer.channel('link0', 'tlp', { hot: true }), null);
  tracer.close();
  assert.equal(listDir(dir), []);
});

/** Which of these (component, kind, hot) channels a config opens, and what gets recorded. */
function selected(config: Omit<TraceConfig, 'enabled'>): string[] {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true, ...config }, PROVENANCE);
  const pairs: [string, string, boolean][] = [
    ['link0', 'tlp', true], ['link0', 'credit', false], ['link1', 'credit', false],
    ['switch0', 'tlp', true], ['switch0', 'forward', false],
    ['xen.grant', 'map', false], ['iommu/iotlb', 'walk', true], ['iommu/iotlb', 'miss', false],
  ];
  // All channels first, as at setup; then one row through each open one.
  const channels = pairs.map(([c, k, hot]) => tracer.channel(c, k, { hot }));
  for (const ch of channels) ch?.record(0, 0, 0, 0, 0, 0);
  const open = pairs.filter((_, i) => channels[i] !== null).map(([c, k]) => `${c}/${k}`);
  tracer.close();
  // What was recorded is exactly what was opened, and no unopened name reached the dictionaries.
  const table = tableFromIPC(fs.readFileSync(file));
  assert.equal(table.toArray().map((r) => `${r[COL.component]}/${r[COL.kind]}`), open);
  const names = (column: string) => [...(table.getChild(column)!.data[0]?.dictionary ?? [])];
  assert.equal(names(COL.component), [...new Set(open.map((p) => p.slice(0, p.lastIndexOf('/'))))]);
  return open;
}

test('everything but hot kinds is recorded by default', () => {
  assert.equal(selected({}), ['link0/credit', 'link1/credit', 'switch0/forward', 'xen.grant/map', 'iommu/iotlb/miss']);
});

test('exclude turns pairs off; a pattern without a slash names components', () => {
  assert.equal(selected({ exclude: ['link*'] }), ['switch0/forward', 'xen.grant/map', 'iommu/iotlb/miss']);
  assert.equal(selected({ exclude: ['*/credit', 'iommu/iotlb/*'] }), ['switch0/forward', 'xen.grant/map']);
});

test('include beats exclude', () => {
  assert.equal(selected({ exclude: ['*'], include: ['xen.grant/*'] }), ['xen.grant/map']);
});

test('a hot kind is recorded only when an include selects it; "*" selects everything', () => {
  assert.equal(selected({ include: ['*'], exclude: ['*'] }), ['link0/tlp', 'link0/credit', 'link1/credit', 'switch0/tlp', 'switch0/forward', 'xen.grant/map', 'iommu/iotlb/walk', 'iommu/iotlb/miss']);
  assert.equal(selected({ exclude: ['*'] }), [], 'nothing included, everything excluded');
  assert.equal(selected({ include: ['switch0/tlp'], exclude: ['*'] }), ['switch0/tlp']);
  assert.equal(selected({ include: ['*/tlp', 'iommu/iotlb/walk'], exclude: ['*'] }), ['link0/tlp', 'switch0/tlp', 'iommu/iotlb/walk']);
});

test('a bad pattern is refused before any file exists', () => {
  const dir = tempDir();
  assert.throws(() => openTracer(path.join(dir, 'trace.arrow'), { enabled: true, include: ['link0/'] }, PROVENANCE), /empty side/);
  assert.equal(listDir(dir), []);
});

test('channels record into one trace, with labels, in call order', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE);
  const dma = tracer.channel('endpoint0', 'dma')!;
  const cpl = tracer.channel('rc', 'completion')!;
  const read = tracer.label('read');
  dma.record(100, 1, 4096, 0, 0, 0, read);
  cpl.record(900, 1, 4096, 800, 1, 0);
  tracer.close();
  const rows = tableFromIPC(fs.readFileSync(file)).toArray().map((r) => [r[COL.component], r[COL.kind], Number(r[COL.latency]), r[COL.label]]);
  assert.equal(rows, [['endpoint0', 'dma', 0, 'read'], ['rc', 'completion', 800, null]]);
});

test.run();

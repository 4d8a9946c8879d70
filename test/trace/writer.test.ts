import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataType, RecordBatchStreamReader, tableFromIPC } from 'apache-arrow';
import { COL, NO_LABEL, NO_TXN, PROVENANCE_KEY, TRACE_FORMAT_KEY, TraceReader, TraceWriter, openTracer, readTrace, type TraceRow } from '../../src/trace/index.js';
import { tempDir } from '../helpers.js';
import { PROVENANCE, listDir } from './fixtures.js';

/** The largest time the simulator can hold (2^53 - 1 ps) must survive the Int64 round trip exactly. */
const MAX_PS = Number.MAX_SAFE_INTEGER;

interface Sample { component: string; kind: string; time: number; txn: number; bytes: number; latency: number; a: number; b: number; label: string | null }

const SAMPLES: Sample[] = [
  { component: 'link0', kind: 'tlp', time: 0, txn: 0, bytes: 256, latency: 250_000, a: 1.5, b: -2, label: 'MRd' },
  { component: 'switch0/port1', kind: 'forward', time: 1_000, txn: NO_TXN, bytes: 0, latency: 0, a: 0, b: 0, label: null },
  { component: 'link0', kind: 'tlp', time: 2_000, txn: 1, bytes: 4096, latency: 7, a: Number.NaN, b: 1e300, label: 'MWr' },
  { component: 'xen.grant', kind: 'map', time: MAX_PS, txn: 2 ** 40, bytes: 2 ** 53 - 2, latency: MAX_PS, a: -0.25, b: 3, label: 'MRd' },
  { component: 'switch0/port1', kind: 'forward', time: MAX_PS, txn: -1, bytes: 1, latency: 1, a: 2, b: 2, label: null },
];

/** Writes SAMPLES, interning every name up front as models do at setup. */
function writeSamples(file: string, batchRows?: number, backgroundAfterBytes?: number): void {
  const w = new TraceWriter(file, { metadata: { scenario: 'unit', seed: '7' }, batchRows, backgroundAfterBytes });
  const ids = SAMPLES.map((s) => ({
    component: w.componentId(s.component),
    kind: w.kindId(s.kind),
    label: s.label === null ? NO_LABEL : w.labelId(s.label),
  }));
  SAMPLES.forEach((s, i) => w.append(ids[i]!.component, ids[i]!.kind, s.time, s.txn, s.bytes, s.latency, s.a, s.b, ids[i]!.label));
  w.close();
}

function sameNumber(actual: number, expected: number, what: string): void {
  assert.ok(Object.is(actual, expected), `${what}: ${actual} !== ${expected}`);
}

test('round-trips through apache-arrow: values, Int64 columns, dictionary names, null labels', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  writeSamples(file);
  const table = tableFromIPC(fs.readFileSync(file));
  assert.is(table.numRows, SAMPLES.length);
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, f.type]));
  for (const c of [COL.time, COL.txn, COL.bytes, COL.latency]) assert.ok(DataType.isInt(types[c]) && types[c].bitWidth === 64, `${c} is Int64`);
  for (const c of [COL.a, COL.b]) assert.ok(DataType.isFloat(types[c]), `${c} is Float64`);
  for (const c of [COL.component, COL.kind, COL.label]) assert.ok(DataType.isDictionary(types[c]), `${c} is dictionary-encoded`);
  assert.is(table.schema.fields.find((f) => f.name === COL.label)!.nullable, true);
  SAMPLES.forEach((s, i) => {
    const row = table.get(i)!;
    assert.is(row[COL.time], BigInt(s.time), `row ${i} time`);
    assert.is(row[COL.txn], BigInt(s.txn), `row ${i} txn`);
    assert.is(row[COL.bytes], BigInt(s.bytes), `row ${i} bytes`);
    assert.is(row[COL.latency], BigInt(s.latency), `row ${i} latency`);
    sameNumber(row[COL.a], s.a, `row ${i} a`);
    sameNumber(row[COL.b], s.b, `row ${i} b`);
    assert.is(row[COL.component], s.component);
    assert.is(row[COL.kind], s.kind);
    assert.is(row[COL.label], s.label);
  });
  assert.is(table.getChild(COL.label)!.nullCount, 2);
  // Dictionaries hold each name once, in first-seen order.
  const dictionary = (c: string) => [...(table.getChild(c)!.data[0]!.dictionary! as Iterable<string>)];
  assert.equal(dictionary(COL.component), ['link0', 'switch0/port1', 'xen.grant']);
  assert.equal(dictionary(COL.kind), ['tlp', 'forward', 'map']);
  assert.equal(dictionary(COL.label), ['MRd', 'MWr']);
});

test('TraceReader and readTrace give the rows back as numbers and names', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  writeSamples(file, 2);
  const rows: TraceRow[] = [];
  for await (const r of readTrace(file)) rows.push(r);
  assert.is(rows.length, SAMPLES.length);
  rows.forEach((r, i) => {
    const s = SAMPLES[i]!;
    for (const k of ['time', 'txn', 'bytes', 'latency', 'a', 'b'] as const) sameNumber(r[k], s[k], `row ${i} ${k}`);
    assert.equal([r.component, r.kind, r.label], [s.component, s.kind, s.label]);
  });
  const reader = await TraceReader.open(file);
  assert.equal(reader.names.label, ['MRd', 'MWr']);
  assert.is(reader.metadata.get('scenario'), 'unit');
  let batches = 0;
  for await (const b of reader.batches()) batches += b.length > 0 ? 1 : 0;
  assert.is(batches, 3);
});

test('provenance is schema metadata with sorted keys and canonical parameters', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE);
  tracer.channel('link0', 'dma')!.record(5, 1, 64, 0, 0, 0);
  tracer.close();
  const metadata = tableFromIPC(fs.readFileSync(file)).schema.metadata;
  assert.is(metadata.get(PROVENANCE_KEY.scenario), 'p2p-through-switch');
  assert.is(metadata.get(PROVENANCE_KEY.scenarioHash), 'sha256:0123abcd');
  assert.is(metadata.get(PROVENANCE_KEY.parameters), '{"iommu.enabled":true,"link.gen":4,"workload.size":"4 MiB"}');
  assert.is(metadata.get(PROVENANCE_KEY.seed), '42');
  assert.is(metadata.get(PROVENANCE_KEY.replication), '3');
  assert.is(metadata.get(PROVENANCE_KEY.pciesimVersion), '0.1.0');
  assert.is(metadata.get(TRACE_FORMAT_KEY), '1');
  const keys = [...metadata.keys()];
  assert.equal(keys, [...keys].sort());
});

test('the same inputs give the same bytes, whether written directly or by the background thread', () => {
  const dir = tempDir();
  const files = ['a.arrow', 'b.arrow', 'c.arrow'].map((f) => path.join(dir, f));
  const write = (file: string, backgroundAfterBytes: number) => {
    const w = new TraceWriter(file, { metadata: { scenario: 'same' }, batchRows: 1000, backgroundAfterBytes });
    const link = w.componentId('link0'), tlp = w.kindId('tlp'), mrd = w.labelId('MRd');
    // 50k rows is several 4 MiB slots of the background ring.
    for (let i = 0; i < 50_000; i++) w.append(link, tlp, i * 1000, i, 64 + (i & 63), i % 7, i / 3, -i, i % 5 === 0 ? NO_LABEL : mrd);
    w.close();
  };
  write(files[0]!, Infinity);
  write(files[1]!, Infinity);
  write(files[2]!, 0);
  const [a, b, c] = files.map((f) => fs.readFileSync(f));
  assert.ok(a!.equals(b!), 'two identical direct writes differ');
  assert.ok(a!.equals(c!), 'background write differs from direct write');
  assert.is(tableFromIPC(c!).numRows, 50_000);
});

test('several batches (and a partial last one) read back in order', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE, { batchRows: 4 });
  const ch = tracer.channel('endpoint0', 'dma')!;
  const label = tracer.label('done');
  for (let i = 0; i < 10; i++) ch.record(i * 10, i, i * 100, i, i, i, i % 2 ? label : NO_LABEL);
  tracer.close();
  const table = tableFromIPC(fs.readFileSync(file));
  assert.equal(table.batches.map((b) => b.numRows), [4, 4, 2]);
  assert.equal(table.toArray().map((r) => Number(r[COL.bytes])), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  assert.equal(table.toArray().map((r) => r[COL.label]), [null, 'done', null, 'done', null, 'done', null, 'done', null, 'done']);
});

test('dictionaries precede the first batch, so the file also reads front to back as a stream', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  writeSamples(file, 2);
  // Skip "ARROW1\0\0": what follows is a complete IPC stream, as front-to-back readers (DuckDB's nanoarrow) see it.
  const reader = RecordBatchStreamReader.from(fs.readFileSync(file).subarray(8));
  const components: string[] = [];
  for (const batch of reader) for (const row of batch) components.push(row[COL.component]);
  assert.equal(components, SAMPLES.map((s) => s.component));
});

test('a trace with no rows is still a valid file with its names', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE);
  tracer.channel('link0', 'tlp');
  tracer.close();
  assert.is(tableFromIPC(fs.readFileSync(file)).numRows, 0);
  const reader = await TraceReader.open(file);
  assert.equal(reader.names.component, ['link0']);
  await reader.close();
});

test('a new name after the first row is refused; known names are fine', () => {
  const dir = tempDir();
  const w = new TraceWriter(path.join(dir, 'trace.arrow'));
  const link = w.componentId('link0'), tlp = w.kindId('tlp');
  w.append(link, tlp, 0, 0, 0, 0, 0, 0, NO_LABEL);
  assert.is(w.componentId('link0'), link);
  assert.throws(() => w.labelId('late'), /new label name "late" after recording began/);
  assert.throws(() => w.componentId('link1'), /new component name/);
  w.close();
});

test('abort leaves no file, not even a temp one, before or after the background thread starts', () => {
  for (const backgroundAfterBytes of [Infinity, 0]) {
    const dir = tempDir();
    const w = new TraceWriter(path.join(dir, 'trace.arrow'), { batchRows: 100, backgroundAfterBytes });
    const link = w.componentId('link0'), tlp = w.kindId('tlp');
    for (let i = 0; i < 1000; i++) w.append(link, tlp, i, i, i, i, i, i, NO_LABEL);
    w.abort();
    w.abort();
    assert.equal(listDir(dir), []);
    assert.throws(() => w.close(), /aborted/);
  }
});

test('abort keeps an earlier complete trace in place', () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  writeSamples(file);
  const before = fs.readFileSync(file);
  const w = new TraceWriter(file);
  w.append(w.componentId('x'), w.kindId('y'), 0, 0, 0, 0, 0, 0, NO_LABEL);
  w.abort();
  assert.ok(fs.readFileSync(file).equals(before));
  assert.equal(listDir(dir), ['trace.arrow']);
});

test('values that are not exact integers are refused and nothing is left behind', () => {
  for (const [column, bad] of [[COL.time, 1.5], [COL.txn, 2 ** 53], [COL.bytes, Number.NaN]] as const) {
    const dir = tempDir();
    const w = new TraceWriter(path.join(dir, 'trace.arrow'));
    const c = w.componentId('link0'), k = w.kindId('tlp');
    const v = (col: string) => (col === column ? bad : 1);
    w.append(c, k, v(COL.time), v(COL.txn), v(COL.bytes), 0, 0, 0, NO_LABEL);
    assert.throws(() => w.close(), new RegExp(`${column}, row 0: .* not an integer`));
    assert.equal(listDir(dir), []);
  }
});

test('a batch that cannot be written aborts the writer at once', () => {
  const dir = tempDir();
  const w = new TraceWriter(path.join(dir, 'trace.arrow'), { batchRows: 2 });
  const c = w.componentId('link0'), k = w.kindId('tlp');
  w.append(c, k, 0, 0, 0, 0, 0, 0, NO_LABEL);
  assert.throws(() => w.append(c, k, -0.5, 0, 0, 0, 0, 0, NO_LABEL), /time_ps, row 1/);
  assert.equal(listDir(dir), []);
  w.append(c, k, 0, 0, 0, 0, 0, 0, NO_LABEL);
  assert.throws(() => w.close(), /aborted/);
});

test('a label id that was never handed out is refused', () => {
  const dir = tempDir();
  const w = new TraceWriter(path.join(dir, 'trace.arrow'));
  w.append(w.componentId('link0'), w.kindId('tlp'), 0, 0, 0, 0, 0, 0, 3);
  assert.throws(() => w.close(), /3 is not a label id/);
  assert.equal(listDir(dir), []);
});

test.run();

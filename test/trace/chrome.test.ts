import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_TXN, exportChrome, openTracer } from '../../src/trace/index.js';
import { tempDir } from '../helpers.js';
import { PROVENANCE, listDir } from './fixtures.js';

interface ChromeEvent {
  name: string; ph: string; pid: number; tid: number; ts?: number; dur?: number; s?: string;
  bind_id?: number; flow_in?: boolean; flow_out?: boolean; args: Record<string, unknown>;
}

/** A small trace over two batches: DMA completions with latencies, and instant credit updates. */
function writeTrace(dir: string): string {
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE, { batchRows: 2 });
  const dma = tracer.channel('endpoint0', 'dma')!;
  const credit = tracer.channel('link0', 'credit')!;
  const write = tracer.label('write "frame"');
  dma.record(2_500_000, 7, 4096, 1_250_000, 0.5, 2, write);
  credit.record(3_000_000, NO_TXN, 0, 0, 16, Number.POSITIVE_INFINITY);
  dma.record(10_000_001, 8, 64, 1, 0, 0);
  tracer.close();
  return file;
}

test('exports valid trace-event JSON: one named track per component, X for latencies and transactions, i otherwise', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'trace.json');
  const { events } = await exportChrome(writeTrace(dir), out);
  assert.is(events, 3);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { displayTimeUnit: string; otherData: { run: string }; traceEvents: ChromeEvent[] };
  assert.is(doc.displayTimeUnit, 'ns');
  assert.is(doc.otherData.run, 'pciesim p2p-through-switch (seed 42, replication 3)');
  const meta = doc.traceEvents.filter((e) => e.ph === 'M');
  assert.equal(meta.filter((e) => e.name === 'thread_name').map((e) => [e.pid, e.tid, e.args.name]), [[1, 1, 'endpoint0'], [2, 2, 'link0']]);
  assert.equal(meta.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args.name]), [[1, 'endpoint0'], [2, 'link0']]);
  const [first, second, third] = doc.traceEvents.filter((e) => e.ph !== 'M');
  // 2.5 us end with a 1.25 us latency: the slice spans [1.25, 2.5] us; transaction 7 starts a flow.
  assert.equal(first, {
    name: 'dma write "frame"', ph: 'X', ts: 1.25, dur: 1.25, bind_id: 7, flow_out: true, pid: 1, tid: 1,
    args: { txn: 7, bytes: 4096, a: 0.5, b: 2, label: 'write "frame"' },
  });
  // No transaction, no label, and a non-finite b, which JSON cannot hold.
  assert.equal(second, { name: 'credit', ph: 'i', s: 't', ts: 3, pid: 2, tid: 2, args: { bytes: 0, a: 16, b: null } });
  assert.equal([third!.ts, third!.dur], [10, 0.000001]);
  assert.equal(listDir(dir), ['trace.arrow', 'trace.json']);
});

test('tracks nest under their instance, and a transaction is followed across hops by flow arrows', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE);
  const hops = ['ep.dma', 'link0.ab', 'rc', 'rc.iommu', 'rc.memory'].map((c) => tracer.channel(c, 'tlp', { hot: false })!);
  // TLP 5 crosses every hop, 100 ns each; TLP 6 only the link; an instant of TLP 5 at the end.
  hops.forEach((ch, k) => ch.record((k + 1) * 100_000, 5, 64, 100_000, 0, 0));
  hops[1]!.record(700_000, 6, 64, 100_000, 0, 0);
  hops[4]!.record(800_000, 5, 0, 0, 0, 0);
  tracer.close();
  const out = path.join(dir, 'trace.json');
  await exportChrome(file, out);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: ChromeEvent[] };
  const meta = doc.traceEvents.filter((e) => e.ph === 'M');
  assert.equal(meta.filter((e) => e.name === 'process_name').map((e) => e.args.name), ['ep', 'link0', 'rc']);
  assert.equal(meta.filter((e) => e.name === 'thread_name').map((e) => [e.args.name, e.pid]),
    [['ep.dma', 1], ['link0.ab', 2], ['rc', 3], ['rc.iommu', 3], ['rc.memory', 3]]);
  const flow = doc.traceEvents.filter((e) => e.bind_id === 5);
  assert.equal(flow.map((e) => [e.ph, e.ts, e.flow_in ?? false, e.flow_out]), [
    ['X', 0, false, true], ['X', 0.1, true, true], ['X', 0.2, true, true], ['X', 0.3, true, true], ['X', 0.4, true, true],
    ['X', 0.8, true, true],
  ], 'starts once, then steps at every hop; its instant a zero-length slice the arrow can land on');
  assert.equal(doc.traceEvents.filter((e) => e.bind_id === 6).map((e) => e.flow_in ?? false), [false], 'another transaction, its own flow');
});

test('the export is deterministic, and makes a missing output folder', async () => {
  const dir = tempDir();
  const trace = writeTrace(dir);
  await exportChrome(trace, path.join(dir, 'a.json'));
  await exportChrome(trace, path.join(dir, 'new', 'b.json'));
  assert.ok(fs.readFileSync(path.join(dir, 'a.json')).equals(fs.readFileSync(path.join(dir, 'new', 'b.json'))));
});

test('a large trace streams out in chunks and stays valid', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'trace.arrow');
  const tracer = openTracer(file, { enabled: true }, PROVENANCE);
  const ch = tracer.channel('link0', 'tlp', { hot: false })!;
  const ROWS = 100_000; // about 9 MB of JSON: several write chunks
  for (let i = 0; i < ROWS; i++) ch.record(i * 1000 + 500, i, 256, 500, 0, 0);
  tracer.close();
  const out = path.join(dir, 'trace.json');
  assert.equal(await exportChrome(file, out), { events: ROWS });
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: ChromeEvent[] };
  const slices = doc.traceEvents.filter((e) => e.ph === 'X');
  assert.is(slices.length, ROWS);
  assert.is(slices[ROWS - 1]!.ts, (ROWS - 1) / 1000);
});

test('a missing trace rejects and leaves no output', async () => {
  const dir = tempDir();
  let failed = false;
  try {
    await exportChrome(path.join(dir, 'missing.arrow'), path.join(dir, 'out.json'));
  } catch {
    failed = true;
  }
  assert.ok(failed);
  assert.equal(listDir(dir), []);
});

test.run();

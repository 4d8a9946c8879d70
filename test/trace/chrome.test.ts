import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_TXN, exportChrome, openTracer } from '../../src/trace/index.js';
import { tempDir } from '../helpers.js';
import { PROVENANCE, listDir } from './fixtures.js';

interface ChromeEvent { name: string; ph: string; pid: number; tid: number; ts?: number; dur?: number; s?: string; args: Record<string, unknown> }

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

test('exports valid trace-event JSON: one named track per component, X for latencies, i otherwise', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'trace.json');
  const { events } = await exportChrome(writeTrace(dir), out);
  assert.is(events, 3);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { displayTimeUnit: string; traceEvents: ChromeEvent[] };
  assert.is(doc.displayTimeUnit, 'ns');
  const meta = doc.traceEvents.filter((e) => e.ph === 'M');
  assert.equal(meta.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name]), [[1, 'endpoint0'], [2, 'link0']]);
  assert.equal(meta.find((e) => e.name === 'process_name')!.args.name, 'pciesim p2p-through-switch (seed 42, replication 3)');
  const [first, second, third] = doc.traceEvents.filter((e) => e.ph !== 'M');
  // 2.5 us end with a 1.25 us latency: the slice spans [1.25, 2.5] us.
  assert.equal(first, { name: 'dma', ph: 'X', ts: 1.25, dur: 1.25, pid: 1, tid: 1, args: { txn: 7, bytes: 4096, a: 0.5, b: 2, label: 'write "frame"' } });
  // No transaction, no label, and a non-finite b, which JSON cannot hold.
  assert.equal(second, { name: 'credit', ph: 'i', s: 't', ts: 3, pid: 1, tid: 2, args: { bytes: 0, a: 16, b: null } });
  assert.equal([third!.ts, third!.dur], [10, 0.000001]);
  assert.equal(listDir(dir), ['trace.arrow', 'trace.json']);
});

test('the export is deterministic', async () => {
  const dir = tempDir();
  const trace = writeTrace(dir);
  await exportChrome(trace, path.join(dir, 'a.json'));
  await exportChrome(trace, path.join(dir, 'b.json'));
  assert.ok(fs.readFileSync(path.join(dir, 'a.json')).equals(fs.readFileSync(path.join(dir, 'b.json'))));
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

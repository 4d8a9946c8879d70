/** The renderer's trace: one `frame` row per frame, presented on time, late, or skipped, adding up to its metrics. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, ROOT, tempDir, writeScenario } from '../helpers.js';
import { readTrace, type TraceRow } from '../../src/trace/index.js';

async function frames(renderTime: string, frameCount: number): Promise<{ rows: TraceRow[]; m: Record<string, number> }> {
  const dir = tempDir();
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'display-frames.json'), 'utf8'));
  body.components.find((c: { name: string }) => c.name === 'display').params.renderTime = renderTime;
  const r = await cliInProcess(['run', writeScenario(dir, 'frames.json', body), '--set', `frames=${frameCount}`, '--trace-include', 'display/frame', '--out', path.join(dir, 'out'), '--json']);
  assert.is(r.code, 0, r.stderr);
  const rows: TraceRow[] = [];
  for await (const row of readTrace(path.join(dir, 'out', 'trace.arrow'))) if (row.kind === 'frame') rows.push(row);
  return { rows, m: JSON.parse(r.stdout).metrics };
}

test('every frame is a row: presented on time when rendering fits a period, with its number and its tick-to-flip time', async () => {
  const { rows, m } = await frames('0 ns', 30);
  assert.is(rows.length, 30);
  assert.equal(rows.map((x) => x.a).sort((a, b) => a - b), [...Array(30).keys()]);
  assert.ok(rows.every((x) => x.label === 'on time' && x.latency >= x.b && x.b > 0));
  assert.is(m['display.missed_deadlines'], 0);
});

test('rendering longer than a period: the rows say late or skipped, as many as the metrics count', async () => {
  const { rows, m } = await frames('25 ms', 30);
  const n = (label: string) => rows.filter((x) => x.label === label).length;
  assert.ok(n('late') > 0 && n('skipped') > 0, `late ${n('late')}, skipped ${n('skipped')}`);
  assert.is(n('skipped'), m['display.skipped_frames']);
  assert.is(n('on time') + n('late') + n('skipped'), 30 - (m['display.missed_deadlines'] - n('late') - n('skipped')), 'every frame shown or skipped has its row');
  assert.ok(rows.filter((x) => x.label === 'late').every((x) => x.b > 1e12 / 60), 'late: its flip took more than a period after its tick');
});

test.run();

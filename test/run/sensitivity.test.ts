/**
 * One-at-a-time sensitivity to preset estimates: what is varied, what is not,
 * the ranking, and that shards and merge carry the table like a one-machine
 * sweep does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { UserError } from '../../src/scenario/errors.js';
import { planSensitivity, runSensitivity, runSensitivityProbe } from '../../src/run/sensitivity.js';
import { runPool } from '../../src/run/pool.js';
import { planSweep } from '../../src/run/plan.js';
import type { SweepTask, SweepTaskResult, SweepWorkerData } from '../../src/run/planned-run.js';
import { cliInProcess, ROOT, tempDir, writeScenario } from '../helpers.js';

const lib = await loadModelLibrary();
const study = (): Record<string, any> => JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'hypercall-costs.json'), 'utf8'));
const doc = (body: unknown) => parseScenario('s.json', JSON.stringify(body));

test('every estimate with a range is run at both ends; measured figures and scenario-set values are left alone', async () => {
  const body = study();
  body.components[0].params = { ipi: '2 us' };
  const t = runSensitivity(doc(body), lib, {})!;
  const keys = t.rows.map((r) => r.key);
  const preset = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'presets', 'xen-x86.json'), 'utf8')).values as Record<string, { estimate?: boolean; range?: unknown }>;
  const expected = Object.keys(preset).filter((k) => preset[k]!.estimate && preset[k]!.range && k !== 'ipi').sort();
  assert.equal([...keys].sort(), expected);
  assert.ok(t.rows.every((r) => r.component === 'xen' && r.preset === 'xen-x86'), 'the hypervisor\'s preset is the only one with estimates here');
  assert.not.ok(keys.includes('hypercallCycles'), 'a measured value is not an estimate');
  // Ranked by swing, largest first.
  const swings = t.rows.map((r) => r.swing ?? -1);
  assert.equal(swings, [...swings].sort((a, b) => b - a));
});

test('a swing is the metric\'s response to the range, measured against a run with the value replaced', async () => {
  const body = study();
  const t = runSensitivity(doc(body), lib, {})!;
  const map = t.rows.find((r) => r.key === 'mapPerOp')!;
  // Per-use map of 64 pages: the map phase's per-op work moves the per-page round cost one for one.
  assert.ok(Math.abs((map.atHigh! - map.atLow!) - (2000 - 200)) < 1e-6, `${map.atHigh} - ${map.atLow}`);
  assert.ok(Math.abs(map.swing! - (map.atHigh! - map.atLow!) / t.baseline!) < 1e-12);
  // Copy costs do not enter a map round: no swing.
  assert.is(t.rows.find((r) => r.key === 'copyPerOp')!.swing, 0);
  // The baseline is the base point's own run.
  const base = resolveScenario(doc(body), t.at as Record<string, string>, lib);
  assert.is(base.parameters.batch, 64);
});

test('the base point must name declared parameters', async () => {
  const body = study(); body.report.sensitivity.at = { bacth: 64 };
  try { doc(body); assert.unreachable(); } catch (e) {
    assert.ok(e instanceof UserError);
    assert.match((e as Error).message, 's.json: report.sensitivity.at.bacth: "bacth" is not a parameter this scenario declares');
  }
});

test('a sweep writes sensitivity.json and its report shows it; shards and merge carry it', async () => {
  const dir = tempDir();
  const body = study(); body.sweep.grid = { batch: [1, 64] };
  const file = writeScenario(dir, 'hc.json', body);
  const one = path.join(dir, 'one');
  assert.is((await cliInProcess(['sweep', file, '--out', one, '--jobs', '2'])).code, 0);
  // The sweep runs the analysis's runs in its pool, on both threads: the table is the one runSensitivity makes alone.
  const alone = runSensitivity(doc(body), lib, {})!;
  assert.equal(JSON.parse(fs.readFileSync(path.join(one, 'sensitivity.json'), 'utf8')), JSON.parse(JSON.stringify(alone)));
  const html = fs.readFileSync(path.join(one, 'report', 'index.html'), 'utf8');
  assert.match(html, 'Sensitivity to the estimates');
  assert.match(html, 'mapPerOp');
  for (const k of [1, 2]) assert.is((await cliInProcess(['sweep', file, '--shard', `${k}/2`, '--out', path.join(dir, `s${k}`)])).code, 0);
  assert.ok(fs.existsSync(path.join(dir, 's1', 'sensitivity.json')));
  assert.not.ok(fs.existsSync(path.join(dir, 's2', 'sensitivity.json')), 'only the first shard runs it');
  assert.is((await cliInProcess(['merge', path.join(dir, 's1'), path.join(dir, 's2'), '--out', path.join(dir, 'm'), '--no-report'])).code, 0);
  assert.ok(fs.readFileSync(path.join(dir, 'm', 'sensitivity.json')).equals(fs.readFileSync(path.join(one, 'sensitivity.json'))));
});

test('a worker thread runs a sensitivity run as the calling thread does', async () => {
  const body = study();
  const d = doc(body);
  const plan = planSensitivity(d, lib, {})!;
  const probes = plan.probes.slice(0, 5);
  const modules = [...new Set(planSweep(d, lib, { overrides: {} }).types.map((t) => lib.modules.get(t)!))];
  const data: SweepWorkerData = { setups: [{ doc: d, overrides: {}, trace: false, out: tempDir(), modules }], modules };
  const figures = new Array<number | null>(probes.length).fill(null);
  // No `local`: every task runs on the worker.
  const times = await runPool<SweepTask, SweepTaskResult>({
    jobs: 1, worker: new URL('../../src/run/worker.js', import.meta.url), workerData: data,
    tasks: probes.map((probe, index) => ({ index, sweep: 0, run: null, probe })),
    onResult: (task, r) => { figures[task.index] = (r as { figure: number | null }).figure; },
  });
  assert.is(times.workers[0]!.tasks, probes.length);
  assert.equal(figures, probes.map((p) => runSensitivityProbe(d, lib, p)));
  assert.ok(figures.every((f) => typeof f === 'number'), 'each probe reports the metric');
});

test.run();

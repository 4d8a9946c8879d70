import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../scenario/errors.js';
import { parseJsonFile } from '../scenario/json-file.js';
import type { ModelLibrary, ScenarioDoc } from '../scenario/loader.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { canonicalJson } from '../util/canonical-json.js';
import { planSensitivity, readSensitivity, sensitivityTable, writeSensitivity } from './sensitivity.js';
import { planSweep, shardRuns, type PlannedRun, type PlanOptions, type Shard, type SweepManifest } from './plan.js';
import { runPool, type PoolTimes } from './pool.js';
import { epochMs } from './pool-worker.js';
import { Progress } from './progress.js';
import { resultsTable, writeResultsFile } from './results-file.js';
import type { RunSummary } from './single.js';
import { runSweepTask, type SweepSetup, type SweepTask, type SweepTaskResult } from './planned-run.js';

import { SWEEP_FILES } from './sweep-files.js';
export { SWEEP_FILES };

/** sweep.json: the manifest plus which slice of it this folder holds. */
export interface SweepFolder {
  manifest: SweepManifest;
  shard: Shard | null;
}

export interface SweepOptions {
  doc: ScenarioDoc;
  lib: ModelLibrary;
  plan: PlanOptions;
  jobs: number;
  shard?: Shard;
  resume: boolean;
  out: string;
  /** Record every run's trace (runs/<id>/trace.arrow) even where the scenario leaves tracing off. */
  trace?: boolean;
  progress?: NodeJS.WriteStream | null;
}

export interface SweepOutcome {
  manifest: SweepManifest;
  runs: number;
  skipped: number;
  failed: number;
  /** Where the wall time went (bench:sweep prints it): epoch ms at the start, the end of planning, of the runs, of the results file. */
  times: { started: number; planned: number; pool: PoolTimes; written: number };
}

export function runSummaryPath(dir: string, run: PlannedRun): string {
  return path.join(dir, SWEEP_FILES.runs, run.id, SWEEP_FILES.summary);
}

/**
 * A finished run's summary, or null if the run has not finished (no file, or
 * not one this sweep wrote). A summary that is there but not a summary (a
 * file edited or broken by hand: the sweep writes them atomically) is a user
 * error naming it.
 */
export function readRunSummary(dir: string, run: PlannedRun): RunSummary | null {
  const file = runSummaryPath(dir, run);
  if (!fs.existsSync(file)) return null;
  const s = parseJsonFile(file, 'run summary');
  if (!isObject(s) || !('seed' in s) || !isObject(s.metrics)) throw new UserError(`${file}: not a run summary (no seed or metrics); delete the run's folder to run it again`);
  return s.seed === run.seed && s.replication === run.replication ? s as unknown as RunSummary : null;
}

export function readSweepFolder(dir: string): SweepFolder {
  const file = path.join(dir, SWEEP_FILES.manifest);
  if (!fs.existsSync(file)) throw new UserError(`${dir}: not a sweep folder (no ${SWEEP_FILES.manifest})`);
  const folder = parseJsonFile(file, 'sweep manifest');
  const m = isObject(folder) ? folder.manifest : undefined;
  if (!isObject(m) || !isObject(m.scenario) || !Array.isArray(m.parameters) || !Array.isArray(m.points) || !('shard' in (folder as object))) {
    throw new UserError(`${file}: not a sweep manifest (expected {manifest: {scenario, parameters, points, ...}, shard}, as pciesim sweep writes)`);
  }
  return folder as unknown as SweepFolder;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Runs a sweep (or one shard of it) into `out`: sweep.json first, then one
 * runs/<id>/summary.json per run as it finishes (each written atomically, so
 * a killed sweep leaves only whole files), then results.arrow in run order.
 * With `resume`, runs whose summary is already there are not redone.
 */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const started = epochMs();
  const { manifest, runs, types } = planSweep(o.doc, o.lib, o.plan);
  const mine = shardRuns(runs, o.shard);
  const folder: SweepFolder = { manifest, shard: o.shard ?? null };
  checkOutFolder(o.out, folder, o.resume);
  writeFileAtomic(path.join(o.out, SWEEP_FILES.manifest), canonicalJson(folder, 2) + '\n');

  const finished = new Map<number, RunSummary>();
  if (o.resume) for (const r of mine) { const s = readRunSummary(o.out, r); if (s) finished.set(r.index, s); }
  const todo = mine.filter((r) => !finished.has(r.index));
  // The sensitivity runs belong to the whole sweep: one shard (the first) makes them, merge carries them over. They
  // go through the pool after the sweep's own runs, so they run in parallel too.
  const sensitivity = (o.shard === undefined || o.shard.index === 1) && !(o.resume && readSensitivity(o.out) !== null)
    ? planSensitivity(o.doc, o.lib, o.plan.overrides) : null;
  const probes = sensitivity?.probes ?? [];
  const tasks: SweepTask[] = [
    ...todo.map((run, i) => ({ index: i, run, probe: null })),
    ...probes.map((probe, k) => ({ index: todo.length + k, run: null, probe })),
  ];
  const figures = new Array<number | null>(probes.length).fill(null);
  const progress = new Progress(tasks.length, manifest.scenario.name, o.progress === undefined ? process.stderr : o.progress);
  const modules = [...new Set(types.map((t) => o.lib.modules.get(t)!))];
  const setup: SweepSetup = { doc: o.doc, overrides: o.plan.overrides, trace: o.trace ?? false, out: o.out, modules };
  const killAfter = crashAfterRuns(process.env);
  let written = 0;
  const planned = epochMs();
  const pool = await runPool<SweepTask, SweepTaskResult>({
    jobs: o.jobs,
    worker: new URL('./worker.js', import.meta.url),
    workerData: setup,
    local: (task) => runSweepTask(setup, o.lib, task),
    tasks,
    onResult: (task, result) => {
      if (task.run === null) {
        figures[task.index - todo.length] = (result as { figure: number | null }).figure;
        progress.tick(false);
        return;
      }
      const run = task.run, { summary } = result as { summary: RunSummary };
      writeFileAtomic(runSummaryPath(o.out, run), canonicalJson(summary, 2) + '\n');
      finished.set(run.index, summary);
      progress.tick(summary.status === 'failed');
      if (++written === killAfter) process.kill(process.pid, 'SIGKILL');
    },
  });
  writeResultsFile(path.join(o.out, SWEEP_FILES.results), resultsTable(manifest, mine.map((run) => ({ run, summary: finished.get(run.index)! }))));
  if (sensitivity !== null) writeSensitivity(o.out, sensitivityTable(sensitivity, figures));
  const times = { started, planned, pool, written: epochMs() };
  return { manifest, runs: mine.length, skipped: mine.length - todo.length, failed: [...finished.values()].filter((s) => s.status === 'failed').length, times };
}

/**
 * PCIESIM_CRASH_AFTER_RUNS=N makes the sweep process kill itself (SIGKILL,
 * as a crash or an operator would) right after its Nth run summary is
 * written: the tests of --resume interrupt a sweep at an exact point
 * instead of racing a timer against it.
 */
function crashAfterRuns(env: NodeJS.ProcessEnv): number {
  const n = Number(env.PCIESIM_CRASH_AFTER_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : Infinity;
}

/** A sweep never writes over something else: the folder is new, empty, or (with --resume) the same sweep. */
function checkOutFolder(out: string, folder: SweepFolder, resume: boolean): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new UserError(`--out ${out}: exists and is not a folder`);
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return;
  if (!entries.includes(SWEEP_FILES.manifest)) throw new UserError(`--out ${out}: the folder is not empty and holds no sweep; choose another folder`);
  if (!resume) throw new UserError(`--out ${out}: already holds a sweep; add --resume to finish it, or choose another folder`);
  const existing = readSweepFolder(out);
  if (canonicalJson(existing) !== canonicalJson(folder)) {
    const what = canonicalJson(existing.manifest) !== canonicalJson(folder.manifest) ? 'a different scenario, parameters or grid' : 'a different shard';
    throw new UserError(`--resume ${out}: that folder holds ${what}; resume with the same scenario and flags, or choose another folder`);
  }
}

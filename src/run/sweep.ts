import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../scenario/errors.js';
import { parseJsonFile } from '../scenario/json-file.js';
import type { ModelLibrary, ScenarioDoc } from '../scenario/loader.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { canonicalJson } from '../util/canonical-json.js';
import { planSensitivity, readSensitivity, sensitivityTable, writeSensitivity, type SensitivityPlan } from './sensitivity.js';
import { planSweep, shardRuns, type PlannedRun, type PlanOptions, type Shard, type SweepManifest } from './plan.js';
import { runPool, type PoolTimes } from './pool.js';
import { epochMs } from './pool-worker.js';
import { Progress } from './progress.js';
import { resultsTable, writeResultsFile } from './results-file.js';
import type { RunSummary } from './single.js';
import { runSweepTask, type SweepSetup, type SweepTask, type SweepTaskResult, type SweepWorkerData } from './planned-run.js';

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

/** A sweep planned and its folder started, its tasks not yet run: what runSweep and runSweeps share. */
interface PreparedSweep {
  o: SweepOptions;
  started: number;
  planned: number;
  manifest: SweepManifest;
  mine: PlannedRun[];
  finished: Map<number, RunSummary>;
  /** Its runs still to do, then its sensitivity probes (SweepTask.index is the place in this list). */
  tasks: SweepTask[];
  runsToDo: number;
  sensitivity: SensitivityPlan | null;
  figures: (number | null)[];
  setup: SweepSetup;
  written: number;
  killAfter: number;
}

/** Plans the sweep, checks and starts its folder (sweep.json, and with `resume` what is there already), and lists its tasks. */
function prepareSweep(o: SweepOptions, sweep: number): PreparedSweep {
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
    ...todo.map((run, i) => ({ index: i, sweep, run, probe: null })),
    ...probes.map((probe, k) => ({ index: todo.length + k, sweep, run: null, probe })),
  ];
  const modules = [...new Set(types.map((t) => o.lib.modules.get(t)!))];
  return {
    o, started, planned: epochMs(), manifest, mine, finished, tasks, runsToDo: todo.length, sensitivity,
    figures: new Array<number | null>(probes.length).fill(null),
    setup: { doc: o.doc, overrides: o.plan.overrides, trace: o.trace ?? false, out: o.out, modules },
    written: 0,
    killAfter: crashAfterRuns(process.env),
  };
}

/** Where a sweep's progress lines go: stderr unless its options say otherwise (null: nowhere). */
const progressStream = (o: SweepOptions): NodeJS.WriteStream | null => (o.progress === undefined ? process.stderr : o.progress);

/**
 * A task of `p` finished: a run's summary is written at once (atomically), a
 * probe's figure kept for the table. Returns whether it was a run that failed
 * (for the progress line).
 */
function deliverTask(p: PreparedSweep, task: SweepTask, result: SweepTaskResult): boolean {
  if (task.run === null) {
    p.figures[task.index - p.runsToDo] = (result as { figure: number | null }).figure;
    return false;
  }
  const run = task.run, { summary } = result as { summary: RunSummary };
  writeFileAtomic(runSummaryPath(p.o.out, run), canonicalJson(summary, 2) + '\n');
  p.finished.set(run.index, summary);
  if (++p.written === p.killAfter) process.kill(process.pid, 'SIGKILL');
  return summary.status === 'failed';
}

/** Every task of `p` done: results.arrow in run order, then sensitivity.json. */
function finishSweep(p: PreparedSweep): Omit<SweepOutcome, 'times'> {
  writeResultsFile(path.join(p.o.out, SWEEP_FILES.results), resultsTable(p.manifest, p.mine.map((run) => ({ run, summary: p.finished.get(run.index)! }))));
  if (p.sensitivity !== null) writeSensitivity(p.o.out, sensitivityTable(p.sensitivity, p.figures));
  const failed = [...p.finished.values()].filter((s) => s.status === 'failed').length;
  return { manifest: p.manifest, runs: p.mine.length, skipped: p.mine.length - p.runsToDo, failed };
}

/**
 * One pool for the tasks of every sweep in `sweeps` (each task names its
 * sweep); each result is delivered to its sweep and the progress line told.
 */
function poolOf(sweeps: PreparedSweep[], jobs: number, progress: Progress, onDelivered: (p: PreparedSweep, task: SweepTask) => void = () => {}): Promise<PoolTimes> {
  const setups = sweeps.map((p) => p.setup);
  const data: SweepWorkerData = { setups, modules: [...new Set(setups.flatMap((s) => s.modules))] };
  return runPool<SweepTask, SweepTaskResult>({
    jobs,
    worker: new URL('./worker.js', import.meta.url),
    workerData: data,
    local: (task) => runSweepTask(setups[task.sweep]!, sweeps[task.sweep]!.o.lib, task),
    tasks: sweeps.flatMap((p) => p.tasks),
    onResult: (task, result) => {
      const p = sweeps[task.sweep]!;
      progress.tick(deliverTask(p, task, result));
      onDelivered(p, task);
    },
  });
}

/**
 * Runs a sweep (or one shard of it) into `out`: sweep.json first, then one
 * runs/<id>/summary.json per run as it finishes (each written atomically, so
 * a killed sweep leaves only whole files), then results.arrow in run order.
 * With `resume`, runs whose summary is already there are not redone.
 */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const p = prepareSweep(o, 0);
  const pool = await poolOf([p], o.jobs, new Progress(p.tasks.length, p.manifest.scenario.name, progressStream(o)));
  return { ...finishSweep(p), times: { started: p.started, planned: p.planned, pool, written: epochMs() } };
}

/**
 * Runs several sweeps of one model library as runSweep runs each, through
 * one pool: the threads go on from one sweep's last runs to the next
 * sweep's first instead of waiting for the slowest, and the workers start
 * once. Every sweep is planned, and its folder checked, before any run.
 * Each is finished (results.arrow, sensitivity.json, then `onFinished`) as
 * soon as its own tasks are done, so sweeps may finish out of list order;
 * one progress line counts every task.
 */
export async function runSweeps(list: readonly SweepOptions[], jobs: number, label: string, onFinished: (o: SweepOptions, outcome: Omit<SweepOutcome, 'times'>) => void): Promise<void> {
  if (list.length === 0) return;
  const sweeps = list.map((o, k) => prepareSweep(o, k));
  const left = sweeps.map((p) => p.tasks.length);
  const progress = new Progress(left.reduce((a, b) => a + b, 0), label, progressStream(list[0]!));
  // A sweep with nothing left to run (resumed whole) is finished at once.
  sweeps.forEach((p, k) => { if (left[k] === 0) onFinished(p.o, finishSweep(p)); });
  await poolOf(sweeps, jobs, progress, (p, task) => {
    if (--left[task.sweep]! === 0) onFinished(p.o, finishSweep(p));
  });
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

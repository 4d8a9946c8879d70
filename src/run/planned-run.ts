/**
 * One task of a sweep, as a worker thread or the sweep's own thread does it:
 * one of its runs (resolve the scenario at the run's point, open its trace if
 * it records one, run it), or one run of its sensitivity analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveScenario, type ModelLibrary, type ScenarioDoc } from '../scenario/loader.js';
import type { PlannedRun } from './plan.js';
import { openRunTracer, runScenario, TRACE_FILE, type RunSummary } from './single.js';
import { SWEEP_FILES } from './sweep-files.js';
import { runSensitivityProbe, type SensitivityProbe } from './sensitivity.js';

export interface SweepSetup {
  doc: ScenarioDoc;
  overrides: Record<string, string>;
  /** Turn tracing on even where the scenario leaves it off (--trace). */
  trace: boolean;
  /** The sweep folder: traces go to runs/<id>/trace.arrow. */
  out: string;
  /** The model modules a worker loads: those of the component types the sweep's runs use (ModelLibrary.modules). */
  modules: string[];
}

export async function runPlannedRun(setup: SweepSetup, lib: ModelLibrary, run: PlannedRun): Promise<{ summary: RunSummary }> {
  const sc = resolveScenario(setup.doc, { ...setup.overrides, ...run.values }, lib, 'sweep');
  if (setup.trace) sc.trace.enabled = true;
  const req = { seed: run.seed, replication: run.replication };
  const tracePath = path.join(setup.out, SWEEP_FILES.runs, run.id, TRACE_FILE);
  if (sc.trace.enabled) fs.mkdirSync(path.dirname(tracePath), { recursive: true });
  const tracer = await openRunTracer(sc, req, tracePath);
  return { summary: runScenario(sc, { ...req, tracer }) };
}

/** A task of a sweep's pool (`index`: its place in its sweep's list; `sweep`: which of the pool's sweeps): one of the sweep's runs, or one run of its sensitivity analysis. */
export type SweepTask = { index: number; sweep: number; run: PlannedRun; probe: null } | { index: number; sweep: number; run: null; probe: SensitivityProbe };

/** What a sweep pool's workers are given: the setup of every sweep in the pool (SweepTask.sweep picks one), and the model modules they use between them. */
export interface SweepWorkerData {
  setups: SweepSetup[];
  modules: string[];
}
export type SweepTaskResult = { summary: RunSummary } | { figure: number | null };

export async function runSweepTask(setup: SweepSetup, lib: ModelLibrary, task: SweepTask): Promise<SweepTaskResult> {
  return task.run !== null ? runPlannedRun(setup, lib, task.run) : { figure: runSensitivityProbe(setup.doc, lib, task.probe) };
}

/**
 * A sweep worker thread: loads the model library and the scenario once, then
 * runs the batches of runs the pool sends, one run at a time, and posts each summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelLibrary } from '../scenario/library.js';
import { resolveScenario, type ScenarioDoc } from '../scenario/loader.js';
import fs from 'node:fs';
import path from 'node:path';
import { openRunTracer, runScenario, TRACE_FILE } from './single.js';
import { SWEEP_FILES } from './sweep-files.js';
import type { PlannedRun } from './plan.js';

export interface WorkerSetup {
  doc: ScenarioDoc;
  overrides: Record<string, string>;
  /** Turn tracing on even where the scenario leaves it off (--trace). */
  trace: boolean;
  /** The sweep folder: traces go to runs/<id>/trace.arrow. */
  out: string;
}

const setup = workerData as WorkerSetup;
const lib = await loadModelLibrary();
const port = parentPort!;

// A batch of runs, in order; one result message per run as it finishes.
port.on('message', async (runs: PlannedRun[]) => {
  for (const run of runs) {
    const sc = resolveScenario(setup.doc, { ...setup.overrides, ...run.values }, lib, 'sweep');
    if (setup.trace) sc.trace.enabled = true;
    const req = { seed: run.seed, replication: run.replication };
    const tracePath = path.join(setup.out, SWEEP_FILES.runs, run.id, TRACE_FILE);
    if (sc.trace.enabled) fs.mkdirSync(path.dirname(tracePath), { recursive: true });
    const tracer = await openRunTracer(sc, req, tracePath);
    port.postMessage({ index: run.index, summary: runScenario(sc, { ...req, tracer }) });
  }
});
port.postMessage({ ready: true });

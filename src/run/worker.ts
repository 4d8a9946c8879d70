/**
 * A sweep worker thread: loads the model library once, then runs the batches
 * of runs the pool sends, one run at a time, and posts each summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelLibrary } from '../scenario/library.js';
import type { PlannedRun } from './plan.js';
import { runPlannedRun, type SweepSetup } from './planned-run.js';

const setup = workerData as SweepSetup;
const lib = await loadModelLibrary();
const port = parentPort!;

// A batch of runs, in order; one result message per run as it finishes.
port.on('message', async (runs: PlannedRun[]) => {
  for (const run of runs) port.postMessage({ index: run.index, ...await runPlannedRun(setup, lib, run) });
});
port.postMessage({ ready: true });

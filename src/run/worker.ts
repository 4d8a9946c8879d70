/**
 * A sweep worker thread: loads the model library and the scenario once, then
 * runs whatever runs the pool sends, one at a time, and posts each summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelLibrary } from '../scenario/library.js';
import { resolveScenario, type ScenarioDoc } from '../scenario/loader.js';
import { runScenario } from './single.js';
import type { PlannedRun } from './plan.js';

export interface WorkerSetup {
  doc: ScenarioDoc;
  overrides: Record<string, string>;
}

const setup = workerData as WorkerSetup;
const lib = await loadModelLibrary();
const port = parentPort!;

port.on('message', (run: PlannedRun) => {
  const sc = resolveScenario(setup.doc, { ...setup.overrides, ...run.values }, lib, 'sweep');
  port.postMessage({ index: run.index, summary: runScenario(sc, { seed: run.seed, replication: run.replication }) });
});
port.postMessage({ ready: true });

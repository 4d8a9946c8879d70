/**
 * A sweep worker thread: loads the model modules the sweep uses once, then
 * runs the runs it claims (pool-worker.ts), one at a time.
 */
import { loadModelLibrary, modelFolders } from '../scenario/library.js';
import { runSweepTask, type SweepSetup, type SweepTask } from './planned-run.js';
import { poolWorkerData, serveTasks } from './pool-worker.js';

const setup = poolWorkerData<SweepSetup>();
const lib = await loadModelLibrary(modelFolders(), new Set(setup.modules));
await serveTasks((task: SweepTask) => runSweepTask(setup, lib, task));

/**
 * A sweep worker thread: loads the model modules its pool's sweeps use once,
 * then runs the tasks it claims (pool-worker.ts), one at a time.
 */
import { loadModelLibrary, modelFolders } from '../scenario/library.js';
import { runSweepTask, type SweepTask, type SweepWorkerData } from './planned-run.js';
import { poolWorkerData, serveTasks } from './pool-worker.js';

const { setups, modules } = poolWorkerData<SweepWorkerData>();
const lib = await loadModelLibrary(modelFolders(), new Set(modules));
await serveTasks((task: SweepTask) => runSweepTask(setups[task.sweep]!, lib, task));

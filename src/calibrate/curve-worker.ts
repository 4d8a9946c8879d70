/**
 * A curve-simulating worker thread (curve-pool.ts): loads the model library
 * once, then simulates the curves it claims, one at a time.
 */
import { loadModelLibrary } from '../scenario/library.js';
import { serveTasks } from '../run/pool-worker.js';
import { CurveSimulator } from './simulate.js';
import { simulateCurveTask, type CurveTask } from './curve-pool.js';

const sim = new CurveSimulator(await loadModelLibrary());
await serveTasks(async (task: CurveTask) => simulateCurveTask(sim, task));

/**
 * A curve-simulating worker thread (curve-pool.ts): loads the model library
 * once, then simulates the curves it is handed, one at a time, until its
 * pool closes.
 */
import { loadModelLibrary } from '../scenario/library.js';
import { serveBatches } from '../run/batch-pool-worker.js';
import { CurveSimulator } from './simulate.js';
import { simulateCurveTask, type CurveTask } from './curve-pool.js';

const sim = new CurveSimulator(await loadModelLibrary());
serveBatches((task: CurveTask) => simulateCurveTask(sim, task));

/**
 * A batch pool worker for batch-pool.test.ts: squares each task's n, after
 * spinning `spinMs` (a run's work); throws at a task marked `fail`, exits the
 * thread at one marked `exit`. With `startDelayMs` it takes that long to be
 * ready (as a worker loading its modules).
 */
import { workerData } from 'node:worker_threads';
import { serveBatches } from '../../src/run/batch-pool-worker.js';
import { square, type FixtureTask } from './batch-pool-fixture.js';

const { startDelayMs = 0 } = (workerData ?? {}) as { startDelayMs?: number };
if (startDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, startDelayMs));
serveBatches((task: FixtureTask) => {
  if (task.fail) throw new Error(`task ${task.n} failed in a worker`);
  if (task.exit) process.exit(3);
  return square(task, 'worker');
});

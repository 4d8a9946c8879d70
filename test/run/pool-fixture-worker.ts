/** A pool worker for pool.test.ts: squares each task's index; fails or exits at the task the test names. */
import { poolWorkerData, serveTasks } from '../../src/run/pool-worker.js';

const { throwAt, exitAt } = poolWorkerData<{ throwAt: number; exitAt: number }>();
await serveTasks(async (task: { index: number }) => {
  if (task.index === throwAt) throw new Error(`task ${throwAt} failed`);
  if (task.index === exitAt) process.exit(3);
  return { square: task.index * task.index, by: 'worker' };
});

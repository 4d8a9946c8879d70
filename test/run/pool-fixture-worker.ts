/**
 * A pool worker for pool.test.ts: squares each task's index; fails or exits at the task the test names. With
 * `startDelayMs` it takes that long to be ready (as a worker loading its modules); with `endMarker` it writes
 * that file, the number of tasks it ran, once its module has run to its end.
 */
import fs from 'node:fs';
import { poolWorkerData, serveTasks } from '../../src/run/pool-worker.js';

const { throwAt, exitAt, startDelayMs = 0, endMarker } = poolWorkerData<{ throwAt: number; exitAt: number; startDelayMs?: number; endMarker?: string }>();
if (startDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, startDelayMs));
let ran = 0;
await serveTasks(async (task: { index: number }) => {
  ran++;
  if (task.index === throwAt) throw new Error(`task ${throwAt} failed`);
  if (task.index === exitAt) process.exit(3);
  return { square: task.index * task.index, by: 'worker' };
});
if (endMarker !== undefined) fs.writeFileSync(endMarker, String(ran));

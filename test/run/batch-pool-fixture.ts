/** The task of batch-pool.test.ts and its fixture worker: n squared, after `spinMs` of work, saying which thread ran it. */
import { performance } from 'node:perf_hooks';

export interface FixtureTask {
  n: number;
  spinMs?: number;
  fail?: boolean;
  exit?: boolean;
}

export function square(task: FixtureTask, by: string): { square: number; by: string } {
  const until = performance.now() + (task.spinMs ?? 0);
  while (performance.now() < until);
  return { square: task.n * task.n, by };
}

/**
 * The worker's side of the pool (pool.ts): claim the next task from the
 * shared counter, run it, post its result; until no task is left.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { claimTask, taskClaimsOf } from './task-claims.js';

export interface PoolWorkerData {
  /** The pool's caller's data for its workers. */
  data: unknown;
  tasks: readonly unknown[];
  /** The pool's task claims (task-claims.ts), shared by every thread of the pool. */
  claims: SharedArrayBuffer;
}

/**
 * Where one thread of the pool spent its time, for bench:sweep's breakdown
 * (never part of a result). Times are ms since the Unix epoch (the threads'
 * clocks share it), so the pool's caller can lay them side by side.
 */
export interface ThreadTimes {
  /** The pool asked for the thread (new Worker), and the thread was ready to run tasks. */
  started: number;
  ready: number;
  /** The thread finished its last task. */
  ended: number;
  tasks: number;
  /** Time spent in tasks (the rest of ready..ended is claiming and posting). */
  busy: number;
}

/**
 * Results of finished tasks, by position in the task list; the last message, once the worker has claimed past the
 * end, has its times. The first says the worker is serving (its modules loaded: pool.ts terminates only such a worker),
 * and whether its first claim found a task: one that found none ends by itself.
 */
export interface PoolMessage<R> {
  results: { position: number; result: R }[];
  done?: Omit<ThreadTimes, 'started'>;
  serving?: { claimed: boolean };
}

/** Now, in ms since the Unix epoch, on any thread. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/**
 * Results wait until this long after the last message was posted (or the
 * tasks run out), so short runs go several to a message: the main thread's
 * wake-ups, not the runs, would otherwise pace a sweep of millisecond runs,
 * and it shares the cores with the workers. A run this long or longer is
 * posted alone as it finishes; a worker that dies loses at most this much.
 */
const POST_EVERY_MS = 20;

/** The pool caller's `workerData`. */
export function poolWorkerData<D>(): D {
  return (workerData as PoolWorkerData).data as D;
}

/** Runs tasks until none is left; call once, when the worker is ready (setup loaded). */
export async function serveTasks<T, R>(run: (task: T) => Promise<R>): Promise<void> {
  const { tasks, claims: buffer } = workerData as PoolWorkerData;
  const claims = taskClaimsOf(buffer);
  const port = parentPort!;
  const times = { ready: epochMs(), ended: 0, tasks: 0, busy: 0 };
  let position = claimTask(claims);
  // After the first claim: a worker that starts serving once the pool has failed (no task is left to claim then)
  // says it found none, and the pool lets it end by itself instead of terminating it (pool.ts).
  port.postMessage({ results: [], serving: { claimed: position < tasks.length } } satisfies PoolMessage<R>);
  let pending: { position: number; result: R }[] = [];
  let posted = performance.now();
  while (position < tasks.length) {
    const t0 = performance.now();
    pending.push({ position, result: await run(tasks[position] as T) });
    const now = performance.now();
    times.busy += now - t0;
    times.tasks++;
    // The next task is claimed before this result is posted, so a worker's last result goes in its last message.
    position = claimTask(claims);
    if (position < tasks.length && now - posted >= POST_EVERY_MS) {
      port.postMessage({ results: pending } satisfies PoolMessage<R>);
      pending = [];
      posted = now;
    }
  }
  times.ended = epochMs();
  port.postMessage({ results: pending, done: times } satisfies PoolMessage<R>);
}

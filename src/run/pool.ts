import { Worker } from 'node:worker_threads';
import { epochMs, type PoolMessage, type PoolWorkerData, type ThreadTimes } from './pool-worker.js';
import { newTaskClaims, runClaimedTasks, stopClaiming } from './task-claims.js';

export interface PoolOptions<T extends { index: number }, R> {
  /** Threads to run tasks on: with `local`, the calling thread and `jobs - 1` workers, else `jobs` workers; never more than there are tasks. */
  jobs: number;
  /**
   * Runs tasks on the calling thread too, as one of the `jobs` threads: the
   * pool starts `jobs - 1` workers beside it (none for one job or one task). The calling
   * thread starts at once, while the workers load the model modules they
   * need (a fifth of a second or more), so a short sweep may be over before
   * any is ready; and with `jobs` at the number of cores no thread waits for
   * a core. (bench:sweep, 20 runs of 0.5 s, 3 interleaved pairs: 2 jobs
   * against 1 1.63-1.70x when the calling thread ran tasks only until a
   * worker was ready, beside `jobs` workers; 1.80-1.86x this way.)
   */
  local?: (task: T) => Promise<R>;
  /** The worker's module: it calls `serveTasks` (pool-worker.ts) once it is ready to run tasks. */
  worker: URL;
  /** What the worker reads with `poolWorkerData()`. */
  workerData: unknown;
  tasks: readonly T[];
  /** Called on the main thread as each task finishes, in completion order. */
  onResult(task: T, result: R): void;
}

/** Where a pool's time went (bench:sweep prints it); epoch ms as in ThreadTimes. */
export interface PoolTimes {
  started: number;
  /** The last result was delivered. */
  ended: number;
  /** The calling thread's tasks (null without `local`). */
  local: ThreadTimes | null;
  /** Each worker's, by start order; empty where the pool ended before the worker was ready (it ran nothing). */
  workers: ThreadTimes[];
  /** Worker threads started. */
  workersStarted: number;
  /** Time the calling thread spent in onResult. */
  delivering: number;
}

/**
 * Runs tasks on a pool of worker threads (and the calling thread: `local`).
 * Tasks are claimed, not handed out: every thread takes the next task from a
 * counter in shared memory, one at a time, the moment it is free. No thread
 * waits on another to be given work, so a worker that starts while the
 * calling thread is busy with a long run starts at once, and the last runs
 * end together. Results from workers reach onResult between the calling
 * thread's tasks. Workers post results in messages
 * of several runs when runs are short (see pool-worker.ts), so a sweep of
 * short runs is not paced by one message per run.
 * Completion order varies with timing; callers must not let it reach an
 * output (the sweep orders results by run index).
 * A worker that dies takes the pool down with it: the finished tasks have
 * been delivered, so a resumed sweep redoes only the rest.
 */
export function runPool<T extends { index: number }, R>(o: PoolOptions<T, R>): Promise<PoolTimes> {
  const tasks = o.tasks;
  const claims = newTaskClaims();
  const times: PoolTimes = { started: epochMs(), ended: 0, local: null, workers: [], workersStarted: 0, delivering: 0 };
  let remaining = tasks.length;
  return new Promise<PoolTimes>((resolve, reject) => {
    if (remaining === 0) { times.ended = times.started; resolve(times); return; }
    let failed = false;
    let finished = false;
    /** Workers not exited yet: a finished pool resolves once none is left. */
    let running = 0;
    /** Workers that said they have claimed their last task (they exit by themselves). */
    const done = new Set<Worker>();
    /** Workers that said they are serving tasks: past their modules' start, safe to terminate (see deliver). */
    const serving = new Set<Worker>();
    const fail = (e: Error) => {
      if (failed || finished) return;
      failed = true;
      // No task is claimed from now on: a worker still starting finds none and ends by itself; the others stop now.
      stopClaiming(claims, tasks.length);
      for (const w of serving) void w.terminate();
      reject(e);
    };
    /** Hands a finished task to the caller; true once every task is done. */
    const deliver = (task: T, result: R): boolean => {
      const t0 = epochMs();
      try {
        o.onResult(task, result);
      } catch (e) {
        fail(e as Error);
        return true;
      }
      times.ended = epochMs();
      times.delivering += times.ended - t0;
      if (--remaining > 0) return false;
      finished = true;
      // Every worker finds no task left and ends by itself: one still loading its modules is not terminated, as
      // terminating a worker while its entry module starts to evaluate can abort the whole process (V8's "Check
      // failed: (location_) != nullptr" in SourceTextModule::ExecuteAsyncModule, seen once in a test run).
      if (running === 0) resolve(times);
      return true;
    };
    const data: PoolWorkerData = { data: o.workerData, tasks, claims: claims.buffer as SharedArrayBuffer };
    // With the calling thread taking tasks, a worker beyond the tasks it leaves would start for nothing.
    const workerCount = o.local ? Math.min(o.jobs - 1, tasks.length - 1) : Math.min(o.jobs, tasks.length);
    times.workersStarted = workerCount;
    for (let i = 0; i < workerCount; i++) {
      const started = epochMs();
      const w = new Worker(o.worker, { workerData: data });
      running++;
      w.on('message', (msg: PoolMessage<R>) => {
        if (msg.serving) {
          serving.add(w);
          // It claimed a task before the pool failed, and its serving came in after: it is stopped like the others.
          // One whose claim found none (it claimed after the failure) ends by itself.
          if (failed && msg.serving.claimed) void w.terminate();
        }
        // A worker ready only after the pool has ended ran nothing: it reports nothing (PoolTimes.workers).
        if (msg.done) { if (!finished) times.workers[i] = { ...msg.done, started }; done.add(w); }
        if (failed || finished) return;
        for (const r of msg.results) if (deliver(tasks[r.position], r.result)) return;
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => {
        running--;
        if (finished) { if (running === 0) resolve(times); return; }
        if (!failed && !(code === 0 && done.has(w))) fail(new Error(`a sweep worker exited (code ${code}) with ${remaining} runs left`));
      });
    }
    const local = o.local;
    if (local) {
      const mine: ThreadTimes = times.local = { started: times.started, ready: times.started, ended: times.started, tasks: 0, busy: 0 };
      // A failed or finished pool has no task left to claim (fail stops claiming; a finished one has claimed all).
      void runClaimedTasks(claims, tasks.length, async (position) => {
        let result: R;
        const t0 = epochMs();
        try {
          result = await local(tasks[position]);
        } catch (e) {
          fail(e as Error);
          return true;
        }
        mine.ended = epochMs();
        mine.busy += mine.ended - t0;
        mine.tasks++;
        return deliver(tasks[position], result);
      });
    }
  });
}

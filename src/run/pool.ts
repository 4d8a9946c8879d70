import { Worker } from 'node:worker_threads';

export interface PoolOptions<T extends { index: number }, R> {
  /** Worker threads to start (at most one per task). */
  jobs: number;
  /**
   * Runs a task on the calling thread, which takes tasks while the workers
   * start (each loads the model library, about half a second): a sweep starts
   * at once, and a short one may be over before they are ready. It yields to
   * the workers' messages between tasks and stops once one is ready.
   */
  local?: (task: T) => Promise<R>;
  /** The worker's module; it posts `{ready: true}` once, then, for each batch (an array of tasks) it receives, one `{index, ...result}` per task in order. */
  worker: URL;
  workerData: unknown;
  tasks: readonly T[];
  /** Called on the main thread as each task finishes, in completion order. */
  onResult(task: T, result: R): void;
}

/**
 * Runs tasks on a pool of worker threads, handing each idle worker a batch of
 * the next tasks: a remaining share of the queue (guided self-scheduling:
 * ceil(left / (BATCH_SHARES × jobs)), at most MAX_BATCH), so a sweep of short
 * runs is not paced by one message round trip per run, and the last batches
 * are single tasks, so long runs still end together. Completion order varies
 * with timing; callers must not let it reach an output (the sweep orders
 * results by run index).
 * A worker that dies takes the pool down with it: the finished tasks have
 * been delivered, so a resumed sweep redoes only the rest.
 */
export function runPool<T extends { index: number }, R>(o: PoolOptions<T, R>): Promise<void> {
  const byIndex = new Map(o.tasks.map((t) => [t.index, t]));
  const queue = [...o.tasks];
  const workers: Worker[] = [];
  let remaining = o.tasks.length;
  const inBatch = new Map<Worker, number>();
  return new Promise<void>((resolve, reject) => {
    if (remaining === 0) { resolve(); return; }
    let failed = false;
    const retired = new Set<Worker>();
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    /** Sends the worker its next batch, or retires it when there is nothing left to take. */
    const feed = (w: Worker) => {
      const size = Math.min(MAX_BATCH, Math.ceil(queue.length / (BATCH_SHARES * o.jobs)));
      if (size > 0) {
        inBatch.set(w, size);
        w.postMessage(queue.splice(0, size));
      } else { retired.add(w); void w.terminate(); }
    };
    /** Hands a finished task to the caller; true once every task is done. */
    const deliver = (task: T, result: R): boolean => {
      try {
        o.onResult(task, result);
      } catch (e) {
        fail(e as Error);
        return true;
      }
      if (--remaining > 0) return false;
      for (const x of workers) { retired.add(x); void x.terminate(); }
      resolve();
      return true;
    };
    const local = o.local;
    /** The local thread runs tasks only until the first worker has started. */
    let aWorkerIsReady = false;
    const workerCount = Math.min(o.jobs, o.tasks.length);
    for (let i = 0; i < workerCount; i++) {
      const w = new Worker(o.worker, { workerData: o.workerData });
      workers.push(w);
      w.on('message', (msg: { ready?: boolean; index?: number } & R) => {
        if (failed) return;
        if (!msg.ready) {
          if (deliver(byIndex.get(msg.index!)!, msg)) return;
          const left = inBatch.get(w)! - 1;
          inBatch.set(w, left);
          if (left > 0) return;
        } else {
          aWorkerIsReady = true;
        }
        feed(w);
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => { if (!retired.has(w) && !failed) fail(new Error(`a sweep worker exited (code ${code}) with ${remaining} runs left`)); });
    }
    if (local) {
      void (async () => {
        while (!failed && queue.length > 0 && !aWorkerIsReady) {
          const task = queue.shift()!;
          let result: R;
          try {
            result = await local(task);
          } catch (e) {
            fail(e as Error);
            return;
          }
          if (deliver(task, result)) return;
          // Let the workers' results and requests for more in before the next task.
          await new Promise((r) => setImmediate(r));
        }
      })();
    }
  });
}

/** A batch is at most this share of the tasks left per worker (guided self-scheduling). */
const BATCH_SHARES = 4;
/** Runs per message at most: bounds the results a dying worker takes with it (a resumed sweep redoes them). */
const MAX_BATCH = 16;

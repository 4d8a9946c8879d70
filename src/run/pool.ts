import { Worker } from 'node:worker_threads';

export interface PoolOptions<T extends { index: number }, R> {
  /** Worker threads to start (at most one per task). */
  jobs: number;
  /** The worker's module; it posts `{ready: true}` once, then one `{index, ...result}` per task it receives. */
  worker: URL;
  workerData: unknown;
  tasks: readonly T[];
  /** Called on the main thread as each task finishes, in completion order. */
  onResult(task: T, result: R): void;
}

/**
 * Runs tasks on a pool of worker threads, handing each idle worker the next
 * task. Completion order varies with timing; callers must not let it reach
 * an output (the sweep orders results by run index).
 * A worker that dies takes the pool down with it: the finished tasks have
 * been delivered, so a resumed sweep redoes only the rest.
 */
export function runPool<T extends { index: number }, R>(o: PoolOptions<T, R>): Promise<void> {
  const byIndex = new Map(o.tasks.map((t) => [t.index, t]));
  const queue = [...o.tasks];
  const workers: Worker[] = [];
  let remaining = o.tasks.length;
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
    const feed = (w: Worker) => {
      const next = queue.shift();
      if (next) w.postMessage(next);
      else { retired.add(w); void w.terminate(); }
    };
    for (let i = 0; i < Math.min(o.jobs, o.tasks.length); i++) {
      const w = new Worker(o.worker, { workerData: o.workerData });
      workers.push(w);
      w.on('message', (msg: { ready?: boolean; index?: number } & R) => {
        if (failed) return;
        if (!msg.ready) {
          try {
            o.onResult(byIndex.get(msg.index!)!, msg);
          } catch (e) {
            fail(e as Error);
            return;
          }
          if (--remaining === 0) {
            for (const x of workers) { retired.add(x); void x.terminate(); }
            resolve();
            return;
          }
        }
        feed(w);
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => { if (!retired.has(w) && !failed) fail(new Error(`a sweep worker exited (code ${code}) with ${remaining} runs left`)); });
    }
  });
}

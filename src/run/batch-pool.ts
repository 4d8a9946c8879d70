/**
 * Threads kept for many small batches of tasks: a fit's evaluations, each a
 * few dozen runs, one after the other (calibrate). pool.ts starts its
 * workers for one list of tasks and lets them end with it; a fit would pay
 * a worker's start (a fifth of a second or more, loading the model modules)
 * at every evaluation, longer than a latency curve's whole evaluation. Here
 * the workers start once, with the pool, and serve batch after batch until
 * `close`.
 *
 * A batch runs on the calling thread and on every worker that is ready, as
 * pool.ts runs its tasks: each thread claims the next task from a counter
 * in shared memory the moment it is free, so no worker waits for the
 * calling thread to hand it work. A worker still loading its modules joins
 * the batch under way when it is ready. `run` resolves with the results in
 * task order, so the order tasks finish in never reaches a result. One
 * batch at a time. A task that throws, on the calling thread or in a
 * worker, rejects the batch (the worker lives on; its error comes back as an
 * Error with the message and stack, not as itself: tasks should return what
 * the caller must know of a refusal); so does a worker that dies, which
 * takes no more tasks, and one that cannot start fails every batch. Results
 * of a rejected batch that come in later are dropped.
 */
import { Worker } from 'node:worker_threads';
import type { BatchPoolMessage, BatchPoolRequest } from './batch-pool-worker.js';
import { newTaskClaims, runClaimedTasks, stopClaiming } from './task-claims.js';

interface Thread {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** The last batch it was sent: it may be running that batch's tasks. */
  batch: number;
}

interface Batch<T, R> {
  id: number;
  tasks: readonly T[];
  claims: Int32Array;
  results: R[];
  left: number;
  onResult: (index: number, result: R) => void;
  resolve(results: R[]): void;
  reject(e: Error): void;
}

export class BatchPool<T, R> {
  private readonly threads: Thread[] = [];
  private batch: Batch<T, R> | null = null;
  private batches = 0;
  private closed = false;
  /** Why a worker could not start, if one could not. */
  private broken: Error | null = null;

  /**
   * `jobs` threads in all: the calling thread, which runs `local`, and
   * `jobs - 1` workers of module `worker` (it calls serveBatches once it is
   * ready), started now.
   */
  constructor(jobs: number, worker: URL, workerData: unknown, private readonly local: (task: T) => R) {
    for (let i = 1; i < jobs; i++) {
      const thread: Thread = { worker: new Worker(worker, { workerData }), ready: false, dead: false, batch: 0 };
      thread.worker.on('message', (m: BatchPoolMessage<R>) => this.onMessage(thread, m));
      // A worker that dies fails the batch under way once: by its error, or by its exit.
      thread.worker.on('error', (e) => this.died(thread, e));
      thread.worker.on('exit', (code) => { if (!this.closed) this.died(thread, new Error(`a worker exited (code ${code}) while the pool was open`)); });
      this.threads.push(thread);
    }
  }

  /** The tasks' results, in task order; `onResult` is told of each as it comes in (progress). */
  run(tasks: readonly T[], onResult: (index: number, result: R) => void = () => {}): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('the pool is closed'));
    if (this.broken !== null) return Promise.reject(this.broken);
    if (this.batch !== null) return Promise.reject(new Error('a batch is under way'));
    if (tasks.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      const claims = newTaskClaims();
      const batch: Batch<T, R> = { id: ++this.batches, tasks, claims, results: new Array<R>(tasks.length), left: tasks.length, onResult, resolve, reject };
      this.batch = batch;
      for (const t of this.threads) if (t.ready) this.send(t, batch);
      void this.runLocal(batch);
    });
  }

  /** Lets the workers end (each once it has run out of tasks). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopClaims();
    for (const t of this.threads) t.worker.postMessage({ close: true } satisfies BatchPoolRequest<T>);
  }

  private send(thread: Thread, batch: Batch<T, R>): void {
    thread.batch = batch.id;
    thread.worker.postMessage({ batch: batch.id, tasks: batch.tasks, claims: batch.claims.buffer as SharedArrayBuffer } satisfies BatchPoolRequest<T>);
  }

  private runLocal(batch: Batch<T, R>): Promise<void> {
    return runClaimedTasks(batch.claims, batch.tasks.length, (index) => {
      let result: R;
      try {
        result = this.local(batch.tasks[index]!);
      } catch (e) {
        this.fail(e as Error);
        return true;
      }
      this.deliver(batch, index, result);
      return false;
    });
  }

  private onMessage(thread: Thread, m: BatchPoolMessage<R>): void {
    const batch = this.batch;
    if ('ready' in m) {
      thread.ready = true;
      if (batch !== null) this.send(thread, batch);
      return;
    }
    if (batch === null || batch.id !== m.batch) return;
    if ('error' in m) this.fail(new Error(m.error));
    else this.deliver(batch, m.index, m.result);
  }

  private died(thread: Thread, e: Error): void {
    if (thread.dead) return;
    thread.dead = true;
    // One that dies before it is ready cannot load what it runs: a fault of the pool's, not of a task, told by this
    // batch and every one after. One that dies later takes no more tasks, and a batch it was sent cannot finish.
    if (!thread.ready) this.broken = e;
    thread.ready = false;
    if (this.broken !== null || thread.batch === this.batch?.id) this.fail(e);
  }

  private deliver(batch: Batch<T, R>, index: number, result: R): void {
    if (this.batch !== batch) return;
    batch.results[index] = result;
    try {
      batch.onResult(index, result);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (--batch.left > 0) return;
    this.batch = null;
    batch.resolve(batch.results);
  }

  /** No thread claims another task of the batch under way. */
  private stopClaims(): void {
    if (this.batch !== null) stopClaiming(this.batch.claims, this.batch.tasks.length);
  }

  private fail(e: Error): void {
    const batch = this.batch;
    if (batch === null) return;
    this.stopClaims();
    this.batch = null;
    batch.reject(e);
  }
}

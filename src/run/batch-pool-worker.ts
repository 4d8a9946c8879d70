/**
 * The worker's side of a batch pool (batch-pool.ts): say it is ready, then
 * for each batch it is sent, claim the batch's next task from the shared
 * counter, run it and post its result, until none is left; until told to
 * close.
 */
import { parentPort } from 'node:worker_threads';
import { claimTask, taskClaimsOf } from './task-claims.js';

/** What the pool sends a worker: a batch (its tasks and their shared claim counter), or the end. */
export type BatchPoolRequest<T> = { batch: number; tasks: readonly T[]; claims: SharedArrayBuffer } | { close: true };

/** What a worker sends back: that it is ready (its modules loaded), a task's result, or what the task threw (the worker lives on). */
export type BatchPoolMessage<R> = { ready: true } | { batch: number; index: number; result: R } | { batch: number; index: number; error: string };

/** Serves batches with `run`; call once, when the worker is ready (its setup loaded). */
export function serveBatches<T, R>(run: (task: T) => R): void {
  const port = parentPort!;
  port.on('message', (m: BatchPoolRequest<T>) => {
    if ('close' in m) {
      port.close();
      return;
    }
    const claims = taskClaimsOf(m.claims);
    for (let index = claimTask(claims); index < m.tasks.length; index = claimTask(claims)) {
      let answer: BatchPoolMessage<R>;
      try {
        answer = { batch: m.batch, index, result: run(m.tasks[index]!) };
      } catch (e) {
        answer = { batch: m.batch, index, error: (e as Error).stack ?? String(e) };
      }
      port.postMessage(answer);
    }
  });
  port.postMessage({ ready: true } satisfies BatchPoolMessage<R>);
}

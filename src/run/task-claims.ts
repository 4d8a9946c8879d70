/**
 * How the threads of a pool (pool.ts, batch-pool.ts) share out its tasks:
 * each claims the next task's index from one counter in shared memory the
 * moment it is free, so no thread waits to be handed work. One place for
 * the counter, the claim, the end of claiming, and the calling thread's
 * loop over its claims.
 */

/** A counter of claimed tasks that every thread of a pool sees: pass its `buffer` to the workers. */
export function newTaskClaims(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

/** The counter a worker was sent. */
export const taskClaimsOf = (buffer: SharedArrayBuffer): Int32Array => new Int32Array(buffer);

/** The index of the next task: `count` or more when none is left. */
export const claimTask = (claims: Int32Array): number => Atomics.add(claims, 0, 1);

/** No thread claims another of the `count` tasks (a pool that failed, or closed). */
export function stopClaiming(claims: Int32Array, count: number): void {
  Atomics.store(claims, 0, count);
}

/**
 * The calling thread's share of the tasks: claims one, runs it, and lets the
 * workers' messages (results, errors, a worker now ready) in before it
 * claims the next; until none is left or `runOne` says the pool is over
 * (true).
 */
export async function runClaimedTasks(claims: Int32Array, count: number, runOne: (index: number) => boolean | Promise<boolean>): Promise<void> {
  for (let index = claimTask(claims); index < count; index = claimTask(claims)) {
    if (await runOne(index)) return;
    await new Promise((r) => setImmediate(r));
  }
}

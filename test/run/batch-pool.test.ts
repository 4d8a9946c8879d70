/**
 * The batch pool (src/run/batch-pool.ts): threads started once serve batch
 * after batch, with the calling thread; results come back in task order
 * whoever ran them; a failure rejects its batch and no other.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchPool } from '../../src/run/batch-pool.js';
import { square, type FixtureTask } from './batch-pool-fixture.js';

const worker = new URL('./batch-pool-fixture-worker.js', import.meta.url);
type Result = { square: number; by: string };
const tasks = (count: number, spinMs = 0, mark: Partial<Record<number, Partial<FixtureTask>>> = {}): FixtureTask[] =>
  Array.from({ length: count }, (_, n) => ({ n, spinMs, ...mark[n] }));
/** `run()` rejects, with a message that matches `message`. */
async function rejects(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected a rejection matching ${message}`);
}
/** Runs batches until a worker has taken part in one (they start in a tenth of a second or so; a busy machine may take longer). */
async function untilWorkersTakePart(p: BatchPool<FixtureTask, Result>): Promise<void> {
  for (let batch = 0; batch < 500; batch++) if ((await p.run(tasks(40, 1))).some((r) => r.by === 'worker')) return;
  assert.unreachable('no worker took a task');
}
const pool = (jobs: number, workerData: unknown = {}, local: (t: FixtureTask) => Result = (t) => square(t, 'local')) => new BatchPool<FixtureTask, Result>(jobs, worker, workerData, local);

test('batch after batch, every result in task order, from the calling thread and from the workers once they are ready', async () => {
  const p = pool(3);
  try {
    const by = new Set<string>();
    let told = 0, batches = 0;
    // At least 20 batches, and on until the workers have taken part (they start in a tenth of a second or so; a busy
    // machine may take longer).
    for (; batches < 20 || (by.size < 2 && batches < 500); batches++) {
      const results = await p.run(tasks(40, 1), () => told++);
      assert.equal(results.map((r) => r.square), tasks(40).map((t) => t.n * t.n), `batch ${batches}`);
      for (const r of results) by.add(r.by);
    }
    assert.is(told, batches * 40, 'each result told once');
    assert.equal([...by].sort(), ['local', 'worker']);
  } finally {
    p.close();
  }
});

test('one job: the calling thread alone; an empty batch resolves at once', async () => {
  const p = pool(1);
  try {
    assert.ok((await p.run(tasks(10))).every((r) => r.by === 'local'));
    assert.equal(await p.run([]), []);
  } finally {
    p.close();
  }
});

test('a worker still starting joins the batch under way when it is ready', async () => {
  const p = pool(2, { startDelayMs: 100 });
  try {
    // Three seconds of work on the calling thread alone: the worker, ready after a tenth of one, takes part.
    const results = await p.run(tasks(1000, 3));
    assert.ok(results.some((r) => r.by === 'worker') && results.some((r) => r.by === 'local'), results.map((r) => r.by).join(' '));
  } finally {
    p.close();
  }
});

test('a task that throws rejects its batch, on the calling thread or in a worker; the next batch runs whole, late results of the failed one dropped', async () => {
  const p = pool(2, {}, (t) => { if (t.fail) throw new Error(`task ${t.n} failed here`); return square(t, 'local'); });
  try {
    await untilWorkersTakePart(p);
    for (let round = 0; round < 3; round++) {
      await rejects(() => p.run(tasks(60, 1, { 30: { fail: true } })), /task 30 failed/);
      const results = await p.run(tasks(60, 1));
      assert.equal(results.map((r) => r.square), tasks(60).map((t) => t.n * t.n), `round ${round}`);
    }
  } finally {
    p.close();
  }
});

test('a worker that dies rejects the batch; the calling thread carries on with the next', async () => {
  const p = pool(2);
  try {
    await untilWorkersTakePart(p);
    // Every task but the calling thread's first exits the worker that takes it: the worker surely takes one.
    const exits = Object.fromEntries(Array.from({ length: 60 }, (_, n) => [n, { exit: n > 0 }]));
    await rejects(() => p.run(tasks(60, 1, exits)), /worker exited \(code 3\)/);
    const results = await p.run(tasks(30));
    assert.ok(results.every((r, n) => r.square === n * n && r.by === 'local'));
  } finally {
    p.close();
  }
});

test('a worker that cannot start fails the batch under way and every one after', async () => {
  const p = new BatchPool<FixtureTask, Result>(2, new URL('./no-such-worker.js', import.meta.url), {}, (t) => square(t, 'local'));
  try {
    // Batches run (on the calling thread) until the worker's failure comes in, then every batch is refused.
    let failure: Error | null = null;
    for (let k = 0; k < 500 && failure === null; k++) await p.run(tasks(20, 1)).catch((e: Error) => { failure = e; });
    assert.match(failure!.message, /no-such-worker|Cannot find module/);
    await rejects(() => p.run(tasks(1)), /no-such-worker|Cannot find module/);
  } finally {
    p.close();
  }
});

test('one batch at a time; none once closed', async () => {
  const p = pool(2);
  const first = p.run(tasks(20, 1));
  await rejects(() => p.run(tasks(1)), /a batch is under way/);
  await first;
  p.close();
  await rejects(() => p.run(tasks(1)), /the pool is closed/);
});

test.run();

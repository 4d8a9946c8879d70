import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPool } from '../../src/run/pool.js';
import { tempDir } from '../helpers.js';

const worker = new URL('./pool-fixture-worker.js', import.meta.url);
const tasks = (n: number) => Array.from({ length: n }, (_, index) => ({ index }));
type Result = { square: number; by: string };

async function run(n: number, jobs: number, o: { local?: boolean; throwAt?: number; exitAt?: number } = {}): Promise<Map<number, Result[]>> {
  const seen = new Map<number, Result[]>();
  await runPool<{ index: number }, Result>({
    jobs, worker, workerData: { throwAt: o.throwAt ?? -1, exitAt: o.exitAt ?? -1 }, tasks: tasks(n),
    local: o.local ? async (t) => ({ square: t.index * t.index, by: 'local' }) : undefined,
    onResult: (t, r) => seen.set(t.index, [...(seen.get(t.index) ?? []), r]),
  });
  return seen;
}

for (const [jobs, local] of [[1, false], [3, false], [2, true]] as const) {
  test(`every task runs once and its result reaches its own task (${jobs} jobs${local ? ': the calling thread and one worker' : ', each a worker'})`, async () => {
    const seen = await run(500, jobs, { local });
    assert.is(seen.size, 500);
    for (const [index, results] of seen) {
      assert.is(results.length, 1, `task ${index} delivered ${results.length} times`);
      assert.is(results[0].square, index * index);
    }
    if (!local) assert.ok([...seen.values()].every(([r]) => r.by === 'worker'));
  });
}

test('a single task with the calling thread starts no worker, however many jobs', async () => {
  const times = await runPool<{ index: number }, Result>({
    jobs: 4, worker, workerData: { throwAt: -1, exitAt: -1 }, tasks: tasks(1),
    local: async (t) => ({ square: t.index * t.index, by: 'local' }), onResult: () => {},
  });
  assert.is(times.workersStarted, 0);
  assert.is(times.local!.tasks, 1);
});

test('one job with the calling thread starts no worker: it runs every task itself', async () => {
  const seen = await run(50, 1, { local: true });
  assert.is((await runPool<{ index: number }, Result>({
    jobs: 1, worker, workerData: { throwAt: -1, exitAt: -1 }, tasks: tasks(5), local: async (t) => ({ square: t.index * t.index, by: 'local' }), onResult: () => {},
  })).workersStarted, 0);
  assert.is(seen.size, 50);
  assert.ok([...seen.values()].every(([r]) => r.by === 'local'));
});

test('the pool reports each thread\'s time: every task counted once, start-up before runs, runs within the pool\'s time', async () => {
  const times = await runPool<{ index: number }, Result>({
    jobs: 2, worker, workerData: { throwAt: -1, exitAt: -1 }, tasks: tasks(300),
    local: async (t) => ({ square: t.index * t.index, by: 'local' }), onResult: () => {},
  });
  // A worker that became ready after the calling thread ran the last task reports nothing (it ran none).
  const threads = [times.local!, ...times.workers.filter((w) => w !== undefined)];
  assert.is(threads.reduce((n, w) => n + w.tasks, 0), 300);
  for (const w of threads) {
    assert.ok(times.started <= w.started && w.started <= w.ready && w.ready <= w.ended && w.ended <= times.ended, JSON.stringify(w));
    assert.ok(w.busy >= 0 && w.busy <= w.ended - w.ready + 1e-6, JSON.stringify(w));
  }
});

test('a worker still starting when the calling thread has run every task is not terminated: the pool ends once it has ended by itself', async () => {
  // Terminating a worker while its entry module starts can abort the whole process (pool.ts), so none is.
  const marker = path.join(tempDir(), 'ended');
  const times = await runPool<{ index: number }, Result>({
    jobs: 2, worker, workerData: { throwAt: -1, exitAt: -1, startDelayMs: 300, endMarker: marker }, tasks: tasks(3),
    local: async (t) => ({ square: t.index * t.index, by: 'local' }), onResult: () => {},
  });
  assert.is(times.workersStarted, 1);
  assert.is(times.local!.tasks, 3, 'the calling thread ran every task');
  assert.is(fs.readFileSync(marker, 'utf8'), '0', 'the worker ran its module to its end, with no task left for it');
  assert.equal(times.workers.filter((w) => w !== undefined), [], 'ready after the pool ended, it reports nothing');
});

test('a pool that fails while a worker is still starting rejects at once; that worker claims no task and ends by itself', async () => {
  const marker = path.join(tempDir(), 'ended');
  const failing = runPool<{ index: number }, Result>({
    jobs: 2, worker, workerData: { throwAt: -1, exitAt: -1, startDelayMs: 300, endMarker: marker }, tasks: tasks(3),
    local: async (t) => { if (t.index === 0) throw new Error('the first task failed'); return { square: t.index * t.index, by: 'local' }; },
    onResult: () => {},
  });
  try {
    await failing;
    assert.unreachable('the pool resolved');
  } catch (e) {
    assert.match((e as Error).message, 'the first task failed');
  }
  assert.not.ok(fs.existsSync(marker), 'rejected before the worker was ready');
  // The worker, not terminated, finishes starting, finds no task and runs its module to its end.
  for (let waited = 0; !fs.existsSync(marker) && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.is(fs.readFileSync(marker, 'utf8'), '0', 'the worker ended by itself, having claimed no task');
});

test('no tasks: the pool resolves without starting a worker', async () => {
  assert.is((await run(0, 2)).size, 0);
});

test('a task that throws in a worker rejects the pool with its error', async () => {
  try {
    await run(50, 2, { throwAt: 17 });
    assert.unreachable('the pool resolved');
  } catch (e) {
    assert.match((e as Error).message, 'task 17 failed');
  }
});

test('a worker that exits with tasks left rejects the pool', async () => {
  try {
    await run(50, 2, { exitAt: 30 });
    assert.unreachable('the pool resolved');
  } catch (e) {
    assert.match((e as Error).message, /a sweep worker exited \(code 3\) with \d+ runs left/);
  }
});

test.run();

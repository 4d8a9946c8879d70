import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, Resource, Store, type ProcessBody } from '../../src/sim/index.js';

test('a process waits on delays and returns a value to its waiter', () => {
  const sim = new Simulation();
  const log: string[] = [];
  function* child(): ProcessBody<number> {
    yield 100;
    log.push(`child@${sim.now}`);
    return 42;
  }
  sim.process(function* () {
    const v = yield sim.process(child());
    log.push(`parent@${sim.now}=${v}`);
    yield 5;
    log.push(`parent@${sim.now}`);
  }());
  sim.run();
  assert.equal(log, ['child@100', 'parent@100=42', 'parent@105']);
});

test('signals wake every waiter with the value, in order of waiting', () => {
  const sim = new Simulation();
  const sig = sim.signal<string>();
  const log: string[] = [];
  for (const name of ['a', 'b', 'c']) sim.process(function* () { const v = yield sig; log.push(`${name}:${v}@${sim.now}`); }());
  sim.schedule(70, () => sig.succeed('go'), null);
  sim.run();
  assert.equal(log, ['a:go@70', 'b:go@70', 'c:go@70']);
});

test('waiting on an already-processed event resumes at once', () => {
  const sim = new Simulation();
  const sig = sim.signal<number>();
  sig.succeed(7);
  let got = -1;
  sim.process(function* () { yield 10; got = yield sig; }());
  sim.run();
  assert.is(got, 7);
  assert.is(sim.now, 10);
});

test('allOf gathers values; anyOf gives the first', () => {
  const sim = new Simulation();
  let all: unknown, any: unknown, tAll = -1, tAny = -1;
  sim.process(function* () {
    all = yield sim.allOf([sim.timeout(30, 'x'), sim.timeout(10, 'y'), sim.timeout(20, 'z')]);
    tAll = sim.now;
  }());
  sim.process(function* () {
    any = yield sim.anyOf([sim.timeout(30, 'slow'), sim.timeout(10, 'fast')]);
    tAny = sim.now;
  }());
  sim.run();
  assert.equal(all, ['x', 'y', 'z']);
  assert.is(tAll, 30);
  assert.equal(any, { index: 1, value: 'fast' });
  assert.is(tAny, 10);
});

test('a failed event is thrown into the waiting process, which can handle it', () => {
  const sim = new Simulation();
  const sig = sim.signal<void>();
  let caught = '';
  sim.process(function* () {
    try { yield sig; } catch (e) { caught = (e as Error).message; }
  }());
  sim.schedule(5, () => sig.fail(new Error('completion timeout')), null);
  sim.run();
  assert.is(caught, 'completion timeout');
});

test('an unhandled failure in a process nobody waits for surfaces as an error', () => {
  const sim = new Simulation();
  sim.process(function* () { yield 1; throw new Error('model bug'); }());
  assert.throws(() => sim.run(), /model bug/);
});

test('a resource grants in FIFO order and counts utilisation', () => {
  const sim = new Simulation();
  const cpu = new Resource(sim, 2, 'vcpu');
  const done: string[] = [];
  for (const [name, hold] of [['a', 100], ['b', 50], ['c', 10], ['d', 10]] as const) {
    sim.process(function* () { yield* cpu.use(hold); done.push(`${name}@${sim.now}`); }());
  }
  sim.run();
  // a and b start at 0; c gets b's unit at 50, d gets c's at 60.
  assert.equal(done, ['b@50', 'c@60', 'd@70', 'a@100']);
  assert.is(cpu.used, 0);
  assert.ok(Math.abs(cpu.utilization() - 170 / 200) < 1e-12);
});

test('a bounded store blocks producers when full and consumers when empty', () => {
  const sim = new Simulation();
  const ring = new Store<number>(sim, 2, 'ring');
  const log: string[] = [];
  sim.process(function* () {
    for (let i = 0; i < 4; i++) { yield ring.put(i); log.push(`put${i}@${sim.now}`); }
  }());
  sim.process(function* () {
    yield 100;
    for (let i = 0; i < 4; i++) { const v = yield ring.get(); log.push(`get${v}@${sim.now}`); yield 10; }
  }());
  sim.run();
  assert.equal(log, ['put0@0', 'put1@0', 'get0@100', 'put2@100', 'get1@110', 'put3@110', 'get2@120', 'get3@130']);
  assert.not.ok(ring.tryPut(9) && ring.tryPut(9) && ring.tryPut(9));
});

test('unfinishedProcesses names the processes still waiting, oldest first: not the finished, the failed or the daemons', () => {
  const sim = new Simulation();
  const never = sim.signal();
  sim.process(function* () { yield 5; }(), 'done');
  sim.process(function* () { yield never; }(), 'waits-a');
  sim.process(function* () { yield never; }(), 'serves', { daemon: true });
  const failing = sim.process<void>(function* (): ProcessBody<void> { yield 1; throw new Error('handled'); }(), 'fails');
  sim.process(function* () { try { yield failing; } catch { /* handled: the waiter goes on */ } }(), 'catches');
  sim.process(function* () { yield 3; yield never; }(), 'waits-b');
  assert.equal(sim.unfinishedProcesses(), ['done', 'waits-a', 'fails', 'catches', 'waits-b'], 'all started, none returned yet');
  const r = sim.run();
  assert.is(r.reason, 'empty');
  assert.equal(sim.unfinishedProcesses(), ['waits-a', 'waits-b']);
});

test('unfinished processes stay in start order as the newest and the oldest end and others start after them', () => {
  const sim = new Simulation();
  const never = sim.signal();
  sim.process(function* () { yield 1; }(), 'oldest-ends');
  sim.process(function* () { yield never; }(), 'a');
  sim.process(function* () { yield 2; }(), 'newest-ends');
  sim.run({ until: 5 });
  assert.equal(sim.unfinishedProcesses(), ['a']);
  sim.process(function* () { yield never; }(), 'b');
  sim.process(function* () { yield 1; }(), 'c-ends');
  sim.process(function* () { yield never; }(), 'd');
  sim.run();
  assert.equal(sim.unfinishedProcesses(), ['a', 'b', 'd']);
});

test('callbacks and processes waiting on one event resume in the order they began to wait, before and after it is processed', () => {
  const sim = new Simulation();
  const sig = sim.signal<number>();
  const log: string[] = [];
  sig.then((e) => log.push(`cb1:${e.value}`));
  sim.process(function* () { log.push(`p1:${yield sig}`); }());
  sig.then((e) => log.push(`cb2:${e.value}`));
  sim.process(function* () { yield 10; log.push(`late:${yield sig}@${sim.now}`); }());
  sim.schedule(3, () => sig.succeed(7), null);
  sim.run();
  assert.equal(log, ['cb1:7', 'cb2:7', 'p1:7', 'late:7@10']);
});

test.run();

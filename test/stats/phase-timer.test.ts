import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';

test('phases add up the time of their steps and the operations they handled', () => {
  const sim = new Simulation();
  const phases = new PhaseTimer<'map' | 'unmap'>(sim);
  const step = function* (ps: number, v: string): ProcessBody<string> { yield ps; return v; };
  let got = '';
  sim.process((function* (): ProcessBody<void> {
    got = yield* phases.time('map', step(100, 'a'), 4);
    yield 50; // between phases: counted nowhere
    yield* phases.time('map', step(300, 'b'), 4);
    yield* phases.time('unmap', step(70, 'c'));
  })());
  sim.run();
  assert.is(got, 'a', 'the step\'s value comes back');
  assert.equal([phases.ps('map'), phases.ops('map'), phases.psPerOp('map')], [400, 8, 50]);
  assert.equal([phases.ps('unmap'), phases.ops('unmap')], [70, 1]);
  assert.is(new PhaseTimer<'x'>(sim).psPerOp('x'), null);
});

test.run();

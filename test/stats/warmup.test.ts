import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropWarmup, mser, mser5, MSER_BATCH_SIZE } from '../../src/stats/index.js';

test('dropWarmup keeps the samples at or after the warm-up time, in order', () => {
  const samples = [{ t: 0, v: 'a' }, { t: 999, v: 'b' }, { t: 1000, v: 'c' }, { t: 500, v: 'd' }, { t: 2000, v: 'e' }];
  assert.equal(dropWarmup(samples, 1000, (s) => s.t).map((s) => s.v), ['c', 'e']);
  assert.equal(dropWarmup(samples, 0, (s) => s.t).length, 5);
  assert.equal(dropWarmup(samples, 1e9, (s) => s.t), []);
  assert.throws(() => dropWarmup(samples, -1, (s) => s.t), /warm-up/);
  assert.throws(() => dropWarmup(samples, NaN, (s) => s.t), /warm-up/);
});

/**
 * 50 values of 100 (the transient), then 500 values alternating 9, 11. In batches of 5 the steady
 * state alternates 9.8, 10.2 (5 is odd), so its squared deviations are 0.04 per batch: cutting
 * exactly the 10 transient batches gives 100·0.04 / 100² = 4e-4. Any cut short of that keeps a batch
 * of 100 (far worse); any cut past it keeps fewer batches with the same spread (0.04·k / k² grows as
 * k shrinks).
 */
function stepTransient(): number[] {
  const values: number[] = [];
  for (let i = 0; i < 50; i++) values.push(100);
  for (let i = 0; i < 500; i++) values.push(i % 2 === 0 ? 9 : 11);
  return values;
}

test('MSER-5 cuts exactly the transient of a step', () => {
  const values = stepTransient();
  const times = values.map((_, i) => 1000 * i);
  const cut = mser5(values, times);
  assert.is(cut.truncateIndex, 50);
  assert.is(cut.truncateTimePs, 50_000);
  assert.is(cut.batchSize, MSER_BATCH_SIZE);
  assert.is(MSER_BATCH_SIZE, 5);
  assert.is(cut.batchCount, 110);
  assert.ok(Math.abs(cut.statistic - 4e-4) < 1e-15, `statistic ${cut.statistic}`);
  assert.is(cut.atSearchLimit, false);
  assert.equal(mser(values, 5, times), cut);
  assert.is(mser5(values).truncateTimePs, undefined, 'no times, no cut time');
});

test('MSER cuts a decaying transient where it has settled', () => {
  // Start-up queueing that halves every 5 samples around a steady ±1 alternation: by batch 20
  // the transient (1000·2⁻²⁰ < 0.001) is far below the noise, and before batch 5 it dominates it.
  const values: number[] = [];
  for (let i = 0; i < 1000; i++) values.push(50 + 1000 * 2 ** (-i / 5) + (i % 2 === 0 ? -1 : 1));
  const cut = mser5(values);
  assert.ok(cut.truncateIndex >= 25 && cut.truncateIndex <= 100, `cut at ${cut.truncateIndex}`);
  assert.is(cut.truncateIndex % 5, 0);
  assert.is(cut.atSearchLimit, false);
});

test('a series with no transient is not cut; ties go to the earliest cut', () => {
  const cut = mser5(new Array(100).fill(7));
  assert.is(cut.truncateIndex, 0);
  assert.is(cut.statistic, 0);
  assert.is(cut.atSearchLimit, false);
});

test('a run that never settles is flagged at the search limit', () => {
  // A steady ramp: the kept spread always shrinks with the cut, so the best cut is the last one searched.
  const values = Array.from({ length: 500 }, (_, i) => i);
  const cut = mser5(values);
  assert.is(cut.batchCount, 100);
  assert.is(cut.truncateIndex, 50 * 5);
  assert.is(cut.atSearchLimit, true);
});

test('too few values to judge: no cut, flagged; a trailing partial batch is ignored', () => {
  const short = mser5([5, 1, 9, 2, 8, 3, 7], [10, 20, 30, 40, 50, 60, 70]);
  assert.is(short.batchCount, 1);
  assert.is(short.truncateIndex, 0);
  assert.is(short.truncateTimePs, 10);
  assert.is(short.atSearchLimit, true);
  const empty = mser5([]);
  assert.equal([empty.batchCount, empty.truncateIndex, empty.truncateTimePs, empty.atSearchLimit], [0, 0, undefined, true]);
  assert.ok(Number.isNaN(empty.statistic));
  // Appending a partial batch (fewer than 5 values) changes nothing.
  const values = stepTransient();
  assert.equal(mser5([...values, 1e6, 1e6]), mser5(values));
});

test('bad input is refused', () => {
  assert.throws(() => mser([1, 2, 3], 0), /batch size/);
  assert.throws(() => mser([1, 2, 3], 2.5), /batch size/);
  assert.throws(() => mser5([1, 2, 3], [1, 2]), /2 times for 3 values/);
  assert.throws(() => mser5([1, 2, 3, 4, NaN]), /value 4 is NaN/);
});

test.run();

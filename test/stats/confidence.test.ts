import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { confidenceInterval, confidenceIntervalOf, RunningSummary } from '../../src/stats/index.js';
import { mulberry32, normal } from './prng.js';

test('confidence interval of a known sample', () => {
  const ci = confidenceInterval([1, 2, 3, 4, 5]);
  assert.is(ci.n, 5);
  assert.is(ci.mean, 3);
  assert.ok(Math.abs(ci.sd - Math.sqrt(2.5)) < 1e-12);
  // t(0.975, 4) · sqrt(2.5) / sqrt(5) = 2.7764451 · 0.7071068
  assert.ok(Math.abs(ci.halfWidth - 1.963243) < 1e-6, `halfWidth ${ci.halfWidth}`);
  assert.is(ci.low, ci.mean - ci.halfWidth);
  assert.is(ci.high, ci.mean + ci.halfWidth);
  assert.is(ci.level, 0.95);
  // 99%: t(0.995, 4) = 4.604095 (table), so the half-width is 4.604095 · 0.7071068.
  const wider = confidenceInterval([1, 2, 3, 4, 5], 0.99);
  assert.ok(Math.abs(wider.halfWidth - 4.604095 * Math.SQRT1_2) < 1e-6, `99% halfWidth ${wider.halfWidth}`);
  assert.is(wider.level, 0.99);
});

test('one sample gives an unbounded interval; none is an error; equal samples give zero width', () => {
  const one = confidenceInterval([42]);
  assert.equal({ ...one }, { mean: 42, halfWidth: Infinity, low: -Infinity, high: Infinity, n: 1, sd: NaN, level: 0.95 });
  // Unbounded, not NaN: the one sample's mean is still inside, and a summary file shows null, not a number.
  assert.ok(one.low <= one.mean && one.mean <= one.high);
  assert.equal(JSON.parse(JSON.stringify(one)), { mean: 42, halfWidth: null, low: null, high: null, n: 1, sd: null, level: 0.95 });
  assert.throws(() => confidenceInterval([]), /at least one sample/);
  assert.throws(() => confidenceIntervalOf(new RunningSummary()), /at least one sample/);
  const flat = confidenceInterval([5, 5, 5, 5]);
  assert.is(flat.halfWidth, 0);
  assert.is(flat.low, 5);
  assert.throws(() => confidenceInterval([1, 2], 1), /level/);
  assert.throws(() => confidenceInterval([1, NaN]), /finite/);
});

test('from a merged summary equals from the samples', () => {
  const samples = [10.5, 11.25, 9.75, 10, 12, 10.25];
  const a = new RunningSummary(), b = new RunningSummary();
  samples.forEach((x, i) => (i < 2 ? a : b).add(x));
  const merged = confidenceIntervalOf(a.merge(b));
  const direct = confidenceInterval(samples);
  assert.ok(Math.abs(merged.halfWidth - direct.halfWidth) < 1e-12);
  assert.ok(Math.abs(merged.mean - direct.mean) < 1e-12);
});

test('95% intervals cover the true mean about 95% of the time', () => {
  const random = mulberry32(2024);
  const trials = 4000, n = 5, trueMean = 100;
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) samples.push(trueMean + 10 * normal(random));
    const ci = confidenceInterval(samples);
    if (ci.low <= trueMean && trueMean <= ci.high) covered++;
  }
  // Binomial sd at 4000 trials is 0.34%: ±1.5% is over four sd, and with a fixed seed the outcome never varies.
  const coverage = covered / trials;
  assert.ok(coverage > 0.935 && coverage < 0.965, `coverage ${coverage}`);
});

test.run();

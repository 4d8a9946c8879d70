import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunningSummary } from '../../src/stats/index.js';
import { mulberry32, normal } from './prng.js';

function twoPass(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

const close = (got: number, want: number, relative: number, what: string) =>
  assert.ok(Math.abs(got - want) <= relative * Math.abs(want), `${what}: ${got} vs ${want}`);

test('mean, variance, sd, min, max and sum match a two-pass computation', () => {
  const random = mulberry32(5);
  const values: number[] = [];
  const s = new RunningSummary();
  for (let i = 0; i < 10_000; i++) {
    const x = 1000 + 50 * normal(random);
    values.push(x);
    s.add(x);
  }
  const exact = twoPass(values);
  assert.is(s.count, values.length);
  close(s.mean, exact.mean, 1e-12, 'mean');
  close(s.variance, exact.variance, 1e-9, 'variance');
  close(s.sd, Math.sqrt(exact.variance), 1e-9, 'sd');
  close(s.populationVariance, exact.variance * (values.length - 1) / values.length, 1e-9, 'population variance');
  assert.is(s.min, Math.min(...values));
  assert.is(s.max, Math.max(...values));
  close(s.sum, values.reduce((a, x) => a + x, 0), 1e-12, 'sum');
});

test('keeps the variance of large picosecond values with a small spread', () => {
  // 10 ms in ps with a spread of a few ps: naive Σx² − (Σx)²/n would lose every digit here.
  const s = new RunningSummary();
  const base = 1e10;
  for (const d of [1, 2, 3, 4, 5]) s.add(base + d);
  assert.is(s.mean, base + 3);
  close(s.variance, 2.5, 1e-9, 'variance');
});

test('merge equals adding everything to one summary', () => {
  const random = mulberry32(8);
  const all = new RunningSummary();
  const parts = [new RunningSummary(), new RunningSummary(), new RunningSummary()];
  for (let i = 0; i < 9000; i++) {
    const x = 1e6 * (1 + random());
    all.add(x);
    parts[i < 100 ? 0 : i < 5000 ? 1 : 2]!.add(x);
  }
  const merged = new RunningSummary().merge(parts[0]!).merge(new RunningSummary()).merge(parts[1]!).merge(parts[2]!);
  assert.is(merged.count, all.count);
  close(merged.mean, all.mean, 1e-12, 'mean');
  close(merged.variance, all.variance, 1e-9, 'variance');
  assert.is(merged.min, all.min);
  assert.is(merged.max, all.max);
});

test('empty and single-value summaries', () => {
  const s = new RunningSummary();
  assert.ok(Number.isNaN(s.mean) && Number.isNaN(s.variance) && Number.isNaN(s.min) && Number.isNaN(s.max));
  s.add(7);
  assert.is(s.mean, 7);
  assert.ok(Number.isNaN(s.variance), 'sample variance needs two values');
  assert.is(s.populationVariance, 0);
  assert.throws(() => s.add(NaN), /finite/);
});

test('toJSON / fromJSON round-trip', () => {
  const s = new RunningSummary();
  for (const x of [3, 1, 4, 1, 5, 9, 2, 6]) s.add(x);
  const text = JSON.stringify(s);
  const restored = RunningSummary.fromJSON(JSON.parse(text));
  assert.is(JSON.stringify(restored), text);
  assert.is(restored.variance, s.variance);
  assert.is(JSON.stringify(RunningSummary.fromJSON(new RunningSummary().toJSON())), JSON.stringify(new RunningSummary()));
  assert.throws(() => RunningSummary.fromJSON({ ...s.toJSON(), mean: null }), /invalid summary/);
});

test.run();

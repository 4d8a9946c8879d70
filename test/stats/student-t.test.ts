import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { studentTCdf, studentTPdf, studentTQuantile } from '../../src/stats/index.js';

/** The tables print six decimals, so a correct value can differ from them by up to 5e-7. */
const TABLE_TOLERANCE = 1e-6;

test('t quantiles match the published table to 1e-6', () => {
  const table: [number, number][] = [
    [1, 12.706205], [2, 4.302653], [3, 3.182446], [4, 2.776445], [5, 2.570582],
    [10, 2.228139], [30, 2.042272], [100, 1.983972], [1000, 1.962339],
  ];
  for (const [df, expected] of table) {
    const t = studentTQuantile(0.975, df);
    assert.ok(Math.abs(t - expected) < TABLE_TOLERANCE, `t(0.975, ${df}) = ${t}, table ${expected}`);
    // Antisymmetry is exact for an exact pair: 1 − 0.975 is computed without rounding (Sterbenz).
    assert.is(studentTQuantile(1 - 0.975, df), -t, `exactly antisymmetric at df=${df}`);
    // The literal 0.025 is a different double from 1 − 0.975, so it only has to match the table.
    assert.ok(Math.abs(studentTQuantile(0.025, df) + expected) < TABLE_TOLERANCE, `t(0.025, ${df})`);
  }
  // Other levels.
  assert.ok(Math.abs(studentTQuantile(0.995, 10) - 3.169273) < TABLE_TOLERANCE);
  assert.ok(Math.abs(studentTQuantile(0.95, 20) - 1.724718) < TABLE_TOLERANCE);
  assert.ok(Math.abs(studentTQuantile(0.9995, 1) - 636.619249) < 1e-5);
});

test('t quantiles match the closed forms for df = 1 (Cauchy) and df = 2', () => {
  for (let k = 1; k < 200; k++) {
    const p = k / 200;
    const cauchy = Math.tan(Math.PI * (p - 0.5));
    const df2 = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
    assert.ok(Math.abs(studentTQuantile(p, 1) - cauchy) <= 1e-9 * Math.max(1, Math.abs(cauchy)), `df=1 p=${p}`);
    assert.ok(Math.abs(studentTQuantile(p, 2) - df2) <= 1e-9 * Math.max(1, Math.abs(df2)), `df=2 p=${p}`);
  }
});

test('antisymmetry is exact for every exactly complementary pair', () => {
  for (const df of [1, 2.5, 7, 30, 1000]) {
    for (let k = 1; k < 1000; k++) {
      const p = 0.5 + k / 2000; // in (½, 1), so 1 − p is exact
      assert.is(studentTQuantile(1 - p, df), -studentTQuantile(p, df), `df=${df} p=${p}`);
    }
  }
});

test('the far lower tail keeps its relative precision', () => {
  // df = 1 is the Cauchy distribution: the p-quantile is −cot(πp), about −1/(πp) for tiny p.
  for (const p of [1e-6, 1e-12, 1e-20, 1e-100]) {
    const exact = -1 / Math.tan(Math.PI * p);
    const t = studentTQuantile(p, 1);
    assert.ok(Math.abs(t - exact) <= 1e-12 * Math.abs(exact), `p=${p}: ${t} vs ${exact}`);
  }
});

test('cdf inverts the quantile for df 1..1000', () => {
  for (let df = 1; df <= 1000; df += df < 40 ? 1 : 37) {
    for (const p of [1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.995, 0.999999]) {
      const t = studentTQuantile(p, df);
      const back = studentTCdf(t, df);
      assert.ok(Math.abs(back - p) <= 1e-10 * Math.min(p, 1 - p) + 1e-15, `df=${df} p=${p}: cdf(${t}) = ${back}`);
    }
  }
  assert.is(studentTCdf(0, 7), 0.5);
  assert.is(studentTQuantile(0.5, 7), 0);
  assert.is(studentTQuantile(1, 7), Infinity);
  assert.is(studentTQuantile(0, 7), -Infinity);
  assert.throws(() => studentTQuantile(0.5, 0), /degrees of freedom/);
  assert.throws(() => studentTQuantile(1.5, 3), /probability/);
});

test('the cdf resolves tiny t near the centre', () => {
  // P(T <= t) ≈ ½ + t·pdf(0) for tiny t; for df = 1, pdf(0) = 1/π.
  for (const t of [1e-6, 1e-10]) {
    const excess = studentTCdf(t, 1) - 0.5;
    assert.ok(Math.abs(excess - t / Math.PI) <= 1e-5 * (t / Math.PI), `t=${t}: ${excess}`);
    assert.ok(Math.abs(0.5 - studentTCdf(-t, 1) - excess) <= 1e-16, `symmetric at t=${t}`);
  }
});

test('density matches the closed forms for df = 1 and df = 2 and integrates to the cdf', () => {
  for (let t = -20; t <= 20; t += 0.25) {
    const cauchy = 1 / (Math.PI * (1 + t * t));
    const df2 = (2 + t * t) ** -1.5;
    assert.ok(Math.abs(studentTPdf(t, 1) - cauchy) <= 1e-13 * cauchy, `df=1 t=${t}`);
    assert.ok(Math.abs(studentTPdf(t, 2) - df2) <= 1e-13 * df2, `df=2 t=${t}`);
  }
  // Simpson's rule over [−1, 2] at df = 5 against the cdf difference.
  const df = 5, steps = 600, h = 3 / steps;
  let integral = studentTPdf(-1, df) + studentTPdf(2, df);
  for (let k = 1; k < steps; k++) integral += (k % 2 === 1 ? 4 : 2) * studentTPdf(-1 + k * h, df);
  integral *= h / 3;
  assert.ok(Math.abs(integral - (studentTCdf(2, df) - studentTCdf(-1, df))) < 1e-10, `integral ${integral}`);
});

test.run();

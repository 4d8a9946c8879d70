import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes, formatEstimate, formatNumber, MISSING } from '../../src/report/format.js';

test('numbers: integers exact and grouped, others to three significant digits, no locale', () => {
  assert.is(formatNumber(0), '0');
  assert.is(formatNumber(1234567), '1,234,567');
  assert.is(formatNumber(-1234.5), '-1,230');
  assert.is(formatNumber(12.345), '12.3');
  assert.is(formatNumber(0.0123), '0.0123');
  assert.is(formatNumber(0.000123), '1.23e-4');
  assert.is(formatNumber(1.5e15 + 0.5), '1.50e+15');
  assert.is(formatNumber(2.5e15), '2,500,000,000,000,000', 'integers stay exact');
  for (const missing of [null, undefined, NaN, Infinity, -Infinity]) assert.is(formatNumber(missing), MISSING);
});

test('estimates: the mean to the half-width\'s second significant digit', () => {
  assert.is(formatEstimate(12, 4.968275), '12.0 ± 5.0');
  assert.is(formatEstimate(551.3257, 4.2049), '551.3 ± 4.2');
  assert.is(formatEstimate(49001, 13.2), '49,001 ± 13');
  assert.is(formatEstimate(0.004567, 0.00012), '0.00457 ± 0.00012');
  assert.is(formatEstimate(5, 0), '5', 'replications that agree show no ± 0');
  // A single run has no half-width; a point without a successful run has no mean.
  assert.is(formatEstimate(7, null), '7');
  assert.is(formatEstimate(7.25, Infinity), '7.25');
  assert.is(formatEstimate(null, 1), MISSING);
  // Too many decimals to read: both numbers fall back to three significant digits.
  assert.is(formatEstimate(1e9 + 0.5, 1e-9), '1,000,000,000 ± 1.00e-9');
});

test('sizes in bytes: whole KiB, MiB and GiB as such, the rest in bytes', () => {
  assert.equal([4096, 65536, 2 ** 21, 3 * 2 ** 30, 1500, 64, 0].map(formatBytes), ['4 KiB', '64 KiB', '2 MiB', '3 GiB', '1,500 B', '64 B', '0 B']);
  assert.is(formatBytes(1536), '1,536 B', 'not a whole KiB: exact bytes, never a rounded 1.5');
});

test.run();

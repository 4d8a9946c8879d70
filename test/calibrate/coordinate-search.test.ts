/**
 * The calibration search on functions whose minimum is known: it brackets a
 * unimodal coordinate's minimum to its tolerance, lands on whole steps, never
 * ends worse than it started, leaves alone a coordinate that changes nothing,
 * and spends the evaluations golden-section search promises.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coordinateSearch, DEFAULT_SEARCH, snap, type Coordinate } from '../../src/calibrate/coordinate-search.js';

const coord = (low: number, high: number, start: number, step = 1e-6): Coordinate => ({ low, high, start, step });
/** Golden-section search shrinks its bracket by 1/φ per evaluation: evaluations to shrink a range to `tolerance` of it. */
const goldenSteps = (tolerance: number) => Math.ceil(Math.log(tolerance) / Math.log((Math.sqrt(5) - 1) / 2));

test('separable V-shaped errors: each minimum found to the tolerance times its range', async () => {
  const target = [0.3, 71.55];
  const coords = [coord(0, 1, 0.9), coord(20, 120, 100, 1e-4)];
  const r = await coordinateSearch((x) => 2 * Math.abs(x[0]! - target[0]!) + Math.abs(x[1]! - target[1]!) / 100, coords);
  coords.forEach((c, i) => {
    const bound = DEFAULT_SEARCH.tolerance * (c.high - c.low) + c.step / 2;
    assert.ok(Math.abs(r.x[i]! - target[i]!) <= bound, `coordinate ${i}: ${r.x[i]} vs ${target[i]} (±${bound})`);
  });
  assert.ok(r.value < r.startValue);
  assert.equal(r.sensitive, [true, true]);
});

test('one coordinate: one sweep of the screen (start and both ends) and a golden-section search', async () => {
  const r = await coordinateSearch((x) => (x[0]! - 0.123) ** 2, [coord(0, 1, 0.5)]);
  assert.is(r.sweeps, 1);
  // Start, both ends, the two first probes, then one probe per shrink of the bracket.
  assert.ok(r.evaluations <= 3 + 2 + goldenSteps(DEFAULT_SEARCH.tolerance), `${r.evaluations} evaluations`);
  assert.ok(Math.abs(r.x[0]! - 0.123) <= DEFAULT_SEARCH.tolerance);
});

test('whole-number coordinates land on whole steps, a narrow range is tried step by step', async () => {
  const r = await coordinateSearch((x) => (x[0]! - 3.2) ** 2 + (x[1]! - 140.6) ** 2, [coord(1, 4, 1, 1), coord(64, 256, 128, 1)]);
  assert.equal(r.x, [3, 141]);
});

test('a small whole-number range is tried at every step: a best value behind a worse one is found where golden section would pass it', async () => {
  // Errors by window size as a calibration of superpageMissWindow over 1..8 met them: 2 best, 3 worse, then a slow slide to 8.
  const errors = [NaN, 4.3, 3.3, 4.6, 4.0, 3.9, 3.8, 3.7, 3.6];
  let calls = 0;
  const r = await coordinateSearch((x) => { calls++; return errors[x[0]!]!; }, [coord(1, 8, 1, 1)]);
  assert.is(r.x[0], 2);
  assert.is(calls, 8, 'each of the eight values once');
});

test('a minimum at the end of a range is found there', async () => {
  const r = await coordinateSearch((x) => x[0]!, [coord(2, 5, 4, 0.01)]);
  assert.is(r.x[0], 2);
});

test('a coordinate that changes nothing is reported and left at its start; the result is never worse than the start', async () => {
  let calls = 0;
  const r = await coordinateSearch((x) => { calls++; return Math.abs(x[0]! - 0.7); }, [coord(0, 1, 0.7), coord(10, 20, 12)]);
  assert.equal(r.sensitive, [true, false]);
  assert.is(r.x[1], 12);
  assert.is(r.x[0], 0.7, 'the start was the minimum');
  assert.is(r.value, 0);
  assert.is(calls, r.evaluations, 'a point is evaluated once');
  // A start better than anything the golden-section probes reach (a narrow dip) is kept.
  const dip = await coordinateSearch((x) => (Math.abs(x[0]! - 0.5) < 1e-4 ? 0 : 1), [coord(0, 1, 0.5)]);
  assert.is(dip.x[0], 0.5);
  assert.is(dip.value, 0);
});

test('a start off the steps is evaluated as given: a preset\'s value, which the result is never worse than', async () => {
  const seen: number[] = [];
  const r = await coordinateSearch((x) => { seen.push(x[0]!); return Math.abs(x[0]! - 0.8); }, [coord(0.3, 1, 0.8, 1)]);
  assert.is(seen[0], 0.8, 'the start, not its step\'s 1');
  assert.is(r.startValue, 0);
  assert.is(r.x[0], 0.8);
});

test('candidates that are refused (infinitely wrong) are passed over', async () => {
  // Only multiples of 64 are allowed, as a parameter with set values.
  const r = await coordinateSearch((x) => (x[0]! % 64 === 0 ? Math.abs(x[0]! - 128) : Infinity), [coord(64, 128, 64, 1)]);
  assert.is(r.x[0], 128);
});

test('each new evaluation is told: counted 1, 2, ... as the result counts them, with the least value yet', async () => {
  const told: [number, number][] = [];
  const r = await coordinateSearch((x) => (x[0]! - 0.123) ** 2 + (x[1]! - 3) ** 2, [coord(0, 1, 0.5), coord(1, 8, 1, 1)], DEFAULT_SEARCH, (n, least) => told.push([n, least]));
  assert.equal(told.map(([n]) => n), Array.from({ length: r.evaluations }, (_, k) => k + 1));
  assert.is(told[0]![1], r.startValue);
  assert.ok(told.every(([, least], k) => k === 0 || least <= told[k - 1]![1]), 'never rises');
  assert.is(told[told.length - 1]![1], r.value);
});

test('snap: to the step, inside the range, printed as written', () => {
  assert.is(snap(0.30000000000000004, { low: 0, high: 1, step: 0.1 }), 0.3);
  assert.is(snap(123.456789, { low: 100, high: 250, step: 0.01 }), 123.46);
  assert.is(snap(99, { low: 100, high: 250, step: 0.01 }), 100);
  assert.is(snap(7.7, { low: 1, high: 4, step: 1 }), 4);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WindowedCounter } from '../../src/stats/index.js';
import { CoarseningWindows } from '../../src/stats/windows.js';

const US = 1_000_000; // ps

test('events land in [start, end) windows; rates follow from count and bytes', () => {
  const w = new WindowedCounter(US);
  // 125 bytes in 1 µs is 1000 bits per µs: exactly 1 Gbps.
  w.add(0, 100).add(US - 1, 25).add(US, 125).add(2.5 * US, 250, 4);
  assert.equal(w.rows(), [
    { start_ps: 0, end_ps: US, count: 2, bytes: 125, rate_per_s: 2e6, gbps: 1 },
    { start_ps: US, end_ps: 2 * US, count: 1, bytes: 125, rate_per_s: 1e6, gbps: 1 },
    { start_ps: 2 * US, end_ps: 3 * US, count: 4, bytes: 250, rate_per_s: 4e6, gbps: 2 },
  ]);
  assert.is(w.totalCount, 7);
  assert.is(w.totalBytes, 500);
});

test('idle windows are rows with zero throughput, not gaps', () => {
  const w = new WindowedCounter(1000);
  w.add(100).add(5500);
  const rows = w.rows();
  assert.equal(rows.map((r) => r.start_ps), [0, 1000, 2000, 3000, 4000, 5000]);
  assert.equal(rows.map((r) => r.count), [1, 0, 0, 0, 0, 1]);
  assert.equal(rows.map((r) => r.rate_per_s), [1e9, 0, 0, 0, 0, 1e9]);
  assert.equal(new WindowedCounter(1000).rows(), []);
});

test('the result does not depend on the order events arrive in', () => {
  const times = [0, 17, 999, 1000, 4321, 250_000, 3, 1_000_000];
  const forward = new WindowedCounter(1000), backward = new WindowedCounter(1000);
  times.forEach((t, i) => forward.add(t, i));
  for (let i = times.length - 1; i >= 0; i--) backward.add(times[i]!, i);
  assert.equal(backward.rows(), forward.rows());
  // 1000 windows plus the one holding t = 1e6: the store grew well past its first allocation.
  assert.is(forward.rows().length, 1001);
  assert.is(forward.rows()[1000]!.count, 1);
});

test('a window origin shifts every window', () => {
  const w = new WindowedCounter(1000, 500);
  w.add(500).add(1499).add(1500);
  assert.equal(w.rows().map((r) => [r.start_ps, r.end_ps, r.count]), [[500, 1500, 2], [1500, 2500, 1]]);
  assert.throws(() => w.add(499), /before the window origin/);
});

test('rows(endPs) covers exactly [origin, endPs), rating a cut-short last window over its real length', () => {
  const w = new WindowedCounter(US);
  w.add(0.2 * US, 125).add(2.1 * US, 125);
  const rows = w.rows(2.5 * US);
  assert.equal(rows.map((r) => [r.start_ps, r.end_ps, r.count]), [[0, US, 1], [US, 2 * US, 0], [2 * US, 2.5 * US, 1]]);
  // One event in half a microsecond is 2 per µs, and 125 bytes in half a µs is 2 Gbps: not a dip.
  assert.is(rows[2]!.rate_per_s, 2e6);
  assert.is(rows[2]!.gbps, 2);
  // Past the last event the idle windows are still reported.
  assert.equal(w.rows(5 * US).map((r) => r.count), [1, 0, 1, 0, 0]);
  assert.equal(new WindowedCounter(US).rows(0), []);
});

test('rows(endPs) refuses to cut off a recorded event', () => {
  const w = new WindowedCounter(1000).add(2000);
  assert.throws(() => w.rows(2000), /after the latest recorded event/);
  assert.throws(() => w.rows(1500), /after the latest recorded event/);
  assert.is(w.rows(2001).length, 3);
});

test('bad input is refused', () => {
  assert.throws(() => new WindowedCounter(0), /positive integer/);
  assert.throws(() => new WindowedCounter(1.5), /positive integer/);
  assert.throws(() => new WindowedCounter(1000, -1), /origin/);
  const w = new WindowedCounter(1000);
  assert.throws(() => w.add(NaN), /not finite/);
  assert.throws(() => w.add(Infinity), /not finite/);
  assert.throws(() => w.add(0, -1), /bytes/);
  assert.throws(() => w.add(0, 0, 0.5), /non-negative integer/);
  assert.is(w.totalCount, 0, 'a refused event is not counted');
});

test('coarsening windows: amounts spread by overlap, windows doubling as the run grows, no window above the rate that filled it', () => {
  const w = new CoarseningWindows();
  // A wire at 2 bytes/ps: 10,000 back-to-back 64-byte intervals of 32 ps each, 320 ns in all (fits 1 ns windows).
  for (let i = 0; i < 10_000; i++) w.addSpan(32 * i, 32 * (i + 1), 64);
  let rows = w.ratePerSecond(320_000);
  assert.is(rows.length, 320, 'one 1 ns window per ns');
  for (const [, bytesPerS] of rows) assert.ok(Math.abs(bytesPerS - 2e12) < 1e-3, `${bytesPerS}`);
  // The same wire running on to 2 ms: windows double until 512 hold it, every one still at the wire's rate.
  for (let i = 10_000; i < 62_500_000; i += 1000) w.addSpan(32 * i, 32 * (i + 1000), 64_000);
  rows = w.ratePerSecond(2_000_000_000);
  assert.ok(rows.length > 256 && rows.length <= 512, `${rows.length} windows`);
  assert.ok(rows.every(([, v]) => v <= 2e12 * (1 + 1e-9)), 'never above the wire');
  const total = rows.reduce((sum, [t], k) => sum + rows[k]![1] * ((k + 1 < rows.length ? rows[k + 1]![0] : 2_000_000_000) - t) / 1e12, 0);
  assert.ok(Math.abs(total - 4e9) / 4e9 < 1e-9, `${total} bytes in all`);
  // An instant amount lands in its window; a cut-short last window is rated over its own length.
  const one = new CoarseningWindows();
  one.addSpan(1500, 1500, 10);
  assert.equal(one.ratePerSecond(1600), [[0, 0], [1000, (10 * 1e12) / 600]]);
  // Nothing after 1.5 ns, yet the run went on to 1 ms: the windows widen to reach its end.
  const idle = one.ratePerSecond(1_000_000_000);
  assert.ok(idle.length > 256 && idle.length <= 512, `${idle.length} windows`);
  assert.is(idle.filter(([, v]) => v > 0).length, 1);
});

test.run();

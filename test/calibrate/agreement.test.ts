/**
 * Two files of one host measuring the same transfers: each window curve's
 * small windows either side of the size sweep's window, against the size
 * sweep's point of its direction and size. Curves generated here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileAgreement } from '../../src/calibrate/agreement.js';
import type { Curve } from '../../src/calibrate/curves.js';

/** A curve of `name` with points (x, measured), every point's window as given (the size sweep's is one window for all). */
function curve(name: string, points: [number, number][], window?: number): Curve {
  return {
    name, title: name, scenario: 's', metric: 'm', scale: 1, unit: 'Gb/s', xLabel: 'x',
    points: points.map(([x, measured]) => ({ x, measured, origin: `${name}: ${x}`, params: { window: window ?? x } })),
  };
}

const sizeSweep = (op: string, points: [number, number][]) => curve(`bw_${op}`, points, 8192);

test('the window sweep\'s points either side of the size sweep\'s window, their mean against its point of that size', () => {
  const curves = [
    sizeSweep('wr', [[64, 12], [256, 35]]),
    // 4 KiB and 16 KiB bracket 8 KiB; the larger windows are left out.
    curve('win_wr_256', [[4096, 8], [16384, 12], [1 << 20, 50], [1 << 26, 50]]),
  ];
  const [a, ...rest] = fileAgreement(curves);
  assert.is(rest.length, 0);
  assert.equal(a, { curve: 'win_wr_256', sizeSweep: 35, window: 8192, windows: [4096, 16384], windowSweep: 10, disagreement: 2.5 });
});

test('files that agree: 0; the size sweep below the window sweep counts as far as above it', () => {
  const [same] = fileAgreement([sizeSweep('rd', [[128, 40]]), curve('win_rd_128', [[4096, 30], [16384, 50]])]);
  assert.is(same!.disagreement, 0);
  const [below] = fileAgreement([sizeSweep('rd', [[128, 30]]), curve('win_rd_128', [[4096, 40], [16384, 40]])]);
  assert.is(below!.disagreement, 0.25);
});

test('a window sweep that measured the size sweep\'s window itself is compared there alone, not with its neighbours', () => {
  const [a] = fileAgreement([sizeSweep('rd', [[64, 20]]), curve('win_rd_64', [[4096, 100], [8192, 25], [16384, 100]])]);
  assert.equal(a!.windows, [8192]);
  assert.is(a!.windowSweep, 25);
  assert.is(a!.disagreement, 0.2);
});

test('the nearest window on each side, whatever the order of the points', () => {
  const [a] = fileAgreement([sizeSweep('wr', [[512, 10]]), curve('win_wr_512', [[65536, 1], [16384, 10], [1024, 1], [4096, 10]])]);
  assert.equal(a!.windows, [4096, 16384]);
  assert.is(a!.windowSweep, 10);
});

test('left out: a size the size sweep did not measure, a direction it has no curve of, a window the window sweep does not bracket, any other curve', () => {
  const curves = [
    sizeSweep('rd', [[64, 20]]),
    curve('win_rd_128', [[4096, 1], [16384, 1]]), // no 128-byte read in the size sweep
    curve('win_wr_64', [[4096, 1], [16384, 1]]), // no write size sweep
    curve('win_rd_64', [[16384, 1], [65536, 1]]), // nothing below 8 KiB
    curve('lat_win_warm', [[4096, 1], [16384, 1]]),
  ];
  assert.equal(fileAgreement(curves), []);
});

test.run();

/**
 * Repeated measurements: a host without DDIO has its window sweeps' four
 * host cache states read as repeats of one point, compared at their median;
 * two runs on one machine add each other's points to the curves they measure alike; the
 * measured spread is the repeats' mean absolute deviation from their median,
 * and a curve measured once has none. Data generated here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { measuredCurves, type Curve } from '../../src/calibrate/curves.js';
import { measuredSpread, median, mergeRuns, repeatSpread } from '../../src/calibrate/repeats.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('pciesim-repeats-');
const BW_HEADER = 'Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s';
/** A 64-byte write window sweep: two windows, in pcie-bench's order of cache states, `gbps[state][window]`. */
function windowSweep(name: string, gbps: Record<string, [number, number]>): string {
  const rows = Object.entries(gbps).flatMap(([cache, [a, b]]) => [
    `BW_DMA_WR,Rand,${cache},0,0,4096,64,0,0,0,0,${a},0`,
    `BW_DMA_WR,Rand,${cache},0,0,8388608,64,0,0,0,0,${b},0`,
  ]);
  const file = path.join(dir, name);
  fs.writeFileSync(file, [BW_HEADER, ...rows].join('\n') + '\n');
  return file;
}
const SWEEP = { Cold: [20, 7.5], DThrash: [9.9, 14.4], DWarm: [9.5, 9.9], HWarm: [11.5, 10.7] } as Record<string, [number, number]>;

test('median and spread: the middle of the repeats, and their mean absolute deviation from it as a fraction of it', () => {
  assert.is(median([20, 9.9, 9.5, 11.5]), 10.7);
  assert.is(median([3, 1, 2]), 2);
  // |10-13| + |20-13| + |12-13| + |14-13| = 12, over 4 repeats and the median 13.
  assert.is(repeatSpread([10, 20, 12, 14]), 12 / 4 / 13);
  assert.is(repeatSpread([5]), 0);
});

test('a host without DDIO: each window point at the median of its four cache states, the repeats kept, with the lines they came from', () => {
  const file = windowSweep('win-wr-64.csv', SWEEP);
  const [c] = measuredCurves(file, 'p', null, {}, { cacheStates: true });
  assert.equal(c!.points.map((p) => [p.x, p.measured, p.repeats]), [[4096, 10.7, [20, 9.9, 9.5, 11.5]], [8388608, 10.3, [7.5, 14.4, 9.9, 10.7]]]);
  assert.is(c!.points[0]!.origin, `${file}: lines 2, 4, 6, 8`);
  // Window 4096: deviations 9.3, 0.8, 1.2, 0.8 from 10.7; window 8 MiB: 2.8, 4.1, 0.4, 0.4 from 10.3.
  assert.ok(Math.abs(measuredSpread(c!)! - (12.1 / 4 / 10.7 + 7.7 / 4 / 10.3) / 2) < 1e-12);
});

test('a host with DDIO (the default): only the warm rows, no repeats, no spread', () => {
  const [c] = measuredCurves(windowSweep('win-wr-64-ddio.csv', SWEEP), 'p', null);
  assert.equal(c!.points.map((p) => [p.measured, p.repeats]), [[11.5, undefined], [10.7, undefined]]);
  assert.is(measuredSpread(c!), null);
});

const curve = (name: string, points: [number, number][], origin: string): Curve => ({
  name, title: name, scenario: 's', metric: 'm', scale: 1, unit: '', xLabel: 'x',
  points: points.map(([x, measured]) => ({ x, measured, params: {}, origin: `${origin}: ${x}` })),
});

test('two runs on one machine: the points of the curves alike, matched by x, become repeats at their median; other curves and unmatched points are left as they were', () => {
  const run1 = [curve('bw_wr', [[64, 10.5], [128, 18]], 'a'), curve('win_wr_64', [[4096, 11.5]], 'a')];
  const run2 = [curve('bw_wr', [[64, 14.5]], 'b'), curve('win_wr_64', [[4096, 30]], 'b')];
  const [bw, win] = mergeRuns(run1, run2, (c) => c.name === 'bw_wr');
  assert.equal(bw!.points.map((p) => [p.x, p.measured, p.repeats, p.origin]), [[64, 12.5, [10.5, 14.5], 'a: 64; b: 64'], [128, 18, undefined, 'a: 128']]);
  assert.is(win, run1[1], 'a curve the runs\' difference touches is not merged');
  // One repeated point: |10.5 - 12.5| and |14.5 - 12.5| over 2 repeats and 12.5.
  assert.is(measuredSpread(bw!), 2 / 12.5);
});

test('merging keeps repeats already there: a window point\'s four cache states and the other run\'s four are eight repeats', () => {
  const a = measuredCurves(windowSweep('run-a.csv', SWEEP), 'p', null, {}, { cacheStates: true });
  const b = measuredCurves(windowSweep('run-b.csv', SWEEP), 'p', null, {}, { cacheStates: true });
  const [c] = mergeRuns(a, b, (c) => c.name === 'win_wr_64');
  assert.equal(c!.points[0]!.repeats, [20, 9.9, 9.5, 11.5, 20, 9.9, 9.5, 11.5]);
  assert.is(c!.points[0]!.measured, 10.7);
});

test.run();

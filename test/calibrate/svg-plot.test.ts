/**
 * The measured-vs-simulated plot's names of a curve's lines: each at its
 * line's right end, never on top of another.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { svgLinePlot, type PlotSeries } from '../../src/calibrate/svg-plot.js';

/** The line names a plot drew, as [text, y] in drawing order. */
function lineNames(svg: string): [string, number][] {
  return [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" fill="[^"]+" font-size="10">([^<]+)<\/text>/g)].map((m) => [m[2]!, Number(m[1])]);
}

test('lines that end at one height get names a line of text apart, in order of series; a line higher up is named higher up', () => {
  // Three lines end at y = 10 (sizes 64, 128, 256), one at 40 (size 512): the plot's y axis runs up, the SVG's down.
  const measured: PlotSeries = {
    label: 'measured',
    points: [[0, 5], [63, 10], [0, 6], [63, 10], [0, 7], [63, 10], [0, 30], [63, 40]],
    lines: [64, 64, 128, 128, 256, 256, 512, 512],
  };
  const names = lineNames(svgLinePlot('t', 'offset (B)', 'Gb/s', [measured, { ...measured, label: 'simulated' }], 'linear', 'transfer size (B)'));
  assert.equal(names.map(([t]) => t), ['512 B', '64 B', '128 B', '256 B']);
  const ys = names.map(([, y]) => y);
  for (let k = 1; k < ys.length; k++) assert.ok(ys[k]! - ys[k - 1]! >= 11 - 1e-9, `${names[k]![0]} below ${names[k - 1]![0]} by a line: ${ys[k - 1]} then ${ys[k]}`);
  assert.ok(ys[1]! - ys[0]! > 11, 'the 512 B line ends well above the others: its name is where it ends, not pushed');
});

test('a series label without a unit names lines by their series alone; no label, no names', () => {
  const measured: PlotSeries = { label: 'measured', points: [[0, 1], [1, 2], [0, 3], [1, 4]], lines: [1, 1, 2, 2] };
  assert.equal(lineNames(svgLinePlot('t', 'x', 'y', [measured], 'linear', 'run')).map(([t]) => t), ['2', '1']);
  assert.equal(lineNames(svgLinePlot('t', 'x', 'y', [measured], 'linear')), []);
});

test.run();

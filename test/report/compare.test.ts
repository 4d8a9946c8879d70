import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { comparable, comparisonFindings, comparisonStudy, differencesHtml, INPUT } from '../../src/report/compare.js';
import { findingsSection } from '../../src/report/findings.js';
import { lineFigure } from '../../src/report/line-figure.js';
import type { ReportStudy } from '../../src/report/model.js';
import { run, study } from './fixtures.js';

/** A sweep of size at a fixed `buffers`, latency = size · scale (a number, or one per size). */
function sweep(buffers: number, scale: number | ((size: number) => number), name = 'iommu-map-unmap'): ReportStudy {
  const factor = typeof scale === 'number' ? () => scale : scale;
  const sizes = [4096, 65536];
  return study({
    scenario: { name, description: null, file: `${name}.json`, hash: 'h' },
    parameters: [
      { name: 'size', description: null, unit: 'B', values: sizes },
      { name: 'buffers', description: null, unit: null, values: [buffers] },
    ],
    plots: [{ metric: 'latency_ns', x: 'size', title: 'Latency' }],
    runs: sizes.map((size, point) => run({ point, replication: 0, parameters: { size, buffers }, metrics: { latency_ns: size * factor(size) } })),
  });
}

test('only sweeps of one scenario with the same parameters are set side by side', () => {
  assert.ok(comparable([sweep(2000, 1), sweep(500, 2)]));
  assert.not.ok(comparable([sweep(2000, 1)]), 'one sweep');
  assert.not.ok(comparable([sweep(2000, 1), sweep(500, 2, 'gref-schemes')]), 'two scenarios');
});

test('the side-by-side study: a series per input in every plot, the setting that differs said once', () => {
  const merged = comparisonStudy([sweep(2000, 1), sweep(500, 2)], ['baseline', 'fewer']);
  assert.equal(merged.parameters.map((p) => p.name), [INPUT, 'size'], 'buffers tells the inputs apart as input does');
  assert.match(merged.parameters[0]!.description!, 'baseline (buffers = 2000); fewer (buffers = 500)');
  assert.is(merged.runs.length, 4);
  assert.is(new Set(merged.runs.map((r) => r.point)).size, 4, 'no two inputs share a grid point');
  assert.equal(merged.plots.map((p) => p.series), [INPUT]);
  const figure = lineFigure(merged, merged.plots[0]!);
  assert.ok('spec' in figure);
  const rows = (figure.spec['data'] as { values: Record<string, unknown>[] }).values;
  assert.equal(rows.map((r) => [r['variant'], r['x'], r['mean']]), [['baseline', 4096, 4096], ['baseline', 65536, 65536], ['fewer', 4096, 8192], ['fewer', 65536, 131072]]);
});

test('the differences table sets each input against the first, absolute and relative', () => {
  const html = differencesHtml(comparisonStudy([sweep(2000, 1), sweep(500, 1.5)], ['baseline', 'fewer']));
  assert.match(html, /<th class="number">fewer − baseline<\/th>/);
  assert.match(html, '<td class="number">4,096</td><td class="number">6,144</td><td class="number">+2,048</td><td class="number">+50%</td>');
  assert.is(differencesHtml(sweep(2000, 1)), '', 'a study that compares nothing has no such table');
});

test('the differences open with a count per metric of the values that moved and the largest moves first', () => {
  const html = differencesHtml(comparisonStudy([sweep(2000, 1), sweep(500, (size) => (size === 4096 ? 1.005 : 1.2))], ['baseline', 'fewer']));
  assert.match(html, 'grid points where a metric differs by 1% or more: latency_ns (ns) 1 of 2.');
  const summary = html.slice(0, html.indexOf('Mean of each metric'));
  assert.match(summary, '<td class="number">64 KiB</td><td class="number">65,536</td><td class="number">78,600</td><td class="number">+20.0%</td>', 'the 20% move is ranked');
  assert.not.match(summary, '>4 KiB<', 'a move under 1% is counted as none and not ranked');
  const unchanged = differencesHtml(comparisonStudy([sweep(2000, 1), sweep(500, 1)], ['baseline', 'same']));
  assert.match(unchanged, 'latency_ns (ns) 0 of 2.');
  assert.not.match(unchanged.slice(0, unchanged.indexOf('Mean of each metric')), '<table', 'nothing moved: no ranking table');
});

test('the findings say, per input, how many points each metric moved at and where it moved most', () => {
  const merged = comparisonStudy([sweep(2000, 1), sweep(500, (size) => (size === 4096 ? 1.005 : 1.2))], ['baseline', 'fewer']);
  assert.equal(comparisonFindings(merged), ['fewer against baseline: latency_ns (ns) moved 1% or more at 1 of 2 grid points, most (+20.0%) at size 64 KiB.']);
  assert.equal(comparisonFindings(comparisonStudy([sweep(2000, 1), sweep(500, 1)], ['baseline', 'same'])),
    ['same against baseline: latency_ns (ns) moved 1% or more at 0 of 2 grid points.']);
  assert.equal(comparisonFindings(sweep(2000, 1)), [], 'a study that compares nothing has no such finding');
  const apart = comparisonStudy([sweep(2000, 1), study({ ...sweep(500, 1), runs: [] })], ['baseline', 'empty']);
  assert.equal(comparisonFindings(apart), [], 'no grid point both inputs reported: nothing to say');
});

test('the report\'s findings open with the comparison and link to its section', () => {
  const merged = comparisonStudy([sweep(2000, 1), sweep(500, 1.5)], ['baseline', 'fewer']);
  const html = findingsSection('findings', [{ study: merged, id: 'side-by-side' }]);
  assert.match(html, '<h3>What changes from baseline to the other input?</h3>');
  assert.match(html, 'fewer against baseline: latency_ns (ns) moved 1% or more at 2 of 2 grid points, most (+50%) at size 4 KiB. <a href="#side-by-side">');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { representativePoints } from '../../src/report/grid.js';
import { lineFigure } from '../../src/report/line-figure.js';
import { bestColumns, pivotCells, pivotTableHtml } from '../../src/report/pivot-table.js';
import { headlineMetrics, metricColumns } from '../../src/report/metric-columns.js';
import type { ReportRun } from '../../src/report/model.js';
import { MAX_DEFAULT_LINE_FIGURES, studyFigures, unifyColours } from '../../src/report/study-figures.js';
import { lineSpec } from '../../src/report/specs.js';
import { run, study, sweepStudy } from './fixtures.js';

type Rows = Record<string, unknown>[];
const dataOf = (spec: Record<string, unknown>): Rows => (spec['data'] as { values: Rows }).values;

test('metric columns keep a distribution together, in percentile order', () => {
  const runs = [run({
    point: 0, replication: 0, parameters: {},
    metrics: { 'lat.max': 9, 'lat.p99': 5, zeta: 1, 'lat.count': 3, 'lat.p50': 2, 'lat.mean': 2.5, alpha: null, 'a.b': 1 },
  })];
  assert.equal(metricColumns(runs), ['a.b', 'alpha', 'lat.mean', 'lat.p50', 'lat.p99', 'lat.max', 'lat.count', 'zeta']);
  // Headline: scalars with a value, and each distribution's p50 and p99.
  assert.equal(headlineMetrics(runs), ['a.b', 'lat.p50', 'lat.p99', 'zeta']);
});

test('default plots: headline metrics vs the first swept parameter, lines per the second, then CDF, breakdown, series', () => {
  const { figures, missing } = studyFigures(sweepStudy({ replications: 2, withExtras: true }));
  assert.equal(figures.map((f) => f.name), [
    'latency_ns.p50 vs size', 'latency_ns.p99 vs size', 'throughput_gbps vs size',
    'latency_ns cdf', 'attribution', 'throughput_gbps over time',
  ]);
  assert.equal(missing, []);
  // A size axis: ticks at the sizes swept, labelled in KiB by vega, no unit in the title.
  const x = (figures[0]!.spec['encoding'] as { x: { title: string; axis: { values: number[]; labelExpr: string } } }).x;
  assert.equal([x.title, x.axis.values], ['size', [4096, 65536]]);
  assert.match(x.axis.labelExpr, "' KiB'");
  const line = dataOf(figures[0]!.spec);
  assert.equal(line.map((r) => [r['variant'], r['x']]), [['grant-copy', 4096], ['grant-copy', 65536], ['zero-copy', 4096], ['zero-copy', 65536]]);
  // Representative slice for CDF and series: the last size, one line per scheme.
  assert.match(figures[3]!.title, 'at size = 64 KiB', 'sizes in bytes said in KiB');
  assert.equal([...new Set(dataOf(figures[3]!.spec).map((r) => r['series']))], ['grant-copy', 'zero-copy']);
  // Four grid points are few enough for one bar each.
  assert.equal([...new Set(dataOf(figures[4]!.spec).map((r) => r['bar']))], [
    'size=4 KiB, scheme=grant-copy', 'size=4 KiB, scheme=zero-copy', 'size=64 KiB, scheme=grant-copy', 'size=64 KiB, scheme=zero-copy',
  ]);
});

test('a CDF is drawn only where the distribution spreads: a near-constant latency is a table value, not a plot', () => {
  const cdfOf = (low: number, high: number) => studyFigures(study({
    parameters: [{ name: 'size', description: null, unit: 'B', values: [1] }],
    runs: [run({ point: 0, replication: 0, parameters: { size: 1 }, metrics: { x: 1 },
      distributions: { lat_ns: { unit: 'ns', points: [[0, low], [0.5, (low + high) / 2], [1, high]] } } })],
  })).figures.filter((f) => f.name === 'lat_ns cdf').length;
  assert.is(cdfOf(5500, 5524), 0, '0.4% apart');
  assert.is(cdfOf(5000, 5524), 1, '9% apart');
});

test('a CDF\'s caption names the variants whose runs never recorded the distribution', () => {
  const lat = { unit: 'ns', points: [[0, 4000], [0.5, 4500], [1, 40000]] as [number, number][] };
  const figures = studyFigures(study({
    parameters: [{ name: 'path', description: null, unit: null, values: ['direct', 'bounce'] }, { name: 'op', description: null, unit: null, values: ['read', 'write'] }],
    runs: [
      run({ point: 0, replication: 0, parameters: { path: 'direct', op: 'read' }, metrics: { x: 1 } }),
      run({ point: 1, replication: 0, parameters: { path: 'direct', op: 'write' }, metrics: { x: 1 } }),
      run({ point: 2, replication: 0, parameters: { path: 'bounce', op: 'read' }, metrics: { x: 1 }, distributions: { write_ns: lat } }),
      run({ point: 3, replication: 0, parameters: { path: 'bounce', op: 'write' }, metrics: { x: 1 } }),
    ],
  })).figures;
  const cdf = figures.find((f) => f.name === 'write_ns cdf')!;
  assert.match(cdf.title, 'at path = bounce');
  assert.match(cdf.caption, 'Not recorded at op = write: those runs have no such samples.');
  assert.not.match(cdf.caption, 'op = read');
});

test('a line plot\'s caption says why points are missing: the outcome the runs reported', () => {
  const pages = [1, 2, 4, 8, 16, 32, 64, 128, 256];
  const runs = pages.map((p, point) => run(p <= 2
    ? { point, replication: 0, parameters: { pages: p }, metrics: { share_us: p }, categories: { 'share.outcome': 'ok' } }
    : { point, replication: 0, parameters: { pages: p }, metrics: { share_us: null }, categories: { 'share.outcome': 'grant-table-full' } }));
  const s = study({ parameters: [{ name: 'pages', description: null, unit: null, values: pages }], runs });
  const figure = lineFigure(s, { metric: 'share_us', x: 'pages' });
  assert.ok('spec' in figure);
  assert.match(figure.caption, 'No point where the runs reported grant-table-full: pages 4, pages 8, pages 16, pages 32, pages 64, pages 128, and 1 more.');
});

test('a series keeps one colour across a study\'s plots, each legend listing only its own', () => {
  const base = sweepStudy({ replications: 1 });
  // The second plot only has zero-copy: without a shared domain it would take grant-copy's colour.
  const s = { ...base, plots: [
    { metric: 'latency_ns.p50', x: 'size', series: 'scheme' },
    { metric: 'latency_ns.p50', x: 'size', series: 'scheme', where: { scheme: 'zero-copy' } },
  ] };
  const [both, one] = studyFigures(s).figures;
  const colour = (spec: Record<string, unknown>) => (spec['layer'] as { encoding: { color?: { scale: { domain: unknown[] }; legend?: { values?: unknown[] } } } }[])
    .map((l) => l.encoding.color).find((c) => c !== undefined)!;
  assert.equal(colour(both!.spec).scale.domain, ['grant-copy', 'zero-copy']);
  assert.equal(colour(one!.spec).scale.domain, ['grant-copy', 'zero-copy'], 'the same domain, so the same colour');
  assert.equal(colour(one!.spec).legend!.values, ['zero-copy'], 'its legend lists what it draws');
});

test('the same series in another order still get the same colours', () => {
  const plot = (order: string[]) => ({
    name: order.join(), title: 't', caption: 'c',
    spec: lineSpec({ title: 't', rows: order.map((v, x) => ({ x, m: 1, v })), x: 'x', y: 'm', series: 'v' }),
  });
  const first = plot(['grant-copy', 'zero-copy']), second = plot(['zero-copy', 'grant-copy']);
  unifyColours([first, second]);
  const domain = (f: typeof first) => (f.spec['layer'] as { encoding: { color: { scale: { domain: unknown[] } } } }[])[0]!.encoding.color.scale.domain;
  assert.equal(domain(second), ['grant-copy', 'zero-copy'], 'zero-copy keeps the colour it has in the first plot');
  assert.equal(domain(first), ['grant-copy', 'zero-copy']);
});

test('default line plots are capped', () => {
  const metrics: Record<string, number> = {};
  for (let i = 0; i < 20; i++) metrics[`m${String(i).padStart(2, '0')}`] = i;
  const runs = [1, 2].map((size, point) => run({ point, replication: 0, parameters: { size }, metrics }));
  const s = study({ parameters: [{ name: 'size', description: null, unit: null, values: [1, 2] }], runs });
  assert.is(studyFigures(s).figures.length, MAX_DEFAULT_LINE_FIGURES);
});

test('with three swept parameters a line is one combination of the other two, the requested series first', () => {
  const runs: ReportRun[] = [];
  let point = 0;
  for (const iommu of [false, true]) for (const scheme of ['a', 'b']) for (const size of [1, 2]) {
    runs.push(run({ point: point++, replication: 0, parameters: { size, scheme, iommu }, metrics: { m: size } }));
  }
  const s = study({
    parameters: [
      { name: 'size', description: null, unit: null, values: [1, 2] },
      { name: 'iommu', description: null, unit: null, values: [false, true] },
      { name: 'scheme', description: null, unit: null, values: ['a', 'b'] },
    ],
    runs,
  });
  const figure = lineFigure(s, { metric: 'm', x: 'size', series: 'scheme' });
  assert.ok('spec' in figure);
  const rows = dataOf(figure.spec);
  assert.equal([...new Set(rows.map((r) => r['variant']))], [
    'scheme=a, iommu=false', 'scheme=a, iommu=true', 'scheme=b, iommu=false', 'scheme=b, iommu=true',
  ]);
  assert.is(rows.length, 8, 'one row per grid point');
  assert.ok(rows.every((r) => !('ci_low' in r)), 'single replication: no band');
  assert.equal(representativePoints(s, 'size').labels, ['iommu=false, scheme=a', 'iommu=false, scheme=b', 'iommu=true, scheme=a', 'iommu=true, scheme=b']);
});

test('a plot restricted by `where` draws only that slice, and the slice is not a variant', () => {
  const runs: ReportRun[] = [];
  let point = 0;
  for (const op of ['read', 'write']) for (const gen of [3, 4]) for (const size of [1, 2]) {
    runs.push(run({ point: point++, replication: 0, parameters: { size, gen, op }, metrics: { m: op === 'read' ? size : -size } }));
  }
  const s = study({
    parameters: [
      { name: 'op', description: null, unit: null, values: ['read', 'write'] },
      { name: 'gen', description: null, unit: null, values: [3, 4] },
      { name: 'size', description: null, unit: null, values: [1, 2] },
    ],
    runs,
  });
  const figure = lineFigure(s, { metric: 'm', x: 'size', series: 'gen', where: { op: 'read' } });
  assert.ok('spec' in figure);
  const rows = dataOf(figure.spec);
  assert.equal(rows.map((r) => [r['variant'], r['x'], r['mean']]), [['3', 1, 1], ['3', 2, 2], ['4', 1, 1], ['4', 2, 2]]);
  assert.is(figure.name, 'm vs size where op = read');
  assert.match(figure.caption, 'Only the runs with op = read.');
  const none = lineFigure(s, { metric: 'm', x: 'size', where: { op: 'sideways' } });
  assert.ok('reason' in none && none.reason.includes('with op = sideways'));
});

test('a pivot table: one metric by two parameters, the slice applied, failed runs left out, the best of each row marked', () => {
  const runs: ReportRun[] = [];
  let point = 0;
  for (const op of ['read', 'write']) for (const scheme of ['a', 'b']) for (const size of [1, 2]) {
    const ok = !(scheme === 'b' && size === 2);
    runs.push(run({ point: point++, replication: 0, parameters: { size, scheme, op }, metrics: { m: ok ? (scheme === 'a' ? 10 * size : 5) + (op === 'write' ? 100 : 0) : null } }));
  }
  const s = study({
    parameters: [
      { name: 'op', description: null, unit: null, values: ['read', 'write'] },
      { name: 'scheme', description: null, unit: null, values: ['a', 'b'] },
      { name: 'size', description: null, unit: null, values: [1, 2] },
    ],
    runs,
  });
  const t = { metric: 'm', rows: 'size', columns: 'scheme', where: { op: 'read' }, best: 'min' as const };
  const cells = pivotCells(s, t);
  assert.equal(cells.rows, [1, 2]);
  assert.equal(cells.columns, ['a', 'b']);
  assert.equal(cells.means, [[10, 5], [20, null]]);
  assert.equal(bestColumns(cells.means, 'min'), [1, 0]);
  assert.equal(bestColumns(cells.means, 'max'), [0, 0]);
  const html = pivotTableHtml(s, t);
  assert.match(html, '5 ★');
  assert.match(html, 'with op = read');
});

test('a pivot table marks every cell that ties for the best of its row, and only those', () => {
  const runs: ReportRun[] = [];
  let point = 0;
  // Row 1: 7, 7, 9 (a and b tie for the lowest); row 2: 9, 8, 8.5 (b alone).
  const m: Record<string, number[]> = { a: [7, 9], b: [7, 8], c: [9, 8.5] };
  for (const scheme of ['a', 'b', 'c']) for (const size of [1, 2]) runs.push(run({ point: point++, replication: 0, parameters: { size, scheme }, metrics: { m: m[scheme]![size - 1]! } }));
  const s = study({
    parameters: [
      { name: 'scheme', description: null, unit: null, values: ['a', 'b', 'c'] },
      { name: 'size', description: null, unit: null, values: [1, 2] },
    ],
    runs,
  });
  const html = pivotTableHtml(s, { metric: 'm', rows: 'size', columns: 'scheme', best: 'min' });
  const stars = [...html.matchAll(/<td class="number">([^<]*)<\/td>/g)].map((c) => c[1]);
  assert.equal(stars, ['7 ★', '7 ★', '9', '9', '8 ★', '8.50']);
  assert.match(html, 'each of them, where cells tie');
});

test('a representative slice with too many variants holds the last-swept parameters at their first value', () => {
  const runs: ReportRun[] = [];
  let point = 0;
  for (const a of [1, 2, 3, 4]) for (const b of [1, 2, 3, 4]) for (const c of ['u', 'v']) for (const x of [10, 20]) {
    runs.push(run({ point: point++, replication: 0, parameters: { x, a, b, c }, metrics: { m: 1 } }));
  }
  const s = study({
    parameters: [
      { name: 'x', description: null, unit: null, values: [10, 20] },
      { name: 'a', description: null, unit: null, values: [1, 2, 3, 4] },
      { name: 'b', description: null, unit: null, values: [1, 2, 3, 4] },
      { name: 'c', description: null, unit: null, values: ['u', 'v'] },
    ],
    runs,
  });
  const r = representativePoints(s, 'x');
  assert.is(r.points.length, 4, '32 combinations: c then b held, a varies');
  assert.is(r.slice, 'at x = 20, c = u, b = 1');
  assert.equal(r.labels, ['1', '2', '3', '4'], 'one variant left: labelled by its value');
});

test('a requested plot without data is reported, not drawn', () => {
  const s = sweepStudy({ replications: 1 });
  s.plots = [{ metric: 'no_such_metric', x: 'size', title: 'Ghost' }, { metric: 'throughput_gbps', x: 'no_such_parameter' }];
  const { figures, missing } = studyFigures(s);
  assert.equal(figures, []);
  assert.equal(missing.map((m) => m.title), ['Ghost', 'throughput_gbps vs no_such_parameter']);
});

test.run();

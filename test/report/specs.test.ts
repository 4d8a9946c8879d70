import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderSvg } from '../../src/report/render.js';
import { lineSpec, stackedBarSpec } from '../../src/report/specs.js';

test('line breaks in titles and labels become spaces, so vega-lite can still parse the plot', async () => {
  const broken = 'requests\nper\r\nµs\u2028now\u2029';
  const spec = stackedBarSpec({
    title: broken,
    rows: [{ bar: broken, component: broken, value: 1 }, { bar: 'b', component: 'c', value: 2 }],
    xTitle: broken,
    barTitle: broken,
  });
  assert.not.match(JSON.stringify(spec), /\\n|\\r|\u2028|\u2029/);
  assert.is(spec['title'], 'requests per µs now ');
  const svg = await renderSvg(spec, { onWarning: (m) => assert.unreachable(m) });
  assert.match(svg, 'requests per µs now');
});

test('line plots keep one legend of line symbols when bands are drawn, and leave null means out', () => {
  const spec = lineSpec({
    title: 't',
    rows: [
      { x: 1, m: 1, lo: 0, hi: 2, v: 'a' },
      { x: 2, m: null, lo: null, hi: null, v: 'a' },
      { x: null, m: 5, lo: 4, hi: 6, v: 'a' },
    ],
    x: 'x', y: 'm', series: 'v', ciLow: 'lo', ciHigh: 'hi',
  });
  assert.equal(spec['resolve'], { legend: { color: 'independent' } });
  const layers = spec['layer'] as { encoding: { color: { legend?: null } } }[];
  assert.is(layers[0]!.encoding.color.legend, null, 'band layer has no legend');
  assert.is(layers[1]!.encoding.color.legend, undefined, 'line layer has the legend');
  assert.equal((spec['data'] as { values: unknown[] }).values, [{ x: 1, m: 1, v: 'a', lo: 0, hi: 2 }, { x: 2, m: null, v: 'a', lo: null, hi: null }]);
});

test('a categorical x gets points side by side with interval bars, never a line; a linear y starts at zero', async () => {
  const rows = [
    { x: 'switch', m: 7.0, lo: 6.9, hi: 7.1, v: 'read' }, { x: 'switch', m: 6.5, lo: 6.4, hi: 6.6, v: 'write' },
    { x: 'root-complex', m: 0.9995, lo: 0.999, hi: 1, v: 'read' }, { x: 'root-complex', m: 1, lo: 1, hi: 1, v: 'write' },
  ];
  const spec = lineSpec({ title: 'paths', rows, x: 'x', y: 'm', series: 'v', ciLow: 'lo', ciHigh: 'hi' });
  const marks = JSON.stringify(spec['layer']);
  assert.not.match(marks, '"line"', 'no joined lines between categories');
  const layers = spec['layer'] as { mark: { type: string }; encoding: Record<string, { field?: string; scale?: unknown }> }[];
  assert.equal(layers.map((l) => l.mark.type), ['rule', 'point']);
  assert.is(layers[1]!.encoding['xOffset']!.field, 'v', 'variants side by side within a category');
  assert.is(layers[1]!.encoding['y']!.scale, undefined, 'y keeps vega-lite\'s zero baseline');
  const svg = await renderSvg(spec, { onWarning: (m) => assert.unreachable(m) });
  assert.match(svg, 'root-complex');

  const numeric = lineSpec({ title: 'sizes', rows: [{ x: 1, m: 0.9995 }, { x: 2, m: 1 }], x: 'x', y: 'm' });
  const y = (numeric['layer'] as { encoding: { y: { scale?: unknown } } }[])[0]!.encoding.y;
  assert.is(y.scale, undefined, 'Jain\'s index on 0.9995–1 is not drawn as a cliff');
  const log = lineSpec({ title: 'sizes', rows: [{ x: 1, m: 10 }, { x: 2, m: 1000 }], x: 'x', y: 'm', logY: true });
  assert.equal((log['layer'] as { encoding: { y: { scale?: unknown } } }[])[0]!.encoding.y.scale, { type: 'log' });
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { svgImage } from '../../src/report/svg-image.js';
import { renderSvg } from '../../src/report/render.js';
import { VEGA_LITE_SCHEMA } from '../../src/report/specs.js';

test('a rendered plot is shown as an image of its file at the size vega laid out, its description escaped', async () => {
  const svg = await renderSvg({
    $schema: VEGA_LITE_SCHEMA,
    width: 200, height: 100,
    data: { values: [{ a: 1, b: 2 }, { a: 3, b: 9 }] },
    mark: 'line',
    encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
  }, { onWarning: (m) => assert.unreachable(m) });
  const [, width, height] = /<svg[^>]*width="(\d+)"[^>]*height="(\d+)"/.exec(svg)!;
  assert.ok(Number(width) > 200 && Number(height) > 100, 'the plot plus its axes');
  assert.is(svgImage(svg, 'a "b".svg', 'Latency <p99>'), `<img src="a &quot;b&quot;.svg" width="${width}" height="${height}" alt="Latency &lt;p99&gt;">`);
});

test('active content in a rendered SVG is refused', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(1)</script></svg>';
  assert.throws(() => svgImage(svg, 'p.svg', ''), /active content/);
  assert.throws(() => svgImage('<SVG width="1" height="1"><foreignObject/></SVG>', 'p.svg', ''), /active content/);
  assert.throws(() => svgImage('<svg><g/></svg>', 'p.svg', ''), /no <svg> element with a width/);
  // Escaped text is just text.
  assert.ok(svgImage('<svg width="1" height="2"><text>&lt;script&gt;</text></svg>', 'p.svg', '').includes('width="1" height="2"'));
});

test.run();

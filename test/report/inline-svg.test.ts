import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inlineSvg } from '../../src/report/inline-svg.js';
import { renderSvg } from '../../src/report/render.js';
import { VEGA_LITE_SCHEMA } from '../../src/report/specs.js';

test('ids vega generates are prefixed per plot, so two inline plots never share a clip path', async () => {
  // A clipped mark makes vega emit a <clipPath id="clip1"> and a reference to it.
  const svg = await renderSvg({
    $schema: VEGA_LITE_SCHEMA,
    data: { values: [{ a: 1, b: 2 }, { a: 3, b: 9 }] },
    mark: { type: 'line', clip: true },
    encoding: { x: { field: 'a', type: 'quantitative', scale: { domain: [0, 2] } }, y: { field: 'b', type: 'quantitative' } },
  }, { onWarning: (m) => assert.unreachable(m) });
  assert.match(svg, 'id="clip1"');
  assert.match(svg, 'url(#clip1)');
  const inlined = inlineSvg(svg, 'plot-a');
  assert.match(inlined, 'id="plot-a-clip1"');
  assert.match(inlined, 'url(#plot-a-clip1)');
  assert.not.match(inlined, /#clip1\b|"clip1"/);
  assert.ok(inlined.startsWith('<svg'));
});

test('active content in a rendered SVG is refused', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
  assert.throws(() => inlineSvg(svg, 'p'), /active content/);
  assert.throws(() => inlineSvg('<SVG><foreignObject/></SVG>', 'p'), /active content/);
  // Escaped text is just text.
  assert.ok(inlineSvg('<svg><text>&lt;script&gt;</text></svg>', 'p').includes('&lt;script&gt;'));
});

test.run();

/**
 * Preparing a rendered plot's SVG for index.html. vega renders every plot
 * with ids counted from 1 (so a plot's own .svg file is stable), which means
 * two plots on one page would both define `clip1` and the second would clip
 * to the first one's rectangle. Ids are therefore prefixed per plot here.
 */

/** The ids vega's SVG renderer generates: clip paths and (radial) gradients. */
const VEGA_ID = /(id="|url\(#|href="#)(clip\d+|p_gradient_\d+|gradient_\d+)(?=[")])/g;

/**
 * Elements that can run code or pull in other documents. vega escapes every
 * text and attribute it writes, so none should appear; if one ever does, the
 * report is refused rather than published.
 */
const ACTIVE_CONTENT = /<\s*(script|foreignObject|iframe|object|embed)\b/i;

/** Returns the SVG element ready to inline, its generated ids prefixed with `prefix-`. */
export function inlineSvg(svg: string, prefix: string): string {
  if (ACTIVE_CONTENT.test(svg)) throw new Error(`plot ${prefix}: rendered SVG contains active content; refusing to inline it`);
  const start = svg.indexOf('<svg');
  if (start < 0) throw new Error(`plot ${prefix}: renderer returned no <svg> element`);
  return svg.slice(start).replace(VEGA_ID, (_, before: string, id: string) => `${before}${prefix}-${id}`);
}

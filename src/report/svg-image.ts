/**
 * How index.html shows a rendered plot: an <img> of the plot's own .svg file
 * beside it, at the size vega laid it out. Referencing rather than inlining
 * keeps index.html small (a sweep's plots weigh megabytes of SVG), and an SVG
 * shown as an image can neither run script nor load anything, whatever it holds.
 */
import { escapeHtml } from './escape.js';

/**
 * Elements that can run code or pull in other documents. vega escapes every
 * text and attribute it writes, so none should appear; if one ever does, the
 * report is refused rather than published (the .svg is also opened on its own).
 */
const ACTIVE_CONTENT = /<\s*(script|foreignObject|iframe|object|embed)\b/i;
const ROOT_SIZE = /^<svg\b[^>]*?\swidth="(\d+(?:\.\d+)?)"[^>]*?\sheight="(\d+(?:\.\d+)?)"/;

/** The <img> element showing `file`, the SVG text `svg`, described by `alt`. */
export function svgImage(svg: string, file: string, alt: string): string {
  if (ACTIVE_CONTENT.test(svg)) throw new Error(`plot ${file}: rendered SVG contains active content; refusing to publish it`);
  const size = ROOT_SIZE.exec(svg.slice(Math.max(0, svg.indexOf('<svg'))));
  if (!size) throw new Error(`plot ${file}: renderer returned no <svg> element with a width and height`);
  return `<img src="${escapeHtml(file)}" width="${size[1]}" height="${size[2]}" alt="${escapeHtml(alt)}">`;
}

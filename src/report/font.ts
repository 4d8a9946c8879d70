/**
 * The one typeface every plot uses, and its text metrics.
 *
 * Plots are laid out by vega and rasterised by resvg. Without a canvas, vega
 * guesses every text width as 0.8 × characters × font size, which is far too
 * wide for any real font: legends get gaps, axis titles drift away from their
 * labels and labels are dropped as "overlapping" when they are not. So we ship
 * one font (DejaVu Sans, from the `dejavu-fonts-ttf` package), measure text with
 * its own advance widths, and hand the same file to resvg with system fonts
 * off. The SVG, the PNG and the layout then agree on every machine.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

/** The family name inside the TTF files; resvg matches on it. */
export const FONT_FAMILY = 'DejaVu Sans';

/**
 * The CSS font stack written into the SVG. Browsers without DejaVu Sans fall
 * back to Verdana, which descends from the same Bitstream Vera design and has
 * close widths, so the SVGs keep their layout.
 */
export const FONT_STACK = `${FONT_FAMILY}, Verdana, sans-serif`;

const FONT_PACKAGE_FILES = {
  regular: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
} as const;

const require = createRequire(import.meta.url);

/** Absolute paths of the regular and bold faces, for resvg's `font.fontFiles`. */
export function fontFiles(): string[] {
  return [require.resolve(FONT_PACKAGE_FILES.regular), require.resolve(FONT_PACKAGE_FILES.bold)];
}

/** Horizontal metrics of one face: advance width per code point, in em units. */
export interface FaceMetrics {
  readonly unitsPerEm: number;
  /** Advance of the .notdef glyph, used for code points the face lacks. */
  readonly missingAdvance: number;
  advanceOf(codePoint: number): number;
}

/**
 * Reads just enough of a TrueType file for advance widths: `head` (units per
 * em), `hhea` (how many long metrics), `hmtx` (the advances) and `cmap`
 * (code point → glyph). Kerning is ignored: it moves a label by a fraction
 * of a pixel, which does not change any layout decision vega makes.
 */
export function parseFaceMetrics(font: Uint8Array): FaceMetrics {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const tables = new Map<string, number>();
  const tableCount = view.getUint16(4);
  for (let i = 0; i < tableCount; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(font[record]!, font[record + 1]!, font[record + 2]!, font[record + 3]!);
    tables.set(tag, view.getUint32(record + 8));
  }
  const table = (tag: string): number => {
    const offset = tables.get(tag);
    if (offset === undefined) throw new Error(`font has no '${tag}' table`);
    return offset;
  };

  const HEAD_UNITS_PER_EM = 18, HHEA_LONG_METRIC_COUNT = 34;
  const unitsPerEm = view.getUint16(table('head') + HEAD_UNITS_PER_EM);
  const longMetricCount = view.getUint16(table('hhea') + HHEA_LONG_METRIC_COUNT);
  const hmtx = table('hmtx');
  // Glyphs past the long metrics repeat the last advance (TrueType spec, 'hmtx').
  const advanceOfGlyph = (glyph: number): number =>
    view.getUint16(hmtx + 4 * Math.min(glyph, longMetricCount - 1));

  const glyphOf = readCmap(view, table('cmap'));
  const cache = new Map<number, number>();
  return {
    unitsPerEm,
    missingAdvance: advanceOfGlyph(0),
    advanceOf(codePoint: number): number {
      let advance = cache.get(codePoint);
      if (advance === undefined) {
        advance = advanceOfGlyph(glyphOf(codePoint));
        cache.set(codePoint, advance);
      }
      return advance;
    },
  };
}

/** Returns code point → glyph id from the best Unicode subtable (format 12, else format 4). */
function readCmap(view: DataView, cmap: number): (codePoint: number) => number {
  const PLATFORM_WINDOWS = 3, ENCODING_BMP = 1, ENCODING_FULL = 10, PLATFORM_UNICODE = 0;
  const subtableCount = view.getUint16(cmap + 2);
  let format4 = -1, format12 = -1;
  for (let i = 0; i < subtableCount; i++) {
    const record = cmap + 4 + 8 * i;
    const platform = view.getUint16(record), encoding = view.getUint16(record + 2);
    const subtable = cmap + view.getUint32(record + 4);
    const unicode = platform === PLATFORM_UNICODE ||
      (platform === PLATFORM_WINDOWS && (encoding === ENCODING_BMP || encoding === ENCODING_FULL));
    if (!unicode) continue;
    const format = view.getUint16(subtable);
    if (format === 12 && format12 < 0) format12 = subtable;
    if (format === 4 && format4 < 0) format4 = subtable;
  }
  if (format12 >= 0) {
    const groups = view.getUint32(format12 + 12);
    return (codePoint) => {
      let lo = 0, hi = groups - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1, group = format12 + 16 + 12 * mid;
        const start = view.getUint32(group), end = view.getUint32(group + 4);
        if (codePoint < start) hi = mid - 1;
        else if (codePoint > end) lo = mid + 1;
        else return view.getUint32(group + 8) + (codePoint - start);
      }
      return 0;
    };
  }
  if (format4 < 0) throw new Error('font has no Unicode cmap subtable (format 4 or 12)');
  const segments = view.getUint16(format4 + 6) / 2;
  const endCodes = format4 + 14;
  const startCodes = endCodes + 2 * segments + 2; // +2 skips reservedPad
  const deltas = startCodes + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (codePoint) => {
    if (codePoint > 0xffff) return 0;
    for (let s = 0; s < segments; s++) {
      if (codePoint > view.getUint16(endCodes + 2 * s)) continue;
      const start = view.getUint16(startCodes + 2 * s);
      if (codePoint < start) return 0;
      const delta = view.getInt16(deltas + 2 * s);
      const rangeOffsetAt = rangeOffsets + 2 * s;
      const rangeOffset = view.getUint16(rangeOffsetAt);
      if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
      const glyph = view.getUint16(rangeOffsetAt + rangeOffset + 2 * (codePoint - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

let faces: { regular: FaceMetrics; bold: FaceMetrics } | undefined;

function loadFaces(): { regular: FaceMetrics; bold: FaceMetrics } {
  if (!faces) {
    const [regular, bold] = fontFiles().map((file) => parseFaceMetrics(fs.readFileSync(file)));
    faces = { regular: regular!, bold: bold! };
  }
  return faces;
}

/** CSS weights at or above this are drawn with the bold face (CSS font matching rule). */
const BOLD_WEIGHT_THRESHOLD = 600;

function isBold(fontWeight: unknown): boolean {
  if (fontWeight === 'bold' || fontWeight === 'bolder') return true;
  const numeric = Number(fontWeight);
  return Number.isFinite(numeric) && numeric >= BOLD_WEIGHT_THRESHOLD;
}

/** Width in pixels of `text` set in the report font at `fontSize` px. */
export function measureText(text: string, fontSize: number, fontWeight?: unknown): number {
  const face = isBold(fontWeight) ? loadFaces().bold : loadFaces().regular;
  let units = 0;
  for (const char of text) units += face.advanceOf(char.codePointAt(0)!);
  return (units * fontSize) / face.unitsPerEm;
}

/**
 * Headless rendering: Vega-Lite → Vega → SVG string (vega's `renderer: 'none'`
 * scenegraph, no browser, no canvas), and SVG → PNG with resvg.
 *
 * Output must be byte-identical for the same spec, so three sources of drift
 * are pinned here: text widths (measured with the shipped font, see font.ts),
 * vega's global clip/gradient id counters (reset before each render, renders
 * serialised so they cannot interleave), and vega's random source (seeded).
 * Data is always inline; the loader refuses every URL so a spec can neither
 * fetch from the network nor read local files.
 */
import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, fontFiles, measureText } from './font.js';
import { REPORT_CONFIG, type VegaLiteSpec } from './specs.js';

/** PNGs are drawn at twice the SVG's size unless a width is asked for, so text stays sharp on slides and HiDPI screens. */
export const DEFAULT_PNG_SCALE = 2;
/** Any fixed seed will do: it only matters that it is the same every time. */
const VEGA_RANDOM_SEED = 1;
/** vega's default when an item has no font size. */
const VEGA_DEFAULT_FONT_SIZE = 11;

/** What vega exports at run time but its typings leave out. */
interface TextItem { fontSize?: number; fontWeight?: string | number; limit?: number }
interface VegaUntyped {
  textMetrics: { width: (item: TextItem, text: unknown) => number };
  resetSVGDefIds: () => void;
  setRandom: (random: () => number) => void;
  randomLCG: (seed: number) => () => number;
}
const vegaUntyped = vega as unknown as VegaUntyped;
for (const name of ['textMetrics', 'resetSVGDefIds', 'setRandom', 'randomLCG'] as const) {
  if (!vegaUntyped[name]) throw new Error(`this vega build does not export ${name}; the report renderer needs it for stable output`);
}

/**
 * Vega calls this for label bounds, overlap checks and truncation. Returning
 * at most `limit` makes both uses right: vega's truncation search only asks
 * whether a prefix fits under the limit, and bounds of a truncated label are
 * then no wider than what is drawn.
 */
function textWidth(item: TextItem, text: unknown): number {
  const fontSize = item.fontSize ?? VEGA_DEFAULT_FONT_SIZE;
  const s = text == null ? '' : String(text).trim();
  if (!(fontSize > 0) || s === '') return 0;
  const width = measureText(s, fontSize, item.fontWeight);
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(width, limit) : width;
}
vegaUntyped.textMetrics.width = textWidth;

export interface RenderOptions {
  /** Receives vega-lite's and vega's warnings; by default they go to stderr, as vega's own would. */
  onWarning?: (message: string) => void;
}

/** A vega logger that collects warnings and turns errors into exceptions. */
function collectingLogger(onWarning: (message: string) => void): vega.LoggerInterface {
  let level = vega.Warn;
  const text = (args: readonly unknown[]): string => args.map(String).join(' ');
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]): never {
      throw new Error(text(args));
    },
    warn(...args: readonly unknown[]) {
      onWarning(text(args));
      return logger;
    },
    info() { return logger; },
    debug() { return logger; },
  };
  return logger as unknown as vega.LoggerInterface;
}

const defaultOnWarning = (message: string): void => { process.stderr.write(`vega: ${message}\n`); };

/** Compiles Vega-Lite to Vega with the report defaults. Throws on errors; warnings go to `onWarning`. */
function compileSpec(vlSpec: VegaLiteSpec, options: RenderOptions = {}): vega.Spec {
  const logger = collectingLogger(options.onWarning ?? defaultOnWarning);
  const { spec } = compile(vlSpec as unknown as TopLevelSpec, { config: REPORT_CONFIG as never, logger });
  return spec;
}

/** A loader that refuses everything: report data is inline, and rendering must not touch the network or disk. */
function offlineLoader(): vega.Loader {
  const loader = vega.loader();
  loader.sanitize = async (uri: string) => {
    throw new Error(`report plots must inline their data; refusing to load '${uri}'`);
  };
  return loader;
}

let renderQueue: Promise<unknown> = Promise.resolve();

/** Renders a Vega-Lite spec to an SVG document string. Same spec, same bytes. */
export function renderSvg(vlSpec: VegaLiteSpec, options: RenderOptions = {}): Promise<string> {
  const onWarning = options.onWarning ?? defaultOnWarning;
  const vgSpec = compileSpec(vlSpec, { onWarning });
  // Serialised because vega's SVG id counters and random source are module-global.
  const result = renderQueue.then(async () => {
    vegaUntyped.resetSVGDefIds();
    vegaUntyped.setRandom(vegaUntyped.randomLCG(VEGA_RANDOM_SEED));
    const view = new vega.View(vega.parse(vgSpec), {
      renderer: 'none',
      logger: collectingLogger(onWarning),
      loader: offlineLoader(),
    });
    try {
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  });
  renderQueue = result.catch(() => undefined);
  return result;
}

export interface PngOptions {
  /** Output width in pixels; the height follows the SVG's aspect ratio. Default: the SVG's width × DEFAULT_PNG_SCALE. */
  width?: number;
}

/** resvg options: only the shipped font, so the PNG's text is the same on every machine. */
function resvgOptions(options: PngOptions): ResvgRenderOptions {
  if (options.width !== undefined && !(Number.isInteger(options.width) && options.width > 0)) {
    throw new RangeError(`PNG width must be a positive integer, got ${options.width}`);
  }
  return {
    fitTo: options.width === undefined ? { mode: 'zoom', value: DEFAULT_PNG_SCALE } : { mode: 'width', value: options.width },
    font: {
      fontFiles: fontFiles(),
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    logLevel: 'off',
  };
}

/** Rasterises an SVG to PNG bytes on resvg's worker thread, so rasterising overlaps with vega's layout of the next plot. */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  return (await renderAsync(svg, resvgOptions(options))).asPng();
}

/**
 * Vega-Lite v6 spec builders for the plots a pciesim report shows.
 *
 * Each builder returns plain JSON: data inlined as `data.values` (so a spec
 * file renders on its own, offline), keys in a fixed order (so the written
 * `.vl.json` is byte-identical from run to run), and only the fields the plot
 * uses (so a spec does not carry a whole results table).
 */
import { FONT_STACK } from './font.js';

export type Cell = string | number | null;
export type Row = Record<string, Cell>;
/** A Vega-Lite spec as plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const PLOT_WIDTH = 560;
export const PLOT_HEIGHT = 300;
/** Height of one bar's band in a horizontal bar chart: room for an 11 px label and a gap. */
export const BAR_STEP = 28;
/** Tableau 10 stays distinguishable for the common colour-vision deficiencies; Tableau 20 when there are more series than that, so no two share a colour. */
const COLOR_SCHEME = 'tableau10';
const COLOR_SCHEME_20 = 'tableau20';
/** A bar's label (a variant such as "resolution=4k, sharing=per-frame, buffers=3") is shown whole up to this width in px. */
const BAR_LABEL_LIMIT = 420;

export function colorScheme(series: number): string {
  return series > 10 ? COLOR_SCHEME_20 : COLOR_SCHEME;
}
/** CI bands are drawn faintly so the lines over them stay readable. */
export const CI_BAND_OPACITY = 0.2;

/**
 * The look every report plot shares. The builders embed it, and the renderer
 * also passes it as compile-time defaults so hand-written specs get the same
 * font as the PNG rasteriser (a spec's own config still wins).
 */
export const REPORT_CONFIG = {
  font: FONT_STACK,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', offset: 12 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titlePadding: 8,
    gridColor: '#e6e6e6',
    domainColor: '#888888',
    tickColor: '#888888',
  },
  // Long variant names ("resolution=4k, sharing=per-frame, buffers=3") are shown whole rather than cut.
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 480 },
  view: { stroke: '#d0d0d0' },
  line: { strokeWidth: 2 },
} as const;

export interface LineSpecOptions {
  title: string;
  rows: readonly Row[];
  /** Field holding the swept parameter (numbers give a continuous axis, strings an ordinal one in data order). */
  x: string;
  /** Field holding the metric. Null metrics (failed runs) are kept in the data and left out of the line. */
  y: string;
  /** Field naming the variant; one line per distinct value. */
  series?: string;
  /** Fields holding the lower and upper confidence bound; both are needed for a band. */
  ciLow?: string;
  ciHigh?: string;
  logX?: boolean;
  logY?: boolean;
  xTitle?: string;
  yTitle?: string;
  seriesTitle?: string;
  /** x is a size in bytes: ticks at the values swept (when few) labelled in B, KiB, MiB, GiB. */
  xBytes?: boolean;
}

/** The most x values that become ticks of their own on a size axis; past this vega picks them. */
const MAX_SIZE_TICKS = 12;
/** Ticks of a size axis: the sizes swept when few, else powers of two across them (every other, or every fourth, … until few). */
function sizeTicks(sizes: readonly number[]): number[] {
  const distinct = [...new Set(sizes)].sort((a, b) => a - b);
  if (distinct.length <= MAX_SIZE_TICKS) return distinct;
  const low = Math.ceil(Math.log2(Math.max(1, distinct[0]!))), high = Math.floor(Math.log2(distinct[distinct.length - 1]!));
  const step = Math.ceil((high - low + 1) / MAX_SIZE_TICKS);
  const ticks: number[] = [];
  for (let e = low; e <= high; e += step) ticks.push(2 ** e);
  return ticks;
}

/** A vega expression labelling a tick value in bytes as people write sizes (4 KiB, 1.5 MiB). */
const BYTES_LABEL = ['GiB', 'MiB', 'KiB'].reduceRight(
  (inner, unit, i) => `datum.value >= ${2 ** (10 * (3 - i))} ? format(datum.value / ${2 ** (10 * (3 - i))}, '~r') + ' ${unit}' : ${inner}`,
  "format(datum.value, '~r') + ' B'",
);

/** Metric against parameter, one line (with points) per variant, with CI bands when bounds are given. */
export function lineSpec(o: LineSpecOptions): VegaLiteSpec {
  const fields = [o.x, o.y, o.series, o.ciLow, o.ciHigh].filter((f): f is string => f !== undefined);
  const hasBand = o.ciLow !== undefined && o.ciHigh !== undefined;
  const values = o.rows
    .filter((row) => row[o.x] != null)
    // A log axis has no place for zero or negatives; such rows cannot be drawn.
    .filter((row) => !o.logX || isPositive(row[o.x]))
    .map((row) => {
      const projected = project(row, fields);
      if (o.logY) {
        for (const f of [o.y, o.ciLow, o.ciHigh]) if (f !== undefined && !isPositive(projected[f])) projected[f] = null;
      }
      return projected;
    });
  const xIsNumeric = values.every((row) => typeof row[o.x] === 'number');
  const xTitle = o.xTitle ?? o.x;
  const yTitle = o.yTitle ?? o.y;

  // A size axis spans exactly the sizes swept (a niced 10 B … 100 KB would pad it with decades of nothing).
  const sizeAxis = o.xBytes && xIsNumeric
    ? { axis: { labelExpr: BYTES_LABEL, values: sizeTicks(values.map((row) => row[o.x] as number)) }, scale: { ...(o.logX ? { type: 'log' } : {}), nice: false } }
    : {};
  const x = xIsNumeric
    ? { field: fieldRef(o.x), type: 'quantitative', title: xTitle, ...logScale(o.logX), ...sizeAxis }
    : { field: fieldRef(o.x), type: 'ordinal', title: xTitle, sort: null, scale: { type: 'band', paddingInner: 0.2 } };
  // A linear axis starts at zero (vega-lite's default), so a 7% change looks like 7% and not like a cliff;
  // a log axis has no zero and shows ratios instead.
  const y = { field: fieldRef(o.y), type: 'quantitative', title: yTitle, ...logScale(o.logY) };
  const color = o.series === undefined
    ? undefined
    : colorEncoding(o.series, o.seriesTitle ?? o.series, distinctValues(values, o.series));
  // A categorical x (paths, platforms, schemes) has no order between its values to draw a line along:
  // one point per variant, side by side within the category, its confidence interval a bar.
  const xOffset = xIsNumeric || o.series === undefined ? undefined : { field: fieldRef(o.series), type: 'nominal', sort: null };
  const valueLayer = {
    mark: xIsNumeric ? { type: 'line', point: { filled: true, size: 40 } } : { type: 'point', filled: true, size: 60 },
    encoding: withoutUndefined({ y, color, xOffset }),
  };
  // The interval repeats the colour without a legend of its own, so the legend shows line-and-point symbols;
  // the legends must then resolve independently, because a merged legend would take the band's faint swatches.
  const intervalLayer = {
    mark: xIsNumeric ? { type: 'area', opacity: CI_BAND_OPACITY, aria: false } : { type: 'rule', strokeWidth: 2, aria: false },
    encoding: withoutUndefined({
      y: { ...y, field: fieldRef(o.ciLow ?? '') },
      y2: { field: fieldRef(o.ciHigh ?? '') },
      color: color && { ...color, legend: null },
      xOffset,
    }),
  };
  return frame(o.title, values, {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    encoding: { x },
    layer: hasBand ? [intervalLayer, valueLayer] : [valueLayer],
    ...(hasBand && color ? { resolve: { legend: { color: 'independent' } } } : {}),
  });
}

export interface CdfRow { series: string; value: number; fraction: number }

export interface CdfSpecOptions {
  title: string;
  rows: readonly CdfRow[];
  logX?: boolean;
  xTitle: string;
  seriesTitle?: string;
}

/** CDFs of a latency from its quantiles, one line per variant. */
export function cdfSpec(o: CdfSpecOptions): VegaLiteSpec {
  const values = o.rows
    .filter((row) => !o.logX || row.value > 0)
    .map((row) => ({ series: row.series, value: finiteOrNull(row.value), fraction: finiteOrNull(row.fraction) }));
  return frame(o.title, values, {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    // The rows are quantiles read from a histogram sketch at a few dozen fractions, not every sample,
    // so straight lines between them estimate the CDF far better than steps would.
    mark: { type: 'line' },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: o.xTitle, ...logScale(o.logX) },
      y: {
        field: 'fraction', type: 'quantitative', title: 'Fraction of samples ≤ x',
        scale: { domain: [0, 1] }, axis: { format: '%' },
      },
      color: colorEncoding('series', o.seriesTitle ?? 'Variant', distinctValues(values, 'series')),
      // Fraction rises with value, and unlike value it breaks ties between equal samples in CDF order.
      order: { field: 'fraction', type: 'quantitative' },
    },
  });
}

export interface StackedBarRow { bar: string; component: string; value: number | null }

export interface StackedBarSpecOptions {
  title: string;
  rows: readonly StackedBarRow[];
  xTitle: string;
  barTitle?: string;
}

/** Latency attribution: one horizontal bar per variant, one segment per component, in first-seen order. */
export function stackedBarSpec(o: StackedBarSpecOptions): VegaLiteSpec {
  const bars = distinct(o.rows.map((row) => row.bar));
  const components = distinct(o.rows.map((row) => row.component));
  // An explicit index keeps segments, colours and legend in the caller's order rather than alphabetical.
  const values = o.rows.map((row) => ({
    bar: row.bar,
    component: row.component,
    componentIndex: components.indexOf(row.component),
    value: finiteOrNull(row.value),
  }));
  return frame(o.title, values, {
    width: PLOT_WIDTH,
    height: { step: BAR_STEP },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'bar', type: 'nominal', title: o.barTitle ?? null, sort: bars, axis: { labelLimit: BAR_LABEL_LIMIT } },
      x: { field: 'value', type: 'quantitative', aggregate: 'sum', title: o.xTitle, stack: 'zero' },
      color: {
        field: 'component', type: 'nominal', title: 'Component',
        scale: { domain: components, scheme: colorScheme(components.length) },
      },
      order: { field: 'componentIndex', type: 'quantitative' },
    },
  });
}

export interface TimeSeriesRow { time: number; value: number | null; series?: string }

export interface TimeSeriesSpecOptions {
  title: string;
  rows: readonly TimeSeriesRow[];
  xTitle: string;
  yTitle: string;
  seriesTitle?: string;
}

/** A metric (e.g. throughput) over simulated time, one line per series if rows name one. */
export function timeSeriesSpec(o: TimeSeriesSpecOptions): VegaLiteSpec {
  const hasSeries = o.rows.some((row) => row.series !== undefined);
  const values = o.rows.map((row) => withoutUndefined({
    time: finiteOrNull(row.time),
    value: finiteOrNull(row.value),
    series: hasSeries ? row.series ?? null : undefined,
  }));
  return frame(o.title, values, {
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    mark: { type: 'line' },
    encoding: withoutUndefined({
      x: { field: 'time', type: 'quantitative', title: o.xTitle },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      color: hasSeries ? colorEncoding('series', o.seriesTitle ?? 'Series', distinctValues(values, 'series')) : undefined,
    }),
  });
}

/**
 * Escapes a field name for Vega-Lite, which otherwise reads `.` and `[]` as
 * nested access: a parameter path like `pcie.link.gen` is one flat column here.
 */
export function fieldRef(name: string): string {
  return name.replace(/[\\.[\]]/g, (c) => `\\${c}`);
}

/** Every spec starts with the same keys in the same order, and holds no line breaks (see `singleLine`). */
function frame(title: string, values: readonly object[], body: Record<string, unknown>): VegaLiteSpec {
  return singleLine({
    $schema: VEGA_LITE_SCHEMA,
    title,
    description: title,
    config: REPORT_CONFIG,
    data: { values },
    ...body,
  });
}

/** The characters vega's expression parser ends a string literal at. */
const LINE_TERMINATORS = /[\n\r\u2028\u2029]+/g;

/**
 * Replaces line breaks in every string of a spec with a space. Vega-Lite
 * pastes axis and legend titles and sort values into vega expressions
 * without escaping line breaks, so a unit or variant name containing one
 * would make the whole plot fail to parse.
 */
function singleLine<T>(value: T): T {
  if (typeof value === 'string') return value.replace(LINE_TERMINATORS, ' ') as T;
  if (Array.isArray(value)) return value.map(singleLine) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = singleLine(v);
    return out as T;
  }
  return value;
}

/** Colours are assigned in first-seen order, so a variant keeps its colour and legend place across plots built from the same rows. */
function colorEncoding(field: string, title: string, domain: readonly Cell[]): Record<string, unknown> {
  return { field: fieldRef(field), type: 'nominal', title, scale: { domain, scheme: colorScheme(domain.length) } };
}

function distinctValues(rows: readonly Record<string, Cell | undefined>[], field: string): Cell[] {
  return [...new Set(rows.map((row) => row[field]).filter((v): v is string | number => v != null))];
}

function logScale(log: boolean | undefined): { scale?: { type: 'log' } } {
  return log ? { scale: { type: 'log' } } : {};
}

function project(row: Row, fields: readonly string[]): Row {
  const out: Row = {};
  for (const f of fields) {
    const v = row[f];
    out[f] = typeof v === 'number' ? finiteOrNull(v) : v ?? null;
  }
  return out;
}

/** JSON has no NaN or Infinity; a missing metric is null everywhere in a report. */
function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function isPositive(v: Cell | undefined): boolean {
  return typeof v === 'number' && v > 0;
}

function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

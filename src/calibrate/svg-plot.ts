/**
 * A measured-vs-simulated line plot as a standalone SVG: two lines (or two
 * sets of lines, one per series of a curve, each measured line named at its
 * right end: "64 B") over a log2 x axis (sizes and windows double) or a
 * linear one (offsets), a linear y axis from 0. Small and
 * dependency-free so calibration output needs no renderer; numbers are
 * printed with fixed decimals so the file is byte-identical run to run.
 */
import { escapeHtml } from '../report/escape.js';
import type { SimulatedCurve } from './simulate.js';

const WIDTH = 650, HEIGHT = 320, LEFT = 60, RIGHT = 210, TOP = 30, BOTTOM = 45;
/** The right margin: the names of a curve's lines in its first column, the legend in its second. */
const LINE_NAMES_X = WIDTH - RIGHT + 6, LEGEND_X = WIDTH - RIGHT + 60;
/** Least space between two line names, px (a line of text). */
const LINE_NAME_GAP = 11;
const COLORS = { measured: '#1f77b4', simulated: '#d62728', 'before fit': '#7f7f7f' } as const;
const TICKS = 5;

/** One line, or, where `lines` splits its points (by series), several drawn alike. */
export interface PlotSeries { label: keyof typeof COLORS; points: [number, number][]; lines?: number[] }

const f = (v: number) => v.toFixed(1);

/**
 * `linesAre`: what the lines of a set split by series are (e.g. "transfer
 * size (B)"): each measured line is then named by its series at its right end.
 */
export function svgLinePlot(title: string, xLabel: string, yLabel: string, series: PlotSeries[], xScale: 'log2' | 'linear' = 'log2', linesAre?: string): string {
  const all = series.flatMap((s) => s.points);
  const scale = xScale === 'log2' ? (x: number) => Math.log2(Math.max(x, 1)) : (x: number) => x;
  const xs = all.map(([x]) => scale(x));
  const xMin = Math.min(...xs), xMax = Math.max(...xs, xMin + 1);
  const yMax = Math.max(...all.map(([, y]) => y), 1e-9) * 1.1;
  const px = (x: number) => LEFT + ((scale(x) - xMin) / (xMax - xMin)) * (WIDTH - LEFT - RIGHT);
  const py = (y: number) => HEIGHT - BOTTOM - (y / yMax) * (HEIGHT - TOP - BOTTOM);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="DejaVu Sans, sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="13">${escapeHtml(title)}</text>`,
    `<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH - RIGHT}" y2="${HEIGHT - BOTTOM}" stroke="black"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${HEIGHT - BOTTOM}" stroke="black"/>`,
  ];
  for (let k = 0; k <= TICKS; k++) {
    const y = (yMax / TICKS) * k;
    out.push(`<text x="${LEFT - 6}" y="${f(py(y) + 4)}" text-anchor="end">${y.toPrecision(3)}</text>`);
  }
  for (let e = Math.ceil(xMin); e <= Math.floor(xMax); e += Math.max(1, Math.ceil((xMax - xMin) / 8))) {
    const x = xScale === 'log2' ? 2 ** e : e;
    const label = x >= 1048576 ? `${x / 1048576}M` : x >= 1024 ? `${x / 1024}K` : `${x}`;
    out.push(`<text x="${f(px(x))}" y="${HEIGHT - BOTTOM + 15}" text-anchor="middle">${label}</text>`);
  }
  out.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`);
  series.forEach((s, i) => {
    // Before the fit is drawn dashed and wider, so it shows where the fit leaves a curve where it was.
    const stroke = s.label === 'before fit' ? 'stroke-width="3" stroke-dasharray="6 4"' : 'stroke-width="1.5"';
    const lines = [...new Set(s.lines ?? [0])];
    for (const line of lines) {
      const mine = s.points.filter((_, k) => (s.lines?.[k] ?? 0) === line).sort((a, b) => a[0] - b[0]);
      out.push(`<polyline fill="none" stroke="${COLORS[s.label]}" ${stroke} points="${mine.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')}"/>`);
      // Several lines (a curve by offset, a line per size) zigzag where their x values are alike only in name: the points themselves mark what was measured.
      if (lines.length > 1) for (const [x, y] of mine) out.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="2" fill="${COLORS[s.label]}"/>`);
    }
    out.push(`<text x="${LEGEND_X}" y="${TOP + 14 * (i + 1)}" fill="${COLORS[s.label]}">${s.label}</text>`);
  });
  const measured = series.find((s) => s.label === 'measured');
  if (linesAre !== undefined && measured?.lines !== undefined && new Set(measured.lines).size > 1) {
    out.push(`<text x="${LEGEND_X}" y="${TOP + 14 * (series.length + 1)}" fill="#555">lines: ${escapeHtml(linesAre)}</text>`);
    out.push(...lineNames(measured, linesAre, py));
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * The name of each line of `s` (its series, with the unit `linesAre` ends in:
 * "transfer size (B)" names a line "64 B") beside its rightmost point, in the
 * margin; names that would overlap are pushed apart downwards, in the order
 * of their lines' heights.
 */
function lineNames(s: PlotSeries, linesAre: string, py: (y: number) => number): string[] {
  const unit = /\(([^)]*)\)\s*$/.exec(linesAre)?.[1];
  const ends = [...new Set(s.lines!)].map((line) => {
    const mine = s.points.filter((_, k) => s.lines![k] === line);
    const last = mine.reduce((a, b) => (b[0] >= a[0] ? b : a));
    return { line, y: py(last[1]) };
  }).sort((a, b) => a.y - b.y || a.line - b.line);
  let below = -Infinity;
  return ends.map(({ line, y }) => {
    const at = Math.max(y + 4, below + LINE_NAME_GAP);
    below = at;
    return `<text x="${LINE_NAMES_X}" y="${f(at)}" fill="${COLORS.measured}" font-size="10">${line}${unit === undefined ? '' : ` ${escapeHtml(unit)}`}</text>`;
  });
}

/** A simulated curve's points that ran, and the series of each. */
function simulatedSeries(s: SimulatedCurve, label: PlotSeries['label']): PlotSeries {
  const ran = s.curve.points.flatMap((p, i) => (s.simulated[i] == null ? [] : [{ p, y: s.simulated[i]! }]));
  return { label, points: ran.map(({ p, y }) => [p.x, y]), lines: ran.map(({ p }) => p.series ?? 0) };
}

/** A curve's measured points against its simulated ones (and, from a calibration, the simulation before the fit, in grey); a line of each per series. */
export function curvePlot(s: SimulatedCurve, title: string, beforeFit?: SimulatedCurve): string {
  const c = s.curve;
  return svgLinePlot(title, c.xLabel, c.unit, [
    { label: 'measured', points: c.points.map((p) => [p.x, p.measured]), lines: c.points.map((p) => p.series ?? 0) },
    ...(beforeFit ? [simulatedSeries(beforeFit, 'before fit')] : []),
    simulatedSeries(s, 'simulated'),
  ], c.xScale, c.seriesLabel);
}

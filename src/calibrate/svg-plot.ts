/**
 * A measured-vs-simulated line plot as a standalone SVG: two lines (or two
 * sets of lines, one per series of a curve) over a log2 x axis (sizes and
 * windows double) or a linear one (offsets), a linear y axis from 0. Small and
 * dependency-free so calibration output needs no renderer; numbers are
 * printed with fixed decimals so the file is byte-identical run to run.
 */
import { escapeHtml } from '../report/escape.js';
import type { SimulatedCurve } from './simulate.js';

const WIDTH = 560, HEIGHT = 320, LEFT = 60, RIGHT = 120, TOP = 30, BOTTOM = 45;
const COLORS = { measured: '#1f77b4', simulated: '#d62728', 'before fit': '#7f7f7f' } as const;
const TICKS = 5;

/** One line, or, where `lines` splits its points (by series), several drawn alike. */
export interface PlotSeries { label: keyof typeof COLORS; points: [number, number][]; lines?: number[] }

const f = (v: number) => v.toFixed(1);

export function svgLinePlot(title: string, xLabel: string, yLabel: string, series: PlotSeries[], xScale: 'log2' | 'linear' = 'log2'): string {
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
    out.push(`<text x="${WIDTH - RIGHT + 10}" y="${TOP + 14 * (i + 1)}" fill="${COLORS[s.label]}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
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
  ], c.xScale);
}

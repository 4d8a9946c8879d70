/**
 * What `pciesim calibrate` writes: the fitted preset (inheriting from the
 * one it was fitted from, each fitted value citing the measurements and
 * keeping its range), the residuals of every point before and after, and
 * one measured-vs-simulated plot per curve. Numbers are printed with fixed
 * precision, so the same fit gives byte-identical files.
 */
import type { Curve, CurvePoint } from './curves.js';
import { pooledError, type Calibration } from './fit.js';
import { curvePlot } from './svg-plot.js';

/** A relative error as validate:hw's tables show it: a percentage to 0.1%; — for none. */
export const tablePercent = (e: number | null) => (e === null ? '—' : `${(100 * e).toFixed(1)}%`);

/** The mean of the figures there are (null ones left out: a curve a host lacks, one no point of which ran); null if none. */
export function meanOfPresent(figures: readonly (number | null)[]): number | null {
  const ok = figures.filter((e): e is number => e !== null);
  return ok.length === 0 ? null : ok.reduce((a, b) => a + b, 0) / ok.length;
}

/** A relative error as a percentage with two decimals. */
export const percent = (e: number) => (Number.isFinite(e) ? `${(100 * e).toFixed(2)}%` : 'failed');

/** Six significant digits, trailing zeros dropped: enough for a measurement; empty for none. */
export const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(Number(v.toPrecision(6))));

/** A simulated value's signed relative error against the measured one, in % with two decimals; empty where the point did not run. */
export const errorPct = (v: number | null | undefined, measured: number) => (v === null || v === undefined ? '' : ((100 * (v - measured)) / measured).toFixed(2));

/**
 * The columns that place a point in its curve, first in every per-point CSV
 * row: the curve, the point's series (the line of a curve of several, e.g.
 * the transfer size of an offset curve; empty on a curve of one), its x and
 * the curve's unit.
 */
export const POINT_COLUMNS = 'curve,series,x,unit';
export const pointKey = (c: Curve, p: CurvePoint) => `${c.name},${p.series ?? ''},${p.x},${c.unit}`;

/** The header of validate:hw's points.csv: the host (its platform preset and pcie-bench folder), the point's place in its curve, measured (the repeats' median where it has repeats, `;`-separated), simulated, the signed error in %. */
export const VALIDATION_POINTS_HEADER = `platform,host,${POINT_COLUMNS},measured,repeats,simulated,error_pct`;

export function fittedPreset(c: Calibration, name: string, sources: readonly string[]): Record<string, unknown> {
  const points = c.before.reduce((n, s) => n + s.curve.points.length, 0);
  const fit = `pciesim calibrate to ${sources.join(', ')} (mean absolute error ${percent(c.maeBefore)} → ${percent(c.maeAfter)} over ${points} points)`;
  return {
    name, type: c.preset.type, base: c.preset.name,
    description: `${c.preset.name} with ${c.fitted.map((f) => f.key).join(', ')} fitted by ${fit}.`,
    values: Object.fromEntries(c.fitted.map((f) => [f.key, {
      value: f.fitted,
      source: `fitted: ${fit}, within the estimate's range`,
      estimate: true,
      range: f.preset.range,
      note: `before the fit ${String(f.preset.value)} (${f.preset.from}: ${f.preset.source})`,
    }])),
  };
}

/** One row per point (signed errors), then each curve's and the whole fit's mean absolute error (x = mean_abs). */
export function residualsCsv(c: Calibration): string {
  const rows = [`${POINT_COLUMNS},measured,simulated_before,error_before_pct,simulated,error_pct`];
  const meanRow = (curve: string, unit: string, before: number, after: number) =>
    `${curve},,mean_abs,${unit},,,${(100 * before).toFixed(2)},,${(100 * after).toFixed(2)}`;
  c.after.forEach((s, k) => {
    const b = c.before[k]!;
    s.curve.points.forEach((p, i) => {
      rows.push([pointKey(s.curve, p), num(p.measured), num(b.simulated[i]), errorPct(b.simulated[i], p.measured), num(s.simulated[i]), errorPct(s.simulated[i], p.measured)].join(','));
    });
  });
  c.after.forEach((s, k) => rows.push(meanRow(s.curve.name, s.curve.unit, pooledError([c.before[k]!]), pooledError([s]))));
  rows.push(meanRow('all', '', c.maeBefore, c.maeAfter));
  return rows.join('\n') + '\n';
}

/** Plot file name → SVG, one per curve (names made safe for a file system). */
export function calibrationPlots(c: Calibration): [string, string][] {
  return c.after.map((s, k) => [`${s.curve.name.replace(/[^\w.-]+/g, '_')}.svg`, curvePlot(s, s.curve.title, c.before[k])]);
}

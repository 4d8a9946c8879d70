/**
 * A study's results per grid point: the mean of every metric over the
 * point's successful replications with its confidence half-width. The page
 * shows it as tables (html-study.ts); the CSV beside the page holds all of
 * it at full precision, however large the sweep.
 */
import { compareBySweepOrder, gridPoints, sweptParameters, type GridPoint } from './grid.js';
import { metricColumns } from './metric-columns.js';
import type { ReportParameter, ReportStudy } from './model.js';
import { CONFIDENCE_LEVEL, estimate, metricSamples, type Estimate } from './replications.js';

export interface ResultGrid {
  swept: ReportParameter[];
  /** In sweep order. */
  points: GridPoint[];
  /** Metrics some successful run reported, in column order. */
  metrics: string[];
  /** Per metric, one estimate per point. */
  estimates: Map<string, Estimate[]>;
  /** Metric columns present in the runs that no run filled with a value. */
  unreported: number;
}

export function resultGrid(study: ReportStudy): ResultGrid {
  const swept = sweptParameters(study);
  const points = gridPoints(study.runs).sort(compareBySweepOrder(study, swept.map((p) => p.name)));
  const all = metricColumns(study.runs);
  const estimates = new Map<string, Estimate[]>();
  for (const m of all) {
    const column = points.map((point) => estimate(metricSamples(point.runs, m)));
    if (column.some((e) => e.mean !== null)) estimates.set(m, column);
  }
  const metrics = [...estimates.keys()];
  return { swept, points, metrics, estimates, unreported: all.length - metrics.length };
}

/** The grid as CSV (RFC 4180): swept parameters, runs, then each metric's mean and, with replications, its half-width. */
export function resultsCsv(grid: ResultGrid): string {
  const withSpread = new Set(grid.metrics.filter((m) => grid.estimates.get(m)!.some((e) => e.halfWidth !== null)));
  const ci = `ci${CONFIDENCE_LEVEL * 100}_half_width`;
  const header = [
    ...grid.swept.map((p) => p.name), 'runs_ok', 'runs',
    ...grid.metrics.flatMap((m) => (withSpread.has(m) ? [m, `${m}.${ci}`] : [m])),
  ];
  const rows = grid.points.map((point, i) => [
    ...grid.swept.map((p) => point.parameters[p.name] ?? null),
    point.runs.filter((r) => r.status === 'ok').length, point.runs.length,
    ...grid.metrics.flatMap((m) => {
      const e = grid.estimates.get(m)![i]!;
      return withSpread.has(m) ? [e.mean, e.halfWidth] : [e.mean];
    }),
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

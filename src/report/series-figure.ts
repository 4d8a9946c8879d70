/** One time series (e.g. throughput per window) over simulated time, one line per variant. */
import type { Figure } from './figure.js';
import type { Representatives } from './grid.js';
import { metricUnit, withUnit } from './metric-columns.js';
import type { ReportStudy } from './model.js';
import { timeSeriesSpec, type TimeSeriesRow } from './specs.js';
import { timeUnitFor } from './time-unit.js';

/**
 * Each line is the point's first successful replication that recorded the
 * series: windows of different replications need not line up, and averaging
 * them would smooth away the bursts a time series is there to show.
 * Null when no such run exists.
 */
export function seriesFigure(study: ReportStudy, name: string, at: Representatives): Figure | null {
  const lines = at.points.flatMap((point, i) => {
    const run = point.runs.find((r) => r.status === 'ok' && (r.series[name]?.length ?? 0) > 0);
    return run ? [{ label: at.labels[i]!, points: run.series[name]! }] : [];
  });
  if (lines.length === 0) return null;
  // A loop, not Math.max(...): a long series would overflow the argument list.
  let lastPs = 0;
  for (const line of lines) for (const p of line.points) lastPs = Math.max(lastPs, p.time_ps);
  const unit = timeUnitFor(lastPs);
  const named = at.points.length > 1;
  const rows: TimeSeriesRow[] = lines.flatMap((line) =>
    line.points.map((p) => ({ time: p.time_ps / unit.ps, value: p.value, ...(named ? { series: line.label } : {}) })));
  const title = `${name} over time${at.slice ? ` ${at.slice}` : ''}`;
  const caption = `${name} over simulated time in the first successful replication of each variant${at.slice ? ` ${at.slice}` : ''}.`;
  return {
    name: `${name} over time`,
    title,
    caption,
    spec: timeSeriesSpec({
      title,
      rows,
      xTitle: `Simulated time (${unit.name})`,
      yTitle: withUnit(name, metricUnit(study, name)),
      seriesTitle: at.legendTitle || 'Variant',
    }),
  };
}

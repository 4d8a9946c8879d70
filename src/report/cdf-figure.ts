/** The CDF of one latency distribution, one line per variant at the study's representative grid points. */
import type { Figure } from './figure.js';
import type { Representatives } from './grid.js';
import { withUnit } from './metric-columns.js';
import type { ReportStudy } from './model.js';
import { distributionUnit, pooledDistribution } from './replications.js';
import { cdfSpec, type CdfRow } from './specs.js';

/**
 * A positive distribution spanning this many times its minimum gets a log
 * axis: tails of a few microseconds behind a body of a few hundred
 * nanoseconds would otherwise squash the body against the axis.
 */
export const LOG_AXIS_SPAN = 100;

/**
 * A CDF whose every sample lies within this share of the largest is a
 * vertical line: it says only "constant", which the results already say,
 * so it is not drawn.
 */
export const MIN_CDF_SPREAD = 0.05;

/** Null when none of the representative points recorded the distribution, or when it does not spread. */
export function cdfFigure(study: ReportStudy, name: string, at: Representatives): Figure | null {
  const rows: CdfRow[] = [];
  const unrecorded: string[] = [];
  at.points.forEach((point, i) => {
    const pooled = pooledDistribution(point.runs, name);
    if (pooled === null) unrecorded.push(at.labels[i]!);
    for (const [fraction, value] of pooled ?? []) rows.push({ series: at.labels[i]!, value, fraction });
  });
  if (rows.length === 0) return null;
  const min = rows.reduce((m, r) => Math.min(m, r.value), Infinity);
  const max = rows.reduce((m, r) => Math.max(m, r.value), -Infinity);
  if (max - min <= MIN_CDF_SPREAD * Math.abs(max)) return null;
  const title = `CDF of ${name}${at.slice ? ` ${at.slice}` : ''}`;
  const caption =
    `Distribution of ${name} per variant${at.slice ? ` ${at.slice}` : ''}, ` +
    'pooled over replications by averaging the value at each fraction.' +
    // A variant whose runs never took this path (a write latency where the variant only reads) is said, not silently absent.
    (unrecorded.length > 0 ? ` Not recorded at ${unrecorded.map((l) => (at.legendTitle ? `${at.legendTitle} = ${l}` : l)).join(', ')}: those runs have no such samples.` : '');
  return {
    name: `${name} cdf`,
    title,
    caption,
    spec: cdfSpec({
      title,
      rows,
      logX: min > 0 && max >= LOG_AXIS_SPAN * min,
      xTitle: withUnit(name, distributionUnit(study.runs, name)),
      seriesTitle: at.legendTitle || 'Variant',
    }),
  };
}

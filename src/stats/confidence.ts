import { studentTQuantile } from './student-t.js';
import { RunningSummary } from './summary.js';

/** The conventional level for comparing replications of a run. */
export const DEFAULT_CONFIDENCE_LEVEL = 0.95;

/**
 * A two-sided Student t confidence interval for the mean of independent
 * samples (in this simulator: one metric across replications of a run).
 */
export interface ConfidenceInterval {
  mean: number;
  /** t_{(1+level)/2, n−1} · sd / √n. Infinity when n = 1 (see below); 0 when all samples are equal. */
  halfWidth: number;
  low: number;
  high: number;
  n: number;
  /** Sample standard deviation (n − 1 divisor); NaN when n = 1. */
  sd: number;
  level: number;
}

/**
 * Confidence interval for the mean of `samples` at `level` (default 95%).
 *
 * One sample says nothing about spread, so its half-width is Infinity and
 * [low, high] is (−Infinity, Infinity): an honest "unbounded" that keeps
 * low <= mean <= high and makes any overlap test say the runs cannot be
 * told apart, rather than NaN, which compares false with everything. (In
 * JSON, Infinity and NaN both serialize as null.) No samples is an error.
 */
export function confidenceInterval(samples: readonly number[], level = DEFAULT_CONFIDENCE_LEVEL): ConfidenceInterval {
  const summary = new RunningSummary();
  for (let i = 0; i < samples.length; i++) summary.add(samples[i]!);
  return confidenceIntervalOf(summary, level);
}

/** The same interval from a summary, so replications can be merged first and never kept. */
export function confidenceIntervalOf(summary: RunningSummary, level = DEFAULT_CONFIDENCE_LEVEL): ConfidenceInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const n = summary.count;
  if (n === 0) throw new RangeError('a confidence interval needs at least one sample');
  const mean = summary.mean;
  if (n === 1) return { mean, halfWidth: Infinity, low: -Infinity, high: Infinity, n, sd: NaN, level };
  const sd = summary.sd;
  const halfWidth = (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { mean, halfWidth, low: mean - halfWidth, high: mean + halfWidth, n, sd, level };
}

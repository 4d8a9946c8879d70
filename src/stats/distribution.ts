/**
 * A distribution as a run reports it: the summary statistics of a histogram
 * and its CDF. summary.json keeps it nested; results.arrow flattens it into
 * one column per field (`lat_ns.p50`, `lat_ns.mean`, ...).
 */
import type { Histogram } from './histogram.js';

export interface DistributionMetric {
  count: number;
  mean: number | null;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  /** (fraction, value) pairs on CDF_FRACTIONS, for CDF plots; left out of flat tables. */
  cdf: [number, number][];
}

/** What a component reports for one statistic: a scalar, a category, or a distribution. */
export type MetricValue = number | string | boolean | null | DistributionMetric;

/** The flat fields of a DistributionMetric, in its declaration order. */
export const DISTRIBUTION_FIELDS = ['count', 'mean', 'min', 'p50', 'p90', 'p99', 'p999', 'max'] as const;

/** A histogram as a reported distribution; an empty one reports nulls, not zeros. */
export function distribution(h: Histogram, scale = 1): DistributionMetric {
  if (h.count === 0) return { count: 0, mean: null, min: null, p50: null, p90: null, p99: null, p999: null, max: null, cdf: [] };
  const q = h.quantiles();
  return {
    count: h.count, mean: h.mean * scale, min: h.min * scale,
    p50: q.p50 * scale, p90: q.p90 * scale, p99: q.p99 * scale, p999: q.p999 * scale, max: h.max * scale,
    cdf: h.cdfPoints().map(([f, v]): [number, number] => [f, v * scale]),
  };
}

export function isDistribution(v: MetricValue): v is DistributionMetric {
  return v !== null && typeof v === 'object';
}

export type FlatValue = number | string | boolean | null;

/** Flat columns for tables: a distribution `lat` becomes `lat.p50`, `lat.mean`, ... (its CDF stays in summary.json). */
export function flattenMetrics(metrics: Record<string, MetricValue>): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (isDistribution(v)) {
      for (const [field, x] of Object.entries(v)) if (!Array.isArray(x)) out[`${k}.${field}`] = x;
    } else out[k] = v;
  }
  return out;
}

/**
 * Combining the replications of one grid point: a metric's mean with its
 * Student-t confidence interval, a latency distribution pooled across
 * replications, and the mean time per attribution component.
 * Only successful runs count; a failed run's values are left out, not zeroed.
 */
import { confidenceInterval, DEFAULT_CONFIDENCE_LEVEL } from '../stats/confidence.js';
import type { ReportRun } from './model.js';

export const CONFIDENCE_LEVEL = DEFAULT_CONFIDENCE_LEVEL;

/** A metric over replications. Bounds are null when fewer than two samples give no spread. */
export interface Estimate {
  n: number;
  mean: number | null;
  halfWidth: number | null;
  low: number | null;
  high: number | null;
}

/** The finite values of `metric` in the successful runs, in run order. */
export function metricSamples(runs: readonly ReportRun[], metric: string): number[] {
  const samples: number[] = [];
  for (const run of runs) {
    const v = run.status === 'ok' ? run.metrics[metric] : null;
    if (typeof v === 'number' && Number.isFinite(v)) samples.push(v);
  }
  return samples;
}

/** Mean and 95% Student-t interval of `samples`; one sample gives the value alone, none gives nulls. */
export function estimate(samples: readonly number[]): Estimate {
  if (samples.length === 0) return { n: 0, mean: null, halfWidth: null, low: null, high: null };
  const ci = confidenceInterval(samples, CONFIDENCE_LEVEL);
  if (samples.length === 1 || !Number.isFinite(ci.halfWidth)) {
    return { n: ci.n, mean: ci.mean, halfWidth: null, low: null, high: null };
  }
  return { n: ci.n, mean: ci.mean, halfWidth: ci.halfWidth, low: ci.low, high: ci.high };
}

/**
 * A distribution pooled over the successful runs that recorded it, as
 * (fraction, value) pairs. When every replication reports the same fractions
 * (the usual case: they share one CDF grid) the values at each fraction are
 * averaged, i.e. quantile averaging; otherwise the first replication stands
 * for the point, since the grids cannot be lined up without inventing values.
 */
export function pooledDistribution(runs: readonly ReportRun[], name: string): [number, number][] | null {
  const all = runs.filter((r) => r.status === 'ok').map((r) => r.distributions[name]?.points).filter((p) => p !== undefined && p.length > 0);
  const first = all[0];
  if (!first) return null;
  const sameGrid = all.every((p) => p.length === first.length && p.every(([f], i) => f === first[i]![0]));
  if (!sameGrid) return first.map(([f, v]) => [f, v]);
  return first.map(([fraction], i) => {
    let sum = 0;
    for (const points of all) sum += points[i]![1];
    return [fraction, sum / all.length];
  });
}

/** The unit of `name`'s distribution in the first run that has it. */
export function distributionUnit(runs: readonly ReportRun[], name: string): string | null {
  for (const run of runs) {
    const d = run.distributions[name];
    if (d) return d.unit;
  }
  return null;
}

/**
 * Mean picoseconds per component over the successful runs that attribute
 * time (a component a replication never charged counts as 0 there), in
 * first-seen component order. Empty when no run attributes.
 */
export function meanAttribution(runs: readonly ReportRun[]): [string, number][] {
  const attributing = runs.filter((r) => r.status === 'ok' && r.attribution.length > 0);
  const totals = new Map<string, number>();
  for (const run of attributing) {
    for (const [component, ps] of run.attribution) totals.set(component, (totals.get(component) ?? 0) + ps);
  }
  return [...totals].map(([component, ps]) => [component, ps / attributing.length]);
}

import type { Histogram } from '../stats/histogram.js';
import type { DistributionMetric, MetricValue } from '../scenario/registry.js';

/** A histogram as a reported distribution; an empty one reports nulls, not zeros. */
export function distribution(h: Histogram, scale = 1): DistributionMetric {
  if (h.count === 0) return { count: 0, mean: null, min: null, p50: null, p90: null, p99: null, p999: null, max: null };
  const q = h.quantiles();
  return {
    count: h.count, mean: h.mean * scale, min: h.min * scale,
    p50: q.p50 * scale, p90: q.p90 * scale, p99: q.p99 * scale, p999: q.p999 * scale, max: h.max * scale,
  };
}

export function isDistribution(v: MetricValue): v is DistributionMetric {
  return v !== null && typeof v === 'object';
}

/** Flat columns for tables: a distribution `lat` becomes `lat.p50`, `lat.mean`, ... */
export function flattenMetrics(metrics: Record<string, MetricValue>): Record<string, number | string | boolean | null> {
  const out: Record<string, number | string | boolean | null> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (isDistribution(v)) for (const [field, x] of Object.entries(v)) out[`${k}.${field}`] = x;
    else out[k] = v;
  }
  return out;
}

/**
 * The scenario's metric names: a stat keeps its bare name when exactly one
 * component reports it, and is prefixed "<component>." when several do
 * (e.g. one throughput per endpoint behind a switch).
 */
export function nameMetrics(perComponent: { component: string; metrics: Record<string, MetricValue> }[]): Record<string, MetricValue> {
  const owners = new Map<string, number>();
  for (const { metrics } of perComponent) for (const k of Object.keys(metrics)) owners.set(k, (owners.get(k) ?? 0) + 1);
  const named: [string, MetricValue][] = [];
  for (const { component, metrics } of perComponent) {
    for (const [k, v] of Object.entries(metrics)) named.push([owners.get(k) === 1 ? k : `${component}.${k}`, v]);
  }
  named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(named);
}

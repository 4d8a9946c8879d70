import type { Histogram } from '../stats/histogram.js';
import type { DistributionMetric, MetricValue } from '../scenario/registry.js';
import type { ResolvedScenario } from '../scenario/loader.js';

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

/**
 * The scenario's metric names: a stat keeps its bare name when exactly one
 * component reports it, and is prefixed "<component>." when several do
 * (e.g. one throughput per endpoint behind a switch).
 */
export function nameMetrics<V>(perComponent: { component: string; metrics: Record<string, V> }[]): Record<string, V> {
  const owners = new Map<string, number>();
  for (const { metrics } of perComponent) for (const k of Object.keys(metrics)) owners.set(k, (owners.get(k) ?? 0) + 1);
  const named: [string, V][] = [];
  for (const { component, metrics } of perComponent) {
    for (const [k, v] of Object.entries(metrics)) named.push([owners.get(k) === 1 ? k : `${component}.${k}`, v]);
  }
  named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(named);
}

export interface MetricInfo {
  unit: string;
  description: string;
}

/** The result columns a scenario's components declare (flattened like flattenMetrics), with units, for tables and axes. */
export function declaredMetrics(sc: ResolvedScenario): Record<string, MetricInfo> {
  const perComponent = [...sc.components, ...sc.links].map((c) => ({
    component: c.name,
    metrics: Object.fromEntries(c.type.stats.map((s) => [s.name, s])),
  }));
  const out: Record<string, MetricInfo> = {};
  for (const [name, s] of Object.entries(nameMetrics(perComponent))) {
    const fields = s.kind === 'distribution' ? DISTRIBUTION_FIELDS.map((f) => [`${name}.${f}`, f] as const) : [[name, ''] as const];
    for (const [column, field] of fields) {
      out[column] = { unit: field === 'count' ? 'samples' : s.unit, description: field ? `${s.description} (${field})` : s.description };
    }
  }
  return out;
}

/** The flat fields of a DistributionMetric, in its declaration order. */
const DISTRIBUTION_FIELDS = ['count', 'mean', 'min', 'p50', 'p90', 'p99', 'p999', 'max'] as const;

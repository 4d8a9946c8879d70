import type { MetricValue } from '../scenario/registry.js';
import { isDistribution } from '../stats/distribution.js';
import { formatTime } from '../sim/time.js';
import type { RunSummary } from '../run/single.js';
import type { MetricInfo } from '../scenario/metric-names.js';
import { displayUnit } from '../scenario/stat-units.js';

/** Numbers for people: three significant digits, thousands kept whole. */
export function fmt(v: number | string | boolean | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 1 ? v.toPrecision(4).replace(/\.?0+$/, '') : v.toPrecision(3);
}

export function formatMetric(v: MetricValue): string {
  if (!isDistribution(v)) return fmt(v);
  return `p50 ${fmt(v.p50)}  p90 ${fmt(v.p90)}  p99 ${fmt(v.p99)}  mean ${fmt(v.mean)}  (n=${v.count})`;
}

/** What a run's metrics mean: their units, and which ones the scenario's report is about. */
export interface MetricGuide {
  /** Result columns with units (a distribution `x` as `x.p50`, …). */
  columns: Readonly<Record<string, MetricInfo>>;
  /** Columns the scenario's report plots and tabulates, and its own derived metrics: printed first. */
  key: readonly string[];
}

export function printRunSummary(s: RunSummary, wallSeconds: number, out: (line: string) => void, guide?: MetricGuide): void {
  out(`${s.scenario.name}  seed ${s.seed}  replication ${s.replication}`);
  const params = Object.entries(s.parameters).map(([k, v]) => `${k}=${v}`).join('  ');
  if (params) out(`  parameters  ${params}`);
  out(`  simulated   ${formatTime(s.simulated_ps)} in ${s.events.toLocaleString('en-US')} events ` +
    `(${wallSeconds.toFixed(2)} s wall, ${fmt(s.events / Math.max(wallSeconds, 1e-9) / 1e6)} M events/s)`);
  const names = Object.keys(s.metrics);
  const width = Math.max(...names.map((k) => k.length), 6);
  // A statistic is key when the report uses it or one of its distribution's columns (`x` for `x.p50`).
  const key = new Set(guide?.key.map((k) => names.find((n) => k === n || k.startsWith(`${n}.`)) ?? k));
  const line = (k: string): string => {
    const v = s.metrics[k]!;
    const info = guide?.columns[k] ?? (isDistribution(v) ? guide?.columns[`${k}.p50`] : undefined);
    const unit = info && info.unit !== '' ? ` ${displayUnit(info.unit)}` : '';
    return `    ${k.padEnd(width)}  ${formatMetric(v)}${unit}`;
  };
  const first = names.filter((k) => key.has(k));
  if (first.length > 0) {
    out('  key metrics (what the scenario\'s report plots and tabulates)');
    for (const k of first) out(line(k));
  }
  out(first.length > 0 ? '  all metrics' : '  metrics');
  for (const k of names) if (!key.has(k)) out(line(k));
}

import type { MetricValue } from '../scenario/registry.js';
import { isDistribution } from '../stats/distribution.js';
import { formatTime } from '../sim/time.js';
import type { RunSummary } from '../run/single.js';

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

export function printRunSummary(s: RunSummary, wallSeconds: number, out: (line: string) => void): void {
  out(`${s.scenario.name}  seed ${s.seed}  replication ${s.replication}`);
  const params = Object.entries(s.parameters).map(([k, v]) => `${k}=${v}`).join('  ');
  if (params) out(`  parameters  ${params}`);
  out(`  simulated   ${formatTime(s.simulated_ps)} in ${s.events.toLocaleString('en-US')} events ` +
    `(${wallSeconds.toFixed(2)} s wall, ${fmt(s.events / Math.max(wallSeconds, 1e-9) / 1e6)} M events/s)`);
  const width = Math.max(...Object.keys(s.metrics).map((k) => k.length), 6);
  out('  metrics');
  for (const [k, v] of Object.entries(s.metrics)) out(`    ${k.padEnd(width)}  ${formatMetric(v)}`);
}

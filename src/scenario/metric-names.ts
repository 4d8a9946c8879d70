/**
 * The names of a scenario's metrics. A statistic `s` reported by instance `i`
 * is always the column `i.s` ("dma.latency_ns", "rc.memory.read_bytes"),
 * however many instances report it, so a scenario's plots and a user's
 * scripts never break when an instance is added. A distribution `i.s` is
 * flattened into `i.s.p50`, `i.s.mean`, ... in tables.
 */
import { DISTRIBUTION_FIELDS } from '../stats/distribution.js';
import { closestNames, didYouMean } from '../util/did-you-mean.js';
import { fieldError, UserError } from './errors.js';
import { allInstances, type ResolvedScenario, type ScenarioDoc } from './loader.js';
import type { StatDecl } from './registry.js';
import { derivedDeclarations } from './derived-metrics.js';

export interface MetricInfo {
  unit: string;
  description: string;
}

export function metricName(instance: string, stat: string): string {
  return `${instance}.${stat}`;
}

/** Every instance's values under `<instance>.<name>`, in name order. */
export function nameMetrics<V>(perInstance: readonly { component: string; metrics: Record<string, V> }[]): Record<string, V> {
  const named: [string, V][] = [];
  for (const { component, metrics } of perInstance) for (const [k, v] of Object.entries(metrics)) named.push([metricName(component, k), v]);
  named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(named);
}

/** The flat result columns of one declared statistic, with units (a distribution's count is in samples). */
export function statColumns(instance: string, s: StatDecl): [string, MetricInfo][] {
  const name = metricName(instance, s.name);
  if (s.kind !== 'distribution') return [[name, { unit: s.unit, description: s.description }]];
  return DISTRIBUTION_FIELDS.map((f) => [`${name}.${f}`, { unit: f === 'count' ? 'samples' : s.unit, description: `${s.description} (${f})` }]);
}

/** The result columns a scenario's instances declare, with units, for tables, axes and name checks. */
export function declaredMetrics(sc: Pick<ResolvedScenario, 'components' | 'links'>): Record<string, MetricInfo> {
  const out: [string, MetricInfo][] = allInstances(sc).flatMap((i) => i.type.stats.flatMap((s) => statColumns(i.name, s)));
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(out);
}

/** Declared columns over several resolutions of one scenario (its sweep points): a slot filled at some points only adds its columns. */
export function declaredMetricsOf(points: readonly Pick<ResolvedScenario, 'components' | 'links'>[]): Record<string, MetricInfo> {
  const out: Record<string, MetricInfo> = {};
  for (const p of points) Object.assign(out, declaredMetrics(p));
  return Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * Every column a scenario's runs report at these points (one run's, or a
 * sweep's): its instances' declared statistics and its own derived metrics;
 * a derived metric may read columns of components these points leave out.
 */
export function scenarioColumns(doc: ScenarioDoc, points: readonly Pick<ResolvedScenario, 'components' | 'links'>[]): Record<string, MetricInfo> {
  const declared = declaredMetricsOf(points);
  const present = new Set(points.flatMap((p) => allInstances(p).map((i) => i.name)));
  const absent = new Set(doc.body.components.map((c) => c.name).filter((n) => !present.has(n)));
  const derived = derivedDeclarations(doc.file, doc.body.metrics, declared, Object.keys(doc.body.parameters), absent);
  return Object.fromEntries(Object.entries({ ...declared, ...derived }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * Every metric name the scenario's report uses (plots, tables, sensitivity)
 * is a column its instances declare; a wrong one is a user error with the
 * closest names, not a plot that silently goes missing.
 */
export function checkMetricNames(doc: ScenarioDoc, columns: Readonly<Record<string, MetricInfo>>): void {
  const known = Object.keys(columns);
  const problems: string[] = [];
  const check = (name: string, at: (string | number)[]) => {
    if (name in columns) return;
    const hint = didYouMean(name, known);
    const some = hint ? '' : `; columns include ${known.slice(0, 6).join(', ')}${known.length > 6 ? ', …' : ''} (pciesim list metrics ${doc.file})`;
    problems.push(fieldError(doc.file, at, `"${name}" is not a metric this scenario reports${hint}${some}`).message);
  };
  for (const { name, at } of reportMetrics(doc)) check(name, at);
  if (problems.length) throw new UserError(problems.join('\n'));
}

/** The metric names the scenario's report uses, each with where it is written. */
function reportMetrics(doc: ScenarioDoc): { name: string; at: (string | number)[] }[] {
  const report = doc.body.report;
  return [
    ...(report?.plots ?? []).map((p, i) => ({ name: p.metric, at: ['report', 'plots', i, 'metric'] })),
    ...(report?.tables ?? []).map((t, i) => ({ name: t.metric, at: ['report', 'tables', i, 'metric'] })),
    ...(report?.sensitivity ? [{ name: report.sensitivity.metric, at: ['report', 'sensitivity', 'metric'] }] : []),
  ];
}

/** The metric names the scenario's report plots, tabulates or measures sensitivity on, each once. */
export function reportMetricNames(doc: ScenarioDoc): string[] {
  return [...new Set(reportMetrics(doc).map((m) => m.name))];
}

/**
 * What is wrong with what an instance reported against what its type
 * declares (a model bug): a statistic missing, one not declared, or a
 * distribution where a scalar was declared (or the other way round).
 */
export function statProblems(instance: string, declared: readonly StatDecl[], reported: Record<string, unknown>): string[] {
  const out: string[] = [];
  const names = declared.map((s) => s.name);
  for (const s of declared) {
    if (!(s.name in reported)) { out.push(`${instance} did not report its declared statistic "${s.name}"`); continue; }
    const v = reported[s.name];
    const isDist = v !== null && typeof v === 'object';
    if (isDist !== (s.kind === 'distribution')) out.push(`${instance}.${s.name} is declared a ${s.kind ?? 'scalar'} but reported ${isDist ? 'a distribution' : 'a scalar'}`);
  }
  for (const k of Object.keys(reported)) {
    if (!names.includes(k)) out.push(`${instance} reported "${k}", which its type does not declare${closestNames(k, names).length ? didYouMean(k, names) : ''}`);
  }
  return out;
}

/**
 * The metric columns a study's runs report, in the order a reader wants them,
 * and how each is labelled. A distribution `lat` arrives flattened as
 * `lat.mean`, `lat.p50`, …; its fields are kept together and in percentile
 * order rather than alphabetical order (which would put max before p50).
 */
import { compareCodeUnits } from './grid.js';
import type { ReportRun, ReportStudy } from './model.js';

/** A flattened distribution's fields, in display order. */
const DISTRIBUTION_FIELDS = ['mean', 'p50', 'p90', 'p99', 'p999', 'min', 'max', 'count'] as const;
/** The fields a default plot shows for a distribution: the typical and the tail latency. */
const HEADLINE_DISTRIBUTION_FIELDS = ['p50', 'p99'] as const;

interface ColumnName { base: string; field: string | null }

/** Splits `lat.p99` into base and distribution field, when `lat` is a distribution in these runs. */
function splitColumn(name: string, distributions: ReadonlySet<string>): ColumnName {
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const base = name.slice(0, dot), field = name.slice(dot + 1);
    if (distributions.has(base) && (DISTRIBUTION_FIELDS as readonly string[]).includes(field)) return { base, field };
  }
  return { base: name, field: null };
}

/** Bases that are distributions: named in some run's distributions, or flattened with a p50 column. */
function distributionBases(runs: readonly ReportRun[], names: readonly string[]): Set<string> {
  const bases = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.distributions)) bases.add(name);
  for (const name of names) if (name.endsWith('.p50')) bases.add(name.slice(0, -'.p50'.length));
  return bases;
}

/** Every metric column any run reports: grouped by base in code-unit order, distribution fields in DISTRIBUTION_FIELDS order. */
export function metricColumns(runs: readonly ReportRun[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.metrics)) names.add(name);
  const distributions = distributionBases(runs, [...names]);
  const fieldRank = (field: string | null): number =>
    field === null ? -1 : (DISTRIBUTION_FIELDS as readonly string[]).indexOf(field);
  const keyed = [...names].map((name) => ({ name, ...splitColumn(name, distributions) }));
  keyed.sort((a, b) => compareCodeUnits(a.base, b.base) || fieldRank(a.field) - fieldRank(b.field) || compareCodeUnits(a.name, b.name));
  return keyed.map((k) => k.name);
}

/** The columns worth a default plot: each scalar, and each distribution's p50 and p99; only those with a value somewhere. */
export function headlineMetrics(runs: readonly ReportRun[]): string[] {
  const columns = metricColumns(runs);
  const distributions = distributionBases(runs, columns);
  const hasValue = (name: string): boolean =>
    runs.some((r) => r.status === 'ok' && typeof r.metrics[name] === 'number' && Number.isFinite(r.metrics[name]));
  return columns.filter((name) => {
    const { field } = splitColumn(name, distributions);
    return (field === null || (HEADLINE_DISTRIBUTION_FIELDS as readonly string[]).includes(field)) && hasValue(name);
  });
}

/**
 * The unit of a column: its own declaration, else its distribution's (a
 * sample count has none). Null when the study does not declare it.
 */
export function metricUnit(study: ReportStudy, name: string): string | null {
  const own = study.metrics[name];
  if (own) return own.unit || null;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.slice(dot + 1) === 'count') return null;
  return study.metrics[name.slice(0, dot)]?.unit || null;
}

/** `name (unit)`, or the bare name when the unit is unknown. */
export function withUnit(name: string, unit: string | null): string {
  return unit ? `${name} (${unit})` : name;
}

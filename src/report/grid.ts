/**
 * A study's sweep grid as the report sees it: which parameters were swept,
 * which runs share a grid point, how a point or a variant is named, and which
 * points stand for the study when a plot can only show a few.
 */
import { formatBytes, MISSING } from './format.js';
import type { ParamValue, ReportParameter, ReportRun, ReportStudy } from './model.js';

/** The runs of one grid point (its replications), in replication order. */
export interface GridPoint {
  point: number;
  parameters: Record<string, ParamValue>;
  runs: ReportRun[];
}

/** Parameters the sweep varied, in the study's order. */
export function sweptParameters(study: ReportStudy): ReportParameter[] {
  return study.parameters.filter((p) => p.values.length > 1);
}

/** Parameters that kept one value in every run. */
export function fixedParameters(study: ReportStudy): ReportParameter[] {
  return study.parameters.filter((p) => p.values.length <= 1);
}

/** Groups runs by grid point, in point order; replications in replication order (then id, for duplicates). */
export function gridPoints(runs: readonly ReportRun[]): GridPoint[] {
  const byPoint = new Map<number, ReportRun[]>();
  for (const run of runs) {
    const group = byPoint.get(run.point);
    if (group) group.push(run);
    else byPoint.set(run.point, [run]);
  }
  return [...byPoint.entries()]
    .sort(([a], [b]) => a - b)
    .map(([point, group]) => {
      const sorted = [...group].sort((a, b) => a.replication - b.replication || compareCodeUnits(a.id, b.id));
      return { point, parameters: sorted[0]!.parameters, runs: sorted };
    });
}

/**
 * A parameter value as text: a size in bytes (unit "B") as KiB or MiB, other
 * numbers in JavaScript's shortest round-trip form, so they are exact and locale-free.
 */
export function displayValue(value: ParamValue | undefined, unit?: string | null): string {
  if (value === undefined) return MISSING;
  return unit === 'B' && typeof value === 'number' ? formatBytes(value) : String(value);
}

/** The unit a study declares for a parameter, or null. */
export function parameterUnit(study: ReportStudy, name: string): string | null {
  return study.parameters.find((p) => p.name === name)?.unit ?? null;
}

/** A study's parameter value as text, in its unit (see displayValue). */
export function parameterValue(study: ReportStudy, name: string, value: ParamValue | undefined): string {
  return displayValue(value, parameterUnit(study, name));
}

/** Names a variant by the values of `names`: the bare value for one name, `a=1, b=x` for several, '' for none. */
export function variantLabel(study: ReportStudy, parameters: Record<string, ParamValue>, names: readonly string[]): string {
  if (names.length === 1) return parameterValue(study, names[0]!, parameters[names[0]!]);
  return names.map((name) => `${name}=${parameterValue(study, name, parameters[name])}`).join(', ');
}

/** Where `value` sits in the parameter's sweep order; unknown values sort last. */
export function valueIndex(parameter: ReportParameter | undefined, value: ParamValue | undefined): number {
  const index = parameter && value !== undefined ? parameter.values.indexOf(value) : -1;
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

/** Orders grid points by the sweep order of `names`' values, leftmost name first. */
export function compareBySweepOrder(study: ReportStudy, names: readonly string[]): (a: GridPoint, b: GridPoint) => number {
  const parameters = names.map((name) => study.parameters.find((p) => p.name === name));
  return (a, b) => {
    for (let i = 0; i < names.length; i++) {
      const d = valueIndex(parameters[i], a.parameters[names[i]!]) - valueIndex(parameters[i], b.parameters[names[i]!]);
      if (d !== 0) return d;
    }
    return a.point - b.point;
  };
}

/** The grid points a per-variant plot (CDF, time series, attribution) shows, and how its lines are named. */
export interface Representatives {
  points: GridPoint[];
  /** Legend entry per point, in `points` order. */
  labels: string[];
  /** Legend title; '' when there is a single unnamed line. */
  legendTitle: string;
  /** Which slice of the grid this is, for captions ('' when it is the whole grid). */
  slice: string;
}

/**
 * One line per variant at the last value of `x` (the far end of the sweep,
 * where schemes usually differ most). With nothing swept besides `x`, one line
 * per value of `x`; with nothing swept at all, the single point.
 */
export function representativePoints(study: ReportStudy, x: string | undefined): Representatives {
  const swept = sweptParameters(study);
  let variants = swept.map((p) => p.name).filter((name) => name !== x);
  const xParameter = study.parameters.find((p) => p.name === x);
  if (x !== undefined && xParameter && xParameter.values.length > 0 && variants.length > 0) {
    const last = xParameter.values[xParameter.values.length - 1]!;
    const fixed = [`${x} = ${parameterValue(study, x, last)}`];
    let chosen = gridPoints(study.runs).filter((p) => p.parameters[x] === last);
    // Too many curves to read: hold the last-swept parameters at their first value until few enough remain.
    while (chosen.length > MAX_REPRESENTATIVE_LINES && variants.length > 1) {
      const name = variants[variants.length - 1]!;
      const first = swept.find((p) => p.name === name)!.values[0];
      chosen = chosen.filter((p) => p.parameters[name] === first);
      fixed.push(`${name} = ${parameterValue(study, name, first)}`);
      variants = variants.slice(0, -1);
    }
    chosen.sort(compareBySweepOrder(study, variants));
    return {
      points: chosen,
      labels: chosen.map((p) => variantLabel(study, p.parameters, variants)),
      legendTitle: variants.join(', '),
      slice: `at ${fixed.join(', ')}`,
    };
  }
  return everyPoint(study);
}

/** The most curves a representative slice draws (a legend past this is unreadable). */
export const MAX_REPRESENTATIVE_LINES = 12;

/** Every grid point in sweep order, each named by all swept parameters ('all runs' when nothing was swept). */
export function everyPoint(study: ReportStudy): Representatives {
  const swept = sweptParameters(study).map((p) => p.name);
  const points = gridPoints(study.runs).sort(compareBySweepOrder(study, swept));
  return {
    points,
    labels: points.map((p) => (swept.length === 0 ? 'all runs' : variantLabel(study, p.parameters, swept))),
    legendTitle: swept.join(', '),
    slice: '',
  };
}

/** Plain code-unit order: never localeCompare, whose order depends on the machine. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A scenario's own metrics, under names it chooses: an alias of one column
 * ("throughput_gbytes_per_s": "dma.throughput_gbytes_per_s"), or one value
 * derived from several (the total, mean, smallest or largest of a metric
 * over the endpoints sharing a switch; Jain's fairness index over them; the
 * ratio of two). They are computed from the run's flat columns at the end of
 * the run and written beside them, with units derived from their inputs'.
 */
import { z } from 'zod';
import { didYouMean } from '../util/did-you-mean.js';
import type { FlatValue } from '../stats/distribution.js';
import { fieldError, UserError } from './errors.js';
import type { MetricInfo } from './metric-names.js';
import { unitNameProblem } from './stat-units.js';

export const DERIVED_OPS = ['sum', 'mean', 'min', 'max', 'jain', 'ratio', 'first'] as const;
type Op = (typeof DERIVED_OPS)[number];

export const derivedMetricSpec = z.union([
  z.string().describe('An alias: another name for one metric column, e.g. "dma.throughput_gbytes_per_s"'),
  z.strictObject({
    op: z.enum(DERIVED_OPS).describe("sum, mean, min, max of the columns; jain: Jain's fairness index (Σx)²/(n·Σx²), 1 = equal shares; ratio: the first over the second; first: the first column with a value (one metric that different instances report at different sweep points)"),
    of: z.array(z.string()).min(1).describe('The metric columns it is computed from'),
  }),
]);
export type DerivedMetricSpec = z.infer<typeof derivedMetricSpec>;

/**
 * The derived metrics' units and descriptions, checked against the columns
 * they read: a wrong name or mixed units is a user error. A column of an
 * instance the scenario leaves out at these points (`absent`: a component
 * whose `when` excludes it) is no error: it has no value here, and a
 * metric whose columns are all of absent instances is not reported here.
 */
export function derivedDeclarations(file: string, specs: Readonly<Record<string, DerivedMetricSpec>>, columns: Readonly<Record<string, MetricInfo>>,
  parameters: readonly string[], absent: ReadonlySet<string> = new Set()): Record<string, MetricInfo> {
  const out: Record<string, MetricInfo> = {};
  const problems: string[] = [];
  const known = Object.keys(columns);
  for (const [name, spec] of Object.entries(specs)) {
    const at = ['metrics', name];
    if (parameters.includes(name)) { problems.push(fieldError(file, at, `"${name}" is also a parameter's name; choose another`).message); continue; }
    const named = typeof spec === 'string' ? [spec] : spec.of;
    const inputs = named.filter((c) => !absent.has(c.slice(0, c.indexOf('.'))));
    if (inputs.length === 0) continue;
    const missing = named.map((c, i) => [c, i] as const).filter(([c]) => inputs.includes(c) && !(c in columns));
    for (const [c, i] of missing) {
      problems.push(fieldError(file, typeof spec === 'string' ? at : [...at, 'of', i], `"${c}" is not a metric this scenario reports${didYouMean(c, known)}`).message);
    }
    if (missing.length) continue;
    const units = [...new Set(inputs.map((c) => columns[c]!.unit))];
    const op: Op | 'alias' = typeof spec === 'string' ? 'alias' : spec.op;
    let unit: string;
    if (op === 'first' && units.length > 1) {
      problems.push(fieldError(file, [...at, 'of'], `its columns are in different units (${units.join(', ')}); "first" needs one`).message);
      continue;
    }
    if (op === 'jain') unit = 'fraction';
    else if (op === 'ratio') {
      if (inputs.length !== 2) { problems.push(fieldError(file, [...at, 'of'], `a ratio takes two columns, got ${inputs.length}`).message); continue; }
      unit = units.length === 1 ? 'ratio' : `${columns[inputs[0]!]!.unit}/${columns[inputs[1]!]!.unit}`;
    } else if (units.length > 1) {
      problems.push(fieldError(file, [...at, 'of'], `its columns are in different units (${units.join(', ')}); a ${op} needs one`).message);
      continue;
    } else unit = units[0]!;
    const clash = unitNameProblem(name, unit);
    if (clash) { problems.push(fieldError(file, at, `"${name}" is in ${unit}: ${clash}`).message); continue; }
    const description = op === 'alias' ? columns[inputs[0]!]!.description : `${op} of ${inputs.join(', ')}`;
    out[name] = { unit, description };
  }
  if (problems.length) throw new UserError(problems.join('\n'));
  return out;
}

/** The derived metrics' values from a run's flat columns; null where an input has no number. */
export function computeDerived(specs: Readonly<Record<string, DerivedMetricSpec>>, flat: Readonly<Record<string, FlatValue>>): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (typeof spec === 'string') { out[name] = flat[spec] ?? null; continue; }
    if (spec.op === 'first') { out[name] = spec.of.map((c) => flat[c]).find((x) => x !== null && x !== undefined) ?? null; continue; }
    const xs = spec.of.map((c) => flat[c]);
    if (!xs.every((x): x is number => typeof x === 'number' && Number.isFinite(x))) { out[name] = null; continue; }
    out[name] = derive(spec.op, xs);
  }
  return out;
}

function derive(op: Op, xs: number[]): number | null {
  const sum = xs.reduce((a, x) => a + x, 0);
  switch (op) {
    case 'sum': return sum;
    case 'mean': return sum / xs.length;
    case 'min': return Math.min(...xs);
    case 'max': return Math.max(...xs);
    case 'jain': {
      const squares = xs.reduce((a, x) => a + x * x, 0);
      return squares > 0 ? (sum * sum) / (xs.length * squares) : null;
    }
    case 'ratio': return xs[1] !== 0 ? xs[0]! / xs[1]! : null;
    case 'first': return xs[0]!;
  }
}

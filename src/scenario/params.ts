import { describeValue, fieldError, UserError } from './errors.js';
import type { ParameterSpec, Scalar } from './schema.js';
import { CANONICAL_UNIT, kindOfText, kindOfUnit, parseQuantityIn, quantityText, type QuantityKind } from './units.js';
import { didYouMean } from '../util/did-you-mean.js';

/** Resolved values of a scenario's named parameters, keys in sorted order. */
export type ParamValues = Record<string, Scalar>;

/** Where an override came from, for error messages: a flag, a sweep point, or a column of a measurements file (calibrate). */
export type OverrideOrigin = '--set' | '--grid' | '--zip' | 'sweep' | 'column';
/** One origin for every override, or each override's own (a sweep point mixes --set values with swept ones). */
export type OverrideOrigins = OverrideOrigin | ((name: string) => OverrideOrigin);

const REF = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const ESCAPED_DOLLAR = /^\$\$/;

/** Splits `--set NAME=VALUE` flags; the value stays a string until the parameter's type is known. */
export function parseSetFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${f}: expected NAME=VALUE`);
    out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

/** A quantity parameter's kind and the unit its values are stored in. */
export interface ParameterQuantity {
  kind: QuantityKind;
  unit: string;
}

/**
 * Whether a parameter is a quantity: its `unit` is a size, time or rate unit,
 * or (no unit given) its default is written with one ("64 KiB").
 */
export function parameterQuantity(spec: ParameterSpec): ParameterQuantity | undefined {
  if (spec.unit !== undefined) {
    const kind = kindOfUnit(spec.unit);
    return kind ? { kind, unit: spec.unit } : undefined;
  }
  const kind = typeof spec.default === 'string' ? kindOfText(spec.default) : undefined;
  return kind ? { kind, unit: CANONICAL_UNIT[kind] } : undefined;
}

/** The quantity parameters of a scenario, by name. */
export function parameterQuantities(specs: Record<string, ParameterSpec>): Map<string, ParameterQuantity> {
  const out = new Map<string, ParameterQuantity>();
  for (const [name, spec] of Object.entries(specs)) {
    const q = parameterQuantity(spec);
    if (q) out.set(name, q);
  }
  return out;
}

/**
 * Defaults, then overrides. An override must name a declared parameter and
 * fit its type (the type of its default, or its quantity) and its list of
 * allowed values. Quantities are stored as numbers in their unit.
 */
export function resolveParameters(
  file: string,
  specs: Record<string, ParameterSpec>,
  overrides: Record<string, string | Scalar>,
  origins: OverrideOrigins,
): ParamValues {
  const origin = typeof origins === 'function' ? origins : () => origins;
  for (const name of Object.keys(overrides)) {
    if (!(name in specs)) {
      const known = Object.keys(specs).sort();
      throw new UserError(`${origin(name)} ${name}: ${file} declares no parameter "${name}"${didYouMean(name, known)}; ` +
        (known.length ? `its parameters are ${known.join(', ')}` : 'it declares no parameters'));
    }
  }
  const values: ParamValues = {};
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name]!;
    if (name in overrides) values[name] = coerce(file, name, spec, overrides[name]!, origin(name));
    else values[name] = normalizeDefault(file, name, spec);
  }
  return values;
}

/** A quantity's value as a number in its unit, or the reason it is not one. */
function quantityValue(q: ParameterQuantity, raw: Scalar): number | { problem: string } {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') return { problem: `expected a ${q.kind}` };
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return parseQuantityIn(raw, q.kind, q.unit);
}

/** A quantity written with a unit, as a number in the parameter's unit (unparseable text stays as it is, and matches nothing). */
export function normalizeQuantity(text: string, q: ParameterQuantity): Scalar {
  const n = quantityValue(q, text);
  return typeof n === 'number' ? n : text;
}

/** The allowed values of a parameter, normalized as its values are. */
function allowedValues(file: string, name: string, spec: ParameterSpec): Scalar[] | undefined {
  const q = parameterQuantity(spec);
  if (!spec.values || !q) return spec.values;
  return spec.values.map((v, i) => {
    const n = quantityValue(q, v);
    if (typeof n !== 'number') throw fieldError(file, ['parameters', name, 'values', i], n.problem);
    return n;
  });
}

function normalizeDefault(file: string, name: string, spec: ParameterSpec): Scalar {
  const q = parameterQuantity(spec);
  let v: Scalar = spec.default;
  if (q) {
    const n = quantityValue(q, v);
    if (typeof n !== 'number') throw fieldError(file, ['parameters', name, 'default'], n.problem);
    v = n;
  }
  const allowed = allowedValues(file, name, spec);
  if (allowed && !allowed.includes(v)) {
    throw fieldError(file, ['parameters', name, 'default'], `expected one of the parameter's values ${allowed.map((x) => JSON.stringify(x)).join(', ')}, got ${describeValue(spec.default)}`);
  }
  return v;
}

function coerce(file: string, name: string, spec: ParameterSpec, raw: string | Scalar, origin: OverrideOrigin): Scalar {
  const q = parameterQuantity(spec);
  const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
  let v: Scalar | undefined = raw;
  if (q) {
    const n = quantityValue(q, raw);
    if (typeof n !== 'number') throw new UserError(`${origin} ${name}=${shown}: parameter "${name}" of ${file} is a ${q.kind} in ${q.unit}: ${n.problem}`);
    v = n;
  } else {
    const want = typeof spec.default;
    if (typeof raw === 'string' && want === 'number') v = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    else if (typeof raw === 'string' && want === 'boolean') v = raw === 'true' ? true : raw === 'false' ? false : undefined;
    if (v === undefined || typeof v !== want) {
      throw new UserError(`${origin} ${name}=${shown}: parameter "${name}" of ${file} is a ${want}${spec.unit ? ` in ${spec.unit}` : ''} (its default is ${JSON.stringify(spec.default)})`);
    }
  }
  const allowed = allowedValues(file, name, spec);
  if (allowed && !allowed.includes(v)) {
    throw new UserError(`${origin} ${name}=${String(v)}: parameter "${name}" of ${file} must be one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}` +
      didYouMean(String(v), allowed.map(String)));
  }
  return v;
}

/**
 * Replaces every string of the form "$name" inside `value` by the parameter's
 * value ("$$..." stands for a literal "$..."). Records, for each replaced
 * path, which parameter it came from, so later errors can say so.
 */
export function substituteRefs(
  file: string,
  value: unknown,
  params: ParamValues,
  path: (string | number)[],
  origins: Map<string, string>,
  quantities: ReadonlyMap<string, ParameterQuantity> = new Map(),
): unknown {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (m) {
      const name = m[1]!;
      if (!(name in params)) {
        const known = Object.keys(params);
        throw fieldError(file, path, `refers to parameter "$${name}", which is not declared under "parameters"${didYouMean(name, known)}` +
          (known.length ? ` (declared: ${known.join(', ')})` : ''));
      }
      origins.set(path.join('\u0000'), name);
      // A quantity goes in with its unit, so the component's schema reads it in its own unit.
      const q = quantities.get(name);
      return q ? quantityText(params[name] as number, q.unit) : params[name];
    }
    return ESCAPED_DOLLAR.test(value) ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteRefs(file, v, params, [...path, i], origins, quantities));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteRefs(file, v, params, [...path, k], origins, quantities);
    return out;
  }
  return value;
}

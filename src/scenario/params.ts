import { describeValue, fieldError, UserError, type FieldPath } from './errors.js';
import type { ParameterSpec, Scalar } from './schema.js';

/** Resolved values of a scenario's named parameters, keys in sorted order. */
export type ParamValues = Record<string, Scalar>;

/** Where an override came from, for error messages. */
export type OverrideOrigin = '--set' | 'sweep';

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

/**
 * Defaults, then overrides. An override must name a declared parameter and
 * fit its type (the type of its default) and its list of allowed values.
 */
export function resolveParameters(
  file: string,
  specs: Record<string, ParameterSpec>,
  overrides: Record<string, string | Scalar>,
  origin: OverrideOrigin,
): ParamValues {
  for (const name of Object.keys(overrides)) {
    if (!(name in specs)) {
      const known = Object.keys(specs).sort();
      throw new UserError(`${origin} ${name}: ${file} declares no parameter "${name}"; ` +
        (known.length ? `its parameters are ${known.join(', ')}` : 'it declares no parameters'));
    }
  }
  const values: ParamValues = {};
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name]!;
    if (name in overrides) values[name] = coerce(file, name, spec, overrides[name]!, origin);
    else {
      checkAllowed(file, ['parameters', name, 'default'], spec, spec.default);
      values[name] = spec.default;
    }
  }
  return values;
}

function coerce(file: string, name: string, spec: ParameterSpec, raw: string | Scalar, origin: OverrideOrigin): Scalar {
  const want = typeof spec.default;
  let v: Scalar | undefined = raw;
  if (typeof raw === 'string' && want === 'number') v = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
  else if (typeof raw === 'string' && want === 'boolean') v = raw === 'true' ? true : raw === 'false' ? false : undefined;
  if (v === undefined || typeof v !== want) {
    throw new UserError(`${origin} ${name}=${typeof raw === 'string' ? raw : JSON.stringify(raw)}: ` +
      `parameter "${name}" of ${file} is a ${want} (its default is ${JSON.stringify(spec.default)})`);
  }
  if (spec.values && !spec.values.includes(v)) {
    throw new UserError(`${origin} ${name}=${String(v)}: parameter "${name}" of ${file} must be one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}`);
  }
  return v;
}

function checkAllowed(file: string, path: FieldPath, spec: ParameterSpec, v: Scalar): void {
  if (spec.values && !spec.values.includes(v)) {
    throw fieldError(file, path, `expected one of the parameter's values ${spec.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describeValue(v)}`);
  }
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
): unknown {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (m) {
      const name = m[1]!;
      if (!(name in params)) {
        const known = Object.keys(params);
        throw fieldError(file, path, `refers to parameter "$${name}", which is not declared under "parameters"` +
          (known.length ? ` (declared: ${known.join(', ')})` : ''));
      }
      origins.set(path.join('\u0000'), name);
      return params[name];
    }
    return ESCAPED_DOLLAR.test(value) ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteRefs(file, v, params, [...path, i], origins));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteRefs(file, v, params, [...path, k], origins);
    return out;
  }
  return value;
}

/**
 * A preset's estimates as the coordinates a fit searches: each value that is
 * an estimate with a numeric range, as a number in the unit it is written in
 * ("170 ns" → 170 in ns, its range in ns too), with the step its candidates
 * take and the way back to a preset value.
 */
import type { Scalar } from '../scenario/schema.js';
import { rangedEstimates, type InheritedValue, type Preset } from '../scenario/presets.js';
import { kindOfText, parseQuantityIn, unitOfText } from '../scenario/units.js';
import type { Coordinate } from './coordinate-search.js';

export interface FittableValue {
  key: string;
  /** The preset value as the preset (or the base it inherits it from) gives it. */
  preset: InheritedValue & { range: [Scalar, Scalar] };
  /** The unit the value is written in ("ns"), or null for a plain number. */
  unit: string | null;
  coordinate: Coordinate;
}

/** Candidates are this fraction of a range apart (rounded down to a power of ten): finer than the search resolves. */
const STEP_FRACTION = 1e-4;

/** A scalar as a number in `unit` (a quantity string of the same kind), or a plain number as it is; null otherwise. */
function numberIn(v: Scalar, unit: string | null): number | null {
  if (unit === null) return typeof v === 'number' ? v : null;
  if (typeof v !== 'string') return null;
  const kind = kindOfText(v);
  const n = kind === undefined ? null : parseQuantityIn(v, kind, unit);
  return typeof n === 'number' ? n : null;
}

/** A searched number back as a preset value: a quantity in the value's unit, or the number. */
export function presetValueOf(f: Pick<FittableValue, 'unit'>, x: number): Scalar {
  return f.unit === null ? x : `${x} ${f.unit}`;
}

/**
 * A number inside [low, high] that is not whole: what asks a value's type
 * whether it takes fractions. It must lie in the range: a share in [0.3, 1]
 * asked at 1.3 would be refused for its range, not its type, and taken for
 * a whole number. Null where the range holds none (a range of one whole
 * number).
 */
function fractionIn(low: number, high: number): number | null {
  for (const x of [Math.floor(low) + 0.5, Math.floor(low) + 1.5, (low + high) / 2]) if (x >= low && x <= high && !Number.isInteger(x)) return x;
  return null;
}

/**
 * The fittable estimates of `preset` (not those in `ownKeys`, which the
 * scenario sets itself), and those left out with the reason. `wholeOnly`
 * says whether a value takes whole numbers only (its type refuses a
 * fraction inside its range).
 */
export function fittableValues(preset: Preset, ownKeys: readonly string[], wholeOnly: (key: string, fraction: Scalar) => boolean): { values: FittableValue[]; skipped: { key: string; reason: string }[] } {
  const values: FittableValue[] = [];
  const skipped: { key: string; reason: string }[] = [];
  for (const [key, v] of rangedEstimates(preset, ownKeys)) {
    const unit = typeof v.value === 'string' ? unitOfText(v.value) ?? null : null;
    const start = numberIn(v.value as Scalar, unit);
    const low = numberIn(v.range[0], unit), high = numberIn(v.range[1], unit);
    if (start === null || low === null || high === null || !(high > low)) {
      skipped.push({ key, reason: `not a number with a range of two numbers of its kind (${JSON.stringify(v.value)} in ${JSON.stringify(v.range)})` });
      continue;
    }
    const fine = 10 ** Math.floor(Math.log10((high - low) * STEP_FRACTION));
    const fraction = fractionIn(low, high);
    const whole = fraction !== null && wholeOnly(key, presetValueOf({ unit }, fraction));
    values.push({ key, preset: v, unit, coordinate: { low, high, start, step: whole ? Math.max(1, fine) : fine } });
  }
  return { values, skipped };
}

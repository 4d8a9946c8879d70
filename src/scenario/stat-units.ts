/**
 * The units a statistic can be in, and the suffix its name then carries, so a
 * column name alone says its unit: `latency_ns`, `read_bytes`,
 * `throughput_gbytes_per_s` (10^9 bytes per second, never bits). One suffix
 * per unit; a name ending in a suffix must be in that unit, and a statistic
 * in one of these units must end in its suffix. Other units are counts of
 * something ('TLPs', 'requests', 'pages'), 'fraction' (0..1), or '' (a
 * category such as an outcome); their names carry no unit suffix.
 */

/** Unit → the suffix of names in it. Longest suffixes first: `_gbytes_per_s` also ends in `_s`. */
export const UNIT_SUFFIXES: readonly (readonly [unit: string, suffix: string])[] = [
  ['GB/s', '_gbytes_per_s'],
  ['Gb/s', '_gbits_per_s'],
  ['B', '_bytes'],
  ['ps', '_ps'],
  ['ns', '_ns'],
  ['us', '_us'],
  ['ms', '_ms'],
  ['s', '_s'],
];

/** The unit a name's suffix declares, or undefined for a name without one. */
export function unitOfName(name: string): string | undefined {
  for (const [unit, suffix] of UNIT_SUFFIXES) if (name.endsWith(suffix)) return unit;
  return undefined;
}

/** The suffix a unit requires, or undefined for a count, a fraction or a category. */
export function suffixOfUnit(unit: string): string | undefined {
  return UNIT_SUFFIXES.find(([u]) => u === unit)?.[1];
}

/**
 * Why a statistic's name and unit disagree, or null if they agree. Writing
 * µs is refused: names and units use `us`, so there is one spelling.
 */
export function unitNameProblem(name: string, unit: string): string | null {
  if (unit === 'µs' || unit.endsWith('/µs')) return `unit "${unit}": write "us" (one spelling per unit)`;
  // A count per unit of time ("requests/us"): named "…_per_us", a rate rather than a time.
  const perTime = /_per_(ps|ns|us|ms|s)$/.exec(name);
  if (perTime && suffixOfUnit(unit) === undefined) {
    return unit.endsWith(`/${perTime[1]}`) ? null : `a statistic named "…_per_${perTime[1]}" must be in something per ${perTime[1]}, e.g. "requests/${perTime[1]}"`;
  }
  const want = suffixOfUnit(unit);
  const has = unitOfName(name);
  if (want !== undefined && has !== unit) return `a statistic in ${unit} must be named "…${want}"`;
  if (want === undefined && has !== undefined) return `the name ends in a ${has} suffix, but the unit is "${unit}"`;
  return null;
}

/** How a unit is written for people (axes, tables): us as µs. */
export function displayUnit(unit: string): string {
  return unit === 'us' ? 'µs' : unit;
}

/**
 * Choosing a readable unit for simulated time, which the engine keeps in
 * integer picoseconds: an axis reading "0 … 2.5 ms" beats "0 … 2.5e9 ps".
 */

export interface TimeUnit { name: string; ps: number }

/** Largest first, so the first unit the value reaches is the readable one. */
const TIME_UNITS: readonly TimeUnit[] = [
  { name: 's', ps: 1e12 },
  { name: 'ms', ps: 1e9 },
  { name: 'µs', ps: 1e6 },
  { name: 'ns', ps: 1e3 },
  { name: 'ps', ps: 1 },
];

/** The largest unit in which `maxPs` is at least 1; picoseconds for zero or less. */
export function timeUnitFor(maxPs: number): TimeUnit {
  return TIME_UNITS.find((u) => maxPs >= u.ps) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
}

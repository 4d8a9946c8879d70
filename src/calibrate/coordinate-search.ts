/**
 * A bounded, derivative-free minimiser for calibration: cyclic coordinate
 * descent with a golden-section search along each coordinate.
 *
 * Why this method: an objective made of simulation runs has no gradient and
 * is piecewise flat where a value stops mattering (a device limit the link
 * hides), so the search may only compare values. Along one coordinate the
 * error of a model that is monotone in the value is unimodal, and
 * golden-section search then brackets its minimum to `tolerance` × the
 * range, a bound a caller can rely on, in log(tolerance)/log(0.618) + 2
 * evaluations. Coordinates are searched in turn, others held at their best
 * so far; with several, sweeps repeat until one improves the objective by
 * less than `minImprovement` or `maxSweeps` have run (values that trade off
 * against each other need more than one). Each coordinate starts from the
 * best point seen, which is kept when nothing better is found: the result
 * is never worse than the start. First each coordinate is tried at both
 * ends of its range, others at the start: one that changes the objective at
 * neither is left out of the search (its value does not matter to it) and
 * reported as such.
 *
 * Every candidate but the start is snapped to its coordinate's `step`
 * before it is evaluated (integers: step 1), so what is reported is exactly
 * what was evaluated; a bracket a few steps wide is finished by trying each step in
 * it, and a coordinate whose whole range is a few steps wide is tried at
 * every step instead of bisected. Only arithmetic, no chance: the same objective gives the same result.
 */

export interface Coordinate {
  low: number;
  high: number;
  /** Where the search starts (clamped to the range). */
  start: number;
  /** Candidates are multiples of step (1 for an integer value). */
  step: number;
}

export interface SearchOptions {
  /** Bracket width, as a fraction of each range, at which a golden-section search stops. */
  tolerance: number;
  maxSweeps: number;
  /** A sweep that lowers the objective by less than this ends the search. */
  minImprovement: number;
}

export const DEFAULT_SEARCH: SearchOptions = { tolerance: 1e-3, maxSweeps: 4, minImprovement: 1e-4 };

export interface SearchResult {
  x: number[];
  value: number;
  /** The objective at the start. */
  startValue: number;
  evaluations: number;
  sweeps: number;
  /** Per coordinate: whether either end of its range changed the objective from the start (only those are searched). */
  sensitive: boolean[];
}

const INV_PHI = (Math.sqrt(5) - 1) / 2;
/** A bracket at most this many steps wide is finished by trying each step. */
const SCAN_STEPS = 4;
/**
 * A coordinate with at most this many steps in its whole range is not
 * bisected but tried at every step: a small integer (how many of something)
 * need not move the error monotonically, and golden section on [1, 8] can
 * settle at 8 past a better 2 behind a worse 3.
 */
const ENUMERATE_STEPS = 16;

/** x snapped to the nearest multiple of step inside [low, high]. */
export function snap(x: number, c: Pick<Coordinate, 'low' | 'high' | 'step'>): number {
  const lo = Math.ceil(c.low / c.step - 1e-9) * c.step, hi = Math.floor(c.high / c.step + 1e-9) * c.step;
  const v = Math.min(hi, Math.max(lo, Math.round(x / c.step) * c.step));
  // Strip the binary noise of the multiplication (0.1 × 3 = 0.30000000000000004) so the value prints as written.
  const decimals = Math.max(0, Math.ceil(-Math.log10(c.step) - 1e-9));
  return Number(v.toFixed(Math.min(decimals, 15)));
}

/**
 * `onEvaluation` is told after each new evaluation of the objective: how
 * many so far, and the least value yet (progress).
 */
export async function coordinateSearch(objective: (x: number[]) => number | Promise<number>, coords: readonly Coordinate[], opts: SearchOptions = DEFAULT_SEARCH,
  onEvaluation: (evaluations: number, least: number) => void = () => {}): Promise<SearchResult> {
  let evaluations = 0;
  let bestValue = Infinity;
  const seen = new Map<string, number>();
  const f = async (x: number[]): Promise<number> => {
    const key = x.join(',');
    let v = seen.get(key);
    if (v === undefined) {
      v = await objective(x);
      evaluations++;
      seen.set(key, v);
      onEvaluation(evaluations, Math.min(bestValue, v));
    }
    return v;
  };
  // The start as given (inside the range), not snapped: it is the preset's value, and the result is never worse than it.
  let best = coords.map((c) => Math.min(c.high, Math.max(c.low, c.start)));
  bestValue = await f(best);
  const startValue = bestValue;
  const start = best;
  const tryAt = async (from: number[], i: number, v: number): Promise<number> => {
    const x = from.slice();
    x[i] = snap(v, coords[i]!);
    const y = await f(x);
    if (y < bestValue) { best = x; bestValue = y; }
    return y;
  };
  const sensitive: boolean[] = [];
  for (const [i, c] of coords.entries()) sensitive.push((await tryAt(start, i, c.low)) !== startValue || (await tryAt(start, i, c.high)) !== startValue);
  const searched = coords.flatMap((_, i) => (sensitive[i] ? [i] : []));
  let sweeps = 0;
  while (searched.length > 0 && sweeps < opts.maxSweeps) {
    sweeps++;
    const before = bestValue;
    for (const i of searched) {
      const c = coords[i]!;
      const at = (v: number): Promise<number> => tryAt(best, i, v);
      if ((c.high - c.low) / c.step <= ENUMERATE_STEPS) {
        // Few candidates: try them all, which needs no unimodal error (a count of waiting misses, of walkers).
        const first = Math.ceil(c.low / c.step - 1e-9), last = Math.floor(c.high / c.step + 1e-9);
        for (let k = first; k <= last; k++) await at(k * c.step);
        continue;
      }
      let a = c.low, b = c.high;
      let p = b - INV_PHI * (b - a), q = a + INV_PHI * (b - a);
      let fp = await at(p), fq = await at(q);
      while (b - a > opts.tolerance * (c.high - c.low) && (b - a) / c.step > SCAN_STEPS) {
        if (fp <= fq) { b = q; q = p; fq = fp; p = b - INV_PHI * (b - a); fp = await at(p); }
        else { a = p; p = q; fp = fq; q = a + INV_PHI * (b - a); fq = await at(q); }
      }
      if ((b - a) / c.step <= SCAN_STEPS) {
        const first = Math.ceil(a / c.step - 1e-9), last = Math.floor(b / c.step + 1e-9);
        for (let k = first; k <= last; k++) await at(k * c.step);
      }
    }
    if (searched.length === 1 || before - bestValue < opts.minImprovement) break;
  }
  return { x: best, value: bestValue, startValue, evaluations, sweeps, sensitive };
}

/**
 * Test-only deterministic randomness: mulberry32 (Tommy Ettinger), a 32-bit
 * generator small enough to read, so every test sees the same numbers on
 * every machine without depending on the simulator's own RNG streams.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box–Muller (1 − u keeps the log away from 0). */
export function normal(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Exact "lower" quantile of sorted data: the value of rank floor(q·(n−1)), the rank the histogram promises. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

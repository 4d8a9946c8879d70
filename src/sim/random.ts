import seedrandom from 'seedrandom';

/**
 * A named, independent random stream. Every stream is a seedrandom `alea`
 * generator (about 30% cheaper than seedrandom's default ARC4) seeded from
 * (scenario seed, stream name, replication), so adding a stream or drawing
 * more from one never changes the numbers another stream produces.
 *
 * seedrandom seeds the generator (its Mash hash of the key); the step runs
 * here, on this object's own four fields, and is the same arithmetic as
 * seedrandom's alea.js `next`, so every number is bit-identical to
 * `seedrandom.alea(key)`'s (test/sim/random.test.ts checks it over many keys
 * and draws). Calling seedrandom's closure, which reads and writes the
 * fields of a second object, cost PHOLD at P=1 a few ns per draw, two draws
 * an event: 10.33 -> 10.91 M ev/s (median of 9 interleaved runs, other node
 * processes stopped; the same figures in CPU time, -6% with the ladder).
 * The step itself is a chain of dependent float operations, ~6 ns a draw.
 */
export class RandomStream {
  // alea's state: three lagged values in [0, 1) and the carry. Initialised
  // here, as numbers: a field declared without a value is defined as
  // undefined first (ES2022 class fields), V8 then keeps every double stored
  // in it as a new heap number, an allocation per draw (P=1 10.1 -> 8.9 M/s).
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private c = 0;

  constructor(readonly seedKey: string) {
    const st = seedrandom.alea(seedKey, { state: true }).state();
    this.s0 = st.s0; this.s1 = st.s1; this.s2 = st.s2; this.c = st.c;
  }

  /** alea's step (Baagøe's multiply-with-carry over 32-bit fractions), as seedrandom's alea.js. */
  private next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    // The carry is floor(t), t in [0, 2091640): Math.floor, not `t | 0` (the
    // same integer), keeps it a double. `| 0` made it an int32 that was
    // converted back to a double twice per draw (for t - c, and the next
    // step's c * 2^-32). PHOLD P=1 10.37 -> 10.85 and 10.55 -> 10.83 M ev/s
    // (medians of 5 interleaved runs, other node processes stopped).
    const c = Math.floor(t);
    this.c = c;
    return (this.s2 = t - c);
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  /** Exponential with the given mean (inverse transform; 1 - u keeps log away from 0). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Normal by Box–Muller, clamped to [min, max] (defaults: unbounded). */
  normal(mean: number, sd: number, min = -Infinity, max = Infinity): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const x = mean + sd * z;
    return x < min ? min : x > max ? max : x;
  }

  /** Lognormal whose underlying normal has parameters (mu, sigma). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Lognormal parameterised by the mean and coefficient of variation of the result, which is how costs are usually stated. */
  lognormalMeanCv(mean: number, cv: number): number {
    if (cv === 0) return mean;
    const sigma2 = Math.log(1 + cv * cv);
    return this.lognormal(Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2));
  }

  /** One element, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice() from an empty list');
    return items[Math.floor(items.length * this.next())]!;
  }
}

/** The seed key of a stream: only these three things may decide its numbers. */
export function streamKey(seed: number | string, name: string, replication: number): string {
  return `pciesim|${seed}|${name}|${replication}`;
}

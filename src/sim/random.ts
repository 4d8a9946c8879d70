import seedrandom from 'seedrandom';

/**
 * A named, independent random stream. Every stream is seedrandom's `alea`
 * generator (about 30% cheaper than seedrandom's default ARC4) seeded from
 * (scenario seed, stream name, replication), so adding a stream or drawing
 * more from one never changes the numbers another stream produces.
 *
 * seedrandom seeds it (its Mash of the key, taken as alea's exported state);
 * the stream then steps alea's recurrence itself, with the state in its own
 * fields: the same numbers, without a call through seedrandom's closure per
 * draw (the kernel's PHOLD benchmark draws twice per event).
 */
export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private c: number;

  constructor(readonly seedKey: string) {
    const state = seedrandom.alea(seedKey, { state: true }).state();
    this.s0 = state.s0; this.s1 = state.s1; this.s2 = state.s2; this.c = state.c;
  }

  /** Uniform in [0, 1): alea's step (Baagoe; seedrandom lib/alea.js), 2091639 and 2^-32 its constants. */
  random(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10;
    this.s0 = this.s1;
    this.s1 = this.s2;
    return (this.s2 = t - (this.c = t | 0));
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.random());
  }

  /** Exponential with the given mean (inverse transform; 1 - u keeps log away from 0). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.random());
  }

  /** Normal by Box–Muller, clamped to [min, max] (defaults: unbounded). */
  normal(mean: number, sd: number, min = -Infinity, max = Infinity): number {
    const u1 = 1 - this.random();
    const u2 = this.random();
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
    return items[Math.floor(items.length * this.random())]!;
  }
}

/** The seed key of a stream: only these three things may decide its numbers. */
export function streamKey(seed: number | string, name: string, replication: number): string {
  return `pciesim|${seed}|${name}|${replication}`;
}

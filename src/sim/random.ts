import seedrandom from 'seedrandom';

/**
 * A named, independent random stream. Every stream is a seedrandom `alea`
 * generator (about 30% cheaper than seedrandom's default ARC4) seeded from
 * (scenario seed, stream name, replication), so adding a stream or drawing
 * more from one never changes the numbers another stream produces.
 */
export class RandomStream {
  private readonly next: () => number;

  constructor(readonly seedKey: string) {
    this.next = seedrandom.alea(seedKey);
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

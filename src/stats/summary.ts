/**
 * Count, mean, variance, min and max of a stream in O(1) memory.
 *
 * The mean and variance use Welford's update (1962) rather than sums of x and
 * x²: latencies in picoseconds are large numbers with small spreads, and
 * Σx² − (Σx)²/n would cancel away most of the variance's digits. Merging uses
 * the pairwise form of Chan, Golub & LeVeque (1979), so per-run summaries
 * combine into per-sweep ones without keeping the samples.
 */
export interface SummaryJSON {
  count: number;
  mean: number | null;
  /** Sum of squared deviations from the mean (Welford's M2). */
  m2: number;
  sum: number;
  min: number | null;
  max: number | null;
}

export class RunningSummary {
  private n = 0;
  private mu = 0;
  private m2 = 0;
  private total = 0;
  private lowest = Infinity;
  private highest = -Infinity;

  get count(): number {
    return this.n;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.n === 0 ? NaN : this.mu;
  }

  get sum(): number {
    return this.total;
  }

  /** Sample variance (divides by n − 1, unbiased); NaN below two values. */
  get variance(): number {
    return this.n < 2 ? NaN : this.m2 / (this.n - 1);
  }

  /** Population variance (divides by n); NaN when empty. */
  get populationVariance(): number {
    return this.n === 0 ? NaN : this.m2 / this.n;
  }

  /** Sample standard deviation; NaN below two values. */
  get sd(): number {
    return Math.sqrt(this.variance);
  }

  /** NaN when empty. */
  get min(): number {
    return this.n === 0 ? NaN : this.lowest;
  }

  /** NaN when empty. */
  get max(): number {
    return this.n === 0 ? NaN : this.highest;
  }

  add(x: number): this {
    if (!Number.isFinite(x)) throw new RangeError(`summary value must be finite, got ${x}`);
    this.n++;
    const delta = x - this.mu;
    this.mu += delta / this.n;
    this.m2 += delta * (x - this.mu);
    this.total += x;
    if (x < this.lowest) this.lowest = x;
    if (x > this.highest) this.highest = x;
    return this;
  }

  /** Folds `other` in, as if its values had been added here. */
  merge(other: RunningSummary): this {
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.n = other.n; this.mu = other.mu; this.m2 = other.m2; this.total = other.total;
      this.lowest = other.lowest; this.highest = other.highest;
      return this;
    }
    const n = this.n + other.n;
    const delta = other.mu - this.mu;
    this.mu += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    this.total += other.total;
    if (other.lowest < this.lowest) this.lowest = other.lowest;
    if (other.highest > this.highest) this.highest = other.highest;
    return this;
  }

  toJSON(): SummaryJSON {
    const empty = this.n === 0;
    return {
      count: this.n,
      mean: empty ? null : this.mu,
      m2: this.m2,
      sum: this.total,
      min: empty ? null : this.lowest,
      max: empty ? null : this.highest,
    };
  }

  static fromJSON(json: SummaryJSON): RunningSummary {
    const s = new RunningSummary();
    if (!(Number.isSafeInteger(json.count) && json.count >= 0)) {
      throw new RangeError(`invalid summary JSON: count must be a non-negative integer, got ${json.count}`);
    }
    if (json.count === 0) return s;
    if (typeof json.mean !== 'number' || typeof json.min !== 'number' || typeof json.max !== 'number' ||
        !(json.m2 >= 0) || !Number.isFinite(json.sum)) {
      throw new RangeError('invalid summary JSON: a non-empty summary needs numeric mean, min, max, sum and m2 >= 0');
    }
    s.n = json.count; s.mu = json.mean; s.m2 = json.m2; s.total = json.sum;
    s.lowest = json.min; s.highest = json.max;
    return s;
  }
}

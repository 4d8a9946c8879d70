/**
 * A streaming histogram with relative-error quantiles (a DDSketch: Masson,
 * Rim & Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
 * relative-error guarantees", VLDB 2019).
 *
 * Values are counted in logarithmic buckets: with gamma = (1 + a) / (1 - a),
 * bucket i holds the values in (gamma^(i-1), gamma^i], i = ceil(log_gamma(x)),
 * and reports them as 2·gamma^i / (gamma + 1), which is within relative error
 * `a` of every value in the bucket. So the memory a histogram needs depends
 * on the ratio of the largest to the smallest value (log_gamma(max / min)
 * buckets), never on how many values were added, and two histograms merge
 * exactly by adding bucket counts — which is what lets a sweep combine the
 * latencies of its runs, shards and workers in any order with the same
 * quantiles. (The running sum, a float, is order-independent only while the
 * values are integers and it stays below 2^53; otherwise merge in a fixed order
 * for byte-identical output.)
 */

/**
 * 0.1%: tells a 5,500 ns latency from a 5,512 ns one, so a tail a few
 * nanoseconds above the median shows as one (at 1%, p50 and p99 of a tight
 * distribution fell into one bucket and printed equal). About 1,150 buckets
 * per decade of value range: 8 bytes each, so a latency spanning 100 ns to
 * 10 ms keeps under 50 KB, whatever the number of samples.
 */
export const DEFAULT_RELATIVE_ACCURACY = 0.001;

/**
 * Values below this count as zero (in an exact zero bucket). It puts a floor
 * under the bucket range, so a stray tiny value cannot make the store span
 * hundreds of decades; 1e-9 is far below anything the simulator measures
 * (time is integer picoseconds, sizes are integer bytes).
 */
export const DEFAULT_MIN_VALUE = 1e-9;

/** Values add() remembers with their buckets' slots: a stream's few repeating values (four compares at most, then addAny). */
const RECENT_VALUES = 4;

/**
 * Spare bucket slots the store keeps around the used range (at least; see
 * `reserve()`), so a distribution that is still widening does not reallocate
 * on every new extreme.
 */
const MIN_STORE_SLACK = 64;

/**
 * The fractions `cdfPoints()` reports: enough points for the body of a CDF
 * plot, and dense in the tail, where latency questions live.
 */
export const CDF_FRACTIONS: readonly number[] = Object.freeze([
  0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1,
]);

/** The quantiles a report shows for every latency distribution. */
export interface StandardQuantiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

/** One point of an empirical CDF: `fraction` of the values are <= `value`. */
export interface CdfPoint {
  value: number;
  fraction: number;
}

export interface HistogramOptions {
  /** Relative accuracy `a` of every reported quantile, in (0, 1). */
  relativeAccuracy?: number;
  /** Values in [0, minValue) go to the zero bucket and are reported as 0 (absolute error < minValue). */
  minValue?: number;
}

/**
 * The serialized form: field order is fixed and buckets are listed densely
 * in ascending index order, so equal histograms serialize to equal bytes.
 */
export interface HistogramJSON {
  relativeAccuracy: number;
  minValue: number;
  count: number;
  sum: number;
  /** null when the histogram is empty (JSON has no NaN). */
  min: number | null;
  max: number | null;
  zeroCount: number;
  /** Bucket index of counts[0]. */
  firstBucket: number;
  counts: number[];
}

/**
 * Streaming histogram and quantile sketch.
 *
 * Accuracy guarantee: for q in [0, 1] and n values added, `quantile(q)`
 * returns a value within relative error `relativeAccuracy` (up to
 * floating-point rounding, ~1e-13) of the true value of rank
 * floor(q·(n − 1)) (0-based) in the sorted values — provided that value is
 * >= `minValue`; below it the error is absolute and < `minValue`.
 * `quantile(0)` and `quantile(1)` are the exact min and max, and every
 * reported value is clamped to [min, max], which can only reduce the error.
 *
 * Values must be finite and non-negative: everything the simulator
 * histograms (latencies, sizes, rates) is, and a negative value is a bug
 * worth an exception rather than a silently wrong percentile.
 */
export class Histogram {
  /** The relative error bound `a` of every quantile this histogram reports. */
  readonly relativeAccuracy: number;
  readonly minValue: number;
  /** Ratio of a bucket's upper bound to its lower bound: (1 + a) / (1 - a). */
  readonly gamma: number;
  private readonly logGamma: number;

  private counts = new Float64Array(0);
  /** Bucket index held in counts[0]. */
  private storeOffset = 0;
  /** Lowest and highest non-empty bucket indices (lo > hi when no bucket is used). */
  private lo = Infinity;
  private hi = -Infinity;
  private zeroCount = 0;
  private n = 0;
  private total = 0;
  private lowest = Infinity;
  private highest = -Infinity;
  /**
   * The last RECENT_VALUES values bucketed and their buckets' slots in
   * `counts`, for add()'s shortcut (replaced in turn, `nextRecent` next);
   * valid until reserve() reallocates the store (merge() may), which
   * forgets them (NaN equals nothing).
   */
  private readonly recentValues = new Float64Array(RECENT_VALUES).fill(NaN);
  private readonly recentSlots = new Int32Array(RECENT_VALUES);
  private nextRecent = 0;

  constructor(options: HistogramOptions = {}) {
    const a = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    const minValue = options.minValue ?? DEFAULT_MIN_VALUE;
    if (!(a > 0 && a < 1)) throw new RangeError(`histogram relativeAccuracy must be in (0, 1), got ${a}`);
    if (!(minValue > 0 && Number.isFinite(minValue))) {
      throw new RangeError(`histogram minValue must be a positive finite number, got ${minValue}`);
    }
    this.relativeAccuracy = a;
    this.minValue = minValue;
    this.gamma = (1 + a) / (1 - a);
    this.logGamma = Math.log(this.gamma);
  }

  /** Number of values added. */
  get count(): number {
    return this.n;
  }

  /** Sum of the values added (exact while it stays an integer below 2^53). */
  get sum(): number {
    return this.total;
  }

  /** Mean of the values added; NaN when empty. */
  get mean(): number {
    return this.n === 0 ? NaN : this.total / this.n;
  }

  /** Exact smallest value added; NaN when empty. */
  get min(): number {
    return this.n === 0 ? NaN : this.lowest;
  }

  /** Exact largest value added; NaN when empty. */
  get max(): number {
    return this.n === 0 ? NaN : this.highest;
  }

  /**
   * Bucket slots currently allocated. Bounded by the value range, never by
   * the count: at most 1.5·B + 64, where B = the number of buckets from the
   * lowest to the highest non-empty one, about log_gamma(max / min) + 1.
   */
  get storageSize(): number {
    return this.counts.length;
  }

  /**
   * Adds `count` occurrences of `x`.
   *
   * One more of a value added lately is a few stores: that value was
   * checked and bucketed already, and is within [min, max]. Models add one
   * value per TLP or per transfer, and a steady stream repeats a handful (a
   * switch's queueing delays of 0 and 1 ps on a read stream, a DMA engine's
   * few read latencies); the logarithm and the checks are addAny()'s.
   * (Fabric bench reads, 1 M TLPs warm, five ABBA quads, the last value
   * only, against the add() that checked and bucketed every value:
   * 0.97-1.15, median 1.03.)
   */
  add(x: number, count = 1): this {
    if (count === 1) {
      // One more zero, after one (min is 0): the sum and max stay. (Zero is
      // never among the recent values: it has no bucket.)
      if (x === 0 && this.lowest === 0) {
        this.zeroCount++;
        this.n++;
        return this;
      }
      const values = this.recentValues;
      for (let k = 0; k < RECENT_VALUES; k++) {
        if (values[k] === x) {
          this.counts[this.recentSlots[k]!]! += 1;
          this.n++;
          this.total += x;
          return this;
        }
      }
    }
    return this.addAny(x, count);
  }

  private addAny(x: number, count: number): this {
    if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`histogram value must be finite and >= 0, got ${x}`);
    if (!(Number.isSafeInteger(count) && count >= 0)) {
      throw new RangeError(`histogram count must be a non-negative integer, got ${count}`);
    }
    if (count === 0) return this;
    if (x < this.minValue) {
      this.zeroCount += count;
    } else {
      const i = this.bucketIndex(x);
      this.reserve(i, i);
      const slot = i - this.storeOffset, k = this.nextRecent;
      this.recentValues[k] = x;
      this.recentSlots[k] = slot;
      this.nextRecent = k + 1 === RECENT_VALUES ? 0 : k + 1;
      this.counts[slot]! += count;
      if (i < this.lo) this.lo = i;
      if (i > this.hi) this.hi = i;
    }
    this.n += count;
    this.total += x * count;
    if (x < this.lowest) this.lowest = x;
    if (x > this.highest) this.highest = x;
    return this;
  }

  /**
   * The value of rank floor(q·(n − 1)) in sorted order, within relative
   * error `relativeAccuracy` (see the class comment). NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.n === 0) return NaN;
    if (q === 0) return this.lowest;
    if (q === 1) return this.highest;
    const rank = q * (this.n - 1);
    let seen = this.zeroCount;
    if (seen > rank) return this.clamp(0);
    for (let i = this.lo; i <= this.hi; i++) {
      seen += this.counts[i - this.storeOffset]!;
      if (seen > rank) return this.clamp(this.bucketValue(i));
    }
    // Unreachable: the buckets hold all n values and rank < n.
    return this.highest;
  }

  /** The median and the tail percentiles a latency report shows. */
  quantiles(): StandardQuantiles {
    return {
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
    };
  }

  /**
   * Points of the empirical CDF, for plotting.
   *
   * Without `points`: one point per non-empty bucket, ascending, at the
   * bucket's reported value (clamped to [min, max]; buckets clamped to the
   * same value share one point); the last fraction is 1.
   * With `points`: the estimated fraction of values <= each given value, in
   * the order given — so several histograms can be plotted on one shared
   * x axis (the way a report compares sharing schemes side by side).
   * Empty histogram: no points without `points`, fraction NaN with them.
   */
  cdf(points?: readonly number[]): CdfPoint[] {
    if (points !== undefined) return points.map((value) => ({ value, fraction: this.fractionAtOrBelow(value) }));
    const out: CdfPoint[] = [];
    if (this.n === 0) return out;
    // Clamping to [min, max] can report the zero bucket and the first bucket at the same value (min);
    // a step function has one point per value, so the later, larger fraction replaces the earlier.
    const push = (value: number, seen: number) => {
      const last = out[out.length - 1];
      if (last !== undefined && last.value === value) last.fraction = seen / this.n;
      else out.push({ value, fraction: seen / this.n });
    };
    let seen = this.zeroCount;
    if (seen > 0) push(this.clamp(0), seen);
    for (let i = this.lo; i <= this.hi; i++) {
      const c = this.counts[i - this.storeOffset]!;
      if (c === 0) continue;
      seen += c;
      push(this.clamp(this.bucketValue(i)), seen);
    }
    return out;
  }

  /**
   * The CDF as [fraction, quantile(fraction)] pairs at a fixed ladder of
   * fractions (default `CDF_FRACTIONS`), for plots and summary files. Unlike
   * `cdf()`, every histogram gives the same fractions, so distributions with
   * different ranges line up point for point. Fractions must ascend within
   * [0, 1]; the values then never descend (quantile is monotone), starting at
   * the exact min when the ladder starts at 0 and ending at the exact max when
   * it ends at 1. Empty histogram: no pairs (there is no distribution to plot).
   */
  cdfPoints(fractions: readonly number[] = CDF_FRACTIONS): [number, number][] {
    for (let k = 0; k < fractions.length; k++) {
      const f = fractions[k]!;
      if (!(f >= 0 && f <= 1) || (k > 0 && !(f > fractions[k - 1]!))) {
        throw new RangeError(`cdfPoints fractions must ascend strictly within [0, 1], got ${f} at index ${k}`);
      }
    }
    if (this.n === 0) return [];
    return fractions.map((f): [number, number] => [f, this.quantile(f)]);
  }

  /** Adds every value of `other` (same accuracy and minValue), as if they had been added here. */
  merge(other: Histogram): this {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.minValue !== this.minValue) {
      throw new RangeError(
        `cannot merge histograms with different settings: relativeAccuracy ${this.relativeAccuracy} vs ` +
        `${other.relativeAccuracy}, minValue ${this.minValue} vs ${other.minValue}`);
    }
    if (other.n === 0) return this;
    if (other.lo <= other.hi) {
      this.reserve(other.lo, other.hi);
      for (let i = other.lo; i <= other.hi; i++) {
        this.counts[i - this.storeOffset]! += other.counts[i - other.storeOffset]!;
      }
      if (other.lo < this.lo) this.lo = other.lo;
      if (other.hi > this.hi) this.hi = other.hi;
    }
    this.zeroCount += other.zeroCount;
    this.n += other.n;
    this.total += other.total;
    if (other.lowest < this.lowest) this.lowest = other.lowest;
    if (other.highest > this.highest) this.highest = other.highest;
    return this;
  }

  toJSON(): HistogramJSON {
    const counts: number[] = [];
    for (let i = this.lo; i <= this.hi; i++) counts.push(this.counts[i - this.storeOffset]!);
    return {
      relativeAccuracy: this.relativeAccuracy,
      minValue: this.minValue,
      count: this.n,
      sum: this.total,
      min: this.n === 0 ? null : this.lowest,
      max: this.n === 0 ? null : this.highest,
      zeroCount: this.zeroCount,
      firstBucket: counts.length === 0 ? 0 : this.lo,
      counts,
    };
  }

  /** Rebuilds a histogram from `toJSON()` output; checks the counts add up, so a corrupt file fails here. */
  static fromJSON(json: HistogramJSON): Histogram {
    const h = new Histogram({ relativeAccuracy: json.relativeAccuracy, minValue: json.minValue });
    const bad = (what: string): never => { throw new RangeError(`invalid histogram JSON: ${what}`); };
    if (!Array.isArray(json.counts)) bad('counts must be an array');
    if (!Number.isSafeInteger(json.firstBucket)) bad(`firstBucket must be an integer, got ${json.firstBucket}`);
    if (!(Number.isSafeInteger(json.zeroCount) && json.zeroCount >= 0)) bad(`zeroCount must be a non-negative integer`);
    let bucketed = 0;
    for (let k = 0; k < json.counts.length; k++) {
      const c = json.counts[k]!;
      if (!(Number.isSafeInteger(c) && c >= 0)) bad(`counts[${k}] must be a non-negative integer, got ${c}`);
      bucketed += c;
    }
    if (bucketed + json.zeroCount !== json.count) bad(`count ${json.count} != zeroCount + sum(counts) = ${bucketed + json.zeroCount}`);
    if (json.count > 0 && (typeof json.min !== 'number' || typeof json.max !== 'number' || !(json.min <= json.max))) {
      bad('a non-empty histogram needs numeric min <= max');
    }
    if (typeof json.sum !== 'number' || !Number.isFinite(json.sum)) bad('sum must be a finite number');
    // Trim empty buckets at the ends, so lo/hi point at non-empty buckets as add() keeps them.
    let first = 0, last = json.counts.length - 1;
    while (first <= last && json.counts[first] === 0) first++;
    while (last >= first && json.counts[last] === 0) last--;
    if (first <= last) {
      h.reserve(json.firstBucket + first, json.firstBucket + last);
      h.lo = json.firstBucket + first;
      h.hi = json.firstBucket + last;
      for (let k = first; k <= last; k++) h.counts[json.firstBucket + k - h.storeOffset] = json.counts[k]!;
    }
    h.zeroCount = json.zeroCount;
    h.n = json.count;
    h.total = json.sum;
    if (json.count > 0) {
      h.lowest = json.min!;
      h.highest = json.max!;
    }
    return h;
  }

  /** Estimated fraction of values <= v: whole buckets whose reported value is <= v. */
  private fractionAtOrBelow(v: number): number {
    if (this.n === 0) return NaN;
    if (v < this.lowest) return 0;
    if (v >= this.highest) return 1;
    let seen = this.zeroCount;
    for (let i = this.lo; i <= this.hi; i++) {
      if (this.clamp(this.bucketValue(i)) > v) break;
      seen += this.counts[i - this.storeOffset]!;
    }
    return seen / this.n;
  }

  private bucketIndex(x: number): number {
    return Math.ceil(Math.log(x) / this.logGamma);
  }

  /** The value reported for bucket i: the point within relative error a of both ends of (gamma^(i-1), gamma^i]. */
  private bucketValue(i: number): number {
    return (2 * Math.exp(i * this.logGamma)) / (this.gamma + 1);
  }

  private clamp(v: number): number {
    return v < this.lowest ? this.lowest : v > this.highest ? this.highest : v;
  }

  /**
   * Makes bucket indices lo..hi addressable. When the store must grow, it is
   * reallocated to hold the whole used range (old and new) plus slack of half
   * that range (at least MIN_STORE_SLACK), centred, so there is room to
   * widen on either side. Growing only when the used range outgrows one side
   * means it has widened by a quarter since the last reallocation, so copies
   * stay amortized O(1) per bucket, and the store never exceeds 1.5× the used
   * range + MIN_STORE_SLACK. (Doubling with all the new room on the side
   * being widened wasted most of the store when values spread both ways.)
   */
  private reserve(lo: number, hi: number): void {
    const size = this.counts.length;
    if (size > 0 && lo >= this.storeOffset && hi < this.storeOffset + size) return;
    const used = this.lo <= this.hi;
    const usedLo = used ? Math.min(lo, this.lo) : lo;
    const usedHi = used ? Math.max(hi, this.hi) : hi;
    const span = usedHi - usedLo + 1;
    const slack = Math.max(MIN_STORE_SLACK, Math.ceil(span / 2));
    const newOffset = usedLo - Math.floor(slack / 2);
    const grown = new Float64Array(span + slack);
    if (used) grown.set(this.counts.subarray(this.lo - this.storeOffset, this.hi - this.storeOffset + 1), this.lo - newOffset);
    this.counts = grown;
    this.storeOffset = newOffset;
    // The slots moved: add()'s shortcut must not use the old ones.
    this.recentValues.fill(NaN);
  }
}

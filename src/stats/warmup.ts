/**
 * Warm-up removal. A simulated system starts empty (no queued TLPs, cold
 * IOTLB, idle rings), so its first measurements describe the start-up
 * transient, not the steady state the user asked about; they must be cut
 * before computing means and confidence intervals.
 */

/** MSER-5 averages the series in batches of 5 first, which smooths noise without hiding the transient (White 1997). */
export const MSER_BATCH_SIZE = 5;

/** Keeps the samples at or after `warmupPs` (order preserved), given how to read each sample's time. */
export function dropWarmup<T>(samples: readonly T[], warmupPs: number, timeOf: (sample: T) => number): T[] {
  if (!(warmupPs >= 0)) throw new RangeError(`warm-up time must be >= 0 ps, got ${warmupPs}`);
  return samples.filter((sample) => timeOf(sample) >= warmupPs);
}

export interface WarmupCut {
  /** Index of the first observation to keep (a multiple of the batch size). */
  truncateIndex: number;
  /** times[truncateIndex] when times were given, else undefined. */
  truncateTimePs: number | undefined;
  batchSize: number;
  /** Whole batches formed (a trailing partial batch is not used). */
  batchCount: number;
  /** The minimised statistic, Σ (Z_i − mean)² / (kept batches)² over the kept batch means; NaN when no batch formed. */
  statistic: number;
  /**
   * True when the best cut is the last one searched (half the batches): the
   * transient may not have ended inside the run, so lengthen the run rather
   * than trust the cut. Also true when there are too few batches to judge.
   */
  atSearchLimit: boolean;
}

/**
 * MSER (marginal standard error rule, White 1997; Franklin & White 2008):
 * batch the series into means of `batchSize`, then cut the d leading batches
 * that minimise Σ_{i>=d} (Z_i − mean_d)² / (m − d)², the squared standard
 * error of what remains. Cuts are searched up to half the batches, as the
 * rule's authors advise: a minimum beyond that means the run is too short.
 * Ties go to the earliest cut, so the answer is deterministic.
 *
 * `times` (optional, same length as `values`) turns the cut into a time.
 */
export function mser(values: readonly number[], batchSize: number, times?: readonly number[]): WarmupCut {
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`MSER batch size must be a positive integer, got ${batchSize}`);
  }
  if (times !== undefined && times.length !== values.length) {
    throw new RangeError(`MSER: ${times.length} times for ${values.length} values`);
  }
  const m = Math.floor(values.length / batchSize);
  const means = new Float64Array(m);
  for (let b = 0; b < m; b++) {
    let s = 0;
    for (let j = 0; j < batchSize; j++) {
      const v = values[b * batchSize + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`MSER: value ${b * batchSize + j} is ${v}`);
      s += v;
    }
    means[b] = s / batchSize;
  }
  const limit = Math.floor(m / 2);
  // Sweep from the end with Welford's update: for each d this yields the sum of squared deviations of
  // Z_d..Z_{m-1} without the cancellation of suffix sums of Z and Z² (batch means of ps are large, spreads small).
  const sse = new Float64Array(m);
  let count = 0, mean = 0, m2 = 0;
  for (let d = m - 1; d >= 0; d--) {
    count++;
    const delta = means[d]! - mean;
    mean += delta / count;
    m2 += delta * (means[d]! - mean);
    sse[d] = m2;
  }
  let best = 0, bestStatistic = m > 0 ? sse[0]! / (m * m) : NaN;
  for (let d = 1; d <= limit; d++) {
    const kept = m - d;
    const statistic = sse[d]! / (kept * kept);
    if (statistic < bestStatistic) {
      best = d;
      bestStatistic = statistic;
    }
  }
  const truncateIndex = best * batchSize;
  return {
    truncateIndex,
    truncateTimePs: times === undefined || values.length === 0 ? undefined : times[truncateIndex],
    batchSize,
    batchCount: m,
    statistic: bestStatistic,
    atSearchLimit: m < 2 || (best === limit && limit > 0),
  };
}

/** MSER-5: the usual MSER with batches of 5. */
export function mser5(values: readonly number[], times?: readonly number[]): WarmupCut {
  return mser(values, MSER_BATCH_SIZE, times);
}

import { PS_PER_S } from '../sim/time.js';

/** Gbps here means 10^9 bits per second (network convention); bytes are multiplied by this to get bits. */
const BITS_PER_BYTE = 8;
const BITS_PER_GIGABIT = 1e9;
/** Windows allocated up front; the store doubles as the run goes on, so growth is amortized O(1) per window. */
const INITIAL_WINDOWS = 64;

/** Throughput in one window [start_ps, end_ps). Field names are snake_case because they become table columns. */
export interface WindowRow {
  start_ps: number;
  end_ps: number;
  count: number;
  bytes: number;
  /** Events per simulated second over the window. */
  rate_per_s: number;
  /** Gigabits (10^9 bits) per simulated second over the window; divide by 8 for GB/s. */
  gbps: number;
}

/**
 * Counts events and bytes in fixed windows of simulated time, for
 * throughput-over-time plots. Window k covers [origin + k·w, origin + (k+1)·w).
 * Memory is two numbers per window up to the latest event (16 bytes per
 * window, at most twice that while the store has room to grow), whatever
 * the number of events; events may arrive in any order.
 */
export class WindowedCounter {
  private counts = new Float64Array(INITIAL_WINDOWS);
  private bytes = new Float64Array(INITIAL_WINDOWS);
  /** Windows up to and including the last one that received an event. */
  private used = 0;
  private totalCountSeen = 0;
  private totalBytesSeen = 0;
  /** Latest event time recorded, so rows(endPs) can refuse to cut an event off. */
  private latestPs = -Infinity;

  constructor(readonly windowPs: number, readonly originPs = 0) {
    if (!(Number.isSafeInteger(windowPs) && windowPs > 0)) {
      throw new RangeError(`window length must be a positive integer number of ps, got ${windowPs}`);
    }
    if (!(Number.isSafeInteger(originPs) && originPs >= 0)) {
      throw new RangeError(`window origin must be a non-negative integer number of ps, got ${originPs}`);
    }
  }

  get totalCount(): number {
    return this.totalCountSeen;
  }

  get totalBytes(): number {
    return this.totalBytesSeen;
  }

  /** Records `count` events carrying `bytes` bytes in all, at simulated time `timePs`. */
  add(timePs: number, bytes = 0, count = 1): this {
    if (!(timePs >= this.originPs && Number.isFinite(timePs))) {
      throw new RangeError(`event time ${timePs} ps is before the window origin ${this.originPs} ps or not finite`);
    }
    if (!(bytes >= 0 && Number.isFinite(bytes))) throw new RangeError(`bytes must be finite and >= 0, got ${bytes}`);
    if (!(Number.isSafeInteger(count) && count >= 0)) throw new RangeError(`count must be a non-negative integer, got ${count}`);
    const k = Math.floor((timePs - this.originPs) / this.windowPs);
    if (k >= this.counts.length) this.grow(k + 1);
    this.counts[k]! += count;
    this.bytes[k]! += bytes;
    if (k + 1 > this.used) this.used = k + 1;
    this.totalCountSeen += count;
    this.totalBytesSeen += bytes;
    if (timePs > this.latestPs) this.latestPs = timePs;
    return this;
  }

  /**
   * One row per window from the origin, empty windows included (an idle
   * gap is a fact a throughput plot must show).
   *
   * Without `endPs`: up to the last window with an event, all full width.
   * With `endPs` (typically the run's end time): windows cover exactly
   * [origin, endPs), the last one cut short at endPs and its rates computed
   * over its actual length, so a partial window does not look like a dip.
   * An event at or after `endPs` is an error rather than silently dropped.
   */
  rows(endPs?: number): WindowRow[] {
    let n = this.used;
    let lastEnd = this.originPs + n * this.windowPs;
    if (endPs !== undefined) {
      if (!(endPs >= this.originPs && endPs > this.latestPs && Number.isFinite(endPs))) {
        throw new RangeError(`rows(endPs = ${endPs} ps): must be >= the origin ${this.originPs} ps and after ` +
          `the latest recorded event (${this.latestPs} ps)`);
      }
      n = Math.ceil((endPs - this.originPs) / this.windowPs);
      lastEnd = endPs;
    }
    const rows: WindowRow[] = [];
    for (let k = 0; k < n; k++) {
      const start = this.originPs + k * this.windowPs;
      const end = Math.min(start + this.windowPs, lastEnd);
      const count = k < this.used ? this.counts[k]! : 0;
      const bytes = k < this.used ? this.bytes[k]! : 0;
      const durationPs = end - start;
      rows.push({
        start_ps: start,
        end_ps: end,
        count,
        bytes,
        rate_per_s: (count * PS_PER_S) / durationPs,
        gbps: (bytes * BITS_PER_BYTE * PS_PER_S) / durationPs / BITS_PER_GIGABIT,
      });
    }
    return rows;
  }

  private grow(minWindows: number): void {
    const size = Math.max(minWindows, 2 * this.counts.length);
    const counts = new Float64Array(size), bytes = new Float64Array(size);
    counts.set(this.counts);
    bytes.set(this.bytes);
    this.counts = counts;
    this.bytes = bytes;
  }
}

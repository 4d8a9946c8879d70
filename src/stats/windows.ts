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

/** Slots a CoarseningWindows keeps: between half and all of them hold the run, so a plot gets 256 to 512 points. */
const COARSENING_SLOTS = 512;
/** The first window width, ps: fine enough for a run of a few hundred nanoseconds. */
const INITIAL_COARSE_WIDTH_PS = 1000;

/**
 * An amount (bytes) that moves steadily over intervals of simulated time,
 * such as a TLP's payload over its time on the wire, totalled per window of
 * a width not known in advance: windows start at 1 ns and double (adjacent
 * pairs merged) whenever the run outgrows the slots, so memory is fixed and
 * the series always spans the run in a few hundred windows. Each interval's
 * amount is split across the windows it overlaps in proportion, which merging
 * keeps exact. Intervals that never overlap (one wire) therefore never put
 * more in a window than the wire's rate allows.
 */
export class CoarseningWindows {
  private readonly amounts = new Float64Array(COARSENING_SLOTS);
  private width = INITIAL_COARSE_WIDTH_PS;
  private latestPs = 0;

  /** Adds `amount` spread evenly over [startPs, endPs] (at endPs alone when they are equal). */
  addSpan(startPs: number, endPs: number, amount: number): void {
    if (endPs > this.latestPs) this.latestPs = endPs;
    while (endPs >= COARSENING_SLOTS * this.width) this.coarsen();
    const w = this.width;
    const first = Math.floor(startPs / w), last = Math.floor(endPs / w);
    if (first === last || endPs === startPs) {
      this.amounts[last]! += amount;
      return;
    }
    const perPs = amount / (endPs - startPs);
    for (let k = first; k <= last; k++) {
      const from = k === first ? startPs : k * w;
      const to = k === last ? endPs : (k + 1) * w;
      this.amounts[k]! += perPs * (to - from);
    }
  }

  /** [window start ps, amount per second] per window, from 0 up to `endPs` (the run's end; the last window cut there). */
  ratePerSecond(endPs: number): [number, number][] {
    const end = Math.max(endPs, this.latestPs);
    // The run may have gone on after the last amount (an idle direction): the windows must reach its end too.
    while (end > COARSENING_SLOTS * this.width) this.coarsen();
    const out: [number, number][] = [];
    for (let k = 0; k * this.width < end; k++) {
      const start = k * this.width, stop = Math.min(end, (k + 1) * this.width);
      out.push([start, (this.amounts[k]! * PS_PER_S) / (stop - start)]);
    }
    return out;
  }

  private coarsen(): void {
    const a = this.amounts, half = COARSENING_SLOTS / 2;
    for (let k = 0; k < half; k++) a[k] = a[2 * k]! + a[2 * k + 1]!;
    a.fill(0, half);
    this.width *= 2;
  }
}

/**
 * What a block has counted ahead of its time, kept so that its statistics
 * read at `now` leave it out: a link direction's TLPs started ahead (their
 * start after now), a DMA engine's writes released ahead (link.ts startAhead,
 * switch.ts startDated).
 *
 * One row of numbers per action, pushed in the order of the actions' times
 * (they never decrease): column 0 is the time, the others are what the block
 * sets, typically its cumulative counters as they stood just before the
 * action. Then the counters as of `now` are those of the oldest row after
 * now (everything counted since was counted ahead), and no row is ever
 * removed: the ring overwrites the oldest row, and doubles instead when that
 * row's time is still to come, so every row a later reading can need is kept.
 *
 * Hot path: a push is a few stores into a Float64Array. The TlpQueue this
 * replaces (an entry per TLP with its own figures, the TLP and its sender,
 * shifted off as each start passed) cost about a tenth of a write run
 * through a switch in the fabric bench.
 */
import { ringMask } from './tlp-queue.js';

export class AheadLog {
  /** Row r (counted from 0 over the log's life) is at (r & mask) × columns. */
  rows: Float64Array;
  private mask: number;
  /** Rows pushed in all. */
  private pushed = 0;

  constructor(readonly columns: number, capacity = 16) {
    this.mask = ringMask('AheadLog', columns, 1, capacity);
    this.rows = new Float64Array(capacity * columns);
  }

  /**
   * Adds a row for an action at `time` (no earlier than any row before it),
   * made at `now`; returns the offset of the row in `rows`, for the caller's
   * columns.
   */
  push(time: number, now: number): number {
    // Full: the row to be overwritten is the oldest kept; a reading at now or later still needs it if it is after now.
    if (this.pushed > this.mask && this.rows[(this.pushed & this.mask) * this.columns]! > now) this.grow();
    const at = (this.pushed & this.mask) * this.columns;
    this.rows[at] = time;
    this.pushed++;
    return at;
  }

  /** How many of the newest rows have a time after `now` (the rows a reading at `now` leaves out). */
  after(now: number): number {
    const kept = Math.min(this.pushed, this.mask + 1);
    let n = 0;
    while (n < kept && this.rows[this.newest(n)]! > now) n++;
    return n;
  }

  /**
   * Offset in `rows` of the oldest row after `now`, -1 if none: its columns
   * are the counters as they stood before everything counted ahead, what a
   * reading at `now` reports.
   */
  oldestAfter(now: number): number {
    const later = this.after(now);
    return later > 0 ? this.newest(later - 1) : -1;
  }

  /** Offset in `rows` of the k-th newest row (k = 0: the newest; k below the rows kept). */
  newest(k: number): number {
    return ((this.pushed - 1 - k) & this.mask) * this.columns;
  }

  private grow(): void {
    const cap = this.mask + 1, w = this.columns;
    const rows = new Float64Array(2 * cap * w);
    for (let r = this.pushed - cap; r < this.pushed; r++) {
      const from = (r & this.mask) * w, to = (r & (2 * cap - 1)) * w;
      rows.set(this.rows.subarray(from, from + w), to);
    }
    this.rows = rows;
    this.mask = 2 * cap - 1;
  }
}

/**
 * FIFO of TLPs on a growable ring buffer (power-of-two capacity), with per
 * entry the sender to release and a fixed number of numeric columns chosen at
 * construction (each model names its columns as consts). Parallel arrays: a
 * TLP column, a sender column and one Float64Array with `columns` numbers per
 * slot, so there is no object per entry and every queue has the same shape.
 *
 * The blocks use it for transmit and in-flight queues, and to carry TLPs
 * through fixed-delay stages: with equal delays (or any non-decreasing
 * sequence of due times) events fire in the order they were scheduled, so
 * the stage's event handler pops the head instead of carrying a per-event
 * object.
 */
import type { Tlp, TlpSender } from './fabric.js';

/**
 * The index mask of a ring of `capacity` rows of `columns` numbers (at least
 * `minColumns`), after checking both: the ring buffers here need a power of
 * two to wrap with a mask.
 */
export function ringMask(what: string, columns: number, minColumns: number, capacity: number): number {
  if (!Number.isInteger(columns) || columns < minColumns) throw new RangeError(`${what} columns must be an integer of at least ${minColumns}, got ${columns}`);
  if (!Number.isInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`${what} capacity must be a power of two, got ${capacity}`);
  }
  return capacity - 1;
}

export class TlpQueue {
  size = 0;
  /** Ring index of the oldest entry. */
  private first = 0;
  private mask: number;
  private tlps: (Tlp | undefined)[];
  private senders: (TlpSender | undefined)[];
  /** Slot i's column c is nums[i × columns + c]. */
  private nums: Float64Array;

  constructor(readonly columns: number, capacity = 16) {
    this.mask = ringMask('TlpQueue', columns, 0, capacity);
    this.tlps = new Array<Tlp | undefined>(capacity).fill(undefined);
    this.senders = new Array<TlpSender | undefined>(capacity).fill(undefined);
    this.nums = new Float64Array(capacity * columns);
  }

  /** Appends an entry; returns its slot, for set() (its columns hold stale values until set). */
  push(tlp: Tlp, sender: TlpSender): number {
    if (this.size > this.mask) this.grow();
    const i = (this.first + this.size) & this.mask;
    this.tlps[i] = tlp;
    this.senders[i] = sender;
    this.size++;
    return i;
  }

  /** Sets column `col` of the entry at `slot` (from push, valid until the next push or shift). */
  set(slot: number, col: number, v: number): void {
    this.nums[slot * this.columns + col] = v;
  }

  headTlp(): Tlp { return this.tlps[this.first]!; }
  headSender(): TlpSender { return this.senders[this.first]!; }
  /** Column `col` of the oldest entry (the queue must not be empty). */
  head(col: number): number { return this.nums[this.first * this.columns + col]!; }
  /** The k-th oldest entry's TLP, and its column `col` (0 <= k < size). */
  tlpAt(k: number): Tlp { return this.tlps[(this.first + k) & this.mask]!; }
  at(k: number, col: number): number { return this.nums[((this.first + k) & this.mask) * this.columns + col]!; }
  /**
   * How many of the newest entries have column `col` after `t`, counted from
   * the tail back (a column that rises with queue order, such as an arrival
   * time: the TLPs a link handed over ahead of their arrival, fabric.ts
   * EarlyReceiver).
   */
  newestAfter(col: number, t: number): number {
    let n = 0;
    while (n < this.size && this.at(this.size - 1 - n, col) > t) n++;
    return n;
  }
  /** Column `col` of the newest entry (the queue must not be empty). */
  tail(col: number): number { return this.nums[((this.first + this.size - 1) & this.mask) * this.columns + col]!; }

  shift(): void {
    this.tlps[this.first] = undefined;
    this.senders[this.first] = undefined;
    this.first = (this.first + 1) & this.mask;
    this.size--;
  }

  /** Drops the oldest entry and releases its TLP to its sender (the buffer it held is free: credits go back). */
  releaseHead(): void {
    const tlp = this.headTlp(), from = this.headSender();
    this.shift();
    from.release(tlp);
  }

  private grow(): void {
    const cap = this.mask + 1, next = 2 * cap, w = this.columns;
    const tlps = new Array<Tlp | undefined>(next).fill(undefined);
    const senders = new Array<TlpSender | undefined>(next).fill(undefined);
    const nums = new Float64Array(next * w);
    for (let k = 0; k < this.size; k++) {
      const i = (this.first + k) & this.mask;
      tlps[k] = this.tlps[i];
      senders[k] = this.senders[i];
      nums.set(this.nums.subarray(i * w, i * w + w), k * w);
    }
    this.tlps = tlps;
    this.senders = senders;
    this.nums = nums;
    this.first = 0;
    this.mask = next - 1;
  }
}

/**
 * FIFO of rows of numbers on a growable ring buffer: a TlpQueue's columns
 * without the TLP and sender columns, for a log that needs only figures of
 * its TLPs (a switch's dated starts: switch.ts startDated). Storing no
 * object per entry keeps the GC's write barrier out of the hot path.
 */
export class RowQueue {
  size = 0;
  /** Ring index of the oldest row. */
  private first = 0;
  private mask: number;
  /** Row i's column c is nums[i × columns + c]. */
  private nums: Float64Array;

  constructor(readonly columns: number, capacity = 16) {
    this.mask = ringMask('RowQueue', columns, 1, capacity);
    this.nums = new Float64Array(capacity * columns);
  }

  /** Appends a row; returns its slot, for set() (its columns hold stale values until set). */
  push(): number {
    if (this.size > this.mask) this.grow();
    const i = (this.first + this.size) & this.mask;
    this.size++;
    return i;
  }

  set(slot: number, col: number, v: number): void {
    this.nums[slot * this.columns + col] = v;
  }

  /** Column `col` of the oldest row (the queue must not be empty), and of the k-th oldest. */
  head(col: number): number { return this.nums[this.first * this.columns + col]!; }
  at(k: number, col: number): number { return this.nums[((this.first + k) & this.mask) * this.columns + col]!; }

  shift(): void {
    this.first = (this.first + 1) & this.mask;
    this.size--;
  }

  private grow(): void {
    const w = this.columns, nums = new Float64Array(2 * (this.mask + 1) * w);
    for (let k = 0; k < this.size; k++) {
      const i = (this.first + k) & this.mask;
      nums.set(this.nums.subarray(i * w, i * w + w), k * w);
    }
    this.nums = nums;
    this.first = 0;
    this.mask = 2 * this.mask + 1;
  }
}

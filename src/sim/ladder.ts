/**
 * A one-rung ladder: the far-future events of a large queue, kept by time in
 * buckets so that the heap (event-queue.ts) holds only the nearest bucket's.
 *
 * Why: a heap of 10^5 events (PHOLD P=100) is eight or nine 4-ary levels
 * spread over megabytes, and every push and pop walks them with cache misses.
 * Filing a far event is an O(1) append to its bucket's list, and the heap
 * sorts one bucket at a time, a few dozen events that stay in L1. (Tang,
 * Goh and Thng, "Ladder queue: an O(1) priority queue structure for
 * large-scale discrete event simulation", ACM TOMACS 15(3), 2005; here with
 * one rung and the heap as the bottom.) PHOLD bench, N=1000, P=100:
 * 5.48 -> 7.19 M ev/s (median of 7 runs interleaved with the heap alone,
 * other node processes stopped). At P=1 (10^3 events) the ladder is off: a
 * branch per push and pop, unmeasurable (0.689 vs 0.690 s of CPU, median of 9).
 *
 * The rung: `nb` buckets of equal width from `start`; an event at time t
 * has index i(t) = floor((t - start) * inv). Index <= `cur` (the bucket last
 * handed to the heap) goes to the heap; a later index below nb to its
 * bucket; nb and past to `top`, an unsorted list from which the next rung is
 * built when this one is used up. i(t) is monotone in t (IEEE subtraction
 * and multiplication by a positive number round monotonically), so every
 * event in the heap is at or before every event in a bucket, and those at
 * or before the events in later buckets and top; equal times always share a
 * place. The heap therefore only ever needs to order its own events by
 * `before` (order.ts), and the width, which only decides how well events are
 * spread, can never change the order.
 *
 * Times are finite (the kernel's are at most MAX_TIME).
 *
 * Events are the queue's slots (event-queue.ts): a bucket is a linked list
 * through `next`, with each event's time in `time`, both indexed by slot.
 */
export class Ladder {
  /** Per slot: the event's time while it is in the ladder. */
  time: Float64Array;
  /** Per slot: the next slot in the same list (bucket or top), -1 at the end. */
  next: Int32Array;
  /** Per bucket: its first slot, -1 if empty. */
  private readonly head: Int32Array;
  private start = 0;
  private inv = 0;
  private nb = 0;
  /** The bucket last drained into the heap; events with index <= cur belong to the heap. */
  private cur = -1;
  /** cur + 1. */
  private limit = 0;
  /** Events in the ladder (buckets and top). */
  size = 0;
  /** Events in the rung's buckets. */
  private rungCount = 0;
  private topHead = -1;
  private topCount = 0;
  private topMin = Infinity;
  private topMax = -Infinity;

  constructor(capacity: number, readonly maxBuckets: number) {
    this.time = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.head = new Int32Array(maxBuckets).fill(-1);
  }


  /** Room for slots 0..c-1 (slots only grow). */
  growTo(c: number): void {
    const time = new Float64Array(c);
    time.set(this.time);
    this.time = time;
    const next = new Int32Array(c);
    next.set(this.next);
    this.next = next;
  }

  /** Whether an event at time t belongs in the heap: at or before the bucket last drained (index < cur + 1). */
  admits(t: number): boolean {
    return (t - this.start) * this.inv < this.limit;
  }

  /** Files slot k, at time t, which the heap does not admit. */
  add(t: number, k: number): void {
    this.time[k] = t;
    const i = Math.floor((t - this.start) * this.inv);
    if (i < this.nb) {
      this.next[k] = this.head[i]!;
      this.head[i] = k;
      this.rungCount++;
      this.size++;
    } else this.addTop(t, k);
  }

  /** Files slot k at time t in top, whatever its time (how a queue hands over its events when it turns to the ladder). */
  addTop(t: number, k: number): void {
    this.time[k] = t;
    this.next[k] = this.topHead;
    this.topHead = k;
    this.topCount++;
    this.size++;
    if (t < this.topMin) this.topMin = t;
    if (t > this.topMax) this.topMax = t;
  }

  /**
   * Moves the earliest non-empty bucket's events into times[0..) and
   * slots[0..), in no particular order, and returns how many; from then on
   * the heap admits that bucket's times. When the rung is used up a new one
   * is built from top first. Only called with size > 0.
   */
  drainInto(times: Float64Array, slots: Int32Array): number {
    if (this.rungCount === 0) this.rebuild();
    const head = this.head;
    let i = this.cur + 1;
    while (head[i] === -1) i++;
    this.cur = i;
    this.limit = i + 1;
    let m = 0;
    for (let k = head[i]!; k !== -1; k = this.next[k]!) {
      times[m] = this.time[k]!; slots[m] = k; m++;
    }
    head[i] = -1;
    this.rungCount -= m;
    this.size -= m;
    return m;
  }

  /**
   * Moves every event out, in no particular order, into times[0..) and
   * slots[0..), returns how many, and leaves the ladder empty (how the queue
   * turns back into a heap alone).
   */
  drainAll(times: Float64Array, slots: Int32Array): number {
    let m = 0;
    for (let i = this.cur + 1; i < this.nb; i++) {
      for (let k = this.head[i]!; k !== -1; k = this.next[k]!) { times[m] = this.time[k]!; slots[m] = k; m++; }
      this.head[i] = -1;
    }
    for (let k = this.topHead; k !== -1; k = this.next[k]!) { times[m] = this.time[k]!; slots[m] = k; m++; }
    this.rungCount = 0;
    this.size = 0;
    this.clearTop();
    // No rung until the next drainInto builds one: with inv and limit 0 nothing is admitted, with nb 0
    // everything added goes to top (start and cur are set again by the rebuild).
    this.nb = 0; this.limit = 0; this.inv = 0;
    return m;
  }

  /**
   * A new rung over top's events: as many buckets as events (a power of two,
   * at most maxBuckets), spanning top's earliest to latest time, so a bucket
   * holds about one event when built and the events scheduled into it later.
   */
  private rebuild(): void {
    let nb = 1;
    while (nb < this.topCount && 2 * nb <= this.maxBuckets) nb *= 2;
    const span = this.topMax - this.topMin;
    this.start = this.topMin;
    // Just under nb / span, so the latest event falls in the last bucket, not in top again;
    // all at one time (span 0): one bucket, and inv 0 maps every time to it.
    this.inv = span > 0 ? (nb - 0.5) / span : 0;
    this.nb = nb;
    this.cur = -1; // the caller, drainInto, sets limit
    let k = this.topHead;
    this.size -= this.topCount;
    this.clearTop();
    while (k !== -1) {
      const after = this.next[k]!;
      this.add(this.time[k]!, k);
      k = after;
    }
  }

  private clearTop(): void {
    this.topHead = -1;
    this.topCount = 0;
    this.topMin = Infinity;
    this.topMax = -Infinity;
  }
}

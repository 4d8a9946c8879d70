import { Ladder } from './ladder.js';
import { before } from './order.js';

/** A scheduled action: `fn(target, arg)`. Plain callbacks keep the hot path free of allocation. */
export type Handler<T = any> = (target: T, arg: number) => void;

/**
 * A 4-ary min-heap of events ordered by `before` (order.ts) on (time, sequence).
 *
 * The layout and the tricks, and why. Figures are PHOLD events/s (N=1000,
 * best of 5 or more, on the 2-core EPYC dev VM, whose timings vary by
 * ±10%): "hold" is the queue alone fed precomputed delays, "bench" is
 * test/bench/phold.ts. P=1 keeps the heap in L1; P=100 holds 10^5 events.
 *
 * - Two typed-array columns, `time` (f64) and `slot` (i32). An event's
 *   payload (sequence number, argument, handler, target) sits in a slot that
 *   never moves, recycled through a free list, so sifting moves 12 bytes per
 *   level and no pointers (no GC write barriers), and nothing is allocated
 *   per event once the columns have grown.
 * - The sequence number lives with the payload, not in the heap. `before`
 *   reduces to comparing times unless the times are equal, so the heap reads
 *   a sequence number only on a tie, which is rare. (As a third column moved
 *   with the other two: hold P=1 14.2 -> 13.4, P=100 6.9 -> 6.2 M/s.)
 * - Four children per node: half the levels of a binary heap, and the four
 *   children's times are 32 contiguous bytes, about one cache line per level.
 *   (8 children measured slower: P=1 hold 16.2 -> 13.1 M/s.)
 * - The earliest of four children is picked without branching on the times
 *   (earliestOfFour); sift loops compare times only and contain no calls, and
 *   any tie that decides the order leaves them for an exact path that
 *   compares full keys with `before`. Sorting by (time, sequence) is
 *   therefore exact, and the common path is as short as it can be.
 * - pop() leaves a hole at the root, which the next push fills (see pop).
 * - Entries at and past `n` hold +Infinity, so the children of the last
 *   parent need no bounds checks (an Infinity is never the earliest); the
 *   cell at `n` also stages the time of an event being pushed (stageTime).
 *
 * Measured together against the binary three-column heap this replaces
 * (bench, same session): P=1 5.8 -> 10.5 M/s, P=100 3.2 -> 5.2 M/s.
 *
 * Past `heapLimit` events (4096) the far-future ones go to a ladder
 * (ladder.ts), which hands the heap one bucket of the nearest times at a
 * time; when no more than half that many are left the heap takes them all
 * back. Up to the limit the queue is the heap alone.
 *
 * `pop()` does not return an object: it leaves the popped event in the
 * `out*` fields, which the caller reads at once.
 */
export class EventQueue {
  private time: Float64Array;
  private slot: Int32Array;
  private n = 0;
  /** Set by pop(): slot 0 of the heap still holds the popped event (see pop). */
  private rootIsHole = false;

  /** Per slot k: num[2k] = sequence number, num[2k+1] = argument (one cache line for both). */
  private num: Float64Array;
  /** Per slot k: obj[2k] = handler, obj[2k+1] = target. */
  private obj: unknown[];
  private free: Int32Array;
  private nFree: number;
  /** Events past the heap's bucket, when `laddered`. */
  private readonly ladder: Ladder;
  private laddered = false;
  private readonly heapLimit: number;

  // NaN: nothing popped yet (the fields are read only after a pop).
  outTime = NaN;
  outSeq = NaN;
  outArg = NaN;
  outFn: Handler = noop;
  outTarget: unknown = undefined;

  /**
   * `heapLimit`: events the heap holds alone before the ladder takes the far
   * ones; `maxBuckets`: the most buckets a rung has. Both decide speed only
   * (tests set them small to reach the ladder with few events).
   */
  constructor(initialCapacity = 1024, { heapLimit = HEAP_LIMIT, maxBuckets = MAX_BUCKETS } = {}) {
    this.time = new Float64Array(PAD).fill(Infinity);
    this.slot = new Int32Array(PAD);
    this.num = new Float64Array();
    this.obj = [];
    this.free = new Int32Array();
    this.nFree = 0;
    this.heapLimit = heapLimit;
    this.ladder = new Ladder(0, maxBuckets);
    this.growTo(Math.max(4, initialCapacity | 0));
  }

  /** Events in the queue (the popped event in the root's hole not counted). */
  get size(): number {
    return (this.rootIsHole ? this.n - 1 : this.n) + this.ladder.size;
  }

  /** Time of the earliest event; only meaningful when size > 0. */
  peekTime(): number {
    if (this.rootIsHole) this.removeRoot();
    if (this.n === 0 && this.ladder.size > 0) this.refill();
    return this.time[0]!;
  }

  /** Adds an event at time t with sequence number s. */
  push(t: number, s: number, fn: Handler, target: unknown, arg: number): void {
    this.stageTime(t);
    this.pushStaged(s, fn, target, arg);
  }

  /**
   * The first half of push: puts the next event's time in the cell past the
   * last event, where pushStaged takes it from. Only this half handles the
   * time, a double, and it is below V8's "small function" size (27 bytes of
   * bytecode), so it is inlined into every caller whatever the caller's
   * inlining budget. A double passed to a call that is not inlined is boxed
   * on the heap: one allocation per event (PHOLD: ~1.3 per event once times
   * pass 2^31 ps, when Simulation.schedule called push).
   */
  stageTime(t: number): void {
    this.time[this.n] = t;
  }

  /** The second half of push (see stageTime). */
  pushStaged(s: number, fn: Handler, target: unknown, arg: number): void {
    if (this.rootIsHole && !(this.laddered && !this.ladder.admits(this.time[this.n]!))) {
      // Most handlers schedule an event: it fills the hole that pop() left at the root, in the popped event's
      // slot. (Walking the hole to a leaf first and sifting the event up from there, as removeRoot does,
      // measured slower: P=1 10.9 -> 10.2 M/s.)
      this.rootIsHole = false;
      const time = this.time, n = this.n, k = this.slot[0]!;
      this.num[2 * k] = s; this.num[2 * k + 1] = arg;
      this.obj[2 * k] = fn; this.obj[2 * k + 1] = target;
      time[0] = time[n]!; time[n] = Infinity;
      this.siftDown(0);
      return;
    }
    if (this.nFree === 0) this.grow();
    const k = this.free[--this.nFree]!;
    this.num[2 * k] = s; this.num[2 * k + 1] = arg;
    this.obj[2 * k] = fn; this.obj[2 * k + 1] = target;
    const time = this.time, n = this.n;
    if (this.laddered && !this.ladder.admits(time[n]!)) {
      this.ladder.add(time[n]!, k);
      time[n] = Infinity;
    } else {
      this.slot[n] = k;
      this.n = n + 1;
      this.siftUp(n);
      if (n >= this.heapLimit && !this.laddered) this.toLadder();
    }
  }

  /** The heap has grown past its limit: every event goes to the ladder, which hands back the nearest at the next pop. */
  private toLadder(): void {
    const time = this.time, slot = this.slot;
    for (let i = 0; i < this.n; i++) {
      this.ladder.addTop(time[i]!, slot[i]!);
      time[i] = Infinity;
    }
    this.n = 0;
    this.laddered = true;
  }

  /**
   * The heap is empty and the ladder is not: the heap takes the ladder's
   * nearest bucket, or everything once the ladder holds no more than half
   * the heap's limit (the queue is then a heap alone again). The events
   * arrive unordered; a bottom-up heap construction orders them.
   */
  private refill(): void {
    let m: number;
    if (this.ladder.size * 2 <= this.heapLimit) {
      m = this.ladder.drainAll(this.time, this.slot);
      this.laddered = false;
    } else m = this.ladder.drainInto(this.time, this.slot);
    this.n = m;
    for (let i = (m - 2) >> 2; i >= 0; i--) this.siftDown(i);
  }

  /**
   * Removes the earliest event into the out* fields. Caller ensures size > 0.
   *
   * The root is not removed at once but left as a hole, the event still in
   * its slot: most handlers schedule an event, and that push then fills the
   * hole, in the same slot, with one sift-down instead of a removal plus an
   * insertion. Any other operation first completes the removal (removeRoot),
   * which frees the slot. Hold: P=1 13.5 -> 15.6 M/s, P=100 6.2 -> 6.8 M/s;
   * bench P=1 8.1 -> 8.7 M/s. (Reusing the slot rather than freeing it here
   * and taking it back from the free list in the push: P=1 +3%, 10.46 ->
   * 10.82 and 7.89 -> 8.17 M ev/s, medians of 8 and 10 runs alternating with
   * the previous kernel in one process.)
   */
  pop(): void {
    if (this.rootIsHole) this.removeRoot();
    if (this.n === 0) this.refill();
    const num = this.num, obj = this.obj;
    const k = this.slot[0]!;
    this.outTime = this.time[0]!;
    this.outSeq = num[2 * k]!; this.outArg = num[2 * k + 1]!;
    this.outFn = obj[2 * k] as Handler; this.outTarget = obj[2 * k + 1];
    this.rootIsHole = true;
  }

  /**
   * Puts back the event pop() just removed, as it was (same time, sequence
   * number and place): the run loop pops before it looks at the time, so a
   * run that stops at `until` returns the first event past it to the queue.
   * Only valid straight after pop().
   */
  unpop(): void {
    this.rootIsHole = false;
  }

  /**
   * Completes a deferred removal: the popped event's slot is freed (its target
   * released for the collector), the hole walks to a leaf along the earliest
   * child, then the last event sifts up into it.
   */
  private removeRoot(): void {
    this.rootIsHole = false;
    const time = this.time, slot = this.slot;
    const k = slot[0]!;
    this.obj[2 * k + 1] = undefined;
    this.free[this.nFree++] = k;
    const last = --this.n;
    const lt = time[last]!, lk = slot[last]!;
    time[last] = Infinity;
    if (last === 0) return;
    let i = 0;
    for (let c = 1; c < last; c = (4 * i + 1) | 0) {
      const m = earliestOfFour(time, c);
      if (m < 0) { i = this.holeToLeafByKey(i, last); break; }
      time[i] = time[m]!; slot[i] = slot[m]!;
      i = m;
    }
    time[i] = lt; slot[i] = lk;
    this.siftUp(i);
  }

  /**
   * Moves the event at i down past every child that is earlier.
   *
   * This and the other sift loops compare times only and contain no calls;
   * any tie that decides the order leaves the loop for an exact path that
   * compares full keys with `before`. A call inside the loop, even on a
   * branch never taken, makes V8 reload the arrays' bounds on every
   * iteration and box the time it passes (bench P=1 9.8 -> 10.3 M/s when
   * the tie calls moved out of the loops).
   */
  private siftDown(i: number): void {
    const time = this.time, slot = this.slot, n = this.n;
    const t = time[i]!, k = slot[i]!;
    for (let c = (4 * i + 1) | 0; c < n; c = (4 * i + 1) | 0) {
      const m = earliestOfFour(time, c);
      const tm = m < 0 ? t : time[m]!;
      if (t < tm) break;
      if (t === tm) { time[i] = t; slot[i] = k; this.siftDownByKey(i); return; }
      time[i] = tm; slot[i] = slot[m]!;
      i = m;
    }
    time[i] = t; slot[i] = k;
  }

  /** Moves the event at i up past every parent that is later. */
  private siftUp(i: number): void {
    const time = this.time, slot = this.slot;
    const t = time[i]!, k = slot[i]!;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = time[p]!;
      if (t > pt) break;
      if (t === pt) { time[i] = t; slot[i] = k; this.siftUpByKey(i); return; }
      time[i] = pt; slot[i] = slot[p]!;
      i = p;
    }
    time[i] = t; slot[i] = k;
  }

  // The exact paths, taken on equal times: every comparison is `before` on (time, sequence).

  private keyBefore(a: number, b: number): boolean {
    const time = this.time, slot = this.slot, num = this.num;
    return before(time[a]!, num[2 * slot[a]!]!, time[b]!, num[2 * slot[b]!]!);
  }

  private earliestChildByKey(c: number): number {
    let m = c;
    for (let j = c + 1; j < c + 4; j++) if (this.keyBefore(j, m)) m = j;
    return m;
  }

  private swap(a: number, b: number): void {
    const time = this.time, slot = this.slot;
    const t = time[a]!, k = slot[a]!;
    time[a] = time[b]!; slot[a] = slot[b]!;
    time[b] = t; slot[b] = k;
  }

  private holeToLeafByKey(i: number, last: number): number {
    for (let c = 4 * i + 1; c < last; c = 4 * i + 1) {
      const m = this.earliestChildByKey(c);
      this.time[i] = this.time[m]!; this.slot[i] = this.slot[m]!;
      i = m;
    }
    return i;
  }

  private siftDownByKey(i: number): void {
    for (let c = 4 * i + 1; c < this.n; c = 4 * i + 1) {
      const m = this.earliestChildByKey(c);
      if (!this.keyBefore(m, i)) return;
      this.swap(i, m);
      i = m;
    }
  }

  private siftUpByKey(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 2;
      if (!this.keyBefore(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private grow(): void {
    this.growTo(2 * this.free.length);
  }

  /** Room for `c` events, the new slots all free; called only when no slot is free (the constructor, grow). */
  private growTo(c: number): void {
    const old = this.free.length;
    const time = new Float64Array(c + PAD).fill(Infinity);
    time.set(this.time); // with the staged time of the event being added (see stageTime)
    this.time = time;
    const slot = new Int32Array(c + PAD);
    slot.set(this.slot.subarray(0, this.n));
    this.slot = slot;
    const num = new Float64Array(2 * c);
    num.set(this.num);
    this.num = num;
    for (let k = old; k < c; k++) this.obj.push(noop, undefined);
    this.ladder.growTo(c);
    this.free = new Int32Array(c);
    for (let i = c - 1; i >= old; i--) this.free[this.nFree++] = i;
  }
}

/**
 * Events the heap holds alone (a 4-ary heap of 4096 is six levels, 48 KB of
 * columns: L1 and L2). Lower costs the small queues: at 256, PHOLD P=1
 * (10^3 events) went through the ladder, 11.03 -> 10.05 M ev/s.
 */
const HEAP_LIMIT = 4096;
/** The most buckets of a rung (256 KB of list heads). */
const MAX_BUCKETS = 65_536;

/** Cells past the capacity: the staging cell (stageTime) and the children a last parent may read past `n`. */
const PAD = 4;

/**
 * The earliest of the four children at c..c+3 when their times decide it,
 * else -1 (a tie at the earliest time: the caller takes the exact path).
 * The earlier of each pair, then of the two winners, computed as 0/1
 * arithmetic: a branch here is a coin flip the CPU mispredicts half the
 * time (hold P=1: 9.3 -> 14.2 M/s, branchy vs branch-free). With distinct
 * times this is exactly `before`, which looks at sequence numbers only on
 * equal times.
 */
function earliestOfFour(time: Float64Array, c: number): number {
  const t0 = time[c]!, t1 = time[(c + 1) | 0]!, t2 = time[(c + 2) | 0]!, t3 = time[(c + 3) | 0]!;
  const x = (c + +(t1 < t0)) | 0, y = (c + 2 + +(t3 < t2)) | 0;
  const tx = time[x]!, ty = time[y]!;
  const m = (x + ((y - x) & -+(ty < tx))) | 0;
  if ((t0 === t1 || t2 === t3 || tx === ty) && tiesEarliest(t0, t1, t2, t3, time[m]!)) return -1;
  return m;
}

/**
 * Whether two of four times equal the earliest, tm: only then does the
 * order between them need their sequence numbers. A tie between later
 * times does not (above all the +Infinity cells past the last event, which
 * a parent with fewer than four children always has: in a heap of a few
 * events, as a ladder's bucket makes it, that was most sifts).
 */
function tiesEarliest(t0: number, t1: number, t2: number, t3: number, tm: number): boolean {
  return +(t0 === tm) + +(t1 === tm) + +(t2 === tm) + +(t3 === tm) > 1;
}

function noop(): void {}

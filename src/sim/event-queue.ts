import { before } from './order.js';

/** A scheduled action: `fn(target, arg)`. Plain callbacks keep the hot path free of allocation. */
export type Handler<T = any> = (target: T, arg: number) => void;

/**
 * A binary min-heap of events ordered by `before` on (time, sequence).
 *
 * The heap itself is three typed-array columns (time, sequence, slot); an
 * event's payload (handler, target, argument) sits in a slot that never
 * moves, recycled through a free list. Sifting therefore moves only numbers,
 * with no pointer stores (and no GC write barriers), and nothing is allocated
 * per event once the columns have grown. (A 4-ary heap measured no faster
 * here once deletion is bottom-up.)
 *
 * `pop()` does not return an object: it leaves the popped event in the
 * `out*` fields, which the caller reads at once.
 */
export class EventQueue {
  private time: Float64Array;
  private seq: Float64Array;
  private slot: Int32Array;
  private n = 0;

  private fn: Handler[];
  private target: unknown[];
  private arg: Float64Array;
  private free: Int32Array;
  private nFree: number;

  outTime = 0;
  outSeq = 0;
  outArg = 0;
  outFn: Handler = noop;
  outTarget: unknown = undefined;

  constructor(initialCapacity = 1024) {
    const c = Math.max(4, initialCapacity | 0);
    this.time = new Float64Array(c);
    this.seq = new Float64Array(c);
    this.slot = new Int32Array(c);
    this.fn = new Array<Handler>(c).fill(noop);
    this.target = new Array<unknown>(c).fill(undefined);
    this.arg = new Float64Array(c);
    this.free = new Int32Array(c);
    for (let i = 0; i < c; i++) this.free[i] = c - 1 - i;
    this.nFree = c;
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event; only meaningful when size > 0. */
  peekTime(): number {
    return this.time[0]!;
  }

  push(t: number, s: number, fn: Handler, target: unknown, arg: number): void {
    if (this.nFree === 0) this.grow();
    const k = this.free[--this.nFree]!;
    this.fn[k] = fn; this.target[k] = target; this.arg[k] = arg;
    this.siftUp(this.n++, t, s, k);
  }

  /** Removes the earliest event into the out* fields. Caller ensures size > 0. */
  pop(): void {
    const time = this.time, seq = this.seq, slot = this.slot;
    const k = slot[0]!;
    this.outTime = time[0]!; this.outSeq = seq[0]!;
    this.outFn = this.fn[k]!; this.outTarget = this.target[k]; this.outArg = this.arg[k]!;
    this.target[k] = undefined; // release the reference for the collector
    this.free[this.nFree++] = k;
    const last = --this.n;
    if (last === 0) return;
    // Bottom-up deletion (Wegener): walk the hole from the root to a leaf along
    // the earlier child (one comparison per level), then sift the last row up
    // from there. The last row nearly always belongs near the bottom, so this
    // does about half the comparisons of a classic sift-down.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && before(time[c + 1]!, seq[c + 1]!, time[c]!, seq[c]!)) c++;
      time[i] = time[c]!; seq[i] = seq[c]!; slot[i] = slot[c]!;
      i = c;
    }
    this.siftUp(i, time[last]!, seq[last]!, slot[last]!);
  }

  /** Places (t, s, k) at hole i or above it, moving later parents down. */
  private siftUp(i: number, t: number, s: number, k: number): void {
    const time = this.time, seq = this.seq, slot = this.slot;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = time[p]!;
      if (!before(t, s, pt, seq[p]!)) break;
      time[i] = pt; seq[i] = seq[p]!; slot[i] = slot[p]!;
      i = p;
    }
    time[i] = t; seq[i] = s; slot[i] = k;
  }

  private grow(): void {
    const old = this.time.length, c = old * 2;
    const f64 = (a: Float64Array) => { const b = new Float64Array(c); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(c); b.set(a); return b; };
    this.time = f64(this.time); this.seq = f64(this.seq); this.slot = i32(this.slot);
    this.arg = f64(this.arg); this.free = i32(this.free);
    for (let i = old; i < c; i++) { this.fn.push(noop); this.target.push(undefined); }
    for (let i = c - 1; i >= old; i--) this.free[this.nFree++] = i;
  }
}

function noop(): void {}

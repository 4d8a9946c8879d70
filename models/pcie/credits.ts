/**
 * Flow-control credits as a link transmitter keeps them (PCIe Base Spec
 * §2.6.1): what the receiver at the far end advertised, what is left, and the
 * credits the receiver has freed that are still on their way back.
 *
 * Six pools: Posted, Non-Posted and Completion, each with header credits (one
 * per TLP) and data credits (16 bytes of payload each, fabric.ts
 * DATA_CREDIT_BYTES). A pool may be infinite, as the spec allows (an InitFC
 * value of 0; endpoints must advertise infinite completion credits).
 *
 * Freed credits come back after a fixed delay (the UpdateFC latency, chosen by
 * the link), so returns are kept in arrival order in a delay line and applied
 * lazily: the transmitter calls `settle(now)` before it looks at the pools, and
 * needs an event only when it is actually blocked (`nextReturnAt`). A
 * saturated link with enough credits therefore costs no event per return.
 *
 * Model bugs throw: credits never go negative, a pool never holds more than
 * was advertised, and no TLP is released twice.
 */
import { type CreditClass } from './fabric.js';
import type { TlpType } from './tlp.js';

/** Indices of the three credit classes, used to address the pools. */
export const CLASS_P = 0;
export const CLASS_NP = 1;
export const CLASS_CPL = 2;
export const CREDIT_CLASS_COUNT = 3;
export const CREDIT_CLASSES: readonly CreditClass[] = ['P', 'NP', 'Cpl'];

/** creditClass (fabric.ts) as an index into the pools. */
export function creditClassIndex(type: TlpType): number {
  switch (type) {
    case 'MWr': case 'Msg': case 'MsgD': return CLASS_P;
    case 'MRd': return CLASS_NP;
    case 'Cpl': case 'CplD': return CLASS_CPL;
  }
}

/** A count of credits, or 'infinite' (never runs out, never needs returning). */
export type CreditCount = number | 'infinite';

export interface CreditPool {
  readonly header: CreditCount;
  readonly data: CreditCount;
}

/** What a receiver advertises for one direction of a link. */
export type CreditAdvertisement = Readonly<Record<CreditClass, CreditPool>>;

/**
 * The most credits a receiver may have outstanding without Scaled Flow
 * Control: 127 header and 2047 data credits per pool (§2.6.1.2: "must never
 * cumulatively issue more than 2047 outstanding unused credits ... for data
 * payload or 127 for header").
 */
export const MAX_UNSCALED_HEADER_CREDITS = 127;
export const MAX_UNSCALED_DATA_CREDITS = 2047;

/**
 * Default advertisement when a link end does not say: the unscaled maximum in
 * every pool. Not a claim about any device (real receivers often advertise
 * less; presets override it): it keeps flow control out of the way unless the
 * credit round trip is long (at Gen5 x16, 2047 × 16 bytes cover about 500 ns).
 */
export const DEFAULT_CREDITS: CreditAdvertisement = Object.freeze({
  P: { header: MAX_UNSCALED_HEADER_CREDITS, data: MAX_UNSCALED_DATA_CREDITS },
  NP: { header: MAX_UNSCALED_HEADER_CREDITS, data: MAX_UNSCALED_DATA_CREDITS },
  Cpl: { header: MAX_UNSCALED_HEADER_CREDITS, data: MAX_UNSCALED_DATA_CREDITS },
});

/** Every pool infinite: a receiver that never pushes back. */
export const INFINITE_CREDITS: CreditAdvertisement = Object.freeze({
  P: { header: 'infinite', data: 'infinite' },
  NP: { header: 'infinite', data: 'infinite' },
  Cpl: { header: 'infinite', data: 'infinite' },
});

function toCount(c: CreditCount, what: string): number {
  if (c === 'infinite') return Infinity;
  if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`${what} must be a non-negative integer or 'infinite', got ${String(c)}`);
  return c;
}

export class FlowControlCredits {
  /** Advertised header and data credits per class [P, NP, Cpl]; Infinity for infinite. */
  private readonly advertisedHeaders = new Float64Array(CREDIT_CLASS_COUNT);
  private readonly advertisedData = new Float64Array(CREDIT_CLASS_COUNT);
  private readonly availableHeaders = new Float64Array(CREDIT_CLASS_COUNT);
  private readonly availableData = new Float64Array(CREDIT_CLASS_COUNT);
  /** TLPs per class that took credits and have not been released yet (sent, in flight or in the receiver's buffer). */
  private readonly held = new Float64Array(CREDIT_CLASS_COUNT);
  /** Per class: 1 if no release returns anything (infinite header and data credits), so free() keeps no return; one with no data needs infinite headers only (free()). */
  private readonly returnsNothing = new Uint8Array(CREDIT_CLASS_COUNT);
  /** Per class: the most data credits a TLP may need and still be sendable, -1 if none is (no header credit advertised). */
  private readonly sendableData = new Float64Array(CREDIT_CLASS_COUNT);

  // Delay line of freed credits on their way back, in return-time order
  // (a fixed delay keeps them ordered). Ring buffer, power-of-two capacity.
  private retAt = new Float64Array(FIRST_RETURN_SLOTS);
  private retClass = new Uint8Array(FIRST_RETURN_SLOTS);
  private retHdr = new Float64Array(FIRST_RETURN_SLOTS);
  private retData = new Float64Array(FIRST_RETURN_SLOTS);
  private retHead = 0;
  private retSize = 0;

  constructor(advertisement: CreditAdvertisement, readonly returnDelayPs: number) {
    if (!Number.isSafeInteger(returnDelayPs) || returnDelayPs < 0) {
      throw new RangeError(`credit return delay must be a non-negative integer number of ps, got ${returnDelayPs}`);
    }
    for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) {
      const name = CREDIT_CLASSES[cls];
      const pool = advertisement[name as CreditClass];
      if (pool === undefined) throw new RangeError(`credit advertisement has no ${name} pool`);
      this.advertisedHeaders[cls] = this.availableHeaders[cls] = toCount(pool.header, `${name} header credits`);
      this.advertisedData[cls] = this.availableData[cls] = toCount(pool.data, `${name} data credits`);
      this.sendableData[cls] = this.advertisedHeaders[cls] < 1 ? -1 : this.advertisedData[cls];
      this.returnsNothing[cls] = this.advertisedHeaders[cls] === Infinity && this.advertisedData[cls] === Infinity ? 1 : 0;
    }
  }

  /**
   * Throws if a TLP needing `data` data credits of class `cls` could never be
   * sent: the pool is smaller than the TLP, a receiver configuration the spec
   * forbids (§2.6.1: at least one header and Max_Payload_Size / 16 data
   * credits must be advertised), which would otherwise hang the link.
   */
  assertSendable(cls: number, data: number): void {
    if (!(data <= this.sendableData[cls]!)) {
      throw new RangeError(`the receiver advertises ${this.advertisedHeaders[cls]} header and ${this.advertisedData[cls]} data ` +
        `${CREDIT_CLASSES[cls]} credits, but a TLP needs 1 and ${data}: it could never be sent (PCIe Base Spec §2.6.1 minimum advertisements)`);
    }
  }

  /** True if one header and `data` data credits of class `cls` are available now. */
  fits(cls: number, data: number): boolean {
    return this.availableHeaders[cls] >= 1 && this.availableData[cls] >= data;
  }

  /** The transmitter sends a TLP: take its credits. */
  take(cls: number, data: number): void {
    const h = (this.availableHeaders[cls] -= 1);
    const d = (this.availableData[cls] -= data);
    if (h < 0 || d < 0) throw new Error(`model bug: ${CREDIT_CLASSES[cls]} credits went negative (header ${h}, data ${d})`);
    this.held[cls]++;
  }

  /**
   * The receiver frees a TLP's buffer at `now` (the present, or a later time
   * it already knows: link.ts releaseAt): its credits are usable again at
   * now + returnDelayPs. Returns are kept in time order: one due before the
   * newest pending return (a release told ahead of its time, then one told at
   * its time) goes in its place.
   */
  free(now: number, cls: number, data: number): void {
    if (--this.held[cls] < 0) {
      this.held[cls] = 0;
      throw new Error(`model bug: a ${CREDIT_CLASSES[cls]} TLP was released that this link did not deliver, or was released twice`);
    }
    if (this.returnsNothing[cls] === 1 || (data === 0 && this.advertisedHeaders[cls] === Infinity)) return;
    const at = now + this.returnDelayPs;
    if (this.retSize > 0) {
      // Merge with the newest pending return if it is due at the same time for the same class.
      const last = (this.retHead + this.retSize - 1) & (this.retAt.length - 1);
      if (this.retAt[last] === at && this.retClass[last] === cls) {
        this.retHdr[last] += 1;
        this.retData[last] += data;
        return;
      }
    }
    if (this.retSize === this.retAt.length) this.grow();
    let i = (this.retHead + this.retSize) & (this.retAt.length - 1);
    if (this.retSize > 0 && this.retAt[(i - 1) & (this.retAt.length - 1)] > at) i = this.makeRoom(at);
    this.retAt[i] = at;
    this.retClass[i] = cls;
    this.retHdr[i] = 1;
    this.retData[i] = data;
    this.retSize++;
  }

  /**
   * Moves the pending returns due after `at` up one place and returns the
   * freed index, for a return due before the newest (rare: after a dated
   * release). Kept out of free() so that stays small enough to inline.
   */
  private makeRoom(at: number): number {
    const mask = this.retAt.length - 1;
    let i = (this.retHead + this.retSize) & mask;
    for (let k = this.retSize; k > 0; k--) {
      const j = (i - 1) & mask;
      if (!(this.retAt[j] > at)) break;
      this.retAt[i] = this.retAt[j]; this.retClass[i] = this.retClass[j];
      this.retHdr[i] = this.retHdr[j]; this.retData[i] = this.retData[j];
      i = j;
    }
    return i;
  }

  /** Applies every pending return due at or before `now`. */
  settle(now: number): void {
    const mask = this.retAt.length - 1;
    while (this.retSize > 0 && this.retAt[this.retHead] <= now) {
      const i = this.retHead, cls = this.retClass[i];
      const h = (this.availableHeaders[cls] += this.retHdr[i]);
      const d = (this.availableData[cls] += this.retData[i]);
      if (h > this.advertisedHeaders[cls] || d > this.advertisedData[cls]) {
        throw new Error(`model bug: more ${CREDIT_CLASSES[cls]} credits came back than were advertised (header ${h}, data ${d})`);
      }
      this.retHead = (i + 1) & mask;
      this.retSize--;
    }
  }

  /** When the earliest pending return is due, or Infinity if none is pending. */
  nextReturnAt(): number {
    return this.retSize > 0 ? this.retAt[this.retHead] : Infinity;
  }

  /** Header credits of class `cls` available now (Infinity if infinite); pending returns not included. */
  headerCredits(cls: number): number {
    return this.availableHeaders[cls];
  }

  /** Data credits of class `cls` available now. */
  dataCredits(cls: number): number {
    return this.availableData[cls];
  }

  /** TLPs of class `cls` that took credits and were not released yet. */
  heldTlps(cls: number): number {
    return this.held[cls];
  }

  /** Only when the ring is full: all of it, oldest first, into a ring twice the size. */
  private grow(): void {
    const head = this.retHead, slots = 2 * this.retAt.length;
    this.retAt = unwrapped(this.retAt, head, new Float64Array(slots));
    this.retClass = unwrapped(this.retClass, head, new Uint8Array(slots));
    this.retHdr = unwrapped(this.retHdr, head, new Float64Array(slots));
    this.retData = unwrapped(this.retData, head, new Float64Array(slots));
    this.retHead = 0;
  }
}

/** Pending returns the ring has room for at first (a power of two; it doubles when full). */
const FIRST_RETURN_SLOTS = 16;

/** A full ring starting at `head`, copied to the start of `to` in order. */
function unwrapped<A extends { length: number; subarray(begin: number, end?: number): A; set(from: A, offset?: number): void }>(ring: A, head: number, to: A): A {
  to.set(ring.subarray(head));
  to.set(ring.subarray(0, head), ring.length - head);
  return to;
}

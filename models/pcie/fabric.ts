/**
 * The contract every block of the simulated PCIe fabric shares: what a TLP in
 * flight is, and how one block hands it to the next.
 *
 * Hot path (DESIGN.md): TLPs move through links and switches as plain
 * callbacks on the event queue, never as generator processes. A block
 * receives a TLP through `TlpReceiver.receive`, which is called at the
 * simulated time the TLP's last byte has arrived (store-and-forward) or its
 * header has (cut-through; the switch says which).
 *
 * Flow control is the receiver's: a transmitter may send a TLP only when the
 * receiver has advertised credits for it (`creditClass`, header credit plus
 * its data credits), and the receiver returns the credits, after its own delay,
 * once the TLP has left its buffer. `release` is that call back to the sender.
 */
import { DW_BYTES, payloadWireBytes, type TlpType } from './tlp.js';

/** Flow-control credit classes: Posted, Non-Posted, Completion (PCIe Base Spec §2.6.1). */
export type CreditClass = 'P' | 'NP' | 'Cpl';

/**
 * x & DW_MASK is x % DW_BYTES for a non-negative safe integer (a bitwise
 * operator keeps the low 32 bits of an integer exactly). Addresses of 4 GiB
 * and up are not 32-bit integers in V8, and % on them is a call to fmod:
 * two per TLP in the constructor below, two per completion in split-cache.ts
 * paddedBytes. (Fabric bench at 1M TLPs, medians of 16 interleaved runs:
 * writes 0.999 -> 1.008, reads 0.876 -> 0.906 M TLPs/s.)
 */
export const DW_MASK = DW_BYTES - 1;

/** One data credit is 4 DW = 16 bytes of payload (§2.6.1). */
export const DATA_CREDIT_BYTES = 4 * DW_BYTES;

/** Memory writes and messages are posted; reads are non-posted; completions have their own class (§2.6.1, Table 2-43). */
export function creditClass(type: TlpType): CreditClass {
  switch (type) {
    case 'MWr': case 'Msg': case 'MsgD': return 'P';
    case 'MRd': return 'NP';
    case 'Cpl': case 'CplD': return 'Cpl';
  }
}


/**
 * A TLP in flight. One object per TLP, created by the requester (or the
 * completer, for completions) and passed along unchanged; fields are fixed
 * at construction so every block sees one object shape.
 *
 * What every hop asks of a TLP (its credit class, payload and data credits)
 * is computed once, here, into plain fields. Each link direction and switch
 * used to map the type string to a class index (credits.ts creditClassIndex)
 * two or three times per TLP and to call the payloadBytes getter (three
 * string compares) as often; the constructor computed the data credits
 * through tlp.ts's checked payloadWireBytes. As fields: fabric bench at 1M
 * TLPs, medians of 12 interleaved runs, writes 0.673 -> 0.886, reads
 * 0.700 -> 0.803 M TLPs/s.
 */
export class Tlp {
  /** The credit class as an index into the credit pools and class queues: credits.ts creditClassIndex(type), CLASS_P 0, CLASS_NP 1, CLASS_CPL 2. */
  readonly cls: number;
  /** Payload bytes this TLP carries (a read request carries none). */
  readonly payloadBytes: number;
  /**
   * Data credits the TLP takes: its payload as sent, in whole DWs (an
   * unaligned start or end pads to the DW, §2.2.1.1), over 16 B per credit.
   */
  readonly dataCredits: number;

  constructor(
    readonly type: TlpType,
    /** First byte address the TLP writes, reads or returns. */
    readonly addr: number,
    /** Payload bytes for MWr/CplD/MsgD; requested bytes for MRd; 0 otherwise. */
    readonly length: number,
    /** Header + payload (+ ECRC) bytes, before the link's framing (see tlp.ts `tlpBytes`). */
    readonly bytes: number,
    /** Requester ID of the function that issued the request; completions route back by it. */
    readonly requester: number,
    /** Tag of the request (completions carry the request's tag). */
    readonly tag: number,
    /** Transaction this TLP belongs to, for traces and attribution. */
    readonly txn: number,
    /** For completions: bytes of the request still to come after this one, this one included (Byte Count field). */
    readonly byteCount: number,
  ) {
    const payload = type === 'MRd' || type === 'Cpl' || type === 'Msg' ? 0 : length;
    this.cls = type === 'MRd' ? 1 : type === 'Cpl' || type === 'CplD' ? 2 : 0;
    this.payloadBytes = payload;
    // tlp.ts payloadWireBytes inline; the checked call (it throws) only for an address or length it would reject.
    const end = addr + payload;
    this.dataCredits = Number.isSafeInteger(addr) && addr >= 0 && Number.isSafeInteger(payload) && payload >= 0 && Number.isSafeInteger(end)
      ? Math.ceil((payload === 0 ? 0 : end + ((DW_BYTES - (end & DW_MASK)) & DW_MASK) - (addr - (addr & DW_MASK))) / DATA_CREDIT_BYTES)
      : Math.ceil(payloadWireBytes(addr, payload) / DATA_CREDIT_BYTES);
  }

  get creditClass(): CreditClass {
    return creditClass(this.type);
  }
}

/** A block that can take a TLP in: a link's far end, a switch port, a root port, an endpoint. */
export interface TlpReceiver {
  /**
   * The TLP has arrived at `now`. The receiver owns it from here, and calls
   * `from.release(tlp)` once the TLP has left its buffer so the credits it
   * held go back to the sender.
   */
  receive(tlp: Tlp, from: TlpSender): void;
}

/**
 * A receiver that can be handed a TLP when it starts on the link, ahead of its
 * arrival, because it does nothing with it on arrival but note it and start
 * a delay of its own (a switch's internal latency, a root complex's
 * traversal). A link direction whose far end is one calls
 * `receiveAhead(tlp, from, at)` as it starts the TLP, with `at` the time the
 * TLP will have arrived; the receiver answers true if it has taken the TLP
 * and will act on it as receive() at `at` would have, from an event of its
 * own, so the link needs no event at the arrival. False (e.g. the TLP will be
 * discarded, which frees its buffer at once) means: deliver it with
 * receive() at `at` as usual. Nothing the receiver does for a TLP taken ahead
 * may be seen before `at` (a statistic counts it as in only from `at`).
 */
export interface EarlyReceiver extends TlpReceiver {
  receiveAhead(tlp: Tlp, from: TlpSender, at: number): boolean;
  /**
   * True if it may also be handed a TLP before the TLP starts on the link
   * (a dated start, DatedReceiver): what it does with a TLP does not depend
   * on when it is handed over. False or absent: the link hands it over no
   * earlier than the start (a root complex that judges its package idle at
   * the hand-over).
   */
  readonly takesBeforeStart?: boolean;
}

/**
 * A receiver that can be told now of a TLP its sender will hand it at a later
 * time `at`, when it is already certain what it would then do with it (a link
 * direction: start it on the wire, nothing else being able to go first). A
 * sender that knows now when it would hand a TLP over (a switch, once the
 * TLP's internal latency is timed) calls `startAt(tlp, at, latest)` instead of
 * scheduling an event at `at`. The answer is the time the TLP starts (>= at),
 * every effect of the start taken care of as receive() at `at` would have,
 * with nothing seen before its time (link.ts LinkDirection.startAt); or -1:
 * not certain, hand it over with receive() at `at` as usual. The receiver
 * does not call the sender's release(): the sender times it from the answer.
 */
export interface DatedReceiver extends TlpReceiver {
  /** `latest`: the latest start the sender can take this way (-1 past it). */
  startAt(tlp: Tlp, at: number, latest: number): number;
  /**
   * A hand-over dated `at`, made now from inside a release ahead this
   * receiver gave (AheadSender.releaseAhead): the TLP counts as handed over
   * at `at`. Only from there: the receiver takes it up in the loop that
   * released.
   */
  receiveAt(tlp: Tlp, from: TlpSender, at: number): void;
}

/**
 * A sender that can be told now that its receiver frees `tlp`'s buffer at a
 * later time `at` (a dated release: a link direction returns the credits at
 * at + its return delay). Called instead of release(), never as well.
 */
export interface DatedSender extends TlpSender {
  releaseAt(tlp: Tlp, at: number): void;
}

/**
 * A sender whose release does something that depends on when it comes (it
 * hands over its next TLP: a DMA engine), which can say now what that will
 * be. A link that would start `tlp` at `at` asks `datesRelease(tlp, at)`:
 * true if what the sender would do on `tlp`'s release at `at` is certain
 * now; the link may then start `tlp` ahead and call `releaseAhead(tlp, at)`
 * instead of release() at `at`, from which the sender hands over its next
 * TLP dated `at` (DatedReceiver.receiveAt). False: release it at `at` as
 * usual.
 */
export interface AheadSender extends TlpSender {
  datesRelease(tlp: Tlp, at: number): boolean;
  releaseAhead(tlp: Tlp, at: number): void;
}

/** The sending side of a hop, as the receiver sees it. */
export interface TlpSender {
  /** The receiver has freed the buffer space `tlp` held. */
  release(tlp: Tlp): void;
  /**
   * True for a sender whose release() does nothing that depends on when it
   * is called (it counts, at most: a completer's completions, NO_RELEASE). A
   * link may then start such a TLP ahead, as soon as it knows when the TLP
   * will start (link.ts LinkDirection.startAhead), and release it then.
   */
  readonly releasesAnyTime?: boolean;
}

/** A window of bus addresses [base, base + size), e.g. a BAR or a DRAM range. */
export interface AddressRange {
  readonly base: number;
  readonly size: number;
}

export function inRange(r: AddressRange, addr: number): boolean {
  return addr >= r.base && addr < r.base + r.size;
}

/**
 * What lies behind one port of a router (a switch or a root complex), as its
 * routing sees it: requests route by address to the port whose ranges hold
 * it, completions by requester ID to the port whose functions include the ID
 * (§2.2.4, §2.2.6). Anything matching no downstream port goes upstream.
 */
export interface PortRoutes {
  readonly ranges: readonly AddressRange[];
  readonly requesterIds: readonly number[];
}

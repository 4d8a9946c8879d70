/**
 * A simulated PCIe link: two independent directions (`LinkDirection`), each a
 * transmitter with its transmit queues, the wire, and the receiver at the far
 * end, whose advertised flow-control credits gate what may be sent.
 *
 * What one direction models
 *  - Transmit queues: one FIFO per credit class (Posted, Non-Posted,
 *    Completion). The next TLP is the oldest queue head that has credits and
 *    that may pass every older head still waiting, by the PCIe ordering rules
 *    for TLPs without Relaxed Ordering or ID-Based Ordering (Spec §2.4.1,
 *    ordering.ts MAY_PASS): a posted request may pass non-posted requests and
 *    completions; a completion may pass non-posted requests; nothing else
 *    passes. Within a class TLPs stay in order (the spec's "may pass" between
 *    two non-posted requests or two completions is never used). So a posted
 *    write blocked on credits blocks everything behind it, and a blocked read
 *    does not block writes or completions (the rule that avoids deadlock).
 *  - The wire: a TLP starts when the wire is free and its credits are there.
 *    Its time on the wire is link-timing's (tlpWireBytes: framing included;
 *    Flit Mode counts its 256/236 share of FLIT time). Times come from
 *    cumulative counts: within a busy period (the wire never idle) the end of
 *    the n-th TLP is anchor + ceil(total link bytes so far × byte time / width),
 *    so per-packet rounding never accumulates, and one TLP alone on an idle
 *    link takes exactly tlpWireTimePs.
 *  - Link-layer overhead on a fixed grid (link-timing.ts header): SKP ordered
 *    sets (skpSchedule) and Ack and UpdateFC DLLPs (dllpSchedule) are due at
 *    creation + k × interval. One due while the wire is busy goes out after the
 *    TLP on the wire and delays the TLPs behind it; one due while the wire is
 *    idle (nothing queued, or blocked on credits) goes out in idle time and
 *    costs nothing. Over a busy stretch the wire then spends exactly the
 *    closed form's fractions (dma-throughput.ts tlpTimeFraction) on them.
 *    As in the closed form, each direction pays for the DLLPs on its own busy
 *    time (pcie-bench: both directions carry traffic and each carries the
 *    other's Acks and UpdateFCs); `dllp: 'none'` leaves them out.
 *  - Delivery: the far end's `receive` is called at end of serialization +
 *    propagation (store and forward: the TLP is usable once its LCRC is in),
 *    one event per TLP. A far end that only notes a TLP on arrival and starts
 *    a fixed delay of its own (a switch, a root port: fabric.ts
 *    EarlyReceiver) is handed it when it starts on the wire, with its arrival
 *    time, and times its next step from there: no event for the arrival.
 *  - Credits: taken when a TLP starts; when the far end calls `release(tlp)`
 *    they are usable again after `creditReturnDelayPs` (credits.ts).
 *  - Upstream back-pressure: the direction is itself a TlpReceiver. Whoever
 *    hands it a TLP (`receive(tlp, from)`) gets `from.release(tlp)` when the
 *    TLP leaves the transmit queue, i.e. starts on the wire (possibly from
 *    inside `receive`, if the wire was free). The queues are unbounded: a
 *    sender that wants a bounded queue counts its releases.
 *  - Starting ahead: a TLP that is certain to go next when the wire frees
 *    (the only class queued, its credits there already) and whose sender
 *    does not care when it is released (fabric.ts TlpSender.releasesAnyTime:
 *    a completer's completions) is started as soon as that is known, with
 *    the times it would have had, instead of from a wake-up at its start.
 *    So is one whose sender takes its release ahead (fabric.ts AheadSender:
 *    a DMA engine's writes) when the sender says what it then does is
 *    certain; it hands its next TLP over from inside the release, dated the
 *    start (receiveAt), and that one may start ahead
 *    in turn: a train of writes with no wake-ups, as long as the far end's
 *    credits last. stats() leaves out what starts after now, so every
 *    reading is the same.
 *  - Dated hand-overs (fabric.ts DatedReceiver, startAt): a sender that knows
 *    now when it will hand a TLP over (a switch, at the end of its internal
 *    latency) asks; if the TLP is certain to start then or once the wire
 *    frees, it is started now with those times (ahead log as above) and
 *    the sender times its own release from the answer. The other way, a
 *    far end may release a TLP dated (releaseAt): the credits come back at
 *    that time plus the return delay.
 *
 * What it leaves out: transmission errors, Nak and replay (the replay buffer
 * and its Ack timeouts), the Ack/UpdateFC traffic of the reverse direction as
 * actual packets (their cost is the grid above), the EDS token before SKPs at
 * 128b/130b, lane-alignment loss for TLPs narrower than the link, power states,
 * virtual channels (one VC), Relaxed Ordering and ID-Based Ordering.
 * Flit Mode (Gen6): TLP bytes pack back to back into FLITs at their 256/236
 * share of FLIT time, which matches the closed form, but a TLP is delivered
 * when its own last byte is out, not at the end of its FLIT (the FLIT CRC is
 * checked per FLIT), and a FLIT left part-empty when the queue runs dry is not
 * padded; so a lone TLP's latency is low by up to one FLIT time (2 ns at x16,
 * 32 ns at x1). Ack/Nak and credit updates ride in every FLIT's DLP bytes, so
 * Flit Mode has no DLLP grid.
 *
 * Hot path: per TLP, one ring-buffer slot in a transmit queue (none when it
 * arrives at an idle wire with its credits there: it is sent at once) and
 * one in the in-flight queue, one delivery event (neither for an early
 * receiver, unless this direction is traced), and one wake event when
 * TLPs are queued behind a busy wire (none for one started ahead, which
 * writes a row of counters in the ahead log instead, as does one started
 * dated: ahead-log.ts; not on
 * a traced direction, whose rows keep event order); a train started ahead
 * costs one wake-up where it stops. No closures: events are
 * static handlers with the direction as target.
 */
import type { Simulation } from '../../src/sim/simulation.js';
import type { Time } from '../../src/sim/time.js';
import type { TraceChannel, Tracer } from '../../src/trace/channel.js';
import { CoarseningWindows } from '../../src/stats/windows.js';
import {
  CREDIT_CLASS_COUNT, DEFAULT_CREDITS, FlowControlCredits, type CreditAdvertisement,
} from './credits.js';
import type { DllpPolicy } from './dma-throughput.js';
import { type AheadSender, type DatedReceiver, type DatedSender, type EarlyReceiver, type Tlp, type TlpReceiver, type TlpSender } from './fabric.js';
import {
  DLLP_BYTES, FLIT_BYTES, FLIT_TLP_BYTES, assertGen, assertWidth, byteTimePs, dllpSchedule, isFlitMode, serializationPs, skpSchedule, tlpWireBytes,
  type LinkWidth, type PcieGen,
} from './link-timing.js';
import { passesOlderHeads } from './ordering.js';
import { AheadLog } from './ahead-log.js';
import { TlpQueue } from './tlp-queue.js';
import { assertMaxPayloadSize, type TlpType } from './tlp.js';

// ---------------------------------------------------------------- parameters

export interface LinkParams {
  readonly gen: PcieGen;
  readonly width: LinkWidth;
  /**
   * Max_Payload_Size of the receivers (their Rx_MPS_Limit): sets the spec's
   * Ack and UpdateFC intervals (link-timing.ts dllpSchedule). It does not
   * limit the TLPs a direction carries; the requester splits by MPS.
   */
  readonly mps: number;
  /**
   * Time from a bit leaving the transmitter to it being usable at the
   * receiver, beyond serialization: PHY pipelines plus flight time, ps. Not a
   * spec fact; no default, the preset says what it assumes.
   */
  readonly propagationPs: Time;
  /**
   * ECRC on this fabric's TLPs. ECRC is end to end: the requester adds its
   * 4 bytes when it builds the TLP and Tlp.bytes already counts them (tlp.ts
   * tlpBytes with { ecrc }); the link carries what it is given. The flag is
   * here so the blocks that build TLPs for this link read the setting from it.
   */
  readonly ecrc?: boolean;
  /** Keep each direction's payload throughput over time (payloadRate()); off by default, as it costs a little per TLP. */
  readonly throughputSeries?: boolean;
  /** Ack/UpdateFC DLLP overhead: 'recommended' (default) or 'none' (dma-throughput.ts DllpPolicy). */
  readonly dllp?: DllpPolicy;
  /**
   * Time from the receiver releasing a TLP (`release`) to its credits being
   * usable by the transmitter, ps. The spec's UpdateFC latency
   * (updateFcLatencySymbols) is the longest a busy receiver may wait before
   * sending an UpdateFC; a receiver may send one at once, and the default
   * assumes it does: one DLLP's serialization on this link plus propagation
   * (Flit Mode: one FLIT, whose DLP bytes carry the update and whose CRC
   * must be checked first). For a receiver that waits as long as the spec
   * recommends at most, add updateFcLatencySymbols × symbolTimePs. Its wire time is already paid for by
   * the DLLP grid (see the file header), so it only delays.
   */
  readonly creditReturnDelayPs?: Time;
  /** Component name for traces; the directions are `${name}.ab` and `${name}.ba`. Default 'link'. */
  readonly name?: string;
  /** Records one `tlp` row per TLP delivered (hot: only when a trace selection names the kind). */
  readonly tracer?: Tracer;
}

/** One end of a link: the block TLPs are delivered to, and the credits it advertises for them. */
export interface LinkEnd {
  readonly receiver?: TlpReceiver;
  /** Default DEFAULT_CREDITS (credits.ts: the unscaled maximum in every pool). */
  readonly credits?: CreditAdvertisement;
}

/** One DLLP (Non-Flit) or one FLIT (Flit Mode) on this link, plus propagation: see LinkParams.creditReturnDelayPs. */
export function defaultCreditReturnDelayPs(gen: PcieGen, width: LinkWidth, propagationPs: Time): Time {
  return serializationPs(isFlitMode(gen) ? FLIT_BYTES : DLLP_BYTES, gen, width) + propagationPs;
}

/** A sender that does not care when its TLPs leave the transmit queue. */
export const NO_RELEASE: TlpSender = Object.freeze({ release(): void {}, releasesAnyTime: true });

const UNCONNECTED: TlpReceiver = Object.freeze({
  receive(): void {
    throw new Error('a TLP reached a link direction with no receiver at its far end: connect() it first');
  },
});

/** Per-direction statistics; times in ps. */
export interface LinkDirectionStats {
  readonly tlpsSent: number;
  /** Delivered to the far end; one handed over ahead of its arrival (fabric.ts EarlyReceiver) counts from its hand-over. */
  readonly tlpsDelivered: number;
  /** Payload bytes of the TLPs sent (Tlp.payloadBytes). */
  readonly payloadBytesSent: number;
  /** Header + payload (+ ECRC) bytes of the TLPs sent, before link framing (Tlp.bytes). */
  readonly tlpBytesSent: number;
  /** Link bytes of the TLPs sent, framing included (tlpWireBytes; fractional in Flit Mode). */
  readonly wireBytesSent: number;
  /**
   * Wire time of the TLPs, Ack/UpdateFC DLLPs and SKP ordered sets sent so far
   * (one on the wire now counts whole); unrounded.
   */
  readonly tlpPs: number;
  readonly dllpPs: number;
  readonly skpPs: number;
  /** tlpPs + dllpPs + skpPs, less the part of the current busy period that lies after now. */
  readonly busyPs: number;
  /** busyPs over the time since the link was created (0 before any time has passed). */
  readonly utilization: number;
  /** Time the wire sat idle with TLPs queued, none of them allowed out for lack of credits. */
  readonly creditStallPs: number;
  /** TLPs waiting in the transmit queues, and on the wire or in flight. */
  readonly queued: number;
  readonly inFlight: number;
}

// ---------------------------------------------------------------- internals

/**
 * Busy periods longer than this many wire units are re-anchored (see
 * reanchor), so unit counts times the byte time stay far below 2^53 and the
 * float arithmetic stays exact. Any large power of two works; not a tuning knob.
 */
const REANCHOR_UNITS = 2 ** 32;

/** Search bound for wholePsUnits: byteTimePs / width has a power-of-two denominator of at most 2^10 (Gen5 x32: 8125/1024). */
const MAX_TICK_SEARCH = 2 ** 20;

/**
 * Columns of the transmit queues: age stamp, enqueue time (a dated hand-over's
 * date: receiveAt), and whether the TLP may start ahead (startAhead): ANY_TIME
 * if its sender releases at any time, DATED if its sender may take a dated
 * release (asked per TLP), 0 if neither or the direction is traced. In
 * flight: enqueue time.
 */
const SEQ = 0, TIME = 1, AHEAD = 2, TX_COLUMNS = 3;
const ANY_TIME = 1, DATED = 2;
const FLIGHT_TIME = 0, FLIGHT_COLUMNS = 1;
/**
 * Columns of the ahead log (TLPs started ahead, startAhead and startAt; the
 * start is column 0): when its sender hands it over (queued from then until
 * its start), the exact wire-free time before it, and the counters as they
 * stood before its send: TLPs, payload, TLP bytes and wire units sent, SKPs
 * and DLLPs charged, TLPs started ahead that the far end took ahead of their
 * arrival (aheadHanded).
 */
const A_QUEUED = 1, A_FREE_BEFORE = 2, A_SENT = 3, A_PAYLOAD = 4, A_BYTES = 5, A_UNITS = 6, A_SKP = 7, A_DLLP = 8, A_HANDED = 9, AHEAD_COLUMNS = 10;

/** A periodic link-layer cost due at origin + k × period (k = 1, 2, ...); period Infinity = never. */
class OverheadGrid {
  due: number;
  /** Occurrences that fell in busy time and were paid for. */
  charged = 0;
  private k = 1;

  constructor(private readonly origin: number, private readonly periodPs: number, readonly units: number) {
    this.due = origin + periodPs;
  }

  /** The occurrence at `due` was paid for; the next one is due a period after it was due, not after it was sent. */
  charge(): void {
    this.charged++;
    this.k++;
    this.due = this.origin + this.k * this.periodPs;
  }

  /** Occurrences before `t` fell in idle time: skip them for free. */
  skipTo(t: number): void {
    if (this.due >= t) return;
    let k = Math.max(this.k, Math.ceil((t - this.origin) / this.periodPs));
    while (this.origin + k * this.periodPs < t) k++;
    this.k = k;
    this.due = this.origin + k * this.periodPs;
  }
}

// ---------------------------------------------------------------- one direction

export class LinkDirection implements DatedReceiver, DatedSender {
  readonly name: string;
  readonly gen: PcieGen;
  readonly width: LinkWidth;
  readonly propagationPs: Time;
  readonly creditReturnDelayPs: Time;
  readonly credits: FlowControlCredits;
  private receiver: TlpReceiver;
  /** The receiver, when it takes TLPs ahead of their arrival (fabric.ts EarlyReceiver) and this direction does not trace them; else null. */
  private early: EarlyReceiver | null = null;
  private readonly createdAt: Time;

  private readonly queues: TlpQueue[];
  private readonly inFlight = new TlpQueue(FLIGHT_COLUMNS);
  /** TLPs started ahead (startAhead, startAt), for stats() to leave out until their start. */
  private readonly aheadLog = new AheadLog(AHEAD_COLUMNS);
  /** TLPs started ahead that the far end took ahead of their arrival (no arrival event: delivered at the start). */
  private aheadHanded = 0;
  private queued = 0;
  /** Queued TLPs that may start ahead (column AHEAD not 0). */
  private aheadQueued = 0;
  /** Age stamp of the next TLP handed in: decides which queue head is oldest. */
  private seq = 0;

  // Wire time in integer "units": one link byte, or in Flit Mode 1/236 of one
  // (a TLP byte costs 256/236 link bytes there), so every cost is a whole number.
  private readonly unitsPerLinkByte: number;
  /** byteTimePs / width: exact in binary floating point for every generation and width. */
  private readonly linkBytePs: number;
  /** A number of units whose duration is a whole number of ps (for reanchor). */
  private readonly wholePsUnits: number;
  private readonly skp: OverheadGrid;
  private readonly ack: OverheadGrid;
  private readonly fc: OverheadGrid;
  /** The earliest due time of skp, ack and fc (earliestDue), kept as they move. */
  private nextDue: number;
  /** Start of the current busy period (integer ps) and the units sent in it so far. */
  private anchor = 0;
  private units = 0;
  /** When the wire is free: exact (may be fractional), and as the first whole ps. */
  private wireFreeExact = -1;
  private wireFreeTick = -1;
  /** Earliest pending wake-up of the transmitter, Infinity if none. */
  private wakeTime = Infinity;
  /** When the current credit stall began, -1 if not stalled. */
  private stallSince = -1;
  /**
   * send()'s start and hand-over times, set by its caller just before the
   * call: send() is too large for V8 to inline, and a double passed to a
   * call that is not inlined is boxed on the heap (two allocations a TLP
   * per link; as the kernel's stageTime does for event times).
   */
  private sendStart = 0;
  private sendQueuedAt = 0;
  /** One-entry cache of tlpWireBytes in units: a stream of equal TLPs skips the call. */
  private lastTlpBytes = -1;
  private lastTlpUnits = 0;
  /** One-entry cache of aheadKind(). */
  private lastSender: TlpSender | null = null;
  private lastSenderAhead = 0;

  private tlpsSent = 0;
  /** TLPs started ahead (startAhead): each saved the wake-up at its start. Kernel work, not a result: not in stats(). */
  startedAhead = 0;
  private tlpsDelivered = 0;
  private payloadBytesSent = 0;
  /** Payload bytes over time, each TLP's spread over its time on the wire (a throughput series that cannot exceed the wire); null unless asked for. */
  private readonly payloadWindows: CoarseningWindows | null;
  private tlpBytesSent = 0;
  private tlpUnitsSent = 0;
  private creditStallPs = 0;

  private readonly trace: TraceChannel | null;
  private readonly labels: Record<TlpType, number> | null;

  constructor(private readonly sim: Simulation, params: LinkParams, end: LinkEnd = {}, name = params.name ?? 'link') {
    const { gen, width, propagationPs } = params;
    assertGen(gen);
    assertWidth(width);
    assertMaxPayloadSize(params.mps);
    assertPs(propagationPs, 'propagationPs');
    const dllp = params.dllp ?? 'recommended';
    if (dllp !== 'recommended' && dllp !== 'none') throw new RangeError(`dllp must be 'recommended' or 'none', got ${JSON.stringify(dllp)}`);
    this.name = name;
    this.payloadWindows = params.throughputSeries ? new CoarseningWindows() : null;
    this.gen = gen;
    this.width = width;
    this.propagationPs = propagationPs;
    this.creditReturnDelayPs = params.creditReturnDelayPs ?? defaultCreditReturnDelayPs(gen, width, propagationPs);
    assertPs(this.creditReturnDelayPs, 'creditReturnDelayPs');
    this.credits = new FlowControlCredits(end.credits ?? DEFAULT_CREDITS, this.creditReturnDelayPs);
    this.receiver = end.receiver ?? UNCONNECTED;
    this.createdAt = sim.now;
    this.queues = [];
    for (let c = 0; c < CREDIT_CLASS_COUNT; c++) this.queues.push(new TlpQueue(TX_COLUMNS));

    const flit = isFlitMode(gen);
    this.unitsPerLinkByte = flit ? FLIT_TLP_BYTES : 1;
    this.linkBytePs = byteTimePs(gen) / width;
    this.wholePsUnits = wholePsUnits(this.linkBytePs) * this.unitsPerLinkByte;
    const skp = skpSchedule(gen, width);
    this.skp = new OverheadGrid(sim.now, skp.periodPs, this.psToUnits(skp.durationPs, 'SKP ordered set'));
    if (flit || dllp === 'none') {
      this.ack = new OverheadGrid(sim.now, Infinity, 0);
      this.fc = new OverheadGrid(sim.now, Infinity, 0);
    } else {
      const d = dllpSchedule(gen, width, params.mps);
      const units = this.psToUnits(d.dllpPs, 'DLLP');
      this.ack = new OverheadGrid(sim.now, d.ackIntervalPs, units);
      this.fc = new OverheadGrid(sim.now, d.updateFcIntervalPs, units);
    }
    this.nextDue = this.earliestDue();

    this.trace = params.tracer?.channel(name, 'tlp', { hot: true }) ?? null;
    const tracer = params.tracer;
    this.labels = this.trace === null || tracer === undefined ? null : {
      MRd: tracer.label('MRd'), MWr: tracer.label('MWr'), Cpl: tracer.label('Cpl'),
      CplD: tracer.label('CplD'), Msg: tracer.label('Msg'), MsgD: tracer.label('MsgD'),
    };
    this.connect(this.receiver);
  }

  /** Sets the block at the far end. */
  connect(receiver: TlpReceiver): this {
    this.receiver = receiver;
    // A traced direction records each TLP's row at its arrival, in event order
    // with every other row, so it keeps the arrival event.
    this.early = this.trace === null && 'receiveAhead' in receiver ? receiver as EarlyReceiver : null;
    return this;
  }

  /**
   * Queues `tlp` for transmission. `from.release(tlp)` is called when it
   * starts on the wire, which may be before this call returns.
   */
  receive(tlp: Tlp, from: TlpSender): void {
    const cls = tlp.cls;
    this.credits.assertSendable(cls, tlp.dataCredits);
    const now = this.sim.now;
    // Nothing queued and its credits there: it goes without the trip through
    // the queue. With the wire free, at once, as pump() would send it (it
    // would be the only class queued; fabric bench at 1M TLPs, medians of 12
    // interleaved runs: writes 1.042 -> 1.127, reads 0.926 -> 0.945 M
    // TLPs/s). With the wire busy, from a sender that does not mind an early
    // release (a completer's second completion), ahead, when the wire frees:
    // it is certain to go next, and startAhead would start it from the queue
    // at once.
    const wireFree = now >= this.wireFreeTick;
    if (this.queued === 0 && (wireFree || (this.trace === null && this.aheadKind(from) === ANY_TIME))) {
      this.credits.settle(now);
      if (this.credits.fits(cls, tlp.dataCredits)) {
        this.seq++;
        if (wireFree) {
          this.sendStart = now;
          this.sendQueuedAt = now;
          this.send(tlp, from, cls);
        } else {
          this.sendAhead(tlp, from, cls, this.wireFreeTick, now);
        }
        return;
      }
    }
    const q = this.queues[cls]!, slot = q.push(tlp, from);
    q.set(slot, SEQ, this.seq++);
    q.set(slot, TIME, this.sim.now);
    const ahead = this.trace === null ? this.aheadKind(from) : 0;
    q.set(slot, AHEAD, ahead);
    if (ahead !== 0) this.aheadQueued++;
    this.queued++;
    this.pump();
  }

  /**
   * A dated hand-over from inside the sender's release ahead (fabric.ts
   * DatedReceiver.receiveAt): queued as handed over at `at`, when the TLP
   * this direction started ahead starts. Not pumped: the caller is this
   * direction's own startAhead, whose loop takes it next. stats() leaves it
   * out of `queued` until `at`.
   */
  receiveAt(tlp: Tlp, from: TlpSender, at: Time): void {
    const cls = tlp.cls;
    this.credits.assertSendable(cls, tlp.dataCredits);
    const q = this.queues[cls]!, slot = q.push(tlp, from);
    q.set(slot, SEQ, this.seq++);
    q.set(slot, TIME, at);
    q.set(slot, AHEAD, DATED);
    this.aheadQueued++;
    this.queued++;
  }

  /** The far end has freed `tlp`'s buffer: its credits come back after creditReturnDelayPs. */
  release(tlp: Tlp): void {
    this.releaseAt(tlp, this.sim.now);
  }

  /**
   * The far end frees `tlp`'s buffer at `at` (now or later: fabric.ts
   * DatedSender): its credits come back at at + creditReturnDelayPs. The
   * return is pending from now, so a transmitter that stalls before it
   * wakes for it, as it would if release() came at `at`.
   */
  releaseAt(tlp: Tlp, at: Time): void {
    this.credits.free(at, tlp.cls, tlp.dataCredits);
    if (this.stallSince >= 0) this.wakeAt(this.credits.nextReturnAt());
  }

  /**
   * A dated hand-over (fabric.ts DatedReceiver): the sender will hand over
   * `tlp` at `at`, and nothing else before it (the sender says so by
   * asking). Started now, with the times it would have had, when that is
   * certain: nothing is queued and its credits are there now, so at `at`
   * too (credits only grow until then: this direction is their only taker),
   * and at `at` it is the oldest TLP here, so it goes at `at` or, the wire
   * busy then, as soon as the wire frees. Only if that is no later than
   * `latest`: the sender answers for what it would hand over meanwhile (a
   * switch keeps a class's next TLP back while one waits here, switch.ts).
   * As with startAhead, stats() leaves it out until its start (and out of
   * `queued` until `at`). Returns the start, or -1 (not certain, too late,
   * a traced direction, whose rows keep event order, or a far end that
   * must not be handed it before its start): the sender then hands it over
   * at `at` with receive(). The sender's release is its own to time.
   */
  startAt(tlp: Tlp, at: Time, latest: Time): number {
    const start = at > this.wireFreeTick ? at : this.wireFreeTick;
    if (this.queued !== 0 || start > latest || this.trace !== null || (this.early !== null && this.early.takesBeforeStart !== true)) return -1;
    const cls = tlp.cls;
    this.credits.settle(this.sim.now);
    if (!this.credits.fits(cls, tlp.dataCredits)) return -1;
    this.seq++;
    this.sendAhead(tlp, NO_RELEASE, cls, start, at);
    return start;
  }

  /** Payload bytes per second in each window of the run so far: [window start ps, B/s]; empty unless throughputSeries was set. */
  payloadRate(): [number, number][] {
    return this.payloadWindows?.ratePerSecond(this.sim.now) ?? [];
  }

  stats(): LinkDirectionStats {
    const now = this.sim.now;
    // TLPs started ahead that start after now are not sent yet: the counters are
    // as they stood before the first of them, and each counts as still queued
    // from its hand-over, as if it had waited for its start.
    const log = this.aheadLog, rows = log.rows, later = log.after(now);
    let tlpsSent = this.tlpsSent, payload = this.payloadBytesSent, bytes = this.tlpBytesSent, units = this.tlpUnitsSent;
    let skp = this.skp.charged, dllp = this.ack.charged + this.fc.charged, handed = 0, queuedAhead = 0, freeBefore = this.wireFreeExact;
    if (later > 0) {
      const r = log.newest(later - 1);
      tlpsSent = rows[r + A_SENT]!;
      payload = rows[r + A_PAYLOAD]!;
      bytes = rows[r + A_BYTES]!;
      units = rows[r + A_UNITS]!;
      skp = rows[r + A_SKP]!;
      dllp = rows[r + A_DLLP]!;
      handed = this.aheadHanded - rows[r + A_HANDED]!;
      freeBefore = rows[r + A_FREE_BEFORE]!;
      for (let k = 0; k < later; k++) if (rows[log.newest(k) + A_QUEUED]! <= now) queuedAhead++;
    }
    const delivered = this.tlpsDelivered - handed;
    const toPs = (units: number) => (units * this.linkBytePs) / this.unitsPerLinkByte;
    // Wire time already reserved past `now` (the rest of the current busy period) is not counted yet.
    const ahead = Math.max(0, freeBefore - now);
    const tlpPs = toPs(units), dllpPs = toPs(dllp * this.ack.units), skpPs = toPs(skp * this.skp.units);
    const busyPs = Math.max(0, tlpPs + dllpPs + skpPs - ahead);
    const elapsed = now - this.createdAt;
    // Dated hand-overs (receiveAt) are handed over at their date: the newest entries of their queue.
    let notHanded = 0;
    for (const q of this.queues) notHanded += q.newestAfter(TIME, now);
    return {
      tlpsSent,
      tlpsDelivered: delivered,
      payloadBytesSent: payload,
      tlpBytesSent: bytes,
      wireBytesSent: units / this.unitsPerLinkByte,
      tlpPs, dllpPs, skpPs, busyPs,
      utilization: elapsed > 0 ? busyPs / elapsed : 0,
      creditStallPs: this.creditStallPs + (this.stallSince >= 0 ? now - this.stallSince : 0),
      queued: this.queued - notHanded + queuedAhead,
      inFlight: this.inFlight.size - (later - handed),
    };
  }

  // ---------------------------------------------------------------- transmitter

  /** Sends what can be sent now; otherwise makes sure a wake-up is pending for when something might. */
  private pump(): void {
    while (this.queued > 0) {
      const now = this.sim.now;
      if (now < this.wireFreeTick) {
        if (this.aheadQueued > 0 && this.startAhead(now)) continue;
        this.wakeAt(this.wireFreeTick);
        return;
      }
      this.credits.settle(now);
      const cls = this.pick();
      if (cls < 0) {
        // Blocked on credits with the wire free: wait for the next return (or, if
        // none is on its way, for release() to start one).
        if (this.stallSince < 0) this.stallSince = now;
        const next = this.credits.nextReturnAt();
        if (next !== Infinity) this.wakeAt(next);
        return;
      }
      if (this.stallSince >= 0) {
        this.creditStallPs += now - this.stallSince;
        this.stallSince = -1;
      }
      this.transmit(cls, now);
    }
  }

  /**
   * With the wire busy until wireFreeTick: starts the TLP that will go next
   * then, ahead of time, if that is already certain and its sender does not
   * mind being released early (TlpSender.releasesAnyTime) or takes the
   * release ahead (fabric.ts AheadSender: a DMA engine's posted
   * writes, which hands its next TLP over from inside it, dated, with
   * receiveAt). Certain when one
   * class is queued and its head has its credits now: credits only grow
   * until then (this direction is their only taker), and whatever is handed
   * in meanwhile is younger, so pick() would choose that head at
   * wireFreeTick. Everything send() does then it does now, with the same
   * times, so the sender's release, the far end's hand-over and the
   * statistics come early; stats() leaves out what starts after now. Saves
   * the wake-up per TLP of a train of TLPs handed in faster than the wire
   * takes them (a read's completions, a DMA engine's writes). A dated
   * release hands the sender's next TLP over at this one's start, which this
   * loop then starts ahead in turn: a train runs until the far end's credits
   * (available now) or the sender's answer stop it, then waits for the wire
   * to free as before. The far end must take TLPs before their start
   * (EarlyReceiver.takesBeforeStart), as with startAt.
   *
   * One function, not a choice and a send: at over 460 bytes of bytecode V8
   * never inlines it, so pump() keeps its budget for what it inlines on
   * every TLP (split in two, both went into pump(), which then left pick()
   * and transmit() out: fabric bench reads 6% slower than without any of
   * this, in-process A/B).
   */
  private startAhead(now: Time): boolean {
    let cls = -1;
    for (let x = 0; x < CREDIT_CLASS_COUNT; x++) {
      const q = this.queues[x]!;
      if (q.size === 0) continue;
      if (q.size !== this.queued || q.head(AHEAD) === 0) return false;
      this.credits.settle(now);
      if (!this.credits.fits(x, q.headTlp().dataCredits)) return false;
      cls = x;
      break;
    }
    if (cls < 0) return false;
    const q = this.queues[cls]!;
    const tlp = q.headTlp(), from = q.headSender(), queuedAt = q.head(TIME), dated = q.head(AHEAD) === DATED;
    if (dated && ((this.early !== null && this.early.takesBeforeStart !== true) || !(from as AheadSender).datesRelease(tlp, this.wireFreeTick))) return false;
    q.shift();
    this.queued--;
    this.aheadQueued--;
    // The sender's release comes last in send(): nothing re-enters before the log entry.
    this.sendAhead(tlp, from, cls, this.wireFreeTick, queuedAt, dated);
    return true;
  }

  /**
   * send() for a TLP that starts at `start`, after now (startAhead, startAt),
   * with its entry in the ahead log: what stats() leaves out until the start.
   * The entry is written here, before send() counts the TLP, and not in
   * send(), which every TLP runs: kept out of it, send() stays small enough
   * for V8 to inline what it calls.
   */
  private sendAhead(tlp: Tlp, from: TlpSender, cls: number, start: Time, queuedAt: Time, dated = false): void {
    this.startedAhead++;
    // The counters as they stand before this TLP: what stats() reports until its start.
    const log = this.aheadLog, r = log.push(start, this.sim.now), rows = log.rows;
    rows[r + A_QUEUED] = queuedAt;
    rows[r + A_FREE_BEFORE] = this.wireFreeExact;
    rows[r + A_SENT] = this.tlpsSent;
    rows[r + A_PAYLOAD] = this.payloadBytesSent;
    rows[r + A_BYTES] = this.tlpBytesSent;
    rows[r + A_UNITS] = this.tlpUnitsSent;
    rows[r + A_SKP] = this.skp.charged;
    rows[r + A_DLLP] = this.ack.charged + this.fc.charged;
    rows[r + A_HANDED] = this.aheadHanded;
    this.sendStart = start;
    this.sendQueuedAt = queuedAt;
    this.send(tlp, from, cls, true, dated);
  }

  /**
   * How `from`'s TLPs may start ahead (column AHEAD): ANY_TIME
   * (TlpSender.releasesAnyTime), DATED (AheadSender), or 0,
   * through a one-entry cache: a direction mostly hears from one sender, and
   * the senders are objects of many shapes (reading the flag on each was a
   * megamorphic load per TLP).
   */
  private aheadKind(from: TlpSender): number {
    if (from !== this.lastSender) {
      this.lastSender = from;
      this.lastSenderAhead = from.releasesAnyTime === true ? ANY_TIME
        : typeof (from as Partial<AheadSender>).datesRelease === 'function' ? DATED : 0;
    }
    return this.lastSenderAhead;
  }

  /**
   * The class whose head goes next: the oldest head that has credits and may
   * pass every older head (ordering.ts MAY_PASS); -1 if none.
   */
  private pick(): number {
    const queues = this.queues, credits = this.credits;
    let best = -1, bestSeq = Infinity;
    for (let x = 0; x < CREDIT_CLASS_COUNT; x++) {
      const q = queues[x]!;
      if (q.size === 0) continue;
      // The only class queued (the usual case) passes no older head: only its credits decide (see transmit for the gain).
      if (q.size === this.queued) return credits.fits(x, q.headTlp().dataCredits) ? x : -1;
      const s = q.head(SEQ);
      if (s >= bestSeq || !credits.fits(x, q.headTlp().dataCredits)) continue;
      if (passesOlderHeads(queues, 0, x, s, SEQ)) {
        best = x;
        bestSeq = s;
      }
    }
    return best;
  }

  /** Puts the head of class `cls` on the wire at `now` (the wire is free and its credits are there). */
  private transmit(cls: number, now: Time): void {
    const q = this.queues[cls]!;
    const tlp = q.headTlp(), from = q.headSender(), queuedAt = q.head(TIME);
    if (q.head(AHEAD) !== 0) this.aheadQueued--;
    q.shift();
    this.queued--;
    this.sendStart = now;
    this.sendQueuedAt = queuedAt;
    this.send(tlp, from, cls);
  }

  /**
   * transmit() once the TLP is off its queue (receive() sends one that never
   * queued).
   *
   * The TLP's wire time is computed once (offsetPs, which used to run three
   * times), and the SKP/Ack/UpdateFC grids are looked at only when the
   * earliest of them (nextDue) falls inside this TLP, not three compares per
   * TLP; the times come from the same expressions, to the last bit. With
   * pick()'s shortcut for a single queued class: fabric bench at 1M TLPs,
   * medians of 12 interleaved runs, writes 0.886 -> 0.927, reads
   * 0.803 -> 0.830 M TLPs/s.
   *
   * Its start (`sendStart`, read first, before anything can re-enter) is the
   * simulated time, or later for one started ahead (startAhead), which the
   * ahead log keeps for stats(); `sendQueuedAt` is when it was handed over;
   * `dated`: the sender takes its release ahead, dated the start
   * (AheadSender).
   */
  private send(tlp: Tlp, from: TlpSender, cls: number, ahead = false, dated = false): void {
    const now = this.sendStart, queuedAt = this.sendQueuedAt;
    this.credits.take(cls, tlp.dataCredits);

    // Back to back (the wire freed during the last ps) continues the busy
    // period's cumulative count; after idle time a new period starts at now.
    if (now !== this.wireFreeTick) {
      this.anchor = now;
      this.units = 0;
      // Every grid is due at nextDue or later, so none has an occurrence to
      // skip unless the earliest fell before now. (Read TLPs mostly start busy
      // periods of their own, and three calls each cost 5% of a read run.)
      if (this.nextDue < now) this.skipIdleOverhead();
    }
    const anchor = this.anchor;
    const tlpUnits = this.tlpUnits(tlp.bytes);
    let units = this.units + tlpUnits;
    let off = this.offsetPs(units);
    const endTick = anchor + Math.ceil(off);

    // SKPs and DLLPs due while the wire is busy (during this TLP, or during the
    // overhead already queued behind it) go out after it.
    let freeAt = anchor + off;
    if (this.nextDue < freeAt) {
      for (;;) {
        let g = this.skp;
        if (this.ack.due < g.due) g = this.ack;
        if (this.fc.due < g.due) g = this.fc;
        if (!(g.due < freeAt)) break;
        units += g.units;
        g.charge();
        off = this.offsetPs(units);
        freeAt = anchor + off;
      }
      this.nextDue = this.earliestDue();
    }
    this.units = units;
    this.wireFreeExact = freeAt;
    this.wireFreeTick = anchor + Math.ceil(off);
    if (units > REANCHOR_UNITS) this.reanchor();

    this.tlpsSent++;
    this.payloadBytesSent += tlp.payloadBytes;
    if (this.payloadWindows !== null && tlp.payloadBytes > 0) this.payloadWindows.addSpan(now, endTick, tlp.payloadBytes);
    this.tlpBytesSent += tlp.bytes;
    this.tlpUnitsSent += tlpUnits;
    const at = endTick + this.propagationPs;
    if (this.early !== null && this.early.receiveAhead(tlp, this, at)) {
      // The far end has it and times its own next step from `at`: no arrival event.
      this.tlpsDelivered++;
      if (ahead) this.aheadHanded++;
    } else {
      this.inFlight.set(this.inFlight.push(tlp, NO_RELEASE), FLIGHT_TIME, queuedAt);
      this.sim.schedule(at - this.sim.now, LinkDirection.onArrive, this, 0);
    }
    // Last: the sender may hand over its next TLP from inside release() or releaseAhead().
    if (dated) (from as AheadSender).releaseAhead(tlp, now);
    else from.release(tlp);
  }

  /**
   * send()'s new busy period starts at `sendStart`, after the earliest grid
   * was due: the occurrences before it fell in idle time. A method of its
   * own, taking the time from the field, so the three skips and the new
   * earliest are inlined here rather than called from send() with the time
   * boxed each time.
   */
  private skipIdleOverhead(): void {
    const now = this.sendStart;
    this.skp.skipTo(now);
    this.ack.skipTo(now);
    this.fc.skipTo(now);
    this.nextDue = this.earliestDue();
  }

  /** The earliest due time of the SKP, Ack and UpdateFC grids. */
  private earliestDue(): number {
    const a = this.skp.due, b = this.ack.due, c = this.fc.due;
    const m = a < b ? a : b;
    return m < c ? m : c;
  }

  private wakeAt(t: Time): void {
    if (t < this.wakeTime) {
      this.wakeTime = t;
      this.sim.schedule(t - this.sim.now, LinkDirection.onWake, this, 0);
    }
  }

  private static onWake(self: LinkDirection): void {
    // An earlier wake may have superseded this one; only the pending one clears the mark.
    if (self.sim.now >= self.wakeTime) self.wakeTime = Infinity;
    self.pump();
  }

  private static onArrive(self: LinkDirection): void {
    const f = self.inFlight;
    const tlp = f.headTlp(), queuedAt = f.head(FLIGHT_TIME);
    f.shift();
    self.tlpsDelivered++;
    if (self.trace !== null) {
      const now = self.sim.now;
      // latency = queueing + serialization (with any overhead ahead of it) + propagation; a = credit class (0 P, 1 NP, 2 Cpl); b = TLP bytes.
      self.trace.record(now, tlp.txn, tlp.payloadBytes, now - queuedAt, tlp.cls, tlp.bytes, self.labels![tlp.type]);
    }
    self.receiver.receive(tlp, self);
  }

  // ---------------------------------------------------------------- wire arithmetic

  /** Time of `units` wire units from the anchor, ps, unrounded (exact except Flit Mode's single division by 236). */
  private offsetPs(units: number): number {
    return (units * this.linkBytePs) / this.unitsPerLinkByte;
  }

  private tlpUnits(bytes: number): number {
    if (bytes !== this.lastTlpBytes) {
      this.lastTlpUnits = Math.round(tlpWireBytes(bytes, this.gen) * this.unitsPerLinkByte);
      this.lastTlpBytes = bytes;
    }
    return this.lastTlpUnits;
  }

  /** A link-layer cost given in ps (link-timing's schedules) as wire units; they are whole link bytes for every generation. */
  private psToUnits(ps: number, what: string): number {
    const units = (ps / this.linkBytePs) * this.unitsPerLinkByte;
    const whole = Math.round(units);
    if (Math.abs(units - whole) > 1e-6 * Math.max(1, whole)) {
      throw new Error(`model bug: a ${what} on Gen${this.gen} x${this.width} is ${units / this.unitsPerLinkByte} link bytes, not a whole number`);
    }
    return whole;
  }

  /**
   * Moves the anchor forward by a whole number of ps inside a long busy period
   * so the unit count stays small; wire-free times and grid due times are
   * absolute and do not change.
   */
  private reanchor(): void {
    const moved = Math.floor(this.units / this.wholePsUnits) * this.wholePsUnits;
    this.anchor += this.offsetPs(moved);
    this.units -= moved;
  }
}

/** Smallest p (a power of two) with p × linkBytePs a whole number of ps. */
function wholePsUnits(linkBytePs: number): number {
  for (let p = 1; p <= MAX_TICK_SEARCH; p *= 2) if (Number.isInteger(p * linkBytePs)) return p;
  throw new Error(`model bug: byte time ${linkBytePs} ps has no power-of-two denominator`);
}

function assertPs(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer number of ps, got ${value}`);
}

// ---------------------------------------------------------------- the link

/**
 * A link between ends A and B: `aToB` carries TLPs from A to B under the
 * credits B advertises, `bToA` the other way. Hand a TLP to a direction with
 * `receive(tlp, from)`; the far end gets `receive(tlp, direction)` and calls
 * `direction.release(tlp)` when its buffer is free.
 */
export class Link {
  readonly gen: PcieGen;
  readonly width: LinkWidth;
  readonly mps: number;
  readonly propagationPs: Time;
  readonly ecrc: boolean;
  readonly dllp: DllpPolicy;
  readonly aToB: LinkDirection;
  readonly bToA: LinkDirection;

  constructor(sim: Simulation, params: LinkParams, a: LinkEnd = {}, b: LinkEnd = {}) {
    const name = params.name ?? 'link';
    this.dllp = params.dllp ?? 'recommended';
    this.gen = params.gen;
    this.width = params.width;
    this.mps = params.mps;
    this.propagationPs = params.propagationPs;
    this.ecrc = params.ecrc ?? false;
    this.aToB = new LinkDirection(sim, params, b, `${name}.ab`);
    this.bToA = new LinkDirection(sim, params, a, `${name}.ba`);
  }
}

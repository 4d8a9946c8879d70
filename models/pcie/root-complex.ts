/**
 * A root complex, first version: root ports, a path to host memory, and
 * peer-to-peer forwarding between root ports under a per-root-complex policy.
 *
 * What it models
 *  - Root ports. Each is the TlpReceiver at the upstream end of its link (it
 *    advertises `credits` for the link's upstream direction) and sends
 *    downstream by handing TLPs to its egress, the link's downstream
 *    direction. A TLP received holds its credits until it leaves the root
 *    complex's buffers (see each path below).
 *  - Traversal: every TLP that enters through a root port crosses the root
 *    complex once, a fixed `traversal` latency (no vendor figure; est.
 *    100-200 ns, the gem5 PCIe work assumed 150 ns: SOURCES.md). For a
 *    memory read it is charged once, on the way in; the completions go
 *    straight from the memory controller to the root port. A P2P request or
 *    completion pays it once per crossing. One event per crossing; a root
 *    complex with one root port is handed each TLP when it starts on the
 *    link, with its arrival time (RootPort.receiveAhead), so the link needs
 *    no arrival event; and a request to memory whose crossing nothing can
 *    change (no IOMMU hook, no idle wake, nothing crossing ahead of it) is
 *    handed to the memory at once, dated when it crosses, with no event at
 *    all (crossAhead; stats() leaves it out until then).
 *  - Package idle wake (`idleWake`, off by default): a client processor
 *    whose cores sleep services a DMA by breaking out of its package
 *    C-state, and "upon completion of all outstanding memory requests"
 *    returns to the deeper one (Intel Xeon E3-1200 v3 datasheet vol. 1
 *    §4.2.5; later client datasheets' package C2). So a TLP that comes in
 *    while nothing is inside the root complex (no request crossing, being
 *    translated, or at the memory) waits `idleWake` before its traversal,
 *    and so does every TLP behind it (in order); one that comes in while
 *    another is inside finds the package awake. Unloaded, one-at-a-time
 *    DMAs pay it every time, a loaded stream only once. Whether the package
 *    is idle is judged as the TLP comes in (an arrival event each: such a
 *    root complex takes no TLP ahead, RootPort.receiveAhead). Which
 *    package state a wake finds (`deepIdleWakes`: deeper states, each with
 *    its share of wakes, its exit and its entry, part of which a wake may
 *    still have to wait out) is drawn per wake from the root complex's own
 *    random stream: the PCU's entry policy and timers (which state, after
 *    how long idle, the OS's timer ticks) are left out, so the shares are
 *    the measured ones, not a consequence of the idle time.
 *  - IOMMU hook: `translate(addr, requester)` is called on every request
 *    after traversal and before routing (none: identity, no cost). A
 *    translation delay holds the request, and every request behind it, in
 *    order (an in-order translation stage: no hit-under-miss); `ok: false`
 *    is a translation fault and the request is discarded (counted).
 *  - Memory: requests whose address lies in the memory's range go to a
 *    MemoryCompleter (completer.ts), which releases the request's credits when
 *    the memory starts on it and returns read data as CplDs split at
 *    MPS / RCB (`completionMode` 'mps' or 'rcb'; requests longer than
 *    `completionCoalescing` in MPS-sized pieces either way; with
 *    `completionCoalescingBlock`, only those spanning a whole aligned block
 *    of that size, the Xeon E5 v1-v3 hosts' whole 512-byte requests), and
 *    hands them on at most one per `completionInterval` (a slot each: the
 *    slot of a whole 64-byte line, all of it whatever the payload, or
 *    `completionIntervalFixedShare` of it and the rest by payload; 0: no
 *    pacing). Completions are routed to the root port whose requester IDs
 *    include the requester (§2.2.6).
 *  - P2P between root ports: a request whose address lies in another root
 *    port's ranges is forwarded to that port under `p2pRead` / `p2pWrite`:
 *    'full' forwards it; 'throttled' forwards it through a bandwidth cap
 *    (writes: their payload; reads: the payload of the completions coming
 *    back, since that is where a read's data flows); 'dropped' discards it
 *    (counted; for a read, the requester's completion timeout fires later).
 *    A forwarded TLP holds its ingress credits until the egress link starts
 *    sending it.
 *  - Per pair and direction: `p2pPairs` overrides the policy for one ordered
 *    pair of root ports (the requester's, the completer's), for reads, writes
 *    or both, with its own bandwidth cap if throttled; so A→B may work while
 *    B→A is dropped (dri-devel, 28 Mar 2018: "when you can do writes between
 *    A and B that doesn't mean that writes between B and A work"). The
 *    policies are looked up in a port-pair table built as root ports are
 *    added; a pair without an exception shares the root complex's cap.
 *  - Ordering: one FIFO. Everything a root complex receives crosses it in
 *    arrival order (constant traversal), and the memory serves in arrival
 *    order, so no request passes another and completions to one requester
 *    leave in the order their data became ready. That is stronger than the
 *    spec requires (a posted write may pass a read) and never weaker.
 *  - Requests to no known address (no memory, no root port range), or that
 *    start in memory and run past its end: an Unsupported Request, counted
 *    and discarded. Messages end at the root complex (counted, no effect).
 *
 * Left out: Unsupported Request / Completer Abort completions (a discarded
 * read is seen by its requester as a completion timeout, not a UR status),
 * requests the root complex originates itself (CPU MMIO to BARs), the
 * root complex's internal buffer limits beyond the advertised credits,
 * multiple host bridges / sockets, posted-write passing inside the root
 * complex, and interrupts.
 */
import { z } from 'zod';
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize, duration, rate } from '../../src/scenario/units.js';
import type { Simulation } from '../../src/sim/simulation.js';
import type { RandomStream } from '../../src/sim/random.js';
import type { Time } from '../../src/sim/time.js';
import { DEFAULT_CREDITS, type CreditAdvertisement } from './credits.js';
import { inRange, type AddressRange, type DatedSender, type EarlyReceiver, type PortRoutes, type Tlp, type TlpReceiver, type TlpSender } from './fabric.js';
import { MemoryCompleter, isCoalescingBlock } from './completer.js';
import { CACHE_LINE_BYTES, psPerByte, type Memory } from './memory.js';
import { RowQueue, TlpQueue } from './tlp-queue.js';
import { READ_COMPLETION_BOUNDARIES } from './tlp.js';
import { SPEC_DEFAULT_MPS, transferSize } from './dma-engine.js';

// ---------------------------------------------------------------- parameters

/** Root Port RCB at reset: Link Control bit 3 = 0b, 64 bytes (PCIe Base Spec §7.5.3.7). Presets give what a platform sets. */
export const SPEC_DEFAULT_ROOT_PORT_RCB = 64;

const creditCount = z.union([z.number().int().nonnegative(), z.literal('infinite')]);
const creditPool = z.strictObject({ header: creditCount, data: creditCount });
/** A credit advertisement (credits.ts): header and data credits per class, or 'infinite'. */
export const creditAdvertisement = z.strictObject({ P: creditPool, NP: creditPool, Cpl: creditPool })
  .describe('Flow-control credits advertised per class: { P, NP, Cpl } each { header, data } (data credit = 16 B), or "infinite"');

const p2pPolicy = z.enum(['full', 'throttled', 'dropped']);
type P2pPolicy = z.output<typeof p2pPolicy>;

/** A root port by name, as a topology names them: rp0, rp1, ... */
const rootPortName = z.string().regex(/^rp\d+$/, 'expected a root port name, e.g. "rp0"');
/** The index of root port "rp<k>". */
export function rootPortIndex(name: string): number {
  return Number(name.slice(2));
}

const p2pPairException = z.strictObject({
  from: rootPortName.describe("The requester's root port"),
  to: rootPortName.describe("The completer's root port (where the target BAR is)"),
  read: p2pPolicy.optional().describe('Reads from `from` to `to` (default: p2pRead)'),
  write: p2pPolicy.optional().describe('Writes from `from` to `to` (default: p2pWrite)'),
  readBandwidth: rate().optional().describe("This pair's own cap when its reads are throttled (default: the shared p2pReadBandwidth)"),
  writeBandwidth: rate().optional().describe("This pair's own cap when its writes are throttled (default: the shared p2pWriteBandwidth)"),
});
export type P2pPairException = z.output<typeof p2pPairException>;

export const rootComplexParams = z.strictObject({
  traversal: duration().describe('Latency of one crossing of the root complex (presets give it: no vendor figure, est. 100-200 ns)'),
  idleWake: duration().default(0).describe('Wait of a TLP that finds nothing inside the root complex: the package C-state exit of a client processor whose cores sleep (0: off)'),
  deepIdleWakes: z.array(z.strictObject({
    share: z.number().gt(0).lt(1).describe('Fraction of idle wakes that find the package in this state'),
    wake: duration().describe('Its exit: the wait instead of idleWake'),
    entry: duration().default(0).describe('Its entry: a wake that finds the package still entering the state waits for the rest of the entry too, so the wait is drawn uniformly from wake to wake + entry (0: always wake)'),
  })).default([])
    .describe("Deeper package states an idle wake may find instead of idleWake's: { share, wake } each, shares adding up to less than 1 (the rest wake in idleWake); which one each wake finds is drawn from the root complex's `idle-wake` random stream (empty: every wake is idleWake)"),
  mps: transferSize.default(SPEC_DEFAULT_MPS).describe('Max_Payload_Size the completions are split at, bytes'),
  rcb: z.number().int().refine((v) => (READ_COMPLETION_BOUNDARIES as readonly number[]).includes(v), { message: 'expected 64 or 128' })
    .default(SPEC_DEFAULT_ROOT_PORT_RCB).describe('Read Completion Boundary of the root ports, 64 or 128 bytes'),
  completionMode: z.enum(['mps', 'rcb']).default('mps').describe("'mps': completions as large as MPS allows; 'rcb': one completion per RCB block"),
  completionCoalescing: byteSize().optional().describe("Read requests longer than this are answered in MPS-sized completions whatever completionMode says: the host coalesces a large read's cache lines (unset: never)"),
  completionCoalescingBlock: byteSize().refine((v) => isCoalescingBlock(v, READ_COMPLETION_BOUNDARIES[0]), { message: 'expected a power of two from 64 to 4096 bytes' }).optional().describe('With completionCoalescing: only a read request spanning the whole of a naturally aligned block of this many bytes (its first RCB block to its last) is coalesced; shorter or straddling ones follow completionMode (unset: every request past completionCoalescing)'),
  completionCoalescingHold: duration().default(0).describe('With completionCoalescingBlock: after a read request that is not a whole block, even whole blocks are answered per completionMode for this long (0: each request on its own)'),
  completionInterval: duration().default(0).describe('Least time between two memory read completions the root complex hands its root ports, for a completion of one whole 64-byte line (0: none): a host whose completions each take a slot'),
  completionIntervalFixedShare: z.number().min(0).max(1).default(1).describe('The share of completionInterval a completion takes whatever its payload; the rest goes by its payload, a line\'s worth for 64 bytes (1: every completion the whole slot)'),
  ecrc: z.boolean().default(false).describe('Add ECRC to the completions the root complex generates'),
  p2pRead: p2pPolicy.describe("Reads between root ports: 'full', 'throttled' (p2pReadBandwidth cap on their completions) or 'dropped' (completion timeout)"),
  p2pWrite: p2pPolicy.describe("Writes between root ports: 'full', 'throttled' (p2pWriteBandwidth cap) or 'dropped'"),
  p2pReadBandwidth: rate().optional().describe('Cap on P2P read data when p2pRead is throttled, e.g. "7.1 GB/s"'),
  p2pWriteBandwidth: rate().optional().describe('Cap on P2P write data when p2pWrite is throttled'),
  p2pPairs: z.array(p2pPairException).default([])
    .describe('Exceptions for ordered pairs of root ports: { from, to, read?, write?, readBandwidth?, writeBandwidth? }; A→B and B→A are separate pairs'),
  credits: creditAdvertisement.optional().describe('Credits each root port advertises to its link (default: credits.ts DEFAULT_CREDITS, the unscaled maxima)'),
}).superRefine((p, ctx) => {
  const deepShare = p.deepIdleWakes.reduce((sum, d) => sum + d.share, 0);
  if (deepShare >= 1) ctx.addIssue({ code: 'custom', path: ['deepIdleWakes'], message: `the shares add up to ${deepShare}: they must leave idleWake a share (below 1 in all)` });
  if (p.deepIdleWakes.length > 0 && p.idleWake === 0) ctx.addIssue({ code: 'custom', path: ['deepIdleWakes'], message: 'deeper package states need idleWake set (the shallow state the rest of the wakes find)' });
  if (p.completionCoalescingHold > 0 && p.completionCoalescingBlock === undefined) ctx.addIssue({ code: 'custom', path: ['completionCoalescingHold'], message: 'needs completionCoalescingBlock: the hold follows read requests that are not whole blocks' });
  if (p.p2pRead === 'throttled' && p.p2pReadBandwidth === undefined) ctx.addIssue({ code: 'custom', path: ['p2pReadBandwidth'], message: "required when p2pRead is 'throttled'" });
  if (p.p2pWrite === 'throttled' && p.p2pWriteBandwidth === undefined) ctx.addIssue({ code: 'custom', path: ['p2pWriteBandwidth'], message: "required when p2pWrite is 'throttled'" });
  const seen = new Set<string>();
  p.p2pPairs.forEach((x, i) => {
    const key = `${x.from}>${x.to}`;
    if (x.from === x.to) ctx.addIssue({ code: 'custom', path: ['p2pPairs', i, 'to'], message: `same root port as from (${x.from}): P2P between root ports needs two` });
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['p2pPairs', i], message: `a second exception for ${x.from} → ${x.to}` });
    seen.add(key);
    if (x.read === 'throttled' && x.readBandwidth === undefined && p.p2pReadBandwidth === undefined) ctx.addIssue({ code: 'custom', path: ['p2pPairs', i, 'readBandwidth'], message: "required when read is 'throttled' and the root complex has no p2pReadBandwidth" });
    if (x.write === 'throttled' && x.writeBandwidth === undefined && p.p2pWriteBandwidth === undefined) ctx.addIssue({ code: 'custom', path: ['p2pPairs', i, 'writeBandwidth'], message: "required when write is 'throttled' and the root complex has no p2pWriteBandwidth" });
  });
});
export type RootComplexParams = z.output<typeof rootComplexParams>;

export const rootComplexStats: readonly StatDecl[] = [
  { name: 'memory_reads', unit: 'requests', description: 'Read requests served from memory' },
  { name: 'memory_writes', unit: 'requests', description: 'Write requests absorbed by memory' },
  { name: 'completions_sent', unit: 'TLPs', description: 'CplD TLPs generated for memory reads' },
  { name: 'p2p_forwarded', unit: 'TLPs', description: 'Requests and completions forwarded between root ports' },
  { name: 'p2p_reads_dropped', unit: 'requests', description: 'P2P read requests discarded by policy' },
  { name: 'p2p_writes_dropped', unit: 'requests', description: 'P2P write requests discarded by policy' },
  { name: 'unsupported_requests', unit: 'requests', description: 'Requests to no known address, discarded' },
  { name: 'translation_faults', unit: 'requests', description: 'Requests the IOMMU hook refused, discarded' },
];

/** What the IOMMU hook answers: extra delay, and whether the access may proceed. */
export interface TranslateResult {
  readonly delayPs: Time;
  readonly ok: boolean;
}
/** IOMMU hook: called for every request after traversal. */
/** readBytes: the bytes a memory read asks for (0 for anything else). */
export type TranslateFn = (addr: number, requester: number, readBytes: number) => TranslateResult;

export interface RootComplexStats {
  readonly tlpsIn: number;
  readonly memoryReads: number;
  readonly memoryWrites: number;
  readonly completionsSent: number;
  readonly p2pForwarded: number;
  readonly p2pReadsDropped: number;
  readonly p2pWritesDropped: number;
  readonly unsupportedRequests: number;
  readonly unroutableCompletions: number;
  readonly translationFaults: number;
  /** Msg/MsgD TLPs that ended at the root complex. */
  readonly messagesReceived: number;
  /** TLPs inside the root complex now: crossing, translating, throttled, or at the memory. */
  readonly inside: number;
  /** The part of `inside` not routed yet: crossing or translating (the rest is counted where it was routed). */
  readonly unrouted: number;
  /** Time TLPs waited for the package to wake (idleWake) or for one ahead of them that did, beyond their traversal. */
  readonly idleWaitPs: number;
}

// ---------------------------------------------------------------- root port

const UNCONNECTED: TlpReceiver = Object.freeze({
  receive(): void {
    throw new Error('a root port sent a TLP before connect() gave it an egress (its link\'s downstream direction)');
  },
});

/**
 * One root port: the receiver at the upstream end of a link, and the sender
 * of everything going down it. As a TlpSender it stands for the link that
 * delivered to it: whoever holds a TLP that came in through this port
 * calls `port.release(tlp)` and the credits go back up that link.
 */
export class RootPort implements EarlyReceiver, DatedSender {
  egress: TlpReceiver = UNCONNECTED;
  private upstream: TlpSender | null = null;
  /** The upstream sender again if it takes dated releases (fabric.ts DatedSender), else null. */
  private datedUpstream: DatedSender | null = null;

  constructor(
    private readonly rc: RootComplex,
    readonly index: number,
    /** Address ranges (BARs) and requester IDs of the functions below this port. */
    readonly routes: PortRoutes,
    readonly credits: CreditAdvertisement,
  ) {}

  /** The TlpReceiver this port sends downstream through (its link's downstream direction). */
  connect(egress: TlpReceiver): this {
    this.egress = egress;
    return this;
  }

  receive(tlp: Tlp, from: TlpSender): void {
    this.from(from);
    this.rc.accept(tlp, this, this.rc.sim.now);
  }

  /**
   * The link starts `tlp`, which arrives at `at` (fabric.ts EarlyReceiver): its
   * traversal is timed from `at`, so no arrival event is needed. Only in a root
   * complex with one root port: with more, TLPs from several ports finish
   * their traversal together, and the memory serves them in the order of
   * their arrivals, which an event scheduled ahead would not keep. Not with
   * idleWake either: whether the package is idle is judged as the TLP comes
   * in, by what is inside then, which its start on the link cannot know.
   */
  receiveAhead(tlp: Tlp, from: TlpSender, at: number): boolean {
    if (!this.rc.singlePort || this.rc.judgesIdle) return false;
    this.from(from);
    this.rc.accept(tlp, this, at);
    return true;
  }

  /**
   * Without idleWake a TLP's traversal is timed from its arrival alone, so it
   * may be handed over before its start on the link (a dated start, link.ts
   * startAt; fabric.ts EarlyReceiver.takesBeforeStart). With it, none is
   * taken ahead (receiveAhead), and none may start ahead either: its arrival
   * event is then scheduled as the TLP starts, as a traced link schedules
   * it, so it runs in the same order among the events of its instant, which
   * the idleness judged then depends on.
   */
  get takesBeforeStart(): boolean {
    return !this.rc.judgesIdle;
  }

  private from(sender: TlpSender): void {
    if (this.upstream !== sender) {
      if (this.upstream !== null) throw new Error(`model bug: root port ${this.index} received from two different senders; a root port has one link`);
      this.upstream = sender;
      this.datedUpstream = typeof (sender as Partial<DatedSender>).releaseAt === 'function' ? sender as DatedSender : null;
    }
  }

  release(tlp: Tlp): void {
    this.upstream!.release(tlp);
  }

  /** Whether the link into this port takes dated releases (releaseAt): RootComplex.crossAhead. */
  get datesReleases(): boolean {
    return this.datedUpstream !== null;
  }

  /** The buffer `tlp` took is free at `at` (only when datesReleases). */
  releaseAt(tlp: Tlp, at: number): void {
    this.datedUpstream!.releaseAt(tlp, at);
  }
}

/** The completer's output: completions for memory reads, routed to a root port by requester ID. */
class MemoryCompletionRouter implements TlpReceiver {
  /** @param pacer the root complex's completion pacing (`completionInterval`), or null: completions go straight to the root port. */
  constructor(private readonly rc: RootComplex, private readonly pacer: BandwidthCap | null) {}

  receive(tlp: Tlp, from: TlpSender): void {
    const port = this.rc.portForRequester(tlp.requester);
    if (port === null) {
      throw new Error(`model bug: ${this.rc.name} has a completion for requester ${tlp.requester}, which is below none of its root ports (PortRoutes.requesterIds)`);
    }
    if (this.pacer !== null) this.pacer.submit(tlp, from, port.index);
    else port.egress.receive(tlp, from);
  }
}

/** BandwidthCap's queue column: the target root port. */
const TARGET = 0;

/**
 * A cap on a stream of TLPs: P2P through a root complex that throttles it
 * (payload / bandwidth a TLP: a TLP goes on when its time is over), or
 * memory read completions paced one per slot (`completionInterval`, part
 * of it by payload: completionIntervalFixedShare; a TLP goes on when its
 * slot starts, so a lone completion is not delayed). Each TLP waits its
 * turn, then goes to its target port. FIFO, so due times never decrease.
 */
class BandwidthCap {
  private readonly q = new TlpQueue(1);
  private freeAt = 0;
  private readonly psPerByte: number;
  private readonly slotPs: number;
  /** Slots (a TLP goes on when its slot starts), not a cap (when its time is over). */
  private readonly paced: boolean;

  /** Caps payload at `gbytesPerSecond`, or paces TLPs one per `slotPs` plus `slotPsPerByte` a byte of the payload. */
  constructor(private readonly sim: Simulation, private readonly rc: RootComplex, rate: { gbytesPerSecond: number } | { slotPs: number; slotPsPerByte: number }) {
    const paced = this.paced = 'slotPs' in rate;
    this.slotPs = paced ? rate.slotPs : 0;
    this.psPerByte = paced ? rate.slotPsPerByte : psPerByte(rate.gbytesPerSecond);
  }

  get size(): number {
    return this.q.size;
  }

  /** Sends `tlp` (from `ingress`: the port it came in through, or the memory completer) to root port `target` once the cap allows. */
  submit(tlp: Tlp, ingress: TlpSender, target: number): void {
    const now = this.sim.now;
    const start = this.freeAt > now ? this.freeAt : now;
    this.freeAt = start + this.slotPs + tlp.payloadBytes * this.psPerByte;
    this.q.set(this.q.push(tlp, ingress), TARGET, target);
    this.sim.schedule(Math.ceil(this.paced ? start : this.freeAt) - now, BandwidthCap.onDue, this, 0);
  }

  private static onDue(self: BandwidthCap): void {
    const q = self.q;
    const tlp = q.headTlp(), ingress = q.headSender(), target = q.head(TARGET);
    q.shift();
    self.rc.ports[target]!.egress.receive(tlp, ingress);
  }
}

// ---------------------------------------------------------------- root complex

const NO_PORT = -1;
/** P2P policies in the port-pair tables. */
const FULL = 0, THROTTLED = 1, DROPPED = 2;
const POLICY_CODE: Record<P2pPolicy, number> = { full: FULL, throttled: THROTTLED, dropped: DROPPED };
/** The translating queue's columns: when the request's translation is done, and when it entered the stage. */
const DONE = 0, ENTERED = 1;
/** Column of the crossing queue: when the TLP came in. */
const ARRIVED = 0;
/** Columns of the log of requests handed to memory ahead of their crossing (crossAhead): in, crossed, a read (1) or a write (0), and what the completer counts of it in `pending` from the hand-over. */
const D_ARRIVED = 0, D_CROSSED = 1, D_READ = 2, D_PENDING = 3;
/** Requester IDs are 16 bits: bus 8, device 5, function 3 (§2.2.6.2). */
const REQUESTER_ID_COUNT = 1 << 16;

export class RootComplex {
  readonly name: string;
  readonly ports: RootPort[] = [];
  readonly memory: Memory;
  /** IOMMU hook; null = identity, no cost. Set it before the run. */
  translate: TranslateFn | null = null;

  private readonly traversalPs: Time;
  private readonly idleWakePs: Time;
  /** Deeper package states (deepIdleWakes): cumulative shares, exits and entries, and the stream a wake draws from (null: none). */
  private readonly deepShareUpTo: Float64Array;
  private readonly deepWakePs: Float64Array;
  private readonly deepEntryPs: Float64Array;
  private readonly wakeDraws: RandomStream | null;
  /** When the last TLP in has crossed: one woken after an idle wait holds those behind it (FIFO). */
  private lastCrossed = 0;
  private idleWaitPs = 0;
  private readonly portCredits: CreditAdvertisement;
  private readonly p2pParams: Pick<RootComplexParams, 'p2pRead' | 'p2pWrite' | 'p2pReadBandwidth' | 'p2pWriteBandwidth' | 'p2pPairs'>;
  private readonly completer: MemoryCompleter;
  /** Memory read completions paced at `completionInterval`, or null (unset: none). */
  private readonly completionPacer: BandwidthCap | null;
  /** The caps every pair without one of its own shares (null unless that direction is throttled). */
  private readonly readCap: BandwidthCap | null;
  private readonly writeCap: BandwidthCap | null;
  /** Per ordered pair of root ports, index requester port × ports + completer port: policy codes, and the cap a throttled pair goes through. */
  private readPolicy = new Uint8Array(0);
  private writePolicy = new Uint8Array(0);
  private readCaps: (BandwidthCap | null)[] = [];
  private writeCaps: (BandwidthCap | null)[] = [];
  /** Every cap, shared and per pair, once. */
  private caps: BandwidthCap[] = [];
  /** Port index per requester ID, NO_PORT if none. */
  private readonly portByRequester = new Int32Array(REQUESTER_ID_COUNT).fill(NO_PORT);

  /** TLPs crossing (constant delay, so FIFO); the sender is the ingress port; column ARRIVED when each came in (see accept). */
  private readonly crossing = new TlpQueue(1);
  /** Requests in the translation stage, in order; column DONE is when each is done. */
  private readonly translating = new TlpQueue(2);
  /** Requests handed to memory ahead of their crossing (crossAhead), in order, until they have crossed. */
  private readonly crossedAhead = new RowQueue(4);

  private tlpsIn = 0;
  private memoryReads = 0;
  private memoryWrites = 0;
  private p2pForwarded = 0;
  private p2pReadsDropped = 0;
  private p2pWritesDropped = 0;
  private unsupportedRequests = 0;
  private unroutableCompletions = 0;
  private translationFaults = 0;
  private messagesReceived = 0;

  constructor(readonly sim: Simulation, params: RootComplexParams, memory: Memory, name = 'rc') {
    this.name = name;
    this.memory = memory;
    this.traversalPs = params.traversal;
    this.idleWakePs = params.idleWake;
    const deep = params.deepIdleWakes;
    let upTo = 0;
    this.deepShareUpTo = Float64Array.from(deep, (d) => (upTo += d.share));
    this.deepWakePs = Float64Array.from(deep, (d) => d.wake);
    this.deepEntryPs = Float64Array.from(deep, (d) => d.entry);
    this.wakeDraws = deep.length > 0 ? sim.rng(`${name}.idle-wake`) : null;
    this.portCredits = params.credits ?? DEFAULT_CREDITS;
    this.p2pParams = params;
    const share = params.completionIntervalFixedShare;
    this.completionPacer = params.completionInterval > 0
      ? new BandwidthCap(sim, this, { slotPs: params.completionInterval * share, slotPsPerByte: (params.completionInterval * (1 - share)) / CACHE_LINE_BYTES })
      : null;
    this.completer = new MemoryCompleter(sim, memory, { mps: params.mps, rcb: params.rcb, completionMode: params.completionMode, coalesceAbove: params.completionCoalescing, coalesceBlock: params.completionCoalescingBlock, coalesceHold: params.completionCoalescingHold, ecrc: params.ecrc })
      .connect(new MemoryCompletionRouter(this, this.completionPacer));
    this.readCap = params.p2pRead === 'throttled' ? new BandwidthCap(sim, this, { gbytesPerSecond: params.p2pReadBandwidth! }) : null;
    this.writeCap = params.p2pWrite === 'throttled' ? new BandwidthCap(sim, this, { gbytesPerSecond: params.p2pWriteBandwidth! }) : null;
    for (const x of params.p2pPairs) {
      const bad = [x.from, x.to].find((name) => !Number.isInteger(rootPortIndex(name)));
      if (bad !== undefined) throw new RangeError(`${name}: p2pPairs names "${bad}", which is not a root port name (rp<k>)`);
    }
  }

  /** Adds a root port with the routes of what lies below it. */
  addRootPort(routes: PortRoutes = { ranges: [], requesterIds: [] }, credits: CreditAdvertisement = this.portCredits): RootPort {
    const index = this.ports.length;
    for (const id of routes.requesterIds) {
      if (!Number.isInteger(id) || id < 0 || id >= REQUESTER_ID_COUNT) throw new RangeError(`${this.name}: requester ID ${id} is not a 16-bit ID`);
      const other = this.portByRequester[id]!;
      if (other !== NO_PORT) throw new RangeError(`${this.name}: requester ID ${id} is below root ports ${other} and ${index}`);
      this.portByRequester[id] = index;
    }
    for (const r of routes.ranges) {
      if (overlaps(r, this.memory.range)) throw new RangeError(`${this.name}: root port ${index} range ${fmtRange(r)} overlaps memory ${fmtRange(this.memory.range)}`);
      for (const p of this.ports) for (const q of p.routes.ranges) {
        if (overlaps(r, q)) throw new RangeError(`${this.name}: root port ${index} range ${fmtRange(r)} overlaps root port ${p.index}'s ${fmtRange(q)}`);
      }
    }
    const port = new RootPort(this, index, routes, credits);
    this.ports.push(port);
    this.buildPairTables();
    return port;
  }

  /** The P2P policy for reads or writes from root port `from` to root port `to` (after exceptions). */
  p2pPolicy(op: 'read' | 'write', from: number, to: number): P2pPolicy {
    const n = this.ports.length;
    if (!(from >= 0 && from < n && to >= 0 && to < n)) throw new RangeError(`${this.name}: root ports are 0 to ${n - 1}, got ${from} → ${to}`);
    const code = (op === 'read' ? this.readPolicy : this.writePolicy)[from * n + to]!;
    return code === FULL ? 'full' : code === THROTTLED ? 'throttled' : 'dropped';
  }

  /**
   * The port-pair tables, rebuilt as each root port is added (at build time,
   * so routing is two array reads per P2P request). An exception naming a
   * port not added yet takes effect once it is.
   */
  private buildPairTables(): void {
    const n = this.ports.length, p = this.p2pParams;
    this.readPolicy = new Uint8Array(n * n).fill(POLICY_CODE[p.p2pRead]);
    this.writePolicy = new Uint8Array(n * n).fill(POLICY_CODE[p.p2pWrite]);
    this.readCaps = new Array<BandwidthCap | null>(n * n).fill(p.p2pRead === 'throttled' ? this.readCap : null);
    this.writeCaps = new Array<BandwidthCap | null>(n * n).fill(p.p2pWrite === 'throttled' ? this.writeCap : null);
    const caps = [this.readCap, this.writeCap, this.completionPacer].filter((c): c is BandwidthCap => c !== null);
    for (const x of p.p2pPairs) {
      const from = rootPortIndex(x.from), to = rootPortIndex(x.to);
      if (from >= n || to >= n) continue;
      const k = from * n + to;
      const dirs = [
        [x.read, x.readBandwidth, this.readPolicy, this.readCaps, p.p2pRead, this.readCap, p.p2pReadBandwidth],
        [x.write, x.writeBandwidth, this.writePolicy, this.writeCaps, p.p2pWrite, this.writeCap, p.p2pWriteBandwidth],
      ] as const;
      for (const [policy, bandwidth, codes, capTable, shared, sharedCap, sharedBandwidth] of dirs) {
        const eff = policy ?? shared;
        codes[k] = POLICY_CODE[eff];
        if (eff !== 'throttled') { capTable[k] = null; continue; }
        // Its own bandwidth: a cap of its own; else the shared cap, or (the shared policy not throttled) one at the shared bandwidth.
        const cap = bandwidth !== undefined ? new BandwidthCap(this.sim, this, { gbytesPerSecond: bandwidth }) : sharedCap ?? new BandwidthCap(this.sim, this, { gbytesPerSecond: sharedBandwidth! });
        capTable[k] = cap;
        if (!caps.includes(cap)) caps.push(cap);
      }
    }
    this.caps = caps;
  }

  /** The root port whose functions include `requester`, or null. */
  portForRequester(requester: number): RootPort | null {
    const i = requester >= 0 && requester < REQUESTER_ID_COUNT ? this.portByRequester[requester]! : NO_PORT;
    return i === NO_PORT ? null : this.ports[i]!;
  }

  /** True with idleWake: whether the package is idle is judged as a TLP comes in (RootPort.takesBeforeStart). */
  get judgesIdle(): boolean {
    return this.idleWakePs > 0;
  }

  /** True while the root complex has at most one root port (RootPort.receiveAhead). */
  get singlePort(): boolean {
    return this.ports.length <= 1;
  }

  /** A TLP came in through `port` at `at`: now, or later for one its link hands over ahead (RootPort.receiveAhead). */
  accept(tlp: Tlp, port: RootPort, at: number): void {
    this.tlpsIn++;
    let crossed = at + this.traversalPs;
    if (this.idleWakePs > 0) {
      // Judged as the TLP comes in: such a root complex takes none ahead (RootPort.receiveAhead).
      const idle = this.crossing.size === 0 && this.translating.size === 0 && this.completer.pending === 0;
      const woken = Math.max(crossed + (idle ? this.wakePs() : 0), this.lastCrossed);
      this.idleWaitPs += woken - crossed;
      this.lastCrossed = crossed = woken;
    } else if (this.crossing.size === 0 && this.translate === null && port.datesReleases && this.crossAhead(tlp, port, at, crossed)) {
      return;
    }
    this.crossing.set(this.crossing.push(tlp, port), ARRIVED, at);
    this.sim.schedule(crossed - this.sim.now, RootComplex.onCrossed, this, 0);
  }

  /**
   * A request that will cross at `crossed` with nothing crossing ahead of
   * it, no IOMMU hook and no idle wake: if it is for memory, what onCrossed()
   * and route() would do then is certain now, so it is done now, dated
   * `crossed` (MemoryCompleter.receiveAt; its credits go back dated too).
   * Requests reach the memory in the order they cross either way: one that
   * comes in later crosses no sooner (a fixed traversal, and TLPs come in in
   * time order: one port's link hands them over in order, and with more
   * ports each comes in at its arrival), and none is handed over while an
   * earlier one still crosses by event.
   * Counted now; stats() leaves it out until `crossed`. False: not for
   * memory, and it crosses by event.
   */
  private crossAhead(tlp: Tlp, port: RootPort, at: number, crossed: number): boolean {
    const type = tlp.type;
    if ((type !== 'MRd' && type !== 'MWr') || !this.inMemory(tlp)) return false;
    const log = this.crossedAhead, now = this.sim.now;
    while (log.size > 0 && log.head(D_CROSSED) <= now) log.shift();
    const read = type === 'MRd';
    if (read) this.memoryReads++;
    else this.memoryWrites++;
    const pending = this.completer.receiveAt(tlp, port, crossed);
    // A run that ends with this request ends when it has crossed, as with the event.
    this.sim.extendTo(crossed);
    const slot = log.push();
    log.set(slot, D_ARRIVED, at);
    log.set(slot, D_CROSSED, crossed);
    log.set(slot, D_READ, read ? 1 : 0);
    log.set(slot, D_PENDING, pending);
    return true;
  }

  /** The exit of the package state an idle wake finds: idleWake, or a deeper state's by its share (deepIdleWakes). */
  private wakePs(): Time {
    if (this.wakeDraws === null) return this.idleWakePs;
    const u = this.wakeDraws.random(), upTo = this.deepShareUpTo;
    for (let k = 0; k < upTo.length; k++) {
      if (u >= upTo[k]!) continue;
      // Where in the state's entry the wake falls: a second draw, uniform, whole ps.
      const entry = this.deepEntryPs[k]!;
      return this.deepWakePs[k]! + (entry > 0 ? Math.floor(this.wakeDraws.random() * entry) : 0);
    }
    return this.idleWakePs;
  }

  stats(): RootComplexStats {
    // TLPs handed over ahead of their arrival are not in yet: the newest crossing entries, arriving after now.
    const now = this.sim.now, q = this.crossing, early = q.newestAfter(ARRIVED, now);
    // Requests handed to memory ahead (crossAhead) that have not crossed yet: not counted at the memory, and
    // crossing if in already. The completer counts the pending ones from the hand-over.
    const d = this.crossedAhead;
    let notIn = 0, crossingAhead = 0, readsAhead = 0, writesAhead = 0, pendingAhead = 0;
    for (let k = 0; k < d.size; k++) {
      if (d.at(k, D_CROSSED) <= now) continue;
      if (d.at(k, D_READ) === 1) readsAhead++;
      else writesAhead++;
      pendingAhead += d.at(k, D_PENDING);
      if (d.at(k, D_ARRIVED) > now) notIn++;
      else crossingAhead++;
    }
    const crossingNow = q.size - early + crossingAhead;
    return {
      tlpsIn: this.tlpsIn - early - notIn,
      memoryReads: this.memoryReads - readsAhead,
      memoryWrites: this.memoryWrites - writesAhead,
      completionsSent: this.completer.completionsSent,
      p2pForwarded: this.p2pForwarded,
      p2pReadsDropped: this.p2pReadsDropped,
      p2pWritesDropped: this.p2pWritesDropped,
      unsupportedRequests: this.unsupportedRequests,
      unroutableCompletions: this.unroutableCompletions,
      translationFaults: this.translationFaults,
      messagesReceived: this.messagesReceived,
      inside: crossingNow + this.translating.size + this.completer.pending - pendingAhead + this.caps.reduce((n, c) => n + c.size, 0),
      unrouted: crossingNow + this.translating.size,
      idleWaitPs: this.idleWaitPs,
    };
  }

  metrics(): Record<string, MetricValue> {
    const s = this.stats();
    return {
      memory_reads: s.memoryReads, memory_writes: s.memoryWrites, completions_sent: s.completionsSent,
      p2p_forwarded: s.p2pForwarded, p2p_reads_dropped: s.p2pReadsDropped, p2p_writes_dropped: s.p2pWritesDropped,
      unsupported_requests: s.unsupportedRequests, translation_faults: s.translationFaults,
    };
  }

  // ---------------------------------------------------------------- internals

  private static onCrossed(self: RootComplex): void {
    const q = self.crossing;
    const tlp = q.headTlp(), port = q.headSender() as RootPort;
    q.shift();
    const type = tlp.type;
    if (type === 'CplD' || type === 'Cpl') {
      self.forwardCompletion(tlp, port);
      return;
    }
    if (type === 'Msg' || type === 'MsgD') {
      // Messages to the root complex end here (no message semantics are modelled).
      self.messagesReceived++;
      port.release(tlp);
      return;
    }
    const translate = self.translate;
    if (translate === null) {
      self.route(tlp, port);
      return;
    }
    const r = translate(tlp.addr, tlp.requester, type === 'MRd' ? tlp.length : 0);
    if (!r.ok) {
      self.translationFaults++;
      port.release(tlp);
      return;
    }
    const tq = self.translating;
    if (r.delayPs === 0 && tq.size === 0) {
      self.route(tlp, port);
      return;
    }
    // In order: a request never overtakes one still translating ahead of it.
    const now = self.sim.now;
    const done = Math.max(now + r.delayPs, tq.size > 0 ? tq.tail(DONE) : 0);
    const slot = tq.push(tlp, port);
    tq.set(slot, DONE, done);
    tq.set(slot, ENTERED, now);
    self.sim.schedule(done - now, RootComplex.onTranslated, self, 0);
  }

  private static onTranslated(self: RootComplex): void {
    const q = self.translating;
    const tlp = q.headTlp(), port = q.headSender() as RootPort, translatedPs = self.sim.now - q.head(ENTERED);
    q.shift();
    self.route(tlp, port, translatedPs);
  }

  /**
   * A request after traversal (and translation, which took it `translatedPs`):
   * to memory, to another root port, or nowhere.
   */
  private route(tlp: Tlp, port: RootPort, translatedPs = 0): void {
    const addr = tlp.addr;
    const isRead = tlp.type === 'MRd';
    const mem = this.memory.range;
    if (this.inMemory(tlp)) {
      if (isRead) this.memoryReads++;
      else this.memoryWrites++;
      this.completer.receive(tlp, port, translatedPs);
      return;
    }
    // Anything else, including a request that starts in memory and runs past its end, goes to a root port or nowhere.
    const target = inRange(mem, addr) ? NO_PORT : this.portForAddress(addr);
    if (target === NO_PORT) {
      this.unsupportedRequests++;
      port.release(tlp);
      return;
    }
    const pair = port.index * this.ports.length + target;
    const policy = isRead ? this.readPolicy[pair]! : this.writePolicy[pair]!;
    if (policy === DROPPED) {
      if (isRead) this.p2pReadsDropped++;
      else this.p2pWritesDropped++;
      port.release(tlp);
      return;
    }
    this.p2pForwarded++;
    // A throttled read is capped on its completions (its data); the request itself goes through.
    if (policy === THROTTLED && !isRead) this.writeCaps[pair]!.submit(tlp, port, target);
    else this.ports[target]!.egress.receive(tlp, port);
  }

  /** A completion from a device below one port (for a P2P read) to a requester below another. */
  private forwardCompletion(tlp: Tlp, port: RootPort): void {
    const target = this.portForRequester(tlp.requester);
    if (target === null) {
      this.unroutableCompletions++;
      port.release(tlp);
      return;
    }
    this.p2pForwarded++;
    // The read's pair is (requester's port, completer's port): the completion goes the other way.
    const cap = this.readCaps[target.index * this.ports.length + port.index]!;
    if (cap !== null) cap.submit(tlp, port, target.index);
    else target.egress.receive(tlp, port);
  }

  /** Whether all of `tlp`'s request lies in the memory (one that starts in it and runs past its end does not). */
  private inMemory(tlp: Tlp): boolean {
    const mem = this.memory.range;
    return tlp.addr >= mem.base && tlp.addr + tlp.length <= mem.base + mem.size;
  }

  private portForAddress(addr: number): number {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const ranges = ports[i]!.routes.ranges;
      for (let k = 0; k < ranges.length; k++) if (inRange(ranges[k]!, addr)) return i;
    }
    return NO_PORT;
  }
}

function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

function fmtRange(r: AddressRange): string {
  return `[0x${r.base.toString(16)}, 0x${(r.base + r.size).toString(16)})`;
}

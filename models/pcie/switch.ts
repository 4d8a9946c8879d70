/**
 * A PCIe switch: N ports, one of them upstream (towards the root complex),
 * joined by a crossbar. Each port has an ingress side, the TlpReceiver the
 * link from the attached device delivers to, with the flow-control credits
 * the switch advertises for its ingress buffer, and an egress side, which
 * hands TLPs to the link direction leaving the port.
 *
 * What it models
 *  - Routing (router.ts): requests by address, completions by requester ID,
 *    to the downstream port that claims them; what no downstream port claims
 *    goes out of the upstream port. A TLP that came in on the upstream port
 *    and that no downstream port claims, or one from a downstream port that
 *    its own port claims (a bridge forwards upstream only what lies outside
 *    its windows, so it has nowhere to go), is an Unsupported Request (a
 *    completion: an Unexpected Completion). It is counted and discarded, a
 *    simulated outcome, never an exception. A TLP carrying more payload than
 *    Max_Payload_Size is malformed (§2.2.2): counted and discarded likewise.
 *  - ACS P2P redirect (`acsRedirect`): a request or completion from one
 *    downstream port to another goes out of the upstream port instead; the
 *    root complex sends it back down (and, with an IOMMU, translates it).
 *    Linux enables P2P Request Redirect and P2P Completion Redirect together
 *    (drivers/pci/pci.c, pci_std_enable_acs), so one switch covers both.
 *  - Peer TLPs refused (`peerToPeer: 'unsupported'`): hardware that does not
 *    serve TLPs from one downstream port to another although the spec says
 *    it must (dri-devel, 28 Mar 2018: "I know a whole bunch of PCI devices
 *    which horrible ignores that"); they end as Unsupported Requests,
 *    counted and discarded. Linux's p2pdma still classifies such a pair
 *    bus-addr: it judges by topology alone.
 *  - Latency, integer ps. Let A be the time the ingress link delivers the TLP
 *    (its last byte is in: links deliver at end of serialization plus
 *    propagation) and S_in the TLP's own wire time on the ingress link, so
 *    its first byte came in at A − S_in. The TLP may start on the egress link
 *    at the earliest at
 *      cut-through:        max(A, A − S_in + latency)
 *      store-and-forward:  A + latency
 *    i.e. in cut-through `latency` is first byte in to first byte out (what
 *    switch datasheets quote: PEX8796 150 ns x16 to x16), and in
 *    store-and-forward last byte in to first byte out. The max(A, ...) is
 *    where the model simplifies: a TLP whose ingress wire time exceeds the
 *    latency (large TLPs on narrow links, e.g. 256 B at Gen3 x1 takes 284 ns)
 *    would start out before it is fully in, but the link model only starts a
 *    TLP when it is handed over, so it starts at A instead; the switch counts
 *    these (`cutThroughClamped`), as each adds up to S_in − latency. The same
 *    rule keeps the egress from finishing before the ingress has: the last
 *    byte leaves at or after A + S_out > A. An ingress without known timing
 *    (`connect` without one) has S_in = 0. TLPs from one ingress port never
 *    overtake each other on the way to the egress queues.
 *  - Egress queues and arbitration: each egress port keeps a queue per
 *    ingress port and credit class (virtual output queues, so a busy egress
 *    does not block an ingress's TLPs to other ports) and picks the next TLP
 *    round robin over ingress ports, one TLP per turn (fair per TLP, not per
 *    byte). Within one ingress-egress pair it follows the PCIe ordering rules
 *    for TLPs without Relaxed Ordering or ID-Based Ordering, as the link does
 *    (§2.4.1): a posted request may pass reads and completions, a completion
 *    may pass reads, nothing else passes. It hands the egress link at most
 *    one TLP per credit class at a time, the next one as soon as the
 *    previous one starts on the wire (the link's release), so the link is
 *    never idle while TLPs wait, and a read blocked on the next hop's credits
 *    never blocks writes behind it.
 *  - Finite ingress buffers: the ingress link may send only what the
 *    switch's advertised credits allow, and the switch releases a TLP's
 *    credits back to it only when the TLP starts on the egress wire. So a
 *    slow or blocked egress fills the buffer and stalls the sender upstream.
 *
 * What it leaves out: a shared buffer pool (the PEX8796 lends buffer space to
 * busy ports dynamically; here each port advertises fixed credits), latency
 * that depends on the port pair or width (one figure for all pairs), UR
 * completions for non-posted requests (discarded; the requester sees a
 * completion timeout), message routing other than towards the root complex,
 * multicast, virtual channels and traffic classes, Relaxed Ordering and
 * ID-Based Ordering, ACS Source Validation and Upstream Forwarding, ATS, and
 * errors (poisoned TLPs, ECRC failures).
 *
 * Hot path: per TLP one ring-buffer slot in the ingress pipeline, one in an
 * egress queue (none when the egress has nothing queued: it goes straight to
 * the link), and one event (the end of the internal latency). A two-port
 * switch is handed each TLP when it starts on the ingress link, with its
 * arrival time (arriveAhead, fabric.ts EarlyReceiver), so that link needs no
 * arrival event; and, when what happens at the end of the internal latency
 * is certain already (nothing ahead of the TLP, its egress link able to
 * start it then or soon after: startDated), it hands the TLP to the egress
 * link at once, dated, instead of from that event, and keeps a slot in the
 * egress's ahead log until the start (stats() and the ingress credits follow
 * the start, not the hand-over; not when traced, whose rows keep event
 * order). No closures are made per TLP: the event handler is static,
 * with the switch as target and the ingress port as argument.
 * Known limit of these shortcuts: the end of latency of a TLP taken ahead
 * and not dated is an event scheduled at its start on the ingress link, so
 * at the very picosecond where the egress link also starts a TLP queued
 * there it runs first; a posted write ready then is handed over before the
 * read that start lets the switch hand over, and leaves first, where with
 * the arrival's event (a traced ingress link) the read does. Ties that
 * exact (cut-through latency 0 or clamped, equal ingress and egress links)
 * are rare; the shortcuts property test found two in 5,200 generated cases.
 */
import { z } from 'zod';
import { fieldProblemIssues, throwFirstProblem, type FieldProblem } from '../../src/scenario/field-problems.js';
import type { StatDecl } from '../../src/scenario/registry.js';
import { duration } from '../../src/scenario/units.js';
import type { Simulation } from '../../src/sim/simulation.js';
import type { Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import type { TraceChannel, Tracer } from '../../src/trace/channel.js';
import { CREDIT_CLASS_COUNT, CREDIT_CLASSES, type CreditAdvertisement, type CreditCount } from './credits.js';
import {
  DATA_CREDIT_BYTES, type DatedReceiver, type DatedSender, type EarlyReceiver, type PortRoutes, type Tlp, type TlpReceiver, type TlpSender,
} from './fabric.js';
import type { Link, LinkDirection, LinkEnd } from './link.js';
import { assertGen, assertWidth, tlpWireTimePs, type LinkWidth, type PcieGen } from './link-timing.js';
import { passesOlderHeads } from './ordering.js';
import { NO_PORT, RoutingTable } from './router.js';
import { RowQueue, TlpQueue } from './tlp-queue.js';
import { TRANSFER_SIZES, type TlpType } from './tlp.js';

// ---------------------------------------------------------------- parameters

export type ForwardingMode = 'cut-through' | 'store-and-forward';

const creditCount = (what: string) =>
  z.union([z.number().int().nonnegative(), z.literal('infinite')])
    .describe(`${what} the switch advertises for each ingress port's buffer: a number, or "infinite"`);

/**
 * A switch's parameters but where its upstream port is (a topology says that
 * by its links). Timing, MPS and credits have no spec default: a preset
 * (e.g. pcie-switch-pex8796) gives them, each with its source.
 */
export const switchShape = {
  ports: z.number().int().min(2).describe('Number of ports, the upstream port included'),
  forwarding: z.enum(['cut-through', 'store-and-forward'])
    .describe('cut-through: a TLP may leave before it is fully in; store-and-forward: only once its last byte is in'),
  latency: duration()
    .describe('Internal latency: first byte in to first byte out (cut-through) or last byte in to first byte out (store-and-forward), e.g. "150 ns"'),
  acsRedirect: z.boolean().default(false)
    .describe('ACS P2P Request and Completion Redirect: TLPs between downstream ports go up to the root complex and back'),
  peerToPeer: z.enum(['forward', 'unsupported']).default('forward')
    .describe("TLPs between downstream ports without ACS redirect: 'forward' (the spec's rule), or 'unsupported' (hardware that refuses them: Unsupported Request, discarded; a read then times out, a posted write is lost)"),
  maxPayloadSize: z.number().int().refine((v) => (TRANSFER_SIZES as readonly number[]).includes(v), 'must be 128, 256, 512, 1024, 2048 or 4096')
    .describe('Max_Payload_Size of the ports, bytes; a TLP with more payload is malformed and dropped'),
  postedHeaderCredits: creditCount('Posted header credits (one per TLP)'),
  postedDataCredits: creditCount('Posted data credits (16 bytes each)'),
  nonPostedHeaderCredits: creditCount('Non-Posted header credits'),
  nonPostedDataCredits: creditCount('Non-Posted data credits'),
  completionHeaderCredits: creditCount('Completion header credits'),
  completionDataCredits: creditCount('Completion data credits'),
};

/** The credit fields of a switch's parameters, by class, with their names (for error paths). */
const CREDIT_FIELDS = [
  ['P', 'postedHeaderCredits', 'postedDataCredits'],
  ['NP', 'nonPostedHeaderCredits', 'nonPostedDataCredits'],
  ['Cpl', 'completionHeaderCredits', 'completionDataCredits'],
] as const;

type SwitchCreditParams = { readonly maxPayloadSize: number } & { readonly [K in (typeof CREDIT_FIELDS)[number][1 | 2]]: CreditCount };

/**
 * Where a switch's advertised credits fall short of PCIe Base Spec §2.6.1's
 * minimum initial advertisements: at least one header of every class and one
 * Max_Payload_Size TLP of posted and of completion data (a link could never
 * send a larger TLP into the port). Empty when none does.
 */
function switchCreditShortfalls(p: SwitchCreditParams): FieldProblem[] {
  const minData = p.maxPayloadSize / DATA_CREDIT_BYTES, out: FieldProblem[] = [];
  for (const [cls, header, data] of CREDIT_FIELDS) {
    if (creditLimit(p[header]) < 1) out.push({ field: header, message: `${cls} header credits must be at least 1 (PCIe Base Spec §2.6.1), got ${p[header]}` });
    if (cls !== 'NP' && creditLimit(p[data]) < minData) {
      out.push({ field: data, message: `${cls} data credits must cover one Max_Payload_Size TLP (${p.maxPayloadSize} B = ${minData} credits, PCIe Base Spec §2.6.1), got ${p[data]}` });
    }
  }
  return out;
}

/** switchCreditShortfalls as schema issues, so a scenario's error names the field. */
export const checkSwitchCredits = fieldProblemIssues(switchCreditShortfalls);

export const switchParams = z.strictObject({
  ...switchShape,
  upstreamPort: z.number().int().nonnegative().default(0).describe('Index of the upstream port (towards the root complex)'),
}).refine((p) => p.upstreamPort < p.ports, { message: 'upstreamPort must be one of the ports (below ports)', path: ['upstreamPort'] }).superRefine(checkSwitchCredits);

export type SwitchParams = z.output<typeof switchParams>;

/** The statistics a registered switch will report (see stats()). */
export const switchStatDecls: readonly StatDecl[] = [
  { name: 'tlps_forwarded', unit: 'TLPs', description: 'TLPs that left the switch, all ports' },
  { name: 'forwarded_payload_bytes', unit: 'B', description: 'Payload bytes of the TLPs that left the switch' },
  { name: 'unsupported_requests', unit: 'TLPs', description: 'Requests and messages no port could take (Unsupported Request), discarded' },
  { name: 'unexpected_completions', unit: 'TLPs', description: 'Completions no port could take, discarded' },
  { name: 'malformed', unit: 'TLPs', description: 'TLPs with more payload than Max_Payload_Size, discarded' },
  { name: 'acs_redirected', unit: 'TLPs', description: 'Peer-to-peer TLPs sent up to the root complex by ACS redirect' },
  { name: 'cut_through_clamped', unit: 'TLPs', description: 'TLPs whose ingress wire time exceeded the cut-through latency (the model starts them when fully in)' },
  { name: 'queueing_delay_ns', unit: 'ns', kind: 'distribution', description: 'Time from the end of the internal latency to the start on the egress wire' },
];

/** Serialization parameters of the link into a port, for cut-through timing. */
export interface IngressTiming {
  readonly gen: PcieGen;
  readonly width: LinkWidth;
}

export interface SwitchOptions {
  /** Component name for traces. Default 'switch'. */
  readonly name?: string;
  /** Records one `forward` row per TLP as it starts on the egress wire (hot: only when a trace selection names the kind). */
  readonly tracer?: Tracer;
}

export interface SwitchPortStats {
  /** TLPs that came in on this port (discarded ones included), and their payload bytes. */
  readonly tlpsIn: number;
  readonly payloadBytesIn: number;
  /** TLPs that left through this port (started on its egress wire), their payload and TLP bytes. */
  readonly tlpsOut: number;
  readonly payloadBytesOut: number;
  readonly tlpBytesOut: number;
  /**
   * TLPs from this ingress still in the switch, and the most held at once in
   * header and data credits per class [P, NP, Cpl]. The most held is counted
   * as TLPs come in, and a TLP handed over ahead of its arrival (arriveAhead)
   * comes in for it when the ingress link takes its credits (as it starts
   * the TLP, or earlier for one it starts ahead, link.ts): with the arrival
   * event instead (a traced ingress link) it can be lower, never above the
   * advertised credits either way.
   */
  readonly held: number;
  readonly maxHeldHeaders: readonly number[];
  readonly maxHeldData: readonly number[];
  /** TLPs waiting for this egress: in its queues, or handed to its link and not yet started. */
  readonly queuedOut: number;
}

export interface SwitchStats {
  readonly ports: readonly SwitchPortStats[];
  /** forwarded[i][e]: TLPs that came in on port i and left through port e; forwardedPayloadBytes likewise. */
  readonly forwarded: readonly (readonly number[])[];
  readonly forwardedPayloadBytes: readonly (readonly number[])[];
  readonly unsupportedRequests: number;
  readonly unexpectedCompletions: number;
  readonly malformed: number;
  readonly redirected: number;
  readonly cutThroughClamped: number;
}

// ---------------------------------------------------------------- internals

/**
 * Columns of the switch's TLP queues. Both kinds: age stamp (orders the heads
 * of one ingress-egress pair's class queues), arrival time. The ingress
 * pipeline adds the egress port; an egress queue adds when the TLP was ready
 * to leave (end of the internal latency). A TLP's data credits are its own
 * (Tlp.dataCredits).
 */
const SEQ = 0, ARRIVED = 1;
const OUT_PORT = 2, PIPELINE_COLUMNS = 3;
/** egressFor's answers for a TLP the switch discards. */
const MALFORMED = -2, UNCLAIMED = -1;
const READY = 2, QUEUE_COLUMNS = 3;
/**
 * Columns of an egress port's ahead log (TLPs whose start on the egress link
 * is dated, startDated): the start, the end of the internal latency, the
 * arrival, the ingress port, and the TLP's credit class, payload and TLP
 * bytes and data credits.
 */
const A_START = 0, A_READY = 1, A_ARRIVED = 2, A_INGRESS = 3, A_CLS = 4, A_PAYLOAD = 5, A_BYTES = 6, A_DATA = 7, AHEAD_COLUMNS = 8;
/** Initial ring capacity of each queue: there are ports² × 3 egress queues, most of them short. */
const QUEUE_CAPACITY = 4;

/** The ingress side of one port. */
class Ingress {
  /** What the link into this port delivers to (made once, in the switch's constructor). */
  receiver!: TlpReceiver;
  /** TLPs inside the internal latency, in arrival order, each tagged with its egress port. */
  readonly pipeline = new TlpQueue(PIPELINE_COLUMNS, QUEUE_CAPACITY);
  timing: IngressTiming | null = null;
  /** Earliest time the next TLP may leave the pipeline: TLPs from one port never overtake each other there. */
  lastReady = 0;
  /** One-entry cache of the ingress wire time: a stream of equal-sized TLPs skips the computation. */
  private lastBytes = -1;
  private lastWirePs = 0;
  /** One-entry cache of datedSender(). */
  private lastFrom: TlpSender | null = null;
  private lastDated: DatedSender | null = null;
  readonly heldHeaders = new Float64Array(CREDIT_CLASS_COUNT);
  readonly heldData = new Float64Array(CREDIT_CLASS_COUNT);
  readonly maxHeaders = new Float64Array(CREDIT_CLASS_COUNT);
  readonly maxData = new Float64Array(CREDIT_CLASS_COUNT);
  held = 0;
  tlpsIn = 0;
  payloadBytesIn = 0;

  constructor(readonly index: number) {}

  /** The TLP's own time on the ingress wire (S_in), 0 when the ingress timing is unknown. */
  wirePs(bytes: number): number {
    if (this.timing === null) return 0;
    if (bytes !== this.lastBytes) {
      this.lastWirePs = tlpWireTimePs(bytes, this.timing.gen, this.timing.width);
      this.lastBytes = bytes;
    }
    return this.lastWirePs;
  }

  /** `from` as a DatedSender, or null if it takes no dated releases (through a one-entry cache: the ingress link is the one sender). */
  datedSender(from: TlpSender): DatedSender | null {
    if (from !== this.lastFrom) {
      this.lastFrom = from;
      this.lastDated = typeof (from as Partial<DatedSender>).releaseAt === 'function' ? from as DatedSender : null;
    }
    return this.lastDated;
  }
}

/** The egress side of one port. */
class Egress {
  link: TlpReceiver | null = null;
  /** The link again, if it takes dated hand-overs (fabric.ts DatedReceiver); else null. */
  dated: DatedReceiver | null = null;
  /** TLPs whose start on the link is dated (startDated), in start order, until their start: what started() does for them waits for it (leaveAhead). */
  readonly ahead = new RowQueue(AHEAD_COLUMNS, QUEUE_CAPACITY);
  /** What the egress link releases (made once, in the switch's constructor). */
  sender!: TlpSender;
  /** queues[ingress × 3 + class]: TLPs ready to leave, per ingress port and credit class. */
  readonly queues: TlpQueue[] = [];
  readonly queuedFrom: Int32Array;
  queued = 0;
  /** The ingress port whose turn is next. */
  rr = 0;
  // At most one TLP per credit class handed to the link and not yet on the wire.
  readonly slotTlp: (Tlp | null)[] = [];
  readonly slotFrom: (TlpSender | null)[] = [];
  readonly slotIngress = new Int32Array(CREDIT_CLASS_COUNT);
  readonly slotReady = new Float64Array(CREDIT_CLASS_COUNT);
  readonly slotArrived = new Float64Array(CREDIT_CLASS_COUNT);
  handed = 0;
  /** Set while pump() runs: the link may call release() from inside receive(). */
  pumping = false;
  readonly queueingDelay = new Histogram();
  tlpsOut = 0;
  payloadBytesOut = 0;
  tlpBytesOut = 0;

  constructor(readonly index: number, portCount: number) {
    this.queuedFrom = new Int32Array(portCount);
    for (let k = 0; k < portCount * CREDIT_CLASS_COUNT; k++) this.queues.push(new TlpQueue(QUEUE_COLUMNS, QUEUE_CAPACITY));
    for (let c = 0; c < CREDIT_CLASS_COUNT; c++) { this.slotTlp.push(null); this.slotFrom.push(null); }
  }
}

function creditLimit(c: CreditCount): number {
  return c === 'infinite' ? Infinity : c;
}

// ---------------------------------------------------------------- the switch

export class PcieSwitch {
  readonly name: string;
  readonly portCount: number;
  readonly upstreamPort: number;
  readonly forwarding: ForwardingMode;
  readonly latencyPs: Time;
  readonly acsRedirect: boolean;
  /** False: TLPs between downstream ports end as Unsupported Requests (peerToPeer 'unsupported'). */
  readonly forwardsPeers: boolean;
  readonly maxPayloadSize: number;
  /** What every ingress port advertises to the link into it. */
  readonly ingressCredits: CreditAdvertisement;
  readonly routes: RoutingTable;

  private readonly cutThrough: boolean;
  /** Hand-overs to the egress link may be dated (startDated): two ports, untraced. */
  private readonly dates: boolean;
  private readonly ingressPorts: Ingress[] = [];
  private readonly egressPorts: Egress[] = [];
  /** Age stamp of the next TLP in: orders the heads of one ingress-egress pair's class queues. */
  private seq = 0;
  private readonly pairTlps: Float64Array;
  private readonly pairBytes: Float64Array;
  private unsupportedRequests = 0;
  private unexpectedCompletions = 0;
  private malformed = 0;
  private redirected = 0;
  private cutThroughClamped = 0;
  /** Set by egressFor: the TLP it routed is a peer TLP sent up by ACS redirect. */
  private redirectedNow = false;
  private readonly trace: TraceChannel | null;
  private readonly labels: Record<TlpType, number> | null;

  /**
   * `routes[p]` is what lies behind port p (the upstream port's entry is not
   * used: what is above it is whatever no downstream port claims). Connect
   * every port before the run: attach() a link, or connect() any receiver.
   */
  constructor(private readonly sim: Simulation, params: SwitchParams, routes: readonly PortRoutes[], options: SwitchOptions = {}) {
    const n = params.ports;
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`a switch needs at least 2 ports, got ${n}`);
    if (routes.length !== n) throw new RangeError(`the switch has ${n} ports but routes for ${routes.length} were given`);
    if (!Number.isInteger(params.upstreamPort) || params.upstreamPort < 0 || params.upstreamPort >= n) {
      throw new RangeError(`upstreamPort must be a port index below ${n}, got ${params.upstreamPort}`);
    }
    if (!Number.isSafeInteger(params.latency) || params.latency < 0) {
      throw new RangeError(`switch latency must be a non-negative integer number of ps, got ${params.latency}`);
    }
    this.name = options.name ?? 'switch';
    this.portCount = n;
    this.upstreamPort = params.upstreamPort;
    this.forwarding = params.forwarding;
    this.cutThrough = params.forwarding === 'cut-through';
    this.latencyPs = params.latency;
    this.acsRedirect = params.acsRedirect;
    this.forwardsPeers = params.peerToPeer === 'forward';
    this.maxPayloadSize = params.maxPayloadSize;
    this.ingressCredits = Object.freeze({
      P: { header: params.postedHeaderCredits, data: params.postedDataCredits },
      NP: { header: params.nonPostedHeaderCredits, data: params.nonPostedDataCredits },
      Cpl: { header: params.completionHeaderCredits, data: params.completionDataCredits },
    });
    throwFirstProblem(switchCreditShortfalls(params), `switch ${this.name}`);
    this.routes = new RoutingTable(routes.map((r, p) => (p === this.upstreamPort ? null : r)));

    for (let p = 0; p < n; p++) {
      const ing = new Ingress(p);
      const receive = (tlp: Tlp, from: TlpSender) => this.arrive(ing, tlp, from);
      // Taken ahead of arrival only with two ports. With more, TLPs from several
      // ingress ports meet at one egress, and which the arbiter sees first when
      // their internal latencies end together is the order of their arrivals;
      // an event scheduled ahead, at the start on the link, would not keep it.
      // What admit() does with a TLP is decided by its arrival time and by what is certain already (startDated): it may be handed over before its start.
      const early: EarlyReceiver = { receive, receiveAhead: (tlp: Tlp, from: TlpSender, at: number) => this.arriveAhead(ing, tlp, from, at), takesBeforeStart: true };
      ing.receiver = n === 2 ? early : { receive };
      this.ingressPorts.push(ing);
      const eg = new Egress(p, n);
      eg.sender = { release: (tlp: Tlp) => this.started(eg, tlp) };
      this.egressPorts.push(eg);
    }
    this.pairTlps = new Float64Array(n * n);
    this.pairBytes = new Float64Array(n * n);

    const tracer = options.tracer;
    this.trace = tracer?.channel(this.name, 'forward', { hot: true }) ?? null;
    // A traced switch records each TLP's row at its start, in event order with every other row.
    this.dates = n === 2 && this.trace === null;
    this.labels = this.trace === null || tracer === undefined ? null : {
      MRd: tracer.label('MRd'), MWr: tracer.label('MWr'), Cpl: tracer.label('Cpl'),
      CplD: tracer.label('CplD'), Msg: tracer.label('Msg'), MsgD: tracer.label('MsgD'),
    };
  }

  // ---------------------------------------------------------------- wiring

  /** What a link into port `port` delivers to. */
  ingress(port: number): TlpReceiver {
    return this.ingressPorts[this.checkPort(port)]!.receiver;
  }

  /** The end to build a link with when this port is one of its ends: the ingress receiver and the credits the switch advertises. */
  linkEnd(port: number): LinkEnd {
    return { receiver: this.ingress(port), credits: this.ingressCredits };
  }

  /**
   * Port `port` is end `end` of `link` (built with linkEnd(port) for that end):
   * TLPs leave through the direction away from the switch, arrive through
   * the other, whose generation and width time cut-through.
   */
  attach(port: number, link: Link, end: 'a' | 'b'): void {
    const out = end === 'a' ? link.aToB : link.bToA;
    const into = end === 'a' ? link.bToA : link.aToB;
    this.checkAdvertised(port, into);
    into.connect(this.ingress(port));
    this.connect(port, out, { gen: link.gen, width: link.width });
  }

  /**
   * Lower level than attach(): TLPs leaving port `port` go to `egress` (which
   * must call release(tlp) on the sender it is given once the TLP has left
   * its queue); `ingressTiming` is the link into the port, null if unknown
   * (cut-through then counts the ingress wire time as 0).
   */
  connect(port: number, egress: TlpReceiver, ingressTiming: IngressTiming | null = null): void {
    this.checkPort(port);
    if (ingressTiming !== null) {
      assertGen(ingressTiming.gen);
      assertWidth(ingressTiming.width);
    }
    this.egressPorts[port]!.link = egress;
    this.egressPorts[port]!.dated = 'startAt' in egress ? egress as DatedReceiver : null;
    this.ingressPorts[port]!.timing = ingressTiming;
  }

  // ---------------------------------------------------------------- statistics

  stats(): SwitchStats {
    const n = this.portCount, now = this.sim.now;
    const ports: SwitchPortStats[] = [];
    let clamped = this.cutThroughClamped;
    // Dated starts after now (startDated): not out yet; not in yet either if they arrive after now; waiting for the egress once ready.
    const notIn = new Float64Array(n), notInBytes = new Float64Array(n), waiting = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      const eg = this.egressPorts[e]!, log = eg.ahead;
      this.leaveAhead(eg, now);
      for (let k = 0; k < log.size; k++) {
        const i = log.at(k, A_INGRESS);
        if (log.at(k, A_READY) <= now) waiting[e]++;
        if (log.at(k, A_ARRIVED) <= now) continue;
        notIn[i]++;
        notInBytes[i] += log.at(k, A_PAYLOAD);
        if (this.cutThrough && this.ingressPorts[i]!.wirePs(log.at(k, A_BYTES)) > this.latencyPs) clamped--;
      }
    }
    for (let p = 0; p < n; p++) {
      const ing = this.ingressPorts[p]!, eg = this.egressPorts[p]!;
      // TLPs taken ahead of their arrival (arriveAhead) are not in yet: the
      // newest pipeline entries, arriving after now. (Only a two-port switch
      // takes TLPs ahead, and it has no peer TLPs to redirect.)
      const q = ing.pipeline;
      const early = q.newestAfter(ARRIVED, now);
      let earlyBytes = 0;
      for (let k = q.size - early; k < q.size; k++) {
        const tlp = q.tlpAt(k);
        earlyBytes += tlp.payloadBytes;
        if (this.cutThrough && ing.wirePs(tlp.bytes) > this.latencyPs) clamped--;
      }
      ports.push({
        tlpsIn: ing.tlpsIn - early - notIn[p]!, payloadBytesIn: ing.payloadBytesIn - earlyBytes - notInBytes[p]!,
        tlpsOut: eg.tlpsOut, payloadBytesOut: eg.payloadBytesOut, tlpBytesOut: eg.tlpBytesOut,
        held: ing.held - early - notIn[p]!, maxHeldHeaders: Array.from(ing.maxHeaders), maxHeldData: Array.from(ing.maxData),
        queuedOut: eg.queued + eg.handed + waiting[p]!,
      });
    }
    const matrix = (a: Float64Array) => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n)));
    return {
      ports,
      forwarded: matrix(this.pairTlps),
      forwardedPayloadBytes: matrix(this.pairBytes),
      unsupportedRequests: this.unsupportedRequests,
      unexpectedCompletions: this.unexpectedCompletions,
      malformed: this.malformed,
      redirected: this.redirected,
      cutThroughClamped: clamped,
    };
  }

  /**
   * Queueing delay, ps: from the end of the internal latency to the start on
   * the egress wire (waiting behind other TLPs, for the arbiter's turn, for
   * the next hop's credits). Of egress port `port`, or of all ports merged.
   */
  queueingDelayPs(port?: number): Histogram {
    for (const eg of this.egressPorts) this.leaveAhead(eg, this.sim.now);
    if (port !== undefined) return this.egressPorts[this.checkPort(port)]!.queueingDelay;
    const all = new Histogram();
    for (const eg of this.egressPorts) all.merge(eg.queueingDelay);
    return all;
  }

  // ---------------------------------------------------------------- forwarding

  /** A TLP has fully arrived at ingress `ing`: route it, or discard it, and start its internal latency. */
  private arrive(ing: Ingress, tlp: Tlp, from: TlpSender): void {
    const out = this.egressFor(ing.index, tlp);
    if (out < 0) {
      ing.tlpsIn++;
      ing.payloadBytesIn += tlp.payloadBytes;
      if (out === MALFORMED) this.malformed++;
      else if (tlp.type === 'Cpl' || tlp.type === 'CplD') this.unexpectedCompletions++;
      else this.unsupportedRequests++;
      // Nobody can take it (an Unsupported Request, or an Unexpected Completion): its buffer is free at once.
      from.release(tlp);
      return;
    }
    this.admit(ing, tlp, from, out, this.sim.now);
  }

  /**
   * The link into `ing` starts `tlp`, which arrives at `at` (fabric.ts
   * EarlyReceiver): a TLP the switch forwards is taken now and its internal
   * latency timed from `at`; one it discards is left to arrive (its buffer is
   * freed on arrival).
   */
  private arriveAhead(ing: Ingress, tlp: Tlp, from: TlpSender, at: number): boolean {
    const out = this.egressFor(ing.index, tlp);
    if (out < 0) return false;
    this.admit(ing, tlp, from, out, at);
    return true;
  }

  /**
   * The egress port of `tlp` in at ingress `i`, or MALFORMED / UNCLAIMED if the
   * switch discards it. Sets `redirectedNow` for a peer TLP that ACS sends up.
   */
  private egressFor(i: number, tlp: Tlp): number {
    const up = this.upstreamPort;
    this.redirectedNow = false;
    if (tlp.payloadBytes > this.maxPayloadSize) return MALFORMED;
    let out = this.routes.portFor(tlp);
    if (out === NO_PORT) {
      if (i === up) return UNCLAIMED;
      out = up;
    } else if (out === i) {
      return UNCLAIMED;
    } else if (i !== up) {
      // From one downstream port to another: a peer TLP.
      if (this.acsRedirect) {
        out = up;
        this.redirectedNow = true;
      } else if (!this.forwardsPeers) {
        return UNCLAIMED;
      }
    }
    if (this.egressPorts[out]!.link === null) {
      throw new Error(`switch ${this.name}: a TLP routes out of port ${out}, which is not connected: attach() or connect() it first`);
    }
    return out;
  }

  /** Takes in `tlp`, arrived (or arriving) at `at` for egress `out`, and starts its internal latency. */
  private admit(ing: Ingress, tlp: Tlp, from: TlpSender, out: number, at: number): void {
    ing.tlpsIn++;
    ing.payloadBytesIn += tlp.payloadBytes;
    if (this.redirectedNow) this.redirected++;
    const cls = tlp.cls, credits = tlp.dataCredits;
    // TLPs with a dated start by now have left (and freed their share of what is held) before this one comes in.
    // (With two ports, what comes in at one port all leaves through the other: `out`.)
    if (this.dates) this.leaveAhead(this.egressPorts[out]!, this.sim.now);
    ing.held++;
    if (++ing.heldHeaders[cls]! > ing.maxHeaders[cls]!) ing.maxHeaders[cls] = ing.heldHeaders[cls]!;
    if ((ing.heldData[cls]! += credits) > ing.maxData[cls]!) ing.maxData[cls] = ing.heldData[cls]!;

    let ready: number, clamped = false;
    if (this.cutThrough) {
      ready = at - ing.wirePs(tlp.bytes) + this.latencyPs;
      if (ready < at) {
        ready = at;
        clamped = true;
        this.cutThroughClamped++;
      }
    } else {
      ready = at + this.latencyPs;
    }
    if (ready < ing.lastReady) ready = ing.lastReady;
    ing.lastReady = ready;
    if (this.dates && ing.pipeline.size === 0 && this.startDated(ing, tlp, from, out, at, ready, this.cutThrough && !clamped ? ing.wirePs(tlp.bytes) : 0)) return;
    const p = ing.pipeline, slot = p.push(tlp, from);
    p.set(slot, SEQ, this.seq++);
    p.set(slot, ARRIVED, at);
    p.set(slot, OUT_PORT, out);
    this.sim.schedule(ready - this.sim.now, PcieSwitch.onReady, this, ing.index);
  }

  /**
   * Hands `tlp` to the egress link now, dated `ready` (fabric.ts
   * DatedReceiver), instead of from an event at `ready`: when what onReady()
   * would do then is certain now. No TLP from this ingress is ahead of it
   * (its pipeline is empty), the egress has nothing queued and its class's
   * slot is free, and with two ports no other ingress feeds this egress; so
   * at `ready` it would go straight to the link (onReady's first case), and
   * the link answers when it would start. Until then the TLP would hold its
   * class's slot, and a next TLP of that class ready before the start would
   * wait for it in the egress queue, and one of another class would be
   * handed over before it: so the start may be no later than the next TLP
   * from this ingress can be ready: at least `gapPs` after this one, less
   * one ps of the ingress link's rounding (cut-through: the next one's first
   * byte comes in after this one's last, `gapPs` = this one's ingress wire
   * time; else 0, and the start must be `ready`); one ps more is kept as a
   * margin. What started() does at the start
   * waits in the egress's ahead log (leaveAhead), but the ingress link's
   * credits, whose return it times from the start (a dated release). False:
   * the link is not certain (or the ingress link takes no dated release),
   * and the TLP goes through the pipeline as usual.
   *
   * Saves the event at the end of the internal latency, and, as the egress
   * slot stays free, the egress link's wake-up for a TLP queued behind a
   * busy wire.
   */
  private startDated(ing: Ingress, tlp: Tlp, from: TlpSender, out: number, at: number, ready: number, gapPs: number): boolean {
    const eg = this.egressPorts[out]!;
    if (eg.dated === null || eg.queued !== 0 || eg.slotTlp[tlp.cls] !== null) return false;
    const sender = ing.datedSender(from);
    if (sender === null) return false;
    const start = eg.dated.startAt(tlp, ready, ready + Math.max(0, Math.floor(gapPs) - 2));
    if (start < 0) return false;
    this.seq++;
    eg.rr = ing.index + 1 === this.portCount ? 0 : ing.index + 1;
    const log = eg.ahead, slot = log.push();
    log.set(slot, A_START, start);
    log.set(slot, A_READY, ready);
    log.set(slot, A_ARRIVED, at);
    log.set(slot, A_INGRESS, ing.index);
    log.set(slot, A_CLS, tlp.cls);
    log.set(slot, A_PAYLOAD, tlp.payloadBytes);
    log.set(slot, A_BYTES, tlp.bytes);
    log.set(slot, A_DATA, tlp.dataCredits);
    sender.releaseAt(tlp, start);
    return true;
  }

  /** What started() does, for the TLPs in `eg`'s ahead log that have started by `now` (startDated). */
  private leaveAhead(eg: Egress, now: number): void {
    const log = eg.ahead;
    while (log.size > 0 && log.head(A_START) <= now) {
      this.leave(eg, log.head(A_INGRESS), log.head(A_CLS), log.head(A_PAYLOAD), log.head(A_BYTES), log.head(A_DATA), log.head(A_START) - log.head(A_READY));
      log.shift();
    }
  }

  /**
   * Counts a TLP (from ingress i, of credit class `cls`, with its payload and
   * TLP bytes and data credits) out of egress `eg` after `delayPs` of
   * queueing, and frees what it held at its ingress.
   */
  private leave(eg: Egress, i: number, cls: number, payloadBytes: number, bytes: number, dataCredits: number, delayPs: number): void {
    eg.queueingDelay.add(delayPs);
    eg.tlpsOut++;
    eg.payloadBytesOut += payloadBytes;
    eg.tlpBytesOut += bytes;
    const pair = i * this.portCount + eg.index;
    this.pairTlps[pair]!++;
    this.pairBytes[pair]! += payloadBytes;
    const ing = this.ingressPorts[i]!;
    ing.held--;
    ing.heldHeaders[cls]!--;
    ing.heldData[cls]! -= dataCredits;
  }

  /**
   * The head of ingress `i`'s pipeline has done its internal latency: queue it
   * at its egress, or, when nothing is queued there and its class's slot is
   * free, hand it to the link at once. That is what queueing it and pump()
   * would do (it would be the only candidate, and the arbiter's turn would
   * pass to the next port), without the trip through the egress queue: the
   * usual case on a path that is not oversubscribed. (Fabric bench at 1M
   * TLPs, medians of 12 interleaved runs: writes 0.974 -> 1.042, reads
   * 0.837 -> 0.926 M TLPs/s.)
   */
  private static onReady(self: PcieSwitch, i: number): void {
    const p = self.ingressPorts[i]!.pipeline;
    const tlp = p.headTlp(), eg = self.egressPorts[p.head(OUT_PORT)]!, cls = tlp.cls;
    if (eg.queued === 0 && eg.slotTlp[cls] === null) {
      const from = p.headSender(), arrived = p.head(ARRIVED);
      p.shift();
      eg.rr = i + 1 === self.portCount ? 0 : i + 1;
      // As in pump(): a release from inside the link's receive must not pump again.
      eg.pumping = true;
      self.handOver(eg, i, tlp, from, self.sim.now, arrived);
      eg.pumping = false;
      return;
    }
    const q = eg.queues[i * CREDIT_CLASS_COUNT + cls]!, slot = q.push(tlp, p.headSender());
    q.set(slot, SEQ, p.head(SEQ));
    q.set(slot, ARRIVED, p.head(ARRIVED));
    q.set(slot, READY, self.sim.now);
    p.shift();
    eg.queuedFrom[i]!++;
    eg.queued++;
    self.pump(eg);
  }

  /** Hands the egress link what it may take now: round robin over ingress ports, one TLP per turn. */
  private pump(eg: Egress): void {
    if (eg.pumping) return;
    eg.pumping = true;
    const n = this.portCount;
    while (eg.queued > 0 && eg.handed < CREDIT_CLASS_COUNT) {
      let i = eg.rr, cls = -1;
      for (let k = 0; k < n; k++) {
        if (eg.queuedFrom[i]! > 0 && (cls = this.pick(eg, i)) >= 0) break;
        if (++i === n) i = 0;
      }
      if (cls < 0) break;
      eg.rr = i + 1 === n ? 0 : i + 1;
      this.hand(eg, i, cls);
    }
    eg.pumping = false;
  }

  /**
   * The class whose head goes next from ingress `i` to egress `eg`: the
   * oldest head whose class has no TLP at the link yet and that may pass
   * every older head (ordering.ts MAY_PASS); -1 if none.
   */
  private pick(eg: Egress, i: number): number {
    const base = i * CREDIT_CLASS_COUNT, queues = eg.queues;
    let best = -1, bestSeq = Infinity;
    for (let x = 0; x < CREDIT_CLASS_COUNT; x++) {
      const q = queues[base + x]!;
      if (q.size === 0 || eg.slotTlp[x] !== null) continue;
      // The only class queued from this ingress (the usual case) has no older
      // head to pass. (Fabric bench at 1M TLPs, medians of 16 interleaved
      // runs: writes 0.995 -> 1.021, reads 0.868 -> 0.891 M TLPs/s.)
      if (q.size === eg.queuedFrom[i]) return x;
      const s = q.head(SEQ);
      if (s >= bestSeq) continue;
      if (passesOlderHeads(queues, base, x, s, SEQ)) {
        best = x;
        bestSeq = s;
      }
    }
    return best;
  }

  /** Moves the head of (ingress i, class cls) into the class's slot and hands it to the egress link. */
  private hand(eg: Egress, i: number, cls: number): void {
    const q = eg.queues[i * CREDIT_CLASS_COUNT + cls]!;
    const tlp = q.headTlp(), from = q.headSender(), ready = q.head(READY), arrived = q.head(ARRIVED);
    q.shift();
    eg.queuedFrom[i]!--;
    eg.queued--;
    this.handOver(eg, i, tlp, from, ready, arrived);
  }

  /** Puts `tlp` (from ingress i) in its class's slot and hands it to the egress link. */
  private handOver(eg: Egress, i: number, tlp: Tlp, from: TlpSender, ready: number, arrived: number): void {
    const cls = tlp.cls;
    eg.slotTlp[cls] = tlp;
    eg.slotFrom[cls] = from;
    eg.slotIngress[cls] = i;
    eg.slotReady[cls] = ready;
    eg.slotArrived[cls] = arrived;
    eg.handed++;
    // Last: the link may start it, and call started() through release(), from inside receive().
    eg.link!.receive(tlp, eg.sender);
  }

  /** The egress link has started `tlp` on the wire: it has left the switch, so its ingress buffer is free. */
  private started(eg: Egress, tlp: Tlp): void {
    const cls = tlp.cls;
    if (eg.slotTlp[cls] !== tlp) {
      throw new Error(`model bug: port ${eg.index} of switch ${this.name} was released a ${tlp.type} it did not hand to its link, or twice`);
    }
    const from = eg.slotFrom[cls]!, i = eg.slotIngress[cls]!;
    const now = this.sim.now;
    eg.slotTlp[cls] = null;
    eg.slotFrom[cls] = null;
    eg.handed--;

    this.leave(eg, i, cls, tlp.payloadBytes, tlp.bytes, tlp.dataCredits, now - eg.slotReady[cls]!);
    if (this.trace !== null) {
      // latency = time in the switch (arrival to start on the egress wire); a = ingress port, b = egress port.
      this.trace.record(now, tlp.txn, tlp.payloadBytes, now - eg.slotArrived[cls]!, i, eg.index, this.labels![tlp.type]);
    }
    from.release(tlp);
    this.pump(eg);
  }

  // ---------------------------------------------------------------- checks

  private checkPort(port: number): number {
    if (!Number.isInteger(port) || port < 0 || port >= this.portCount) {
      throw new RangeError(`switch ${this.name} has ports 0 to ${this.portCount - 1}, got ${port}`);
    }
    return port;
  }

  /**
   * The link into `port` must enforce the switch's advertisement, or the
   * ingress buffer is not the size the parameters say: compared on an idle
   * link, where available credits are the advertised ones.
   */
  private checkAdvertised(port: number, into: LinkDirection): void {
    const c = into.credits;
    if (c.nextReturnAt() !== Infinity) return;
    for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) {
      if (c.heldTlps(cls) !== 0) return;
    }
    for (let cls = 0; cls < CREDIT_CLASS_COUNT; cls++) {
      const pool = this.ingressCredits[CREDIT_CLASSES[cls]!];
      if (c.headerCredits(cls) !== creditLimit(pool.header) || c.dataCredits(cls) !== creditLimit(pool.data)) {
        throw new RangeError(`switch ${this.name} port ${port}: the link into it advertises other ${CREDIT_CLASSES[cls]} credits ` +
          `(${c.headerCredits(cls)} header, ${c.dataCredits(cls)} data) than the switch (${pool.header}, ${pool.data}): build the link with linkEnd(${port})`);
      }
    }
  }
}

/**
 * A shared request/response ring on one page (Xen public/io/ring.h), in two
 * layers:
 *
 *  - SharedRing: the data structure and nothing else (no time). The shared
 *    page holds req_prod, req_event, rsp_prod, rsp_event and the slots; the
 *    front end privately keeps req_prod_pvt and rsp_cons, the back end
 *    rsp_prod_pvt and req_cons. Indices are free-running 32-bit counters
 *    (RING_IDX); a slot is index & (size - 1). Requests and responses share
 *    the slots, so the front may have at most `size` requests not yet
 *    answered and consumed (RING_FULL). Notification suppression is ring.h's:
 *    pushing reports whether the other side asked to be told
 *    (RING_PUSH_*_AND_CHECK_NOTIFY against req_event / rsp_event), and a
 *    consumer that finds no work asks for the next one (RING_FINAL_CHECK_FOR_*
 *    sets req_event = req_cons + 1). Several requests pushed before the
 *    consumer looks again cost one notification.
 *  - XenRing: the timed operations of a connected ring. Copying a message
 *    in costs `ringCopyPerMessage` on the producer's vCPU, and so does
 *    copying it out on the consumer's (backends copy a request out of the
 *    shared page before using it, ring.h RING_COPY_REQUEST, so the other
 *    side cannot change it underneath); attribution 'ring'. A notification
 *    is an event-channel notify.
 *
 * A push onto a full ring returns false and is counted: a simulated outcome
 * the protocol must handle (hyper_dmabuf fails the send with -EBUSY,
 * SOURCES.md "hyper_dmabuf protocol"), never an overwrite.
 *
 * Granting and mapping the ring page is the protocol's business (gnttab.ts).
 */
import type { ProcessBody } from '../../src/sim/index.js';
import type { EventChannels } from './event-channel.js';
import type { Domain } from './hypervisor.js';

/** Attribution category of ring copies. */
export const RING = 'ring';

/**
 * Bytes of a ring page's header: req_prod, req_event, rsp_prod, rsp_event
 * (4 bytes each), a 4-byte private union and 44 bytes of padding
 * (DEFINE_RING_TYPES in Xen public/io/ring.h; SOURCES.md: a 64-byte header).
 */
export const RING_HEADER_BYTES = 64;

/** RING_IDX is a 32-bit unsigned counter that wraps. */
const u32 = (x: number): number => x >>> 0;

/**
 * Slots of a ring: the largest power of two of messages that fits in the
 * page after the header (ring.h __CONST_RING_SIZE rounds down with __RD32);
 * 0 if not even one fits.
 */
export function ringSlots(pageBytes: number, headerBytes: number, messageBytes: number): number {
  for (const [name, v] of [['pageBytes', pageBytes], ['headerBytes', headerBytes], ['messageBytes', messageBytes]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (messageBytes === 0) throw new RangeError('messageBytes must be positive');
  const fit = Math.floor(Math.max(0, pageBytes - headerBytes) / messageBytes);
  if (fit < 1) return 0;
  let slots = 1;
  while (slots * 2 <= fit) slots *= 2;
  return slots;
}

/** The ring's indices, shared and private, for tests and traces. */
export interface RingIndices {
  reqProd: number;
  reqEvent: number;
  rspProd: number;
  rspEvent: number;
  reqProdPvt: number;
  rspCons: number;
  rspProdPvt: number;
  reqCons: number;
}

export interface RingCounts {
  requestsPushed: number;
  requestsTaken: number;
  responsesPushed: number;
  responsesTaken: number;
  /** pushRequest on a full ring: refused, nothing written. */
  fullRejects: number;
  /** Pushes that published at least one request, and how many of them needed a notification. */
  requestPublishes: number;
  requestNotifies: number;
  responsePublishes: number;
  responseNotifies: number;
}

export class SharedRing<Req = unknown, Rsp = unknown> {
  /** Slots (RING_SIZE), a power of two. */
  readonly size: number;
  // The shared page (struct <name>_sring), set by the constructor.
  private reqProd: number;
  private reqEvent: number;
  private rspProd: number;
  private rspEvent: number;
  // Front end (struct <name>_front_ring).
  private reqProdPvt: number;
  private rspCons: number;
  // Back end (struct <name>_back_ring).
  private rspProdPvt: number;
  private reqCons: number;
  private readonly slots: (Req | Rsp | undefined)[];
  private readonly n: RingCounts = {
    requestsPushed: 0, requestsTaken: 0, responsesPushed: 0, responsesTaken: 0, fullRejects: 0,
    requestPublishes: 0, requestNotifies: 0, responsePublishes: 0, responseNotifies: 0,
  };

  /**
   * `startIndex` is where the free-running indices start: 0 on a fresh ring
   * (SHARED_RING_INIT, FRONT_RING_INIT, BACK_RING_INIT); another value only
   * lets a test drive the indices across the 32-bit wrap.
   */
  constructor(readonly pageBytes: number, readonly messageBytes: number, readonly headerBytes = RING_HEADER_BYTES, startIndex = 0) {
    this.size = ringSlots(pageBytes, headerBytes, messageBytes);
    if (this.size === 0) throw new RangeError(`a ${messageBytes}-byte message does not fit a ${pageBytes}-byte ring page after its ${headerBytes}-byte header`);
    this.slots = new Array<Req | Rsp | undefined>(this.size).fill(undefined);
    const i = u32(startIndex);
    this.reqProd = this.reqProdPvt = this.reqCons = this.rspProd = this.rspProdPvt = this.rspCons = i;
    // SHARED_RING_INIT: each side asks to be told of the first message.
    this.reqEvent = this.rspEvent = u32(i + 1);
  }

  counts(): RingCounts {
    return { ...this.n };
  }

  indices(): RingIndices {
    const { reqProd, reqEvent, rspProd, rspEvent, reqProdPvt, rspCons, rspProdPvt, reqCons } = this;
    return { reqProd, reqEvent, rspProd, rspEvent, reqProdPvt, rspCons, rspProdPvt, reqCons };
  }

  /** What slot `i` holds now (a request or the response written over it). */
  slot(i: number): Req | Rsp | undefined {
    return this.slots[i & (this.size - 1)];
  }

  // ---- Front end: produces requests, consumes responses ----

  /** RING_FREE_REQUESTS: slots neither holding a request nor an unconsumed response. */
  freeRequests(): number {
    return this.size - u32(this.reqProdPvt - this.rspCons);
  }

  /** RING_FULL. */
  isFull(): boolean {
    return this.freeRequests() === 0;
  }

  /** Writes a request at req_prod_pvt (not yet visible to the back end); false, counted, if the ring is full. */
  pushRequest(req: Req): boolean {
    if (this.isFull()) {
      this.n.fullRejects++;
      return false;
    }
    this.slots[this.reqProdPvt & (this.size - 1)] = req;
    this.reqProdPvt = u32(this.reqProdPvt + 1);
    this.n.requestsPushed++;
    return true;
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publishes the pushed requests; true if the back end asked to be notified. */
  publishRequests(): boolean {
    const old = this.reqProd, now = this.reqProdPvt;
    if (old === now) return false;
    this.reqProd = now;
    this.n.requestPublishes++;
    const notify = u32(now - this.reqEvent) < u32(now - old);
    if (notify) this.n.requestNotifies++;
    return notify;
  }

  /** RING_HAS_UNCONSUMED_RESPONSES. */
  unconsumedResponses(): number {
    return u32(this.rspProd - this.rspCons);
  }

  /** The next published response, or undefined. */
  takeResponse(): Rsp | undefined {
    if (this.unconsumedResponses() === 0) return undefined;
    const rsp = this.slots[this.rspCons & (this.size - 1)] as Rsp;
    this.rspCons = u32(this.rspCons + 1);
    this.n.responsesTaken++;
    return rsp;
  }

  /** RING_FINAL_CHECK_FOR_RESPONSES: true if there is work; otherwise asks for a notification (rsp_event = rsp_cons + 1) and checks again. */
  finalCheckForResponses(): boolean {
    if (this.unconsumedResponses() > 0) return true;
    this.rspEvent = u32(this.rspCons + 1);
    return this.unconsumedResponses() > 0;
  }

  // ---- Back end: consumes requests, produces responses ----

  /** RING_HAS_UNCONSUMED_REQUESTS (bounded by the slots not awaiting a response). */
  unconsumedRequests(): number {
    const req = u32(this.reqProd - this.reqCons);
    const rsp = this.size - u32(this.reqCons - this.rspProdPvt);
    return Math.min(req, rsp);
  }

  /** The next published request, or undefined. */
  takeRequest(): Req | undefined {
    if (this.unconsumedRequests() === 0) return undefined;
    const req = this.slots[this.reqCons & (this.size - 1)] as Req;
    this.reqCons = u32(this.reqCons + 1);
    this.n.requestsTaken++;
    return req;
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: true if there is work; otherwise asks for a notification (req_event = req_cons + 1) and checks again. */
  finalCheckForRequests(): boolean {
    if (this.unconsumedRequests() > 0) return true;
    this.reqEvent = u32(this.reqCons + 1);
    return this.unconsumedRequests() > 0;
  }

  /** Responses the back end may still write: one per consumed request not yet answered. */
  pendingResponses(): number {
    return u32(this.reqCons - this.rspProdPvt);
  }

  /** Writes a response at rsp_prod_pvt, over the slot of a request already consumed. */
  pushResponse(rsp: Rsp): void {
    if (this.pendingResponses() === 0) throw new Error('model bug: a ring response with no consumed request to answer');
    this.slots[this.rspProdPvt & (this.size - 1)] = rsp;
    this.rspProdPvt = u32(this.rspProdPvt + 1);
    this.n.responsesPushed++;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publishes the pushed responses; true if the front end asked to be notified. */
  publishResponses(): boolean {
    const old = this.rspProd, now = this.rspProdPvt;
    if (old === now) return false;
    this.rspProd = now;
    this.n.responsePublishes++;
    const notify = u32(now - this.rspEvent) < u32(now - old);
    if (notify) this.n.responseNotifies++;
    return notify;
  }
}

/** One end of a connected ring: its domain and its event-channel port. */
export interface RingEnd {
  readonly dom: Domain;
  readonly port: number;
}

/**
 * A ring connected by an event channel: `front` produces requests, `back`
 * answers them. Every operation runs on the caller's vCPU.
 */
export class XenRing<Req = unknown, Rsp = unknown> {
  constructor(readonly channels: EventChannels, readonly ring: SharedRing<Req, Rsp>, readonly front: RingEnd, readonly back: RingEnd) {}

  /**
   * Front: copies `reqs` into the ring in order until one does not fit
   * (that push is refused and counted; the rest are not tried), publishes
   * them and notifies the back end if it asked. How many went in.
   */
  *sendRequests(reqs: readonly Req[]): ProcessBody<number> {
    let sent = 0;
    for (const r of reqs) {
      if (!this.ring.pushRequest(r)) break;
      sent++;
    }
    yield* this.copy(this.front.dom, sent);
    if (this.ring.publishRequests()) yield* this.notify(this.front);
    return sent;
  }

  /** Front: one request; false if the ring is full. */
  *sendRequest(req: Req): ProcessBody<boolean> {
    return (yield* this.sendRequests([req])) === 1;
  }

  /** Back: takes every published request (at most `max`), copying each out of the ring. */
  *takeRequests(max = Infinity): ProcessBody<Req[]> {
    const out: Req[] = [];
    while (out.length < max && this.ring.unconsumedRequests() > 0) out.push(this.ring.takeRequest()!);
    yield* this.copy(this.back.dom, out.length);
    return out;
  }

  /** Back: copies `rsps` into the slots of answered requests, publishes, notifies the front if it asked. */
  *sendResponses(rsps: readonly Rsp[]): ProcessBody<void> {
    for (const r of rsps) this.ring.pushResponse(r);
    yield* this.copy(this.back.dom, rsps.length);
    if (this.ring.publishResponses()) yield* this.notify(this.back);
  }

  /** Front: takes every published response (at most `max`), copying each out. */
  *takeResponses(max = Infinity): ProcessBody<Rsp[]> {
    const out: Rsp[] = [];
    while (out.length < max && this.ring.unconsumedResponses() > 0) out.push(this.ring.takeResponse()!);
    yield* this.copy(this.front.dom, out.length);
    return out;
  }

  /** Back: returns once requests are there; with none, asks for a notification and sleeps on the event channel. */
  *awaitRequests(): ProcessBody<void> {
    while (!this.ring.finalCheckForRequests()) yield this.channels.wait(this.back.dom, this.back.port);
  }

  /** Front: returns once responses are there; with none, asks for a notification and sleeps on the event channel. */
  *awaitResponses(): ProcessBody<void> {
    while (!this.ring.finalCheckForResponses()) yield this.channels.wait(this.front.dom, this.front.port);
  }

  private *copy(dom: Domain, messages: number): ProcessBody<void> {
    if (messages === 0) return;
    const ps = messages * this.channels.costs.ringCopyPerMessage;
    this.channels.xen.attribution.charge(RING, ps);
    yield* dom.vcpus.use(ps);
  }

  private *notify(end: RingEnd): ProcessBody<void> {
    const rc = yield* this.channels.notify(end.dom, end.port);
    if (rc !== 0) throw new Error(`model bug: ring notify on ${end.dom.name} port ${end.port} failed (${rc})`);
  }
}

/**
 * Connects a ring between `front` and `back`: the front opens an unbound
 * event channel for the back, the back binds it (as hyper_dmabuf's and the
 * PV drivers' setup does; the xenstore exchange of the port and the ring
 * page's grant are the protocol's). The ring, or the failing hypercall's
 * error (a negative number: the domain has no free port).
 */
export function* connectRing<Req = unknown, Rsp = unknown>(
  channels: EventChannels, front: Domain, back: Domain, messageBytes: number, pageBytes = channels.xen.costs.pageBytes,
): ProcessBody<XenRing<Req, Rsp> | number> {
  const ring = new SharedRing<Req, Rsp>(pageBytes, messageBytes);
  const fport = yield* channels.allocUnbound(front, back);
  if (fport < 0) return fport;
  const bport = yield* channels.bindInterdomain(back, front, fport);
  if (bport < 0) return bport;
  return new XenRing(channels, ring, { dom: front, port: fport }, { dom: back, port: bport });
}

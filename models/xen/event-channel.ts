/**
 * Interdomain event channels (Xen common/event_channel.c, public/event_channel.h)
 * with the 2-level ABI's pending bit, as Linux drives them
 * (drivers/xen/events/events_base.c, events_2l.c):
 *
 *  - allocUnbound (EVTCHNOP_alloc_unbound): `dom` opens a port that only
 *    `remote` may bind. bindInterdomain (EVTCHNOP_bind_interdomain): the
 *    remote binds it and gets a port of its own; the two are one channel,
 *    and a notify on either end signals the other. close (EVTCHNOP_close)
 *    frees one end; the other end goes back to unbound, as Xen does.
 *  - notify (EVTCHNOP_send): a hypercall on the sender's vCPU. When it
 *    returns, the receiving port's pending bit is set. If the bit was
 *    already set (the event has not been handled yet) the notification is
 *    merged into it, counted as coalesced, not queued: one pending bit per
 *    port is all the 2-level ABI has.
 *  - Delivery: `eventDelivery` after the send, the upcall takes one of the
 *    receiver's vCPUs for `upcall` (a vCPU busy elsewhere delays it: vCPUs
 *    here are not preempted); then the pending bit is cleared (Linux clears
 *    it when it acks the event, before the handler runs, so a notify that
 *    arrives while the handler runs raises a new event) and the port's
 *    handler is called and its waiters woken.
 *
 * Order: a port has at most one delivery in flight and deliveries take the
 * same time, so events on a channel are handled in the order they were
 * raised. All effects happen when the hypercall returns.
 *
 * The hypercalls' own work is inside the measured round trip
 * (`xen.hypercallCycles`), so they pass no extra work.
 */
import type { ProcessBody, SimEvent } from '../../src/sim/index.js';
import type { XenChannelCosts } from './channel-costs.js';
import type { Domain, Hypervisor } from './hypervisor.js';

/** Attribution categories: delivery latency, and the upcall on the receiving vCPU. */
export const EVENT_CHANNEL = 'event-channel';
export const UPCALL = 'upcall';

/**
 * Ports per domain under the 2-level ABI with 64-bit words:
 * EVTCHN_2L_NR_CHANNELS = sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64 (Xen public/xen.h).
 */
export const EVTCHN_2L_NR_CHANNELS = 8 * 8 * 64;
/** Port 0 is never handed out: evtchn_init marks it ECS_RESERVED (Xen common/event_channel.c). */
export const FIRST_PORT = 1;

/** Errors the event-channel hypercalls return (Xen public/errno.h), negated as the hypercall returns them. */
export const EVTCHN_ERR = { EINVAL: -22, ENOSPC: -28 } as const;
export type EvtchnError = (typeof EVTCHN_ERR)[keyof typeof EVTCHN_ERR];

/** Hypercall names in the hypervisor's counts. */
export const OP = {
  allocUnbound: 'event_channel_op:alloc_unbound',
  bindInterdomain: 'event_channel_op:bind_interdomain',
  send: 'event_channel_op:send',
  close: 'event_channel_op:close',
} as const;

export type EventHandler = (port: number) => void;

/** Per receiving port: what its pending bit did. */
export interface PortCounts {
  /** Notifications that reached this port (set the bit or were merged into it). */
  raised: number;
  /** Of those, merged into a pending bit that was already set. */
  coalesced: number;
  /** Upcalls that ran a handler (or woke waiters) for this port. */
  delivered: number;
}

export interface EventChannelCounts {
  allocs: number;
  binds: number;
  closes: number;
  /** Hypercalls that returned an error. */
  failures: number;
  sends: number;
  /** Sends on an unbound port: Xen drops them silently. */
  dropped: number;
  coalesced: number;
  upcalls: number;
  /** Upcalls for a port with neither handler nor waiter: latched for the next wait(). */
  latched: number;
}

type State = 'unbound' | 'interdomain';

class Port {
  state: State = 'unbound';
  /** unbound: the domain allowed to bind; interdomain: the peer. */
  remote: Domain;
  remotePort = 0;
  pending = false;
  /** An event delivered with nobody to take it, kept for the next wait(). */
  latched = false;
  handler: EventHandler | undefined = undefined;
  waiters: SimEvent<number>[] = [];
  readonly counts: PortCounts = { raised: 0, coalesced: 0, delivered: 0 };

  constructor(remote: Domain) {
    this.remote = remote;
  }
}

export class EventChannels {
  /** Per domain id, ports by number (undefined = free). */
  private readonly tables = new Map<number, (Port | undefined)[]>();
  private readonly n: EventChannelCounts = { allocs: 0, binds: 0, closes: 0, failures: 0, sends: 0, dropped: 0, coalesced: 0, upcalls: 0, latched: 0 };

  constructor(readonly xen: Hypervisor, readonly costs: XenChannelCosts) {}

  counts(): EventChannelCounts {
    return { ...this.n };
  }

  /** EVTCHNOP_alloc_unbound: a port of `dom` that `remote` may bind; -ENOSPC if `dom` has no free port. */
  *allocUnbound(dom: Domain, remote: Domain): ProcessBody<number> {
    yield* this.xen.hypercall(dom, OP.allocUnbound, 0, EVENT_CHANNEL);
    const port = this.freePort(dom);
    if (port < 0) return this.failed(port);
    this.table(dom)[port] = new Port(remote);
    this.n.allocs++;
    return port;
  }

  /**
   * EVTCHNOP_bind_interdomain: `dom` binds `remoteDom`'s unbound port
   * `remotePort` (which must have been opened for `dom`); the new local port,
   * or -EINVAL / -ENOSPC.
   */
  *bindInterdomain(dom: Domain, remoteDom: Domain, remotePort: number): ProcessBody<number> {
    yield* this.xen.hypercall(dom, OP.bindInterdomain, 0, EVENT_CHANNEL);
    const r = this.port(remoteDom, remotePort);
    if (r === undefined || r.state !== 'unbound' || r.remote !== dom) return this.failed(EVTCHN_ERR.EINVAL);
    const port = this.freePort(dom);
    if (port < 0) return this.failed(port);
    const l = new Port(remoteDom);
    l.state = 'interdomain';
    l.remotePort = remotePort;
    this.table(dom)[port] = l;
    r.state = 'interdomain';
    r.remote = dom;
    r.remotePort = port;
    this.n.binds++;
    return port;
  }

  /** EVTCHNOP_close: frees `dom`'s `port`; an interdomain peer goes back to unbound (bindable by `dom` again). 0 or -EINVAL. */
  *close(dom: Domain, port: number): ProcessBody<number> {
    yield* this.xen.hypercall(dom, OP.close, 0, EVENT_CHANNEL);
    const p = this.port(dom, port);
    if (p === undefined) return this.failed(EVTCHN_ERR.EINVAL);
    if (p.state === 'interdomain') {
      const peer = this.port(p.remote, p.remotePort)!;
      peer.state = 'unbound';
      peer.remote = dom;
      peer.remotePort = 0;
    }
    this.table(dom)[port] = undefined;
    this.n.closes++;
    return 0;
  }

  /**
   * EVTCHNOP_send on `from`'s `port`: the hypercall on one of `from`'s vCPUs,
   * then the peer's pending bit. 0, or -EINVAL for a port `from` does not
   * have; a send on an unbound port is dropped silently (returns 0), as Xen does.
   */
  *notify(from: Domain, port: number): ProcessBody<number> {
    yield* this.xen.hypercall(from, OP.send, 0, EVENT_CHANNEL);
    const p = this.port(from, port);
    if (p === undefined) return this.failed(EVTCHN_ERR.EINVAL);
    this.n.sends++;
    if (p.state !== 'interdomain') {
      this.n.dropped++;
      return 0;
    }
    const target = p.remote, targetPort = p.remotePort;
    const r = this.port(target, targetPort)!;
    r.counts.raised++;
    if (r.pending) {
      r.counts.coalesced++;
      this.n.coalesced++;
    } else {
      r.pending = true;
      this.xen.sim.process(this.deliver(target, targetPort, r), `${target.name}/evtchn${targetPort}`);
    }
    return 0;
  }

  /** Calls `handler(port)` on every event `dom` receives on `port` (undefined removes it). */
  onEvent(dom: Domain, port: number, handler: EventHandler | undefined): void {
    this.mustPort(dom, port).handler = handler;
  }

  /**
   * An event that succeeds (with the port) at the next delivery on `dom`'s
   * `port`; at once if one was delivered while nobody waited and no handler
   * was set (the latch: a protocol that checks its ring and then waits
   * cannot lose a wake-up, as with Linux's wait_event on an irq handler's flag).
   */
  wait(dom: Domain, port: number): SimEvent<number> {
    const p = this.mustPort(dom, port);
    const ev = this.xen.sim.signal<number>();
    if (p.latched) {
      p.latched = false;
      ev.succeed(port);
    } else {
      p.waiters.push(ev);
    }
    return ev;
  }

  /** Is `dom`'s `port` pending (raised, not yet handled)? */
  isPending(dom: Domain, port: number): boolean {
    return this.mustPort(dom, port).pending;
  }

  /** 'unbound', 'interdomain', or undefined for a free port. */
  stateOf(dom: Domain, port: number): State | undefined {
    return this.port(dom, port)?.state;
  }

  /** The other end of an interdomain port: [domain, port]. */
  peerOf(dom: Domain, port: number): [Domain, number] | undefined {
    const p = this.port(dom, port);
    return p?.state === 'interdomain' ? [p.remote, p.remotePort] : undefined;
  }

  portCounts(dom: Domain, port: number): PortCounts {
    return { ...this.mustPort(dom, port).counts };
  }

  private *deliver(dom: Domain, port: number, p: Port): ProcessBody<void> {
    const c = this.costs;
    this.xen.attribution.charge(EVENT_CHANNEL, c.eventDelivery);
    yield c.eventDelivery;
    yield dom.vcpus.request();
    try {
      this.xen.attribution.charge(UPCALL, c.upcall);
      yield c.upcall;
    } finally {
      dom.vcpus.release();
    }
    this.n.upcalls++;
    p.pending = false;
    // Closed while the event was in flight: the upcall finds no handler (Linux: the irq is gone).
    if (this.table(dom)[port] !== p) return;
    p.counts.delivered++;
    const waiters = p.waiters;
    p.waiters = [];
    if (p.handler === undefined && waiters.length === 0) {
      p.latched = true;
      this.n.latched++;
    }
    if (p.handler !== undefined) p.handler(port);
    for (const w of waiters) w.succeed(port);
  }

  private failed(err: number): number {
    this.n.failures++;
    return err;
  }

  private table(dom: Domain): (Port | undefined)[] {
    let t = this.tables.get(dom.id);
    if (t === undefined) {
      t = [];
      this.tables.set(dom.id, t);
    }
    return t;
  }

  /** The lowest free port, as Xen's get_free_port scans; -ENOSPC past the 2-level limit. */
  private freePort(dom: Domain): number {
    const t = this.table(dom);
    for (let port = FIRST_PORT; port < EVTCHN_2L_NR_CHANNELS; port++) if (t[port] === undefined) return port;
    return EVTCHN_ERR.ENOSPC;
  }

  private port(dom: Domain, port: number): Port | undefined {
    return Number.isInteger(port) && port >= FIRST_PORT ? this.table(dom)[port] : undefined;
  }

  private mustPort(dom: Domain, port: number): Port {
    const p = this.port(dom, port);
    if (p === undefined) throw new RangeError(`model bug: ${dom.name} has no event-channel port ${port}`);
    return p;
  }
}

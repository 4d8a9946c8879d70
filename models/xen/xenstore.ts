/**
 * Xenstore as the slow setup path (Xen docs/misc/xenstore.txt; Linux
 * drivers/xen/xenbus): a tree of paths to string values in xenstored, a
 * dom0 process that every domain reaches through its xenstore ring and an
 * event channel.
 *
 * Time: each request (read, write, directory, rm, watch, unwatch) is one
 * round trip of `xenstoreRequest`, served by a single xenstored one request
 * at a time in arrival order (a Resource of capacity 1), so concurrent
 * requests queue. The caller sleeps in xenbus meanwhile: its vCPU is free.
 * A request's effect happens when xenstored finishes it, just as its reply
 * goes back. A watch event reaches the watcher `xenstoreWatchFire` after
 * the change that fired it, in order, without holding xenstored.
 *
 * Semantics kept from xenstore.txt: paths not starting with '/' are
 * relative to the caller's home /local/domain/<domid>; writing a path
 * creates its missing parents (empty values); a watch fires for a change to
 * its path or any descendant, fires once straight away when set up (with
 * the watch's own path), and reports paths relative if it was set relative;
 * removing a parent of a watched path fires the watch with its own path.
 * Left out: permissions, transactions, quotas.
 *
 * Determinism: the tree is a Map, but nothing reaches output in its order:
 * directory listings and `paths()` are sorted by code units, and watches
 * fire in the order they were set up.
 */
import { Resource, Store, type ProcessBody, type SimEvent } from '../../src/sim/index.js';
import type { XenChannelCosts } from './channel-costs.js';
import type { Domain, Hypervisor } from './hypervisor.js';

/** Attribution categories: request round trips, and watch-event delivery. */
export const XENSTORE = 'xenstore';
export const XENSTORE_WATCH = 'xenstore-watch';

/** Request names in the counts (xs_wire.h XS_*). */
export const XS_OP = { read: 'read', write: 'write', directory: 'directory', rm: 'rm', watch: 'watch', unwatch: 'unwatch' } as const;
export type XsOp = (typeof XS_OP)[keyof typeof XS_OP];

/** A domain's home directory, the base of its relative paths (xenstore.txt). */
export function domainHome(domid: number): string {
  return `/local/domain/${domid}`;
}

/** Code-unit order, not localeCompare: output must not depend on the machine's locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Is `path` `base` or below it? */
function isUnder(path: string, base: string): boolean {
  return path === base || base === '/' || path.startsWith(`${base}/`);
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** A watch a process waits on: `yield watch.next()` gives the path of the next event, in order. */
export class XsWatch {
  private readonly events: Store<string>;
  private nFired = 0;
  active = true;

  /** `path` is absolute; `given` is as the caller wrote it (relative events come back relative). */
  constructor(readonly xenstore: Xenstore, readonly dom: Domain, readonly path: string, readonly given: string) {
    this.events = new Store<string>(xenstore.xen.sim, Infinity, `${dom.name}/xs-watch`);
  }

  /** The next event's path (at once if one already arrived). */
  next(): SimEvent<string> {
    return this.events.get();
  }

  /** Events delivered so far (taken or not). */
  get fired(): number {
    return this.nFired;
  }

  /** Events delivered and not yet taken with next(). */
  get queued(): number {
    return this.events.length;
  }

  /** @internal: an event arriving at the watcher. */
  arrive(path: string): boolean {
    if (!this.active) return false;
    this.nFired++;
    this.events.tryPut(path);
    return true;
  }

  /** The event path as this watch reports it. */
  reported(absolute: string): string {
    if (this.given.startsWith('/')) return absolute;
    return absolute.slice(domainHome(this.dom.id).length + 1);
  }
}

export interface XenstoreCounts {
  requests: number;
  byOp: Record<string, number>;
  /** Requests that found xenstored busy and waited. */
  queued: number;
  /** Total time requests waited for xenstored, ps. */
  queueWaitPs: number;
  /** The longest queue of waiting requests seen. */
  maxQueue: number;
  /** Watch events delivered, and those dropped because the watch was removed first. */
  watchEvents: number;
  watchEventsDropped: number;
}

export class Xenstore {
  /** xenstored: one request at a time. */
  readonly xenstored: Resource;
  /** Absolute path -> value; the root always exists. */
  private readonly nodes = new Map<string, string>([['/', '']]);
  private readonly watches: XsWatch[] = [];
  private readonly byOp = new Map<string, number>();
  private readonly n = { requests: 0, queued: 0, queueWaitPs: 0, maxQueue: 0, watchEvents: 0, watchEventsDropped: 0 };

  constructor(readonly xen: Hypervisor, readonly costs: XenChannelCosts) {
    this.xenstored = new Resource(xen.sim, 1, 'xenstored');
  }

  /** XS_READ: the value, or undefined if the path does not exist (ENOENT). */
  *read(dom: Domain, path: string): ProcessBody<string | undefined> {
    const abs = this.resolve(dom, path);
    return yield* this.request(XS_OP.read, () => this.nodes.get(abs));
  }

  /** XS_WRITE: sets the value, creating missing parents; fires the watches on the path and its ancestors. */
  *write(dom: Domain, path: string, value: string): ProcessBody<void> {
    const abs = this.resolve(dom, path);
    yield* this.request(XS_OP.write, () => {
      for (let p = parentOf(abs); !this.nodes.has(p); p = parentOf(p)) this.nodes.set(p, '');
      this.nodes.set(abs, value);
      this.fire(abs, false);
    });
  }

  /** XS_DIRECTORY: the children's names, sorted; undefined if the path does not exist. */
  *directory(dom: Domain, path: string): ProcessBody<string[] | undefined> {
    const abs = this.resolve(dom, path);
    return yield* this.request(XS_OP.directory, () => this.children(abs));
  }

  /** XS_RM: removes the path and everything below it; false if it did not exist. */
  *rm(dom: Domain, path: string): ProcessBody<boolean> {
    const abs = this.resolve(dom, path);
    if (abs === '/') throw new RangeError('model bug: xenstore root cannot be removed');
    return yield* this.request(XS_OP.rm, () => {
      if (!this.nodes.has(abs)) return false;
      for (const p of this.paths()) if (isUnder(p, abs)) this.nodes.delete(p);
      this.fire(abs, true);
      return true;
    });
  }

  /** XS_WATCH on `path` and below: the watch, which also fires once straight away. */
  *watch(dom: Domain, path: string): ProcessBody<XsWatch> {
    const abs = this.resolve(dom, path);
    return yield* this.request(XS_OP.watch, () => {
      const w = new XsWatch(this, dom, abs, path);
      this.watches.push(w);
      this.send(w, abs);
      return w;
    });
  }

  /** XS_UNWATCH: no more events; those not yet delivered are dropped (Linux purges them too). */
  *unwatch(w: XsWatch): ProcessBody<void> {
    yield* this.request(XS_OP.unwatch, () => {
      w.active = false;
      const i = this.watches.indexOf(w);
      if (i >= 0) this.watches.splice(i, 1);
    });
  }

  /** The value at an absolute path now, without a request (tests, reports). */
  peek(path: string): string | undefined {
    return this.nodes.get(path);
  }

  /** Every path in the store, sorted. */
  paths(): string[] {
    return [...this.nodes.keys()].sort(byCodeUnits);
  }

  counts(): XenstoreCounts {
    const byOp: Record<string, number> = {};
    for (const k of [...this.byOp.keys()].sort(byCodeUnits)) byOp[k] = this.byOp.get(k)!;
    return { ...this.n, byOp };
  }

  /** Absolute form of `path` for `dom`; malformed paths are model bugs. */
  resolve(dom: Domain, path: string): string {
    const abs = path.startsWith('/') ? path : `${domainHome(dom.id)}/${path}`;
    if (path.length === 0 || (abs !== '/' && (abs.endsWith('/') || abs.includes('//')))) {
      throw new RangeError(`model bug: malformed xenstore path ${JSON.stringify(path)}`);
    }
    return abs;
  }

  /** One round trip through xenstored; `apply` is the request's effect, at the end of its service. */
  private *request<T>(op: XsOp, apply: () => T): ProcessBody<T> {
    this.n.requests++;
    this.byOp.set(op, (this.byOp.get(op) ?? 0) + 1);
    const sim = this.xen.sim;
    const arrived = sim.now;
    const grant = this.xenstored.request();
    if (!grant.triggered) {
      this.n.queued++;
      this.n.maxQueue = Math.max(this.n.maxQueue, this.xenstored.queued);
    }
    yield grant;
    this.n.queueWaitPs += sim.now - arrived;
    try {
      this.xen.attribution.charge(XENSTORE, this.costs.xenstoreRequest);
      yield this.costs.xenstoreRequest;
      return apply();
    } finally {
      this.xenstored.release();
    }
  }

  private children(abs: string): string[] | undefined {
    if (!this.nodes.has(abs)) return undefined;
    const names: string[] = [];
    for (const p of this.nodes.keys()) if (p !== '/' && parentOf(p) === abs) names.push(p.slice(abs === '/' ? 1 : abs.length + 1));
    return names.sort(byCodeUnits);
  }

  /** Fires every watch a change at `abs` concerns, in the order the watches were set up. */
  private fire(abs: string, removal: boolean): void {
    for (const w of this.watches) {
      if (isUnder(abs, w.path)) this.send(w, abs);
      // A removed parent of the watched path: the event carries the watch's own path (xenstore.txt WATCH_EVENT).
      else if (removal && isUnder(w.path, abs)) this.send(w, w.path);
    }
  }

  private send(w: XsWatch, abs: string): void {
    const fire = this.costs.xenstoreWatchFire;
    this.xen.attribution.charge(XENSTORE_WATCH, fire);
    this.xen.sim.schedule(fire, deliverWatch, { store: this, w, path: w.reported(abs) });
  }

  /** @internal */
  delivered(ok: boolean): void {
    if (ok) this.n.watchEvents++;
    else this.n.watchEventsDropped++;
  }
}

function deliverWatch(x: { store: Xenstore; w: XsWatch; path: string }): void {
  x.store.delivered(x.w.arrive(x.path));
}

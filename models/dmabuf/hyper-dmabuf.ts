/**
 * hyper_dmabuf (RFC v2, 2018): sharing a dma-buf between Xen domains with
 * the multi-level gref scheme and a message ring per domain pair and
 * direction, as generator processes (SOURCES.md "hyper_dmabuf protocol
 * (RFC v2, 2018)", "Xen grant tables and rings", "The three gref schemes";
 * the RFC's drivers/dma-buf/hyper_dmabuf/: hyper_dmabuf_ioctl.c, _msg.c,
 * _ops.c, _remote_sync.c, _event.c, backends/xen/hyper_dmabuf_xen_comm.c).
 *
 * API (every `*method` is a generator: `yield*` it inside a process):
 *
 *   const hd = new HyperDmabuf(xen, grantOps, eventChannels, xenstore, costs,
 *                              { design, syncWait, pollRng });
 *   yield* hd.connect(a, b)               channels a→b and b→a; 0 or -errno
 *   yield* hd.connectOneWay(from, to)     one channel (from sends, to answers)
 *   yield* hd.export(exp, imp, pages, privBytes)  → { ok, hid, freed } | { ok: false, errno, reason }
 *   yield* hd.exportFd(imp, hid)          → { ok, fd } | { ok: false, errno, reason }
 *   yield* hd.op(imp, hid, 'map')         one of the 14 dma-buf ops on the importer's fd; 0 or -errno
 *   yield* hd.unexport(exp, hid, delayPs) schedules the unexport; 0 or -errno
 *   yield* hd.query(dom, hid, 'busy')     local lookup, no message
 *   yield* hd.readEvents(imp)             the NEW_IMPORT events queued so far
 *   hd.setFault(from, to, 'silent' | 'refuse' | 'none'); hd.counts(); hd.channel(from, to)
 *
 * `freed` (in an export's result) succeeds once the exporter has ended
 * foreign access on all N + L2 + 1 refs, with the number of refs it had to
 * give up on (leaked; normally 0).
 *
 * What is modelled, and how:
 *
 *  - Channel a→b (xen_be_init_tx_rbuf on a, xen_be_init_rx_rbuf on b): a
 *    grants the ring page (writable: b writes responses into it), allocates
 *    an unbound event channel for b, writes grefid and port under
 *    /local/domain/<a>/data/hyper_dmabuf/<b>/ and watches b's port key for
 *    the reverse ring; b reads the two keys, maps the ring page, binds the
 *    channel. Requests flow a→b, responses b→a, on one page of 268-byte
 *    messages (struct hyper_dmabuf_req: req_id, stat, cmd, 64 operands:
 *    8 slots). a's ring interrupt handler takes responses; b's takes
 *    requests, handles each (msg_parse) and answers at once.
 *  - Sending (xen_be_send_req): while the ring is full, sleep pollInterval,
 *    at most pollLimit times, then -EBUSY; take the channel's mutex, push,
 *    notify; a waiting sender keeps the mutex and checks for its response,
 *    then sleeps, pollLimit times at most, then -EBUSY. A response that
 *    arrives during a sleep is seen at the next check: every waited
 *    message costs at least one pollInterval. A lost or refused request
 *    therefore ends a waiting sender in -EBUSY after exactly pollLimit
 *    sleeps, and a sender that does not wait in -EBUSY once its unanswered
 *    requests fill the ring: the run always ends.
 *  - Export (EXPORT_REMOTE ioctl): the source buffer (import-and-forward:
 *    dma_buf_get, attach, map_attachment, extract pages; exporter-only:
 *    allocate the pages and export a local fd), grant N + L2 + 1 entries
 *    read-only with the multi-level scheme (gref-schemes.ts; `scheme`
 *    'directory' puts displif's directory behind the top ref instead, as
 *    the 2018 discussion proposed; `limits` 'as-written' fails past the
 *    RFC's order-10 allocation of the second-level table), send EXPORT
 *    (id, nents, offsets, top-level ref, private data ≤ 192 B) and wait.
 *    The importer answers at once and registers the import on a workqueue,
 *    queueing a NEW_IMPORT event (the queue holds eventQueueDepth and drops
 *    its oldest).
 *  - Import (EXPORT_FD ioctl on the importer, under its driver mutex): an
 *    EXPORT_FD round trip (the exporter counts an active user, or answers
 *    ERROR if the buffer is gone or unexported), then, if not mapped yet,
 *    importBuffer: multi-level, 5 grant hypercalls, 3 dependent maps; an
 *    sg_table; a local dma-buf fd. A failed round trip or map sends
 *    EXPORT_FD_FAILED (not waited) to undo the count.
 *  - Ops (the importer's dma_buf_ops): its own work, and in the
 *    import-and-forward design OPS_TO_SOURCE to the exporter, which replays
 *    the op on the original buffer (attach and map at their dma-buf costs);
 *    `syncWait` decides whether the importer waits for the answer (the RFC
 *    does not). 'release' drops one local fd; the last one unmaps the data
 *    pages. In the exporter-only design ops stay local: no message.
 *  - Unexport: after `delayPs` (the ioctl returns at once), the buffer is
 *    marked invalid and NOTIFY_UNEXPORT is sent and waited for; the
 *    importer drops the import, or marks it invalid while fds are open.
 *    Import-and-forward: if the exporter still counts active users it
 *    defers the cleanup to the RELEASE that brings the count to zero;
 *    then it ends foreign access on every ref and releases the source.
 *    Exporter-only: the exporter cannot know when the importer is done, so
 *    it ends access at once; refs still mapped go on Linux's deferred list
 *    (gnttab_end_foreign_access), retried every deferredEndRetry until
 *    unmapped, or counted as leaked after deferredEndTries.
 *  - Query: a local lookup, no message.
 *
 * Deviations from the RFC code, on purpose: a failed EXPORT send ends access
 * on the refs it granted (the RFC's error path leaks them); the RFC tracks
 * the pending response in one global (req_pending), so two waiting senders
 * on different channels overwrite each other: here each request has its own;
 * a full ring returns -EBUSY as SOURCES.md says (the RFC's full-ring
 * path returns -EIO). Left out: re-export of the same dma-buf (fastpath
 * private-data update, cancelling a scheduled unexport), reuse of buffer
 * ids, the auto-connect scan and the watch callback that sets up the
 * reverse channel (connect() runs those steps in sequence instead), channel
 * teardown, the remote-sync attachment/mapping lists (a replay always
 * succeeds), mmap's "not supported" path, dma_map_sg in the importer's map.
 *
 * Determinism: poll jitter and the buffer ids' random keys come from named
 * random streams (`sim.rng`), so a run depends only on its seed.
 */
import type { ProcessBody, RandomStream, SimEvent, Simulation } from '../../src/sim/index.js';
import { Resource } from '../../src/sim/index.js';
import type { Time } from '../../src/sim/time.js';
import type { EventChannels } from '../xen/event-channel.js';
import type { GrantMapping, GrantOps } from '../xen/gnttab.js';
import { NO_REF } from '../xen/grant-table.js';
import type { Domain, Hypervisor } from '../xen/hypervisor.js';
import { RING_HEADER_BYTES, ringSlots, SharedRing, XenRing } from '../xen/ring.js';
import type { Xenstore } from '../xen/xenstore.js';
import { exportBuffer, HYPER_DMABUF_MESSAGE_BYTES, importBuffer, type ExportedBuffer, type LimitsMode } from './gref-schemes.js';
import type { HyperDmabufCosts } from './hyper-dmabuf-costs.js';

/** Attribution categories: the driver's own work, the dma-buf side (framework and exporting driver), senders asleep between polls. */
export const HYPER_DMABUF = 'hyper-dmabuf';
export const DMA_BUF = 'dma-buf';
export const POLL_WAIT = 'hyper-dmabuf-poll';

/** struct hyper_dmabuf_req: req_id, stat, cmd, then op[MAX_NUMBER_OF_OPERANDS], all 4-byte ints (hyper_dmabuf_msg.h). */
export const MESSAGE_HEADER_WORDS = 3;
export const MAX_NUMBER_OF_OPERANDS = 64;
export const WORD_BYTES = 4;
export const MESSAGE_BYTES = (MESSAGE_HEADER_WORDS + MAX_NUMBER_OF_OPERANDS) * WORD_BYTES;
if (MESSAGE_BYTES !== HYPER_DMABUF_MESSAGE_BYTES) throw new Error('model bug: hyper_dmabuf message size disagrees with gref-schemes.ts');

/** hyper_dmabuf_id_t: an int id (domid << 24 | count) and a 3-word random key: 16 bytes. */
export const HID_KEY_WORDS = 3;
export const HID_BYTES = (1 + HID_KEY_WORDS) * WORD_BYTES;
/** HYPER_DMABUF_ID_CREATE: the domid in the top 8 bits, a counter in the low 24. */
const HID_DOMID_BITS = 8;
const HID_COUNT_BITS = 24;
const U32_MAX = 0xffff_ffff;
/** MAX_SIZE_PRIV_DATA: larger private data is truncated to this (hyper_dmabuf_ioctl.c). */
export const MAX_SIZE_PRIV_DATA = 192;

/** Linux errno values, negated as the driver returns them. */
export const ERRNO = { ENOENT: -2, EIO: -5, EFAULT: -14, EBUSY: -16, EINVAL: -22, ENOSPC: -28 } as const;

/** enum hyper_dmabuf_req_feedback (hyper_dmabuf_msg.h): a response's status. */
export const REQ_STATUS = { PROCESSED: 0x100, NEEDS_FOLLOW_UP: 0x101, ERROR: 0x102, NOT_RESPONDED: 0x103 } as const;

/** enum hyper_dmabuf_command, the messages of the protocol (OPS_TO_REMOTE is declared but never sent). */
export const COMMANDS = ['EXPORT', 'EXPORT_FD', 'EXPORT_FD_FAILED', 'NOTIFY_UNEXPORT', 'OPS_TO_SOURCE'] as const;
export type Command = (typeof COMMANDS)[number];

/** enum hyper_dmabuf_ops: the 14 dma-buf ops an importer forwards, in the RFC's order. */
export const DMABUF_OPS = [
  'attach', 'detach', 'map', 'unmap', 'release', 'begin_cpu_access', 'end_cpu_access',
  'kmap_atomic', 'kunmap_atomic', 'kmap', 'kunmap', 'mmap', 'vmap', 'vunmap',
] as const;
export type DmabufOp = (typeof DMABUF_OPS)[number];

/** The query ioctl's items (HYPER_DMABUF_QUERY_*; PRIV_INFO itself is left out, its size is kept). */
export const QUERY_ITEMS = ['type', 'exporter', 'importer', 'size', 'busy', 'unexported', 'delayed-unexport', 'priv-size'] as const;
export type QueryItem = (typeof QUERY_ITEMS)[number];

/**
 * import-and-forward: hyper_dmabuf imports an existing dma-buf and forwards
 * it, so the importer's ops must be replayed on the original (remote sync).
 * exporter-only: the sharing driver allocates and owns the buffer, nothing
 * to keep in sync: ops on the importer are local.
 */
export type Design = 'import-and-forward' | 'exporter-only';
export const DESIGNS: readonly Design[] = ['import-and-forward', 'exporter-only'];

/** A channel's misbehaving receiver, to test time-outs: 'silent' stops taking requests; 'refuse' takes them and never answers (msg_parse failed). */
export type ChannelFault = 'none' | 'silent' | 'refuse';

export interface Hid {
  readonly id: number;
  readonly key: readonly number[];
}

/** The domain that exported a buffer, from its id (HYPER_DMABUF_DOM_ID). */
export function hidDomain(h: Hid): number {
  return h.id >>> HID_COUNT_BITS;
}

function hidString(h: Hid): string {
  return `${h.id}:${h.key.join(':')}`;
}

/** What EXPORT carries besides the id: nents, offsets and top-level ref (the multi-level refs behind it), private data. */
interface SharedPages {
  readonly nents: number;
  readonly buffer: ExportedBuffer;
  readonly privBytes: number;
}

interface Request {
  reqId: number;
  cmd: Command;
  hid: Hid;
  op?: DmabufOp;
  pages?: SharedPages;
}

interface Response {
  respId: number;
  cmd: Command;
  status: number;
}

/** One direction of a domain pair: `from` sends requests, `to` answers them. */
export class HyperDmabufChannel {
  /** ring_info->lock: one sender at a time pushes, and a waiting sender holds it until answered. */
  readonly lock: Resource;
  fault: ChannelFault = 'none';
  /** Waited requests not yet finished: req_id -> status (NOT_RESPONDED until the response is taken). */
  readonly pending = new Map<number, number>();

  constructor(readonly from: Domain, readonly to: Domain, readonly ring: XenRing<Request, Response>, readonly ringRef: number, readonly ringMapping: GrantMapping) {
    this.lock = new Resource(from.xen.sim, 1, `${from.name}->${to.name}/hyper_dmabuf-lock`);
  }
}

interface Exported {
  readonly hid: Hid;
  readonly exporter: Domain;
  readonly importer: Domain;
  readonly pages: number;
  readonly privBytes: number;
  readonly buffer: ExportedBuffer;
  valid: boolean;
  /** Local fds the importer made of it (EXPORT_FD less RELEASE and EXPORT_FD_FAILED). */
  active: number;
  unexportScheduled: boolean;
  cleaned: boolean;
  readonly freed: SimEvent<number>;
}

interface Imported {
  readonly hid: Hid;
  readonly exporter: Domain;
  readonly shared: SharedPages;
  valid: boolean;
  /** Local dma-buf fds open on it. */
  importers: number;
  /** The data pages while mapped. */
  mappings: GrantMapping[] | undefined;
}

/** A NEW_IMPORT event as a reader of /dev/hyper_dmabuf gets it. */
export interface NewImportEvent {
  readonly hid: Hid;
  readonly exporter: number;
  readonly pages: number;
  readonly privBytes: number;
  readonly at: Time;
}

interface DomainState {
  /** hy_drv_priv->lock, held by the EXPORT_FD ioctl. */
  readonly lock: Resource;
  readonly exported: Map<string, Exported>;
  readonly imported: Map<string, Imported>;
  events: NewImportEvent[];
  nextCount: number;
}

export type Failure = { ok: false; errno: number; reason: string };
export type ExportResult = { ok: true; hid: Hid; freed: SimEvent<number> } | Failure;
export type ExportFdResult = { ok: true; fd: number } | Failure;
export type QueryResult = { ok: true; value: number | boolean | string } | Failure;

export type HyperDmabufScheme = 'multilevel' | 'directory';
export const HYPER_DMABUF_SCHEMES: readonly HyperDmabufScheme[] = ['multilevel', 'directory'];

export interface HyperDmabufOptions {
  design?: Design;
  /** Import-and-forward: does the importer wait for OPS_TO_SOURCE's answer? (The RFC does not: WAIT_AFTER_SYNC_REQ is 0.) */
  syncWait?: boolean;
  /** The gref scheme EXPORT's top-level ref leads to: the RFC's multi-level table, or displif's directory (as the 2018 discussion proposed). */
  scheme?: HyperDmabufScheme;
  /** Limits of the scheme as designed or as the RFC's code allocates (gref-schemes.ts). */
  limits?: LimitsMode;
  /** Stream for poll jitter (default: the simulation's "dmabuf/hyper-dmabuf/poll"). */
  pollRng?: RandomStream;
}

export interface HyperDmabufCounts {
  channels: number;
  /** Requests pushed onto rings, by command. */
  messages: Record<Command, number>;
  messagesTotal: number;
  /** Bytes those requests and their responses took in ring slots. */
  messageBytes: number;
  /** Responses taken by the senders' ring handlers. */
  responses: number;
  /** Requests that never got a response (refused, not taken, or not yet answered). */
  unanswered: number;
  refused: number;
  /** Sends that waited for their response, sleeps of waiting or ring-full senders, waits that timed out, sends refused by a ring full for pollLimit sleeps. */
  waits: number;
  polls: number;
  timeouts: number;
  ringFullTimeouts: number;
  exports: number;
  exportFailures: number;
  /** Local fds made by EXPORT_FD ioctls, and those that failed. */
  imports: number;
  importFailures: number;
  /** Imports that mapped the buffer (the others reused a mapping). */
  mapImports: number;
  unexports: number;
  /** NOTIFY_UNEXPORT sends that failed (the exporter carries on, as the RFC does). */
  unexportFailures: number;
  cleanups: number;
  localOps: number;
  /** Ops the exporter replayed on the original buffer, by op. */
  replays: Record<DmabufOp, number>;
  newImportEvents: number;
  newImportDropped: number;
  deferredEndRetries: number;
  leakedRefs: number;
  privTruncated: number;
  queries: number;
}

const POLL_STREAM = 'dmabuf/hyper-dmabuf/poll';
const KEY_STREAM = 'dmabuf/hyper-dmabuf/hid-key';

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function fail(errno: number, reason: string): Failure {
  return { ok: false, errno, reason };
}

/** Where a's ring details for b live in xenstore (xen_comm_expose_ring_details). */
export function ringDetailsPath(from: number, to: number): string {
  return `/local/domain/${from}/data/hyper_dmabuf/${to}`;
}

export class HyperDmabuf {
  readonly design: Design;
  readonly syncWait: boolean;
  readonly scheme: HyperDmabufScheme;
  readonly limits: LimitsMode;
  /** Messages per ring page: 8 for 268-byte messages on 4 KiB pages. */
  readonly slots: number;
  private readonly sim: Simulation;
  private readonly byPair = new Map<string, HyperDmabufChannel>();
  private readonly doms = new Map<number, DomainState>();
  private readonly pollRng: RandomStream;
  private readonly keyRng: RandomStream;
  private reqIds = 0;
  private fds = 0;
  private readonly n = {
    channels: 0, responses: 0, refused: 0, waits: 0, polls: 0, timeouts: 0, ringFullTimeouts: 0,
    exports: 0, exportFailures: 0, imports: 0, importFailures: 0, mapImports: 0, unexports: 0, unexportFailures: 0, cleanups: 0,
    localOps: 0, newImportEvents: 0, newImportDropped: 0, deferredEndRetries: 0, leakedRefs: 0, privTruncated: 0, queries: 0,
  };
  private readonly messages = zeroed(COMMANDS);
  private readonly replays = zeroed(DMABUF_OPS);

  constructor(
    readonly xen: Hypervisor, readonly ops: GrantOps, readonly evtchn: EventChannels, readonly xenstore: Xenstore,
    readonly costs: HyperDmabufCosts, options: HyperDmabufOptions = {},
  ) {
    if (ops.xen !== xen || evtchn.xen !== xen || xenstore.xen !== xen) throw new Error('model bug: hyper_dmabuf needs grant ops, event channels and xenstore of one hypervisor');
    this.sim = xen.sim;
    this.design = options.design ?? 'import-and-forward';
    this.syncWait = options.syncWait ?? false;
    this.scheme = options.scheme ?? 'multilevel';
    this.limits = options.limits ?? 'design';
    this.pollRng = options.pollRng ?? this.sim.rng(POLL_STREAM);
    this.keyRng = this.sim.rng(KEY_STREAM);
    this.slots = ringSlots(xen.costs.pageBytes, RING_HEADER_BYTES, MESSAGE_BYTES);
    if (this.slots < 1) throw new RangeError(`a ${xen.costs.pageBytes}-byte page holds no ${MESSAGE_BYTES}-byte message`);
  }

  // ---- Channels ----

  /** Channels a→b and b→a (the RFC's rx setup on b sets up b's own tx ring too); 0 or the first error. */
  *connect(a: Domain, b: Domain): ProcessBody<number> {
    const rc = yield* this.connectOneWay(a, b);
    if (rc < 0) return rc;
    return yield* this.connectOneWay(b, a);
  }

  /** Channel from→to: `from`'s tx setup, then `to`'s rx setup. 0 (also if it exists) or -errno. */
  *connectOneWay(from: Domain, to: Domain): ProcessBody<number> {
    if (from === to) return ERRNO.EINVAL;
    if (this.byPair.has(pairKey(from, to))) return 0;
    const xs = this.xenstore, dir = ringDetailsPath(from.id, to.id);
    // xen_be_init_tx_rbuf on `from`.
    const [ref] = yield* this.ops.grantAccess(from, to, 1, false);
    if (ref === undefined || ref === NO_REF) return ERRNO.EFAULT;
    const port = yield* this.evtchn.allocUnbound(from, to);
    if (port < 0) {
      yield* this.ops.endAccess(from, [ref]);
      return ERRNO.EIO;
    }
    yield* xs.write(from, `${dir}/grefid`, String(ref));
    yield* xs.write(from, `${dir}/port`, String(port));
    // For the reverse ring; its events are what the RFC's callback acts on (connect() runs those steps itself).
    yield* xs.watch(from, `${ringDetailsPath(to.id, from.id)}/port`);
    // xen_be_init_rx_rbuf on `to`.
    const gref = yield* xs.read(to, `${dir}/grefid`);
    const rport = yield* xs.read(to, `${dir}/port`);
    if (gref === undefined || rport === undefined) return ERRNO.ENOENT;
    const m = yield* this.ops.map(to, from, [Number(gref)], false);
    if (m.mappings.length !== 1) return ERRNO.EFAULT;
    const bport = yield* this.evtchn.bindInterdomain(to, from, Number(rport));
    if (bport < 0) return ERRNO.EIO;
    const ring = new XenRing<Request, Response>(this.evtchn, new SharedRing<Request, Response>(this.xen.costs.pageBytes, MESSAGE_BYTES),
      { dom: from, port }, { dom: to, port: bport });
    const ch = new HyperDmabufChannel(from, to, ring, ref, m.mappings[0]!);
    this.byPair.set(pairKey(from, to), ch);
    this.n.channels++;
    // The channel's two threads serve as long as it exists: waiting at the end is how they end.
    this.sim.process(this.serveRequests(ch), `${to.name}/hyper_dmabuf-rx-${from.name}`, { daemon: true });
    this.sim.process(this.takeResponses(ch), `${from.name}/hyper_dmabuf-tx-${to.name}`, { daemon: true });
    return 0;
  }

  channel(from: Domain, to: Domain): HyperDmabufChannel | undefined {
    return this.byPair.get(pairKey(from, to));
  }

  /** Makes the receiver of from→to misbehave from now on (a 'silent' receiver does not come back). */
  setFault(from: Domain, to: Domain, fault: ChannelFault): void {
    const ch = this.channel(from, to);
    if (ch === undefined) throw new RangeError(`model bug: no hyper_dmabuf channel ${from.name}->${to.name}`);
    ch.fault = fault;
  }

  // ---- The ioctls ----

  /**
   * EXPORT_REMOTE on `exporter`: share `pages` pages with `importer`, with
   * `privBytes` of private data (truncated to 192). Returns once the
   * importer answered EXPORT, or failed.
   */
  *export(exporter: Domain, importer: Domain, pages: number, privBytes = 0): ProcessBody<ExportResult> {
    if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`a buffer has a positive whole number of pages, got ${pages}`);
    const c = this.costs;
    yield* this.cpu(exporter, c.syscall, HYPER_DMABUF);
    if (exporter === importer) return this.exportFailed(ERRNO.EINVAL, 'same-domain');
    const ch = this.channel(exporter, importer);
    if (ch === undefined) return this.exportFailed(ERRNO.ENOENT, 'no-channel');
    yield* this.cpu(exporter, this.sourceCost(pages), DMA_BUF);
    const priv = Math.min(Math.max(0, privBytes), MAX_SIZE_PRIV_DATA);
    if (privBytes > MAX_SIZE_PRIV_DATA) this.n.privTruncated++;
    const shared = yield* exportBuffer(this.ops, exporter, importer, this.scheme, pages, this.limits);
    if (!shared.ok) {
      yield* this.cpu(exporter, c.releaseSource, DMA_BUF);
      return this.exportFailed(shared.failure === 'grant-table-full' ? ERRNO.ENOSPC : ERRNO.EINVAL, shared.failure);
    }
    const hid = this.newHid(exporter);
    const e: Exported = {
      hid, exporter, importer, pages, privBytes: priv, buffer: shared.buffer,
      valid: true, active: 0, unexportScheduled: false, cleaned: false, freed: this.sim.signal<number>(),
    };
    this.state(exporter).exported.set(hidString(hid), e);
    const rc = yield* this.send(ch, { cmd: 'EXPORT', hid, pages: { nents: pages, buffer: shared.buffer, privBytes: priv } }, true);
    if (rc < 0) {
      yield* this.cleanup(e);
      return this.exportFailed(rc, 'export-message');
    }
    this.n.exports++;
    return { ok: true, hid, freed: e.freed };
  }

  /** EXPORT_FD on `importer`: a local dma-buf fd of an imported buffer (mapping it on first use). */
  *exportFd(importer: Domain, hid: Hid): ProcessBody<ExportFdResult> {
    const c = this.costs;
    yield* this.cpu(importer, c.syscall, HYPER_DMABUF);
    const st = this.state(importer);
    const imp = st.imported.get(hidString(hid));
    if (imp === undefined) return this.importFailed(ERRNO.ENOENT, 'not-imported');
    const ch = this.channel(importer, imp.exporter);
    if (ch === undefined) return this.importFailed(ERRNO.ENOENT, 'no-channel');
    yield st.lock.request();
    try {
      imp.importers++;
      const rc = yield* this.send(ch, { cmd: 'EXPORT_FD', hid }, true);
      if (rc < 0) {
        // The exporter may still get the request later: undo its count (not waited).
        yield* this.send(ch, { cmd: 'EXPORT_FD_FAILED', hid }, false);
        imp.importers--;
        return this.importFailed(rc, 'export-fd-message');
      }
      if (rc === REQ_STATUS.ERROR) {
        imp.importers--;
        return this.importFailed(ERRNO.EINVAL, 'buffer-invalid');
      }
      if (imp.mappings === undefined) {
        const mapped = yield* importBuffer(this.ops, importer, imp.exporter, imp.shared.buffer);
        if (!mapped.ok) {
          imp.importers--;
          yield* this.send(ch, { cmd: 'EXPORT_FD_FAILED', hid }, false);
          return this.importFailed(ERRNO.EINVAL, mapped.failure);
        }
        imp.mappings = mapped.mappings;
        this.n.mapImports++;
        yield* this.cpu(importer, c.sgTable + c.sgTablePerPage * imp.shared.nents, DMA_BUF);
      }
      yield* this.cpu(importer, c.exportDmabuf, DMA_BUF);
      this.n.imports++;
      return { ok: true, fd: ++this.fds };
    } finally {
      st.lock.release();
    }
  }

  /**
   * One dma-buf op on the importer's local buffer `hid` (one of its fds, for
   * 'release'). Import-and-forward: forwarded with OPS_TO_SOURCE, waited for
   * if `syncWait`. 0, or -errno (-EINVAL: no open fd; -EBUSY: time-out).
   */
  *op(importer: Domain, hid: Hid, op: DmabufOp): ProcessBody<number> {
    const c = this.costs;
    const st = this.state(importer), key = hidString(hid);
    const imp = st.imported.get(key);
    if (imp === undefined || imp.importers === 0) return ERRNO.EINVAL;
    // hyper_dmabuf_ops_map builds a new sg_table from the imported pages.
    yield* this.cpu(importer, c.localOp + (op === 'map' ? c.sgTablePerPage * imp.shared.nents : 0), DMA_BUF);
    this.n.localOps++;
    let finish = false;
    if (op === 'release') {
      // hyper_dmabuf_ops_release: the last fd unmaps the pages, before the sync request.
      imp.importers--;
      if (imp.importers === 0 && imp.mappings !== undefined) {
        const m = imp.mappings;
        imp.mappings = undefined;
        yield* this.ops.unmap(importer, m);
      }
      finish = !imp.valid && imp.importers === 0;
    }
    let rc = 0;
    if (this.design === 'import-and-forward') {
      const ch = this.channel(importer, imp.exporter);
      const status = ch === undefined ? ERRNO.ENOENT : yield* this.send(ch, { cmd: 'OPS_TO_SOURCE', hid, op }, this.syncWait);
      rc = status === REQ_STATUS.ERROR ? ERRNO.EINVAL : status < 0 ? status : 0;
    }
    // Unexported and no fd left: the import goes, after the sync request (as the RFC orders it).
    if (finish) st.imported.delete(key);
    return rc;
  }

  /** UNEXPORT on `exporter`: schedules the unexport `delayPs` from now and returns; 0 or -ENOENT. */
  *unexport(exporter: Domain, hid: Hid, delayPs: Time = 0): ProcessBody<number> {
    yield* this.cpu(exporter, this.costs.syscall, HYPER_DMABUF);
    const e = this.state(exporter).exported.get(hidString(hid));
    if (e === undefined) return ERRNO.ENOENT;
    if (e.unexportScheduled) return 0;
    e.unexportScheduled = true;
    this.n.unexports++;
    this.sim.process(this.delayedUnexport(e, delayPs), `${exporter.name}/hyper_dmabuf-unexport`);
    return 0;
  }

  /** QUERY on `dom`: answered from its own lists, no message. */
  *query(dom: Domain, hid: Hid, item: QueryItem): ProcessBody<QueryResult> {
    const c = this.costs;
    yield* this.cpu(dom, c.syscall + c.queryLookup, HYPER_DMABUF);
    this.n.queries++;
    const st = this.state(dom), key = hidString(hid);
    const bytes = (pages: number) => pages * this.xen.costs.pageBytes;
    const e = hidDomain(hid) === dom.id ? st.exported.get(key) : undefined;
    if (e !== undefined) {
      const v = { type: 'exported', exporter: dom.id, importer: e.importer.id, size: bytes(e.pages), busy: e.active > 0,
        unexported: !e.valid, 'delayed-unexport': e.unexportScheduled, 'priv-size': e.privBytes } as const;
      return { ok: true, value: v[item] };
    }
    const i = st.imported.get(key);
    if (i !== undefined) {
      const v = { type: 'imported', exporter: i.exporter.id, importer: dom.id, size: bytes(i.shared.nents), busy: i.importers > 0,
        unexported: !i.valid, 'delayed-unexport': false, 'priv-size': i.shared.privBytes } as const;
      return { ok: true, value: v[item] };
    }
    return fail(ERRNO.ENOENT, 'unknown-buffer');
  }

  /** read() on /dev/hyper_dmabuf: every queued NEW_IMPORT event, oldest first. */
  *readEvents(dom: Domain): ProcessBody<NewImportEvent[]> {
    yield* this.cpu(dom, this.costs.syscall, HYPER_DMABUF);
    const st = this.state(dom);
    const events = st.events;
    st.events = [];
    return events;
  }

  counts(): HyperDmabufCounts {
    const total = COMMANDS.reduce((s, k) => s + this.messages[k], 0);
    return {
      ...this.n,
      messages: { ...this.messages },
      messagesTotal: total,
      messageBytes: (total + this.n.responses) * MESSAGE_BYTES,
      unanswered: total - this.n.responses,
      replays: { ...this.replays },
    };
  }

  /**
   * Conservation of the driver's messages and buffers, true at any moment
   * (a send or a take in progress holds at most one message per channel
   * between ring and count): every request counted was pushed on a ring,
   * every response counted was taken from one, none answered twice or
   * answered and refused; every live export still grants all its refs to
   * its importer, and every mapped import holds one mapping per data page.
   */
  invariants(): string[] {
    const out: string[] = [];
    let pushed = 0, taken = 0, answered = 0, responsesTaken = 0;
    for (const ch of this.byPair.values()) {
      const r = ch.ring.ring.counts();
      pushed += r.requestsPushed; taken += r.requestsTaken; answered += r.responsesPushed; responsesTaken += r.responsesTaken;
      if (r.requestsTaken > r.requestsPushed || r.responsesTaken > r.responsesPushed || r.responsesPushed > r.requestsTaken) {
        out.push(`${ch.from.name}->${ch.to.name}: ${r.requestsPushed} requests pushed, ${r.requestsTaken} taken, ${r.responsesPushed} answered, ${r.responsesTaken} answers taken`);
      }
    }
    const c = this.counts();
    if (pushed < c.messagesTotal || pushed > c.messagesTotal + this.byPair.size) out.push(`${c.messagesTotal} messages counted, ${pushed} pushed on the rings`);
    if (responsesTaken < c.responses || responsesTaken > c.responses + this.byPair.size * this.slots) out.push(`${c.responses} responses counted, ${responsesTaken} taken from the rings`);
    if (answered + c.refused > taken) out.push(`${answered} requests answered + ${c.refused} refused > ${taken} taken`);
    if (c.cleanups > c.exports + c.exportFailures) out.push(`${c.cleanups} cleanups > ${c.exports} exports + ${c.exportFailures} failed`);
    for (const st of this.doms.values()) {
      for (const e of st.exported.values()) {
        const refs = [...e.buffer.dataRefs, ...e.buffer.metadataRefs];
        const lost = refs.filter((r) => !e.exporter.grants.grantedTo(r, e.importer.id, false)).length;
        if (lost > 0) out.push(`export ${hidString(e.hid)}: ${lost} of its ${refs.length} refs no longer granted to ${e.importer.name}`);
        if (e.active < 0) out.push(`export ${hidString(e.hid)}: ${e.active} active users`);
      }
      for (const i of st.imported.values()) {
        if (i.importers < 0) out.push(`import ${hidString(i.hid)}: ${i.importers} fds`);
        const m = i.mappings;
        if (m !== undefined && (m.length !== i.shared.nents || m.some((x) => x.granter.grants.mapped(x.ref) < 1))) {
          out.push(`import ${hidString(i.hid)}: ${m.length} mappings held for ${i.shared.nents} pages, or one no longer mapped`);
        }
      }
    }
    return out;
  }

  // ---- Sending and receiving ----

  /**
   * xen_be_send_req: a request on `ch`, waited for or not. For a waited
   * one, its response's status (REQ_STATUS); otherwise 0; -EBUSY if the
   * ring stayed full or the response did not come within pollLimit sleeps.
   */
  private *send(ch: HyperDmabufChannel, req: Omit<Request, 'reqId'>, wait: boolean): ProcessBody<number> {
    const limit = this.costs.pollLimit;
    let fullPolls = 0;
    for (;;) {
      while (ch.ring.ring.isFull()) {
        if (fullPolls === limit) {
          this.n.ringFullTimeouts++;
          return ERRNO.EBUSY;
        }
        yield* this.sleep();
        fullPolls++;
      }
      yield ch.lock.request();
      if (!ch.ring.ring.isFull()) break;
      // Another sender took the last slot while this one queued for the mutex: back to polling.
      ch.lock.release();
    }
    try {
      const r: Request = { ...req, reqId: ++this.reqIds };
      if (wait) ch.pending.set(r.reqId, REQ_STATUS.NOT_RESPONDED);
      if (!(yield* ch.ring.sendRequest(r))) throw new Error('model bug: a hyper_dmabuf ring filled while its mutex was held');
      this.messages[r.cmd]++;
      if (!wait) return 0;
      this.n.waits++;
      try {
        // `while (timeout--) { if answered break; usleep_range(); }`: a check, then a sleep, pollLimit
        // times; an answer that arrives during the last sleep is not looked at.
        for (let left = limit; left > 0; left--) {
          const status = ch.pending.get(r.reqId)!;
          if (status !== REQ_STATUS.NOT_RESPONDED) return status;
          yield* this.sleep();
        }
        this.n.timeouts++;
        return ERRNO.EBUSY;
      } finally {
        ch.pending.delete(r.reqId);
      }
    } finally {
      ch.lock.release();
    }
  }

  private *sleep(): ProcessBody<void> {
    const c = this.costs;
    const ps = c.pollJitter > 0 ? c.pollInterval + this.pollRng.int(0, c.pollJitter) : c.pollInterval;
    this.n.polls++;
    this.xen.attribution.charge(POLL_WAIT, ps);
    yield ps;
  }

  /** back_ring_isr on `ch.to`: takes requests, handles each and answers it at once. */
  private *serveRequests(ch: HyperDmabufChannel): ProcessBody<void> {
    for (;;) {
      yield* ch.ring.awaitRequests();
      if (ch.fault === 'silent') return;
      const reqs = yield* ch.ring.takeRequests();
      for (const req of reqs) {
        yield* this.cpu(ch.to, this.costs.msgParse, HYPER_DMABUF);
        if (ch.fault === 'refuse') {
          this.n.refused++;
          continue;
        }
        const status = yield* this.handle(ch, req);
        yield* ch.ring.sendResponses([{ respId: req.reqId, cmd: req.cmd, status }]);
      }
    }
  }

  /** front_ring_isr on `ch.from`: takes responses and marks the waited request answered. */
  private *takeResponses(ch: HyperDmabufChannel): ProcessBody<void> {
    for (;;) {
      yield* ch.ring.awaitResponses();
      for (const rsp of yield* ch.ring.takeResponses()) {
        this.n.responses++;
        if (ch.pending.has(rsp.respId)) ch.pending.set(rsp.respId, rsp.status);
      }
    }
  }

  /** hyper_dmabuf_msg_parse on the receiving domain `ch.to`, about `ch.from`: the response's status. */
  private *handle(ch: HyperDmabufChannel, req: Request): ProcessBody<number> {
    const here = this.state(ch.to), key = hidString(req.hid);
    switch (req.cmd) {
      case 'EXPORT':
        // Answered at once; the import is registered on a workqueue (cmd_process_work).
        this.sim.process(this.registerImport(ch.to, ch.from, req), `${ch.to.name}/hyper_dmabuf-wq`);
        return REQ_STATUS.PROCESSED;
      case 'EXPORT_FD': {
        const e = here.exported.get(key);
        if (e === undefined || !e.valid) return REQ_STATUS.ERROR;
        e.active++;
        return REQ_STATUS.PROCESSED;
      }
      case 'EXPORT_FD_FAILED': {
        const e = here.exported.get(key);
        if (e === undefined) return REQ_STATUS.ERROR;
        e.active--;
        return REQ_STATUS.PROCESSED;
      }
      case 'NOTIFY_UNEXPORT': {
        const i = here.imported.get(key);
        if (i === undefined) return REQ_STATUS.ERROR;
        // Still in use: no more fds may be made of it; otherwise it goes now.
        if (i.importers > 0) i.valid = false;
        else here.imported.delete(key);
        return REQ_STATUS.PROCESSED;
      }
      case 'OPS_TO_SOURCE':
        return yield* this.remoteSync(ch.to, req.hid, req.op!);
    }
  }

  /** hyper_dmabuf_remote_sync on the exporter: the op replayed on the original buffer; the last RELEASE of an unexported buffer cleans it up. */
  private *remoteSync(exporter: Domain, hid: Hid, op: DmabufOp): ProcessBody<number> {
    const e = this.state(exporter).exported.get(hidString(hid));
    if (e === undefined) return REQ_STATUS.ERROR;
    yield* this.cpu(exporter, this.replayCost(op, e.pages), DMA_BUF);
    this.replays[op]++;
    if (op === 'release') {
      e.active--;
      if (e.active === 0 && !e.valid && !e.unexportScheduled) yield* this.cleanup(e);
    }
    return REQ_STATUS.PROCESSED;
  }

  private *registerImport(importer: Domain, exporter: Domain, req: Request): ProcessBody<void> {
    yield this.costs.workqueueLatency;
    yield* this.cpu(importer, this.costs.registerImport, HYPER_DMABUF);
    const pages = req.pages!;
    const st = this.state(importer);
    st.imported.set(hidString(req.hid), { hid: req.hid, exporter, shared: pages, valid: true, importers: 0, mappings: undefined });
    // hyper_dmabuf_import_event: a full queue loses its oldest event.
    if (st.events.length >= this.costs.eventQueueDepth) {
      st.events.shift();
      this.n.newImportDropped++;
    }
    st.events.push({ hid: req.hid, exporter: exporter.id, pages: pages.nents, privBytes: pages.privBytes, at: this.sim.now });
    this.n.newImportEvents++;
  }

  // ---- Unexport and cleanup ----

  private *delayedUnexport(e: Exported, delayPs: Time): ProcessBody<void> {
    if (delayPs > 0) yield delayPs;
    e.valid = false;
    const ch = this.channel(e.exporter, e.importer);
    const rc = ch === undefined ? ERRNO.ENOENT : yield* this.send(ch, { cmd: 'NOTIFY_UNEXPORT', hid: e.hid }, true);
    if (rc < 0) this.n.unexportFailures++;
    e.unexportScheduled = false;
    // Import-and-forward: with fds still open, the RELEASE that closes the last one cleans up.
    if (this.design === 'exporter-only' || e.active === 0) yield* this.cleanup(e);
  }

  /** The exporter ends foreign access on all N + L2 + 1 refs and releases the source buffer; refs still mapped are deferred. */
  private *cleanup(e: Exported): ProcessBody<void> {
    if (e.cleaned) return;
    e.cleaned = true;
    this.state(e.exporter).exported.delete(hidString(e.hid));
    const refs = [...e.buffer.dataRefs, ...e.buffer.metadataRefs];
    const stillMapped = this.mappedRefs(e.exporter, refs);
    yield* this.ops.endAccess(e.exporter, refs);
    yield* this.cpu(e.exporter, this.costs.releaseSource, DMA_BUF);
    this.n.cleanups++;
    if (stillMapped.length === 0) e.freed.succeed(0);
    else this.sim.process(this.deferredEnd(e, stillMapped), `${e.exporter.name}/gnttab-deferred`);
  }

  /** Linux's deferred list: refs the peer still maps are tried again every deferredEndRetry, deferredEndTries times, then leaked. */
  private *deferredEnd(e: Exported, refs: number[]): ProcessBody<void> {
    let left = refs;
    for (let t = 0; t < this.costs.deferredEndTries && left.length > 0; t++) {
      yield this.costs.deferredEndRetry;
      this.n.deferredEndRetries++;
      const busy = this.mappedRefs(e.exporter, left);
      yield* this.ops.endAccess(e.exporter, left);
      left = busy;
    }
    this.n.leakedRefs += left.length;
    e.freed.succeed(left.length);
  }

  // ---- Helpers ----

  private mappedRefs(dom: Domain, refs: readonly number[]): number[] {
    return refs.filter((r) => dom.grants.mapped(r) > 0);
  }

  /** The source buffer of an export: the existing dma-buf's (import-and-forward) or a new driver-owned one (exporter-only). */
  private sourceCost(pages: number): Time {
    const c = this.costs;
    if (this.design === 'exporter-only') return c.allocPerPage * pages + c.exportDmabuf;
    return c.dmabufGet + c.dmabufAttach + c.mapAttachment + (c.mapAttachmentPerPage + c.extractPagesPerPage) * pages;
  }

  private replayCost(op: DmabufOp, pages: number): Time {
    const c = this.costs;
    if (op === 'attach') return c.dmabufAttach;
    if (op === 'map') return c.mapAttachment + c.mapAttachmentPerPage * pages;
    return c.replayOp;
  }

  /** hyper_dmabuf_get_hid: domid in the top 8 bits, a per-domain count in the low 24, and a random 3-word key. */
  private newHid(dom: Domain): Hid {
    const st = this.state(dom);
    const count = st.nextCount++ % 2 ** HID_COUNT_BITS;
    const id = ((dom.id % 2 ** HID_DOMID_BITS) * 2 ** HID_COUNT_BITS + count) >>> 0;
    const key = Array.from({ length: HID_KEY_WORDS }, () => this.keyRng.int(0, U32_MAX));
    return { id, key };
  }

  private state(dom: Domain): DomainState {
    let s = this.doms.get(dom.id);
    if (s === undefined) {
      s = { lock: new Resource(this.sim, 1, `${dom.name}/hyper_dmabuf-driver`), exported: new Map(), imported: new Map(), events: [], nextCount: 0 };
      this.doms.set(dom.id, s);
    }
    return s;
  }

  private exportFailed(errno: number, reason: string): Failure {
    this.n.exportFailures++;
    return fail(errno, reason);
  }

  private importFailed(errno: number, reason: string): Failure {
    this.n.importFailures++;
    return fail(errno, reason);
  }

  /** Work on one of `dom`'s vCPUs, charged to `category`. */
  private *cpu(dom: Domain, ps: Time, category: string): ProcessBody<void> {
    if (ps <= 0) return;
    this.xen.attribution.charge(category, ps);
    yield* dom.vcpus.use(ps);
  }
}

function pairKey(from: Domain, to: Domain): string {
  return `${from.id}->${to.id}`;
}

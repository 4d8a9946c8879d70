/**
 * dmabuf.displif: Xen's para-virtual display protocol (xen/include/public/io/
 * displif.h) between a frontend in a guest (its DRM driver) and a backend in
 * another domain (displ_be in dom0), on one displif ring (64-byte requests
 * and responses) with its event channel, and a second ring back for remote
 * sync; both real models (models/xen/ring.ts).
 *
 * A renderer (workloads.renderer) presents frames through it; a display
 * controller (workloads.scanout) may subscribe to what the backend flips to.
 *  - Buffers: `buffers` frame buffers of the renderer's size, allocated by
 *    the frontend in the guest's RAM, or with `allocation: 'backend'`
 *    (XENDISPL_DBUF_FLG_REQ_ALLOC) by the backend in its own RAM: the
 *    frontend grants the directory pages, the backend walks them, grants
 *    its data pages and writes their refs there, and the frontend maps the
 *    data before rendering.
 *  - `sharing: 'per-frame'`: each frame's buffer is shared anew (exported by
 *    its allocator with the gref `scheme`, imported by the other side) and
 *    the previous frame's torn down after the flip; `share-once`: every
 *    buffer shared before the first frame, a frame is a page-flip request.
 *  - `transfer: 'copy'`: the backend copies each frame into its own scanout
 *    buffer (the baseline zero-copy replaces), on its vCPU, before the flip.
 *  - `remoteSync`: before flipping, the backend brackets the frame with the
 *    dma-buf's CPU access ops replayed at the exporter, a request and a
 *    response each on the second ring (hyper_dmabuf's OPS_TO_SOURCE when
 *    waited).
 *  - Reuse: the frontend renders into a buffer again once the flip that
 *    replaced it on screen is answered (the page-flip event), or with
 *    `reuse: 'immediate'` in rotation at once: no fence crosses the VMs,
 *    so the display may read a buffer the guest is writing (each buffer's
 *    reservation, dma-resv.ts, detects it; the display counts torn frames).
 *  - The flip: with a display subscribed, the backend's page flip takes at
 *    the display's next vblank (then the previous buffer is released and the
 *    response sent); without one it costs `flip`.
 *
 * What the display reads: the addresses the backend's device uses for each
 * page: the backend's copy (its own frames), a grant mapping's IOVA when the
 * backend keeps an IOMMU context of its grants, else the frame's machine
 * address (a PV dom0 sees all memory 1:1).
 *
 * Left out: the backend's buffer creation beyond a fixed cost per page,
 * metadata pages in the IOMMU (only data pages are mapped for devices), the
 * event page (XENDISPL_EVT_PG_FLIP is the flip response here).
 *
 * Checked (conservation.ts): buffers shared are torn down or still granted
 * and mapped, requests and responses match the ring's, free buffers are free
 * once; the counts behind them are a few increments per frame.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { duration } from '../../src/scenario/units.js';
import { memcpyBandwidth } from './memcpy.js';
import { SimEvent, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US, transferTime, type Time } from '../../src/sim/time.js';
import type { GrantMapping } from '../xen/gnttab.js';
import type { Domain } from '../xen/hypervisor.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import { DmaResv } from './dma-resv.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import type { XenHost } from '../xen/xen-host.js';
import { GRANT_PAGE_BYTES } from '../xen/iommu-context.js';
import { refsNoLongerGranted } from '../xen/grant-holdings.js';
import { DISPLIF_MESSAGE_BYTES, exportBackendAllocated, exportBuffer, importBuffer, LIMITS_MODES, teardown, type ExportedBuffer } from './gref-schemes.js';
import { displifInvariants, type DisplifBookkeeping } from './conservation.js';

export const DISPLIF = 'dmabuf.displif';
/** Attribution category of the display backend's and the exporter's own work. */
export const DISPLAY = 'display';

const params = z.strictObject({
  frontend: ref(XEN_DOMAIN).describe("The guest whose DRM driver is displif's frontend"),
  backend: ref(XEN_DOMAIN).describe('The domain running the display backend (dom0: displ_be)'),
  buffers: z.number().int().min(2).default(2).describe('Frame buffers in rotation: 2 double, 3 triple buffering'),
  sharing: z.enum(['per-frame', 'share-once']).describe('Share (export, import, tear down) every frame, or every buffer once and reuse'),
  scheme: z.enum(['directory', 'multilevel']).default('directory').describe("Gref scheme of the sharing: displif's directory, or hyper_dmabuf's multi-level table as a what-if (displif has no flat array: xen-zcopy's is the backend's reading of the directory)"),
  allocation: z.enum(['frontend', 'backend']).default('frontend')
    .describe("Who allocates and grants the buffers: the frontend, or the backend on the frontend's request (displif be_alloc), the guest then mapping them"),
  transfer: z.enum(['zero-copy', 'copy']).default('zero-copy').describe("'copy': the backend copies every frame into its own scanout buffer (the baseline zero-copy replaces)"),
  bufferLayout: z.enum(['contiguous', 'scattered']).default('scattered').describe("The buffers' machine frames: contiguous, or scattered as a long-running guest's pages are"),
  reuse: z.enum(['after-flip', 'immediate']).default('after-flip')
    .describe("When the frontend renders into a buffer again: 'after-flip', once the flip that replaced it on screen is answered (XENDISPL_EVT_PG_FLIP, as displif's frontends do); 'immediate', the next buffer in rotation at once, not waiting (no sync across the VMs; needs share-once)"),
  remoteSync: z.boolean().default(false).describe('Backend brackets each frame with begin/end CPU access synced to the exporter (two round trips)'),
  limits: z.enum(LIMITS_MODES).default('design').describe("The scheme's limits as designed, or as the 2018 code allocates them (gref-schemes.ts)"),
  createBase: duration().default(20 * PS_PER_US).describe('Backend: creating a local buffer (DRM framebuffer) from imported pages, fixed part (est., 5-100 us)'),
  createPerPage: duration().default(20_000).describe('Backend: per page of that buffer, sg table and framebuffer setup (est., 5-100 ns)'),
  flip: duration().default(30 * PS_PER_US).describe('Backend without a display subscribed: an atomic page flip programmed into the display controller (est., 10-200 us)'),
  syncOp: duration().default(5 * PS_PER_US).describe('Exporter: replaying one dma-buf CPU-access op on the original buffer (est., 1-50 us)'),
  copyBandwidth: memcpyBandwidth("The backend copying a frame into its scan-out buffer"),
});
type Params = z.output<typeof params>;

const checkedParams = params.superRefine((p, ctx) => {
  if (p.reuse === 'immediate' && p.sharing !== 'share-once') ctx.addIssue({ code: 'custom', path: ['reuse'], message: "'immediate' reuse needs sharing 'share-once' (a buffer shared per frame is torn down when it leaves the screen)" });
});

const stats: readonly StatDecl[] = [
  { name: 'frames_flipped', unit: 'frames', description: 'Frames the backend flipped to' },
  { name: 'hypercalls_per_frame', unit: 'calls', description: 'Hypercalls per frame flipped, setup excluded' },
  { name: 'copied_bytes', unit: 'B', description: "Bytes the backend copied into its scanout buffers (transfer 'copy')" },
  { name: 'outcome', unit: '', description: "'ok', or why sharing failed: 'too-large-for-scheme', 'grant-table-full', 'map-failed', 'out-of-memory' (a domain's RAM cannot hold the buffers)" },
];

/** What a display reads for a frame: the bus address its device uses for each page. */
export interface DisplayBuffer {
  readonly pages: number;
  readonly addresses: readonly number[];
  /** The buffer's reservation: a display read overlapping the renderer's write is a torn frame. */
  readonly resv: DmaResv;
}

/** A display the backend flips to (workloads.scanout). */
export interface FlipTarget {
  /** Waits for the next vblank and latches `buffer` as the front buffer for scan-out from then on. */
  flipAt(buffer: DisplayBuffer, frame: number, tick: Time): ProcessBody<void>;
}

/** Told when a frame's flip response reaches the frontend; `shownAt` is when the flip took (the vblank that latched it, with a display). */
export interface PresentListener {
  presented(frame: number, buffer: number, tick: Time, shownAt: Time): void;
}

/** `shownAt` is filled in by the backend when the flip takes: the event carries it back. */
interface FlipRequest { kind: 'create' | 'flip'; frame: number; buffer: number; tick: Time; shownAt?: Time }
interface SyncRequest { op: 'begin' | 'end' }

export class Displif {
  private host!: XenHost;
  private front!: XenDomain;
  private back!: XenDomain;
  private exporter!: Domain;
  private importer!: Domain;
  private flips!: XenRing<FlipRequest, FlipRequest>;
  private sync!: XenRing<SyncRequest, SyncRequest>;
  private pages = 0;
  /** Per buffer: its frames in the allocator's RAM (empty when the domain has no RAM configured), its export and the backend's mappings. */
  private frames: number[][] = [];
  private exported: (ExportedBuffer | null)[] = [];
  private imported: (GrantMapping[] | null)[] = [];
  /** The backend's own scanout buffers (transfer 'copy'). */
  private copies: number[][] = [];
  /** Per buffer, its reservation (the guest's buffer; with 'copy' the backend's copy is only read after the copy). */
  private resvs: DmaResv[] = [];
  private nextInRotation = 0;
  private readonly created = new Map<number, SimEvent<void>>();
  private display: FlipTarget | null = null;
  private listener: PresentListener | null = null;
  private setupHypercalls = 0;
  private flipped = 0;
  private copiedBytes = 0;
  /** The buffer the backend last flipped to (-1: none yet): it leaves the screen at the next flip. */
  private onScreen = -1;
  // Counted for the conservation checks (bookkeeping()): buffers shared and torn down, requests and responses on the displif ring, buffers off and back on the free list.
  private exports = 0;
  private imports = 0;
  private teardowns = 0;
  private flipRequests = 0;
  private createRequests = 0;
  private createsServed = 0;
  private flipsAnswered = 0;
  private createsAnswered = 0;
  private taken = 0;
  private returned = 0;
  failure: string | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  get bufferCount(): number {
    return this.p.buffers;
  }

  connect(): void {
    this.front = this.ctx.peer<XenDomain>(this.p.frontend);
    this.back = this.ctx.peer<XenDomain>(this.p.backend);
    this.host = this.front.host;
    [this.exporter, this.importer] = this.p.allocation === 'frontend' ? [this.front.model, this.back.model] : [this.back.model, this.front.model];
  }

  /**
   * With a display: the domain whose RAM holds what it reads (the backend's
   * copies, the backend's own buffers, else the frontend's) must have RAM in
   * the scenario, or the buffers have no machine addresses to read. A
   * scenario's mistake, refused before the run.
   */
  start(): void {
    if (this.display === null) return;
    const holder = this.p.transfer === 'copy' || this.p.allocation === 'backend' ? this.p.backend : this.p.frontend;
    if (!this.ctx.peer<XenDomain>(holder).hasRam) {
      throw new RangeError(`the display reads its buffers from ${holder}'s RAM (transfer '${this.p.transfer}', allocation '${this.p.allocation}'): give ${holder} memoryBase and memorySize`);
    }
  }

  /** A display controller subscribes to what the backend flips to. */
  attachDisplay(display: FlipTarget): void {
    if (this.display !== null) throw new Error(`model bug: ${this.ctx.name} has two displays`);
    this.display = display;
  }

  /**
   * The renderer's setup: rings and event channels, buffers of `pages` pages,
   * shared up front for `share-once`; the backend and the sync server start.
   * False if sharing failed (`failure` says why).
   */
  *setup(pages: number, listener: PresentListener): ProcessBody<boolean> {
    this.pages = pages;
    this.listener = listener;
    const flips = yield* connectRing<FlipRequest, FlipRequest>(this.host.channels, this.front.model, this.back.model, DISPLIF_MESSAGE_BYTES);
    const sync = yield* connectRing<SyncRequest, SyncRequest>(this.host.channels, this.back.model, this.front.model, DISPLIF_MESSAGE_BYTES);
    if (typeof flips === 'number' || typeof sync === 'number') throw new Error('model bug: a fresh domain has free event-channel ports');
    this.flips = flips;
    this.sync = sync;
    const allocator = this.p.allocation === 'frontend' ? this.front : this.back;
    const n = this.p.buffers;
    const frames = Array.from({ length: n }, () => ({ pages, layout: this.p.bufferLayout }));
    const copies = this.p.transfer === 'copy' ? Array.from({ length: n }, () => ({ pages, layout: 'contiguous' as const })) : [];
    // The buffers' allocation (the frontend's GEM objects, or the backend's with be_alloc, and the backend's copies)
    // failing with -ENOMEM: the display never starts.
    const room = allocator === this.back ? this.back.hasRoomFor([...frames, ...copies]) : allocator.hasRoomFor(frames) && this.back.hasRoomFor(copies);
    if (!room) { this.failure = 'out-of-memory'; return false; }
    this.frames = frames.map((b) => allocator.allocate(b.pages, b.layout) ?? []);
    this.copies = copies.map((b) => this.back.allocate(b.pages, b.layout) ?? []);
    this.free.push(...Array.from({ length: n }, (_, b) => b));
    this.resvs = Array.from({ length: n }, () => new DmaResv());
    this.exported = new Array<ExportedBuffer | null>(n).fill(null);
    this.imported = new Array<GrantMapping[] | null>(n).fill(null);
    if (this.p.sharing === 'share-once') {
      for (let b = 0; b < n; b++) if (!(yield* this.shareBuffer(b))) return false;
    }
    this.setupHypercalls = this.host.xen.counts().hypercalls;
    // The backend's loops serve for as long as the connection lasts: waiting at the end is how they end.
    const daemon = { daemon: true };
    this.ctx.sim.process(this.backend(), `${this.ctx.name}/backend`, daemon);
    this.ctx.sim.process(this.syncServer(), `${this.ctx.name}/sync`, daemon);
    this.ctx.sim.process(this.responses(), `${this.ctx.name}/responses`, daemon);
    return true;
  }

  /**
   * The frontend presents frame `frame` in `buffer`, rendered for `tick`.
   * Per-frame sharing: it exports the buffer (the backend imports it on the
   * flip), or with be_alloc asks the backend to create one, waits for it and
   * maps it before the flip. The flip's response reaches the listener.
   */
  *present(frame: number, buffer: number, tick: Time): ProcessBody<void> {
    const req: FlipRequest = { kind: 'flip', frame, buffer, tick };
    if (this.p.sharing === 'per-frame') {
      if (this.p.allocation === 'frontend') {
        if (!(yield* this.exportOne(buffer))) return;
      } else {
        const done = new SimEvent<void>(this.ctx.sim);
        this.created.set(frame, done);
        this.createRequests++;
        yield* this.send({ ...req, kind: 'create' });
        yield done;
        if (!(yield* this.importOne(buffer))) return;
      }
    }
    this.flipRequests++;
    yield* this.send(req);
  }

  /** One buffer shared: exported by its allocator, imported by the other side, the backend's framebuffer made. False on failure. */
  private *shareBuffer(b: number): ProcessBody<boolean> {
    if (!(yield* this.exportOne(b))) return false;
    return yield* this.importOne(b);
  }

  private *exportOne(b: number): ProcessBody<boolean> {
    const frames = this.frames[b]!.length ? this.frames[b]! : undefined;
    // be_alloc with the directory: the frontend grants the directory, the backend the data (displif.h).
    const e = this.p.allocation === 'backend' && this.p.scheme === 'directory'
      ? yield* exportBackendAllocated(this.host.grants, this.exporter, this.importer, this.pages, this.p.limits, frames)
      : yield* exportBuffer(this.host.grants, this.exporter, this.importer, this.p.scheme, this.pages, this.p.limits, frames);
    if (!e.ok) { this.failure = e.failure; return false; }
    this.exported[b] = e.buffer;
    this.exports++;
    return true;
  }

  private *importOne(b: number): ProcessBody<boolean> {
    const i = yield* importBuffer(this.host.grants, this.importer, this.exporter, this.exported[b]!);
    if (!i.ok) { this.failure = i.failure; return false; }
    this.imported[b] = i.mappings;
    this.imports++;
    yield* this.onBackend(this.p.createBase + this.pages * this.p.createPerPage);
    return true;
  }

  private *send(req: FlipRequest): ProcessBody<void> {
    // At most `buffers` frames in flight, two requests each, and the displif ring has 32 slots: it cannot fill.
    if (!(yield* this.flips.sendRequest(req))) throw new Error('model bug: the display ring is full');
  }

  /** Backend: for each request, (import,) (sync,) (copy,) flip, respond, release the previous buffer. */
  private *backend(): ProcessBody<void> {
    for (;;) {
      yield* this.flips.awaitRequests();
      for (const req of yield* this.flips.takeRequests()) {
        if (req.kind === 'create') {
          // be_alloc: the backend allocates the buffer and grants it to the frontend.
          if (!(yield* this.exportOne(req.buffer))) return;
          this.createsServed++;
          yield* this.flips.sendResponses([req]);
          continue;
        }
        if (this.p.sharing === 'per-frame' && this.p.allocation === 'frontend' && !(yield* this.importOne(req.buffer))) return;
        if (this.p.remoteSync) {
          for (const op of ['begin', 'end'] as const) {
            yield* this.sync.sendRequest({ op });
            yield* this.sync.awaitResponses();
            yield* this.sync.takeResponses();
          }
        }
        if (this.p.transfer === 'copy') {
          const bytes = this.pages * GRANT_PAGE_BYTES;
          this.copiedBytes += bytes;
          yield* this.onBackend(transferTime(bytes, this.p.copyBandwidth));
        }
        if (this.display !== null) yield* this.display.flipAt(this.displayBuffer(req.buffer), req.frame, req.tick);
        else yield* this.onBackend(this.p.flip);
        req.shownAt = this.ctx.sim.now;
        this.flipped++;
        // The flip's event answers the request as soon as the flip has taken
        // (XENDISPL_EVT_PG_FLIP); the previous buffer leaves the screen after.
        yield* this.flips.sendResponses([req]);
        if (this.onScreen >= 0) yield* this.release(this.onScreen);
        this.onScreen = req.buffer;
      }
    }
  }

  /**
   * The addresses the backend's display device reads buffer `b` at, one per
   * page (start() refuses a display whose buffers would have none: read as
   * they are, it would read nothing and count a whole frame).
   */
  private displayBuffer(b: number): DisplayBuffer {
    const addresses = this.displayAddresses(b);
    if (addresses.length !== this.pages) throw new Error(`model bug: ${this.ctx.name}'s displayed buffer has ${addresses.length} addresses for ${this.pages} pages`);
    // The backend's copy is its own: nobody writes it while it is read. (One copy per buffer: reused in the same rotation.)
    return { pages: this.pages, addresses, resv: this.p.transfer === 'copy' ? new DmaResv() : this.resvs[b]! };
  }

  private displayAddresses(b: number): readonly number[] {
    if (this.p.transfer === 'copy') return this.copies[b]!;
    if (this.p.allocation === 'backend') return this.frames[b]!;
    const mapped = this.imported[b];
    return mapped?.every((m) => m.iova !== undefined) ? mapped.map((m) => m.iova!) : this.frames[b]!;
  }

  /** The previous buffer leaves the screen: per-frame, it is torn down (the importer unmaps, then the allocator ends access). */
  private *release(b: number): ProcessBody<void> {
    if (this.p.sharing === 'per-frame') {
      const exported = this.exported[b]!, mappings = this.imported[b]!;
      // Shared no more from the teardown's start: its grants end and its mappings go while it runs.
      this.exported[b] = null;
      this.imported[b] = null;
      this.teardowns++;
      yield* teardown(this.host.grants, this.importer, this.exporter, exported, mappings);
    }
    this.free.push(b);
    this.returned++;
  }

  /** Buffers free for the frontend (not on screen, not in flight), oldest freed first. */
  private readonly free: number[] = [];

  /**
   * A buffer for the next frame: the oldest freed ('after-flip'; undefined if
   * every one is on screen or in flight), or the next in rotation ('immediate').
   */
  acquire(): number | undefined {
    if (this.p.reuse === 'immediate') {
      const b = this.nextInRotation;
      this.nextInRotation = (b + 1) % this.p.buffers;
      return b;
    }
    const b = this.free.shift();
    if (b !== undefined) this.taken++;
    return b;
  }

  /** Buffer `b`'s reservation, for its producer's writes. */
  reservation(b: number): DmaResv {
    return this.resvs[b]!;
  }

  /** Frontend: replays each CPU-access op on the original buffer and answers. */
  private *syncServer(): ProcessBody<void> {
    for (;;) {
      yield* this.sync.awaitRequests();
      const reqs = yield* this.sync.takeRequests();
      for (const _ of reqs) {
        this.host.xen.attribution.charge(DISPLAY, this.p.syncOp);
        yield* this.front.model.vcpus.use(this.p.syncOp);
      }
      yield* this.sync.sendResponses(reqs);
    }
  }

  /** Frontend: a flip's response ends its frame; a create's lets the waiting frame go on. */
  private *responses(): ProcessBody<void> {
    for (;;) {
      yield* this.flips.awaitResponses();
      for (const r of yield* this.flips.takeResponses()) {
        if (r.kind === 'create') {
          const waiter = this.created.get(r.frame)!;
          this.created.delete(r.frame);
          this.createsAnswered++;
          waiter.succeed();
          continue;
        }
        this.flipsAnswered++;
        this.listener!.presented(r.frame, r.buffer, r.tick, r.shownAt!);
      }
    }
  }

  private *onBackend(ps: Time): ProcessBody<void> {
    this.host.xen.attribution.charge(DISPLAY, ps);
    yield* this.back.model.vcpus.use(ps);
  }

  /** What the conservation checks read: the counts, what is shared and free now, checked against Xen's grant tables and the rings. */
  bookkeeping(): DisplifBookkeeping {
    let refsNotGranted = 0, importsNotMapped = 0;
    for (const e of this.exported) {
      if (e === null) continue;
      refsNotGranted += refsNoLongerGranted(this.exporter, this.importer, e.dataRefs);
      // A backend-allocated buffer's directory (be_alloc) is granted by the frontend, its importer, to the backend.
      const [granter, grantee] = e.metadataGrantedBy === 'importer' ? [this.importer, this.exporter] : [this.exporter, this.importer];
      refsNotGranted += refsNoLongerGranted(granter, grantee, e.metadataRefs);
    }
    for (const m of this.imported) {
      if (m !== null && (m.length !== this.pages || m.some((x) => x.granter.grants.mapped(x.ref) < 1))) importsNotMapped++;
    }
    const perFrame = this.p.sharing === 'per-frame';
    const flips = this.flips as XenRing<FlipRequest, FlipRequest> | undefined, sync = this.sync as XenRing<SyncRequest, SyncRequest> | undefined;
    return {
      buffers: this.resvs.length,
      pages: this.pages,
      afterFlip: this.p.reuse === 'after-flip',
      exports: this.exports,
      imports: this.imports,
      teardowns: this.teardowns,
      liveExports: this.exported.filter((e) => e !== null).length,
      liveImports: this.imported.filter((m) => m !== null).length,
      refsNotGranted,
      importsNotMapped,
      freeButShared: perFrame ? this.free.filter((b) => this.exported[b] != null || this.imported[b] != null) : [],
      flipRequests: this.flipRequests,
      createRequests: this.createRequests,
      flipped: this.flipped,
      createsServed: this.createsServed,
      flipsAnswered: this.flipsAnswered,
      createsAnswered: this.createsAnswered,
      ring: flips === undefined ? null : flips.ring.counts(),
      syncRing: sync === undefined ? null : sync.ring.counts(),
      free: [...this.free],
      onScreen: this.onScreen,
      taken: this.taken,
      returned: this.returned,
    };
  }

  invariants(): string[] {
    return displifInvariants(this.bookkeeping());
  }

  metrics(): Record<string, MetricValue> {
    return {
      frames_flipped: this.flipped,
      hypercalls_per_frame: this.flipped > 0 ? (this.host.xen.counts().hypercalls - this.setupHypercalls) / this.flipped : null,
      copied_bytes: this.copiedBytes,
      outcome: this.failure ?? 'ok',
    };
  }
}

export const displif = defineComponent({
  type: DISPLIF,
  description: "Xen's para-virtual display protocol between a guest's frontend and a backend domain: displif rings, buffers shared by a gref scheme per frame or once, frontend or backend allocation, zero-copy or copy, remote sync, page flips at the display's vblank",
  params: checkedParams,
  stats,
  create: (ctx, p) => new Displif(ctx, p),
});

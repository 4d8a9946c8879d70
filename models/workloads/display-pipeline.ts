/**
 * workloads.display-pipeline: a compositor in a guest (the frontend domain) shows frames through a display
 * backend in dom0 (Xen's para-virtual display, displif), at a fixed frame
 * rate, and the question is whether each way of sharing the frame buffers
 * keeps up, and with what margin.
 *
 * The protocol, on one displif ring (64-byte requests and responses) with
 * its event channel, both real models (models/xen/ring.ts):
 *  - At each vsync tick the compositor takes a free buffer (double or
 *    triple buffering: one is on screen, the rest are free or in flight);
 *    with none free the frame is skipped (a missed deadline).
 *  - `sharing: 'per-frame'`: the compositor shares the frame's buffer anew
 *    (exports it with the gref scheme) and asks the backend to create a
 *    buffer and flip to it; the backend imports it (maps by the scheme's
 *    steps), flips, and tears the previous frame's buffer down (unmap; the
 *    frontend then ends access). `share-once`: every buffer is shared and
 *    imported once before the first frame; a frame is a page-flip request.
 *  - `allocation: 'backend'` (displif's be_alloc): the backend allocates
 *    and grants each buffer on a create request, and the frontend maps it
 *    before rendering: per-frame sharing then costs a second round trip.
 *  - `remoteSync`: before flipping, the backend runs the dma-buf's CPU
 *    access brackets (begin and end) against the exporter, each a request
 *    and a response on a second ring from backend to frontend, as
 *    hyper_dmabuf's OPS_TO_SOURCE does when the importer waits.
 *  - A frame's latency is from its tick to the flip's response at the
 *    compositor; it misses its deadline if that exceeds the frame period.
 *
 * Left out: rendering (a frame is ready at its tick), the scan-out itself,
 * and the backend's buffer creation beyond a fixed cost per page.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { SimEvent, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_S, PS_PER_US, type Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import { duration } from '../../src/scenario/units.js';
import type { GrantMapping } from '../xen/gnttab.js';
import type { Domain } from '../xen/hypervisor.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import type { XenHost } from '../xen/xen-host.js';
import { DEFAULT_FLAT_MAX_REFS, DISPLIF_MESSAGE_BYTES, exportBuffer, importBuffer, teardown, type ExportedBuffer, type SchemeLimits } from '../dmabuf/gref-schemes.js';

/** 4-byte ARGB frames in 4 KiB pages (REFERENCES.md: 1080p = 2,025 pages, 4K = 8,100). */
export const FRAME_PAGES = { '1080p': (1920 * 1080 * 4) / 4096, '4k': (3840 * 2160 * 4) / 4096 } as const;

/** The display backend's own costs: estimates (no published figures), with ranges in their descriptions. */
const displayCostShape = {
  createBase: duration().default(20 * PS_PER_US).describe('Backend: creating a local buffer (DRM framebuffer) from imported pages, fixed part (est., 5-100 us)'),
  createPerPage: duration().default(20_000).describe('Backend: per page of that buffer, sg table and framebuffer setup (est., 5-100 ns)'),
  flip: duration().default(30 * PS_PER_US).describe('Backend: an atomic page flip programmed into the display controller (est., 10-200 us)'),
  syncOp: duration().default(5 * PS_PER_US).describe('Exporter: replaying one dma-buf CPU-access op on the original buffer (est., 1-50 us)'),
};
/** Attribution category of the display backend's and the exporter's own work. */
const DISPLAY = 'display';

const params = z.strictObject({
  frontend: ref(XEN_DOMAIN).describe("The guest whose compositor renders and shares the frames (displif's frontend)"),
  backend: ref(XEN_DOMAIN).describe('The domain running the display backend (dom0: displ_be)'),
  resolution: z.enum(['1080p', '4k']).describe('Frame size: 1080p (2,025 pages) or 4K (8,100 pages), 4-byte ARGB'),
  fps: z.number().positive().describe('Frames per second: the deadline is one frame period'),
  buffers: z.number().int().min(2).default(2).describe('Frame buffers in rotation: 2 double, 3 triple buffering'),
  sharing: z.enum(['per-frame', 'share-once']).describe('Share (export, import, tear down) every frame, or every buffer once and reuse'),
  scheme: z.enum(['flat', 'directory', 'multilevel']).default('directory').describe('Gref scheme of the sharing (displif uses the directory)'),
  remoteSync: z.boolean().default(false).describe('Backend brackets each frame with begin/end CPU access synced to the exporter (two round trips)'),
  allocation: z.enum(['frontend', 'backend']).default('frontend')
    .describe("Who allocates and grants the buffers: the guest's compositor (frontend), or dom0's backend on the frontend's request (displif be_alloc), the guest then mapping them"),
  frames: z.number().int().min(1).default(120).describe('Frames (vsync ticks) in the run'),
  ...displayCostShape,
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'frame_latency_us', unit: 'us', description: 'Vsync tick to the flip\'s response at the compositor, frames shown', kind: 'distribution' },
  { name: 'missed_deadlines', unit: 'frames', description: 'Frames shown later than one period after their tick, plus frames skipped' },
  { name: 'skipped_frames', unit: 'frames', description: 'Ticks with no free buffer: the frame was never sent' },
  { name: 'missed_fraction', unit: 'fraction', description: 'missed_deadlines / frames' },
  { name: 'margin_us', unit: 'us', description: 'Frame period minus the p99 frame latency: negative means it cannot keep up' },
  { name: 'hypercalls_per_frame', unit: 'calls', description: 'Hypercalls per frame in steady state (setup excluded)' },
];

/** A displif request: create a buffer (be_alloc: the backend allocates and grants it) or show one. */
interface FlipRequest { kind: 'create' | 'flip'; frame: number; buffer: number; tick: Time }
interface SyncRequest { op: 'begin' | 'end' }

class DisplayPipeline implements Component {
  private host!: XenHost;
  private guest!: Domain;
  private dom0!: Domain;
  private readonly limits: SchemeLimits = { flatMaxRefs: DEFAULT_FLAT_MAX_REFS };
  private readonly pages: number;
  private readonly periodPs: Time;
  private readonly latency = new Histogram();
  private late = 0;
  private skipped = 0;
  private shown = 0;
  private setupHypercalls = 0;
  private failure: string | null = null;
  /** Buffers free for the compositor (not on screen, not in flight), oldest freed first. */
  private readonly free: number[];
  /** Per buffer: its export (share-once: for the whole run; per-frame: of the frame in flight or on screen). */
  private readonly exported: (ExportedBuffer | null)[];
  private readonly imported: (GrantMapping[] | null)[];
  /** The domain that allocates and grants the buffers, and the one that maps them. */
  private exporter!: Domain;
  private importer!: Domain;
  /** be_alloc: frames waiting for their buffer's create response, by frame number. */
  private readonly created = new Map<number, SimEvent<void>>();

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.pages = FRAME_PAGES[p.resolution];
    this.periodPs = Math.round(PS_PER_S / p.fps);
    this.free = Array.from({ length: p.buffers }, (_, b) => b);
    this.exported = new Array<ExportedBuffer | null>(p.buffers).fill(null);
    this.imported = new Array<GrantMapping[] | null>(p.buffers).fill(null);
  }

  connect(): void {
    const frontend = this.ctx.peer<XenDomain>(this.p.frontend), backend = this.ctx.peer<XenDomain>(this.p.backend);
    this.host = frontend.host;
    this.guest = frontend.model;
    this.dom0 = backend.model;
    [this.exporter, this.importer] = this.p.allocation === 'frontend' ? [this.guest, this.dom0] : [this.dom0, this.guest];
  }

  start(): void {
    this.ctx.sim.process(this.run(), `${this.ctx.name}/setup`);
  }

  private *run(): ProcessBody<void> {
    const flips = yield* connectRing<FlipRequest, FlipRequest>(this.host.channels, this.guest, this.dom0, DISPLIF_MESSAGE_BYTES);
    const sync = yield* connectRing<SyncRequest, SyncRequest>(this.host.channels, this.dom0, this.guest, DISPLIF_MESSAGE_BYTES);
    if (typeof flips === 'number' || typeof sync === 'number') throw new Error('model bug: a fresh domain has free event-channel ports');
    if (this.p.sharing === 'share-once') {
      for (let b = 0; b < this.p.buffers; b++) {
        if (!(yield* this.shareBuffer(b))) return;
      }
    }
    this.setupHypercalls = this.host.xen.counts().hypercalls;
    const sim = this.ctx.sim;
    sim.process(this.backend(flips, sync), `${this.ctx.name}/backend`);
    sim.process(this.syncServer(sync), `${this.ctx.name}/sync`);
    sim.process(this.responses(flips), `${this.ctx.name}/responses`);
    const t0 = sim.now;
    for (let f = 0; f < this.p.frames; f++) {
      const tick = t0 + f * this.periodPs;
      if (tick > sim.now) yield tick - sim.now;
      if (this.failure !== null) return;
      const buffer = this.free.shift();
      if (buffer === undefined) { this.skipped++; continue; }
      sim.process(this.frame(flips, { kind: 'flip', frame: f, buffer, tick }), `${this.ctx.name}/frame`);
    }
  }

  /** One buffer shared: exported by its allocator, imported by the other side, the backend's framebuffer made. False on failure. */
  private *shareBuffer(b: number): ProcessBody<boolean> {
    if (!(yield* this.exportOne(b))) return false;
    return yield* this.importOne(b);
  }

  private *exportOne(b: number): ProcessBody<boolean> {
    const e = yield* exportBuffer(this.host.grants, this.exporter, this.importer, this.p.scheme, this.pages, this.limits);
    if (!e.ok) { this.failure = e.failure; return false; }
    this.exported[b] = e.buffer;
    return true;
  }

  private *importOne(b: number): ProcessBody<boolean> {
    const i = yield* importBuffer(this.host.grants, this.importer, this.exporter, this.exported[b]!);
    if (!i.ok) { this.failure = i.failure; return false; }
    this.imported[b] = i.mappings;
    yield* this.onDom0(this.p.createBase + this.pages * this.p.createPerPage);
    return true;
  }

  /**
   * Compositor, one frame. Per-frame sharing: the frontend exports the
   * buffer (the backend imports it on the flip), or with be_alloc asks the
   * backend to create one, waits for it and maps it before the flip.
   */
  private *frame(flips: XenRing<FlipRequest, FlipRequest>, req: FlipRequest): ProcessBody<void> {
    if (this.p.sharing === 'per-frame') {
      if (this.p.allocation === 'frontend') {
        if (!(yield* this.exportOne(req.buffer))) return;
      } else {
        const done = new SimEvent<void>(this.ctx.sim);
        this.created.set(req.frame, done);
        yield* this.send(flips, { ...req, kind: 'create' });
        yield done;
        if (!(yield* this.importOne(req.buffer))) return;
      }
    }
    yield* this.send(flips, req);
  }

  private *send(flips: XenRing<FlipRequest, FlipRequest>, req: FlipRequest): ProcessBody<void> {
    // At most `buffers` frames in flight, two requests each, and the displif ring has 32 slots: it cannot fill.
    if (!(yield* flips.sendRequest(req))) throw new Error('model bug: the display ring is full');
  }

  /** Backend: for each request, (import,) (sync,) flip, release the previous buffer, respond. */
  private *backend(flips: XenRing<FlipRequest, FlipRequest>, sync: XenRing<SyncRequest, SyncRequest>): ProcessBody<void> {
    let onScreen = -1;
    for (;;) {
      yield* flips.awaitRequests();
      for (const req of yield* flips.takeRequests()) {
        if (req.kind === 'create') {
          // be_alloc: the backend allocates the buffer and grants it to the frontend.
          if (!(yield* this.exportOne(req.buffer))) return;
          yield* flips.sendResponses([req]);
          continue;
        }
        if (this.p.sharing === 'per-frame' && this.p.allocation === 'frontend' && !(yield* this.importOne(req.buffer))) return;
        if (this.p.remoteSync) {
          for (const op of ['begin', 'end'] as const) {
            yield* sync.sendRequest({ op });
            yield* sync.awaitResponses();
            yield* sync.takeResponses();
          }
        }
        yield* this.onDom0(this.p.flip);
        if (onScreen >= 0) yield* this.release(onScreen);
        onScreen = req.buffer;
        yield* flips.sendResponses([req]);
      }
    }
  }

  /** The previous buffer leaves the screen: per-frame, it is torn down (the importer unmaps, then the allocator ends access: destroy waits for the free). */
  private *release(b: number): ProcessBody<void> {
    if (this.p.sharing === 'per-frame') {
      yield* teardown(this.host.grants, this.importer, this.exporter, this.exported[b]!, this.imported[b]!);
      this.exported[b] = null;
      this.imported[b] = null;
    }
    this.free.push(b);
  }

  /** Frontend: replays each CPU-access op on the original buffer and answers. */
  private *syncServer(sync: XenRing<SyncRequest, SyncRequest>): ProcessBody<void> {
    for (;;) {
      yield* sync.awaitRequests();
      const reqs = yield* sync.takeRequests();
      for (const _ of reqs) {
        this.host.xen.attribution.charge(DISPLAY, this.p.syncOp);
        yield* this.guest.vcpus.use(this.p.syncOp);
      }
      yield* sync.sendResponses(reqs);
    }
  }

  /** Compositor: a flip's response ends its frame. */
  private *responses(flips: XenRing<FlipRequest, FlipRequest>): ProcessBody<void> {
    for (;;) {
      yield* flips.awaitResponses();
      for (const r of yield* flips.takeResponses()) {
        if (r.kind === 'create') {
          const waiter = this.created.get(r.frame)!;
          this.created.delete(r.frame);
          waiter.succeed();
          continue;
        }
        const lat = this.ctx.sim.now - r.tick;
        this.latency.add(lat / PS_PER_US);
        this.shown++;
        if (lat > this.periodPs) this.late++;
      }
    }
  }

  private *onDom0(ps: Time): ProcessBody<void> {
    this.host.xen.attribution.charge(DISPLAY, ps);
    yield* this.dom0.vcpus.use(ps);
  }

  metrics(): Record<string, MetricValue> {
    const frames = this.p.frames;
    const missed = this.late + this.skipped + (frames - this.shown - this.skipped);
    const p99 = this.latency.count > 0 ? this.latency.quantile(0.99) : null;
    return {
      frame_latency_us: distribution(this.latency),
      missed_deadlines: missed,
      skipped_frames: this.skipped,
      missed_fraction: missed / frames,
      margin_us: p99 === null ? null : this.periodPs / PS_PER_US - p99,
      hypercalls_per_frame: this.shown > 0 ? (this.host.xen.counts().hypercalls - this.setupHypercalls) / this.shown : null,
    };
  }

}

export const displayPipeline = defineComponent({
  type: 'workloads.display-pipeline',
  description: 'A guest compositor shows frames through a dom0 display backend over displif: per-frame sharing vs share-once, gref scheme, remote sync; frame latency and missed deadlines',
  params,
  stats,
  create: (ctx, p) => new DisplayPipeline(ctx, p),
});

/**
 * workloads.hyper-dmabuf-share: one buffer shared between two guests with
 * hyper_dmabuf (a dmabuf.hyper-dmabuf driver), the whole life of it: channel setup,
 * EXPORT, the importer's EXPORT_FD, a use of the buffer as a display or
 * media pipeline does it (attach, map, CPU access bracket, unmap, detach,
 * release: `uses` times), and unexport. What it costs, phase by phase, under
 * the two designs of the design debate and with remote sync waited or not.
 *
 * `producer: 'ion-copy'` is the baseline the exporter-only design implies
 * for unchanged user space (2018 discussion): the producer keeps rendering
 * into its own ION buffer and copies each frame into the driver-owned one
 * before every use, on one of the exporter's vCPUs. Left out: cache effects
 * of the copy on the reader, and the producer's own rendering.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { ref } from '../../src/scenario/refs.js';
import type { DmabufOp } from '../dmabuf/hyper-dmabuf.js';
import { HYPER_DMABUF_DRIVER, type HyperDmabufDriver } from '../dmabuf/hyper-dmabuf-driver.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import { GRANT_PAGE_BYTES } from '../xen/iommu-context.js';
import { memcpyBandwidth } from '../dmabuf/memcpy.js';
import { transferTime } from '../../src/sim/time.js';

/** Attribution category of the producer's copy. */
const PRODUCER_COPY = 'producer-copy';

/** One use of an imported buffer by a consumer (a compositor, an encoder). */
const USE: readonly DmabufOp[] = ['attach', 'map', 'begin_cpu_access', 'end_cpu_access', 'unmap', 'detach'];

const params = z.strictObject({
  driver: ref(HYPER_DMABUF_DRIVER).describe('The hyper_dmabuf driver of the host'),
  exporter: ref(XEN_DOMAIN).describe('The guest that exports the buffer'),
  importer: ref(XEN_DOMAIN).describe('The guest that imports and uses it'),
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  uses: z.number().int().min(1).default(4).describe('Uses of the imported buffer (6 dma-buf ops each), then release'),
  privBytes: z.number().int().min(0).default(64).describe('Private data sent with EXPORT (at most 192 bytes go)'),
  producer: z.enum(['in-place', 'ion-copy']).default('in-place')
    .describe("'in-place': the producer writes the shared buffer itself; 'ion-copy': unchanged user space renders into its own ION buffer and copies it into the shared one before each use (what an exporter-only driver costs it)"),
  copyBandwidth: memcpyBandwidth('The producer copying its ION buffer into the shared one'),
});
type Params = z.output<typeof params>;

const PHASES = ['setup', 'export', 'import', 'use', 'unexport'] as const;
type Phase = (typeof PHASES)[number];

const stats: readonly StatDecl[] = [
  { name: 'outcome', unit: '', description: "'ok', or the step that failed and why" },
  ...PHASES.map((p) => ({ name: `${p}_latency_us`, unit: 'us', description: {
    setup: 'Channel setup both ways: ring pages, event channels, xenstore keys and watches',
    export: 'Exporter: get, attach, map, extract pages, grant, EXPORT and its response',
    import: 'Importer: EXPORT_FD round trip, map top / L2 / data, sg_table, local dma-buf',
    use: 'Importer: one use of the buffer (6 dma-buf ops), averaged over the uses',
    unexport: 'NOTIFY_UNEXPORT to every ref ended (release included)',
  }[p] })),
  { name: 'producer_copy_us', unit: 'us', description: "The producer's copy into the shared buffer, per use (0 when it writes in place)" },
  { name: 'leaked_refs', unit: 'refs', description: 'Refs still mapped when the exporter gave up ending them' },
];

class HyperDmabufShare implements Component {
  private driver!: HyperDmabufDriver;
  private exporter!: XenDomain;
  private importer!: XenDomain;
  private readonly phases: PhaseTimer<Phase>;
  private unexportPs = 0;
  private outcome = 'not run';
  private leaked = 0;
  private copyPs = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.phases = new PhaseTimer(ctx.sim);
  }

  connect(): void {
    this.driver = this.ctx.peer<HyperDmabufDriver>(this.p.driver);
    this.exporter = this.ctx.peer<XenDomain>(this.p.exporter);
    this.importer = this.ctx.peer<XenDomain>(this.p.importer);
  }

  start(): void {
    this.ctx.sim.process(this.life(), `${this.ctx.name}/life`);
  }

  private *life(): ProcessBody<void> {
    const a = this.exporter.model, b = this.importer.model;
    const hd = this.driver.model;
    const rc = yield* this.phases.time('setup', hd.connect(a, b));
    if (rc !== 0) { this.outcome = `setup failed (${rc})`; return; }
    const ex = yield* this.phases.time('export', hd.export(a, b, this.p.pages, this.p.privBytes));
    if (!ex.ok) { this.outcome = `export failed: ${ex.reason}`; return; }
    const fd = yield* this.phases.time('import', hd.exportFd(b, ex.hid));
    if (!fd.ok) { this.outcome = 'import failed'; return; }
    for (let u = 0; u < this.p.uses; u++) {
      if (this.p.producer === 'ion-copy') yield* this.copyIn(a);
      for (const op of USE) {
        const r = yield* this.phases.time('use', hd.op(b, ex.hid, op));
        if (r !== 0) { this.outcome = `${op} failed (${r})`; return; }
      }
    }
    const t0 = this.ctx.sim.now;
    yield* hd.op(b, ex.hid, 'release');
    yield* hd.unexport(a, ex.hid, 0);
    this.leaked = (yield ex.freed) as number;
    this.unexportPs = this.ctx.sim.now - t0;
    this.exporter.host.xen.attribution.countTransaction();
    this.outcome = 'ok';
  }

  /** The producer's memcpy of a whole frame into the shared buffer. */
  private *copyIn(exporter: XenDomain['model']): ProcessBody<void> {
    const ps = transferTime(this.p.pages * GRANT_PAGE_BYTES, this.p.copyBandwidth);
    this.copyPs += ps;
    this.exporter.host.xen.attribution.charge(PRODUCER_COPY, ps);
    yield* exporter.vcpus.use(ps);
  }

  metrics(): Record<string, MetricValue> {
    const ok = this.outcome === 'ok';
    const out: Record<string, MetricValue> = { outcome: this.outcome };
    const ps = (p: Phase) => (p === 'unexport' ? this.unexportPs : p === 'use' ? this.phases.ps('use') / this.p.uses : this.phases.ps(p));
    for (const p of PHASES) out[`${p}_latency_us`] = ok ? ps(p) / PS_PER_US : null;
    out.producer_copy_us = ok ? this.copyPs / this.p.uses / PS_PER_US : null;
    out.leaked_refs = this.leaked;
    return out;
  }

}

export const hyperDmabufShare = defineComponent({
  type: 'workloads.hyper-dmabuf-share',
  description: 'The life of one buffer shared with hyper_dmabuf: setup, export, import, uses with or without remote sync, unexport; both designs',
  params,
  stats,
  create: (ctx, p) => new HyperDmabufShare(ctx, p),
});

/**
 * dmabuf.hyper-dmabuf: one buffer shared between two guests with
 * hyper_dmabuf (hyper-dmabuf.ts), the whole life of it: channel setup,
 * EXPORT, the importer's EXPORT_FD, a use of the buffer as a display or
 * media pipeline does it (attach, map, CPU access bracket, unmap, detach,
 * release: `uses` times), and unexport. What it costs, phase by phase, under
 * the two designs of the design debate and with remote sync waited or not.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import type { Attribution } from '../../src/stats/attribution.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { XEN_PLATFORM, xenCostsOf } from '../xen/costs.js';
import { xenChannelCostsOf } from '../xen/channel-costs.js';
import { EventChannels } from '../xen/event-channel.js';
import { GrantOps } from '../xen/gnttab.js';
import { Hypervisor } from '../xen/hypervisor.js';
import { xenPlatformShape } from '../xen/platform.js';
import { Xenstore } from '../xen/xenstore.js';
import { HyperDmabuf, type DmabufOp } from './hyper-dmabuf.js';
import { hyperDmabufCostShape, hyperDmabufCostsOf } from './hyper-dmabuf-costs.js';

/** One use of an imported buffer by a consumer (a compositor, an encoder). */
const USE: readonly DmabufOp[] = ['attach', 'map', 'begin_cpu_access', 'end_cpu_access', 'unmap', 'detach'];

const params = z.strictObject({
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  design: z.enum(['import-and-forward', 'exporter-only']).describe('Forward an existing dma-buf (needs remote sync) or own the buffer (no sync)'),
  syncWait: z.boolean().default(false).describe('The importer waits for each OPS_TO_SOURCE reply (the RFC code does not)'),
  uses: z.number().int().min(1).default(4).describe('Uses of the imported buffer (6 dma-buf ops each), then release'),
  privBytes: z.number().int().min(0).default(64).describe('Private data sent with EXPORT (at most 192 bytes go)'),
  guestVcpus: z.number().int().min(1).default(2).describe('vCPUs of each guest'),
  ...xenPlatformShape,
  ...hyperDmabufCostShape,
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
  { name: 'messages', unit: 'messages', description: 'hyper_dmabuf messages sent, both ways' },
  { name: 'ops_to_source', unit: 'messages', description: 'OPS_TO_SOURCE messages: remote sync' },
  { name: 'timeouts', unit: 'waits', description: 'Waits that ended in -EBUSY after the poll limit' },
  { name: 'hypercalls', unit: 'calls', description: 'Hypercalls of the whole life of the buffer' },
  { name: 'leaked_refs', unit: 'refs', description: 'Refs still mapped when the exporter gave up ending them' },
];

class HyperDmabufStudy implements Component {
  private readonly xen: Hypervisor;
  private readonly hd: HyperDmabuf;
  private readonly phases: PhaseTimer<Phase>;
  private unexportPs = 0;
  private outcome = 'not run';
  private leaked = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.xen = new Hypervisor(ctx.sim, xenCostsOf(p));
    this.phases = new PhaseTimer(ctx.sim);
    const channelCosts = xenChannelCostsOf(p);
    this.hd = new HyperDmabuf(this.xen, new GrantOps(this.xen), new EventChannels(this.xen, channelCosts), new Xenstore(this.xen, channelCosts),
      hyperDmabufCostsOf(p), { design: p.design, syncWait: p.syncWait, pollRng: ctx.rng('poll') });
  }

  start(): void {
    this.ctx.sim.process(this.life(), `${this.ctx.name}/life`);
  }

  private *life(): ProcessBody<void> {
    const opts = { kind: 'hvm' as const, vcpus: this.p.guestVcpus };
    const a = this.xen.createDomain('guest-a', opts), b = this.xen.createDomain('guest-b', opts);
    const hd = this.hd;
    const rc = yield* this.phases.time('setup', hd.connect(a, b));
    if (rc !== 0) { this.outcome = `setup failed (${rc})`; return; }
    const ex = yield* this.phases.time('export', hd.export(a, b, this.p.pages, this.p.privBytes));
    if (!ex.ok) { this.outcome = `export failed: ${ex.reason}`; return; }
    const fd = yield* this.phases.time('import', hd.exportFd(b, ex.hid));
    if (!fd.ok) { this.outcome = 'import failed'; return; }
    for (let u = 0; u < this.p.uses; u++) {
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
    this.xen.attribution.countTransaction();
    this.outcome = 'ok';
  }

  metrics(): Record<string, MetricValue> {
    const c = this.hd.counts();
    const ok = this.outcome === 'ok';
    const out: Record<string, MetricValue> = { outcome: this.outcome };
    const ps = (p: Phase) => (p === 'unexport' ? this.unexportPs : p === 'use' ? this.phases.ps('use') / this.p.uses : this.phases.ps(p));
    for (const p of PHASES) out[`${p}_latency_us`] = ok ? ps(p) / PS_PER_US : null;
    out.messages = c.messagesTotal;
    out.ops_to_source = c.messages.OPS_TO_SOURCE;
    out.timeouts = c.timeouts;
    out.hypercalls = this.xen.counts().hypercalls;
    out.leaked_refs = this.leaked;
    return out;
  }

  attribution(): Attribution {
    return this.xen.attribution;
  }
}

export const hyperDmabufStudy = defineComponent({
  type: 'dmabuf.hyper-dmabuf',
  description: 'The life of one buffer shared with hyper_dmabuf: setup, export, import, uses with or without remote sync, unexport; both designs',
  params: params as unknown as z.ZodType<Params>,
  presetTypes: [XEN_PLATFORM],
  stats,
  create: (ctx, p) => new HyperDmabufStudy(ctx, p),
});

/**
 * workloads.udmabuf-share: a KVM guest's buffer of `pages` pages reaching the
 * host as a dma-buf (kvm/sharing.ts): the guest lists its pages in a
 * virtio-gpu RESOURCE_CREATE_BLOB (export), the host builds a udmabuf from
 * them (import), RESOURCE_UNREF releases it (teardown). The guest's pages
 * come in physically contiguous runs of `contiguousPages`, one blob entry and
 * one udmabuf item each. A buffer past udmabuf's limits is an outcome.
 * The teardown's unref starts as soon as the host answers with the
 * udmabuf, so once the share knows it, it is released at the host
 * (checked by `invariants()`).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { KVM_HOST, type KvmHost } from '../kvm/host.js';
import { phaseLatencies, SHARE_PHASE_STATS } from './gref-share.js';

const params = z.strictObject({
  host: ref(KVM_HOST).describe('The KVM host the guest runs on'),
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  contiguousPages: z.number().int().min(1).describe('Pages per physically contiguous run of the guest buffer (one blob entry and one udmabuf item each)'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'outcome', unit: '', description: "'ok' or 'udmabuf-limit'" },
  { name: 'max_pages', unit: 'pages', description: "The largest buffer udmabuf takes (its size limit)" },
  ...SHARE_PHASE_STATS,
];

class UdmabufShare implements Component {
  private host!: KvmHost;
  private readonly phases: PhaseTimer<'export' | 'import' | 'teardown'>;
  private outcome = 'not run';
  /** The udmabuf the host made for the blob (null before its answer). */
  private udmabuf: number | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.phases = new PhaseTimer(ctx.sim);
  }

  connect(): void {
    this.host = this.ctx.peer<KvmHost>(this.p.host);
  }

  start(): void {
    this.ctx.sim.process(this.share(), `${this.ctx.name}/share`);
  }

  private *share(): ProcessBody<void> {
    const kvm = this.host.sharing, p = this.p;
    const segments = Math.ceil(p.pages / p.contiguousPages);
    yield* this.phases.time('export', kvm.blobCreate(segments));
    const r = yield* this.phases.time('import', kvm.udmabufCreate(p.pages, segments));
    if (!r.ok) { this.outcome = 'udmabuf-limit'; return; }
    this.udmabuf = r.udmabuf;
    yield* this.phases.time('teardown', kvm.blobUnref(r.udmabuf));
    this.host.ledger.countTransaction();
    this.outcome = 'ok';
  }

  /** The share's udmabuf, once known, is released at the host (the unref releases it as it starts); an ok share made one, a refused one none. */
  invariants(): string[] {
    const out: string[] = [];
    if (this.udmabuf !== null && this.host.sharing.isLive(this.udmabuf)) out.push(`udmabuf ${this.udmabuf}: released by the share, still live at the host`);
    if ((this.outcome === 'ok' && this.udmabuf === null) || (this.outcome === 'udmabuf-limit' && this.udmabuf !== null)) {
      out.push(`outcome ${this.outcome}, ${this.udmabuf === null ? 'no udmabuf made' : `udmabuf ${this.udmabuf} made`}`);
    }
    return out;
  }

  metrics(): Record<string, MetricValue> {
    const c = this.host.sharing.costs;
    return { outcome: this.outcome, max_pages: c.udmabufSizeLimit / c.pageBytes, ...phaseLatencies(this.phases, this.outcome === 'ok') };
  }
}

export const udmabufShare = defineComponent({
  type: 'workloads.udmabuf-share',
  description: "A KVM guest's buffer shared with the host: virtio-gpu blob listing its pages, udmabuf from them, release; by contiguity",
  params,
  stats,
  create: (ctx, p) => new UdmabufShare(ctx, p),
});

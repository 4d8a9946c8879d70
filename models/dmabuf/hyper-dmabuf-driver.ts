/**
 * dmabuf.hyper-dmabuf: the hyper_dmabuf driver (hyper-dmabuf.ts) loaded in
 * the domains of one Xen host: its channels (rings set up through xenstore,
 * one each way per pair of domains), its messages, remote sync, deferred
 * unexport. `design` chooses the RFC's import-and-forward or the
 * exporter-only design of the 2018 debate; `syncWait` whether an importer
 * waits for each OPS_TO_SOURCE reply (the RFC code does not); `scheme` and
 * `limits` the gref scheme behind EXPORT and whether its limits are the
 * format's or the RFC code's. Workloads
 * (workloads.hyper-dmabuf-share) export and import buffers through it.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { XEN_HYPERVISOR, type XenHost } from '../xen/xen-host.js';
import { HyperDmabuf, DESIGNS, HYPER_DMABUF_SCHEMES } from './hyper-dmabuf.js';
import { LIMITS_MODES } from './gref-schemes.js';
import { hyperDmabufCostParams } from './hyper-dmabuf-costs.js';

export const HYPER_DMABUF_DRIVER = 'dmabuf.hyper-dmabuf';

const params = hyperDmabufCostParams.extend({
  hypervisor: ref(XEN_HYPERVISOR).describe('The Xen host whose domains load the driver'),
  design: z.enum(DESIGNS as ['import-and-forward', 'exporter-only']).describe('Forward an existing dma-buf (needs remote sync) or own the buffer (no sync)'),
  syncWait: z.boolean().default(false).describe('The importer waits for each OPS_TO_SOURCE reply (the RFC code does not)'),
  scheme: z.enum(HYPER_DMABUF_SCHEMES).default('multilevel').describe("The gref scheme EXPORT's ref leads to: the RFC's multi-level table, or displif's directory as the 2018 discussion proposed"),
  limits: z.enum(LIMITS_MODES).default('design').describe("'design': the scheme's format; 'as-written': the RFC's allocations (2^L pages for L second-level pages, failing past order 10: 40 MiB)"),
});

const stats: readonly StatDecl[] = [
  { name: 'messages', unit: 'messages', description: 'hyper_dmabuf messages sent, both ways' },
  { name: 'ops_to_source', unit: 'messages', description: 'OPS_TO_SOURCE messages: remote sync' },
  { name: 'timeouts', unit: 'waits', description: 'Waits that ended in -EBUSY after the poll limit' },
];

export class HyperDmabufDriver {
  private driver: HyperDmabuf | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: z.output<typeof params>) {}

  get model(): HyperDmabuf {
    if (this.driver === null) {
      const host = this.ctx.peer<XenHost>(this.p.hypervisor);
      const { hypervisor: _h, design, syncWait, scheme, limits, ...costs } = this.p;
      this.driver = new HyperDmabuf(host.xen, host.grants, host.channels, host.xenstore, costs, { design, syncWait, scheme, limits, pollRng: this.ctx.rng('poll') });
    }
    return this.driver;
  }

  connect(): void {
    void this.model;
  }

  invariants(): string[] {
    return this.model.invariants();
  }

  metrics(): Record<string, MetricValue> {
    const c = this.model.counts();
    return { messages: c.messagesTotal, ops_to_source: c.messages.OPS_TO_SOURCE, timeouts: c.timeouts };
  }
}

export const hyperDmabufDriver = defineComponent({
  type: HYPER_DMABUF_DRIVER,
  description: "The hyper_dmabuf driver on a Xen host: channels set up through xenstore, 268-byte messages on 8-slot rings, EXPORT / EXPORT_FD / OPS_TO_SOURCE / NOTIFY_UNEXPORT, both designs",
  params,
  stats,
  create: (ctx, p) => new HyperDmabufDriver(ctx, p),
});

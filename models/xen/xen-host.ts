/**
 * xen.hypervisor: a Xen host's hypervisor as a component: its platform costs
 * (platform.ts, from a preset such as xen-x86), the grant-table operations,
 * event channels and xenstore every domain on it uses (gnttab.ts,
 * event-channel.ts, xenstore.ts: one xenstored per host). Domains
 * (xen.domain) name it; protocols and workloads reach it through them.
 *
 * It reports what happened in Xen over the run, whoever asked: hypercalls
 * and continuations, flushes and IPIs, what ran out. Its attribution ledger
 * holds the time charged to hypercalls, grant work, flushes, rings, event
 * channels and xenstore.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { IOMMU, type IommuUnit } from '../iommu/generic.js';
import type { Attribution } from '../../src/stats/attribution.js';
import { EventChannels } from './event-channel.js';
import { GrantOps } from './gnttab.js';
import { grantInvariants } from './conservation.js';
import { Hypervisor } from './hypervisor.js';
import { xenPlatformParams } from './platform.js';
import { Xenstore } from './xenstore.js';

export const XEN_HYPERVISOR = 'xen.hypervisor';

const stats: readonly StatDecl[] = [
  { name: 'hypercalls', unit: 'calls', description: 'Hypercalls issued by every domain (a continued call counts once)' },
  { name: 'continuations', unit: 'calls', description: 'Times a long batch was preempted and continued (one more round trip each)' },
  { name: 'map_ops', unit: 'ops', description: 'GNTTABOP_map_grant_ref ops' },
  { name: 'unmap_ops', unit: 'ops', description: 'GNTTABOP_unmap_grant_ref ops' },
  { name: 'copy_ops', unit: 'ops', description: 'GNTTABOP_copy ops' },
  { name: 'tlb_flushes', unit: 'flushes', description: 'TLB flushes on unmap (one per flushEvery unmap ops)' },
  { name: 'iotlb_flushes', unit: 'flushes', description: 'IOMMU IOTLB invalidations on grant unmap (one per page that left an IOMMU context)' },
  { name: 'iommu_grant_maps', unit: 'pages', description: 'Grant pages Xen mapped into a domain\'s IOMMU context' },
  { name: 'ipis', unit: 'IPIs', description: "TLB-shootdown IPIs sent to the mapping domains' other vCPUs" },
  { name: 'grant_failures', unit: 'pages', description: 'Pages that could not be granted: a table was full at its maximum frames' },
  { name: 'map_failures', unit: 'ops', description: 'Map ops that failed (bad ref, or maptrack full)' },
  { name: 'event_sends', unit: 'events', description: 'EVTCHNOP_send notifications' },
  { name: 'xenstore_requests', unit: 'requests', description: 'Requests xenstored served' },
];

const params = xenPlatformParams.safeExtend({
  iommu: ref(IOMMU).optional().describe('The IOMMU Xen programs for domains with passthrough devices (e.g. "rc.iommu", set its identityMap off and mode strict)'),
});

export class XenHost {
  readonly xen: Hypervisor;
  readonly grants: GrantOps;
  readonly channels: EventChannels;
  readonly xenstore: Xenstore;

  constructor(private readonly ctx: ComponentContext, private readonly p: z.output<typeof params>) {
    this.xen = new Hypervisor(ctx.sim, p, ctx.tracer, ctx.name);
    this.grants = new GrantOps(this.xen);
    this.channels = new EventChannels(this.xen, p);
    this.xenstore = new Xenstore(this.xen, p);
  }

  /** The host's IOMMU, if the scenario gives Xen one. */
  get iommu(): IommuUnit | null {
    return this.p.iommu === undefined ? null : this.ctx.peer<IommuUnit>(this.p.iommu);
  }

  metrics(): Record<string, MetricValue> {
    const x = this.xen.counts(), g = this.grants.counts();
    return {
      hypercalls: x.hypercalls, continuations: x.continuations,
      map_ops: g.mapOps, unmap_ops: g.unmapOps, copy_ops: g.copyOps,
      tlb_flushes: g.tlbFlushes, iotlb_flushes: g.iotlbFlushes, iommu_grant_maps: g.iommuMaps, ipis: g.ipis,
      grant_failures: g.grantFailures, map_failures: g.mapFailures,
      event_sends: this.channels.counts().sends, xenstore_requests: this.xenstore.counts().requests,
    };
  }

  attribution(): Attribution {
    return this.xen.attribution;
  }

  invariants(): string[] {
    return grantInvariants(this.xen.domains, this.grants.counts());
  }
}

export const xenHypervisor = defineComponent({
  type: XEN_HYPERVISOR,
  description: "A Xen hypervisor: hypercalls with continuations, grant tables and their operations (map, unmap with flushes and IPIs, copy), event channels, xenstore; the platform's costs from a preset",
  params,
  defaultPreset: 'xen-x86',
  stats,
  traceKinds: [{ kind: 'hypercall', description: "One row per hypercall at its return: latency = from the call (its wait for a free vCPU of the calling domain included); a = the calling domain's id, b = continuations; label = the op (e.g. grant_table_op:map, event_channel_op:send)" }],
  create: (ctx, p) => new XenHost(ctx, p),
});

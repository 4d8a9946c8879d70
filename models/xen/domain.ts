/**
 * xen.domain: a domain on a Xen hypervisor (dom0, a driver domain, a guest):
 * its vCPUs (a resource its hypercalls, upcalls and IPI handlers take), its
 * grant table (v1 or v2, growing a frame at a time to maxGrantFrames) and its
 * maptrack (the foreign mappings it may hold). Protocols and workloads
 * attached to it act as its kernel would.
 *
 * Left out: the costs that differ by kind (a PV map edits the guest's page
 * tables, an HVM/PVH map the p2m and the IOMMU): the kind is recorded, not
 * yet charged differently.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { XEN_DEFAULT_MAPTRACK, XEN_DEFAULT_MAX_GRANT_FRAMES, type Domain } from './hypervisor.js';
import { XEN_HYPERVISOR, type XenHost } from './xen-host.js';

export const XEN_DOMAIN = 'xen.domain';

const params = z.strictObject({
  hypervisor: ref(XEN_HYPERVISOR).describe('The hypervisor the domain runs on'),
  kind: z.enum(['dom0', 'pv', 'hvm', 'pvh']).describe('dom0, or a guest: para-virtualized, hardware-virtualized, or PVH'),
  vcpus: z.number().int().min(1).describe('Virtual CPUs'),
  grantVersion: z.union([z.literal(1), z.literal(2)]).default(1).describe('Grant table format: v1 (8-byte entries, what Linux guests use) or v2 (16-byte entries + status frames)'),
  maxGrantFrames: z.number().int().min(1).default(XEN_DEFAULT_MAX_GRANT_FRAMES).describe("Grant frames the table may grow to (Xen's default 64)"),
  maptrackLimit: z.number().int().min(1).default(XEN_DEFAULT_MAPTRACK).describe("Foreign mappings the domain may hold (Xen's default 262,144)"),
});

const stats: readonly StatDecl[] = [
  { name: 'grant_entries_peak', unit: 'entries', description: 'Most grant entries in use at once' },
  { name: 'grant_table_bytes', unit: 'B', description: 'Memory of the grant table at the end (v2: status frames included)' },
  { name: 'vcpu_utilization', unit: 'fraction', description: 'Busy fraction of the vCPUs (hypercalls, upcalls, IPIs, protocol work)' },
];

export class XenDomain {
  private domain: Domain | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: z.output<typeof params>) {}

  /** The hypervisor's host (after build). */
  get host(): XenHost {
    return this.ctx.peer<XenHost>(this.p.hypervisor);
  }

  /** The domain in the hypervisor, made on first use (every user asks after build, in a fixed order). */
  get model(): Domain {
    if (this.domain === null) {
      const p = this.p;
      this.domain = this.host.xen.createDomain(this.ctx.name, { kind: p.kind, vcpus: p.vcpus, grantVersion: p.grantVersion, maxGrantFrames: p.maxGrantFrames, maptrackLimit: p.maptrackLimit });
    }
    return this.domain;
  }

  connect(): void {
    void this.model;
  }

  metrics(): Record<string, MetricValue> {
    const d = this.model;
    return { grant_entries_peak: d.grants.peakUsed, grant_table_bytes: d.grants.bytes, vcpu_utilization: d.vcpus.utilization() };
  }
}

export const xenDomain = defineComponent({
  type: XEN_DOMAIN,
  description: 'A Xen domain (dom0, driver domain or guest): vCPUs, a v1 or v2 grant table growing to maxGrantFrames, maptrack',
  params,
  stats,
  create: (ctx, p) => new XenDomain(ctx, p),
});

/**
 * dmabuf.gref-schemes: one buffer of `pages` pages shared from one domain to
 * another with one of the three gref schemes (gref-schemes.ts): exported
 * (granted), imported (mapped, following the scheme's metadata) and torn
 * down (unmapped, access ended), one after another. It reports the scheme's
 * counts and the latency of each phase; a buffer the scheme cannot address
 * or the grant table cannot hold is an outcome (`outcome` says which), not a
 * failed run.
 *
 * Directions: guest-to-host (a guest exports, dom0 imports), host-to-guest,
 * guest-to-guest (two guests). They differ in who holds the grant table and
 * whose vCPUs the unmap flushes interrupt.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import type { Attribution } from '../../src/stats/attribution.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { XEN_PLATFORM, xenCostsOf } from '../xen/costs.js';
import { xenPlatformShape } from '../xen/platform.js';
import { GrantOps } from '../xen/gnttab.js';
import { Hypervisor, XEN_DEFAULT_MAX_GRANT_FRAMES, type Domain } from '../xen/hypervisor.js';
import { exportBuffer, importBuffer, layout, teardown, type SchemeLimits, type SchemeName } from './gref-schemes.js';
import { kvmCostShape, kvmCostsOf } from '../kvm/costs.js';
import { KvmSharing } from '../kvm/sharing.js';

/**
 * The flat scheme's largest ref array: xen-zcopy copies it from user space
 * in one kernel allocation; KMALLOC_MAX_SIZE is 4 MiB on x86 (order-10
 * pages), 1,048,576 refs of 4 bytes. An estimate of where the ioctl gives up.
 */
export const DEFAULT_FLAT_MAX_REFS = 1_048_576;

const params = z.strictObject({
  scheme: z.enum(['flat', 'directory', 'multilevel', 'kvm-udmabuf']).describe('flat (xen-zcopy), directory (displif), multilevel (hyper_dmabuf), or for contrast KVM: a virtio-gpu blob backed by a udmabuf'),
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  direction: z.enum(['guest-to-host', 'host-to-guest', 'guest-to-guest']).default('guest-to-host').describe('Who exports to whom'),
  grantVersion: z.union([z.literal(1), z.literal(2)]).default(1).describe('Grant table format of the exporting domain'),
  maxGrantFrames: z.number().int().min(1).default(XEN_DEFAULT_MAX_GRANT_FRAMES).describe('Grant frames the exporter\'s table may grow to'),
  dom0Vcpus: z.number().int().min(1).default(4).describe('vCPUs of dom0'),
  guestVcpus: z.number().int().min(1).default(2).describe('vCPUs of each guest'),
  flatMaxRefs: z.number().int().min(1).default(DEFAULT_FLAT_MAX_REFS).describe('Largest ref array the flat scheme\'s ioctl takes (estimate: KMALLOC_MAX_SIZE / 4 bytes)'),
  contiguousPages: z.number().int().min(1).default(1).describe('kvm-udmabuf: pages per physically contiguous run of the guest buffer (one blob entry and one udmabuf item each)'),
  ...xenPlatformShape,
  ...kvmCostShape,
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'outcome', unit: '', description: "'ok', 'too-large-for-scheme', 'grant-table-full', 'map-failed'; kvm-udmabuf: 'udmabuf-limit' or 'not-applicable' (other than guest-to-host)" },
  { name: 'exits', unit: 'exits', description: 'kvm-udmabuf: guest exits (virtqueue kicks)' },
  { name: 'grant_entries', unit: 'entries', description: 'Grant entries the scheme needs: data plus metadata pages (closed form)' },
  { name: 'metadata_pages', unit: 'pages', description: 'Pages of refs shared besides the data' },
  { name: 'dependent_map_steps', unit: 'steps', description: 'Map hypercalls the importer issues one after another, each needing the previous result' },
  { name: 'hypercalls', unit: 'calls', description: 'Hypercalls of the whole share: export, import, teardown' },
  { name: 'import_hypercalls', unit: 'calls', description: 'Grant hypercalls of the import (maps and unmaps)' },
  { name: 'message_bytes', unit: 'B', description: 'Bytes of the scheme\'s own messages (request and response)' },
  { name: 'max_pages', unit: 'pages', description: 'The largest buffer the scheme can address (null: unbounded)' },
  { name: 'share_latency_us', unit: 'us', description: 'Export plus import: from the exporter starting to the importer holding the buffer' },
  { name: 'export_latency_us', unit: 'us', description: 'Exporter: granting data and metadata pages' },
  { name: 'import_latency_us', unit: 'us', description: 'Importer: mapping the buffer by the scheme\'s steps' },
  { name: 'teardown_latency_us', unit: 'us', description: 'Importer unmaps the data, exporter ends access to every ref' },
];

class GrefStudy implements Component {
  private readonly xen: Hypervisor;
  private readonly ops: GrantOps;
  private readonly exporter: Domain;
  private readonly importer: Domain;
  private readonly limits: SchemeLimits;
  private readonly kvm: KvmSharing;
  private outcome = 'not run';
  private readonly phases: PhaseTimer<'export' | 'import' | 'teardown'>;
  private importHypercalls = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.xen = new Hypervisor(ctx.sim, xenCostsOf(p));
    this.ops = new GrantOps(this.xen);
    this.limits = { flatMaxRefs: p.flatMaxRefs };
    this.phases = new PhaseTimer(ctx.sim);
    this.kvm = new KvmSharing(kvmCostsOf(p), this.xen.attribution);
    const domain = (name: string, isDom0: boolean, exporting: boolean) => this.xen.createDomain(name, {
      kind: isDom0 ? 'dom0' : 'hvm', vcpus: isDom0 ? p.dom0Vcpus : p.guestVcpus,
      ...(exporting ? { grantVersion: p.grantVersion, maxGrantFrames: p.maxGrantFrames } : {}),
    });
    const [fromDom0, toDom0] = { 'guest-to-host': [false, true], 'host-to-guest': [true, false], 'guest-to-guest': [false, false] }[p.direction];
    this.exporter = domain(fromDom0 ? 'dom0' : 'guest-a', fromDom0!, true);
    this.importer = domain(toDom0 ? 'dom0' : 'guest-b', toDom0!, false);
  }

  start(): void {
    this.ctx.sim.process(this.share(), `${this.ctx.name}/share`);
  }

  /**
   * KVM, guest to host: the guest lists its pages in a virtio-gpu
   * RESOURCE_CREATE_BLOB (export), the host builds a udmabuf from them
   * (import), RESOURCE_UNREF releases it (teardown).
   */
  private *shareKvm(): ProcessBody<void> {
    const p = this.p;
    if (p.direction !== 'guest-to-host') { this.outcome = 'not-applicable'; return; }
    const segments = Math.ceil(p.pages / p.contiguousPages);
    yield* this.phases.time('export', this.kvm.blobCreate(segments));
    const r = yield* this.phases.time('import', this.kvm.udmabufCreate(p.pages, segments));
    if (!r.ok) { this.outcome = 'udmabuf-limit'; return; }
    yield* this.phases.time('teardown', this.kvm.blobUnref(p.pages));
    this.xen.attribution.countTransaction();
    this.outcome = 'ok';
  }

  private *share(): ProcessBody<void> {
    const { ops, exporter, importer, p } = this;
    if (p.scheme === 'kvm-udmabuf') { yield* this.shareKvm(); return; }
    const exp = yield* this.phases.time('export', exportBuffer(ops, exporter, importer, p.scheme, p.pages, this.limits));
    if (!exp.ok) { this.outcome = exp.failure; return; }
    const before = this.xen.counts().hypercalls;
    const imp = yield* this.phases.time('import', importBuffer(ops, importer, exporter, exp.buffer));
    this.importHypercalls = this.xen.counts().hypercalls - before;
    if (!imp.ok) { this.outcome = imp.failure; return; }
    yield* this.phases.time('teardown', teardown(ops, importer, exporter, exp.buffer, imp.mappings));
    this.xen.attribution.countTransaction();
    this.outcome = 'ok';
  }

  metrics(): Record<string, MetricValue> {
    const isKvm = this.p.scheme === 'kvm-udmabuf';
    // KVM shares no grants: its gref counts are zero, its limit the udmabuf size limit.
    const l = isKvm ? null : layout(this.p.scheme as SchemeName, this.p.pages, this.limits);
    const kvm = this.kvm.costs;
    const us = (ps: number) => (this.outcome === 'ok' ? ps / PS_PER_US : null);
    return {
      outcome: this.outcome,
      exits: this.kvm.counts().exits,
      grant_entries: l?.grantEntries ?? 0,
      metadata_pages: l?.metadataPages ?? 0,
      dependent_map_steps: l?.dependentMapSteps ?? 0,
      hypercalls: this.xen.counts().hypercalls,
      import_hypercalls: this.importHypercalls,
      message_bytes: l?.messageBytes ?? 0,
      max_pages: l === null ? kvm.udmabufSizeLimit / kvm.pageBytes : Number.isFinite(l.maxPages) ? l.maxPages : null,
      share_latency_us: us(this.phases.ps('export') + this.phases.ps('import')),
      export_latency_us: us(this.phases.ps('export')),
      import_latency_us: us(this.phases.ps('import')),
      teardown_latency_us: us(this.phases.ps('teardown')),
    };
  }

  attribution(): Attribution {
    return this.xen.attribution;
  }
}

export const grefStudy = defineComponent({
  type: 'dmabuf.gref-schemes',
  description: 'Share one buffer between two Xen domains with the flat, directory or multi-level gref scheme: counts and export/import/teardown latency',
  params: params as unknown as z.ZodType<Params>,
  presetTypes: [XEN_PLATFORM],
  stats,
  create: (ctx, p) => new GrefStudy(ctx, p),
});

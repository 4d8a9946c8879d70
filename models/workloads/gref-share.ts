/**
 * workloads.gref-share: one buffer of `pages` pages shared from one Xen
 * domain to another with one of the three gref schemes (gref-schemes.ts):
 * exported (granted), imported (mapped, following the scheme's metadata)
 * and torn down (unmapped, access ended), one after another. It reports the
 * scheme's counts and the latency of each phase; a buffer the scheme cannot
 * address or the grant table cannot hold is an outcome (`outcome` says
 * which), not a failed run.
 *
 * Who exports to whom is the scenario's choice of domains: a guest to dom0,
 * dom0 to a guest, one guest to another. They differ in whose grant table
 * holds the refs and whose vCPUs the unmap flushes interrupt.
 *
 * What the share holds (the refs it granted and has not ended, the data
 * mappings it has not unmapped) is checked at the end of every run against
 * the grant tables (grant-holdings.ts) and against the scheme's closed
 * form: an export grants its `grant_entries`, an import maps its pages.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import { exportBuffer, handOver, importBuffer, layout, LIMITS_MODES, SCHEMES, teardown, type ExportedBuffer, type ExportResult } from '../dmabuf/gref-schemes.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import type { GrantOps } from '../xen/gnttab.js';
import type { Domain } from '../xen/hypervisor.js';
import { GrantHoldings, grantHoldingInvariants } from '../xen/grant-holdings.js';

const params = z.strictObject({
  exporter: ref(XEN_DOMAIN).describe('The domain that owns the buffer and grants it'),
  importer: ref(XEN_DOMAIN).describe('The domain that maps it'),
  scheme: z.enum(SCHEMES).describe('flat (refs in ring requests, 14 a request), directory (displif), multilevel (hyper_dmabuf)'),
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  limits: z.enum(LIMITS_MODES).default('design').describe("'design': what the scheme's format addresses; 'as-written': what the 2018 code allocates (hyper_dmabuf's order-L second-level table, xen-zcopy's kcalloc of map ops)"),
});
type Params = z.output<typeof params>;

export const SHARE_PHASE_STATS: readonly StatDecl[] = [
  { name: 'share_latency_us', unit: 'us', description: 'Export plus import: from the exporter starting to the importer holding the buffer' },
  { name: 'export_latency_us', unit: 'us', description: 'Exporter: granting (or describing) the pages and handing them over' },
  { name: 'import_latency_us', unit: 'us', description: 'Importer: mapping the buffer' },
  { name: 'teardown_latency_us', unit: 'us', description: 'Importer unmaps (or releases), exporter ends access' },
];

const stats: readonly StatDecl[] = [
  { name: 'outcome', unit: '', description: "'ok', 'too-large-for-scheme', 'grant-table-full' or 'map-failed'" },
  { name: 'grant_entries', unit: 'entries', description: 'Grant entries the scheme needs: data plus metadata pages (closed form)' },
  { name: 'metadata_pages', unit: 'pages', description: 'Pages of refs shared besides the data' },
  { name: 'dependent_map_steps', unit: 'steps', description: 'Map hypercalls the importer issues one after another, each needing the previous result' },
  { name: 'import_hypercalls', unit: 'calls', description: 'Grant hypercalls of the import (maps and unmaps)' },
  { name: 'metadata_allocated_pages', unit: 'pages', description: 'Pages the exporter allocates for the metadata (as written, hyper_dmabuf allocates 2^L + 2 for L + 1)' },
  { name: 'messages', unit: 'requests', description: 'Ring requests that hand the buffer over (flat: one per 14 refs), each answered' },
  { name: 'message_bytes', unit: 'B', description: "Bytes of the scheme's own messages (requests and responses)" },
  { name: 'max_pages', unit: 'pages', description: 'The largest buffer the scheme can address (null: unbounded)' },
  ...SHARE_PHASE_STATS,
];

type Phase = 'export' | 'import' | 'teardown';

/** The phase latencies of a share in µs, null unless it ended well. */
export function phaseLatencies(phases: PhaseTimer<Phase>, ok: boolean): Record<string, MetricValue> {
  const us = (ps: number) => (ok ? ps / PS_PER_US : null);
  return {
    share_latency_us: us(phases.ps('export') + phases.ps('import')),
    export_latency_us: us(phases.ps('export')),
    import_latency_us: us(phases.ps('import')),
    teardown_latency_us: us(phases.ps('teardown')),
  };
}

/** A buffer's refs: data, then metadata (all the exporter's: gref-share uses exportBuffer). */
const refsOf = (b: ExportedBuffer) => [...b.dataRefs, ...b.metadataRefs];

class GrefShare implements Component {
  private exporter!: XenDomain;
  private importer!: XenDomain;
  private readonly phases: PhaseTimer<Phase>;
  private outcome = 'not run';
  private importHypercalls = 0;
  /** The refs and data mappings the share holds (made when the share starts, as the domains are), and whether its export granted the buffer and its import mapped it. */
  private holdings: GrantHoldings | null = null;
  private exported = false;
  private imported = false;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.phases = new PhaseTimer(ctx.sim);
  }

  connect(): void {
    this.exporter = this.ctx.peer<XenDomain>(this.p.exporter);
    this.importer = this.ctx.peer<XenDomain>(this.p.importer);
  }

  start(): void {
    this.ctx.sim.process(this.share(), `${this.ctx.name}/share`);
  }

  private *share(): ProcessBody<void> {
    const host = this.exporter.host, ops = host.grants;
    const exporter = this.exporter.model, importer = this.importer.model, p = this.p;
    const held = this.holdings = new GrantHoldings(exporter, importer);
    // The ring the buffer is handed over on is set up before the share (a protocol connects it once).
    const ring = yield* connectRing(host.channels, exporter, importer, layout(p.scheme, p.pages, p.limits).messageSize);
    if (typeof ring === 'number') throw new Error('model bug: a fresh domain has free event-channel ports');
    const exp = yield* this.phases.time('export', this.exportAndHandOver(ops, exporter, importer, ring));
    if (!exp.ok) { this.outcome = exp.failure; return; }
    const before = host.xen.counts().hypercalls;
    const imp = yield* this.phases.time('import', importBuffer(ops, importer, exporter, exp.buffer));
    this.importHypercalls = host.xen.counts().hypercalls - before;
    if (!imp.ok) { this.outcome = imp.failure; return; }
    this.imported = true;
    // Held until the teardown, which starts now: its unmap lets them go as it starts.
    held.holdMappings(imp.mappings);
    held.unmapping(imp.mappings);
    const ending = held.ending(refsOf(exp.buffer));
    held.ended(ending, yield* this.phases.time('teardown', teardown(ops, importer, exporter, exp.buffer, imp.mappings)));
    host.xen.attribution.countTransaction();
    this.outcome = 'ok';
  }

  /** The export, its refs held from when the grants return, then the hand-over. */
  private *exportAndHandOver(ops: GrantOps, exporter: Domain, importer: Domain, ring: XenRing): ProcessBody<ExportResult> {
    const p = this.p;
    const e = yield* exportBuffer(ops, exporter, importer, p.scheme, p.pages, p.limits);
    if (e.ok) {
      this.exported = true;
      this.holdings!.hold(refsOf(e.buffer));
      yield* handOver(ring, e.buffer);
    }
    return e;
  }

  invariants(): string[] {
    if (this.holdings === null) return [];
    const c = this.holdings.counts(), l = layout(this.p.scheme, this.p.pages, this.p.limits);
    const out = grantHoldingInvariants(c);
    const grants = this.exported ? l.grantEntries : 0, pages = this.imported ? l.pages : 0;
    if (c.granted !== grants || c.mapped !== pages) {
      out.push(`the ${l.scheme} scheme: ${c.granted} refs granted and ${c.mapped} data pages mapped, its closed form ${grants} and ${pages}`);
    }
    return out;
  }

  metrics(): Record<string, MetricValue> {
    const l = layout(this.p.scheme, this.p.pages, this.p.limits);
    return {
      outcome: this.outcome,
      grant_entries: l.grantEntries,
      metadata_pages: l.metadataPages,
      dependent_map_steps: l.dependentMapSteps,
      import_hypercalls: this.importHypercalls,
      metadata_allocated_pages: l.metadataAllocatedPages,
      messages: l.messages,
      message_bytes: l.messageBytes,
      max_pages: Number.isFinite(l.maxPages) ? l.maxPages : null,
      ...phaseLatencies(this.phases, this.outcome === 'ok'),
    };
  }
}

export const grefShare = defineComponent({
  type: 'workloads.gref-share',
  description: 'Share one buffer between two Xen domains with the flat, directory or multi-level gref scheme: counts and export/import/teardown latency',
  params,
  stats,
  create: (ctx, p) => new GrefShare(ctx, p),
});

/**
 * xen.hypercall-costs: what sharing pages between two domains costs in the
 * hypervisor, by batch size. A granting domain (a guest) and a mapping
 * domain (dom0 or a driver domain) repeat, `rounds` times, one use of a
 * buffer of `batch` pages:
 *
 *   mode 'map':  grant the pages (table writes) → map them in one batch →
 *                (use) → unmap them in one batch → end foreign access
 *   mode 'copy': grant the pages → one GNTTABOP_copy of `batch` ops → end
 *
 * With `grants: 'persistent'` the pages are granted and mapped once and kept
 * (blkback's persistent grants, 2012): later rounds reuse them and nothing
 * is unmapped or ended; each round then uses fresh pages if the buffer is
 * not the same (it is here: the same buffer each round).
 *
 * The metrics are per op (per page): the time of each phase over the pages
 * it handled, and of a whole round; plus exact counts (hypercalls,
 * continuations, flushes, IPIs, entries) and what ran out (a full grant
 * table or maptrack is an outcome, counted, not a crash).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_NS } from '../../src/sim/time.js';
import type { Attribution } from '../../src/stats/attribution.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import { XEN_PLATFORM, xenCostsOf } from './costs.js';
import { xenPlatformShape } from './platform.js';
import { GrantOps, type GrantMapping } from './gnttab.js';
import { NO_REF, RESERVED_ENTRIES } from './grant-table.js';
import { Hypervisor, XEN_DEFAULT_MAPTRACK, XEN_DEFAULT_MAX_GRANT_FRAMES, type Domain } from './hypervisor.js';


const params = z.strictObject({
  mode: z.enum(['map', 'copy']).default('map').describe("'map': grant, map, unmap, end per round; 'copy': grant, GNTTABOP_copy, end"),
  batch: z.number().int().min(1).describe('Pages per buffer: ops per map, unmap or copy hypercall'),
  rounds: z.number().int().min(1).default(8).describe('Uses of the buffer, one after another'),
  grants: z.enum(['per-use', 'persistent']).default('per-use').describe("'per-use': grant and map every round; 'persistent': grant and map once, keep"),
  grantVersion: z.union([z.literal(1), z.literal(2)]).default(1).describe('Grant table format of the granting domain: v1 (8-byte entries) or v2 (16-byte entries + status)'),
  maxGrantFrames: z.number().int().min(1).default(XEN_DEFAULT_MAX_GRANT_FRAMES).describe('Grant frames the granting domain may grow to'),
  maptrackLimit: z.number().int().min(1).default(XEN_DEFAULT_MAPTRACK).describe('Foreign mappings the mapping domain may hold'),
  vcpus: z.number().int().min(1).default(4).describe('vCPUs of the mapping domain (each unmap flush IPIs the others)'),
  copyBytes: z.number().int().min(0).optional().describe('Bytes per copy op in copy mode (default: one page)'),
  ...xenPlatformShape,
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'round_per_op_ns', unit: 'ns', description: 'Time of one round (one use of the buffer) per page, averaged over the rounds' },
  { name: 'grant_per_op_ns', unit: 'ns', description: 'Granting: table writes (and growth hypercalls) per page granted' },
  { name: 'map_per_op_ns', unit: 'ns', description: 'GNTTABOP_map_grant_ref time per op (round trip, continuations, work)' },
  { name: 'unmap_per_op_ns', unit: 'ns', description: 'GNTTABOP_unmap_grant_ref time per op, TLB/IOTLB flushes and IPIs included' },
  { name: 'copy_per_op_ns', unit: 'ns', description: 'GNTTABOP_copy time per op, the copy included' },
  { name: 'end_per_op_ns', unit: 'ns', description: 'Ending foreign access: table writes per page' },
  { name: 'hypercalls', unit: 'calls', description: 'Hypercalls issued (a continued call counts once)' },
  { name: 'continuations', unit: 'calls', description: 'Times a long batch was preempted and continued (one more round trip each)' },
  { name: 'tlb_flushes', unit: 'flushes', description: 'TLB flushes on unmap (one per flushEvery unmap ops)' },
  { name: 'iotlb_flushes', unit: 'flushes', description: 'IOMMU IOTLB flushes on unmap' },
  { name: 'ipis', unit: 'IPIs', description: 'TLB-shootdown IPIs sent to the mapping domain\'s other vCPUs' },
  { name: 'grant_entries_peak', unit: 'entries', description: 'Most grant entries in use at once in the granting domain' },
  { name: 'grant_table_bytes', unit: 'B', description: 'Memory of the granting domain\'s grant table at the end (v2: status frames included)' },
  { name: 'grant_failures', unit: 'pages', description: 'Pages that could not be granted: the table was full at its maximum frames' },
  { name: 'map_failures', unit: 'ops', description: 'Map ops that failed (bad ref for an ungranted page, or maptrack full)' },
];

class HypercallStudy implements Component {
  private readonly xen: Hypervisor;
  private readonly ops: GrantOps;
  private readonly guest: Domain;
  private readonly backend: Domain;
  private readonly phases: PhaseTimer<'grant' | 'map' | 'unmap' | 'copy' | 'end'>;
  private roundPs = 0;
  private roundOps = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.xen = new Hypervisor(ctx.sim, xenCostsOf(p));
    this.ops = new GrantOps(this.xen);
    this.phases = new PhaseTimer(ctx.sim);
    this.guest = this.xen.createDomain('guest', { kind: 'hvm', vcpus: 1, grantVersion: p.grantVersion, maxGrantFrames: p.maxGrantFrames });
    this.backend = this.xen.createDomain('dom0', { kind: 'dom0', vcpus: p.vcpus, maptrackLimit: p.maptrackLimit });
  }

  start(): void {
    this.ctx.sim.process(this.run(), `${this.ctx.name}/rounds`);
  }

  private *run(): ProcessBody<void> {
    const { p, ops, guest, backend } = this;
    const persistent = p.grants === 'persistent';
    let refs: number[] = [];
    let mappings: GrantMapping[] = [];
    for (let round = 0; round < p.rounds; round++) {
      const t0 = this.ctx.sim.now;
      const fresh = !persistent || round === 0;
      if (fresh) refs = yield* this.phases.time('grant', ops.grantAccess(guest, backend, p.batch, false), p.batch);
      const granted = refs.filter((r) => r !== NO_REF);
      if (p.mode === 'map') {
        if (fresh) {
          const r = yield* this.phases.time('map', ops.map(backend, guest, granted, false), granted.length);
          mappings = r.mappings;
        }
        if (!persistent) yield* this.phases.time('unmap', ops.unmap(backend, mappings), mappings.length);
      } else {
        yield* this.phases.time('copy', ops.copy(backend, granted.length, p.copyBytes ?? this.xen.costs.pageBytes), granted.length);
      }
      if (!persistent) yield* this.phases.time('end', ops.endAccess(guest, refs), granted.length);
      this.roundPs += this.ctx.sim.now - t0;
      this.roundOps += p.batch;
      this.xen.attribution.countTransaction();
    }
  }

  metrics(): Record<string, MetricValue> {
    const perOp = (phase: 'grant' | 'map' | 'unmap' | 'copy' | 'end') => { const ps = this.phases.psPerOp(phase); return ps === null ? null : ps / PS_PER_NS; };
    const c = this.ops.counts();
    const x = this.xen.counts();
    return {
      round_per_op_ns: this.roundOps > 0 ? this.roundPs / this.roundOps / PS_PER_NS : null,
      grant_per_op_ns: perOp('grant'),
      map_per_op_ns: perOp('map'),
      unmap_per_op_ns: perOp('unmap'),
      copy_per_op_ns: perOp('copy'),
      end_per_op_ns: perOp('end'),
      hypercalls: x.hypercalls,
      continuations: x.continuations,
      tlb_flushes: c.tlbFlushes,
      iotlb_flushes: c.iotlbFlushes,
      ipis: c.ipis,
      grant_entries_peak: this.guest.grants.peakUsed,
      grant_table_bytes: this.guest.grants.bytes,
      grant_failures: c.grantFailures,
      map_failures: c.mapFailures,
    };
  }

  attribution(): Attribution {
    return this.xen.attribution;
  }
}

/** Usable entries of a table at its maximum, for scenario descriptions and tests. */
export function usableEntries(version: 1 | 2, maxFrames: number, pageBytes: number): number {
  return (maxFrames * pageBytes) / (version === 1 ? 8 : 16) - RESERVED_ENTRIES;
}

export const hypercallStudy = defineComponent({
  type: 'xen.hypercall-costs',
  description: 'Grant, map, unmap, copy and end-access costs between a guest and dom0 by batch size: persistent vs per-use grants, v1 vs v2 tables, flush IPIs by vCPU count',
  params: params as unknown as z.ZodType<Params>,
  presetTypes: [XEN_PLATFORM],
  stats,
  create: (ctx, p) => new HypercallStudy(ctx, p),
});


/**
 * workloads.grant-rounds: what sharing pages between two domains costs in
 * the hypervisor, by batch size. A granting domain and a mapping domain
 * (dom0 or a driver domain) repeat, `rounds` times, one use of a buffer of
 * `batch` pages:
 *
 *   mode 'map':  grant the pages (table writes) → map them in one batch →
 *                (use) → unmap them in one batch → end foreign access
 *   mode 'copy': grant the pages → one GNTTABOP_copy of `batch` ops → end
 *
 * With `grants: 'persistent'` the pages are granted and mapped once and kept
 * (blkback's persistent grants, 2012): later rounds reuse them and nothing
 * is unmapped or ended.
 *
 * The metrics are per op (per page): the time of each phase over the pages
 * it handled, and of a whole round. The hypervisor reports the counts
 * (hypercalls, continuations, flushes, IPIs) and what ran out (a full grant
 * table or maptrack is an outcome, counted, not a crash); the domains their
 * grant tables. What the rounds hold (refs granted and not ended, mappings
 * not unmapped) is checked against the tables at the end of every run
 * (grant-holdings.ts).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { byteSize } from '../../src/scenario/units.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_NS } from '../../src/sim/time.js';
import { PhaseTimer } from '../../src/stats/phase-timer.js';
import type { GrantMapping } from '../xen/gnttab.js';
import { NO_REF } from '../xen/grant-table.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import { GrantHoldings } from '../xen/grant-holdings.js';

const params = z.strictObject({
  granter: ref(XEN_DOMAIN).describe('The domain that grants its pages (a guest)'),
  mapper: ref(XEN_DOMAIN).describe('The domain that maps or copies them (dom0 or a driver domain)'),
  mode: z.enum(['map', 'copy']).describe("'map': grant, map, unmap, end per round; 'copy': grant, GNTTABOP_copy, end"),
  batch: z.number().int().min(1).describe('Pages per buffer: ops per map, unmap or copy hypercall'),
  rounds: z.number().int().min(1).describe('Uses of the buffer, one after another'),
  grants: z.enum(['per-use', 'persistent']).describe("'per-use': grant and map every round; 'persistent': grant and map once, keep"),
  copyBytes: byteSize().optional().describe('Bytes per copy op in copy mode (default: one page)'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'round_per_op_ns', unit: 'ns', description: 'Time of one round (one use of the buffer) per page, averaged over the rounds' },
  { name: 'grant_per_op_ns', unit: 'ns', description: 'Granting: table writes (and growth hypercalls) per page granted' },
  { name: 'map_per_op_ns', unit: 'ns', description: 'GNTTABOP_map_grant_ref time per op (round trip, continuations, work)' },
  { name: 'unmap_per_op_ns', unit: 'ns', description: 'GNTTABOP_unmap_grant_ref time per op, TLB/IOTLB flushes and IPIs included' },
  { name: 'copy_per_op_ns', unit: 'ns', description: 'GNTTABOP_copy time per op, the copy included' },
  { name: 'end_per_op_ns', unit: 'ns', description: 'Ending foreign access: table writes per page' },
];

class GrantRounds implements Component {
  private granter!: XenDomain;
  private mapper!: XenDomain;
  private readonly phases: PhaseTimer<'grant' | 'map' | 'unmap' | 'copy' | 'end'>;
  private roundPs = 0;
  private roundOps = 0;
  /** The refs and mappings the rounds hold (made when the rounds start, as the domains are). */
  private holdings: GrantHoldings | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.phases = new PhaseTimer(ctx.sim);
  }

  connect(): void {
    this.granter = this.ctx.peer<XenDomain>(this.p.granter);
    this.mapper = this.ctx.peer<XenDomain>(this.p.mapper);
  }

  start(): void {
    this.ctx.sim.process(this.run(), `${this.ctx.name}/rounds`);
  }

  private *run(): ProcessBody<void> {
    const p = this.p, host = this.granter.host, ops = host.grants;
    const guest = this.granter.model, backend = this.mapper.model;
    const held = this.holdings = new GrantHoldings(guest, backend);
    const persistent = p.grants === 'persistent';
    let refs: number[] = [];
    let mappings: GrantMapping[] = [];
    for (let round = 0; round < p.rounds; round++) {
      const t0 = this.ctx.sim.now;
      const fresh = !persistent || round === 0;
      if (fresh) {
        refs = yield* this.phases.time('grant', ops.grantAccess(guest, backend, p.batch, false), p.batch);
        held.hold(refs);
      }
      const granted = refs.filter((r) => r !== NO_REF);
      if (p.mode === 'map') {
        if (fresh) {
          const r = yield* this.phases.time('map', ops.map(backend, guest, granted, false), granted.length);
          mappings = r.mappings;
          held.holdMappings(mappings);
        }
        if (!persistent) {
          held.unmapping(mappings);
          yield* this.phases.time('unmap', ops.unmap(backend, mappings), mappings.length);
        }
      } else {
        yield* this.phases.time('copy', ops.copy(backend, granted.length, p.copyBytes ?? host.xen.costs.pageBytes), granted.length);
      }
      if (!persistent) {
        const ending = held.ending(refs);
        held.ended(ending, yield* this.phases.time('end', ops.endAccess(guest, refs), granted.length));
      }
      this.roundPs += this.ctx.sim.now - t0;
      this.roundOps += p.batch;
      host.xen.attribution.countTransaction();
    }
  }

  invariants(): string[] {
    return this.holdings?.invariants() ?? [];
  }

  metrics(): Record<string, MetricValue> {
    const perOp = (phase: 'grant' | 'map' | 'unmap' | 'copy' | 'end') => { const ps = this.phases.psPerOp(phase); return ps === null ? null : ps / PS_PER_NS; };
    return {
      round_per_op_ns: this.roundOps > 0 ? this.roundPs / this.roundOps / PS_PER_NS : null,
      grant_per_op_ns: perOp('grant'),
      map_per_op_ns: perOp('map'),
      unmap_per_op_ns: perOp('unmap'),
      copy_per_op_ns: perOp('copy'),
      end_per_op_ns: perOp('end'),
    };
  }
}

export const grantRounds = defineComponent({
  type: 'workloads.grant-rounds',
  description: 'Grant, map, unmap, copy and end-access between two Xen domains, round after round, by batch size: persistent vs per-use grants, map vs copy',
  params,
  stats,
  create: (ctx, p) => new GrantRounds(ctx, p),
});

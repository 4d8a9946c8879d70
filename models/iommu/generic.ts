/**
 * iommu.generic: an IOMMU as a component (iommu.ts: per-page-size IOTLB,
 * page walks with paging-structure caches, strict or deferred invalidation,
 * ATS), for a root complex's `iommu` slot. Requests from below the root
 * complex are translated by it; who maps what is up to the system:
 *
 *  - identity mapping (`identityMap` 4k, 2m or largest): at connect, the
 *    owner's host memory and every BAR below it are mapped 1:1 in one
 *    domain holding every function below, in 4 KiB or 2 MiB pages ('largest':
 *    2 MiB where base and size allow, else 4 KiB; '2m': the 2 MiB pages
 *    around each range, identitySpans), as Linux's identity
 *    (passthrough-with-translation) domain or a hypervisor's 1:1 map does;
 *  - 'off': nothing is mapped; a driver (workloads.dma-map-unmap) or a
 *    hypervisor maps and unmaps through `model`, and DMA to anything
 *    unmapped faults.
 *
 * With `warmWithHostCache`, a run whose host memory starts warm starts with
 * that memory's translations cached too (Iommu.warmTranslations): the
 * device wrote it through the IOMMU to warm it, as pcie-bench does.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue } from '../../src/scenario/registry.js';
import type { AddressRange } from '../pcie/fabric.js';
import { Iommu, iommuStats } from './iommu.js';
import { iommuInvariants } from './conservation.js';
import { iommuParams, iotlbShapeIssues, type IommuParams } from './params.js';
import { IOMMU_WALK, IOMMU_WALKER_WAIT, ledger } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';

export const IOMMU = 'iommu';

const PAGE_4K_BYTES = 4096;
const PAGE_2M_BYTES = 2 * 1024 * 1024;

const params = iommuParams.extend({
  identityMap: z.enum(['off', '4k', '2m', 'largest']).default('largest')
    .describe("At connect, map the owner's memory and the BARs below it 1:1 in pages of this size ('2m': the 2 MiB pages around each range, mapped whole; 'largest': 2 MiB where aligned, else 4 KiB); 'off': map nothing"),
  warmWithHostCache: z.boolean().default(false)
    .describe("When the owner's host memory starts with its cache warm, start with that memory's translations cached too, as the device's writes that warmed the cache leave them, in address order (pcie-bench warms the host cache by writing the window from the NFP through its BAR, so through the IOMMU: host_warm_cache); false: the IOTLB and paging-structure caches start empty"),
}).superRefine(iotlbShapeIssues);

/** One run of same-size pages an identity map lays down: [base, base + size), pages of `page` bytes. */
export interface IdentitySpan {
  readonly base: number;
  readonly size: number;
  readonly page: number;
}

/**
 * The pages an identity map of `ranges` lays down: the pages that cover each
 * range, rounded out to page boundaries, as an identity domain over all of
 * RAM maps the pages around a small buffer whole (so a scenario may give the
 * root complex just the bytes its workload touches, and a BAR smaller than a
 * page is mapped in the page it sits in); ranges that share a page are
 * mapped once. '4k': 4 KiB pages. '2m': 2 MiB pages. 'largest': 2 MiB
 * pages for a range that is 2 MiB-aligned at both ends, else 4 KiB pages.
 * Spans come out in address order.
 */
export function identitySpans(mode: '4k' | '2m' | 'largest', ranges: readonly AddressRange[]): IdentitySpan[] {
  const spans = ranges.filter((r) => r.size > 0).map((r): IdentitySpan => {
    const aligned = r.base % PAGE_2M_BYTES === 0 && r.size % PAGE_2M_BYTES === 0;
    const page = mode === '4k' || (mode === 'largest' && !aligned) ? PAGE_4K_BYTES : PAGE_2M_BYTES;
    const base = Math.floor(r.base / page) * page;
    return { base, size: Math.ceil((r.base + r.size) / page) * page - base, page };
  }).sort((a, b) => a.base - b.base);
  const merged: IdentitySpan[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.page === s.page && s.base < last.base + last.size) {
      merged[merged.length - 1] = { ...last, size: Math.max(last.size, s.base + s.size - last.base) };
    } else {
      merged.push(s);
    }
  }
  return merged;
}

export class IommuUnit {
  readonly model: Iommu;
  /** What its owner has told it lies behind it (host memory, BARs), for hypervisors that map a domain's view of all of it. */
  ownerRanges: readonly AddressRange[] = [];

  constructor(ctx: ComponentContext, private readonly p: z.output<typeof params>) {
    const { identityMap: _mode, warmWithHostCache: _warm, ...iommu } = p;
    this.model = new Iommu(ctx.sim, iommu as IommuParams, ctx.name);
  }

  /** True when identityMap is off: drivers map what their devices reach through the DMA API (DMA domains). */
  get dmaDomains(): boolean {
    return this.p.identityMap === 'off';
  }

  /** Called by the owner at connect: the identity map of its ranges for these requesters, unless identityMap is off. */
  identityMap(requesterIds: readonly number[], ranges: readonly AddressRange[]): void {
    this.ownerRanges = ranges;
    const mode = this.p.identityMap;
    if (mode === 'off') return;
    const domain = this.model.createDomain();
    for (const id of requesterIds) this.model.attach(id, domain);
    for (const s of identitySpans(mode, ranges)) this.model.map(domain, s.base, s.base, s.size, s.page);
  }

  /** Called by the owner at connect when its memory's cache starts warm: see warmTranslations. */
  hostCacheWarm(requesterIds: readonly number[], memory: AddressRange): void {
    if (!this.p.warmWithHostCache) return;
    for (const id of requesterIds) this.model.warmTranslations(id, memory.base, memory.size);
  }

  /** Misses' page walks and their waits for a free walker. */
  attribution(): Attribution {
    const s = this.model.stats();
    return ledger([[IOMMU_WALK, s.walkPs], [IOMMU_WALKER_WAIT, s.walkerWaitPs]]);
  }

  metrics(): Record<string, MetricValue> {
    return this.model.metrics();
  }

  invariants(): string[] {
    return iommuInvariants(this.model.stats(), this.model.iotlb);
  }
}

export const genericIommu = defineComponent({
  type: 'iommu.generic',
  description: 'An IOMMU: IOTLB per page size, 4/5-level walks with paging-structure caches and concurrent walkers, strict or deferred invalidation, ATS; identity-maps its owner\'s memory and BARs unless identityMap is off',
  provides: [IOMMU],
  params,
  defaultPreset: 'iommu-xeon-e5',
  stats: iommuStats,
  create: (ctx, p) => new IommuUnit(ctx, p),
});

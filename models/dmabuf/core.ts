/**
 * dmabuf.core: the Linux dma-buf core of one kernel (dma-buf.ts): attach,
 * map through an importer's IOMMU, CPU-access cache maintenance, migration
 * of a device-memory buffer, fences. Its costs are estimates (ranges in
 * their descriptions). Workloads attach importers and use buffers through it.
 */
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { Attribution } from '../../src/stats/attribution.js';
import type { Iommu } from '../iommu/iommu.js';
import { DmaBufCore, dmaBufCoreInvariants, dmaBufCoreParams, type DmaBufCosts } from './dma-buf.js';

export const DMABUF_CORE = 'dmabuf.core';

const stats: readonly StatDecl[] = [
  { name: 'attaches', unit: 'attachments', description: 'dma_buf_attach calls' },
  { name: 'maps', unit: 'maps', description: 'Attachments mapped (sg_table and dma_map_sg)' },
  { name: 'migrated_pages', unit: 'pages', description: 'Pages copied from device to system memory' },
  { name: 'redirects', unit: 'attachments', description: "Attachments to an APU carve-out sent to its system address instead of through the iGPU's BAR" },
  { name: 'cpu_accesses', unit: 'brackets', description: 'Begin/end CPU access calls' },
];

export class DmaBufKernel {
  readonly ledger = new Attribution();
  private readonly iommus = new Map<number, { iommu: Iommu; domain: number }>();
  readonly core: DmaBufCore;

  constructor(ctx: ComponentContext, readonly costs: DmaBufCosts) {
    this.core = new DmaBufCore(ctx.sim, costs, this.ledger, this.iommus);
  }

  /** `device`'s DMA goes through `iommu`, in `domain`: dma_map_sg maps there. */
  routeThrough(device: number, iommu: Iommu, domain: number): void {
    this.iommus.set(device, { iommu, domain });
  }

  metrics(): Record<string, MetricValue> {
    const c = this.core.counts();
    return { attaches: c.attaches, maps: c.maps, migrated_pages: c.pagesMigrated, redirects: c.redirects, cpu_accesses: c.cpuAccesses };
  }

  attribution(): Attribution {
    return this.ledger;
  }

  invariants(): string[] {
    return dmaBufCoreInvariants(this.core.counts(), this.core.attachmentState());
  }
}

export const dmaBufCore = defineComponent({
  type: DMABUF_CORE,
  description: "A kernel's dma-buf core: attach (in place over P2P or by migration), map through the importer's IOMMU, CPU-access cache maintenance, fences",
  params: dmaBufCoreParams,
  stats,
  create: (ctx, p) => new DmaBufKernel(ctx, p),
});

/**
 * dmabuf.attach: what it costs a second device to start using a buffer
 * another device exported from its own memory (a GPU's VRAM): attach, map
 * the attachment (sg_table, dma_map_sg through the importer's IOMMU), and
 * the first CPU access bracket; in place over P2P, or after migrating the
 * buffer to system memory (what an exporter does when the pair cannot do
 * P2P, or by policy).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import { Attribution } from '../../src/stats/attribution.js';
import { Iommu } from '../iommu/iommu.js';
import { iommuParams, type IommuParams } from '../iommu/params.js';
import { prefixedShape, takePrefixed } from '../pcie/sections.js';
import { DmaBuf, DmaBufCore, dmaBufCoreParams, type DmaBufCosts } from './dma-buf.js';

const CORE = 'dmabuf';
const IOMMU = 'iommu';
/** The importing device's requester ID and the buffer's IOVA: any values, they change no cost. */
const IMPORTER = 0x100;
const BUFFER_IOVA = 0x1_0000_0000;

const params = z.strictObject({
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  policy: z.enum(['in-place', 'migrate']).describe('Reach the exporter\'s device memory in place over P2P, or migrate it to system memory first'),
  p2pCapable: z.boolean().default(true).describe('The pair can do P2P (else in-place falls back to migrating)'),
  iommu: z.enum(['off', 'on']).default('on').describe('The importer\'s DMA goes through an IOMMU'),
  ...prefixedShape(CORE, dmaBufCoreParams),
  ...prefixedShape(IOMMU, iommuParams),
});
type Params = z.output<typeof params> & Record<string, unknown>;

const stats: readonly StatDecl[] = [
  { name: 'attach_us', unit: 'us', description: 'dma_buf_attach, a migration included' },
  { name: 'map_us', unit: 'us', description: 'Mapping the attachment: sg_table and dma_map_sg' },
  { name: 'ready_us', unit: 'us', description: 'Attach, map and one CPU access bracket: until the importer can use the buffer' },
  { name: 'migrated_pages', unit: 'pages', description: 'Pages copied from device to system memory' },
];

class AttachStudy implements Component {
  private readonly core: DmaBufCore;
  private readonly ledger = new Attribution();
  private readonly t = { attach: 0, map: 0, ready: 0 };

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    const iommus = new Map<number, { iommu: Iommu; domain: number }>();
    if (p.iommu === 'on') {
      const mmu = new Iommu(ctx.sim, takePrefixed(p, IOMMU) as IommuParams, `${ctx.name}/iommu`);
      const domain = mmu.createDomain();
      mmu.attach(IMPORTER, domain);
      iommus.set(IMPORTER, { iommu: mmu, domain });
    }
    this.core = new DmaBufCore(ctx.sim, takePrefixed(p, CORE) as DmaBufCosts, this.ledger, iommus);
  }

  start(): void {
    this.ctx.sim.process(this.use(), `${this.ctx.name}/use`);
  }

  private *use(): ProcessBody<void> {
    const sim = this.ctx.sim, t0 = sim.now;
    const buf = new DmaBuf(this.p.pages, 'device', BUFFER_IOVA);
    const a = yield* this.core.attach(buf, IMPORTER, this.p.policy, this.p.p2pCapable);
    this.t.attach = sim.now - t0;
    const t1 = sim.now;
    yield* this.core.map(a);
    this.t.map = sim.now - t1;
    yield* this.core.cpuAccess(buf);
    yield* this.core.cpuAccess(buf);
    this.t.ready = sim.now - t0;
    this.ledger.countTransaction();
  }

  metrics(): Record<string, MetricValue> {
    return {
      attach_us: this.t.attach / PS_PER_US, map_us: this.t.map / PS_PER_US, ready_us: this.t.ready / PS_PER_US,
      migrated_pages: this.core.counts().pagesMigrated,
    };
  }

  attribution(): Attribution {
    return this.ledger;
  }
}

export const attachStudy = defineComponent({
  type: 'dmabuf.attach',
  description: 'A device starts using another device\'s exported buffer: attach (in place over P2P, or migrated to system memory), map through the IOMMU, CPU access',
  params: params as unknown as z.ZodType<Params>,
  stats,
  create: (ctx, p) => new AttachStudy(ctx, p),
});

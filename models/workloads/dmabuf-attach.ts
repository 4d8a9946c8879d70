/**
 * workloads.dmabuf-attach: what it costs a second device to start using a
 * buffer another device exported from its own memory (a GPU's VRAM): attach,
 * map the attachment (sg_table, dma_map_sg through the importer's IOMMU when
 * it has one), and the first CPU access bracket; in place over P2P, or after
 * migrating the buffer to system memory (what an exporter does when the pair
 * cannot do P2P, or by policy). Backed by an APU's carve-out instead, the
 * buffer is reached through the iGPU's BAR or redirected to its system
 * address: never copied. Its attachment, once made, stays on the buffer's
 * list, and mapped once mapped (it is never detached or unmapped: checked
 * by `invariants()`; the kernel's dmabuf.core checks its own counts).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { pageAlignedAddress } from '../../src/scenario/units.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_US } from '../../src/sim/time.js';
import { DmaBuf, type Attachment } from '../dmabuf/dma-buf.js';
import { DMABUF_CORE, type DmaBufKernel } from '../dmabuf/core.js';
import { IOMMU, type IommuUnit } from '../iommu/generic.js';

const params = z.strictObject({
  kernel: ref(DMABUF_CORE).describe("The importer's kernel dma-buf core"),
  iommu: ref(IOMMU).optional().describe("The IOMMU the importer's DMA goes through (none: mapping is the sg_table only)"),
  importer: z.number().int().min(0).max(0xffff).describe("The importing device's requester ID"),
  bufferIova: pageAlignedAddress().describe('The IOVA the buffer is mapped at'),
  pages: z.number().int().min(1).describe('Buffer size in 4 KiB pages'),
  backing: z.enum(['vram', 'carve-out']).default('vram').describe("The exporter's memory: a discrete GPU's VRAM, or an APU's carve-out of system memory behind its BAR"),
  policy: z.enum(['in-place', 'migrate']).describe("Reach the exporter's memory in place over P2P, or through system memory: VRAM is migrated there first, a carve-out redirected to its system address"),
  p2pCapable: z.boolean().default(true).describe('The pair can do P2P (else in-place falls back to migrating)'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'attach_us', unit: 'us', description: 'dma_buf_attach, a migration included' },
  { name: 'map_us', unit: 'us', description: 'Mapping the attachment: sg_table and dma_map_sg' },
  { name: 'ready_us', unit: 'us', description: 'Attach, map and one CPU access bracket: until the importer can use the buffer' },
];

class DmabufAttach implements Component {
  private kernel!: DmaBufKernel;
  private readonly t = { attach: 0, map: 0, ready: 0 };
  /** Its attachment once made, and whether its map has returned. */
  private attachment: Attachment | null = null;
  private mapped = false;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  connect(): void {
    this.kernel = this.ctx.peer<DmaBufKernel>(this.p.kernel);
    if (this.p.iommu !== undefined) {
      const mmu = this.ctx.peer<IommuUnit>(this.p.iommu).model;
      const domain = mmu.createDomain();
      mmu.attach(this.p.importer, domain);
      this.kernel.routeThrough(this.p.importer, mmu, domain);
    }
  }

  start(): void {
    this.ctx.sim.process(this.use(), `${this.ctx.name}/use`);
  }

  private *use(): ProcessBody<void> {
    const sim = this.ctx.sim, t0 = sim.now, core = this.kernel.core;
    const buf = new DmaBuf(this.p.pages, this.p.backing === 'vram' ? 'device' : 'carve-out', this.p.bufferIova);
    const a = this.attachment = yield* core.attach(buf, this.p.importer, this.p.policy, this.p.p2pCapable);
    this.t.attach = sim.now - t0;
    const t1 = sim.now;
    yield* core.map(a);
    this.mapped = true;
    this.t.map = sim.now - t1;
    yield* core.cpuAccess(buf);
    yield* core.cpuAccess(buf);
    this.t.ready = sim.now - t0;
    this.kernel.ledger.countTransaction();
  }

  /** Its attachment is on its buffer's list (never detached), and mapped once its map returned (never unmapped). */
  invariants(): string[] {
    const a = this.attachment;
    if (a === null) return [];
    const out: string[] = [];
    if (!a.buffer.attachments.includes(a)) out.push("its attachment is not on its buffer's list");
    if (this.mapped && !a.mapped) out.push('its attachment was mapped and is not now');
    return out;
  }

  metrics(): Record<string, MetricValue> {
    return { attach_us: this.t.attach / PS_PER_US, map_us: this.t.map / PS_PER_US, ready_us: this.t.ready / PS_PER_US };
  }
}

export const dmabufAttach = defineComponent({
  type: 'workloads.dmabuf-attach',
  description: "A device starts using another device's exported buffer: attach (in place over P2P, or migrated to system memory), map through the IOMMU, CPU access",
  params,
  stats,
  create: (ctx, p) => new DmabufAttach(ctx, p),
});

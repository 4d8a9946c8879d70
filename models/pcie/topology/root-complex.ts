/**
 * pcie.root-complex: a root complex with `rootPorts` root ports (rp0, rp1,
 * ...) and its host memory (root-complex.ts, memory.ts). Its parameters are
 * the root complex's, plus the memory's as "memory.<param>" (the keys the
 * pcie.dma-path presets use), so a platform preset is one file.
 */
import { z } from 'zod';
import type { ComponentContext, ComponentType, MetricValue, TopologyIssue, TopologyNode, TopologyView } from '../../../src/scenario/registry.js';
import type { PortRoutes } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';
import { Memory, memoryParams, memoryStats, type MemoryParams } from '../memory.js';
import { RootComplex, rootComplexParams, rootComplexStats, type RootComplexParams, type RootPort } from '../root-complex.js';
import { prefixedShape, takePrefixed } from '../sections.js';
import { Iommu, iommuColumnDecls, iommuColumns } from '../../iommu/iommu.js';
import { iommuParams, type IommuParams } from '../../iommu/params.js';
import { DOWNSTREAM_PORT, endpointsBelow, mergeRoutes, ROOT_COMPLEX_TYPE, type PcieElement } from './node.js';

const MEMORY = 'memory';
const IOMMU = 'iommu';
const PAGE_4K_BYTES = 4096;
const PAGE_2M_BYTES = 2 * 1024 * 1024;

const params = z.strictObject({
  rootPorts: z.number().int().min(1).default(1).describe('Root ports rp0, rp1, ...: how many the topology may link'),
  linuxP2pWhitelisted: z.boolean().default(false)
    .describe("Linux's p2pdma allows P2P through this host bridge (drivers/pci/p2pdma.c: AMD Zen and later, listed Intel host bridges); only classifies pairs, the p2pRead/p2pWrite policies set what the hardware does"),
  ...(rootComplexParams as unknown as z.ZodObject).shape,
  ...prefixedShape(MEMORY, memoryParams),
  iommu: z.enum(['off', 'on']).default('off')
    .describe("'on': requests from below are translated by an IOMMU (iommu.* parameters); host memory and every BAR below are identity-mapped, in 2 MiB pages where aligned, else 4 KiB"),
  ...prefixedShape(IOMMU, iommuParams),
}).superRefine((p, ctx) => {
  // The root complex's own cross-field checks (e.g. a throttled P2P policy needs its bandwidth).
  const r = rootComplexParams.safeParse(rcPart(p));
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}, { when: (payload) => payload.issues.length === 0 });

type Params = RootComplexParams & { rootPorts: number; linuxP2pWhitelisted: boolean } & Record<string, unknown>;

/** The element's own parameters, not the root complex model's. */
const ELEMENT_KEYS = new Set(['rootPorts', 'linuxP2pWhitelisted', 'iommu']);

function rcPart(p: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).filter(([k]) => !ELEMENT_KEYS.has(k) && !k.startsWith(`${MEMORY}.`) && !k.startsWith(`${IOMMU}.`)));
}

/** The largest IOMMU page that tiles [base, base + size): 2 MiB if both are multiples of it, else 4 KiB. */
function identityPage(base: number, size: number): number {
  return base % PAGE_2M_BYTES === 0 && size % PAGE_2M_BYTES === 0 ? PAGE_2M_BYTES : PAGE_4K_BYTES;
}

const portName = (k: number) => `rp${k}`;

class RootComplexElement implements PcieElement {
  readonly mps: number;
  readonly ecrc: boolean;
  readonly parent = null;
  readonly linuxP2pWhitelisted: boolean;
  private readonly below = new Map<string, { far: PcieElement }>();
  private model: RootComplex | null = null;
  private iommu: Iommu | null = null;
  private readonly ports = new Map<string, RootPort>();

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.mps = p.mps;
    this.ecrc = p.ecrc;
    this.linuxP2pWhitelisted = p.linuxP2pWhitelisted;
  }

  plug(port: string, far: PcieElement): void {
    this.below.set(port, { far });
  }

  routesBelow(): PortRoutes {
    return mergeRoutes([...this.below.values()].map((b) => b.far.routesBelow()));
  }

  build(): void {
    if (this.model !== null) return;
    const memory = new Memory(this.ctx.sim, takePrefixed(this.p, MEMORY) as MemoryParams, `${this.ctx.name}/memory`);
    const rc = new RootComplex(this.ctx.sim, rcPart(this.p) as RootComplexParams, memory, this.ctx.name);
    // Root ports in index order, so the root complex's port numbers follow the names.
    for (let k = 0; k < this.p.rootPorts; k++) {
      const b = this.below.get(portName(k));
      this.ports.set(portName(k), rc.addRootPort(b ? b.far.routesBelow() : undefined));
    }
    this.model = rc;
    if (this.p.iommu === 'on') this.attachIommu(rc, memory);
  }

  /** One translation domain for every function below, identity-mapping host memory and their BARs. */
  private attachIommu(rc: RootComplex, memory: Memory): void {
    const mmu = new Iommu(this.ctx.sim, takePrefixed(this.p, IOMMU) as IommuParams, `${this.ctx.name}/iommu`);
    const domain = mmu.createDomain();
    const below = this.routesBelow();
    for (const id of below.requesterIds) mmu.attach(id, domain);
    for (const r of [memory.range, ...below.ranges]) mmu.map(domain, r.base, r.base, r.size, identityPage(r.base, r.size));
    rc.translate = mmu.translate;
    this.iommu = mmu;
  }

  /** The root complex model (after the connect phase), e.g. for an IOMMU to hook into. */
  get rootComplex(): RootComplex {
    this.build();
    return this.model!;
  }

  linkEnd(port: string): LinkEnd {
    this.build();
    const rp = this.ports.get(port)!;
    return { receiver: rp, credits: rp.credits };
  }

  attach(port: string, link: Link, end: 'a' | 'b'): void {
    this.ports.get(port)!.connect(end === 'a' ? link.aToB : link.bToA);
  }

  connect(): void {
    this.build();
  }

  metrics(): Record<string, MetricValue> {
    const rc = this.rootComplex;
    const out: Record<string, MetricValue> = { ...rc.metrics() };
    for (const [k, v] of Object.entries(rc.memory.metrics())) out[`${MEMORY}_${k}`] = v;
    return { ...out, ...iommuColumns(this.iommu) };
  }
}

/**
 * No two functions below the root complex claim the same addresses or
 * requester ID, and no BAR overlaps host memory: enumeration never assigns
 * them so, and routing could not tell them apart.
 */
function checkRootComplex(self: TopologyNode, view: TopologyView): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const memBase = Number((self.params as Record<string, unknown>)[`${MEMORY}.base`]);
  const memSize = Number((self.params as Record<string, unknown>)[`${MEMORY}.size`]);
  const bars: { node: TopologyNode; base: number; end: number }[] = [{ node: self, base: memBase, end: memBase + memSize }];
  const ids = new Map<number, TopologyNode>();
  for (const ep of endpointsBelow(self, view)) {
    const p = ep.params as { barBase: number; barSize: number; requesterId: number };
    if (p.barSize > 0) bars.push({ node: ep, base: p.barBase, end: p.barBase + p.barSize });
    const other = ids.get(p.requesterId);
    if (other) issues.push({ path: [...ep.path, 'params', 'requesterId'], message: `0x${p.requesterId.toString(16)} is also ${other.name}'s: requester IDs below one root complex are unique` });
    else ids.set(p.requesterId, ep);
  }
  bars.sort((x, y) => x.base - y.base);
  for (let i = 1; i < bars.length; i++) {
    const prev = bars[i - 1]!, cur = bars[i]!;
    if (cur.base < prev.end) {
      const what = (b: typeof cur) => (b.node === self ? `${self.name}'s memory` : `${b.node.name}'s BAR`) + ` [0x${b.base.toString(16)}, 0x${b.end.toString(16)})`;
      const culprit = cur.node === self ? prev : cur;
      issues.push({ path: [...culprit.node.path, 'params', 'barBase'], message: `${what(cur)} overlaps ${what(prev)}` });
    }
  }
  return issues;
}

export const rootComplexType: ComponentType<Params> = {
  type: ROOT_COMPLEX_TYPE,
  description: 'A root complex with root ports rp0..rp<n-1> and host memory (memory.* parameters); P2P policy and IOMMU hook',
  params: params as unknown as z.ZodType<Params>,
  stats: [
    ...rootComplexStats,
    ...memoryStats.map((s) => ({ ...s, name: `${MEMORY}_${s.name}`, description: `Host memory: ${s.description}` })),
    ...iommuColumnDecls('IOMMU (iommu on): '),
  ],
  ports: (p) => Array.from({ length: p.rootPorts }, (_, k) => ({ name: portName(k), kind: DOWNSTREAM_PORT, description: `root port ${k}` })),
  create: (ctx, p) => new RootComplexElement(ctx, p),
  checkTopology: (self, view) => checkRootComplex(self as TopologyNode, view),
};

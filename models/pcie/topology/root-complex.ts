/**
 * pcie.root-complex: a root complex with `rootPorts` root ports (rp0, rp1,
 * ...; root-complex.ts), host memory mapped at [memoryBase, memoryBase +
 * memorySize) from its `memory` slot, and, when its `iommu` slot is filled,
 * an IOMMU translating every request from below.
 *
 * Two platform facts a driver meets before any TLP: whether the DMA API can
 * map a peer's BAR for a device (`dmaMapResource`: dma_map_resource, which
 * the 2018 discussion proposed should fail where an architecture does not
 * support P2P), and the offset between a BAR's CPU physical address and the
 * bus address the fabric routes on (`barBusOffset`, a translating host
 * bridge's; 0 on x86). The BARs a scenario gives (endpoints' barBase) are
 * bus addresses.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type TopologyIssue, type TopologyNode, type TopologyView } from '../../../src/scenario/registry.js';
import { byteSize, positiveByteSize } from '../../../src/scenario/units.js';
import type { AddressRange, PortRoutes, TlpReceiver } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';
import type { CompletionMode } from '../tlp.js';
import { RootComplex, rootComplexParams, rootComplexStats, rootPortIndex, type RootPort } from '../root-complex.js';
import { MEMORY, type MemoryDevice } from '../../memory/dram.js';
import { IOMMU, type IommuUnit } from '../../iommu/generic.js';
import { ledger, ROOT_COMPLEX_TRAVERSAL } from '../attribution.js';
import { rootComplexInvariants } from '../conservation.js';
import type { Attribution } from '../../../src/stats/attribution.js';
import { DOWNSTREAM_PORT, endpointsBelow, mergeRoutes, pcieFacts, ROOT_COMPLEX, type PcieElement, type PcieFacts } from './node.js';

const params = rootComplexParams.safeExtend({
  rootPorts: z.number().int().min(1).default(1).describe('Root ports rp0, rp1, ...: how many the topology may link'),
  linuxP2pWhitelisted: z.boolean()
    .describe("Linux's p2pdma allows P2P through this host bridge (drivers/pci/p2pdma.c: AMD Zen and later, listed Intel host bridges); only classifies pairs, the p2pRead/p2pWrite policies set what the hardware does"),
  memoryBase: byteSize().describe('First bus address of host memory (the memory slot is mapped here)'),
  memorySize: positiveByteSize().describe('Bytes of host memory'),
  dmaMapResource: z.enum(['supported', 'unsupported'])
    .describe("dma_map_resource of a peer's BAR: 'supported' returns a DMA address (an IOVA with the IOMMU in a DMA domain); 'unsupported' returns DMA_MAPPING_ERROR, as the 2018 discussion proposed where an architecture or IOMMU driver lacks P2P support, and the importer falls back"),
  barBusOffset: byteSize()
    .describe("CPU physical address of a BAR below this root complex minus its bus address (a translating host bridge's offset; 0 where they are the same, as on x86); devices must be given bus addresses"),
});
type Params = z.output<typeof params>;

const portName = (k: number) => `rp${k}`;

export class RootComplexDevice implements PcieElement {
  readonly role = ROOT_COMPLEX;
  readonly mps: number;
  readonly ecrc: boolean;
  readonly parent = null;
  readonly linuxP2pWhitelisted: boolean;
  readonly dmaMapResource: Params['dmaMapResource'];
  readonly barBusOffset: number;
  private readonly below = new Map<string, { far: PcieElement }>();
  private model: RootComplex | null = null;
  private readonly ports = new Map<string, RootPort>();

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.mps = p.mps;
    this.ecrc = p.ecrc;
    this.linuxP2pWhitelisted = p.linuxP2pWhitelisted;
    this.dmaMapResource = p.dmaMapResource;
    this.barBusOffset = p.barBusOffset;
  }

  /** The IOMMU in its iommu slot, or null. */
  get iommu(): IommuUnit | null {
    return this.ctx.slot<IommuUnit>('iommu');
  }

  plug(port: string, far: PcieElement): void {
    this.below.set(port, { far });
  }

  routesBelow(): PortRoutes {
    return mergeRoutes([...this.below.values()].map((b) => b.far.routesBelow()));
  }

  /** How the root complex splits read completions (for closed-form comparisons). */
  get completionConfig(): { rcb: number; completionMode: CompletionMode; coalesceAbove: number | undefined; coalesceBlock: number | undefined } {
    return { rcb: this.p.rcb, completionMode: this.p.completionMode, coalesceAbove: this.p.completionCoalescing, coalesceBlock: this.p.completionCoalescingBlock };
  }

  get memoryRange(): AddressRange {
    return { base: this.p.memoryBase, size: this.p.memorySize };
  }

  build(): void {
    if (this.model !== null) return;
    const memoryDevice = this.ctx.slot<MemoryDevice>('memory')!;
    const memory = memoryDevice.at(this.memoryRange);
    const rc = new RootComplex(this.ctx.sim, this.p, memory, this.ctx.name);
    // Root ports in index order, so the root complex's port numbers follow the names.
    for (let k = 0; k < this.p.rootPorts; k++) {
      const b = this.below.get(portName(k));
      this.ports.set(portName(k), rc.addRootPort(b ? b.far.routesBelow() : undefined));
    }
    this.model = rc;
    const iommu = this.ctx.slot<IommuUnit>('iommu');
    if (iommu !== null) {
      const below = this.routesBelow();
      iommu.identityMap(below.requesterIds, [memory.range, ...below.ranges]);
      if (memoryDevice.timing.cache === 'warm') iommu.hostCacheWarm(below.requesterIds, memory.range);
      rc.translate = iommu.model.translate;
    }
  }

  /** The root complex model (after the connect phase). */
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

  attachDirect(port: string, egress: TlpReceiver): void {
    this.ports.get(port)!.connect(egress);
  }

  connect(): void {
    this.build();
  }

  /** One traversal per TLP that came in, and their waits for the package to wake (its memory and IOMMU charge their own parts). */
  attribution(): Attribution {
    const s = this.rootComplex.stats();
    return ledger([[ROOT_COMPLEX_TRAVERSAL, s.tlpsIn * this.p.traversal + s.idleWaitPs]]);
  }

  metrics(): Record<string, MetricValue> {
    return this.rootComplex.metrics();
  }

  invariants(): string[] {
    const rc = this.rootComplex;
    return rootComplexInvariants(rc.stats(), rc.memory.stats());
  }
}

/**
 * No two functions below the root complex claim the same addresses or
 * requester ID, and no BAR overlaps host memory: enumeration never assigns
 * them so, and routing could not tell them apart.
 */
function checkRootComplex(self: TopologyNode, view: TopologyView): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const p = self.params as Params;
  p.p2pPairs.forEach((x, i) => {
    for (const end of ['from', 'to'] as const) {
      if (rootPortIndex(x[end]) >= p.rootPorts) issues.push({ path: [...self.path, 'params', 'p2pPairs', i, end], message: `${x[end]} is not one of its root ports (rp0..rp${p.rootPorts - 1}, rootPorts ${p.rootPorts})` });
    }
  });
  const mem = pcieFacts(self).memory!;
  const bars: { node: TopologyNode; base: number; end: number }[] = [{ node: self, base: mem.base, end: mem.base + mem.size }];
  const ids = new Map<number, TopologyNode>();
  for (const ep of endpointsBelow(self, view)) {
    const f = pcieFacts(ep);
    for (const bar of f.bars) bars.push({ node: ep, base: bar.base, end: bar.base + bar.size });
    const id = f.requesterId!;
    const other = ids.get(id);
    if (other) issues.push({ path: [...ep.path, 'params', 'requesterId'], message: `0x${id.toString(16)} is also ${other.name}'s: requester IDs below one root complex are unique` });
    else ids.set(id, ep);
  }
  bars.sort((x, y) => x.base - y.base);
  for (let i = 1; i < bars.length; i++) {
    const prev = bars[i - 1]!, cur = bars[i]!;
    if (cur.base < prev.end) {
      const what = (b: typeof cur) => (b.node === self ? `${self.name}'s memory` : `${b.node.name}'s BAR`) + ` [0x${b.base.toString(16)}, 0x${b.end.toString(16)})`;
      const culprit = cur.node === self ? prev : cur;
      issues.push({ path: [...culprit.node.path, 'params', culprit.node === self ? 'memoryBase' : 'barBase'], message: `${what(cur)} overlaps ${what(prev)}` });
    }
  }
  return issues;
}

export const rootComplexType = defineComponent({
  type: ROOT_COMPLEX,
  description: 'A root complex with root ports rp0..rp<n-1>, host memory (memory slot) and an optional IOMMU (iommu slot); P2P policy between root ports',
  params,
  defaultPreset: 'root-complex-common',
  slots: [
    { name: 'memory', accepts: MEMORY, required: true, description: 'host memory, mapped at memoryBase' },
    { name: 'iommu', accepts: IOMMU, description: 'an IOMMU translating every request from below (empty: no translation)' },
  ],
  stats: rootComplexStats,
  ports: (p) => Array.from({ length: p.rootPorts }, (_, k) => ({ name: portName(k), kind: DOWNSTREAM_PORT, description: `root port ${k}` })),
  facts: (p): PcieFacts => ({ mps: p.mps, ecrc: p.ecrc, bars: [], memory: { base: p.memoryBase, size: p.memorySize } }),
  create: (ctx, p) => new RootComplexDevice(ctx, p),
  checkTopology: (self, view) => checkRootComplex(self as TopologyNode, view),
});

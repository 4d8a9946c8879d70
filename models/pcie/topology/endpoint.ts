/**
 * pcie.endpoint: a PCIe function (endpoint.ts) on one upstream port: its
 * DMA engine in the `dma` slot, and, when it has a BAR, the memory behind the
 * BAR in the `bar` slot (GDDR on a GPU, the carve-out of system memory on an
 * APU), mapped at [barBase, barBase + barSize).
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type TopologyIssue, type TopologyNode } from '../../../src/scenario/registry.js';
import { byteSize } from '../../../src/scenario/units.js';
import { Endpoint, endpointStats } from '../endpoint.js';
import { SPEC_DEFAULT_MPS, transferSize } from '../dma-engine.js';
import type { PortRoutes, TlpReceiver } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';
import { MEMORY, type MemoryDevice } from '../../memory/dram.js';
import { DMA_ENGINE, type DmaEngineSlot } from './dma-engine.js';
import { ENDPOINT, pcieFacts, rootAbove, SWITCH, upstreamPortDecl, type PcieElement, type PcieFacts } from './node.js';
import { isPowerOfTwo } from '../../../src/util/power-of-two.js';

const params = z.strictObject({
  requesterId: z.number().int().min(0).max(0xffff).default(0x0100).describe('Requester ID (bus << 8 | device << 3 | function); default bus 1, device 0, function 0'),
  mps: transferSize.default(SPEC_DEFAULT_MPS).describe('Max_Payload_Size: writes and BAR completions are split at it, bytes'),
  ecrc: z.boolean().default(false).describe('Add ECRC to every TLP the function sends'),
  barBase: byteSize().default(0).describe('First bus address of the BAR'),
  barSize: byteSize().default(0).describe('BAR size, bytes (0 = no BAR); the bar slot holds the memory behind it'),
  barCompletionMode: z.enum(['mps', 'rcb']).default('mps').describe('How the BAR splits read completions'),
});
type Params = z.output<typeof params>;

export class EndpointDevice implements PcieElement {
  readonly role = ENDPOINT;
  readonly mps: number;
  readonly ecrc: boolean;
  parent: PcieElement | null = null;
  /** The link on its upstream port, once built. */
  upLink: Link | null = null;
  private model: Endpoint | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.mps = p.mps;
    this.ecrc = p.ecrc;
  }

  plug(_port: string, far: PcieElement): void {
    this.parent = far;
  }

  routesBelow(): PortRoutes {
    return this.endpoint().routes;
  }

  build(): void {
    this.endpoint();
  }

  /** The endpoint model (built on first use), e.g. for a workload that drives its DMA engine. */
  get endpointModel(): Endpoint {
    return this.endpoint();
  }

  private endpoint(): Endpoint {
    if (this.model !== null) return this.model;
    const p = this.p;
    const dma = this.ctx.slot<DmaEngineSlot>('dma')!;
    const bar = p.barSize > 0 ? this.ctx.slot<MemoryDevice>('bar')!.at({ base: p.barBase, size: p.barSize }) : null;
    this.model = new Endpoint(this.ctx.sim, {
      requesterId: p.requesterId, mps: p.mps, ecrc: p.ecrc, engine: dma.settings, bar, barCompletionMode: p.barCompletionMode,
    }, this.ctx.name);
    dma.adopt(this.model.dma);
    return this.model;
  }

  linkEnd(): LinkEnd {
    const e = this.endpoint();
    return { receiver: e, credits: e.credits };
  }

  attach(_port: string, link: Link, end: 'a' | 'b'): void {
    this.upLink = link;
    this.endpoint().connect(end === 'a' ? link.aToB : link.bToA);
  }

  attachDirect(_port: string, egress: TlpReceiver): void {
    this.endpoint().connect(egress);
  }

  connect(): void {
    this.build();
  }

  metrics(): Record<string, MetricValue> {
    return this.endpoint().metrics();
  }
}

/**
 * The endpoint hangs from a root complex through switches whose
 * Max_Payload_Size allows its own, and its MPS is the root complex's (Linux
 * sets one MPS per hierarchy); its BAR is a naturally aligned power of two
 * (the BAR's low bits are read-only zeros, PCI Local Bus Spec §6.2.5.1).
 */
function checkEndpoint(self: TopologyNode): TopologyIssue[] {
  const p = self.params as Params;
  const issues: TopologyIssue[] = [];
  const up = rootAbove(self);
  if ('message' in up) issues.push(up);
  else {
    const rcMps = pcieFacts(up.root).mps;
    if (p.mps !== rcMps) issues.push({ path: [...self.path, 'params', 'mps'], message: `${p.mps} differs from root complex ${up.root.name}'s mps ${rcMps}: one Max_Payload_Size per hierarchy` });
    for (const sw of up.above.filter((n) => n.provides(SWITCH))) {
      const max = pcieFacts(sw).mps;
      if (p.mps > max) issues.push({ path: [...self.path, 'params', 'mps'], message: `${p.mps} is more than switch ${sw.name} supports (maxPayloadSize ${max})` });
    }
  }
  if (p.barSize > 0 && !self.filledSlots.includes('bar')) issues.push({ path: [...self.path, 'slots', 'bar'], message: `missing: a BAR of ${p.barSize} bytes needs the memory behind it in the bar slot` });
  if (p.barSize > 0) {
    if (!isPowerOfTwo(p.barSize)) issues.push({ path: [...self.path, 'params', 'barSize'], message: `expected a power of two (a BAR's size is), got ${p.barSize}` });
    else if (p.barBase % p.barSize !== 0) issues.push({ path: [...self.path, 'params', 'barBase'], message: `0x${p.barBase.toString(16)} is not a multiple of the BAR size ${p.barSize}: a BAR is naturally aligned` });
  }
  return issues;
}

export const endpointType = defineComponent({
  type: ENDPOINT,
  description: 'A PCIe endpoint on port "up": a DMA engine (dma slot) and, with barSize > 0, a BAR backed by the memory in its bar slot',
  params,
  slots: [
    { name: 'dma', accepts: DMA_ENGINE, default: { type: DMA_ENGINE }, description: "the function's DMA engine" },
    { name: 'bar', accepts: MEMORY, description: 'the memory behind the BAR (needed when barSize > 0)' },
  ],
  stats: endpointStats,
  ports: () => [upstreamPortDecl('the endpoint')],
  facts: (p): PcieFacts => ({ mps: p.mps, ecrc: p.ecrc, requesterId: p.requesterId, bars: p.barSize > 0 ? [{ base: p.barBase, size: p.barSize }] : [] }),
  create: (ctx, p) => new EndpointDevice(ctx, p),
  checkTopology: (self) => checkEndpoint(self as TopologyNode),
});

/**
 * pcie.endpoint: a PCIe function with a DMA engine (and, optionally, its own
 * descriptor generator) and a BAR backed by device memory (endpoint.ts), on
 * one upstream port.
 */
import type { ComponentContext, ComponentType, MetricValue, TopologyIssue, TopologyNode } from '../../../src/scenario/registry.js';
import { Endpoint, endpointParams, endpointStats, type EndpointParams } from '../endpoint.js';
import { dmaEngineInvariants } from '../conservation.js';
import type { PortRoutes } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';
import { ENDPOINT_TYPE, rootAbove, upstreamPortDecl, type PcieElement } from './node.js';
import { SWITCH_TYPE } from '../switch.js';

class EndpointElement implements PcieElement {
  readonly mps: number;
  readonly ecrc: boolean;
  parent: PcieElement | null = null;
  private model: Endpoint | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: EndpointParams) {
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
    return (this.model ??= new Endpoint(this.ctx.sim, this.p, this.ctx.name));
  }

  linkEnd(): LinkEnd {
    const e = this.endpoint();
    return { receiver: e, credits: e.credits };
  }

  attach(_port: string, link: Link, end: 'a' | 'b'): void {
    this.endpoint().connect(end === 'a' ? link.aToB : link.bToA);
  }

  connect(): void {
    this.build();
  }

  start(): void {
    this.endpoint().start();
  }

  metrics(): Record<string, MetricValue> {
    return this.endpoint().metrics();
  }

  invariants(): string[] {
    return dmaEngineInvariants(this.endpoint().dma.stats());
  }
}

/** True if x is a power of two (BAR sizes are, PCI Local Bus Spec §6.2.5.1). */
function isPowerOfTwo(x: number): boolean {
  return Number.isSafeInteger(x) && x > 0 && 2 ** Math.round(Math.log2(x)) === x;
}

/**
 * The endpoint hangs from a root complex through switches whose
 * Max_Payload_Size allows its own, and its MPS is the root complex's (Linux
 * sets one MPS per hierarchy); its BAR is a naturally aligned power of two
 * (the BAR's low bits are read-only zeros, PCI Local Bus Spec §6.2.5.1).
 */
function checkEndpoint(self: TopologyNode): TopologyIssue[] {
  const p = self.params as EndpointParams;
  const issues: TopologyIssue[] = [];
  const up = rootAbove(self);
  if ('message' in up) issues.push(up);
  else {
    const rcMps = (up.root.params as { mps: number }).mps;
    if (p.mps !== rcMps) issues.push({ path: [...self.path, 'params', 'mps'], message: `${p.mps} differs from root complex ${up.root.name}'s mps ${rcMps}: one Max_Payload_Size per hierarchy` });
    for (const sw of up.above.filter((n) => n.type === SWITCH_TYPE)) {
      const max = (sw.params as { maxPayloadSize: number }).maxPayloadSize;
      if (p.mps > max) issues.push({ path: [...self.path, 'params', 'mps'], message: `${p.mps} is more than switch ${sw.name} supports (maxPayloadSize ${max})` });
    }
  }
  if (p.barSize > 0) {
    if (!isPowerOfTwo(p.barSize)) issues.push({ path: [...self.path, 'params', 'barSize'], message: `expected a power of two (a BAR's size is), got ${p.barSize}` });
    else if (p.barBase % p.barSize !== 0) issues.push({ path: [...self.path, 'params', 'barBase'], message: `0x${p.barBase.toString(16)} is not a multiple of the BAR size ${p.barSize}: a BAR is naturally aligned` });
  }
  return issues;
}

export const endpointType: ComponentType<EndpointParams> = {
  type: ENDPOINT_TYPE,
  description: 'A PCIe endpoint: DMA engine (tags, completion buffer, optional descriptor generator) and a BAR of device memory; port "up"',
  params: endpointParams,
  stats: endpointStats,
  ports: () => [upstreamPortDecl('the endpoint')],
  create: (ctx, p) => new EndpointElement(ctx, p),
  checkTopology: (self) => checkEndpoint(self as TopologyNode),
};

/**
 * pcie.switch: a PCIe switch (switch.ts) whose ports are "up" (towards the
 * root complex) and "dp0".."dp<ports-2>". Its routing table comes from what
 * the topology links below each downstream port.
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type TopologyIssue, type TopologyNode } from '../../../src/scenario/registry.js';
import { distribution } from '../../../src/stats/distribution.js';
import type { PortRoutes } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';
import { NO_ROUTES } from '../router.js';
import { switchInvariants } from '../conservation.js';
import { checkSwitchCredits, PcieSwitch, switchShape, switchStatDecls } from '../switch.js';
import { DOWNSTREAM_PORT, mergeRoutes, rootAbove, SWITCH, UP, upstreamPortDecl, type PcieElement, type PcieFacts } from './node.js';
import { PS_PER_NS } from '../../../src/sim/time.js';
import { ledger, SWITCH_LATENCY, SWITCH_QUEUE } from '../attribution.js';
import type { Attribution } from '../../../src/stats/attribution.js';

/** Internal index of the upstream port; dp<k> is index k + 1. */
const UPSTREAM_INDEX = 0;

const params = z.strictObject(switchShape).superRefine(checkSwitchCredits);
type Params = z.output<typeof params>;

const portIndex = (name: string) => (name === UP ? UPSTREAM_INDEX : Number(name.slice(2)) + 1);

export class SwitchDevice implements PcieElement {
  readonly role = SWITCH;
  readonly mps: number;
  readonly ecrc = false;
  parent: PcieElement | null = null;
  readonly acsRedirect: boolean;
  private readonly below = new Map<number, PcieElement>();
  private model: PcieSwitch | null = null;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.mps = p.maxPayloadSize;
    this.acsRedirect = p.acsRedirect;
  }

  plug(port: string, far: PcieElement): void {
    if (port === UP) this.parent = far;
    else this.below.set(portIndex(port), far);
  }

  routesBelow(): PortRoutes {
    return mergeRoutes([...this.below.values()].map((e) => e.routesBelow()));
  }

  build(): void {
    this.sw();
  }

  private sw(): PcieSwitch {
    if (this.model === null) {
      const routes = Array.from({ length: this.p.ports }, (_, i) => this.below.get(i)?.routesBelow() ?? NO_ROUTES);
      this.model = new PcieSwitch(this.ctx.sim, { ...this.p, upstreamPort: UPSTREAM_INDEX }, routes, { name: this.ctx.name, tracer: this.ctx.tracer });
    }
    return this.model;
  }

  linkEnd(port: string): LinkEnd {
    return this.sw().linkEnd(portIndex(port));
  }

  attach(port: string, link: Link, end: 'a' | 'b'): void {
    this.sw().attach(portIndex(port), link, end);
  }

  connect(): void {
    this.build();
  }

  invariants(): string[] {
    return switchInvariants(this.sw().stats());
  }

  /** Each forwarded TLP's internal latency, and its wait for the egress wire. */
  attribution(): Attribution {
    const sw = this.sw(), s = sw.stats();
    const forwarded = s.ports.reduce((acc, p) => acc + p.tlpsOut, 0);
    return ledger([[SWITCH_LATENCY, forwarded * sw.latencyPs], [SWITCH_QUEUE, sw.queueingDelayPs().sum]]);
  }

  metrics(): Record<string, MetricValue> {
    const s = this.sw().stats();
    const sum = (f: (p: (typeof s.ports)[number]) => number) => s.ports.reduce((acc, p) => acc + f(p), 0);
    return {
      tlps_forwarded: sum((p) => p.tlpsOut),
      forwarded_payload_bytes: sum((p) => p.payloadBytesOut),
      unsupported_requests: s.unsupportedRequests,
      unexpected_completions: s.unexpectedCompletions,
      malformed: s.malformed,
      acs_redirected: s.redirected,
      cut_through_clamped: s.cutThroughClamped,
      queueing_delay_ns: distribution(this.sw().queueingDelayPs(), 1 / PS_PER_NS),
    };
  }
}

/** A switch hangs from a root complex like an endpoint does (no loop, no dangling upstream chain). */
function checkSwitch(self: TopologyNode): TopologyIssue[] {
  const up = rootAbove(self);
  return 'message' in up ? [up] : [];
}

export const switchType = defineComponent({
  type: SWITCH,
  description: 'A PCIe switch: port "up" and downstream ports dp0..dp<ports-2>; address/ID routing, cut-through or store-and-forward, round-robin egress, ACS redirect',
  params,
  defaultPreset: 'pcie-switch-pex8796',
  stats: switchStatDecls,
  traceKinds: [{ kind: 'forward', description: 'One row per TLP the switch forwards, as it starts on the egress link: latency = from its arrival at the ingress (its last byte in); txn = its transfer; bytes = its payload; a = ingress port, b = egress port; label = TLP type', hot: true }],
  facts: (p): PcieFacts => ({ mps: p.maxPayloadSize, ecrc: false, bars: [], acsRedirect: p.acsRedirect }),
  ports: (p) => [
    upstreamPortDecl('the switch'),
    ...Array.from({ length: p.ports - 1 }, (_, k) => ({ name: `dp${k}`, kind: DOWNSTREAM_PORT, description: `downstream port ${k}` })),
  ],
  create: (ctx, p) => new SwitchDevice(ctx, p),
  checkTopology: (self) => checkSwitch(self as TopologyNode),
});

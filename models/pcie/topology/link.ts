/**
 * pcie.link: a PCIe link (link.ts) between a downstream port (root port,
 * switch downstream port) and an upstream port (switch or endpoint "up").
 * Its Max_Payload_Size is the smaller of the two ends' (equal in a valid
 * topology: one MPS per hierarchy); ECRC is on if either end adds it.
 */
import { z } from 'zod';
import { duration } from '../../../src/scenario/units.js';
import { defineComponent, type ComponentContext, type MetricValue, type PortEnd } from '../../../src/scenario/registry.js';
import { PS_PER_S } from '../../../src/sim/time.js';
import { Link, type LinkDirection } from '../link.js';
import { LINK_WIDTHS, PCIE_GENS, type LinkWidth, type PcieGen } from '../link-timing.js';
import { DOWNSTREAM_PORT, UP, UPSTREAM_PORT, type PcieElement } from './node.js';
import { linkDirectionInvariants } from '../conservation.js';
import { ledger, LINK_PROPAGATION, LINK_SERIALIZATION } from '../attribution.js';
import type { Attribution } from '../../../src/stats/attribution.js';

/** Decimal GB/s: 1 GB/s = 10^9 bytes/s, as the other PCIe statistics. */
const BYTES_PER_GB = 1e9;

/** A link as a scenario gives it (link.ts LinkParams without MPS and ECRC, which come from its ends). */
export const linkParams = z.strictObject({
  gen: z.number().int().refine((g) => (PCIE_GENS as readonly number[]).includes(g), { message: 'expected a PCIe generation 1-6' }).describe('PCIe generation'),
  width: z.number().int().refine((w) => (LINK_WIDTHS as readonly number[]).includes(w), { message: 'expected 1, 2, 4, 8, 16 or 32 lanes' }).describe('Lanes'),
  propagation: duration().describe('PHY pipelines plus flight time per direction, beyond serialization'),
  dllp: z.enum(['recommended', 'none']).default('recommended').describe('Ack/UpdateFC DLLP overhead'),
  creditReturnDelay: duration().optional().describe('Receiver release to credits usable at the transmitter (default: link.ts defaultCreditReturnDelayPs)'),
  throughputSeries: z.boolean().default(false).describe('Record each direction\'s payload throughput over time (series up_ and down_payload_gbytes_per_s: each TLP counted over its time on the wire, a few hundred windows)'),
});
type LinkSettings = z.output<typeof linkParams>;

const stats = (['up', 'down'] as const).flatMap((dir) => {
  const what = dir === 'up' ? 'towards the root complex' : 'away from the root complex';
  return [
    { name: `${dir}_utilization`, unit: 'fraction', description: `Busy fraction of the direction ${what} (TLPs, DLLPs, SKPs)` },
    { name: `${dir}_tlps`, unit: 'TLPs', description: `TLPs sent ${what}` },
    { name: `${dir}_payload_gbytes_per_s`, unit: 'GB/s', description: `Payload bytes sent ${what} over the run's simulated time` },
    { name: `${dir}_credit_stall_fraction`, unit: 'fraction', description: `Fraction of time the direction ${what} had TLPs queued and no credits to send any` },
  ];
});

class LinkElement {
  private link: Link | null = null;
  private readonly a: PcieElement;
  private readonly b: PcieElement;

  constructor(private readonly ctx: ComponentContext, private readonly p: LinkSettings) {
    const [a, b] = ctx.ends as readonly [PortEnd, PortEnd];
    this.a = a.instance as PcieElement;
    this.b = b.instance as PcieElement;
    this.a.plug(a.port, this.b, b.port);
    this.b.plug(b.port, this.a, a.port);
  }

  connect(): void {
    const [ea, eb] = this.ctx.ends!;
    this.a.build();
    this.b.build();
    const p = this.p;
    this.link = new Link(this.ctx.sim, {
      gen: p.gen as PcieGen, width: p.width as LinkWidth, mps: Math.min(this.a.mps, this.b.mps), propagationPs: p.propagation,
      dllp: p.dllp, ecrc: this.a.ecrc || this.b.ecrc, name: this.ctx.name, tracer: this.ctx.tracer,
      ...(p.creditReturnDelay !== undefined ? { creditReturnDelayPs: p.creditReturnDelay } : {}),
      throughputSeries: p.throughputSeries,
    }, this.a.linkEnd(ea!.port), this.b.linkEnd(eb!.port));
    this.a.attach(ea!.port, this.link, 'a');
    this.b.attach(eb!.port, this.link, 'b');
  }

  invariants(): string[] {
    const link = this.link!;
    return [...linkDirectionInvariants('a→b', link.aToB.stats()), ...linkDirectionInvariants('b→a', link.bToA.stats())];
  }

  /** TLPs' wire time and flight time, both directions. */
  attribution(): Attribution {
    const link = this.link!;
    const a = link.aToB.stats(), b = link.bToA.stats();
    return ledger([[LINK_SERIALIZATION, a.tlpPs + b.tlpPs], [LINK_PROPAGATION, (a.tlpsSent + b.tlpsSent) * link.propagationPs]]);
  }

  /** The directions by what they carry: up (child to parent) and down. */
  private directions(): Record<'up' | 'down', LinkDirection> {
    const link = this.link!;
    // End a is the child when its port is the upstream-facing one.
    const aIsChild = this.ctx.ends![0].port === UP;
    return { up: aIsChild ? link.aToB : link.bToA, down: aIsChild ? link.bToA : link.aToB };
  }

  /** Payload throughput over time per direction, each TLP counted over its time on the wire: never above what the link carries. */
  series(): Record<string, [number, number][]> {
    const out: Record<string, [number, number][]> = {};
    if (!this.p.throughputSeries) return out;
    for (const [name, d] of Object.entries(this.directions())) {
      out[`${name}_payload_gbytes_per_s`] = d.payloadRate().map(([t, bytesPerS]): [number, number] => [t, bytesPerS / BYTES_PER_GB]);
    }
    return out;
  }

  metrics(): Record<string, MetricValue> {
    const dirs = this.directions();
    const now = this.ctx.sim.now;
    const out: Record<string, MetricValue> = {};
    for (const [name, d] of Object.entries(dirs)) {
      const s = d.stats();
      out[`${name}_utilization`] = s.utilization;
      out[`${name}_tlps`] = s.tlpsSent;
      out[`${name}_payload_gbytes_per_s`] = now > 0 ? (s.payloadBytesSent * PS_PER_S) / now / BYTES_PER_GB : 0;
      out[`${name}_credit_stall_fraction`] = now > 0 ? s.creditStallPs / now : 0;
    }
    return out;
  }
}

export const linkType = defineComponent({
  type: 'pcie.link',
  description: 'A PCIe link joining a downstream port (root port, switch dpN) to an upstream port (switch or endpoint "up"): Gen1-6, x1-x32, credits, DLLPs',
  params: linkParams,
  defaultPreset: 'pcie-link',
  traceKinds: [{ kind: 'tlp', description: 'One row per TLP a direction delivers (a→b or b→a, as the link names its ends), at its delivery: latency = from its hand-over to the link (queueing, its wire time with any link overhead ahead of it, propagation); txn = its transfer; bytes = its payload; a = credit class (0 posted, 1 non-posted, 2 completion); b = its TLP bytes; label = TLP type', hot: true, parts: ['ab', 'ba'] }],
  stats,
  joins: [DOWNSTREAM_PORT, UPSTREAM_PORT],
  create: (ctx, p) => new LinkElement(ctx, p),
});

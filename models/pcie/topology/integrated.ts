/**
 * pcie.integrated: a device integrated in the CPU, joined to a root port of
 * its root complex through the north bridge instead of a PCIe link. Such
 * devices "only claim to be PCIe devices. In reality their memory request
 * path go directly through the integrated north bridge", for better
 * throughput and latency (dri-devel, 29 Mar 2018, Christian König): the
 * hierarchy shows an endpoint below a root port, but nothing is serialized
 * on lanes and no flow-control credits are exchanged.
 *
 * What it models, per direction: a path of `bandwidth` (each TLP takes its
 * bytes / bandwidth, one after the other) and a fixed `latency` after that.
 * The sender's TLP leaves its hands when the path starts carrying it, as it
 * would start on a link's wire; the receiver's release needs no credits
 * back. Left out: the on-die fabric's own arbitration and back-pressure.
 *
 * It joins a root complex's root port and an endpoint, nothing else (a
 * switch below the north bridge would need real links).
 *
 * Each direction counts the TLPs it took in and delivered, checked against
 * those on their way at the end of every run (integratedDirectionInvariants).
 */
import { z } from 'zod';
import { defineComponent, type ComponentContext, type MetricValue, type PortEnd, type TopologyIssue, type TopologyLink } from '../../../src/scenario/registry.js';
import { duration, rate } from '../../../src/scenario/units.js';
import type { Simulation } from '../../../src/sim/simulation.js';
import type { Time } from '../../../src/sim/time.js';
import { PS_PER_S } from '../../../src/sim/time.js';
import type { Tlp, TlpReceiver, TlpSender } from '../fabric.js';
import { psPerByte } from '../memory.js';
import { TlpQueue } from '../tlp-queue.js';
import { integratedDirectionInvariants, type IntegratedDirectionStats } from '../conservation.js';
import { DOWNSTREAM_PORT, ENDPOINT, ROOT_COMPLEX, UP, UPSTREAM_PORT, type PcieElement } from './node.js';

/** Decimal GB/s, as the other PCIe statistics. */
const BYTES_PER_GB = 1e9;

export const integratedParams = z.strictObject({
  latency: duration().describe('Time through the north bridge after the path has carried the TLP, e.g. "50 ns"'),
  bandwidth: rate().describe('Bytes per second the path carries per direction, e.g. "32 GB/s"'),
});
type Params = z.output<typeof integratedParams>;

/** One direction: TLPs carried in arrival order, then delivered `latency` later. */
class NorthBridgeDirection implements TlpReceiver, TlpSender {
  far: TlpReceiver | null = null;
  /** TLPs not started yet (each released to its sender when it starts). */
  private readonly starting = new TlpQueue(0);
  /** TLPs on their way (delivered to `far` in order). */
  private readonly carrying = new TlpQueue(0);
  private freeAt = 0;
  private readonly psPerByte: number;
  tlps = 0;
  payloadBytes = 0;
  /** TLPs handed to the far end. */
  delivered = 0;

  constructor(private readonly sim: Simulation, private readonly latencyPs: Time, gbytesPerSecond: number) {
    this.psPerByte = psPerByte(gbytesPerSecond);
  }

  receive(tlp: Tlp, from: TlpSender): void {
    const now = this.sim.now;
    const start = this.freeAt > now ? this.freeAt : now;
    this.freeAt = start + tlp.bytes * this.psPerByte;
    this.tlps++;
    this.payloadBytes += tlp.payloadBytes;
    this.starting.push(tlp, from);
    this.carrying.push(tlp, from);
    this.sim.schedule(Math.ceil(start) - now, NorthBridgeDirection.onStart, this, 0);
    this.sim.schedule(Math.ceil(this.freeAt) + this.latencyPs - now, NorthBridgeDirection.onDeliver, this, 0);
  }

  /** No credits to return: the receiver's release ends here. */
  release(): void {}

  private static onStart(self: NorthBridgeDirection): void {
    self.starting.releaseHead();
  }

  private static onDeliver(self: NorthBridgeDirection): void {
    const q = self.carrying;
    const tlp = q.headTlp();
    q.shift();
    self.delivered++;
    self.far!.receive(tlp, self);
  }

  stats(): IntegratedDirectionStats {
    return { tlpsIn: this.tlps, tlpsDelivered: this.delivered, carrying: this.carrying.size, notStarted: this.starting.size };
  }
}

class IntegratedAttachment {
  private readonly root: { element: PcieElement; port: string };
  private readonly device: { element: PcieElement; port: string };
  /** Towards the root complex, and away from it. */
  private readonly up: NorthBridgeDirection;
  private readonly down: NorthBridgeDirection;

  constructor(private readonly ctx: ComponentContext, p: Params) {
    const ends = (ctx.ends as readonly [PortEnd, PortEnd]).map((e) => ({ element: e.instance as PcieElement, port: e.port }));
    const deviceFirst = ends[0]!.port === UP;
    this.device = deviceFirst ? ends[0]! : ends[1]!;
    this.root = deviceFirst ? ends[1]! : ends[0]!;
    this.device.element.plug(this.device.port, this.root.element, this.root.port);
    this.root.element.plug(this.root.port, this.device.element, this.device.port);
    this.up = new NorthBridgeDirection(ctx.sim, p.latency, p.bandwidth);
    this.down = new NorthBridgeDirection(ctx.sim, p.latency, p.bandwidth);
  }

  connect(): void {
    const { root, device } = this;
    root.element.build();
    device.element.build();
    this.up.far = root.element.linkEnd(root.port).receiver!;
    this.down.far = device.element.linkEnd(device.port).receiver!;
    root.element.attachDirect!(root.port, this.down);
    device.element.attachDirect!(device.port, this.up);
  }

  invariants(): string[] {
    return [...integratedDirectionInvariants('up', this.up.stats()), ...integratedDirectionInvariants('down', this.down.stats())];
  }

  metrics(): Record<string, MetricValue> {
    const now = this.ctx.sim.now;
    const out: Record<string, MetricValue> = {};
    for (const [name, d] of [['up', this.up], ['down', this.down]] as const) {
      out[`${name}_tlps`] = d.tlps;
      out[`${name}_payload_gbytes_per_s`] = now > 0 ? (d.payloadBytes * PS_PER_S) / now / BYTES_PER_GB : 0;
    }
    return out;
  }
}

/** One end a root complex's root port, the other an endpoint's upstream port. */
function checkEnds(self: TopologyLink): TopologyIssue[] {
  const ends = [self.a, self.b];
  const root = ends.find((e) => e.node.provides(ROOT_COMPLEX));
  const device = ends.find((e) => e.node.provides(ENDPOINT));
  if (root !== undefined && device !== undefined) return [];
  const what = ends.map((e) => `${e.node.name}.${e.port} (${e.node.type})`).join(' and ');
  return [{ path: self.path, message: `joins ${what}: a pcie.integrated joins a root complex's root port to an endpoint, nothing else (use a pcie.link)` }];
}

export const integratedType = defineComponent({
  type: 'pcie.integrated',
  description: 'A device integrated in the CPU on a root port through the north bridge: no PCIe link (no lanes, no credits), a latency and a bandwidth per direction',
  params: integratedParams,
  stats: (['up', 'down'] as const).flatMap((dir) => {
    const what = dir === 'up' ? 'towards the root complex' : 'towards the device';
    return [
      { name: `${dir}_tlps`, unit: 'TLPs', description: `TLPs carried ${what}` },
      { name: `${dir}_payload_gbytes_per_s`, unit: 'GB/s', description: `Payload bytes carried ${what} over the run's simulated time` },
    ];
  }),
  joins: [DOWNSTREAM_PORT, UPSTREAM_PORT],
  create: (ctx, p) => new IntegratedAttachment(ctx, p),
  checkTopology: (self) => checkEnds(self as TopologyLink),
});

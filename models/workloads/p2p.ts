/**
 * workloads.p2p-transfer: a stream of transfers between two PCIe endpoints of a
 * topology (say an NVMe drive and a GPU), by one of four paths:
 *
 *  - 'switch', 'acs', 'rootcomplex': the initiator's DMA engine reads from or
 *    writes to the target's BAR directly; which way the TLPs go (below the
 *    switch, up to the root complex by ACS redirect and back, or between
 *    root ports) is the topology's doing: `routes` names, per path, the pair
 *    of endpoints the scenario wired that way.
 *  - 'redirect': the target's BAR is backed by host memory (an APU's
 *    stolen "VRAM"), and the driver aims the DMA at that memory instead of
 *    the BAR: one DMA, host memory as the target (REFERENCES.md, APU
 *    stolen-memory BARs).
 *  - 'bounce': through host memory, two DMA transfers one after the other:
 *    for a write, the initiator writes into a bounce buffer and the target
 *    then reads it; for a read, the target writes it and the initiator reads.
 *
 * A read the root complex drops ends in the initiator's completion timeout
 * (a failed transfer, counted); with `fallback: 'bounce'` the transfer is
 * then redone through host memory, as p2pdma users fall back.
 *
 * It also reports how Linux's p2pdma would classify the pair
 * (drivers/pci/p2pdma.c): 'bus-addr' when they share a switch whose ACS
 * does not redirect, 'thru-host-bridge' when the root complex is on its
 * whitelist, else 'not-supported'.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl, type TopologyIssue, type TopologyNode } from '../../src/scenario/registry.js';
import { byteSize } from '../../src/scenario/units.js';
import { ref } from '../../src/scenario/refs.js';
import { PS_PER_NS, PS_PER_S } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import type { DescriptorListener, DmaEngine, DmaOp } from '../pcie/dma-engine.js';
import { ENDPOINT, type PcieElement } from '../pcie/topology/node.js';
import { transactions } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';

/** Decimal GB/s, as the other PCIe statistics. */
const BYTES_PER_GB = 1e9;
/** ps per ns, for latencies in ns. */
const NS = PS_PER_NS;

const PATHS = ['switch', 'acs', 'rootcomplex', 'bounce', 'redirect'] as const;
type Path = (typeof PATHS)[number];

const pair = z.strictObject({ from: ref(ENDPOINT).describe('Initiator endpoint'), to: ref(ENDPOINT).describe('Target endpoint (its BAR)') });

const params = z.strictObject({
  path: z.enum(PATHS).describe('switch, acs (switch with ACS redirect), rootcomplex (between root ports), bounce (through host memory) or redirect (straight to the target\'s memory in host RAM: an APU carve-out)'),
  routes: z.strictObject(Object.fromEntries(PATHS.map((p) => [p, pair.optional()])) as Record<Path, z.ZodOptional<typeof pair>>)
    .describe('For each path used, the pair of endpoints the topology connects that way'),
  op: z.enum(['read', 'write']).describe("'write': the initiator pushes to the target; 'read': it pulls from it"),
  size: byteSize().refine((b) => b > 0, 'expected a positive size').describe('Bytes per transfer'),
  transfers: z.number().int().min(1).default(200).describe('Transfers in all'),
  inFlight: z.number().int().min(1).default(8).describe('Transfers kept in flight (closed loop)'),
  bounceBase: byteSize().optional().describe('Host-memory address of the bounce buffers (path bounce, and the fallback)'),
  redirectBase: byteSize().optional().describe('Path redirect: the host-memory address that backs the target\'s BAR (an APU\'s carve-out)'),
  fallback: z.enum(['bounce', 'none']).default('bounce').describe('After a failed direct transfer: redo it through host memory, or count it failed'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbytes_per_s', unit: 'GB/s', description: 'Bytes delivered / (first submission to last transfer done)' },
  { name: 'latency_ns', unit: 'ns', description: 'Transfer latency, submission to done (both legs for bounce or a fallback)', kind: 'distribution' },
  { name: 'transfers_done', unit: 'transfers', description: 'Transfers delivered' },
  { name: 'transfers_failed', unit: 'transfers', description: 'Direct transfers that failed (e.g. a dropped P2P read timed out)' },
  { name: 'fallbacks', unit: 'transfers', description: 'Failed direct transfers redone through host memory' },
  { name: 'linux_p2p_class', unit: '', description: "How Linux's p2pdma classifies the pair: bus-addr, thru-host-bridge or not-supported" },
];

/** Endpoint elements expose their model; the rest of PcieElement is not needed here. */
interface EndpointLike extends PcieElement { readonly endpointModel: { readonly dma: DmaEngine; readonly bar: { readonly range: { base: number; size: number } } | null } }
interface SwitchLike extends PcieElement { readonly acsRedirect: boolean }
interface RootLike extends PcieElement { readonly linuxP2pWhitelisted: boolean }

/** One transfer in flight: which leg it is on, when it started. */
interface Transfer { start: number; leg: 'direct' | 'first' | 'second'; offset: number }

class P2pTransfer implements Component {
  private readonly from: EndpointLike;
  private readonly to: EndpointLike;
  private readonly latency = new Histogram();
  /** Descriptor id → transfer, per engine (ids are per engine). */
  private readonly onFrom = new Map<number, Transfer>();
  private readonly onTo = new Map<number, Transfer>();
  private submitted = 0;
  private done = 0;
  private failed = 0;
  private fallbacks = 0;
  private firstStart = -1;
  private lastDone = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    const route = p.routes[p.path]!;
    this.from = ctx.peer<EndpointLike>(route.from);
    this.to = ctx.peer<EndpointLike>(route.to);
  }

  connect(): void {
    const listen = (map: Map<number, Transfer>, engineIsFrom: boolean): DescriptorListener => ({
      descriptorDone: (id, ok) => { const t = map.get(id)!; map.delete(id); this.legDone(t, engineIsFrom, ok); },
    });
    this.from.endpointModel.dma.listener = listen(this.onFrom, true);
    this.to.endpointModel.dma.listener = listen(this.onTo, false);
  }

  start(): void {
    this.firstStart = this.ctx.sim.now;
    for (let i = 0; i < Math.min(this.p.inFlight, this.p.transfers); i++) this.submitNext();
  }

  private bar(): { base: number; size: number } {
    const bar = this.to.endpointModel.bar;
    if (bar === null) throw new Error(`${this.ctx.name}: the target has no BAR to transfer to`);
    return bar.range;
  }

  private submitNext(): void {
    if (this.submitted >= this.p.transfers) return;
    const k = this.submitted++;
    const t: Transfer = { start: this.ctx.sim.now, leg: this.p.path === 'bounce' ? 'first' : 'direct', offset: 0 };
    this.startLeg(t, k);
  }

  /** Starts the transfer's current leg. Slots cycle through the BAR (or the bounce area) by transfer number. */
  private startLeg(t: Transfer, k: number): void {
    const size = this.p.size;
    if (t.leg === 'direct') {
      const bar = this.bar();
      t.offset = (k * size) % Math.max(size, bar.size - (bar.size % size));
      // Redirected: the same offset in the host memory that backs the BAR.
      const base = this.p.path === 'redirect' ? this.p.redirectBase! : bar.base;
      this.issue(this.from, this.onFrom, this.p.op, base + t.offset, t);
      return;
    }
    // Bounce: write = from writes memory, then to reads it; read = to writes memory, then from reads it.
    if (t.leg === 'first') t.offset = (k % this.p.inFlight) * size;
    const addr = this.p.bounceBase! + t.offset;
    const firstEngine = this.p.op === 'write' ? this.from : this.to;
    const secondEngine = this.p.op === 'write' ? this.to : this.from;
    if (t.leg === 'first') this.issue(firstEngine, firstEngine === this.from ? this.onFrom : this.onTo, 'write', addr, t);
    else this.issue(secondEngine, secondEngine === this.from ? this.onFrom : this.onTo, 'read', addr, t);
  }

  private issue(e: EndpointLike, map: Map<number, Transfer>, op: DmaOp, addr: number, t: Transfer): void {
    map.set(e.endpointModel.dma.submit(op, addr, this.p.size), t);
  }

  private legDone(t: Transfer, _engineIsFrom: boolean, ok: boolean): void {
    if (!ok) {
      if (t.leg === 'direct' && this.p.fallback === 'bounce' && this.p.bounceBase !== undefined) {
        this.fallbacks++;
        t.leg = 'first';
        this.startLeg(t, this.done + this.failed + this.fallbacks);
        return;
      }
      this.failed++;
      this.submitNext();
      return;
    }
    if (t.leg === 'first') {
      t.leg = 'second';
      this.startLeg(t, 0);
      return;
    }
    this.done++;
    this.lastDone = this.ctx.sim.now;
    this.latency.add((this.ctx.sim.now - t.start) / NS);
    this.submitNext();
  }

  /** Linux's classification of the pair (drivers/pci/p2pdma.c, upstream_bridge_distance). */
  private linuxClass(): string {
    const ancestors = (e: PcieElement): PcieElement[] => { const out: PcieElement[] = []; for (let a = e.parent; a !== null; a = a.parent) out.push(a); return out; };
    const up = ancestors(this.from);
    const common = ancestors(this.to).find((a) => up.includes(a));
    if (common === undefined) return 'not-supported';
    if (common.parent !== null) return (common as SwitchLike).acsRedirect ? this.hostBridgeClass(up) : 'bus-addr';
    return this.hostBridgeClass(up);
  }

  private hostBridgeClass(up: PcieElement[]): string {
    const root = up[up.length - 1] as RootLike | undefined;
    return root?.linuxP2pWhitelisted ? 'thru-host-bridge' : 'not-supported';
  }

  /** Transfers delivered or failed: the run's transactions (a fallback's two legs are one). */
  attribution(): Attribution {
    return transactions(this.done + this.failed);
  }

  metrics(): Record<string, MetricValue> {
    const span = this.lastDone - this.firstStart;
    return {
      throughput_gbytes_per_s: span > 0 ? (this.done * this.p.size * PS_PER_S) / span / BYTES_PER_GB : 0,
      latency_ns: distribution(this.latency),
      transfers_done: this.done,
      transfers_failed: this.failed,
      fallbacks: this.fallbacks,
      linux_p2p_class: this.linuxClass(),
    };
  }
}

/** The chosen path has a route of two endpoints, and the addresses it needs. */
function checkRoutes(self: TopologyNode): TopologyIssue[] {
  const p = self.params as Params;
  const at = [...self.path, 'params'];
  const route = p.routes[p.path];
  if (route === undefined) return [{ path: [...at, 'routes'], message: `no route for path "${p.path}": give routes.${p.path} = { from, to }` }];
  const issues: TopologyIssue[] = [];
  if (p.path === 'bounce' && p.bounceBase === undefined) issues.push({ path: [...at, 'bounceBase'], message: 'required for path bounce' });
  if (p.path === 'redirect' && p.redirectBase === undefined) issues.push({ path: [...at, 'redirectBase'], message: 'required for path redirect' });
  return issues;
}

export const p2pTransfer = defineComponent({
  type: 'workloads.p2p-transfer',
  description: 'Transfers between two endpoints by a chosen path (below a switch, ACS-redirected, between root ports, or bounced through host memory), with fallback and Linux p2pdma classification',
  params,
  stats,
  create: (ctx, p) => new P2pTransfer(ctx, p),
  checkTopology: (self) => checkRoutes(self as TopologyNode),
});

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
 *    the BAR: one DMA, host memory as the target (SOURCES.md, APU
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
 * whitelist, else 'not-supported'. The classification judges topology
 * only: a switch that refuses peer TLPs is still 'bus-addr', and a posted
 * write the hardware drops is lost without its writer knowing
 * (lost_write_bytes: bytes of direct writes that never reached the BAR).
 *
 * Addresses, as the DMA API hands them out. A 'bus-addr' pair uses the
 * BAR's bus address (p2pdma maps it itself, no IOMMU on the way). Any other
 * direct transfer is mapped for the initiator first: dma_map_resource of
 * the peer's BAR (or, redirected, a page mapping of the host memory behind
 * it), unmapped when the transfer is done:
 *  - the root complex's `dmaMapResource` 'unsupported': it returns
 *    DMA_MAPPING_ERROR and the transfer goes through host memory before any
 *    TLP is sent (dma_map_errors, and a fallback), or fails with fallback
 *    'none';
 *  - an IOMMU in DMA domains (identityMap off): an IOMMU mapping at the
 *    IOMMU's map and unmap costs (the transfer waits for both), and the
 *    device's requests are translated on the way (IOTLB, walks). The model's
 *    root complex routes on the address a request carries, so the IOVA it
 *    hands out is the address it maps to: the costs are modelled, the IOVA's
 *    value is not. In-flight transfers use page-disjoint slots of the BAR.
 *    The bounce buffers are mapped for both devices once, at the start;
 *  - otherwise (no IOMMU, or an identity domain): the bus address, no cost.
 * `addressing: 'cpu-physical'` hands the device the BAR's CPU physical
 * address instead (bus address + the root complex's barBusOffset), as code
 * assuming bus = CPU address does (the x86 case, dri-devel 28 Mar 2018):
 * behind a translating host bridge the request reaches no BAR.
 *
 * Its own bookkeeping is checked at the end of every run
 * (p2pTransferInvariants): each transfer started is done, failed or in
 * flight, and one in flight is on one leg, in one place.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl, type TopologyIssue, type TopologyNode, type TopologyView } from '../../src/scenario/registry.js';
import { byteSize, positiveByteSize } from '../../src/scenario/units.js';
import { ref } from '../../src/scenario/refs.js';
import { PS_PER_NS, PS_PER_S } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import type { DescriptorListener, DmaEngine, DmaOp } from '../pcie/dma-engine.js';
import { ENDPOINT, pcieFacts, type PcieElement } from '../pcie/topology/node.js';
import type { IommuUnit } from '../iommu/generic.js';
import { transactions } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';

/** Decimal GB/s, as the other PCIe statistics. */
const BYTES_PER_GB = 1e9;
/** ps per ns, for latencies in ns. */
const NS = PS_PER_NS;

const PATHS = ['switch', 'acs', 'rootcomplex', 'bounce', 'redirect'] as const;
type Path = (typeof PATHS)[number];

const pair = z.strictObject({ from: ref(ENDPOINT).describe('Initiator endpoint'), to: ref(ENDPOINT).describe('Target endpoint (its BAR)') });

/** The DMA API maps whole 4 KiB pages. */
const PAGE_BYTES = 4096;

const params = z.strictObject({
  path: z.enum(PATHS).describe('switch, acs (switch with ACS redirect), rootcomplex (between root ports), bounce (through host memory) or redirect (straight to the target\'s memory in host RAM: an APU carve-out)'),
  routes: z.strictObject(Object.fromEntries(PATHS.map((p) => [p, pair.optional()])) as Record<Path, z.ZodOptional<typeof pair>>)
    .describe('For each path used, the pair of endpoints the topology connects that way'),
  op: z.enum(['read', 'write']).describe("'write': the initiator pushes to the target; 'read': it pulls from it"),
  size: positiveByteSize().describe('Bytes per transfer'),
  transfers: z.number().int().min(1).default(200).describe('Transfers in all'),
  inFlight: z.number().int().min(1).default(8).describe('Transfers kept in flight (closed loop)'),
  bounceBase: byteSize().optional().describe('Host-memory address of the bounce buffers (path bounce, and the fallback)'),
  redirectBase: byteSize().optional().describe('Path redirect: the host-memory address that backs the target\'s BAR (an APU\'s carve-out)'),
  fallback: z.enum(['bounce', 'none']).default('bounce').describe('After a failed direct transfer (or a dma_map_resource error): redo it through host memory, or count it failed'),
  reverse: z.boolean().default(false).describe("The route's other direction: its `to` endpoint initiates, to `from`'s BAR (which then needs one)"),
  addressing: z.enum(['bus', 'cpu-physical']).default('bus')
    .describe("'bus': the device gets the DMA API's address for the BAR; 'cpu-physical': the BAR's CPU physical address (bus + the root complex's barBusOffset), as code assuming they are equal does"),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbytes_per_s', unit: 'GB/s', description: 'Bytes delivered / (first submission to last transfer done)' },
  { name: 'latency_ns', unit: 'ns', description: 'Transfer latency, submission to done (both legs for bounce or a fallback)', kind: 'distribution' },
  { name: 'transfers_done', unit: 'transfers', description: 'Transfers delivered' },
  { name: 'transfers_failed', unit: 'transfers', description: 'Direct transfers that failed (e.g. a dropped P2P read timed out)' },
  { name: 'fallbacks', unit: 'transfers', description: 'Direct transfers redone through host memory (after a failure or a dma_map_resource error)' },
  { name: 'lost_write_bytes', unit: 'B', description: 'Bytes of direct writes that never reached the target (dropped or refused on the way; posted, so the writer is not told)' },
  { name: 'dma_maps', unit: 'mappings', description: 'IOMMU mappings made for direct transfers (dma_map_resource of the BAR, or of the host memory behind it when redirected)' },
  { name: 'dma_map_errors', unit: 'transfers', description: 'Direct transfers whose dma_map_resource returned DMA_MAPPING_ERROR (the platform does not support it)' },
  { name: 'dma_mapping_mean_ns', unit: 'ns', description: 'Mean time a mapped direct transfer spent in its map and unmap calls' },
  { name: 'linux_p2p_class', unit: '', description: "How Linux's p2pdma classifies the pair: bus-addr, thru-host-bridge or not-supported" },
];

/** What a p2p-transfer counts, and where its transfers in flight are now (P2pTransfer.counts). */
export interface P2pTransferCounts {
  /** Its parameters: transfers in all, kept in flight (slots), bytes each. */
  readonly transfers: number;
  readonly slots: number;
  readonly size: number;
  readonly started: number;
  readonly done: number;
  /** Transfers over without delivering (no fallback, or the fallback failed too). */
  readonly failed: number;
  readonly fallbacks: number;
  readonly dmaMaps: number;
  readonly dmaMapErrors: number;
  /** Latencies recorded: one per transfer done. */
  readonly latencies: number;
  /** Slots holding a transfer, and free slots. */
  readonly inFlight: number;
  readonly freeSlots: number;
  /** Descriptors of either engine the workload waits for, and of them those on the engine that does not carry their transfer's leg. */
  readonly descriptors: number;
  readonly wrongEngine: number;
  /** Transfers in flight on their direct leg in an IOMMU call, no descriptor: mapping before it, unmapping after it. */
  readonly waitingToMap: number;
  readonly waitingToUnmap: number;
  /** Bytes of direct writes issued to the target's BAR, and whether the workload counts them (op write, path neither bounce nor redirect). */
  readonly directWriteBytes: number;
  readonly countsDirectWrites: boolean;
}

/**
 * A p2p-transfer's transfers, each started once in a slot of its own and
 * over one way: done (a latency recorded) or failed, or in flight. One in
 * flight is on one leg at a time (a bounce's second leg starts when its
 * first is done): one descriptor, on the engine that carries that leg, or,
 * its direct leg mapped through the IOMMU, in the map call before it or the
 * unmap call after it. Each transfer issues at most one direct write, unless
 * its mapping failed or is still being made; each falls back, and is mapped
 * or refused a mapping, at most once.
 */
export function p2pTransferInvariants(c: P2pTransferCounts): string[] {
  const out: string[] = [];
  if (c.started !== c.done + c.failed + c.inFlight) out.push(`transfers: ${c.started} started != ${c.done} done + ${c.failed} failed + ${c.inFlight} in flight`);
  if (c.started > c.transfers || c.inFlight + c.freeSlots !== c.slots) {
    out.push(`slots: ${c.inFlight} busy + ${c.freeSlots} free of ${c.slots}, ${c.started} of ${c.transfers} transfers started`);
  }
  const waiting = c.waitingToMap + c.waitingToUnmap;
  if (c.descriptors + waiting !== c.inFlight) {
    out.push(`legs: ${c.descriptors} descriptors outstanding + ${waiting} transfers in an IOMMU call != ${c.inFlight} transfers in flight`);
  }
  if (c.wrongEngine !== 0) out.push(`${c.wrongEngine} descriptors on the engine that does not carry their transfer's leg`);
  if (c.latencies !== c.done) out.push(`${c.latencies} latencies recorded for ${c.done} transfers done`);
  const issued = c.countsDirectWrites ? c.started - c.dmaMapErrors - c.waitingToMap : 0;
  if (c.directWriteBytes !== issued * c.size) {
    out.push(`direct write bytes: ${c.directWriteBytes} != ${issued} direct writes issued × ${c.size} B`);
  }
  if (c.fallbacks > c.started || c.dmaMaps + c.dmaMapErrors > c.started) {
    out.push(`${c.fallbacks} fallbacks, ${c.dmaMaps} mappings and ${c.dmaMapErrors} mapping errors for ${c.started} transfers started`);
  }
  return out;
}

/** Endpoint elements expose their model; the rest of PcieElement is not needed here. */
interface EndpointLike extends PcieElement {
  readonly endpointModel: { readonly dma: DmaEngine; readonly requesterId: number; readonly bar: { readonly range: { base: number; size: number }; stats(): { bytesWritten: number } } | null };
}
interface SwitchLike extends PcieElement { readonly acsRedirect: boolean }
interface RootLike extends PcieElement {
  readonly linuxP2pWhitelisted: boolean;
  readonly dmaMapResource: 'supported' | 'unsupported';
  readonly barBusOffset: number;
  readonly iommu: IommuUnit | null;
}

/** One transfer in flight: which leg it is on, when it started, its slot (0..inFlight-1), the IOVA range mapped for it (bytes 0: none). */
interface Transfer { start: number; leg: 'direct' | 'first' | 'second'; offset: number; slot: number; mappedAt: number; mappedBytes: number; mappingPs: number }

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
const roundDown = (x: number, to: number) => Math.floor(x / to) * to;

class P2pTransfer implements Component {
  private readonly from: EndpointLike;
  private readonly to: EndpointLike;
  private readonly latency = new Histogram();
  /** Descriptor id → transfer, per engine (ids are per engine). */
  private readonly onFrom = new Map<number, Transfer>();
  private readonly onTo = new Map<number, Transfer>();
  /** Transfers by slot, and the free slots (lowest first: a stack refilled in order). */
  private readonly bySlot: (Transfer | null)[];
  private readonly freeSlots: number[];
  /** Bytes between slots: the transfer size in whole pages, so slots never share a page. */
  private readonly span: number;
  private root: RootLike | null = null;
  private linuxClassCache: string | null = null;
  /** The initiator's and the target's DMA domains when the IOMMU has them (identityMap off), else -1. */
  private fromDomain = -1;
  private toDomain = -1;
  private submitted = 0;
  private done = 0;
  private failed = 0;
  private fallbacks = 0;
  private dmaMaps = 0;
  private dmaMapErrors = 0;
  private mappingPs = 0;
  private directWriteBytes = 0;
  private firstStart = -1;
  private lastDone = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    const route = p.routes[p.path]!;
    const a = ctx.peer<EndpointLike>(route.from), b = ctx.peer<EndpointLike>(route.to);
    this.from = p.reverse ? b : a;
    this.to = p.reverse ? a : b;
    this.span = roundUp(p.size, PAGE_BYTES);
    this.bySlot = new Array<Transfer | null>(p.inFlight).fill(null);
    this.freeSlots = Array.from({ length: p.inFlight }, (_, i) => p.inFlight - 1 - i);
  }

  connect(): void {
    const listen = (map: Map<number, Transfer>): DescriptorListener => ({
      descriptorDone: (id, ok) => { const t = map.get(id)!; map.delete(id); this.legDone(t, ok); },
    });
    this.from.endpointModel.dma.listener = listen(this.onFrom);
    this.to.endpointModel.dma.listener = listen(this.onTo);
    const up = ancestors(this.from);
    this.root = (up[up.length - 1] as RootLike | undefined) ?? null;
  }

  start(): void {
    this.firstStart = this.ctx.sim.now;
    this.setUpDmaDomains();
    for (let i = 0; i < Math.min(this.p.inFlight, this.p.transfers); i++) this.submitNext();
  }

  /** The IOMMU in DMA domains: a domain per device, the bounce buffers mapped in both (once; the one-off cost is left out). */
  private setUpDmaDomains(): void {
    const iommu = this.root?.iommu ?? null;
    if (iommu === null || !iommu.dmaDomains) return;
    const mmu = iommu.model;
    const own = (e: EndpointLike) => {
      const d = mmu.createDomain(), id = e.endpointModel.requesterId;
      mmu.detach(id);
      mmu.attach(id, d);
      return d;
    };
    this.fromDomain = own(this.from);
    this.toDomain = own(this.to);
    if (this.p.bounceBase !== undefined && (this.p.path === 'bounce' || this.p.fallback === 'bounce')) {
      const base = roundDown(this.p.bounceBase, PAGE_BYTES), bytes = roundUp(this.p.bounceBase + this.p.inFlight * this.span, PAGE_BYTES) - base;
      for (const d of [this.fromDomain, this.toDomain]) mmu.map(d, base, base, bytes);
    }
  }

  private bar(): { base: number; size: number } {
    const bar = this.to.endpointModel.bar;
    if (bar === null) throw new Error(`${this.ctx.name}: the target has no BAR to transfer to`);
    return bar.range;
  }

  private submitNext(): void {
    if (this.submitted >= this.p.transfers) return;
    const k = this.submitted++;
    const slot = this.freeSlots.pop()!;
    const t: Transfer = { start: this.ctx.sim.now, leg: this.p.path === 'bounce' ? 'first' : 'direct', offset: 0, slot, mappedAt: 0, mappedBytes: 0, mappingPs: 0 };
    this.bySlot[slot] = t;
    this.startLeg(t, k);
  }

  /** The transfer is over (delivered or failed): free its slot, start the next. */
  private finish(t: Transfer): void {
    this.bySlot[t.slot] = null;
    this.freeSlots.push(t.slot);
    this.submitNext();
  }

  /** Starts the transfer's current leg. Direct slots cycle through the BAR by transfer number (by slot when mapped); bounce buffers are per slot. */
  private startLeg(t: Transfer, k: number): void {
    if (t.leg === 'direct') {
      const mapping = this.mapping();
      if (mapping === 'error') {
        this.dmaMapErrors++;
        this.directFailed(t);
        return;
      }
      const bar = this.bar(), size = this.p.size;
      t.offset = mapping === 'iommu' ? t.slot * this.span : (k * size) % Math.max(size, bar.size - (bar.size % size));
      const addr = this.directAddress(t);
      if (mapping === 'iommu') {
        const mmu = this.root!.iommu!.model;
        t.mappedAt = roundDown(addr, PAGE_BYTES);
        t.mappedBytes = roundUp(addr + size, PAGE_BYTES) - t.mappedAt;
        // IOVA = the address mapped (see the header): the cost is the IOMMU's.
        const cost = mmu.map(this.fromDomain, t.mappedAt, t.mappedAt, t.mappedBytes);
        this.dmaMaps++;
        t.mappingPs = cost;
        this.ctx.sim.schedule(cost, P2pTransfer.onMapped, this, t.slot);
        return;
      }
      this.issueDirect(t);
      return;
    }
    // Bounce: write = from writes memory, then to reads it; read = to writes memory, then from reads it.
    t.offset = t.slot * this.span;
    const addr = this.p.bounceBase! + t.offset;
    const firstEngine = this.p.op === 'write' ? this.from : this.to;
    const secondEngine = this.p.op === 'write' ? this.to : this.from;
    if (t.leg === 'first') this.issue(firstEngine, firstEngine === this.from ? this.onFrom : this.onTo, 'write', addr, t);
    else this.issue(secondEngine, secondEngine === this.from ? this.onFrom : this.onTo, 'read', addr, t);
  }

  /**
   * How a direct transfer gets its address: 'bus' (a bus-addr pair, or no
   * DMA domain on the way: no call that costs), 'iommu' (a mapping in the
   * initiator's DMA domain) or 'error' (dma_map_resource unsupported).
   */
  private mapping(): 'bus' | 'iommu' | 'error' {
    if (this.p.path !== 'redirect') {
      if (this.linuxClass() === 'bus-addr') return 'bus';
      if (this.root?.dmaMapResource === 'unsupported') return 'error';
    }
    return this.fromDomain >= 0 ? 'iommu' : 'bus';
  }

  private static onMapped(self: P2pTransfer, slot: number): void {
    self.issueDirect(self.bySlot[slot]!);
  }

  private static onUnmapped(self: P2pTransfer, slot: number): void {
    self.delivered(self.bySlot[slot]!);
  }

  private static onUnmappedFailed(self: P2pTransfer, slot: number): void {
    self.directFailed(self.bySlot[slot]!);
  }

  /** Where the direct leg goes: the BAR slot's bus address (CPU physical with addressing 'cpu-physical'), or, redirected, the same offset in the host memory behind the BAR. */
  private directAddress(t: Transfer): number {
    if (this.p.path === 'redirect') return this.p.redirectBase! + t.offset;
    return this.bar().base + t.offset + (this.p.addressing === 'cpu-physical' ? this.root?.barBusOffset ?? 0 : 0);
  }

  private issueDirect(t: Transfer): void {
    if (this.p.op === 'write' && this.p.path !== 'redirect') this.directWriteBytes += this.p.size;
    this.issue(this.from, this.onFrom, this.p.op, this.directAddress(t), t);
  }

  private issue(e: EndpointLike, map: Map<number, Transfer>, op: DmaOp, addr: number, t: Transfer): void {
    map.set(e.endpointModel.dma.submit(op, addr, this.p.size), t);
  }

  private legDone(t: Transfer, ok: boolean): void {
    if (t.leg === 'direct' && t.mappedBytes > 0) {
      // dma_unmap_resource whatever the outcome; the transfer is over when it returns.
      const cost = this.root!.iommu!.model.unmap(this.fromDomain, t.mappedAt, t.mappedBytes);
      t.mappingPs += cost;
      this.mappingPs += t.mappingPs;
      t.mappedBytes = 0;
      this.ctx.sim.schedule(cost, ok ? P2pTransfer.onUnmapped : P2pTransfer.onUnmappedFailed, this, t.slot);
      return;
    }
    if (!ok) {
      if (t.leg === 'direct') this.directFailed(t);
      else {
        this.failed++;
        this.finish(t);
      }
      return;
    }
    if (t.leg === 'first') {
      t.leg = 'second';
      this.startLeg(t, 0);
      return;
    }
    this.delivered(t);
  }

  /** A direct transfer failed or could not be mapped: through host memory if the fallback allows, else a failure. */
  private directFailed(t: Transfer): void {
    if (this.p.fallback === 'bounce' && this.p.bounceBase !== undefined) {
      this.fallbacks++;
      t.leg = 'first';
      this.startLeg(t, 0);
      return;
    }
    this.failed++;
    this.finish(t);
  }

  private delivered(t: Transfer): void {
    this.done++;
    this.lastDone = this.ctx.sim.now;
    this.latency.add((this.ctx.sim.now - t.start) / NS);
    this.finish(t);
  }

  /** Linux's classification of the pair (drivers/pci/p2pdma.c, upstream_bridge_distance). */
  private linuxClass(): string {
    if (this.linuxClassCache !== null) return this.linuxClassCache;
    const up = ancestors(this.from);
    const common = ancestors(this.to).find((a) => up.includes(a));
    let cls: string;
    if (common === undefined) cls = 'not-supported';
    else if (common.parent !== null && !(common as SwitchLike).acsRedirect) cls = 'bus-addr';
    else cls = (up[up.length - 1] as RootLike | undefined)?.linuxP2pWhitelisted ? 'thru-host-bridge' : 'not-supported';
    this.linuxClassCache = cls;
    return cls;
  }

  /** Bytes of direct writes that did not reach the target's BAR. */
  private writeBytesLost(): number {
    const bar = this.to.endpointModel.bar;
    if (this.directWriteBytes === 0 || bar === null) return 0;
    return Math.max(0, this.directWriteBytes - bar.stats().bytesWritten);
  }

  /** The engine that carries a leg: the direct leg is the initiator's; a bounce's first leg is its writer's, the second its reader's. */
  private engineOf(leg: Transfer['leg']): 'from' | 'to' {
    if (leg === 'direct') return 'from';
    return (leg === 'first') === (this.p.op === 'write') ? 'from' : 'to';
  }

  /** Its counts, and where each transfer in flight is: on a descriptor of one engine, or (a mapped direct leg) in an IOMMU map or unmap call. */
  counts(): P2pTransferCounts {
    const holding = new Set<Transfer>();
    let wrongEngine = 0;
    for (const [map, engine] of [[this.onFrom, 'from'], [this.onTo, 'to']] as const) {
      for (const t of map.values()) {
        holding.add(t);
        if (this.engineOf(t.leg) !== engine) wrongEngine++;
      }
    }
    const mapped = this.p.path !== 'bounce' && this.mapping() === 'iommu';
    let inFlight = 0, waitingToMap = 0, waitingToUnmap = 0;
    for (const t of this.bySlot) {
      if (t === null) continue;
      inFlight++;
      if (holding.has(t) || t.leg !== 'direct' || !mapped) continue;
      // Its mapping is made (bytes recorded) before the map call's wait, and dropped as the unmap call starts.
      if (t.mappedBytes > 0) waitingToMap++;
      else waitingToUnmap++;
    }
    const p = this.p;
    return {
      transfers: p.transfers, slots: p.inFlight, size: p.size,
      started: this.submitted, done: this.done, failed: this.failed, fallbacks: this.fallbacks,
      dmaMaps: this.dmaMaps, dmaMapErrors: this.dmaMapErrors, latencies: this.latency.count,
      inFlight, freeSlots: this.freeSlots.length, descriptors: this.onFrom.size + this.onTo.size, wrongEngine, waitingToMap, waitingToUnmap,
      directWriteBytes: this.directWriteBytes, countsDirectWrites: p.op === 'write' && p.path !== 'bounce' && p.path !== 'redirect',
    };
  }

  invariants(): string[] {
    return p2pTransferInvariants(this.counts());
  }

  /** Transfers delivered or failed: the run's transactions (a fallback's two legs are one). */
  attribution(): Attribution {
    return transactions(this.done + this.failed);
  }

  unfinished(): string[] {
    const left = this.p.transfers - this.done - this.failed;
    return left > 0 ? [`${left} of ${this.p.transfers} transfers`] : [];
  }

  metrics(): Record<string, MetricValue> {
    const span = this.lastDone - this.firstStart;
    const lost = this.writeBytesLost();
    return {
      throughput_gbytes_per_s: span > 0 ? ((this.done * this.p.size - lost) * PS_PER_S) / span / BYTES_PER_GB : 0,
      latency_ns: distribution(this.latency),
      transfers_done: this.done,
      transfers_failed: this.failed,
      fallbacks: this.fallbacks,
      lost_write_bytes: lost,
      dma_maps: this.dmaMaps,
      dma_map_errors: this.dmaMapErrors,
      dma_mapping_mean_ns: this.dmaMaps > 0 ? this.mappingPs / this.dmaMaps / NS : null,
      linux_p2p_class: this.linuxClass(),
    };
  }
}

/** The elements above `e`, nearest first, the root complex last. */
function ancestors(e: PcieElement): PcieElement[] {
  const out: PcieElement[] = [];
  for (let a = e.parent; a !== null; a = a.parent) out.push(a);
  return out;
}

/** The chosen path has a route of two endpoints, and the addresses it needs. */
function checkRoutes(self: TopologyNode, view: TopologyView): TopologyIssue[] {
  const p = self.params as Params;
  const at = [...self.path, 'params'];
  const route = p.routes[p.path];
  if (route === undefined) return [{ path: [...at, 'routes'], message: `no route for path "${p.path}": give routes.${p.path} = { from, to }` }];
  const issues: TopologyIssue[] = [];
  if (p.path === 'bounce' && p.bounceBase === undefined) issues.push({ path: [...at, 'bounceBase'], message: 'required for path bounce' });
  if (p.path === 'redirect' && p.redirectBase === undefined) issues.push({ path: [...at, 'redirectBase'], message: 'required for path redirect' });
  const target = p.reverse ? route.from : route.to;
  const node = view.node(target);
  if (p.path !== 'bounce' && node !== undefined && pcieFacts(node).bars.length === 0) {
    issues.push({ path: [...at, 'routes', p.path, p.reverse ? 'from' : 'to'], message: `${target} has no BAR to transfer to${p.reverse ? ' (reverse: the route\'s from is the target)' : ''}` });
  }
  return issues;
}

export const p2pTransfer = defineComponent({
  type: 'workloads.p2p-transfer',
  description: 'Transfers between two endpoints by a chosen path (below a switch, ACS-redirected, between root ports, or bounced through host memory), with fallback and Linux p2pdma classification',
  params,
  stats,
  create: (ctx, p) => new P2pTransfer(ctx, p),
  checkTopology: (self, view) => checkRoutes(self as TopologyNode, view),
});

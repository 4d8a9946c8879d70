/**
 * workloads.netif: packets between a guest and dom0 through the PV network
 * drivers (netfront in the guest, netback in dom0), queue by queue, the
 * workload behind the published netback figures (SOURCES.md, "Xen netback
 * and blkback measurements"). `direction` 'tx' is the guest transmitting
 * (netif-tx-path.ts), 'rx' the guest receiving (netif-rx-path.ts); `grants`
 * says how netback reaches the guest's pages: per packet (grant copy, or
 * on transmit map and unmap) or through grants mapped once in advance.
 *
 * The stacks' own costs (the Linux work outside the drivers' grant, ring
 * and event operations) come from a preset (linux-netif); the hypervisor's
 * from the platform's. Throughput is measured from the first packet to the
 * last one the receiving stack got, after the rings are connected (and,
 * premapped, the pool granted and mapped).
 *
 * Refusals are outcomes: a guest grant table that cannot hold netfront's
 * reserved refs (netfrontReservedRefs per queue) keeps the vif down
 * ('grant-table-full'); a premapped pool netback cannot map in full is
 * unmapped again and the vif stays down ('map-failed'), as does one with
 * more queues than a domain has event-channel ports ('event-channels-full');
 * on transmit with per-packet maps, a packet a page of which does not map
 * (dom0's maptrack full) is dropped as netback drops it (packets_dropped).
 * Left out: the model does not hold netfront's reservation, so another
 * component granting from the same guest's table could take its entries,
 * which Linux's reservation keeps; a grant netfront then cannot make stops
 * the vif ('grant-table-full').
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { duration, rate, positiveByteSize } from '../../src/scenario/units.js';
import type { ProcessBody, Simulation, Time } from '../../src/sim/index.js';
import { PS_PER_S, transferTime } from '../../src/sim/time.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import type { Domain } from '../xen/hypervisor.js';
import { NETBACK_NAPI_WEIGHT, NETIF_GRANT_MODES, NETIF_RX_BUFFER_BYTES, netfrontReservedRefs } from '../xen/netif.js';
import type { RingCounts } from '../xen/ring.js';
import type { XenHost } from '../xen/xen-host.js';
import { startRx } from './netif-rx-path.js';
import { startTx } from './netif-tx-path.js';

const params = z.strictObject({
  frontend: ref(XEN_DOMAIN).describe('The guest (netfront)'),
  backend: ref(XEN_DOMAIN).describe('The domain running netback (dom0 or a driver domain)'),
  direction: z.enum(['tx', 'rx']).describe("'tx': the guest transmits to the backend; 'rx': the guest receives from it"),
  grants: z.enum(NETIF_GRANT_MODES).describe("How netback reaches the packet's pages: 'copy' (GNTTABOP_copy per page), 'map' (transmit only: header copied, the rest mapped and unmapped per packet, Linux netback since 3.15), 'premapped' (granted and mapped once, in advance)"),
  packetBytes: positiveByteSize().describe('Bytes per packet as the driver gets it (on transmit a GSO packet up to 64 KiB; on receive up to one 4 KiB buffer)'),
  packets: z.number().int().min(1).describe('Packets each queue carries'),
  queues: z.number().int().min(1).default(1).describe('Queues of the vif, each with its own rings, event channels and backend threads'),
  traffic: z.enum(['pktgen', 'socket', 'sendfile']).describe("'pktgen': packets made in the kernel (pktgen with clone_skbs: no byte is copied by the stacks) and dropped on arrival; 'socket': a socket sender and receiver (iperf3): the bytes are copied in at the sender and received up to the application; 'sendfile': the same without the sender's copy"),
  napiWeight: z.number().int().min(1).default(NETBACK_NAPI_WEIGHT).describe('Packets per NAPI poll (Linux xen-netback XENVIF_NAPI_WEIGHT and xen-netfront, 64)'),
  txStackPerPacket: duration().describe("Guest transmitting: one end's Linux per-packet work outside the drivers' grant, ring and event operations (skb handling, the protocol stack, pktgen or the socket call)"),
  rxStackPerPacket: duration().describe("Guest receiving: one end's Linux per-packet work outside the drivers' grant, ring and event operations (netfront's skb and page allocation, the stack; dom0's xmit into netback's queue)"),
  stackCopyBandwidth: rate().describe("GB/s of a copy the stacks or the drivers make with the CPU (a socket write's copy in, premapped pool copies, netfront's receive header copy)"),
  receiveCopyBandwidth: rate().describe("GB/s at which a receiving socket's bytes reach the application: TCP's receive path and the copy out"),
}).superRefine((p, ctx) => {
  if (p.direction === 'rx' && p.grants === 'map') ctx.addIssue({ code: 'custom', path: ['grants'], message: "netback's receive path grant-copies (or, premapped, memcpys); it never maps: use 'copy' or 'premapped'" });
  if (p.direction === 'rx' && p.packetBytes > NETIF_RX_BUFFER_BYTES) ctx.addIssue({ code: 'custom', path: ['packetBytes'], message: `a received packet is modelled up to one ${NETIF_RX_BUFFER_BYTES}-byte receive buffer (larger ones span several slots, not modelled)` });
});
export type NetifParams = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'packets_per_s', unit: 'packets/s', description: 'Packets the receiving stack got per second, all queues' },
  { name: 'throughput_gbits_per_s', unit: 'Gb/s', description: 'Packet bits the receiving stack got per second, all queues' },
  { name: 'packets', unit: 'packets', description: 'Packets delivered to the receiving stack' },
  { name: 'outcome', unit: '', description: "'ok', or why the vif stopped: 'grant-table-full' (the guest's grant table cannot hold netfront's reserved refs, 256 for each ring of each queue), 'map-failed' (premapped: netback could not map the whole pool), 'event-channels-full' (a domain had no event-channel port left for a queue's ring)" },
  { name: 'packets_dropped', unit: 'packets', description: "Transmit, 'map': packets netback dropped because one of their pages would not map (its maptrack full), answered XEN_NETIF_RSP_ERROR" },
  { name: 'backend_batches', unit: 'batches', description: "netback's passes that found packets: a NAPI poll on transmit, a guest-rx pass on receive; one GNTTABOP_copy (and on transmit one map call) each, when it has such ops" },
  { name: 'dealloc_batches', unit: 'batches', description: "Transmit, 'map': dealloc wake-ups, one GNTTABOP_unmap_grant_ref each" },
  { name: 'request_notifies', unit: 'events', description: 'Events netfront sent: request publishes netback had asked to hear about' },
  { name: 'response_notifies', unit: 'events', description: 'Events netback sent: response publishes netfront had asked to hear about' },
];

/** Why a vif stops (the `outcome` metric; 'ok' otherwise). */
export type NetifFailure = 'grant-table-full' | 'map-failed' | 'event-channels-full';

/** What a direction's processes share with the component: the domains, the costs, and where they report. */
export interface NetifStream {
  readonly name: string;
  readonly sim: Simulation;
  readonly p: NetifParams;
  readonly host: XenHost;
  readonly guest: Domain;
  readonly dom0: Domain;
  /** The stacks' per-packet work in this direction. */
  readonly stackPerPacket: Time;
  /** A CPU copy of `bytes` at the stacks' copy rate. */
  copyTime(bytes: number): Time;
  /** Per packet, the sending application's bytes into the kernel: a socket write copies them, sendfile and pktgen do not. */
  readonly sendPerPacket: Time;
  /** Per packet, the receiving socket's bytes up to the application (pktgen's packets are dropped on arrival). */
  readonly receivePerPacket: Time;
  /** `n` packets reached the receiving stack now. */
  delivered(n: number): void;
  /** netback dropped `n` transmitted packets (a page would not map). */
  dropped(n: number): void;
  /** The vif stops: `outcome` says why (the first reason given is kept). */
  fail(outcome: NetifFailure): void;
  /** netback started a pass that found packets; a dealloc wake-up. */
  backendBatch(): void;
  deallocBatch(): void;
  /** A queue's ring, for the event counts. */
  addRing(counts: () => RingCounts): void;
}

class Netif implements Component, NetifStream {
  readonly sim: Simulation;
  host!: XenHost;
  guest!: Domain;
  dom0!: Domain;
  private streamStart: Time | null = null;
  private lastDelivery: Time = 0;
  private nDelivered = 0;
  private nDropped = 0;
  private outcome: 'ok' | NetifFailure = 'ok';
  private batches = 0;
  private deallocs = 0;
  private readonly rings: (() => RingCounts)[] = [];

  constructor(private readonly ctx: ComponentContext, readonly p: NetifParams) {
    this.sim = ctx.sim;
  }

  get name(): string {
    return this.ctx.name;
  }

  get stackPerPacket(): Time {
    return this.p.direction === 'tx' ? this.p.txStackPerPacket : this.p.rxStackPerPacket;
  }

  connect(): void {
    const front = this.ctx.peer<XenDomain>(this.p.frontend);
    this.host = front.host;
    this.guest = front.model;
    this.dom0 = this.ctx.peer<XenDomain>(this.p.backend).model;
  }

  start(): void {
    this.sim.process(this.run(), `${this.name}/setup`);
  }

  private *run(): ProcessBody<void> {
    // xennet_init_queue reserves every queue's refs before anything else is set up.
    if (this.p.queues * netfrontReservedRefs(this.host.xen.costs.pageBytes) > this.guest.grants.available) {
      this.fail('grant-table-full');
      return;
    }
    const begin = this.p.direction === 'tx' ? startTx : startRx;
    if (yield* begin(this)) this.streamStart = this.sim.now;
  }

  copyTime(bytes: number): Time {
    return bytes > 0 ? transferTime(bytes, this.p.stackCopyBandwidth) : 0;
  }

  get sendPerPacket(): Time {
    return this.p.traffic === 'socket' ? this.copyTime(this.p.packetBytes) : 0;
  }

  get receivePerPacket(): Time {
    return this.p.traffic === 'pktgen' ? 0 : transferTime(this.p.packetBytes, this.p.receiveCopyBandwidth);
  }

  delivered(n: number): void {
    this.nDelivered += n;
    this.lastDelivery = this.sim.now;
  }

  dropped(n: number): void {
    this.nDropped += n;
  }

  fail(outcome: NetifFailure): void {
    if (this.outcome === 'ok') this.outcome = outcome;
  }

  backendBatch(): void {
    this.batches++;
  }

  deallocBatch(): void {
    this.deallocs++;
  }

  addRing(counts: () => RingCounts): void {
    this.rings.push(counts);
  }

  /** Nothing lost: a vif that came up delivered or dropped every packet, and every slot netback took was answered and collected. */
  invariants(): string[] {
    if (this.outcome !== 'ok') return [];
    const out: string[] = [];
    const sent = this.p.queues * this.p.packets;
    if (this.nDelivered + this.nDropped !== sent) out.push(`${this.name}: ${this.nDelivered} packets delivered + ${this.nDropped} dropped != ${sent} sent`);
    this.rings.forEach((counts, q) => {
      const c = counts();
      if (c.requestsTaken !== c.responsesPushed || c.responsesPushed !== c.responsesTaken) {
        out.push(`${this.name} queue ${q}: ${c.requestsTaken} requests taken, ${c.responsesPushed} answered, ${c.responsesTaken} answers collected`);
      }
    });
    return out;
  }

  metrics(): Record<string, MetricValue> {
    const span = this.streamStart === null ? 0 : this.lastDelivery - this.streamStart;
    const perS = span > 0 ? (this.nDelivered * PS_PER_S) / span : null;
    const counts = this.rings.map((c) => c());
    return {
      packets_per_s: perS,
      throughput_gbits_per_s: perS === null ? null : (perS * this.p.packetBytes * 8) / 1e9,
      packets: this.nDelivered,
      outcome: this.outcome,
      packets_dropped: this.nDropped,
      backend_batches: this.batches,
      dealloc_batches: this.deallocs,
      request_notifies: counts.reduce((n, c) => n + c.requestNotifies, 0),
      response_notifies: counts.reduce((n, c) => n + c.responseNotifies, 0),
    };
  }
}

export const netif = defineComponent({
  type: 'workloads.netif',
  description: 'Packets between a guest and dom0 through netfront and netback, queue by queue, either way: per-packet grant copy, map and unmap, or grants mapped in advance; ring and event suppression as Linux does them',
  params,
  stats,
  defaultPreset: 'linux-netif',
  create: (ctx, p) => new Netif(ctx, p),
});

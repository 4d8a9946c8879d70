/**
 * workloads.netif-tx: a guest transmitting packets to dom0 through the PV
 * network drivers (netfront in the guest, netback in dom0), queue by queue,
 * the workload behind the published netback figures (SOURCES.md, "Xen
 * netback and blkback measurements"). Per queue, as Linux runs it:
 *
 *  - netfront's transmit (xennet_start_xmit, on a guest vCPU): the sending
 *    stack's per-packet work (and, from a socket, copying the bytes in); a
 *    grant per page (premapped: the bytes copied into a pre-granted pool
 *    page instead); the requests into the ring, published, and an event
 *    only if netback asked for one (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY);
 *    then the completed responses collected and their grants ended
 *    (xennet_tx_buf_gc, which re-arms the response event each time). A
 *    full ring stops the queue until responses come back.
 *  - netback's NAPI poll (xenvif_tx_action, on a dom0 vCPU): up to
 *    NAPI-weight packets taken off the ring; one GNTTABOP_copy for all the
 *    poll's copy ops and one GNTTABOP_map_grant_ref for all its map ops
 *    (premapped: a memcpy of the headers); the receiving stack's per-packet
 *    work (and, to a socket, copying the bytes out); responses for the
 *    packets nothing stays mapped for, one publish per packet
 *    (xenvif_idx_release). With nothing left it re-arms the request event
 *    and sleeps (RING_FINAL_CHECK_FOR_REQUESTS).
 *  - netback's dealloc thread ('map' only, xenvif_dealloc_kthread): the
 *    pages of freed skbs unmapped in one GNTTABOP_unmap_grant_ref per
 *    wake-up (with its TLB shootdowns), then their responses.
 *
 * The stacks' own costs (the Linux work outside the drivers' grant, ring
 * and event operations) come from a preset (linux-netif); the hypervisor's
 * from the platform's. Throughput is measured from the first packet to the
 * last one the receiving stack got, after the rings are connected (and,
 * premapped, the pool granted and mapped).
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { byteSize, duration, rate } from '../../src/scenario/units.js';
import { Store, type ProcessBody, type Time } from '../../src/sim/index.js';
import { PS_PER_S, transferTime } from '../../src/sim/time.js';
import { XEN_DOMAIN, type XenDomain } from '../xen/domain.js';
import type { GrantMapping } from '../xen/gnttab.js';
import { NETBACK_NAPI_WEIGHT, NETIF_GRANT_MODES, NETIF_TX_SLOT_BYTES, netifTxPacket, type NetifTxPacket } from '../xen/netif.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import type { XenHost } from '../xen/xen-host.js';

const params = z.strictObject({
  frontend: ref(XEN_DOMAIN).describe('The transmitting guest (netfront)'),
  backend: ref(XEN_DOMAIN).describe('The domain running netback (dom0 or a driver domain)'),
  grants: z.enum(NETIF_GRANT_MODES).describe("How netback reaches the packet's pages: 'copy' (GNTTABOP_copy per page), 'map' (header copied, the rest mapped and unmapped per packet: Linux netback since 3.15), 'premapped' (granted and mapped once, in advance)"),
  packetBytes: byteSize().refine((b) => b > 0, 'expected a positive size').describe('Bytes per packet as netfront gets it (a GSO packet up to 64 KiB)'),
  packets: z.number().int().min(1).describe('Packets each queue transmits'),
  queues: z.number().int().min(1).default(1).describe('Transmit queues of the vif, each with its own ring, event channel, NAPI instance and dealloc thread'),
  traffic: z.enum(['pktgen', 'socket']).describe("'pktgen': packets made in the kernel (pktgen with clone_skbs: no byte is copied by the stacks); 'socket': a socket sender and receiver (iperf3): the bytes are copied in at the sender and out at the receiver"),
  napiWeight: z.number().int().min(1).default(NETBACK_NAPI_WEIGHT).describe('Packets per NAPI poll (Linux xen-netback XENVIF_NAPI_WEIGHT, 64)'),
  stackPerPacket: duration().describe("One end's Linux per-packet work outside the drivers' grant, ring and event operations (skb handling, the protocol stack, pktgen or the socket call)"),
  stackCopyBandwidth: rate().describe('GB/s of a copy the stacks or the drivers make with the CPU (socket copies, premapped pool copies)'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'packets_per_s', unit: 'packets/s', description: 'Packets the receiving stack got per second, all queues' },
  { name: 'throughput_gbits_per_s', unit: 'Gb/s', description: 'Packet bits the receiving stack got per second, all queues' },
  { name: 'packets', unit: 'packets', description: 'Packets delivered to the receiving stack' },
  { name: 'napi_polls', unit: 'polls', description: "netback's NAPI polls that found packets (one GNTTABOP_copy and one map call each, when it has such ops)" },
  { name: 'dealloc_batches', unit: 'batches', description: "Dealloc wake-ups: one GNTTABOP_unmap_grant_ref each ('map')" },
  { name: 'request_notifies', unit: 'events', description: 'Events netfront sent: request publishes netback had asked to hear about' },
  { name: 'response_notifies', unit: 'events', description: 'Events netback sent: response publishes netfront had asked to hear about' },
];

/** One ring request: which packet, and the grant of the page its slot carries (NO grant for the GSO extra slot). */
interface TxRequest {
  packet: number;
  ref: number | null;
}

/** A freed skb's mapped pages and the responses that wait for their unmap. */
interface Freed {
  mappings: GrantMapping[];
  responses: number;
}

class Queue {
  ring!: XenRing<TxRequest, TxRequest>;
  /** Premapped: the pool's refs (granted by the guest) and netback's mappings of them. */
  pool: number[] = [];
  poolNext = 0;
  readonly freed: Store<Freed>;
  /** Packets whose responses netfront has not collected yet, by id: their refs. */
  readonly outstanding = new Map<number, number[]>();

  constructor(host: XenHost) {
    this.freed = new Store<Freed>(host.xen.sim, Infinity, 'netback-dealloc');
  }
}

class NetifTx implements Component {
  private front!: XenDomain;
  private back!: XenDomain;
  private host!: XenHost;
  private packet!: NetifTxPacket;
  private readonly queues: Queue[] = [];
  private streamStart: Time | null = null;
  private lastDelivery: Time = 0;
  private delivered = 0;
  private polls = 0;
  private deallocs = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  connect(): void {
    this.front = this.ctx.peer<XenDomain>(this.p.frontend);
    this.back = this.ctx.peer<XenDomain>(this.p.backend);
    this.host = this.front.host;
    this.packet = netifTxPacket(this.p.packetBytes, this.host.xen.costs.pageBytes, this.p.grants);
  }

  start(): void {
    this.ctx.sim.process(this.setup(), `${this.ctx.name}/setup`);
  }

  /** Rings and event channels per queue (and the premapped pool), then the streams. */
  private *setup(): ProcessBody<void> {
    const guest = this.front.model, dom0 = this.back.model, host = this.host;
    for (let q = 0; q < this.p.queues; q++) {
      const queue = new Queue(host);
      const ring = yield* connectRing<TxRequest, TxRequest>(host.channels, guest, dom0, NETIF_TX_SLOT_BYTES);
      if (typeof ring === 'number') throw new Error(`model bug: ${this.ctx.name}: no event-channel port for queue ${q} (${ring})`);
      queue.ring = ring;
      if (this.p.grants === 'premapped') {
        // XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING: a pool of one page per ring slot, granted and mapped in one batch.
        queue.pool = yield* host.grants.grantAccess(guest, dom0, ring.ring.size, true);
        yield* host.grants.map(dom0, guest, queue.pool, true);
      }
      this.queues.push(queue);
    }
    this.streamStart = this.ctx.sim.now;
    this.queues.forEach((queue, q) => {
      this.ctx.sim.process(this.netfront(queue), `${this.ctx.name}/netfront${q}`);
      this.ctx.sim.process(this.netback(queue), `${this.ctx.name}/netback${q}`);
      if (this.packet.maps > 0) this.ctx.sim.process(this.dealloc(queue), `${this.ctx.name}/dealloc${q}`);
    });
  }

  private copyTime(bytes: number): Time {
    return bytes > 0 ? transferTime(bytes, this.p.stackCopyBandwidth) : 0;
  }

  /** netfront: transmit every packet of the queue, then collect the last completions. */
  private *netfront(queue: Queue): ProcessBody<void> {
    const p = this.p, pkt = this.packet, guest = this.front.model, dom0 = this.back.model, grants = this.host.grants;
    const premapped = p.grants === 'premapped';
    const bytesCopied = (p.traffic === 'socket' ? p.packetBytes : 0) + (premapped ? p.packetBytes : 0);
    for (let id = 0; id < p.packets; id++) {
      while (queue.ring.ring.freeRequests() < pkt.slots) {
        yield* queue.ring.awaitResponses();
        yield* this.collect(queue);
      }
      yield* guest.vcpus.use(p.stackPerPacket + this.copyTime(bytesCopied));
      let refs: number[];
      if (premapped) {
        refs = Array.from({ length: pkt.pages }, () => queue.pool[queue.poolNext++ % queue.pool.length]!);
      } else {
        refs = yield* grants.grantAccess(guest, dom0, pkt.pages, true);
        queue.outstanding.set(id, refs);
      }
      const requests: TxRequest[] = refs.map((ref) => ({ packet: id, ref }));
      if (pkt.slots > pkt.pages) requests.splice(1, 0, { packet: id, ref: null });
      yield* queue.ring.sendRequests(requests);
      yield* this.collect(queue);
    }
    while (queue.outstanding.size > 0) {
      yield* queue.ring.awaitResponses();
      yield* this.collect(queue);
    }
  }

  /** xennet_tx_buf_gc: every published response taken, the grants of completed packets ended, the response event re-armed. */
  private *collect(queue: Queue): ProcessBody<void> {
    const ring = queue.ring;
    do {
      const done = yield* ring.takeResponses();
      const refs: number[] = [];
      for (const r of done) {
        const granted = queue.outstanding.get(r.packet);
        if (granted === undefined) continue;
        queue.outstanding.delete(r.packet);
        refs.push(...granted);
      }
      if (refs.length > 0) {
        const busy = yield* this.host.grants.endAccess(this.front.model, refs);
        if (busy > 0) throw new Error(`model bug: ${this.ctx.name}: ${busy} grants still mapped when their responses came back`);
      }
    } while (ring.ring.finalCheckForResponses());
  }

  /** netback's NAPI instance: polls of up to napiWeight packets until the queue's packets are all in. */
  private *netback(queue: Queue): ProcessBody<void> {
    const p = this.p, pkt = this.packet, guest = this.front.model, dom0 = this.back.model, grants = this.host.grants;
    let received = 0;
    while (received < p.packets) {
      yield* queue.ring.awaitRequests();
      const batch = Math.min(p.napiWeight, Math.floor(queue.ring.ring.unconsumedRequests() / pkt.slots));
      if (batch === 0) throw new Error(`model bug: ${this.ctx.name}: a partly published packet`);
      const requests = yield* queue.ring.takeRequests(batch * pkt.slots);
      this.polls++;
      const copies = Array.from({ length: batch }, () => pkt.copies).flat();
      if (copies.length > 0) yield* grants.copyEach(dom0, copies);
      let mappings: GrantMapping[] = [];
      if (pkt.maps > 0) {
        // The mapped pages are each packet's last `maps` pages (the first too when it holds more than the header).
        const refs = requests.filter((r) => r.ref !== null).map((r) => r.ref!);
        const perPacket = (i: number) => refs.slice(i * pkt.pages + pkt.pages - pkt.maps, (i + 1) * pkt.pages);
        const mapped = yield* grants.map(dom0, guest, Array.from({ length: batch }, (_, i) => perPacket(i)).flat(), true);
        if (mapped.mappings.length !== batch * pkt.maps) throw new Error(`model bug: ${this.ctx.name}: a transmit grant failed to map (${mapped.statuses.join(',')})`);
        mappings = mapped.mappings;
      }
      const memcpy = this.copyTime(batch * pkt.memcpyBytes);
      const toSocket = p.traffic === 'socket' ? this.copyTime(p.packetBytes) : 0;
      yield* dom0.vcpus.use(memcpy + batch * (p.stackPerPacket + toSocket));
      received += batch;
      this.delivered += batch;
      this.lastDelivery = this.ctx.sim.now;
      if (pkt.maps > 0) {
        yield queue.freed.put({ mappings, responses: batch * pkt.slots });
      } else {
        for (let i = 0; i < batch; i++) yield* queue.ring.sendResponses(requests.slice(i * pkt.slots, (i + 1) * pkt.slots));
      }
    }
  }

  /** netback's dealloc thread: everything freed since it last ran, unmapped in one call, then answered. */
  private *dealloc(queue: Queue): ProcessBody<void> {
    const dom0 = this.back.model;
    let answered = 0;
    while (answered < this.p.packets * this.packet.slots) {
      const batch = [yield queue.freed.get()];
      while (queue.freed.length > 0) batch.push(yield queue.freed.get());
      this.deallocs++;
      yield* this.host.grants.unmap(dom0, batch.flatMap((f) => f.mappings));
      const responses = batch.reduce((n, f) => n + f.responses, 0);
      yield* queue.ring.sendResponses(this.responsesFor(answered, responses));
      answered += responses;
    }
  }

  /** The responses to slots [from, from + n) of the queue, in ring order: each names its packet. */
  private responsesFor(from: number, n: number): TxRequest[] {
    const slots = this.packet.slots;
    return Array.from({ length: n }, (_, i) => ({ packet: Math.floor((from + i) / slots), ref: null }));
  }

  metrics(): Record<string, MetricValue> {
    const span = this.streamStart === null ? 0 : this.lastDelivery - this.streamStart;
    const perS = span > 0 ? (this.delivered * PS_PER_S) / span : null;
    const counts = this.queues.map((q) => q.ring.ring.counts());
    return {
      packets_per_s: perS,
      throughput_gbits_per_s: perS === null ? null : (perS * this.p.packetBytes * 8) / 1e9,
      packets: this.delivered,
      napi_polls: this.polls,
      dealloc_batches: this.deallocs,
      request_notifies: counts.reduce((n, c) => n + c.requestNotifies, 0),
      response_notifies: counts.reduce((n, c) => n + c.responseNotifies, 0),
    };
  }
}

export const netifTx = defineComponent({
  type: 'workloads.netif-tx',
  description: 'A guest transmitting packets to dom0 through netfront and netback, queue by queue: per-packet grant copy, map and unmap, or grants mapped in advance; ring and event suppression as Linux does them',
  params,
  stats,
  defaultPreset: 'linux-netif',
  create: (ctx, p) => new NetifTx(ctx, p),
});

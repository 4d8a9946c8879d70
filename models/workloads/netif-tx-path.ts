/**
 * The guest transmitting (workloads.netif, direction 'tx'), per queue, as
 * Linux runs it:
 *
 *  - netfront's transmit (xennet_start_xmit, on a guest vCPU): the sending
 *    stack's per-packet work (and a socket write's copy of the bytes); a
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
 *    work (and a socket's receive up to the application); responses for the
 *    packets nothing stays mapped for, one publish per packet
 *    (xenvif_idx_release). With nothing left it re-arms the request event
 *    and sleeps (RING_FINAL_CHECK_FOR_REQUESTS).
 *  - netback's dealloc thread ('map' only, xenvif_dealloc_kthread): the
 *    pages of freed skbs unmapped in one GNTTABOP_unmap_grant_ref per
 *    wake-up (with its TLB shootdowns), then their responses.
 *  - A packet a page of which does not map (dom0's maptrack full) is
 *    dropped as xenvif_tx_check_gop and xenvif_tx_submit drop it: each of
 *    its pages that did map is unmapped at once, one synchronous unmap each
 *    (xenvif_idx_unmap), its slots are answered (the failed one
 *    XEN_NETIF_RSP_ERROR, xenvif_idx_release), and the skb is freed before
 *    the stack sees it.
 */
import { Store, type ProcessBody } from '../../src/sim/index.js';
import { GNTST, type GrantMapping } from '../xen/gnttab.js';
import { NETIF_TX_SLOT_BYTES, netifTxPacket, type NetifTxPacket } from '../xen/netif.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import type { NetifStream } from './netif.js';
import { grantedAll, mapPool } from './netif-grants.js';

/** One ring slot: which packet, and the grant of the page it carries (null for the GSO extra-info slot). */
interface TxSlot {
  packet: number;
  ref: number | null;
}

/** Freed skbs' mapped pages and the slots whose responses wait for their unmap. */
interface Freed {
  mappings: GrantMapping[];
  slots: TxSlot[];
}

interface TxQueue {
  ring: XenRing<TxSlot, TxSlot>;
  /** Premapped: the pool's refs (granted by the guest, mapped by netback at setup). */
  pool: number[];
  poolNext: number;
  freed: Store<Freed>;
  /** 'map': slots answered, by the dealloc thread or, for a dropped packet, by netback at once. */
  answered: number;
  /** Packets whose responses netfront has not collected yet, by id: their refs. */
  outstanding: Map<number, number[]>;
}

/**
 * Connects each queue (and, premapped, grants and maps its pool), then
 * starts its processes; false if the vif stays down (a pool that would not
 * map: its outcome is set).
 */
export function* startTx(s: NetifStream): ProcessBody<boolean> {
  const { host, guest, dom0, p } = s;
  const pkt = netifTxPacket(p.packetBytes, host.xen.costs.pageBytes, p.grants);
  const queues: TxQueue[] = [];
  for (let q = 0; q < p.queues; q++) {
    const ring = yield* connectRing<TxSlot, TxSlot>(host.channels, guest, dom0, NETIF_TX_SLOT_BYTES);
    if (typeof ring === 'number') {
      // A domain out of event-channel ports (-ENOSPC): the queue's rings cannot be connected and the vif stays down.
      s.fail('event-channels-full');
      return false;
    }
    s.addRing(() => ring.ring.counts());
    let pool: number[] = [];
    if (p.grants === 'premapped') {
      // XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING: a pool of one page per ring slot, granted and mapped in one batch.
      pool = yield* host.grants.grantAccess(guest, dom0, ring.ring.size, true);
      if (!(yield* grantedAll(s, pool)) || !(yield* mapPool(s, pool, true))) return false;
    }
    queues.push({ ring, pool, poolNext: 0, freed: new Store<Freed>(s.sim, Infinity, 'netback-dealloc'), answered: 0, outstanding: new Map() });
  }
  queues.forEach((queue, q) => {
    s.sim.process(netfront(s, pkt, queue), `${s.name}/netfront${q}`);
    s.sim.process(netback(s, pkt, queue), `${s.name}/netback${q}`);
    if (pkt.maps > 0) s.sim.process(dealloc(s, pkt, queue), `${s.name}/dealloc${q}`);
  });
  return true;
}

/** netfront: transmit every packet of the queue, then collect the last completions. */
function* netfront(s: NetifStream, pkt: NetifTxPacket, queue: TxQueue): ProcessBody<void> {
  const { p, guest, dom0, host } = s;
  const premapped = p.grants === 'premapped';
  const perPacket = s.stackPerPacket + s.sendPerPacket + (premapped ? s.copyTime(p.packetBytes) : 0);
  for (let id = 0; id < p.packets; id++) {
    while (queue.ring.ring.freeRequests() < pkt.slots) {
      yield* queue.ring.awaitResponses();
      yield* collect(s, queue);
    }
    yield* guest.vcpus.use(perPacket);
    let refs: number[];
    if (premapped) {
      refs = Array.from({ length: pkt.pages }, () => queue.pool[queue.poolNext++ % queue.pool.length]!);
    } else {
      refs = yield* host.grants.grantAccess(guest, dom0, pkt.pages, true);
      if (!(yield* grantedAll(s, refs))) return;
      queue.outstanding.set(id, refs);
    }
    const slots: TxSlot[] = refs.map((ref) => ({ packet: id, ref }));
    if (pkt.slots > pkt.pages) slots.splice(1, 0, { packet: id, ref: null });
    yield* queue.ring.sendRequests(slots);
    yield* collect(s, queue);
  }
  // The last responses, every slot's (premapped packets and a packet's later slots hold no grant, but netfront takes their responses
  // too): until every request it pushed is answered and taken, RING_FREE_REQUESTS back at the ring's size.
  const ring = queue.ring.ring;
  while (ring.freeRequests() < ring.size) {
    yield* queue.ring.awaitResponses();
    yield* collect(s, queue);
  }
}

/** xennet_tx_buf_gc: every published response taken, the grants of completed packets ended, the response event re-armed. */
function* collect(s: NetifStream, queue: TxQueue): ProcessBody<void> {
  const ring = queue.ring;
  do {
    const done = yield* ring.takeResponses();
    const refs: number[] = [];
    for (const r of done) {
      // A packet's grants end with its first response; its other slots, and premapped packets, hold none.
      const granted = queue.outstanding.get(r.packet);
      if (granted === undefined) continue;
      queue.outstanding.delete(r.packet);
      refs.push(...granted);
    }
    if (refs.length > 0) {
      const busy = yield* s.host.grants.endAccess(s.guest, refs);
      if (busy > 0) throw new Error(`model bug: ${s.name}: ${busy} grants still mapped when their responses came back`);
    }
  } while (ring.ring.finalCheckForResponses());
}

/** netback's NAPI instance: polls of up to napiWeight packets until the queue's packets are all in. */
function* netback(s: NetifStream, pkt: NetifTxPacket, queue: TxQueue): ProcessBody<void> {
  const { p, guest, dom0, host } = s;
  let received = 0, dropped = 0;
  while (received < p.packets) {
    yield* queue.ring.awaitRequests();
    const batch = Math.min(p.napiWeight, Math.floor(queue.ring.ring.unconsumedRequests() / pkt.slots));
    if (batch === 0) throw new Error(`model bug: ${s.name}: a partly published packet`);
    const slots = yield* queue.ring.takeRequests(batch * pkt.slots);
    s.backendBatch();
    const copies = Array.from({ length: batch }, () => pkt.copies).flat();
    if (copies.length > 0) yield* host.grants.copyEach(dom0, copies);
    const slotsOf = (i: number) => slots.slice(i * pkt.slots, (i + 1) * pkt.slots);
    let passed = batch;
    const kept: Freed = { mappings: [], slots: [] };
    if (pkt.maps > 0) {
      // The mapped pages are each packet's last `maps` pages (the first too when it holds more than the header).
      const refs = slots.filter((r) => r.ref !== null).map((r) => r.ref!);
      const mappedOf = (i: number) => refs.slice(i * pkt.pages + pkt.pages - pkt.maps, (i + 1) * pkt.pages);
      const mapped = yield* host.grants.map(dom0, guest, Array.from({ length: batch }, (_, i) => mappedOf(i)).flat(), true);
      // The batch's ops in packet order; a failed op has no mapping, so each packet takes as many as its ops that mapped.
      let next = 0;
      for (let i = 0; i < batch; i++) {
        const statuses = mapped.statuses.slice(i * pkt.maps, (i + 1) * pkt.maps);
        const ok = statuses.filter((st) => st === GNTST.okay).length;
        const own = mapped.mappings.slice(next, next + ok);
        next += ok;
        if (ok === pkt.maps) {
          kept.mappings.push(...own);
          kept.slots.push(...slotsOf(i));
          continue;
        }
        // xenvif_tx_check_gop: every page that did map unmapped at once, one by one; the slots answered; the skb dropped.
        for (const m of own) yield* host.grants.unmap(dom0, [m]);
        yield* queue.ring.sendResponses(slotsOf(i));
        queue.answered += pkt.slots;
        dropped++;
        passed--;
      }
    }
    yield* dom0.vcpus.use(s.copyTime(passed * pkt.memcpyBytes) + passed * (s.stackPerPacket + s.receivePerPacket));
    received += batch;
    s.delivered(passed);
    s.dropped(batch - passed);
    if (pkt.maps > 0) {
      if (kept.slots.length > 0) yield queue.freed.put(kept);
    } else {
      for (let i = 0; i < batch; i++) yield* queue.ring.sendResponses(slotsOf(i));
    }
  }
  // The last packets dropped: the dealloc thread may be waiting for frees that will not come; an empty one wakes it to see.
  if (dropped > 0) yield queue.freed.put({ mappings: [], slots: [] });
}

/** netback's dealloc thread: everything freed since it last ran, unmapped in one call, then answered in ring order. */
function* dealloc(s: NetifStream, pkt: NetifTxPacket, queue: TxQueue): ProcessBody<void> {
  while (queue.answered < s.p.packets * pkt.slots) {
    const batch = [yield queue.freed.get()];
    while (queue.freed.length > 0) batch.push(yield queue.freed.get());
    const answers = batch.flatMap((f) => f.slots);
    if (answers.length === 0) continue;
    s.deallocBatch();
    yield* s.host.grants.unmap(s.dom0, batch.flatMap((f) => f.mappings));
    yield* queue.ring.sendResponses(answers);
    queue.answered += answers.length;
  }
}

/**
 * The guest receiving (workloads.netif, direction 'rx'), per queue, as
 * Linux runs it (Xen docs/misc/netif-staging-grants.pandoc, "Guest
 * Receive"; Linux drivers/net/xen-netback/rx.c, drivers/net/xen-netfront.c):
 *
 *  - dom0's sender (pktgen, or a socket) on a dom0 vCPU: the stack's
 *    per-packet work, then xenvif_start_xmit queues the skb for the guest
 *    and wakes netback's receive thread; a full queue stops the sender.
 *  - netback's guest-rx thread (xenvif_kthread_guest_rx, on a dom0 vCPU):
 *    a pass takes up to RX_BATCH_SIZE queued packets, each needing one of
 *    the guest's posted buffers (with none it re-arms the request event and
 *    sleeps); one GNTTABOP_copy of the pass's ops into the guest's pages
 *    (premapped: a memcpy into the page mapped in advance); the responses
 *    published once, with an event if netfront asked.
 *  - netfront's NAPI poll (xennet_poll, on a guest vCPU): up to its weight
 *    of responses; per packet the stack's work and the copy of up to
 *    RX_COPY_THRESHOLD bytes into the skb; the used buffer's grant ended
 *    and a new page granted for the refill (premapped: the pool page posted
 *    again); the refill's requests published, with an event if netback
 *    asked (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
 *
 * Before the stream netfront posts a buffer in every slot (premapped: the
 * pool's pages, granted and mapped once).
 */
import { Store, type ProcessBody } from '../../src/sim/index.js';
import { NETBACK_RX_COPY_BATCH, NETFRONT_RX_COPY_THRESHOLD, NETIF_RX_SLOT_BYTES } from '../xen/netif.js';
import { connectRing, type XenRing } from '../xen/ring.js';
import { grantedAll, mapPool } from './netif-grants.js';
import type { NetifStream } from './netif.js';

/** A posted buffer (request) or a filled one (response): its grant. */
interface RxSlot {
  ref: number;
}

interface RxQueue {
  ring: XenRing<RxSlot, RxSlot>;
  /** Packets dom0's stack handed to netback, waiting for the receive thread (bounded: the sender stops when full). */
  skbs: Store<number>;
}

/**
 * Connects each queue, posts its buffers (premapped: the pool, mapped once),
 * then starts its processes; false if the vif stays down (its outcome set).
 */
export function* startRx(s: NetifStream): ProcessBody<boolean> {
  const { host, guest, dom0, p } = s;
  const queues: RxQueue[] = [];
  for (let q = 0; q < p.queues; q++) {
    const ring = yield* connectRing<RxSlot, RxSlot>(host.channels, guest, dom0, NETIF_RX_SLOT_BYTES);
    if (typeof ring === 'number') {
      // A domain out of event-channel ports (-ENOSPC): the queue's rings cannot be connected and the vif stays down.
      s.fail('event-channels-full');
      return false;
    }
    s.addRing(() => ring.ring.counts());
    const refs = yield* host.grants.grantAccess(guest, dom0, ring.ring.size, false);
    if (!(yield* grantedAll(s, refs)) || (p.grants === 'premapped' && !(yield* mapPool(s, refs, false)))) return false;
    yield* ring.sendRequests(refs.map((ref) => ({ ref })));
    // Linux bounds the queue by bytes (XENVIF_RX_QUEUE_BYTES); here by a ring's worth of packets: enough to keep
    // the receive thread busy, and its depth does not change a saturated rate.
    queues.push({ ring, skbs: new Store<number>(s.sim, ring.ring.size, 'netback-rx-queue') });
  }
  queues.forEach((queue, q) => {
    s.sim.process(sender(s, queue), `${s.name}/sender${q}`);
    s.sim.process(guestRx(s, queue), `${s.name}/netback-rx${q}`);
    s.sim.process(netfrontPoll(s, queue), `${s.name}/netfront${q}`);
  });
  return true;
}

/** dom0's sender: the stack's work per packet, then into netback's queue (waiting while it is full). */
function* sender(s: NetifStream, queue: RxQueue): ProcessBody<void> {
  for (let id = 0; id < s.p.packets; id++) {
    yield* s.dom0.vcpus.use(s.stackPerPacket + s.sendPerPacket);
    yield queue.skbs.put(id);
  }
}

/** netback's guest-rx thread: passes of up to RX_BATCH_SIZE packets, each into one posted buffer. */
function* guestRx(s: NetifStream, queue: RxQueue): ProcessBody<void> {
  const { p, host, dom0 } = s;
  let waiting = 0;
  let done = 0;
  while (done < p.packets) {
    if (waiting === 0) {
      yield queue.skbs.get();
      waiting = 1;
    }
    while (waiting < NETBACK_RX_COPY_BATCH && queue.skbs.length > 0) {
      yield queue.skbs.get();
      waiting++;
    }
    yield* queue.ring.awaitRequests();
    const buffers = yield* queue.ring.takeRequests(Math.min(waiting, NETBACK_RX_COPY_BATCH));
    s.backendBatch();
    if (p.grants === 'premapped') yield* dom0.vcpus.use(s.copyTime(buffers.length * p.packetBytes));
    else yield* host.grants.copyEach(dom0, buffers.map(() => p.packetBytes));
    yield* queue.ring.sendResponses(buffers);
    waiting -= buffers.length;
    done += buffers.length;
  }
}

/** netfront's NAPI poll: the responses, the stack, the grants ended and renewed, the buffers posted again. */
function* netfrontPoll(s: NetifStream, queue: RxQueue): ProcessBody<void> {
  const { p, host, guest, dom0 } = s;
  const perPacket = s.stackPerPacket + s.copyTime(Math.min(p.packetBytes, NETFRONT_RX_COPY_THRESHOLD)) + s.receivePerPacket;
  let got = 0;
  while (got < p.packets) {
    yield* queue.ring.awaitResponses();
    const filled = yield* queue.ring.takeResponses(p.napiWeight);
    yield* guest.vcpus.use(filled.length * perPacket);
    got += filled.length;
    s.delivered(filled.length);
    let refs = filled.map((r) => r.ref);
    if (p.grants !== 'premapped') {
      const busy = yield* host.grants.endAccess(guest, refs);
      if (busy > 0) throw new Error(`model bug: ${s.name}: ${busy} receive buffers still mapped`);
      refs = yield* host.grants.grantAccess(guest, dom0, refs.length, false);
      if (!(yield* grantedAll(s, refs))) return;
    }
    yield* queue.ring.sendRequests(refs.map((ref) => ({ ref })));
  }
}

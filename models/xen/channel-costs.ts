/**
 * What Xen's communication paths cost: event channels, shared rings and
 * xenstore; part of a xen.hypervisor's parameters (platform.ts).
 *
 * SOURCES.md ("Xen grant tables and rings"): event-channel latency and
 * xenstore latency have no published figure. Every value is an estimate,
 * given by a preset (models/presets/xen-x86.json) with its range; the
 * comments here say why each range.
 */
import { z } from 'zod';
import { duration } from '../../src/scenario/units.js';

export const xenChannelCostParams = z.strictObject({
  // Estimate, 1-50 us. EVTCHNOP_send sets the pending bit and kicks the
  // target vCPU: if that vCPU is running on another pCPU this is an IPI and a
  // VM entry with the upcall injected, a few us on x86; if it is blocked or
  // preempted the credit scheduler must run it first, tens of us. 3 us is the
  // running-vCPU case; sweep towards 50 us for a loaded host.
  eventDelivery: duration().describe(
    'Event-channel delivery: from the end of EVTCHNOP_send to the upcall starting on the receiving domain (est., 1-50 us: a few us if the target vCPU runs, tens of us if it must be scheduled)'),
  // Estimate, 0.3-3 us. The guest's upcall: interrupt entry, the 2-level
  // selector/pending bitmap scan (Linux evtchn_2l_handle_events), clearing
  // the pending bit and dispatching the port's irq handler.
  upcall: duration().describe(
    'Upcall on the receiving vCPU before the port\'s handler runs: entry, bitmap scan, ack (est., 0.3-3 us)'),
  // Estimate, 20-500 ns. A memcpy of one 64-268 byte message to or from a
  // shared page that the other side last wrote (cache lines move between
  // cores), plus the barrier before the index update (ring.h xen_wmb).
  ringCopyPerMessage: duration().describe(
    'One message copied into or out of a shared ring slot, barrier included, on the caller\'s vCPU (est., 20-500 ns)'),
  // Estimate, 20 us-1 ms. One xenbus request: the guest writes the xenstore
  // ring and notifies, xenstored (a dom0 process) is scheduled, looks up or
  // updates its database, writes the reply and notifies back. Two event
  // channel deliveries and a dom0 process wake-up: tens to hundreds of us.
  xenstoreRequest: duration().describe(
    'One xenstore request round trip through xenstored, as the caller sees it with xenstored idle; xenstored serves one at a time (est., 20 us-1 ms)'),
  // Estimate, 10-500 us. After the write commits, xenstored queues a
  // WATCH_EVENT on the watcher's ring and notifies it; the guest's xenwatch
  // thread must then be woken: one delivery and one thread wake-up.
  xenstoreWatchFire: duration().describe(
    'From a write committing in xenstored to the watch event reaching the watcher (est., 10-500 us)'),
});
export type XenChannelCosts = z.output<typeof xenChannelCostParams>;

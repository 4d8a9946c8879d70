/**
 * The netback study (workloads.netif on scenarios/xen-netback), transmit and receive:
 * a packet's slots and grant ops from netif.h and netback's rules; a short
 * stream's hypercalls, copies and events counted step by step; the
 * saturated rate as a closed form of the presets' per-op costs; and the
 * fitted xen-x86 and linux-netif presets reproducing the published figures
 * they were fitted to (SOURCES.md, Xen netback and blkback measurements).
 */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliInProcess, ROOT, runDocInProcess, runJsonInProcess, statsOf } from '../helpers.js';
import { presetParams, presetValuesOf } from '../preset-params.js';
import { xenPlatformParams } from '../../models/xen/platform.js';
import { netifTxPacket } from '../../models/xen/netif.js';
import { duration, rate } from '../../src/scenario/units.js';

const run = async (sets: Record<string, string | number>) => statsOf(await runJsonInProcess('xen-netback', sets));

/** The study's host clock (the scenario sets it on the hypervisor), and the presets it runs on. */
const scenario = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'xen-netback.json'), 'utf8'));
const cpuGHz: number = scenario.components.find((c: { name: string }) => c.name === 'xen').params.cpuGHz;
const x = presetParams(xenPlatformParams, 'xen-x86', { cpuGHz });
const stack = presetValuesOf('linux-netif');
const S = duration().parse(stack.txStackPerPacket); // ps
const Srx = duration().parse(stack.rxStackPerPacket); // ps
const stackBw = rate().parse(stack.stackCopyBandwidth); // GB/s: bytes per ns
const RT = Math.round((x.hypercallCycles / x.cpuGHz) * 1000); // ps, as the hypervisor rounds it
const r = x.ringCopyPerMessage; // ps

test('a packet\'s ring slots and grant ops, by size and mode', async () => {
  // 64 B: one page, one slot; under the 128-byte header copy, so 'map' copies it all and maps nothing.
  assert.equal(netifTxPacket(64, 4096, 'copy'), { slots: 1, pages: 1, pageBytes: [64], copies: [64], maps: 0, memcpyBytes: 0 });
  assert.equal(netifTxPacket(64, 4096, 'map'), { slots: 1, pages: 1, pageBytes: [64], copies: [64], maps: 0, memcpyBytes: 0 });
  assert.equal(netifTxPacket(64, 4096, 'premapped'), { slots: 1, pages: 1, pageBytes: [64], copies: [], maps: 0, memcpyBytes: 64 });
  // A full frame (1514 B) needs no GSO slot; one byte more does.
  assert.is(netifTxPacket(1514, 4096, 'map').slots, 1);
  assert.is(netifTxPacket(1515, 4096, 'map').slots, 2);
  // 64 KiB GSO: 16 pages and the extra-info slot; copy: 16 page copies; map: the 128-byte header copied, all 16 pages mapped
  // (the first holds more than the header).
  const gso = netifTxPacket(65536, 4096, 'map');
  assert.equal([gso.slots, gso.pages, gso.copies, gso.maps], [17, 16, [128], 16]);
  assert.equal(netifTxPacket(65536, 4096, 'copy').copies, new Array(16).fill(4096));
  // 4,097 B: a full page and one byte; both pages mapped.
  assert.equal([netifTxPacket(4097, 4096, 'map').maps, netifTxPacket(4097, 4096, 'map').pageBytes], [2, [4096, 1]]);
  // 200 B: the header copied, the first page (200 > 128 bytes) mapped too.
  assert.is(netifTxPacket(200, 4096, 'map').maps, 1);
  for (const bad of [0, -64, 1.5]) assert.throws(() => netifTxPacket(bad, 4096, 'copy'), /positive integer/);
});

test('four 64-byte packets, grant copy: hypercalls, copies and events counted step by step', async () => {
  // The guest's transmit of one packet: stack, a grant write, the request into the ring; the first publish crosses
  // req_event (1 at ring init) and notifies: one send hypercall. The other three do not (req_event stays 1).
  const front = S + x.grantWrite + r;
  // All four are published before netback's upcall can start (the send's round trip, then delivery and upcall):
  // so its first poll takes all four.
  assert.ok(4 * front + RT < RT + x.eventDelivery + x.upcall, 'the four publishes precede netback waking');
  const m = await run({ grants: 'copy', packets: 4 });
  // Setup: alloc_unbound and bind_interdomain. Guest: one notify. netback: one poll, one GNTTABOP_copy of 4 ops,
  // then four response publishes, of which the first crosses rsp_event (netfront re-armed it at rsp_cons + 1 = 1):
  // one notify. netfront wakes, collects the four responses, ends the four grants: no hypercall.
  assert.is(m['vif.backend_batches'], 1);
  assert.is(m['xen.copy_ops'], 4);
  assert.is(m['vif.request_notifies'], 1);
  assert.is(m['vif.response_notifies'], 1);
  assert.is(m['xen.event_sends'], 2);
  assert.is(m['xen.hypercalls'], 2 + 1 + 1 + 1);
  assert.equal([m['xen.map_ops'], m['xen.unmap_ops'], m['xen.tlb_flushes']], [0, 0, 0]);
  assert.is(m['vif.packets'], 4);
});

test('per-packet maps (64 KiB, socket): ops per packet, one call per poll and per dealloc batch, a shootdown IPI to each other dom0 vCPU', async () => {
  const N = 300, Q = 2, vcpus = 4;
  const m = await run({ grants: 'map', packetBytes: 65536, traffic: 'socket', queues: Q, packets: N, dom0Vcpus: vcpus });
  const packets = N * Q;
  assert.is(m['vif.packets'], packets);
  assert.is(m['xen.copy_ops'], packets, 'one header copy a packet');
  assert.is(m['xen.map_ops'], 16 * packets);
  assert.is(m['xen.unmap_ops'], 16 * packets, 'every mapped page unmapped');
  // Each poll issues one copy and one map call; each dealloc wake-up one unmap call; every send is one call.
  const polls = m['vif.backend_batches'], deallocs = m['vif.dealloc_batches'];
  assert.is(m['xen.event_sends'], m['vif.request_notifies'] + m['vif.response_notifies']);
  assert.is(m['xen.hypercalls'], 2 * Q + 2 * polls + deallocs + m['xen.event_sends']);
  assert.ok(polls >= Math.ceil(packets / 64), 'at most 64 packets a poll');
  // A PV dom0's unmaps: one shootdown per 32 ops of a batch, at least one per batch; each an IPI to the 3 other vCPUs.
  const flushes = m['xen.tlb_flushes'];
  assert.ok(flushes >= Math.ceil((16 * packets) / 32) && flushes <= deallocs + (16 * packets) / 32, `${flushes} shootdowns`);
  assert.is(m['xen.ipis'], flushes * (vcpus - 1));
});

test('premapped: the pool granted and mapped once per queue, no grant op per packet', async () => {
  const m = await run({ grants: 'premapped', queues: 2, packets: 500 });
  // 256 pool pages a queue (one per ring slot) in one map call each; nothing else touches the grant table.
  assert.equal([m['xen.map_ops'], m['xen.copy_ops'], m['xen.unmap_ops']], [2 * 256, 0, 0]);
  // The guest's table starts with one frame of 512 entries, 8 reserved: the 512 pool grants need a second frame
  // (one growth hypercall).
  const growth = Math.ceil((8 + 2 * 256) / 512) - 1;
  assert.is(m['xen.hypercalls'], 2 * 2 + growth + 2 + m['xen.event_sends']);
});

test('saturated grant copy: the rate is netback\'s vCPU time per packet, a closed form of the per-op costs', async () => {
  const N = 20000;
  const m = await run({ grants: 'copy', packets: N });
  // netback's vCPU per packet: take the request (a ring copy), one copy op (its work and 64 bytes at the
  // hypervisor's copy rate), the receiving stack, the response (a ring copy); per poll one copy call's round
  // trip; per response notify one send's round trip. netfront is faster (the ring stays full), so netback's vCPU
  // is busy from its first wake-up (one notify's round trip, delivery and upcall after the first publish) to the end.
  const perPacket = r + x.copyPerOp + (64 * 1000) / x.copyBandwidth + S + r;
  const busy = N * perPacket + (m['vif.backend_batches'] + m['vif.response_notifies']) * RT;
  const firstWake = S + x.grantWrite + r + RT + x.eventDelivery + x.upcall;
  const expected = (N * 1e12) / (firstWake + busy);
  const rel = Math.abs(m['vif.packets_per_s'] - expected) / expected;
  assert.ok(rel < 1e-3, `${m['vif.packets_per_s']} against ${expected} (${(100 * rel).toFixed(3)}%)`);
  // Without the counted round trips it is an upper bound: at most 1 / (per-packet work).
  assert.ok(m['vif.packets_per_s'] < 1e12 / perPacket);
  assert.ok(m['dom0.vcpu_utilization'] > 0.24 && m['guest.vcpu_utilization'] < 0.5, 'netback\'s vCPU (1 of dom0\'s 4) is the bottleneck');
});

/**
 * The fit (README, Xen costs from measurements) ended with every fitted point within 0.1% of its figure. What
 * the presets hold may differ from a fit's own values by its resolution: golden-section search to 0.1% of each
 * range, i.e. 1.9 ns of copyPerOp (0.24% of netback's 806 ns a packet), 0.48 ns of ringCopyPerMessage, two
 * messages a packet on each side (0.35% of 278 ns), and 0.014 GB/s of stackCopyBandwidth (0.35% of 3.98). So:
 * each 64-byte rate within 0.6%, their ratio within 1.2%, the iperf3 rate within 0.5%.
 */
test('the fitted presets reproduce the published netback figures: 3.6 against 1.24 Mpps (ratio 2.90), 28 and 35.3 Gbit/s premapped', async () => {
  const premapped = (await run({ grants: 'premapped' }))['vif.packets_per_s'];
  const perPacket = (await run({ grants: 'map' }))['vif.packets_per_s'];
  const within = (v: number, target: number, tol: number, what: string) =>
    assert.ok(Math.abs(v - target) / target <= tol, `${what}: ${v} against ${target}`);
  within(premapped, 3.6e6, 0.006, 'premapped, 64 B');
  within(perPacket, 1.24e6, 0.006, 'per-packet grants, 64 B');
  within(premapped / perPacket, 3.6 / 1.24, 0.012, 'ratio');
  const iperf = (await run({ grants: 'premapped', packetBytes: 65536, traffic: 'socket', queues: 2, packets: 3000 }))['vif.throughput_gbits_per_s'];
  within(iperf, 28, 0.005, 'iperf3 premapped, 2 queues');
  // With sendfile dom0's receiving side bounds the rate, in proportion to receiveCopyBandwidth, which was scanned
  // in steps of 0.1 GB/s: 2.5 is within half a step (2%) of where the figure is met.
  const sendfile = (await run({ grants: 'premapped', packetBytes: 65536, traffic: 'sendfile', queues: 2, packets: 3000 }))['vif.throughput_gbits_per_s'];
  within(sendfile, 35.3, 0.02, 'iperf3 premapped with sendfile, 2 queues');
  // The per-packet map figure is not reached (SOURCES.md): at the map cost's 500 ns estimate the study is about twice
  // as fast as the published 14.5 Gbit/s (the figure asks about 2.7 µs a mapped page).
  const mapped = (await run({ grants: 'map', packetBytes: 65536, traffic: 'socket', queues: 2, packets: 3000 }))['vif.throughput_gbits_per_s'];
  assert.ok(mapped > 1.4 * 14.5, `iperf3 with maps per packet: ${mapped} Gbit/s`);
});

test('receive, three 64-byte packets, grant copy: hypercalls, copies and events counted step by step', async () => {
  // Setup: alloc_unbound and bind_interdomain; netfront grants 256 buffers (264 entries with the 8 reserved: one
  // frame, no growth) and posts them: that publish crosses req_event (1 at ring init): one send.
  // dom0's sender queues a packet every rxStackPerPacket; netback's thread takes the first at once, and the next
  // two arrive while its first pass (a request copied out, the copy call, the response copied in) runs:
  const pass1 = r + RT + x.copyPerOp + (64 * 1000) / x.copyBandwidth + r;
  assert.ok(2 * Srx < pass1, 'packets 2 and 3 are queued during the first pass');
  const m = await run({ direction: 'rx', grants: 'copy', packets: 3 });
  // So two passes, two copy calls (1 op, then 2). The first pass's publish crosses rsp_event (netfront armed it at
  // rsp_cons + 1 = 1): one send; the second publishes before netfront has consumed anything: no event. netfront
  // then takes the three, ends and renews their grants and posts three buffers; netback never re-armed req_event
  // (it always found buffers): no event.
  assert.is(m['vif.backend_batches'], 2);
  assert.is(m['xen.copy_ops'], 3);
  assert.equal([m['vif.request_notifies'], m['vif.response_notifies']], [1, 1]);
  assert.is(m['xen.hypercalls'], 2 + 1 + 2 + 1);
  assert.is(m['vif.packets'], 3);
});

test('receive, saturated grant copy: the rate is netback\'s receive thread per packet, a closed form of the per-op costs', async () => {
  const N = 20000;
  const m = await run({ direction: 'rx', grants: 'copy', packets: N });
  // The thread per packet: a posted buffer's request copied out, one copy op (work and 64 bytes), the response
  // copied in; per pass one copy call's round trip, per response notify one send's. dom0's sender and netfront are
  // faster, so the thread is busy from the first packet's arrival (one rxStackPerPacket after the start) to the end.
  // netfront delivers the last packets after that: at most an event (send, delivery, upcall) and one poll of 64,
  // each packet its stack work, the 64-byte copy into the skb, a grant ended and one renewed, a ring copy each way.
  const perPacket = r + x.copyPerOp + (64 * 1000) / x.copyBandwidth + r;
  const busy = N * perPacket + (m['vif.backend_batches'] + m['vif.response_notifies']) * RT;
  const tail = RT + x.eventDelivery + x.upcall + 64 * (Srx + (64 * 1000) / stackBw + 2 * x.grantWrite + 2 * r);
  const pps = m['vif.packets_per_s'];
  assert.ok(pps <= (N * 1e12) / (Srx + busy) && pps >= (N * 1e12) / (Srx + busy + tail), `${pps} packets/s`);
});

/**
 * Receive: the stacks' receive cost was fitted to 2.04 Mpps premapped (0.03% off; the search resolves 0.1% of
 * its 1.95 µs range, 2 ns of the 490 ns a packet: 0.4%). The grant-copy figure, "about half", is a check of the
 * copy cost fitted on transmit, not a fit: the model is faster (SOURCES.md: receive asks 783 ns a copy op).
 */
test('receive: the fitted presets give 2.04 Mpps premapped; grant copy is slower, not by the published half', async () => {
  const premapped = (await run({ direction: 'rx', grants: 'premapped' }))['vif.packets_per_s'];
  assert.ok(Math.abs(premapped - 2.04e6) / 2.04e6 <= 0.005, `premapped: ${premapped}`);
  const copy = (await run({ direction: 'rx', grants: 'copy' }))['vif.packets_per_s'];
  assert.ok(copy < premapped && copy > 1.02e6, `grant copy: ${copy} (published about 1.02 Mpps)`);
});

/** The study with the guest's grant table and dom0's maptrack bounded as given, run in process. */
async function runBounded(bounds: { guestFrames?: number; dom0Maptrack?: number }, sets: Record<string, string | number>) {
  const doc = structuredClone(scenario);
  const params = (name: string) => doc.components.find((c: { name: string }) => c.name === name).params;
  if (bounds.guestFrames !== undefined) params('guest').maxGrantFrames = bounds.guestFrames;
  if (bounds.dom0Maptrack !== undefined) params('dom0').maptrackLimit = bounds.dom0Maptrack;
  delete doc.$schema;
  const res = await runDocInProcess('bounded-netback.json', doc, Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]));
  assert.is(res.code, 0, res.stderr);
  return statsOf(JSON.parse(res.stdout));
}

test('a guest grant table that cannot hold netfront\'s reserved refs (256 a ring, two rings a queue) keeps the vif down, either way: an outcome, exact at the boundary', async () => {
  // v1 tables: 512 entries a 4 KiB frame, 8 of them reserved by Xen.
  for (const direction of ['tx', 'rx']) {
    const fits = await runBounded({ guestFrames: 2 }, { direction, grants: 'copy', queues: 1, packets: 50 });
    assert.equal([fits['vif.outcome'], fits['vif.packets']], ['ok', 50], `${direction}: 2 frames hold one queue's 512 refs (1016 entries)`);
    const full = await runBounded({ guestFrames: 2 }, { direction, grants: 'copy', queues: 2, packets: 50 });
    assert.equal([full['vif.outcome'], full['vif.packets'], full['xen.hypercalls']], ['grant-table-full', 0, 0], `${direction}: two queues need 1024: nothing is set up`);
    assert.is(full['vif.packets_per_s'], null);
  }
});

test('more queues than the 2-level event-channel ABI has ports (4095 a domain, one a queue each end) keep the vif down: an outcome, exact at the boundary', async () => {
  // Enough grant frames for 4096 queues' reserved refs (4096 × 512), so the ports are what runs out.
  const fits = await runBounded({ guestFrames: 4200 }, { grants: 'copy', queues: 4095, packets: 1 });
  assert.equal([fits['vif.outcome'], fits['vif.packets']], ['ok', 4095]);
  for (const direction of ['tx', 'rx']) {
    const full = await runBounded({ guestFrames: 4200 }, { direction, grants: 'copy', queues: 4096, packets: 1 });
    assert.equal([full['vif.outcome'], full['vif.packets']], ['event-channels-full', 0], direction);
  }
});

test('premapped: a pool netback cannot map whole (dom0\'s maptrack one short) is unmapped again and the vif stays down; one handle more and it runs', async () => {
  for (const direction of ['tx', 'rx']) {
    const short = await runBounded({ dom0Maptrack: 255 }, { direction, grants: 'premapped', packets: 50 });
    assert.equal([short['vif.outcome'], short['vif.packets']], ['map-failed', 0], direction);
    assert.equal([short['xen.map_ops'], short['xen.map_failures'], short['xen.unmap_ops']], [256, 1, 255], `${direction}: the 255 pages that mapped are unmapped`);
    const exact = await runBounded({ dom0Maptrack: 256 }, { direction, grants: 'premapped', packets: 50 });
    assert.equal([exact['vif.outcome'], exact['vif.packets'], exact['xen.map_failures']], ['ok', 50, 0], direction);
  }
});

test('per-packet maps with dom0\'s maptrack nearly full: a packet a page of which will not map is dropped, every page that did map unmapped, every packet answered, the run ends', async () => {
  const N = 300, Q = 2;
  const m = await runBounded({ dom0Maptrack: 40 }, { grants: 'map', packetBytes: 65536, queues: Q, packets: N });
  assert.is(m['vif.outcome'], 'ok', 'dropping packets is netback doing its job, not the vif failing');
  const dropped = m['vif.packets_dropped'];
  assert.ok(dropped > 0 && m['vif.packets'] > 0, `${m['vif.packets']} delivered, ${dropped} dropped`);
  assert.is(m['vif.packets'] + dropped, N * Q, 'every packet netfront sent is delivered or dropped');
  assert.is(m['xen.map_ops'], 16 * N * Q, 'every page of every packet tried');
  assert.is(m['xen.map_ops'] - m['xen.map_failures'], m['xen.unmap_ops'], 'every page that mapped is unmapped');
  assert.is(m['xen.copy_ops'], N * Q, 'the header copies come first, whatever the maps do');
  // With room for every page in flight nothing is dropped.
  const roomy = await runBounded({ dom0Maptrack: 262_144 }, { grants: 'map', packetBytes: 65536, queues: Q, packets: N });
  assert.equal([roomy['vif.packets'], roomy['vif.packets_dropped'], roomy['xen.map_failures']], [N * Q, 0, 0]);
});

test('bad input: exit code 2, the field named, no stack trace', async () => {
  for (const [set, field] of [['packets=0', 'packets'], ['grants=persistent', 'grants'], ['packetBytes=0', 'packetBytes']] as const) {
    const res = await cliInProcess(['run', 'xen-netback', '--set', set, '--json']);
    assert.is(res.code, 2, set);
    assert.match(res.stderr, field, set);
    assert.not.match(res.stderr, /\n\s+at /, `${set}: no stack trace`);
  }
  // Combinations the receive path does not have: maps, and packets past one receive buffer.
  const map = await cliInProcess(['run', 'xen-netback', '--set', 'direction=rx', '--set', 'grants=map', '--json']);
  assert.is(map.code, 2);
  assert.match(map.stderr, /params\.grants: netback's receive path grant-copies/);
  const big = await cliInProcess(['run', 'xen-netback', '--set', 'direction=rx', '--set', 'grants=copy', '--set', 'packetBytes=65536', '--json']);
  assert.is(big.code, 2);
  assert.match(big.stderr, /params\.packetBytes: a received packet is modelled up to one 4096-byte receive buffer/);
});

test.run();

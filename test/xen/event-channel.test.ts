/**
 * Event channels: binding, exact delivery times (hypercall round trip +
 * delivery + upcall), a busy receiver, ordering between two domains in a
 * ping-pong, and the 2-level pending bit merging notifications.
 */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { xenChannelCostParams, type XenChannelCosts } from '../../models/xen/channel-costs.js';
import { xenCostParams } from '../../models/xen/costs.js';
import { EVENT_CHANNEL, EVTCHN_2L_NR_CHANNELS, EVTCHN_ERR, EventChannels, FIRST_PORT, UPCALL } from '../../models/xen/event-channel.js';
import { HYPERCALL, Hypervisor } from '../../models/xen/hypervisor.js';

function setup(vcpus: [number, number] = [1, 1], fingerprint = false) {
  const sim = new Simulation({ fingerprint });
  const xen = new Hypervisor(sim, presetParams(xenCostParams, 'xen-x86'));
  const costs: XenChannelCosts = presetParams(xenChannelCostParams, 'xen-x86');
  const ch = new EventChannels(xen, costs);
  const opts = { kind: 'hvm' as const, grantVersion: 1 as const, maxGrantFrames: 64, maptrackLimit: 262144 };
  const a = xen.createDomain('A', { ...opts, vcpus: vcpus[0] });
  const b = xen.createDomain('B', { ...opts, vcpus: vcpus[1] });
  return { sim, xen, costs, ch, a, b, rt: xen.roundTripPs };
}

/** Runs `body` to completion and returns its value. */
function runToEnd<R>(sim: Simulation, body: ProcessBody<R>): R {
  const p = sim.process(body);
  sim.run();
  assert.ok(p.triggered, 'process finished');
  return p.value as R;
}

/** A channel A:aPort <-> B:bPort, set up before time matters. */
function connect(s: ReturnType<typeof setup>): { aPort: number; bPort: number } {
  return runToEnd(s.sim, (function* () {
    const aPort = yield* s.ch.allocUnbound(s.a, s.b);
    const bPort = yield* s.ch.bindInterdomain(s.b, s.a, aPort);
    return { aPort, bPort };
  })());
}

test('the default costs are the estimates the descriptions give', () => {
  const c = presetParams(xenChannelCostParams, 'xen-x86');
  // ringCopyPerMessage is fitted to the netback figures (xen-x86, SOURCES.md), still an estimate in its 20-500 ns range.
  assert.equal(c, { eventDelivery: 3_000_000, upcall: 1_000_000, ringCopyPerMessage: 86_260, xenstoreRequest: 100_000_000, xenstoreWatchFire: 50_000_000 });
});

test('alloc_unbound and bind_interdomain: one hypercall each, ports from 1, one channel', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  assert.is(aPort, FIRST_PORT);
  assert.is(bPort, FIRST_PORT);
  assert.is(s.sim.now, 2 * s.rt);
  assert.equal(s.ch.peerOf(s.a, aPort), [s.b, bPort]);
  assert.equal(s.ch.peerOf(s.b, bPort), [s.a, aPort]);
  assert.equal(s.xen.counts().byOp, { 'event_channel_op:alloc_unbound': 1, 'event_channel_op:bind_interdomain': 1 });
  assert.is(s.xen.attribution.get(HYPERCALL), 2 * s.rt);
  // The next port A allocates is the lowest free one.
  assert.is(runToEnd(s.sim, s.ch.allocUnbound(s.a, s.b)), 2);
});

test('binding a port not offered to you, or not unbound, is -EINVAL, counted', () => {
  const s = setup();
  const c = s.xen.createDomain('C', { kind: 'hvm', vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262144 });
  const r = runToEnd(s.sim, (function* () {
    const offered = yield* s.ch.allocUnbound(s.a, s.b);
    const byC = yield* s.ch.bindInterdomain(c, s.a, offered);
    const missing = yield* s.ch.bindInterdomain(s.b, s.a, 99);
    const ok = yield* s.ch.bindInterdomain(s.b, s.a, offered);
    const twice = yield* s.ch.bindInterdomain(s.b, s.a, offered);
    return [byC, missing, ok, twice];
  })());
  assert.equal(r, [EVTCHN_ERR.EINVAL, EVTCHN_ERR.EINVAL, 1, EVTCHN_ERR.EINVAL]);
  const n = s.ch.counts();
  assert.is(n.failures, 3);
  assert.is(n.binds, 1);
});

test('close: the peer goes back to unbound; a send on it is dropped silently', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  let handled = 0;
  s.ch.onEvent(s.a, aPort, () => handled++);
  const r = runToEnd(s.sim, (function* () {
    const closed = yield* s.ch.close(s.b, bPort);
    const sent = yield* s.ch.notify(s.a, aPort);
    const bad = yield* s.ch.notify(s.b, bPort);
    return [closed, sent, bad];
  })());
  assert.equal(r, [0, 0, EVTCHN_ERR.EINVAL]);
  assert.is(s.ch.stateOf(s.a, aPort), 'unbound');
  assert.is(s.ch.stateOf(s.b, bPort), undefined);
  const n = s.ch.counts();
  assert.is(n.dropped, 1);
  assert.is(n.upcalls, 0);
  assert.is(handled, 0);
  // B can bind A's port again.
  assert.is(runToEnd(s.sim, s.ch.bindInterdomain(s.b, s.a, aPort)), bPort);
});

test('on idle vCPUs the handler runs exactly round trip + delivery + upcall after the send', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  const t0 = s.sim.now;
  const seen: number[] = [];
  s.ch.onEvent(s.b, bPort, (port) => { assert.is(port, bPort); seen.push(s.sim.now - t0); });
  s.sim.process(s.ch.notify(s.a, aPort));
  s.sim.run();
  assert.equal(seen, [s.rt + s.costs.eventDelivery + s.costs.upcall]);
  assert.is(s.ch.isPending(s.b, bPort), false);
  assert.is(s.xen.attribution.get(EVENT_CHANNEL), s.costs.eventDelivery);
  assert.is(s.xen.attribution.get(UPCALL), s.costs.upcall);
  assert.is(s.xen.counts().byOp['event_channel_op:send'], 1);
  assert.equal(s.ch.portCounts(s.b, bPort), { raised: 1, coalesced: 0, delivered: 1 });
});

test('a busy receiver takes the upcall when a vCPU frees up; a free vCPU takes it at once', () => {
  for (const [vcpus, expected] of [[1, 'busy'], [2, 'free']] as const) {
    const s = setup([1, vcpus]);
    const { aPort, bPort } = connect(s);
    const t0 = s.sim.now;
    const busyFor = 20_000_000; // 20 µs of other work on one of B's vCPUs, from t0
    const seen: number[] = [];
    s.ch.onEvent(s.b, bPort, () => seen.push(s.sim.now - t0));
    s.sim.process(s.b.vcpus.use(busyFor));
    s.sim.process(s.ch.notify(s.a, aPort));
    s.sim.run();
    const idle = s.rt + s.costs.eventDelivery + s.costs.upcall;
    assert.ok(idle < busyFor);
    assert.equal(seen, [expected === 'busy' ? busyFor + s.costs.upcall : idle], `${vcpus} vCPU(s)`);
  }
});

test('ping-pong between two domains: handler times in order, each leg one full latency', () => {
  const legs = 6;
  const run = () => {
    const s = setup([1, 1], true);
    const { aPort, bPort } = connect(s);
    const t0 = s.sim.now;
    const log: string[] = [];
    let count = 0;
    s.ch.onEvent(s.b, bPort, () => {
      log.push(`B#${++count}@${s.sim.now - t0}`);
      s.sim.process(s.ch.notify(s.b, bPort));
    });
    s.ch.onEvent(s.a, aPort, () => {
      log.push(`A#${++count}@${s.sim.now - t0}`);
      if (count < legs) s.sim.process(s.ch.notify(s.a, aPort));
    });
    s.sim.process(s.ch.notify(s.a, aPort));
    s.sim.run();
    return { s, log, fp: s.sim.fingerprint() };
  };
  const { s, log, fp } = run();
  const leg = s.rt + s.costs.eventDelivery + s.costs.upcall;
  const expected = Array.from({ length: legs }, (_, i) => `${i % 2 === 0 ? 'B' : 'A'}#${i + 1}@${(i + 1) * leg}`);
  assert.equal(log, expected);
  const n = s.ch.counts();
  assert.is(n.sends, legs);
  assert.is(n.upcalls, legs);
  assert.is(n.coalesced, 0);
  // Same inputs, same event sequence.
  assert.is(run().fp, fp);
});

test('events on one channel are handled in the order raised, each a fixed latency after its send', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  const t0 = s.sim.now;
  const leg = s.rt + s.costs.eventDelivery + s.costs.upcall;
  const gap = leg + 1; // each send after the previous event was handled: no merging
  const sentAt: number[] = [];
  const handledAt: number[] = [];
  s.ch.onEvent(s.b, bPort, () => handledAt.push(s.sim.now - t0));
  s.sim.process((function* () {
    for (let i = 0; i < 5; i++) {
      sentAt.push(s.sim.now - t0);
      yield* s.ch.notify(s.a, aPort);
      yield gap - s.rt;
    }
  })());
  s.sim.run();
  assert.equal(handledAt, sentAt.map((t) => t + leg));
  assert.equal(s.ch.portCounts(s.b, bPort), { raised: 5, coalesced: 0, delivered: 5 });
});

test('pending bit: notifications before the event is handled merge into one; after, a new event', () => {
  const s = setup([2, 1]);
  const { aPort, bPort } = connect(s);
  const t0 = s.sim.now;
  const { rt } = s;
  const { eventDelivery: d, upcall: u } = s.costs;
  const handled: number[] = [];
  s.ch.onEvent(s.b, bPort, () => handled.push(s.sim.now - t0));
  const notifyAt = (at: number) => s.sim.process((function* () { yield at; yield* s.ch.notify(s.a, aPort); })());
  // Three at once on A's two vCPUs: sends end at rt, rt and 2rt, all before the event is handled at rt + d + u.
  notifyAt(0); notifyAt(0); notifyAt(0);
  // Ends 1 ps before the handler runs (the bit is still set during the upcall): merged.
  notifyAt(d + u - 1);
  // Ends 1 ps after the handler cleared the bit: a new event.
  notifyAt(d + u + 1);
  s.sim.run();
  const first = rt + d + u;
  assert.equal(handled, [first, first + 1 + d + u]);
  assert.equal(s.ch.portCounts(s.b, bPort), { raised: 5, coalesced: 3, delivered: 2 });
  const n = s.ch.counts();
  assert.is(n.sends, 5);
  assert.is(n.coalesced, 3);
  assert.is(n.upcalls, 2);
  // Delivery is charged once per event, not per notify.
  assert.is(s.xen.attribution.get(EVENT_CHANNEL), 2 * d);
});

test('wait(): succeeds at delivery; an event nobody waited for is latched for the next wait', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  const t0 = s.sim.now;
  const leg = s.rt + s.costs.eventDelivery + s.costs.upcall;
  const woke: number[] = [];
  s.sim.process((function* () {
    const port = yield s.ch.wait(s.b, bPort);
    assert.is(port, bPort);
    woke.push(s.sim.now - t0);
  })());
  s.sim.process(s.ch.notify(s.a, aPort));
  s.sim.run();
  assert.equal(woke, [leg]);
  // Nobody waits now: the next event is latched, and a later wait returns at once.
  s.sim.process(s.ch.notify(s.a, aPort));
  s.sim.run();
  assert.is(s.ch.counts().latched, 1);
  const t1 = s.sim.now;
  let at = -1;
  s.sim.process((function* () { yield 5_000_000; yield s.ch.wait(s.b, bPort); at = s.sim.now - t1; })());
  s.sim.run();
  assert.is(at, 5_000_000);
});

test('using a port a domain does not have is a model bug, not an outcome', () => {
  const s = setup();
  assert.throws(() => s.ch.onEvent(s.a, 7, () => {}), /no event-channel port 7/);
  assert.throws(() => s.ch.wait(s.b, 0), /no event-channel port 0/);
});

test('counts from zero: allocs, binds, closes, sends, failures; the errors are -EINVAL (-22) and -ENOSPC (-28)', () => {
  const s = setup();
  assert.equal(s.ch.counts(), { allocs: 0, binds: 0, closes: 0, failures: 0, sends: 0, dropped: 0, coalesced: 0, upcalls: 0, latched: 0 });
  const { aPort } = connect(s);
  runToEnd(s.sim, (function* () {
    assert.is(yield* s.ch.notify(s.a, aPort), 0);
    assert.is(yield* s.ch.close(s.a, aPort), 0);
    assert.is(yield* s.ch.close(s.a, aPort), -22);
  })());
  assert.equal(s.ch.counts(), { allocs: 1, binds: 1, closes: 1, failures: 1, sends: 1, dropped: 0, coalesced: 0, upcalls: 1, latched: 1 });
  assert.equal(EVTCHN_ERR, { EINVAL: -22, ENOSPC: -28 });
});

test('a domain has ports 1 to 4095 under the 2-level ABI (64 × 64 bits); the next alloc is -ENOSPC, counted; a closed port is reused', () => {
  const s = setup();
  const ports = runToEnd(s.sim, (function* () {
    const got: number[] = [];
    for (let i = 0; i < EVTCHN_2L_NR_CHANNELS; i++) got.push(yield* s.ch.allocUnbound(s.a, s.b));
    return got;
  })());
  assert.is(EVTCHN_2L_NR_CHANNELS, 4096);
  assert.equal(ports.slice(0, 2), [1, 2]);
  assert.is(ports[4094], 4095);
  assert.is(ports[4095], EVTCHN_ERR.ENOSPC);
  assert.equal([s.ch.counts().allocs, s.ch.counts().failures], [4095, 1]);
  assert.is(runToEnd(s.sim, (function* () { yield* s.ch.close(s.a, 77); return yield* s.ch.allocUnbound(s.a, s.b); })()), 77);
});

test('the latch serves one wait: the wait after it sleeps until the next delivery; an event a waiter took latches nothing', () => {
  const s = setup();
  const { aPort, bPort } = connect(s);
  const leg = s.rt + s.costs.eventDelivery + s.costs.upcall;
  // One waiter: woken, nothing latched.
  let woke = -1;
  const t0 = s.sim.now;
  s.sim.process((function* () { yield s.ch.wait(s.b, bPort); woke = s.sim.now - t0; })());
  s.sim.process(s.ch.notify(s.a, aPort));
  s.sim.run();
  assert.is(woke, leg);
  assert.is(s.ch.counts().latched, 0);
  // Nobody waiting: latched; the first wait takes it at once, the second sleeps until the next event.
  s.sim.process(s.ch.notify(s.a, aPort));
  s.sim.run();
  const t1 = s.sim.now;
  const times: number[] = [];
  s.sim.process((function* () {
    yield s.ch.wait(s.b, bPort);
    times.push(s.sim.now - t1);
    yield s.ch.wait(s.b, bPort);
    times.push(s.sim.now - t1);
  })());
  s.sim.process((function* () { yield 7_000_000; yield* s.ch.notify(s.a, aPort); })());
  s.sim.run();
  assert.equal(times, [0, 7_000_000 + leg]);
});

test.run();

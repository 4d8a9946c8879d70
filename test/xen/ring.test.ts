/**
 * Shared rings: slot counts from the page and message sizes, a full ring
 * refusing pushes without overwriting, ring.h's notification suppression
 * (counted without time), and the timed ring over an event channel.
 */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { xenChannelCostParams } from '../../models/xen/channel-costs.js';
import { xenCostParams } from '../../models/xen/costs.js';
import { EventChannels } from '../../models/xen/event-channel.js';
import { Hypervisor } from '../../models/xen/hypervisor.js';
import { connectRing, RING, RING_HEADER_BYTES, ringSlots, SharedRing, XenRing } from '../../models/xen/ring.js';

const PAGE = 4096;

test('slots: 64-byte messages give 32, 268-byte messages give 8 (SOURCES.md)', () => {
  assert.is(RING_HEADER_BYTES, 64);
  assert.is(ringSlots(PAGE, RING_HEADER_BYTES, 64), 32);
  assert.is(ringSlots(PAGE, RING_HEADER_BYTES, 268), 8);
});

test('slots: the largest power of two that fits after the header, 0 if none does', () => {
  // blkif's 112-byte request: 4032 / 112 = 36 -> 32 slots, as blkfront's ring has.
  assert.is(ringSlots(PAGE, 64, 112), 32);
  assert.is(ringSlots(PAGE, 64, 63), 64);   // 64 fit exactly
  assert.is(ringSlots(PAGE, 64, 2016), 2);  // exactly 2
  assert.is(ringSlots(PAGE, 64, 2017), 1);
  assert.is(ringSlots(PAGE, 64, 4032), 1);
  assert.is(ringSlots(PAGE, 64, 4033), 0);
  assert.is(ringSlots(PAGE, 64, 1), 2048);  // 4032 fit
  assert.is(ringSlots(65536, 64, 64), 512); // 64 KiB page: 1023 fit
  assert.throws(() => new SharedRing(PAGE, 4033), /does not fit/);
  assert.throws(() => ringSlots(PAGE, 64, 0), /positive/);
});

test('a full ring refuses the push, counts it and overwrites nothing', () => {
  const r = new SharedRing<string, string>(PAGE, 268);
  assert.is(r.size, 8);
  for (let i = 0; i < 8; i++) assert.ok(r.pushRequest(`req${i}`));
  assert.ok(r.isFull());
  assert.is(r.pushRequest('req8'), false);
  assert.is(r.pushRequest('req9'), false);
  assert.is(r.counts().fullRejects, 2);
  assert.is(r.counts().requestsPushed, 8);
  assert.equal(Array.from({ length: 8 }, (_, i) => r.slot(i)), ['req0', 'req1', 'req2', 'req3', 'req4', 'req5', 'req6', 'req7']);
  r.publishRequests();
  // The back end answers req0 over its slot: still full until the front consumes the response.
  assert.is(r.takeRequest(), 'req0');
  r.pushResponse('rsp0');
  r.publishResponses();
  assert.is(r.slot(0), 'rsp0');
  assert.is(r.pushRequest('req8'), false);
  assert.is(r.counts().fullRejects, 3);
  assert.is(r.takeResponse(), 'rsp0');
  assert.is(r.freeRequests(), 1);
  assert.ok(r.pushRequest('req8'));
  assert.is(r.slot(0), 'req8'); // index 8 wraps to slot 0
  assert.is(r.slot(1), 'req1');
});

test('a response with no consumed request to answer is a model bug', () => {
  const r = new SharedRing(PAGE, 64);
  assert.throws(() => r.pushResponse('x'), /no consumed request/);
});

test('suppression: N requests pushed while the consumer is busy give one notification', () => {
  const r = new SharedRing<number, number>(PAGE, 64);
  // The consumer has gone idle (req_event = req_cons + 1 = 1, as SHARED_RING_INIT leaves it).
  assert.is(r.finalCheckForRequests(), false);
  const notified: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    r.pushRequest(i);
    notified.push(r.publishRequests());
  }
  assert.equal(notified, [true, false, false, false, false]);
  // The consumer works through them, then goes idle again and asks for the next one.
  const got: number[] = [];
  while (r.unconsumedRequests() > 0) got.push(r.takeRequest()!);
  assert.equal(got, [0, 1, 2, 3, 4]);
  assert.is(r.finalCheckForRequests(), false);
  assert.is(r.indices().reqEvent, 6);
  r.pushRequest(5);
  r.pushRequest(6);
  assert.is(r.publishRequests(), true); // two pushed, one publish, one notification
  assert.is(r.publishRequests(), false); // nothing new to publish
  const n = r.counts();
  assert.is(n.requestPublishes, 6);
  assert.is(n.requestNotifies, 2);
  assert.is(n.requestsPushed, 7);
});

test('suppression: a consumer that has not gone idle is not notified; the final check finds the work', () => {
  const r = new SharedRing<number, number>(PAGE, 64);
  r.pushRequest(1);
  assert.is(r.publishRequests(), true);
  assert.is(r.takeRequest(), 1);
  // Consumer still busy (no final check): a new request needs no notification...
  r.pushRequest(2);
  assert.is(r.publishRequests(), false);
  // ...because its final check sees it before sleeping.
  assert.is(r.finalCheckForRequests(), true);
  assert.is(r.takeRequest(), 2);
  // Responses work the same way, against rsp_event.
  r.pushResponse(10);
  assert.is(r.publishResponses(), true);
  r.pushResponse(20);
  assert.is(r.publishResponses(), false);
  assert.is(r.finalCheckForResponses(), true);
  assert.equal([r.takeResponse(), r.takeResponse(), r.takeResponse()], [10, 20, undefined]);
  assert.is(r.finalCheckForResponses(), false);
  assert.is(r.indices().rspEvent, 3);
  assert.equal(r.indices(), { reqProd: 2, reqEvent: 1, rspProd: 2, rspEvent: 3, reqProdPvt: 2, rspCons: 2, rspProdPvt: 2, reqCons: 2 });
});

test('indices wrap as 32-bit counters without breaking fullness, suppression or slot order', () => {
  // Start 3 short of 2^32 on a 2-slot ring, so req_prod, rsp_prod and both events wrap along the way.
  const start = 2 ** 32 - 3;
  const r = new SharedRing<number, number>(PAGE, 2016, RING_HEADER_BYTES, start);
  assert.is(r.size, 2);
  let sent = 0;
  const got: number[] = [];
  for (let i = 0; i < 4; i++) {
    assert.is(r.finalCheckForRequests(), false);
    assert.ok(r.pushRequest(sent++));
    assert.ok(r.pushRequest(sent++));
    assert.is(r.pushRequest(-1), false);
    assert.is(r.publishRequests(), true); // the consumer was idle: one notification per round
    got.push(r.takeRequest()!, r.takeRequest()!);
    assert.is(r.takeRequest(), undefined);
    r.pushResponse(0); r.pushResponse(0);
    assert.is(r.publishResponses(), true); // the front went idle at the end of the last round
    assert.is(r.finalCheckForResponses(), true);
    r.takeResponse(); r.takeResponse();
    assert.is(r.finalCheckForResponses(), false);
  }
  assert.equal(got, [0, 1, 2, 3, 4, 5, 6, 7]);
  // 8 requests after 2^32 - 3: the indices now read 5.
  assert.equal(r.indices(), { reqProd: 5, reqEvent: 4, rspProd: 5, rspEvent: 6, reqProdPvt: 5, rspCons: 5, rspProdPvt: 5, reqCons: 5 });
  const n = r.counts();
  assert.is(n.fullRejects, 4);
  assert.is(n.requestNotifies, 4);
  assert.is(n.responseNotifies, 4);
});

function setup() {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenCostParams, 'xen-x86'));
  const costs = presetParams(xenChannelCostParams, 'xen-x86');
  const ch = new EventChannels(xen, costs);
  const opts = { kind: 'hvm' as const, vcpus: 1, grantVersion: 1 as const, maxGrantFrames: 64, maptrackLimit: 262144 };
  return { sim, xen, costs, ch, a: xen.createDomain('A', opts), b: xen.createDomain('B', opts), rt: xen.roundTripPs };
}

function connected<Req, Rsp>(s: ReturnType<typeof setup>, messageBytes: number): XenRing<Req, Rsp> {
  const p = s.sim.process(connectRing<Req, Rsp>(s.ch, s.a, s.b, messageBytes));
  s.sim.run();
  assert.ok(p.value instanceof XenRing);
  return p.value as XenRing<Req, Rsp>;
}

test('timed ring: requests pushed while the back end works cost one notification; times exact', () => {
  const s = setup();
  const ring = connected<number, number>(s, 64);
  assert.is(ring.ring.size, 32);
  assert.is(ring.ring.pageBytes, s.xen.costs.pageBytes);
  const t0 = s.sim.now;
  const copy = s.costs.ringCopyPerMessage;
  const work = 50_000_000; // 50 µs of back-end work per request
  const batches: { at: number; reqs: number[] }[] = [];
  const responses: number[] = [];

  // Back end: sleep until requests come, take them all, work, answer.
  s.sim.process((function* (): ProcessBody<void> {
    for (;;) {
      yield* ring.awaitRequests();
      const at = s.sim.now - t0;
      const reqs = yield* ring.takeRequests();
      batches.push({ at, reqs });
      yield* s.b.vcpus.use(work * reqs.length);
      yield* ring.sendResponses(reqs.map((r) => r * 10));
    }
  })());
  // Front end: one request now, then four more 10 µs apart while the back end is busy; then collect all five answers.
  s.sim.process((function* (): ProcessBody<void> {
    for (let i = 1; i <= 5; i++) {
      assert.ok(yield* ring.sendRequest(i));
      if (i < 5) yield 10_000_000 - copy - (i === 1 ? s.rt : 0);
    }
    while (responses.length < 5) {
      yield* ring.awaitResponses();
      responses.push(...(yield* ring.takeResponses()));
    }
  })());
  s.sim.run();

  const firstWake = copy + s.rt + s.costs.eventDelivery + s.costs.upcall;
  // Second batch: after the first's copy-out, work, copy-in and the response notification's hypercall.
  const secondWake = firstWake + copy + work + copy + s.rt;
  assert.equal(batches, [{ at: firstWake, reqs: [1] }, { at: secondWake, reqs: [2, 3, 4, 5] }]);
  assert.equal(responses, [10, 20, 30, 40, 50]);
  const n = ring.ring.counts();
  assert.is(n.requestPublishes, 5);
  assert.is(n.requestNotifies, 1);
  assert.is(n.responsePublishes, 2);
  assert.is(n.responseNotifies, 2);
  assert.equal(s.ch.portCounts(s.b, ring.back.port), { raised: 1, coalesced: 0, delivered: 1 });
  // 5 requests copied in and out, 5 responses copied in and out.
  assert.is(s.xen.attribution.get(RING), 20 * copy);
});

test('timed ring: a batch larger than the free slots stops at the full ring, counted, copying only what went in', () => {
  const s = setup();
  const ring = connected<number, number>(s, 268);
  const t0 = s.sim.now;
  const p = s.sim.process(ring.sendRequests([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  s.sim.run();
  assert.is(p.value, 8);
  assert.is(ring.ring.counts().fullRejects, 1);
  assert.is(s.xen.attribution.get(RING), 8 * s.costs.ringCopyPerMessage);
  // Copies, then one notify hypercall; the back end was never told to wait, so this one notification is all.
  assert.is(ring.ring.counts().requestNotifies, 1);
  assert.is(s.sim.now - t0, 8 * s.costs.ringCopyPerMessage + s.rt + s.costs.eventDelivery + s.costs.upcall);
  const full = s.sim.process(ring.sendRequest(99));
  s.sim.run();
  assert.is(full.value, false);
  assert.is(ring.ring.counts().fullRejects, 2);
});

test('timed ring: takeRequests and takeResponses take at most `max`, the rest left for the next take; answering nothing publishes nothing and notifies nobody', () => {
  const s = setup();
  const ring = connected<number, number>(s, 64);
  const p = s.sim.process((function* (): ProcessBody<number[][]> {
    yield* ring.sendRequests([1, 2, 3]);
    const first = yield* ring.takeRequests(2);
    const rest = yield* ring.takeRequests(2);
    yield* ring.sendResponses([10, 20, 30]);
    const sends = s.ch.counts().sends;
    yield* ring.sendResponses([]);
    assert.is(s.ch.counts().sends, sends, 'no notify for an empty batch');
    const one = yield* ring.takeResponses(1);
    const others = yield* ring.takeResponses();
    return [first, rest, one, others];
  })());
  s.sim.run();
  assert.equal(p.value, [[1, 2], [3], [10], [20, 30]]);
  assert.is(ring.ring.counts().responsePublishes, 1);
});

test('final checks: one unconsumed message is work (no notification asked for); none asks for the next one', () => {
  const r = new SharedRing<number, number>(PAGE, 64);
  assert.is(r.finalCheckForRequests(), false);
  assert.is(r.indices().reqEvent, 1, 'asks to be told of the next request');
  r.pushRequest(1);
  assert.is(r.publishRequests(), true);
  assert.is(r.finalCheckForRequests(), true);
  r.pushRequest(2);
  r.publishRequests();
  r.takeRequest();
  r.takeRequest();
  r.pushResponse(10);
  r.pushResponse(20);
  assert.is(r.publishResponses(), true, 'the front end asked (rsp_event starts at 1)');
  r.takeResponse();
  assert.is(r.finalCheckForResponses(), true, 'one response published and not taken');
  assert.is(r.indices().rspEvent, 1, 'work found: no new request for a notification');
  r.takeResponse();
  assert.is(r.finalCheckForResponses(), false);
  assert.is(r.indices().rspEvent, 3, 'rsp_cons + 1');
});

test.run();

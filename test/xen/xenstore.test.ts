/**
 * Xenstore: every request one xenstored round trip, served FIFO one at a
 * time; watches fire once when set, then after each change under their
 * path, a watch-fire latency later; listings sorted.
 */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { xenChannelCostParams } from '../../models/xen/channel-costs.js';
import { xenCostParams } from '../../models/xen/costs.js';
import { Hypervisor } from '../../models/xen/hypervisor.js';
import { domainHome, XENSTORE, Xenstore, type XsWatch } from '../../models/xen/xenstore.js';

function setup() {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenCostParams, 'xen-x86'));
  const costs = presetParams(xenChannelCostParams, 'xen-x86');
  const xs = new Xenstore(xen, costs);
  const opts = { kind: 'hvm' as const, vcpus: 1, grantVersion: 1 as const, maxGrantFrames: 64, maptrackLimit: 262144 };
  const dom0 = xen.createDomain('dom0', { ...opts, kind: 'dom0' });
  const a = xen.createDomain('A', opts);
  const b = xen.createDomain('B', opts);
  return { sim, xen, costs, xs, dom0, a, b, R: costs.xenstoreRequest, F: costs.xenstoreWatchFire };
}

function runToEnd<R>(sim: Simulation, body: ProcessBody<R>): R {
  const p = sim.process(body);
  sim.run();
  assert.ok(p.triggered);
  return p.value as R;
}

test('the channel costs: each described as an estimate; durations parsed to ps', () => {
  assert.equal(Object.keys(xenChannelCostParams.shape).sort(), ['eventDelivery', 'ringCopyPerMessage', 'upcall', 'xenstoreRequest', 'xenstoreWatchFire']);
  for (const [k, s] of Object.entries(xenChannelCostParams.shape)) assert.match(s.description ?? '', /est\./, k);
  const parsed = presetParams(xenChannelCostParams, 'xen-x86', { eventDelivery: '40 us', upcall: 500_000 });
  assert.is(parsed.eventDelivery, 40_000_000);
  assert.is(parsed.upcall, 500_000);
});

test('write then read: one round trip each; parents created; relative paths under the domain home', () => {
  const s = setup();
  const r = runToEnd(s.sim, (function* () {
    yield* s.xs.write(s.a, 'data/ring-ref', '8');
    const t1 = s.sim.now;
    const v = yield* s.xs.read(s.b, `${domainHome(s.a.id)}/data/ring-ref`);
    const missing = yield* s.xs.read(s.b, '/nowhere');
    return { t1, v, missing };
  })());
  assert.is(r.t1, s.R);
  assert.is(r.v, '8');
  assert.is(r.missing, undefined);
  assert.is(s.sim.now, 3 * s.R);
  const home = domainHome(s.a.id);
  assert.equal(s.xs.paths(), ['/', '/local', '/local/domain', home, `${home}/data`, `${home}/data/ring-ref`]);
  assert.is(s.xs.peek(`${home}/data`), '');
  assert.is(s.xen.attribution.get(XENSTORE), 3 * s.R);
  assert.equal(s.xs.counts().byOp, { read: 2, write: 1 });
});

test('directory lists children sorted by code units, whatever order they were written in', () => {
  const s = setup();
  const names = ['event-channel', 'Zeta', 'ring-ref', 'b', 'a10', 'a9'];
  const list = runToEnd(s.sim, (function* () {
    for (const n of names) yield* s.xs.write(s.dom0, `/backend/vdisplay/1/${n}`, 'x');
    yield* s.xs.write(s.dom0, '/backend/vdisplay/1/ring-ref/nested', 'y');
    return [yield* s.xs.directory(s.a, '/backend/vdisplay/1'), yield* s.xs.directory(s.a, '/'), yield* s.xs.directory(s.a, '/missing')];
  })());
  assert.equal(list, [['Zeta', 'a10', 'a9', 'b', 'event-channel', 'ring-ref'], ['backend'], undefined]);
});

test('concurrent requests queue FIFO at the single xenstored', () => {
  const s = setup();
  const done: string[] = [];
  // Three domains ask at the same instant, in this order.
  for (const d of [s.b, s.a, s.dom0]) {
    s.sim.process((function* () { yield* s.xs.read(d, 'name'); done.push(`${d.name}@${s.sim.now}`); })());
  }
  // One more arrives while the first is being served.
  s.sim.process((function* () { yield s.R / 2; yield* s.xs.write(s.a, 'late', '1'); done.push(`late@${s.sim.now}`); })());
  s.sim.run();
  assert.equal(done, [`B@${s.R}`, `A@${2 * s.R}`, `dom0@${3 * s.R}`, `late@${4 * s.R}`]);
  const n = s.xs.counts();
  assert.is(n.requests, 4);
  assert.is(n.queued, 3);
  assert.is(n.maxQueue, 3);
  // Waits: R, 2R, and 3R - R/2.
  assert.is(n.queueWaitPs, s.R + 2 * s.R + (3 * s.R - s.R / 2));
  assert.ok(Math.abs(s.xs.xenstored.utilization() - 1) < 1e-12);
});

test('a watch fires once when set, then a fire latency after each write under its path, in order', () => {
  const s = setup();
  const events: string[] = [];
  const dir = `${domainHome(s.a.id)}/hyper_dmabuf`;
  s.sim.process((function* () {
    const w: XsWatch = yield* s.xs.watch(s.b, dir);
    for (;;) {
      const path: string = yield w.next();
      events.push(`${path}@${s.sim.now}`);
    }
  })());
  s.sim.process((function* () {
    yield* s.xs.write(s.a, 'hyper_dmabuf/ring-ref', '12');      // served R..2R
    yield* s.xs.write(s.a, 'hyper_dmabuf-other', 'no');         // a sibling with the same prefix: no event
    yield* s.xs.write(s.a, 'hyper_dmabuf/port', '5');           // served 3R..4R
  })());
  s.sim.run();
  assert.equal(events, [
    `${dir}@${s.R + s.F}`,
    `${dir}/ring-ref@${2 * s.R + s.F}`,
    `${dir}/port@${4 * s.R + s.F}`,
  ]);
  assert.is(s.xs.counts().watchEvents, 3);
});

test('a peer sets a watch, then reads the keys it fires for (hyper_dmabuf channel setup)', () => {
  const s = setup();
  const base = `${domainHome(s.a.id)}/hyper_dmabuf/${s.b.id}`;
  let found: [string | undefined, string | undefined] = [undefined, undefined];
  let at = -1;
  // Importer B: watch, and on each event check both keys; done once both exist.
  s.sim.process((function* () {
    const w = yield* s.xs.watch(s.b, base);
    for (;;) {
      yield w.next();
      const ref = yield* s.xs.read(s.b, `${base}/grefid`);
      const port = yield* s.xs.read(s.b, `${base}/port`);
      if (ref !== undefined && port !== undefined) { found = [ref, port]; at = s.sim.now; return; }
    }
  })());
  // Exporter A: two writes.
  s.sim.process((function* () {
    yield* s.xs.write(s.a, `${base}/grefid`, '2049');
    yield* s.xs.write(s.a, `${base}/port`, '3');
  })());
  s.sim.run();
  assert.equal(found, ['2049', '3']);
  // xenstored: watch(B) 0..R, A's grefid write R..2R. The initial event reaches B at R+F and its read of
  // grefid queues behind the write: 2R..3R. A's port write arrived at 2R: 3R..4R. B's read of port
  // queues behind it: 4R..5R, and finds both keys.
  assert.is(at, 5 * s.R);
  assert.equal(s.xs.counts().byOp, { read: 2, watch: 1, write: 2 });
});

test('rm removes a subtree and fires watches on it, above it and below it', () => {
  const s = setup();
  const got: Record<string, string[]> = {};
  const watchers: [string, string][] = [['above', '/a'], ['at', '/a/b'], ['below', '/a/b/c/d'], ['elsewhere', '/z']];
  const r = runToEnd(s.sim, (function* () {
    yield* s.xs.write(s.dom0, '/a/b/c/d', '1');
    yield* s.xs.write(s.dom0, '/z', '1');
    const ws: XsWatch[] = [];
    for (const [, p] of watchers) ws.push(yield* s.xs.watch(s.dom0, p));
    yield s.F; // initial events in
    for (let i = 0; i < ws.length; i++) { yield ws[i]!.next(); }
    const removed = yield* s.xs.rm(s.dom0, '/a/b');
    const again = yield* s.xs.rm(s.dom0, '/a/b');
    yield s.F;
    // next() on a watch with events queued succeeds at once, its value set already.
    ws.forEach((w, i) => { got[watchers[i]![0]] = []; while (w.queued > 0) got[watchers[i]![0]]!.push(String(w.next().value ?? '')); });
    return { removed, again };
  })());
  assert.equal(r, { removed: true, again: false });
  assert.equal(got, { above: ['/a/b'], at: ['/a/b'], below: ['/a/b/c/d'], elsewhere: [] });
  assert.equal(s.xs.paths(), ['/', '/a', '/z']);
});

test('a relative watch reports relative paths; unwatch drops events not yet delivered', () => {
  const s = setup();
  const seen: string[] = [];
  let watch: XsWatch | undefined;
  s.sim.process((function* () {
    watch = yield* s.xs.watch(s.b, 'device');                  // 0..R, initial event at R+F
    for (;;) seen.push(yield watch.next());
  })());
  s.sim.process((function* () {
    yield* s.xs.write(s.b, 'device/vdispl/0/state', '1');      // R..2R, event at 2R+F
    yield* s.xs.unwatch(watch!);                                // 2R..3R: takes effect after the event arrived at 2R+F
    yield* s.xs.write(s.b, 'device/vdispl/0/state', '4');      // 3R..4R: watch gone, no event
  })());
  s.sim.run();
  assert.ok(s.F < s.R);
  assert.equal(seen, ['device', 'device/vdispl/0/state']);
  const n = s.xs.counts();
  assert.is(n.watchEvents, 2);
  assert.is(n.watchEventsDropped, 0);

  // With a slow fire path the event in flight at unwatch is dropped.
  const t = setup();
  const slow = new Xenstore(t.xen, { ...t.costs, xenstoreWatchFire: 3 * t.R });
  const seen2: string[] = [];
  t.sim.process((function* () {
    const w = yield* slow.watch(t.b, '/x');                     // 0..R, initial event at 4R
    t.sim.process((function* () { for (;;) seen2.push(yield w.next()); })());
    yield* slow.unwatch(w);                                     // R..2R: the initial event is still in flight
  })());
  t.sim.run();
  assert.equal(seen2, []);
  assert.equal([slow.counts().watchEvents, slow.counts().watchEventsDropped], [0, 1]);
});

test('malformed paths are model bugs', () => {
  const s = setup();
  assert.throws(() => s.xs.resolve(s.a, ''), /malformed/);
  assert.throws(() => s.xs.resolve(s.a, '/a/'), /malformed/);
  assert.throws(() => s.xs.resolve(s.a, '/a//b'), /malformed/);
  assert.is(s.xs.resolve(s.a, 'x/y'), `${domainHome(s.a.id)}/x/y`);
});

test('a write above a watched path fires nothing (only a removal does); the watch counts what reached it', () => {
  const s = setup();
  const dir = `${domainHome(s.a.id)}/hyper_dmabuf`;
  let watch: XsWatch | undefined;
  s.sim.process((function* () { watch = yield* s.xs.watch(s.b, `${dir}/ring-ref`); })());
  s.sim.run();
  runToEnd(s.sim, (function* () {
    yield* s.xs.write(s.a, 'hyper_dmabuf', 'x');            // the watched key's parent
    yield* s.xs.write(s.a, 'hyper_dmabuf/ring-ref', '12');  // the key itself
  })());
  assert.is(watch!.fired, 2, 'the event on setting it, and the key\'s write');
  assert.is(s.xs.counts().watchEvents, 2);
});

test.run();

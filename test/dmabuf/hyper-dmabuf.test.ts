/**
 * hyper_dmabuf as generator processes: the channel setup, a whole
 * export → import → 14 ops → unexport cycle with exact hypercall and
 * message counts, remote sync waited / not waited / absent, time-outs that
 * end the run, the NEW_IMPORT queue, deferred unexport in both designs, the
 * local query, and determinism.
 */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { ms, s as sec } from '../../src/sim/time.js';
import { xenChannelCostParams } from '../../models/xen/channel-costs.js';
import { xenCostParams } from '../../models/xen/costs.js';
import { EVTCHN_2L_NR_CHANNELS, EventChannels, FIRST_PORT } from '../../models/xen/event-channel.js';
import { GrantOps } from '../../models/xen/gnttab.js';
import { Hypervisor } from '../../models/xen/hypervisor.js';
import { Xenstore } from '../../models/xen/xenstore.js';
import { layout } from '../../models/dmabuf/gref-schemes.js';
import { defaultHyperDmabufCosts, hyperDmabufCostParams } from '../../models/dmabuf/hyper-dmabuf-costs.js';
import {
  DMA_BUF, DMABUF_OPS, ERRNO, HID_BYTES, hidDomain, HyperDmabuf, MAX_SIZE_PRIV_DATA, MESSAGE_BYTES, POLL_WAIT, ringDetailsPath,
  type Design, type DmabufOp, type ExportResult, type Hid,
} from '../../models/dmabuf/hyper-dmabuf.js';

interface Setup {
  design?: Design;
  syncWait?: boolean;
  costs?: Record<string, unknown>;
  fingerprint?: boolean;
  seed?: number;
  /** guest-b's maptrack limit (the importer's mappings). */
  importerMaptrack?: number;
}

function setup(o: Setup = {}) {
  const sim = new Simulation({ fingerprint: o.fingerprint ?? false, seed: o.seed ?? 1 });
  const xen = new Hypervisor(sim, presetParams(xenCostParams, 'xen-x86'));
  const ch = presetParams(xenChannelCostParams, 'xen-x86');
  const ops = new GrantOps(xen);
  const evtchn = new EventChannels(xen, ch);
  const xs = new Xenstore(xen, ch);
  const costs = hyperDmabufCostParams.parse(o.costs ?? {});
  const hd = new HyperDmabuf(xen, ops, evtchn, xs, costs, { design: o.design ?? 'import-and-forward', syncWait: o.syncWait ?? false });
  const opts = { kind: 'hvm' as const, vcpus: 2, grantVersion: 1 as const, maxGrantFrames: 64, maptrackLimit: 262_144 };
  const a = xen.createDomain('guest-a', opts);
  const b = xen.createDomain('guest-b', { ...opts, maptrackLimit: o.importerMaptrack ?? opts.maptrackLimit });
  return { sim, xen, ch, ops, evtchn, xs, costs, hd, a, b, rt: xen.roundTripPs };
}
type S = ReturnType<typeof setup>;

/** Runs `body` to the end of the simulation, which must drain (nothing may hang). */
function run<T>(s: S, body: () => ProcessBody<T>): T {
  const p = s.sim.process(body());
  const r = s.sim.run();
  assert.is(r.reason, 'empty', 'the run ends on its own');
  assert.ok(p.processed, 'the scenario finished');
  return p.value as T;
}

function ok(r: ExportResult): Extract<ExportResult, { ok: true }> {
  if (!r.ok) throw new Error(`export failed: ${r.reason} (${r.errno})`);
  return r;
}

const delta = (after: Record<string, number>, before: Record<string, number>, k: string) => (after[k] ?? 0) - (before[k] ?? 0);

test('sizes: 268-byte messages, 8 ring slots, 16-byte ids; the driver\'s costs from code where the code fixes them', () => {
  const s = setup();
  assert.is(MESSAGE_BYTES, 268);
  assert.is(s.hd.slots, 8);
  assert.is(HID_BYTES, 16);
  assert.is(MAX_SIZE_PRIV_DATA, 192);
  assert.is(DMABUF_OPS.length, 14);
  const d = defaultHyperDmabufCosts();
  assert.is(d.pollInterval, ms(0.1));
  assert.is(d.deferredEndRetry, sec(1));
  assert.is(d.pollLimit, 1000);
  assert.is(d.eventQueueDepth, 32);
});

test('channel setup: grant, unbound port, two writes and a watch; two reads, a map, a bind; times exact', () => {
  const s = setup();
  const t = run(s, function* () {
    const t0 = s.sim.now;
    assert.is(yield* s.hd.connectOneWay(s.a, s.b), 0);
    return s.sim.now - t0;
  });
  const x = s.xen.costs, c = s.ch;
  assert.is(t, x.grantWrite + s.rt + 5 * c.xenstoreRequest + (s.rt + x.mapPerOp) + s.rt);
  assert.equal(s.xs.counts().byOp, { read: 2, watch: 1, write: 2 });
  assert.equal(s.xen.counts().byOp, { 'event_channel_op:alloc_unbound': 1, 'event_channel_op:bind_interdomain': 1, 'grant_table_op:map': 1 });
  const ch = s.hd.channel(s.a, s.b)!;
  assert.is(s.xs.peek(`${ringDetailsPath(s.a.id, s.b.id)}/grefid`), String(ch.ringRef));
  assert.is(s.xs.peek(`${ringDetailsPath(s.a.id, s.b.id)}/port`), String(ch.ring.front.port));
  assert.is(s.a.grants.used, 1);
  assert.is(s.b.maptrack.used, 1);
  assert.is(s.evtchn.stateOf(s.a, ch.ring.front.port), 'interdomain');
  assert.is(s.hd.channel(s.b, s.a), undefined, 'one direction only');
  // connect() sets up both; the existing direction is kept.
  run(s, function* () { assert.is(yield* s.hd.connect(s.a, s.b), 0); });
  assert.is(s.hd.counts().channels, 2);
  assert.is(s.xen.counts().byOp['grant_table_op:map'], 2);
});

test('channel setup with no event-channel port free: -EIO and no channel, on either side; the sender without a port ends its ring page\'s grant; export over the pair finds no channel', () => {
  /** Takes every port `dom` has (1 to 4095 under the 2-level ABI). */
  function* fillPorts(s: S, dom: S['a'], remote: S['a']): ProcessBody<void> {
    for (let port = FIRST_PORT; port < EVTCHN_2L_NR_CHANNELS; port++) assert.ok((yield* s.evtchn.allocUnbound(dom, remote)) > 0);
  }
  // The sender (xen_be_init_tx_rbuf) cannot open its unbound port.
  const tx = setup();
  const txOut = run(tx, function* () {
    yield* fillPorts(tx, tx.a, tx.b);
    const rc = yield* tx.hd.connectOneWay(tx.a, tx.b);
    return { rc, exported: yield* tx.hd.export(tx.a, tx.b, 1) };
  });
  assert.is(txOut.rc, ERRNO.EIO);
  assert.equal(txOut.exported, { ok: false, errno: ERRNO.ENOENT, reason: 'no-channel' });
  assert.is(tx.hd.channel(tx.a, tx.b), undefined);
  assert.is(tx.hd.counts().channels, 0);
  assert.is(tx.a.grants.used, 0, 'the ring page\'s grant ended again');
  assert.is(tx.b.maptrack.used, 0, 'the receiver never got as far as mapping it');
  assert.equal(tx.xs.counts().byOp, {}, 'nothing written to xenstore');

  // The receiver (xen_be_init_rx_rbuf) maps the ring page but cannot bind the sender's port.
  const rx = setup();
  const rxOut = run(rx, function* () {
    yield* fillPorts(rx, rx.b, rx.a);
    return yield* rx.hd.connect(rx.a, rx.b);
  });
  assert.is(rxOut, ERRNO.EIO, 'connect() stops at the first direction that fails');
  assert.is(rx.hd.channel(rx.a, rx.b), undefined);
  assert.is(rx.hd.channel(rx.b, rx.a), undefined, 'the reverse direction was never tried');
  assert.is(rx.hd.counts().channels, 0);
  assert.equal(rx.xen.counts().byOp['event_channel_op:bind_interdomain'], 1);
  assert.equal(rx.evtchn.counts().failures, 1, 'the bind, refused');
});

/** export → EXPORT_FD → `ops` in order → unexport, returning counters at each step. */
function cycle(s: S, pages: number, ops: readonly DmabufOp[]) {
  const marks: Record<string, { hyp: Record<string, number>; total: number; at: number }> = {};
  const mark = (name: string) => { const c = s.xen.counts(); marks[name] = { hyp: c.byOp, total: c.hypercalls, at: s.sim.now }; };
  const out = run(s, function* () {
    assert.is(yield* s.hd.connect(s.a, s.b), 0);
    mark('connected');
    const ex = ok(yield* s.hd.export(s.a, s.b, pages, 64));
    mark('exported');
    const fd = yield* s.hd.exportFd(s.b, ex.hid);
    assert.ok(fd.ok);
    mark('imported');
    for (const op of ops) assert.is(yield* s.hd.op(s.b, ex.hid, op), 0, op);
    mark('ops');
    assert.is(yield* s.hd.unexport(s.a, ex.hid, 0), 0);
    const leaked = yield ex.freed;
    mark('freed');
    return { hid: ex.hid, leaked: leaked as number };
  });
  return { ...out, marks };
}

test('a full cycle (import-and-forward, waited sync): exact hypercalls, messages and refs', () => {
  const s = setup({ syncWait: true });
  const N = 2025, L2 = Math.ceil(N / 1024), ENTRIES = N + L2 + 1;
  // Release last, so every other op still has an fd to act on.
  const ops = [...DMABUF_OPS.filter((o) => o !== 'release'), 'release' as const];
  const { marks, leaked, hid } = cycle(s, N, ops);
  assert.is(hidDomain(hid), s.a.id);
  assert.is(ENTRIES, layout('multilevel', N, 'design').grantEntries);
  const m = (from: string, to: string, k: string) => delta(marks[to]!.hyp, marks[from]!.hyp, k);

  // Connect, both directions: 2 × (alloc_unbound, map of the ring page, bind).
  assert.is(marks.connected!.total, 6);
  // Export: granting is no hypercall, but the table grows from 1 frame to hold ring + N + L2 + 1 refs.
  const frames = Math.ceil((1 + ENTRIES + 8) / 512);
  assert.is(s.a.grants.frames, frames);
  assert.is(m('connected', 'exported', 'grant_table_op:grow'), frames - 1);
  assert.is(s.a.grants.peakUsed, 1 + ENTRIES, 'N + ceil(N/1024) + 1 refs plus the ring page');
  // Import: 5 grant hypercalls, 3 of them (dependent) maps.
  assert.is(m('exported', 'imported', 'grant_table_op:map'), 3);
  assert.is(m('exported', 'imported', 'grant_table_op:unmap'), 2);
  // The 14 ops: the last release unmaps the data pages in one call.
  assert.is(m('imported', 'ops', 'grant_table_op:unmap'), 1);
  assert.is(m('imported', 'ops', 'grant_table_op:map'), 0);

  const n = s.hd.counts();
  assert.equal(n.messages, { EXPORT: 1, EXPORT_FD: 1, EXPORT_FD_FAILED: 0, NOTIFY_UNEXPORT: 1, OPS_TO_SOURCE: 14 });
  assert.is(n.messagesTotal, 17);
  assert.is(n.responses, 17);
  assert.is(n.unanswered, 0);
  assert.is(n.messageBytes, 34 * 268);
  assert.is(n.waits, 17);
  assert.is(n.timeouts, 0);
  // Every waited message costs one poll, except the replayed map: 5 µs + 2025 × 50 ns = 106 µs > one 100 µs interval.
  assert.ok(s.costs.mapAttachment + N * s.costs.mapAttachmentPerPage > s.costs.pollInterval);
  assert.is(n.polls, 18);
  assert.equal(Object.values(n.replays), new Array(14).fill(1));
  assert.equal([n.exports, n.imports, n.mapImports, n.unexports, n.cleanups, n.deferredEndRetries, n.leakedRefs], [1, 1, 1, 1, 1, 0, 0]);
  // Each of the 17 requests and 17 responses found its receiver asleep: one notification each.
  assert.is(s.xen.counts().byOp['event_channel_op:send'], 34);
  assert.is(s.xen.counts().hypercalls, 6 + (frames - 1) + 5 + 1 + 34);
  // All refs ended but the ring page's; each side still maps only the other's ring page.
  assert.is(leaked, 0);
  assert.is(s.a.grants.used, 1);
  assert.is(s.a.maptrack.used, 1);
  assert.is(s.b.maptrack.used, 1);
  assert.is(s.ops.counts().mapFailures, 0);
});

test('the exporter-only design: the same cycle sends no OPS_TO_SOURCE, replays nothing, and its ops are local', () => {
  const s = setup({ design: 'exporter-only', syncWait: true });
  const N = 2025;
  const ops = [...DMABUF_OPS.filter((o) => o !== 'release'), 'release' as const];
  const { marks, leaked } = cycle(s, N, ops);
  const n = s.hd.counts();
  assert.equal(n.messages, { EXPORT: 1, EXPORT_FD: 1, EXPORT_FD_FAILED: 0, NOTIFY_UNEXPORT: 1, OPS_TO_SOURCE: 0 });
  assert.is(n.responses, 3);
  assert.is(Object.values(n.replays).reduce((x, y) => x + y, 0), 0);
  assert.is(s.xen.counts().byOp['event_channel_op:send'], 6);
  assert.is(delta(marks.ops!.hyp, marks.imported!.hyp, 'grant_table_op:unmap'), 1, 'the release still unmaps');
  // 14 local ops: their own work only (map builds an sg_table), and the release's unmap.
  const c = s.costs;
  const opsTime = marks.ops!.at - marks.imported!.at;
  // Guests are HVM with 2 vCPUs: a shootdown (one IPI) per page unmapped.
  const unmap = s.rt + N * s.xen.costs.unmapPerOp + N * (s.xen.costs.ipiSendPerTarget + Math.max(s.xen.costs.tlbFlush, s.xen.costs.ipi));
  assert.is(opsTime, 14 * c.localOp + N * c.sgTablePerPage + unmap);
  // Released before the unexport: nothing is still mapped, nothing deferred.
  assert.is(leaked, 0);
  assert.is(n.deferredEndRetries, 0);
  assert.is(s.a.grants.used, 1);
});

/** 13 ops (all but release) after an import of `pages`; their time and the counters. */
function thirteenOps(o: Setup, pages: number) {
  const s = setup(o);
  const ops = DMABUF_OPS.filter((x) => x !== 'release');
  const t = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, pages));
    assert.ok((yield* s.hd.exportFd(s.b, ex.hid)).ok);
    const t0 = s.sim.now;
    for (const op of ops) assert.is(yield* s.hd.op(s.b, ex.hid, op), 0);
    return s.sim.now - t0;
  });
  return { s, t, n: s.hd.counts(), ops };
}

test('remote sync waited, not waited, or absent: message counts and latency', () => {
  const N = 256;
  const on = thirteenOps({ syncWait: true }, N);
  const off = thirteenOps({ syncWait: false }, N);
  const none = thirteenOps({ design: 'exporter-only' }, N);
  const c = on.s.costs, copy = on.s.ch.ringCopyPerMessage, rt = on.s.rt;
  const local = 13 * c.localOp + N * c.sgTablePerPage;
  // Waited: each op pushes (copy + notify) and sees its answer at the first poll, 100 µs later.
  assert.is(on.t, local + 13 * (copy + rt + c.pollInterval));
  // Not waited: the same 13 messages and answers, but the op returns after its push. The burst
  // outruns the exporter's replays, so the 8 slots fill and one sender sleeps a poll for a free slot.
  const offNotifies = off.s.hd.channel(off.s.b, off.s.a)!.ring.ring.counts().requestNotifies - 1; // less EXPORT_FD's
  const fullPolls = off.n.polls - 2; // less the waited EXPORT and EXPORT_FD
  assert.is(fullPolls, 1);
  assert.is(off.t, local + 13 * copy + offNotifies * rt + fullPolls * c.pollInterval);
  // Absent: local work only.
  assert.is(none.t, local);
  assert.ok(on.t > off.t + 11 * c.pollInterval && off.t > none.t);
  assert.equal([on.n.messages.OPS_TO_SOURCE, off.n.messages.OPS_TO_SOURCE, none.n.messages.OPS_TO_SOURCE], [13, 13, 0]);
  assert.equal([on.n.messagesTotal, off.n.messagesTotal, none.n.messagesTotal], [15, 15, 2]);
  // Waits: EXPORT and EXPORT_FD always, plus the 13 ops when waited.
  assert.equal([on.n.waits, off.n.waits, none.n.waits], [15, 2, 2]);
  assert.equal([on.n.responses, off.n.responses, none.n.responses], [15, 15, 2]);
  assert.equal([on.n.replays.map, off.n.replays.map, none.n.replays.map], [1, 1, 0]);
});

test('an importer that never answers EXPORT: -EBUSY after exactly 1000 polls, counted, refs ended, run ends', () => {
  for (const fault of ['silent', 'refuse'] as const) {
    const s = setup();
    const c = s.costs, x = s.xen.costs;
    const { r, t } = run(s, function* () {
      yield* s.hd.connect(s.a, s.b);
      s.hd.setFault(s.a, s.b, fault);
      const t0 = s.sim.now;
      const r = yield* s.hd.export(s.a, s.b, 1);
      return { r, t: s.sim.now - t0 };
    });
    assert.equal(r, { ok: false, errno: ERRNO.EBUSY, reason: 'export-message' });
    const source = c.dmabufGet + c.dmabufAttach + c.mapAttachment + c.mapAttachmentPerPage + c.extractPagesPerPage;
    const entries = 3; // 1 data page, 1 L2 page, the top page
    assert.is(t, c.syscall + source + entries * x.grantWrite + s.ch.ringCopyPerMessage + s.rt
      + c.pollLimit * c.pollInterval + entries * x.grantWrite + c.releaseSource, fault);
    const n = s.hd.counts();
    assert.equal([n.timeouts, n.polls, n.exportFailures, n.unanswered, n.refused], [1, 1000, 1, 1, fault === 'refuse' ? 1 : 0], fault);
    assert.is(s.a.grants.used, 1, 'only the ring page stays granted');
  }
});

test('a full ring (an exporter that stopped answering, sync not waited): the 9th op fails after exactly 1000 polls', () => {
  const s = setup({ syncWait: false });
  const c = s.costs;
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, 4));
    assert.ok((yield* s.hd.exportFd(s.b, ex.hid)).ok);
    s.hd.setFault(s.b, s.a, 'silent');
    const rcs: number[] = [];
    for (let i = 0; i < 8; i++) rcs.push(yield* s.hd.op(s.b, ex.hid, 'begin_cpu_access'));
    const t0 = s.sim.now;
    rcs.push(yield* s.hd.op(s.b, ex.hid, 'end_cpu_access'));
    return { rcs, t: s.sim.now - t0 };
  });
  assert.equal(out.rcs, [0, 0, 0, 0, 0, 0, 0, 0, ERRNO.EBUSY], 'the 8 slots fill silently; the 9th send gives up');
  assert.is(out.t, c.localOp + c.pollLimit * c.pollInterval);
  const n = s.hd.counts();
  assert.equal([n.ringFullTimeouts, n.timeouts, n.polls - 2, n.unanswered], [1, 0, 1000, 8]);
  assert.is(s.hd.channel(s.b, s.a)!.ring.ring.counts().fullRejects, 0, 'the sender checks before pushing: nothing is refused');
});

test('the NEW_IMPORT queue holds 32 and drops the oldest', () => {
  const s = setup();
  const hids: Hid[] = [];
  const events = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    for (let i = 0; i < 40; i++) hids.push(ok(yield* s.hd.export(s.a, s.b, 1, i)).hid);
    const first = yield* s.hd.readEvents(s.b);
    const again = yield* s.hd.readEvents(s.b);
    return { first, again };
  });
  assert.is(events.first.length, 32);
  assert.equal(events.first.map((e) => e.hid), hids.slice(8));
  assert.equal(events.first.map((e) => e.privBytes), Array.from({ length: 32 }, (_, i) => i + 8));
  assert.ok(events.first.every((e, i) => e.exporter === s.a.id && e.pages === 1 && (i === 0 || e.at > events.first[i - 1]!.at)));
  assert.equal(events.again, []);
  const n = s.hd.counts();
  assert.equal([n.newImportEvents, n.newImportDropped, n.exports], [40, 8, 40]);
  // Ids: the exporter's domid in the top byte, a count below, and a random key.
  assert.equal(hids.map((h) => h.id & 0xff_ffff), Array.from({ length: 40 }, (_, i) => i));
  assert.is(new Set(hids.map((h) => h.key.join(':'))).size, 40);
});

test('unexport while the importer holds an fd (import-and-forward): deferred until its release', () => {
  const s = setup();
  const N = 64, ENTRIES = N + 1 + 1;
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, N));
    assert.ok((yield* s.hd.exportFd(s.b, ex.hid)).ok);
    assert.is(yield* s.hd.unexport(s.a, ex.hid, 0), 0);
    yield ms(5); // NOTIFY_UNEXPORT answered long ago
    const held = { used: s.a.grants.used, freed: ex.freed.triggered };
    const q = {
      busy: yield* s.hd.query(s.a, ex.hid, 'busy'),
      unexported: yield* s.hd.query(s.a, ex.hid, 'unexported'),
      importerSide: yield* s.hd.query(s.b, ex.hid, 'unexported'),
    };
    // No new fd of an unexported buffer: the exporter answers ERROR.
    const again = yield* s.hd.exportFd(s.b, ex.hid);
    const tRelease = s.sim.now;
    assert.is(yield* s.hd.op(s.b, ex.hid, 'release'), 0);
    yield ex.freed;
    return { held, q, again, tRelease, tFreed: s.sim.now, gone: yield* s.hd.query(s.b, ex.hid, 'type') };
  });
  assert.equal(out.held, { used: 1 + ENTRIES, freed: false });
  assert.equal(out.q, { busy: { ok: true, value: true }, unexported: { ok: true, value: true }, importerSide: { ok: true, value: true } });
  assert.equal(out.again, { ok: false, errno: ERRNO.EINVAL, reason: 'buffer-invalid' });
  assert.ok(out.tFreed > out.tRelease);
  assert.equal(out.gone, { ok: false, errno: ERRNO.ENOENT, reason: 'unknown-buffer' });
  assert.is(s.a.grants.used, 1);
  const n = s.hd.counts();
  assert.equal([n.cleanups, n.deferredEndRetries, n.replays.release, n.messages.EXPORT_FD], [1, 0, 1, 2]);
});

test('unexport of a buffer never imported: after the delay, one round trip, then every ref ends; times exact', () => {
  const s = setup();
  const c = s.costs, x = s.xen.costs;
  const N = 16, ENTRIES = N + 1 + 1, DELAY = ms(2);
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, N));
    const t0 = s.sim.now;
    yield* s.hd.unexport(s.a, ex.hid, DELAY);
    yield ms(1); // halfway: still scheduled
    const scheduled = yield* s.hd.query(s.a, ex.hid, 'delayed-unexport');
    const notified = s.hd.counts().messages.NOTIFY_UNEXPORT;
    yield ex.freed;
    return { scheduled, notified, t: s.sim.now - t0 };
  });
  assert.equal(out.scheduled, { ok: true, value: true });
  assert.is(out.notified, 0);
  assert.is(out.t, c.syscall + DELAY + s.ch.ringCopyPerMessage + s.rt + c.pollInterval + ENTRIES * x.grantWrite + c.releaseSource);
  assert.is(s.a.grants.used, 1);
});

test('exporter-only: unexport while mapped ends access at once, the mapped refs wait on the deferred list until released', () => {
  const s = setup({ design: 'exporter-only' });
  const N = 64;
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, N));
    assert.ok((yield* s.hd.exportFd(s.b, ex.hid)).ok);
    yield* s.hd.unexport(s.a, ex.hid, 0);
    yield ms(5); // cleaned up, but the importer still maps the data pages
    const usedBeforeRelease = s.a.grants.used;
    yield sec(2.5); // two retries pass; the third, after the release, ends them
    assert.is(yield* s.hd.op(s.b, ex.hid, 'release'), 0);
    const leaked = yield ex.freed;
    return { usedBeforeRelease, leaked };
  });
  assert.is(out.usedBeforeRelease, 1 + N, 'the L2 and top pages ended; the data pages are busy');
  assert.is(out.leaked, 0);
  const n = s.hd.counts();
  assert.equal([n.cleanups, n.deferredEndRetries, n.leakedRefs, n.messages.OPS_TO_SOURCE], [1, 3, 0, 0]);
  assert.is(s.a.grants.used, 1);
});

test('exporter-only: an importer that never releases leaks its refs after 60 retries, and the run still ends', () => {
  const s = setup({ design: 'exporter-only' });
  const N = 8;
  const leaked = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, N));
    assert.ok((yield* s.hd.exportFd(s.b, ex.hid)).ok);
    yield* s.hd.unexport(s.a, ex.hid, 0);
    return yield ex.freed;
  });
  assert.is(leaked, N);
  const n = s.hd.counts();
  assert.equal([n.deferredEndRetries, n.leakedRefs], [60, N]);
  assert.is(s.a.grants.used, 1 + N);
});

test('query is local: no message, no hypercall, a small fixed cost; private data is truncated to 192 bytes', () => {
  const s = setup();
  const c = s.costs;
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, 10, 300));
    yield ms(0.1); // the importer's workqueue registers the import
    const before = { msgs: s.hd.counts().messagesTotal, hyp: s.xen.counts().hypercalls };
    const t0 = s.sim.now;
    const q = yield* s.hd.query(s.a, ex.hid, 'size');
    const t = s.sim.now - t0;
    const rest = {
      type: yield* s.hd.query(s.a, ex.hid, 'type'), importer: yield* s.hd.query(s.a, ex.hid, 'importer'),
      priv: yield* s.hd.query(s.a, ex.hid, 'priv-size'), importerType: yield* s.hd.query(s.b, ex.hid, 'type'),
      importerPriv: yield* s.hd.query(s.b, ex.hid, 'priv-size'), busy: yield* s.hd.query(s.b, ex.hid, 'busy'),
    };
    return { q, t, rest, before, after: { msgs: s.hd.counts().messagesTotal, hyp: s.xen.counts().hypercalls } };
  });
  assert.equal(out.q, { ok: true, value: 10 * 4096 });
  assert.is(out.t, c.syscall + c.queryLookup);
  assert.equal(out.after, out.before);
  assert.equal(out.rest, {
    type: { ok: true, value: 'exported' }, importer: { ok: true, value: s.b.id }, priv: { ok: true, value: 192 },
    importerType: { ok: true, value: 'imported' }, importerPriv: { ok: true, value: 192 }, busy: { ok: true, value: false },
  });
  assert.is(s.hd.counts().privTruncated, 1);
  assert.is(s.hd.counts().queries, 7);
});

test('bad requests are outcomes: no channel, unknown buffer, op without an fd, too large for the scheme', () => {
  const s = setup();
  const out = run(s, function* () {
    const noChannel = yield* s.hd.export(s.a, s.b, 1);
    yield* s.hd.connect(s.a, s.b);
    const ghost: Hid = { id: 12345, key: [1, 2, 3] };
    const fd = yield* s.hd.exportFd(s.b, ghost);
    const op = yield* s.hd.op(s.b, ghost, 'map');
    const un = yield* s.hd.unexport(s.a, ghost, 0);
    const huge = yield* s.hd.export(s.a, s.b, 1024 * 1024 + 1);
    return { noChannel, fd, op, un, huge };
  });
  assert.equal(out.noChannel, { ok: false, errno: ERRNO.ENOENT, reason: 'no-channel' });
  assert.equal(out.fd, { ok: false, errno: ERRNO.ENOENT, reason: 'not-imported' });
  assert.is(out.op, ERRNO.EINVAL);
  assert.is(out.un, ERRNO.ENOENT);
  assert.equal(out.huge, { ok: false, errno: ERRNO.EINVAL, reason: 'too-large-for-scheme' });
  assert.is(s.a.grants.used, 1);
});

test('EXPORT_FD unanswered: -EBUSY after exactly 1000 polls, EXPORT_FD_FAILED sent unwaited, the importer keeps no fd and maps nothing', () => {
  const s = setup();
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, 8));
    s.hd.setFault(s.b, s.a, 'silent');
    const polls = s.hd.counts().polls;
    const fd = yield* s.hd.exportFd(s.b, ex.hid);
    return { fd, polls: s.hd.counts().polls - polls, op: yield* s.hd.op(s.b, ex.hid, 'map'), busy: yield* s.hd.query(s.b, ex.hid, 'busy') };
  });
  assert.equal(out.fd, { ok: false, errno: ERRNO.EBUSY, reason: 'export-fd-message' });
  assert.is(out.polls, s.costs.pollLimit, 'the wait gives up after pollLimit sleeps; the EXPORT_FD_FAILED after it is not waited for');
  assert.is(out.op, ERRNO.EINVAL, 'no fd was made: an op on it is refused');
  assert.equal(out.busy, { ok: true, value: false });
  const n = s.hd.counts();
  assert.equal([n.messages.EXPORT_FD, n.messages.EXPORT_FD_FAILED, n.timeouts, n.importFailures, n.mapImports, n.imports], [1, 1, 1, 1, 0, 0]);
  assert.is(s.b.maptrack.used, 1, 'only the ring page: the buffer was never mapped');
});

test('EXPORT_FD whose mapping fails (the importer\'s maptrack runs out): map-failed, every page it did map unmapped again, the exporter\'s count undone, the buffer freed whole at unexport', () => {
  const pages = 64, limit = 40;
  const s = setup({ importerMaptrack: limit });
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, pages));
    const failuresBefore = s.ops.counts().mapFailures;
    const fd = yield* s.hd.exportFd(s.b, ex.hid);
    const mapFailures = s.ops.counts().mapFailures - failuresBefore;
    const mapped = s.b.maptrack.used;
    yield ms(1); // EXPORT_FD_FAILED (not waited) reaches the exporter
    const busy = yield* s.hd.query(s.a, ex.hid, 'busy');
    assert.is(yield* s.hd.unexport(s.a, ex.hid, 0), 0);
    const leaked = yield ex.freed;
    return { fd, mapFailures, mapped, busy, leaked };
  });
  assert.equal(out.fd, { ok: false, errno: ERRNO.EINVAL, reason: 'map-failed' });
  // The ring page and the second-level page hold 2 handles while the data pages map: the last pages - (limit - 2) fail.
  assert.is(out.mapFailures, pages - (limit - 2));
  assert.is(out.mapped, 1, 'the importer holds the ring page alone: the data pages it mapped before running out are unmapped');
  assert.equal(out.busy, { ok: true, value: false }, 'EXPORT_FD counted an fd on the exporter, EXPORT_FD_FAILED took it back');
  assert.is(out.leaked, 0, 'no page stays mapped, so the exporter ends access to every ref');
  assert.is(s.a.grants.used, 1);
  const n = s.hd.counts();
  assert.equal([n.messages.EXPORT_FD, n.messages.EXPORT_FD_FAILED, n.importFailures, n.mapImports], [1, 1, 1, 0]);
});

test('determinism: two runs with jittered polls give the same fingerprint; another seed another one', () => {
  const once = (seed: number) => {
    const s = setup({ fingerprint: true, seed, syncWait: true, costs: { pollJitter: '20 us' } });
    cycle(s, 300, [...DMABUF_OPS.filter((o) => o !== 'release'), 'release']);
    return { fp: s.sim.fingerprint(), now: s.sim.now, polls: s.hd.counts().polls };
  };
  const r1 = once(7), r2 = once(7), r3 = once(8);
  assert.equal(r1, r2);
  assert.is(r1.polls, 17);
  assert.is.not(r1.fp, r3.fp);
  assert.is.not(r1.now, r3.now);
});

test('a second fd of one import: a new fd number and the dma-buf export\'s cost alone (the pages stay mapped, no second sg table); the pages go at the last release, the import stays while the buffer is exported; the exporter counts both fds', () => {
  const s = setup();
  const pages = 100;
  const out = run(s, function* () {
    yield* s.hd.connect(s.a, s.b);
    const ex = ok(yield* s.hd.export(s.a, s.b, pages));
    const d0 = s.xen.attribution.get(DMA_BUF);
    const first = yield* s.hd.exportFd(s.b, ex.hid);
    const d1 = s.xen.attribution.get(DMA_BUF);
    const second = yield* s.hd.exportFd(s.b, ex.hid);
    const d2 = s.xen.attribution.get(DMA_BUF);
    const busy = yield* s.hd.query(s.a, ex.hid, 'busy');
    assert.is(yield* s.hd.op(s.b, ex.hid, 'release'), 0);
    const mappedAfterOne = s.b.maptrack.used;
    assert.is(yield* s.hd.op(s.b, ex.hid, 'release'), 0);
    const mappedAfterBoth = s.b.maptrack.used;
    // Still exported: the import stays, and a new fd maps the pages again.
    const third = yield* s.hd.exportFd(s.b, ex.hid);
    return { first, second, third, firstCost: d1 - d0, secondCost: d2 - d1, busy, mappedAfterOne, mappedAfterBoth };
  });
  const c = s.costs;
  assert.equal([out.first, out.second, out.third], [{ ok: true, fd: 1 }, { ok: true, fd: 2 }, { ok: true, fd: 3 }]);
  assert.is(out.firstCost, c.sgTable + c.sgTablePerPage * pages + c.exportDmabuf);
  assert.is(out.secondCost, c.exportDmabuf);
  assert.equal(out.busy, { ok: true, value: true }, 'the exporter knows its buffer is in use');
  assert.is(out.mappedAfterOne - out.mappedAfterBoth, pages, 'the data pages are unmapped at the last release, not the first');
  assert.equal(ERRNO, { ENOENT: -2, EIO: -5, EFAULT: -14, EBUSY: -16, EINVAL: -22, ENOSPC: -28 });
});

test('jittered polls: each wait is the poll interval plus a draw up to the jitter, charged as poll time', () => {
  const s = setup({ syncWait: true, costs: { pollJitter: '20 us' } });
  cycle(s, 300, [...DMABUF_OPS.filter((o) => o !== 'release'), 'release']);
  const polls = s.hd.counts().polls, waited = s.xen.attribution.get(POLL_WAIT);
  assert.ok(polls > 0);
  assert.ok(waited >= polls * s.costs.pollInterval && waited <= polls * (s.costs.pollInterval + s.costs.pollJitter), `${waited} ps over ${polls} polls`);
  assert.ok(waited > polls * s.costs.pollInterval, 'the draws add something');
});

test.run();


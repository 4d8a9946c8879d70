/**
 * The hyper-dmabuf study's reading, phase by phase, summed by hand from the
 * protocol's steps (the RFC's hyper_dmabuf_ioctl.c, _msg.c, _ops.c,
 * backends/xen/hyper_dmabuf_xen_comm.c), the xen-x86 preset's per-step costs
 * (xen-sums.ts) and hyper_dmabuf's own estimates (its component's defaults:
 * the driver has no preset). The study's guests are HVM with 2 vCPUs: an
 * unmap by one flushes page by page, one IPI to the other vCPU each.
 *
 * A message on the driver's ring (8 slots of 268 bytes): the sender copies it
 * in and, if the receiver's handler is asleep, notifies (a round trip); the
 * event reaches the receiver after delivery and upcall; it copies the request
 * out, parses it, does the command's work, copies the response in and
 * notifies back (the sender's handler is asleep: a round trip); the sender's
 * handler gets it after delivery and upcall and copies it out. A sender that
 * waits checks for the answer, then sleeps a poll interval, and so on: it
 * sees the answer at the first check after it came, ⌈answer / poll⌉ polls.
 *
 * Every phase but the unwaited uses is serial: the sums are exact but for
 * the round trip's rounding to whole ps (0.3 ps a call, under a hundred
 * calls), so µs figures are held to 0.1 ns. The unwaited uses overlap the
 * exporter's replays; their timeline is worked out below with bounds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hyperDmabufCostParams } from '../../models/dmabuf/hyper-dmabuf-costs.js';
import { close, ENTRIES_PER_FRAME, grantFrames, growNs, hvmUnmapNs, mapNs, ns, RESERVED_ENTRIES, RT, x } from './xen-sums.js';
import { runStudy, studyBody } from './study.js';

const hd = hyperDmabufCostParams.parse({});
const V: number = studyBody('hyper-dmabuf').components.find((c: { name: string }) => c.name === 'guest-b').params.vcpus;
const US = 1000; // ns
const TOL_US = 1e-4;

/** 1080p ARGB: 1920 × 1080 × 4 B in 4 KiB pages; 4K: four times that. */
const P1080 = (1920 * 1080 * 4) / 4096, P4K = 4 * P1080;
/** Multi-level refs: N data, ⌈N / 1024⌉ second-level pages of 1,024 refs, one top page. */
const l2Pages = (n: number) => Math.ceil(n / 1024);
const entries = (n: number) => n + l2Pages(n) + 1;

const c = ns(x.ringCopyPerMessage);
const deliver = ns(x.eventDelivery + x.upcall);
const poll = ns(hd.pollInterval);
/** From a request's notify to its answer copied out at the sender: the receiver parses it and does `workNs`. */
const answerNs = (workNs: number) => deliver + c + ns(hd.msgParse) + workNs + c + RT + deliver + c;
/** A waited request: copied in, notified, then polls until the answer is seen. */
const waitedSendNs = (workNs: number) => c + RT + Math.ceil(answerNs(workNs) / poll) * poll;

/** A use: the six dma-buf ops the study's consumer makes (hyper-dmabuf-share), and what the exporter replays for each. */
const USE = ['attach', 'map', 'begin_cpu_access', 'end_cpu_access', 'unmap', 'detach'] as const;
type Op = (typeof USE)[number];
const localNs = (op: Op, n: number) => ns(hd.localOp) + (op === 'map' ? n * ns(hd.sgTablePerPage) : 0);
const replayNs = (op: Op | 'release', n: number) => op === 'attach' ? ns(hd.dmabufAttach) : op === 'map' ? ns(hd.mapAttachment + n * hd.mapAttachmentPerPage) : ns(hd.replayOp);
const useLocalNs = (n: number) => USE.reduce((s, op) => s + localNs(op, n), 0);

test('hyper-dmabuf: channel setup both ways, 1.0 ms: per direction a grant, a port, five xenstore requests, a map and a bind', () => {
  // Sender: grant the ring page, alloc_unbound, write grefid and port, watch the reverse port; receiver: read both, map, bind.
  const oneWay = ns(x.grantWrite) + RT + 5 * ns(x.xenstoreRequest) + mapNs(1) + RT;
  close(runStudy('hyper-dmabuf').m['share.setup_latency_us'], 2 * oneWay / US, TOL_US, 'setup (µs)');
});

test('hyper-dmabuf: export of a 1080p frame, 0.30 ms forwarding an existing dma-buf, 0.66 ms owning it (it allocates the pages)', () => {
  const n = P1080;
  // The exporter's table holds its ring page; it grows to hold the N + L2 + 1 refs too.
  const grants = growNs(grantFrames(1), grantFrames(1 + entries(n))) + entries(n) * ns(x.grantWrite);
  // EXPORT is answered at once (the import is registered on a workqueue after): one poll.
  const rest = grants + waitedSendNs(0);
  const forward = ns(hd.syscall) + ns(hd.dmabufGet + hd.dmabufAttach + hd.mapAttachment) + n * ns(hd.mapAttachmentPerPage + hd.extractPagesPerPage) + rest;
  const owned = ns(hd.syscall) + n * ns(hd.allocPerPage) + ns(hd.exportDmabuf) + rest;
  close(runStudy('hyper-dmabuf').m['share.export_latency_us'], forward / US, TOL_US, 'import-and-forward export (µs)');
  close(runStudy('hyper-dmabuf', { design: 'exporter-only' }).m['share.export_latency_us'], owned / US, TOL_US, 'exporter-only export (µs)');
});

test('hyper-dmabuf: the importer\'s EXPORT_FD, 1.19 ms at 1080p, 4.4 ms at 4K: a polled round trip, then three dependent batched maps', () => {
  for (const n of [P1080, P4K]) {
    const l2 = l2Pages(n);
    const expected =
      ns(hd.syscall) +
      // EXPORT_FD: the exporter counts a user and answers at once: one poll.
      waitedSendNs(0) +
      // Top page mapped and unmapped, the second-level pages mapped, the data (1.01 ms of work at 1080p: one continuation; 4.05 ms at 4K: four), L2 unmapped.
      mapNs(1) + hvmUnmapNs(1, V) + mapNs(l2) + mapNs(n) + hvmUnmapNs(l2, V) +
      // The sg_table of the pages and the local dma-buf.
      ns(hd.sgTable + n * hd.sgTablePerPage) + ns(hd.exportDmabuf);
    close(runStudy('hyper-dmabuf', { pages: n }).m['share.import_latency_us'], expected / US, TOL_US, `EXPORT_FD of ${n} pages (µs)`);
  }
});

test('hyper-dmabuf: a use with each OPS_TO_SOURCE waited, 771 µs: one poll per op, two for the map (its replay outlasts a poll)', () => {
  const n = P1080;
  const perOp = USE.map((op) => Math.ceil(answerNs(replayNs(op, n)) / poll));
  assert.equal(perOp, [1, 2, 1, 1, 1, 1], 'the replayed map (5 µs + 50 ns a page) is the one answer later than a poll');
  const expected = useLocalNs(n) + USE.reduce((s, op) => s + waitedSendNs(replayNs(op, n)), 0);
  close(runStudy('hyper-dmabuf', { syncWait: true }).m['share.use_latency_us'], expected / US, TOL_US, 'waited use (µs)');
});

test('hyper-dmabuf: the exporter that owns the buffer sends nothing: a use is its six local ops, 67 µs', () => {
  close(runStudy('hyper-dmabuf', { design: 'exporter-only' }).m['share.use_latency_us'], useLocalNs(P1080) / US, TOL_US, 'exporter-only use (µs)');
});

/**
 * Four uses with OPS_TO_SOURCE not waited (24 messages; the release comes
 * after, in the unexport). The importer B never waits for an answer, only for
 * a free slot; the exporter A replays each op, the map for 106 µs, longer
 * than B's whole use (67 µs): B runs ahead until the ring is full. B's own
 * timeline is exact once we know which pushes notify and which find the ring
 * full; A's is only bounded: below by its copies, parses and replays, above
 * by those plus a notify per response, and B's handler takes a response at
 * most a delivery and a ring of copies after it is published.
 *
 *   use 1  attach finds A idle: notified; A answers it during B's map (62 µs) and sleeps: map notified.
 *          A replays the map; begin, end, unmap, detach go in behind it, not notified (A is busy).
 *   use 2  attach, map, begin go in: 8 requests unanswered (map 1 on): end finds the ring full and
 *          sleeps a poll. Meanwhile A answers use 1 and attach 2 and starts on map 2; then end,
 *          unmap and detach go in,
 *   use 3  and attach, map, begin: full again (map 2 on): end sleeps a poll.
 *   use 4  end, unmap, detach 3 and attach 4 go in; A finishes them during B's map and sleeps: map 4
 *          is notified; begin to detach go in behind A's replay, 5 requests at most, never full.
 *
 * So the four uses take B's work, 24 copies, 3 round trips and 2 polls; the
 * checks below prove each step from the bounds, so a preset that changed the
 * timeline fails there, saying which step. At the presets' costs the slimmest
 * margins are 2.1 µs (end 3 checks before map 2's answer can be back) and
 * 5.2 µs (A done before map 4 goes in, though the bound charges a notify to
 * each of A's 18 responses and A sends about half as many): the proof holds
 * while a refit moves the event path or A's round trips by less than that.
 */
test('hyper-dmabuf: a use with OPS_TO_SOURCE not waited, 118 µs: B\'s work, 3 notifies and 2 polls for a free slot, by a hand timeline', () => {
  const n = P1080, SLOTS = 8;
  const ops = [...USE, ...USE, ...USE, ...USE];
  const NOTIFIED = new Set([0, 1, 19]); // attach 1, map 1, map 4
  const FULL = new Set([9, 15]); // end 2, end 3
  // B: its op's work, the check for a free slot (a poll if full), the copy in (the request published), the notify.
  const check: number[] = [], wake: number[] = [], publish: number[] = [];
  let t = 0;
  ops.forEach((op, k) => {
    t += localNs(op, n);
    check[k] = t;
    if (FULL.has(k)) t += poll;
    wake[k] = t;
    t += c;
    publish[k] = t;
    if (NOTIFIED.has(k)) t += RT;
  });
  // A: request k done at the earliest (copy out, parse, replay, copy in) and at the latest (and a notify).
  const early: number[] = [], late: number[] = [];
  const work = (k: number) => 2 * c + ns(hd.msgParse) + replayNs(ops[k]!, n);
  early[0] = publish[0] + RT + deliver + work(0);
  late[0] = early[0] + RT;
  let lo = publish[1] + RT + deliver, hi = lo; // A starts on map 1 at its delivery and, busy from then on, takes each next one at once
  for (let k = 1; k <= 18; k++) {
    lo += work(k);
    hi += work(k) + RT;
    early[k] = lo;
    late[k] = hi;
  }
  const takenBy = (k: number) => late[k]! + deliver + SLOTS * c;
  assert.ok(late[0] < publish[1], 'use 1: A is asleep again when map 1 goes in');
  for (let k = 2; k <= 18; k++) assert.ok(publish[k]! < early[k - 1]!, `request ${k}: A is still busy with an earlier one (not notified)`);
  assert.ok(late[18] < publish[19]!, 'use 4: A is asleep again when map 4 goes in');
  const map4Early = publish[19]! + RT + deliver + work(19);
  for (let k = 20; k < 24; k++) assert.ok(publish[k]! < map4Early, `request ${k}: A is replaying map 4 (not notified)`);
  for (let k = SLOTS; k < 24; k++) {
    // The ring is full at a check iff the request 8 back has not been answered and taken.
    if (FULL.has(k)) assert.ok(check[k]! < early[k - SLOTS]!, `request ${k}: the ring is full at its first check`);
    assert.ok(takenBy(k - SLOTS) <= wake[k]!, `request ${k}: a slot is free when it checks${FULL.has(k) ? ' after its poll' : ''}`);
  }
  const expected = 4 * useLocalNs(n) + ops.length * c + NOTIFIED.size * RT + FULL.size * poll;
  close(t, expected, 1e-9, 'the timeline adds up to the closed form');
  close(runStudy('hyper-dmabuf').m['share.use_latency_us'], expected / 4 / US, TOL_US, 'unwaited use (µs)');
});

test('hyper-dmabuf: unexport after the release, 4.0 ms: the importer unmaps the data page by page, then NOTIFY_UNEXPORT, then every ref ends', () => {
  const n = P1080;
  // The release: its local op and the unmap of N pages (0.61 ms of work, 2,025 shootdowns of one IPI each).
  const release = ns(hd.localOp) + hvmUnmapNs(n, V);
  // UNEXPORT on the exporter; NOTIFY_UNEXPORT is answered at once (one poll); then it ends access on N + L2 + 1 refs and releases the source.
  const unexport = ns(hd.syscall) + waitedSendNs(0) + entries(n) * ns(x.grantWrite) + ns(hd.releaseSource);
  const cases = [
    // The release's OPS_TO_SOURCE: not waited (copied in and notified), waited (its replay within a poll), or not sent.
    [{}, release + c + RT + unexport],
    [{ syncWait: true }, release + waitedSendNs(replayNs('release', n)) + unexport],
    [{ design: 'exporter-only' }, release + unexport],
  ] as const;
  for (const [sets, expected] of cases) {
    close(runStudy('hyper-dmabuf', sets).m['share.unexport_latency_us'], expected / US, TOL_US, `unexport ${JSON.stringify(sets)} (µs)`);
  }
});

test('hyper-dmabuf: 32,768 pages do not fit the exporter\'s grant table: grant-table-full at export', () => {
  // Xen's default 64 frames of 512 v1 entries, 8 reserved, one held by the ring page: fewer than the 32,768 + 32 + 1 refs.
  const room = 64 * ENTRIES_PER_FRAME - RESERVED_ENTRIES - 1;
  assert.ok(entries(32768) > room);
  assert.match(runStudy('hyper-dmabuf', { pages: 32768 }).m['share.outcome'], /export failed: grant-table-full/);
});

test.run();

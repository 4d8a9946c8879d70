/**
 * The three gref schemes against SOURCES.md's closed forms, and the
 * simulated flows against the layouts: every count exact, every size that
 * does not fit an outcome.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { GrantOps } from '../../models/xen/gnttab.js';
import { Hypervisor } from '../../models/xen/hypervisor.js';
import { exportBackendAllocated, exportBuffer, handOver, importBuffer, layout, teardown, type LimitsMode, type SchemeName } from '../../models/dmabuf/gref-schemes.js';
import { connectRing, RING } from '../../models/xen/ring.js';
import { EventChannels } from '../../models/xen/event-channel.js';
import { instanceMetrics, runJsonInProcess } from '../helpers.js';
import { presetParams } from '../preset-params.js';
import { xenPlatformParams } from '../../models/xen/platform.js';

const LIMITS: LimitsMode = 'design';
const SIZES = [1, 2, 1023, 1024, 1025, 2025, 8100, 1_048_576];

test('layouts match the closed forms for every size tested', async () => {
  for (const n of SIZES) {
    const d = Math.ceil(n / 1023), l2 = Math.ceil(n / 1024);
    assert.equal(
      [layout('flat', n, LIMITS).grantEntries, layout('flat', n, LIMITS).metadataPages, layout('flat', n, LIMITS).dependentMapSteps],
      [n, 0, 1], `flat ${n}`);
    const dir = layout('directory', n, LIMITS);
    assert.equal([dir.grantEntries, dir.metadataPages, dir.dependentMapSteps], [n + d, d, d + 1], `directory ${n}`);
    const ml = layout('multilevel', n, LIMITS);
    assert.equal([ml.grantEntries, ml.metadataPages, ml.dependentMapSteps, ml.importHypercalls], [n + l2 + 1, 1 + l2, 3, 5], `multilevel ${n}`);
  }
  // SOURCES.md's frames: 1080p (2,025 pages) needs D = 2 directory pages, 4K (8,100) D = 8.
  assert.is(layout('directory', 2025, LIMITS).metadataPages, 2);
  assert.is(layout('directory', 8100, LIMITS).metadataPages, 8);
  // The largest multi-level buffer: 1024 × 1024 pages = 4 GiB; one more page does not fit.
  assert.is(layout('multilevel', 1, LIMITS).maxPages, 1_048_576);
});

test('the flat scheme hands its refs over in 64-byte requests of 14 refs (8-byte header); the others in one request', async () => {
  // (64 - 8) / 4 = 14 refs a request: a 4K frame's 8,100 refs take 579 requests, 579 responses.
  for (const [n, requests] of [[1, 1], [14, 1], [15, 2], [2025, 145], [8100, 579]] as const) {
    const l = layout('flat', n, LIMITS);
    assert.equal([l.messages, l.messageBytes], [requests, requests * 2 * 64], `flat ${n}`);
  }
  assert.equal([layout('directory', 8100, LIMITS).messages, layout('directory', 8100, LIMITS).messageBytes], [1, 128]);
  assert.equal([layout('multilevel', 8100, LIMITS).messages, layout('multilevel', 8100, LIMITS).messageBytes], [1, 536]);
});

test('limits as written: hyper_dmabuf allocates 2^L + 2 pages of tables and fails past order 10; xen-zcopy takes 131,072 refs', async () => {
  // __get_free_pages(GFP_KERNEL, n_lvl2_grefs): a 4K frame's 8 second-level pages allocate 2^8 = 256 pages, plus the top's order-1 block.
  assert.is(layout('multilevel', 8100, 'as-written').metadataAllocatedPages, 258);
  assert.is(layout('multilevel', 8100, 'design').metadataAllocatedPages, 9);
  assert.is(layout('multilevel', 2025, 'as-written').metadataAllocatedPages, 2 + 4);
  // Order 10 is the largest: 10 second-level pages, 10,240 data pages (40 MiB).
  assert.is(layout('multilevel', 1, 'as-written').maxPages, 10_240);
  // kcalloc of 32-byte gnttab_map_grant_ref ops, at most KMALLOC_MAX_SIZE = 4 MiB: 131,072.
  assert.is(layout('flat', 1, 'as-written').maxPages, 131_072);
  assert.is(layout('flat', 1, 'design').maxPages, Infinity);
  assert.is(layout('directory', 1, 'as-written').maxPages, Infinity);
  const ok = share('multilevel', 10_240, 4096, 'as-written');
  assert.ok((ok.out.export as { ok: boolean }).ok, 'exactly order 10 is allocated');
  const over = share('multilevel', 10_241, 4096, 'as-written');
  assert.is((over.out.export as { failure: string }).failure, 'too-large-for-scheme');
  assert.ok((share('multilevel', 10_241, 4096, 'design').out.export as { ok: boolean }).ok, 'as designed it fits');
});

function share(scheme: SchemeName, pages: number, maxGrantFrames = 64, limits: LimitsMode = LIMITS) {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenPlatformParams, 'xen-x86'));
  const ops = new GrantOps(xen);
  const guest = xen.createDomain('guest', { kind: 'hvm', vcpus: 2, grantVersion: 1, maxGrantFrames, maptrackLimit: 262_144 });
  const dom0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: 4, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const out: { export?: unknown; import?: unknown; hypercalls: number[] } = { hypercalls: [] };
  sim.process((function* (): ProcessBody<void> {
    const e = yield* exportBuffer(ops, guest, dom0, scheme, pages, limits);
    out.export = e;
    out.hypercalls.push(xen.counts().hypercalls);
    if (!e.ok) return;
    const i = yield* importBuffer(ops, dom0, guest, e.buffer);
    out.import = i;
    out.hypercalls.push(xen.counts().hypercalls);
    if (!i.ok) return;
    yield* teardown(ops, dom0, guest, e.buffer, i.mappings);
    out.hypercalls.push(xen.counts().hypercalls);
  })());
  sim.run();
  return { out, ops, guest, dom0, xen };
}

test('the simulated import issues exactly the layout\'s hypercalls, and teardown leaves nothing granted or mapped', async () => {
  for (const scheme of ['flat', 'directory', 'multilevel'] as const) {
    for (const n of [1, 1023, 1024, 1025, 2025, 8100]) {
      const { out, ops, guest, dom0 } = share(scheme, n);
      const l = layout(scheme, n, LIMITS);
      assert.is(guest.grants.peakUsed, l.grantEntries, `${scheme} ${n}: entries`);
      assert.is(out.hypercalls[1]! - out.hypercalls[0]!, l.importHypercalls, `${scheme} ${n}: import hypercalls`);
      assert.is(out.hypercalls[0], guest.grants.frames - 1, 'export: no hypercall but one per grant frame added');
      assert.is(guest.grants.used, 0, `${scheme} ${n}: every ref ended`);
      assert.is(dom0.maptrack.used, 0, `${scheme} ${n}: every mapping undone`);
      assert.is(ops.counts().mapFailures, 0);
    }
  }
});

test('a buffer the grant table cannot hold, or the scheme cannot address, is an outcome, and leaves the table clean', async () => {
  // 64 v1 frames: 32,760 usable entries. Directory: N + ceil(N / 1023) entries; 32,728 pages fit, 32,729 do not.
  assert.ok((share('directory', 32_728).out.export as { ok: boolean }).ok);
  const full = share('directory', 32_729);
  assert.equal((full.out.export as { ok: boolean; failure: string }).failure, 'grant-table-full');
  assert.is(full.guest.grants.used, 0, 'nothing was granted: the refs are reserved up front, as Linux does');
  // Multi-level: 1,048,577 pages is one more than 1024 × 1024.
  const big = share('multilevel', 1_048_577, 4096);
  assert.equal((big.out.export as { failure: string }).failure, 'too-large-for-scheme');
});

function xenPair() {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenPlatformParams, 'xen-x86'));
  const guest = xen.createDomain('guest', { kind: 'hvm', vcpus: 2, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const dom0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: 4, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  return { sim, xen, ops: new GrantOps(xen), guest, dom0 };
}

test("displif's be_alloc: the frontend grants the directory, the backend walks it and grants the data; the frontend maps the data in one batch", async () => {
  const { sim, xen, ops, guest, dom0 } = xenPair();
  const N = 8100, D = 8;
  const seen: Record<string, number> = {};
  sim.process((function* (): ProcessBody<void> {
    const e = yield* exportBackendAllocated(ops, dom0, guest, N, LIMITS);
    if (!e.ok) throw new Error(e.detail);
    seen.guestEntries = guest.grants.used;
    seen.dom0Entries = dom0.grants.used;
    seen.exportMaps = ops.counts().mapOps;
    const before = xen.counts().hypercalls;
    const i = yield* importBuffer(ops, guest, dom0, e.buffer);
    if (!i.ok) throw new Error(i.detail);
    seen.importHypercalls = xen.counts().hypercalls - before;
    yield* teardown(ops, guest, dom0, e.buffer, i.mappings);
  })());
  sim.run();
  // The guest's table holds the D directory pages, dom0's the N data pages; dom0 mapped each directory page once.
  assert.equal([seen.guestEntries, seen.dom0Entries, seen.exportMaps, seen.importHypercalls], [D, N, D, 1]);
  assert.equal([guest.grants.used, dom0.grants.used, guest.maptrack.used, dom0.maptrack.used], [0, 0, 0, 0]);
});

test('handing the flat refs over: every request copied in and out of the ring, and so every response', async () => {
  const { sim, xen, ops, guest, dom0 } = xenPair();
  const channels = new EventChannels(xen, presetParams(xenPlatformParams, 'xen-x86'));
  const N = 2025, requests = Math.ceil(N / 14);
  sim.process((function* (): ProcessBody<void> {
    const ring = yield* connectRing(channels, guest, dom0, 64);
    if (typeof ring === 'number') throw new Error('no ring');
    const e = yield* exportBuffer(ops, guest, dom0, 'flat', N, LIMITS);
    if (!e.ok) throw new Error(e.detail);
    yield* handOver(ring, e.buffer);
    const c = ring.ring.counts();
    assert.equal([c.requestsPushed, c.requestsTaken, c.responsesPushed, c.responsesTaken], [requests, requests, requests, requests]);
  })());
  sim.run();
  // Four copies per request: in and out of the slot, then the response in and out.
  assert.is(xen.attribution.get(RING), 4 * requests * presetParams(xenPlatformParams, 'xen-x86').ringCopyPerMessage);
});

test('the study through the CLI: counts as metrics, latencies only when the share succeeded', async () => {
  const run = async (sets: Record<string, string | number>) => instanceMetrics(await runJsonInProcess('gref-schemes', sets), 'share');
  const dir = await run({ scheme: 'directory', pages: 8100 });
  assert.equal([dir.outcome, dir.grant_entries, dir.metadata_pages, dir.dependent_map_steps, dir.import_hypercalls], ['ok', 8108, 8, 9, 17]);
  const ml = await run({ scheme: 'multilevel', pages: 8100 });
  assert.ok((ml.import_latency_us as number) < (dir.import_latency_us as number), 'three dependent steps beat nine');
  // Flat: 8,100 refs in 579 requests through the ring before the one batched map.
  const flat = await run({ scheme: 'flat', pages: 8100 });
  assert.equal([flat.messages, flat.message_bytes, flat.import_hypercalls], [579, 579 * 128, 1]);
  assert.ok((flat.export_latency_us as number) > (dir.export_latency_us as number), 'handing 579 requests over costs more than one');
  const tooBig = await run({ scheme: 'flat', pages: 65536 });
  assert.is(tooBig.outcome, 'grant-table-full');
  assert.is(tooBig.import_latency_us, null);
});

test('KVM for contrast: no grants or hypercalls; udmabuf stops at 1,024 items, or at 64 MiB with contiguous runs', async () => {
  const run = async (sets: Record<string, string | number>) => instanceMetrics(await runJsonInProcess('xen-vs-kvm', sets), 'kvmshare');
  const ok = await run({ pages: 1024 });
  assert.equal([ok.outcome, ok['kvm.exits']], ['ok', 2]);
  assert.not.ok(Object.keys((await runJsonInProcess('xen-vs-kvm', { pages: 1024 })).metrics).some((k) => k.startsWith('xen.')), 'no Xen in a KVM run: no grants, no hypercalls');
  assert.is((await run({ pages: 1025 })).outcome, 'udmabuf-limit', '1,025 scattered pages need 1,025 items');
  assert.is((await run({ pages: 16384, contiguousPages: 512 })).outcome, 'ok', '32 items, exactly 64 MiB');
  assert.is((await run({ pages: 16385, contiguousPages: 512 })).outcome, 'udmabuf-limit', 'one page past 64 MiB');
});

test.run();

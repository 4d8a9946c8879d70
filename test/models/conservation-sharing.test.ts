/**
 * The conservation checks of the P2P transfers, the integrated north bridge
 * path, KVM's udmabufs and blobs, the gref schemes' and grant rounds'
 * holdings and the dma-buf core: each holds after every event of a real
 * run of a shipped study (work in flight counted, not assumed over), and
 * each catches a planted slip, a count bumped behind the model's back,
 * with its exact message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { buildScenario } from '../../src/run/single.js';
import { DISABLED_TRACER } from '../../src/trace/channel.js';
import type { Component } from '../../src/scenario/registry.js';
import { Attribution } from '../../src/stats/attribution.js';
import { integratedDirectionInvariants } from '../../models/pcie/conservation.js';
import { p2pTransferInvariants, type P2pTransferCounts } from '../../models/workloads/p2p.js';
import type { KvmHost } from '../../models/kvm/host.js';
import type { XenDomain } from '../../models/xen/domain.js';
import type { XenHost } from '../../models/xen/xen-host.js';
import { GrantHoldings } from '../../models/xen/grant-holdings.js';
import type { DmaBufKernel } from '../../models/dmabuf/core.js';
import { DmaBuf, DmaBufCore, dmaBufCoreInvariants, dmaBufCoreParams } from '../../models/dmabuf/dma-buf.js';
import { ROOT, invariantsWithCountOff as off } from '../helpers.js';

const lib = await loadModelLibrary();

/** A shipped study built with `sets` on a simulation of its own, not run yet. */
function build(study: string, sets: Record<string, string | number | boolean>) {
  const file = `scenarios/${study}.json`;
  const sc = resolveScenario(parseScenario(file, fs.readFileSync(path.join(ROOT, file), 'utf8')), Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, String(v)])), lib);
  const sim = new Simulation({ seed: 1 });
  const instances = buildScenario(sc, sim, DISABLED_TRACER);
  // Instances are the models' own classes, reached here through casts to plant slips in their fields.
  return { sim, get: <T = any>(name: string): T => instances.get(name) as T, instances };
}

type Built = ReturnType<typeof build>;

/** The broken checks of the instances named (all of them if none are), each named. */
const broken = (b: Built, names?: readonly string[]): string[] =>
  [...b.instances].filter(([name]) => names === undefined || names.includes(name)).flatMap(([name, i]: [string, Component]) => (i.invariants?.() ?? []).map((m) => `${name}: ${m}`));

/**
 * Runs `b` to its end, checking the instances `names` after every event
 * (the fabric's own checks, other tests' business, at the end only) and
 * every instance at the end; `watch` sees each moment.
 */
function runChecked(b: Built, names: readonly string[], watch: () => void = () => {}): void {
  let bad: string[] = [];
  b.sim.run({ stopWhen: () => { watch(); bad = broken(b, names); return bad.length > 0; } });
  assert.equal(bad, [], `at ${b.sim.now} ps`);
  assert.equal(broken(b), [], 'at the end');
}

/** Runs `b` until `stop` says so, checking the instances `names` on the way; false if the run ended first. */
function runUntil(b: Built, names: readonly string[], stop: () => boolean): boolean {
  let bad: string[] = [], hit = false;
  b.sim.run({ stopWhen: () => { bad = broken(b, names); hit = stop(); return hit || bad.length > 0; } });
  assert.equal(bad, []);
  return hit;
}

// ---------------------------------------------------------------- pcie.integrated

test('pcie.integrated: TLPs in = delivered + on their way, per direction, at every event; a TLP lost or started twice is caught', () => {
  const b = build('apu-redirect', { path: 'rootcomplex', op: 'read', transfers: 20, inFlight: 8 });
  const path = b.get('igpupath');
  let inside = 0;
  runChecked(b, ['igpupath'], () => { inside = Math.max(inside, path.up.stats().carrying + path.down.stats().carrying); });
  assert.ok(inside > 1, 'TLPs were on their way at some moments');
  const up = path.up.stats(), down = path.down.stats();
  assert.ok(up.tlpsIn > 0 && down.tlpsIn > 0, 'both directions carried TLPs');
  assert.equal(off(path, path.up, 'tlps'), [`up: ${up.tlpsIn + 1} TLPs in != ${up.tlpsIn} delivered + 0 on their way`]);
  path.down.starting.size++;
  assert.equal(path.invariants(), ['down: 1 TLPs not started, of 0 on their way']);
  assert.equal(integratedDirectionInvariants('down', { ...down, notStarted: -1 }), ['down: -1 TLPs not started, of 0 on their way']);
});

// ---------------------------------------------------------------- workloads.p2p-transfer

const p2pOf = (b: Built) => b.get('p2p');
const countsOf = (b: Built): P2pTransferCounts => p2pOf(b).counts();

test('p2p-transfer: holds at every event of direct, bounced and fallen-back transfers, in flight and done', () => {
  const variants: Record<string, string | boolean>[] = [
    { path: 'switch', op: 'write' }, { path: 'switch', op: 'read', switchPeer: 'unsupported' }, { path: 'bounce', op: 'read' },
    { path: 'rootcomplex', op: 'read', platform: 'amd-pre-zen' }, { path: 'acs', op: 'write', reverse: true },
  ];
  for (const sets of variants) {
    const b = build('p2p-paths', { ...sets, transfers: 12 });
    let most = 0;
    runChecked(b, ['p2p'], () => { most = Math.max(most, countsOf(b).inFlight); });
    const c = countsOf(b);
    assert.equal([c.started, c.done + c.failed, most], [12, 12, 8], JSON.stringify(sets));
  }
});

test('p2p-transfer: mapped through the IOMMU, transfers in their map and unmap calls are counted; refused mappings too', () => {
  const b = build('apu-redirect', { path: 'rootcomplex', op: 'write', transfers: 12, inFlight: 8, iommuMode: 'off' });
  let mapping = 0, unmapping = 0;
  runChecked(b, ['p2p'], () => { const c = countsOf(b); mapping = Math.max(mapping, c.waitingToMap); unmapping = Math.max(unmapping, c.waitingToUnmap); });
  assert.ok(mapping > 0 && unmapping > 0, `seen in a map call ${mapping}, in an unmap call ${unmapping}`);
  assert.is(countsOf(b).dmaMaps, 12);
  const refused = build('apu-redirect', { path: 'rootcomplex', op: 'write', transfers: 12, iommuMode: 'off', mapResource: 'unsupported' });
  runChecked(refused, ['p2p']);
  const c = countsOf(refused);
  assert.equal([c.dmaMapErrors, c.fallbacks, c.done, c.directWriteBytes], [12, 12, 12, 0]);
});

test('p2p-transfer: a transfer lost, a slot leaked, a leg on the wrong engine or doubled, a latency or a direct write miscounted, is caught', () => {
  const done = build('p2p-paths', { path: 'switch', op: 'write', transfers: 12 });
  runChecked(done, ['p2p']);
  const p2p = p2pOf(done);
  assert.equal(off(p2p, p2p, 'failed'), ['transfers: 12 started != 12 done + 1 failed + 0 in flight']);
  p2p.freeSlots.push(0);
  assert.equal(p2p.invariants(), ['slots: 0 busy + 9 free of 8, 12 of 12 transfers started']);
  p2p.freeSlots.pop();
  // Writes issued: 12 of 64 KiB.
  assert.equal(off(p2p, p2p, 'directWriteBytes'), ['direct write bytes: 786433 != 12 direct writes issued × 65536 B']);
  p2p.latency.add(1);
  assert.equal(p2p.invariants(), ['13 latencies recorded for 12 transfers done']);

  // Mid-run, a bounce: each transfer in flight holds one descriptor, on the engine of its leg.
  const mid = build('p2p-paths', { path: 'bounce', op: 'write', transfers: 12 });
  assert.ok(runUntil(mid, ['p2p'], () => { const c = countsOf(mid); return c.inFlight === 8 && p2pOf(mid).onTo.size > 0 && p2pOf(mid).onFrom.size > 0; }));
  const bounce = p2pOf(mid), c = countsOf(mid);
  assert.equal([c.descriptors, c.waitingToMap + c.waitingToUnmap], [8, 0]);
  const [id, second] = [...bounce.onTo][0], [, first] = [...bounce.onFrom][0];
  second.leg = 'first';
  assert.equal(bounce.invariants(), ["1 descriptors on the engine that does not carry their transfer's leg"]);
  second.leg = 'second';
  // A transfer on both of a bounce's legs at once.
  bounce.onFrom.set(-1, first);
  assert.equal(bounce.invariants(), ['legs: 9 descriptors outstanding + 0 transfers in an IOMMU call != 8 transfers in flight']);
  bounce.onFrom.delete(-1);
  // A leg whose descriptor was lost.
  bounce.onTo.delete(id);
  assert.equal(bounce.invariants(), ['legs: 7 descriptors outstanding + 0 transfers in an IOMMU call != 8 transfers in flight']);

  // Every read times out and falls back through host memory: one fallback each, no more.
  const fell = build('p2p-paths', { path: 'rootcomplex', op: 'read', platform: 'amd-pre-zen', transfers: 12 });
  runChecked(fell, ['p2p']);
  const f = p2pOf(fell);
  assert.is(f.fallbacks, 12);
  f.fallbacks++;
  assert.equal(f.invariants(), ['13 fallbacks, 0 mappings and 0 mapping errors for 12 transfers started']);
  assert.equal(p2pTransferInvariants({ ...countsOf(fell), fallbacks: 0, dmaMaps: 12, dmaMapErrors: 1 }), ['0 fallbacks, 12 mappings and 1 mapping errors for 12 transfers started']);
});

// ---------------------------------------------------------------- kvm.host, workloads.udmabuf-share

test('kvm.host and udmabuf-share: udmabufs made = released + live, pins likewise, at every event; a refused buffer leaves its blob; slips are caught', () => {
  const b = build('xen-vs-kvm', { scheme: 'kvm-udmabuf', pages: 1024 });
  const host = b.get<KvmHost>('kvm'), share = b.get('kvmshare');
  let live = 0;
  runChecked(b, ['kvm', 'kvmshare'], () => { live = Math.max(live, host.sharing.livePages().length); });
  assert.is(live, 1, 'the udmabuf was live while the host built it');
  const c = host.sharing.counts();
  assert.equal([c.udmabufs, c.udmabufsReleased, c.pagesPinned, c.pagesUnpinned, c.blobsCreated, c.blobsReleased], [1, 1, 1024, 1024, 1, 1]);
  const n = (host.sharing as any).n;
  assert.equal(off(host, n, 'udmabufs'), ['udmabufs: 2 made != 1 released + 0 live']);
  assert.equal(off(host, n, 'pagesPinned'), ['pinned pages: 1025 pinned - 1024 unpinned != 0 held by the 0 live udmabufs']);
  assert.equal(off(host, n, 'blobsReleased'), ['blob resources: 2 commands, 1 created, 2 released']);
  // The host still holding the udmabuf the share released.
  (host.sharing as any).live.set(1, 1024);
  assert.equal(share.invariants(), ['udmabuf 1: released by the share, still live at the host']);
  (host.sharing as any).live.delete(1);
  share.outcome = 'udmabuf-limit';
  assert.equal(share.invariants(), ['outcome udmabuf-limit, udmabuf 1 made']);

  // A 1080p frame is past the size limit: no udmabuf, its blob stays live.
  const refused = build('xen-vs-kvm', { scheme: 'kvm-udmabuf', pages: 2025 });
  runChecked(refused, ['kvm', 'kvmshare']);
  const r = refused.get<KvmHost>('kvm').sharing.counts();
  assert.equal([r.udmabufs, r.udmabufFailures, r.blobsCreated, r.blobsReleased, refused.get('kvmshare').outcome], [0, 1, 1, 0, 'udmabuf-limit']);
  refused.get('kvmshare').outcome = 'ok';
  assert.equal(refused.get('kvmshare').invariants(), ['outcome ok, no udmabuf made']);
});

// ---------------------------------------------------------------- workloads.gref-share

test('gref-share: what it holds is granted and mapped in the tables, and what its scheme says, at every event of each scheme', () => {
  for (const scheme of ['flat', 'directory', 'multilevel']) {
    const b = build('gref-schemes', { scheme, pages: 1100 });
    let held = 0;
    runChecked(b, ['share'], () => { held = Math.max(held, b.get('share').holdings?.counts().heldRefs ?? 0); });
    assert.is(b.get('share').outcome, 'ok', scheme);
    assert.is(held, b.get('share').metrics().grant_entries, `${scheme}: all its refs held during the hand-over and import`);
  }
  // A buffer no scheme-as-written can address: nothing granted.
  const refused = build('gref-schemes', { scheme: 'multilevel', limits: 'as-written', pages: 20_000 });
  runChecked(refused, ['share']);
  assert.equal([refused.get('share').outcome, refused.get('share').holdings.counts().granted], ['too-large-for-scheme', 0]);
});

test('gref-share: a held ref ended behind its back, or grants and mappings off its scheme\'s closed form, are caught', () => {
  const b = build('gref-schemes', { scheme: 'flat', pages: 100 });
  const share = b.get('share');
  // Mid hand-over: the refs are granted, the flat scheme's 8 requests on the ring.
  assert.ok(runUntil(b, ['share'], () => (share.holdings?.counts().heldRefs ?? 0) > 0));
  const exporter = b.get<XenDomain>('exporter').model;
  const [ref] = [...share.holdings.refs];
  assert.is(exporter.grants.end(ref), 'ok');
  assert.equal(share.invariants(), ['1 of 100 held refs no longer granted']);
  // The directory scheme: 100 data pages and one directory page.
  const done = build('gref-schemes', { scheme: 'directory', pages: 100 });
  runChecked(done, ['share']);
  const d = done.get('share');
  // Balanced, but one grant more than the scheme's.
  d.holdings.n.granted++;
  d.holdings.n.ended++;
  assert.equal(d.invariants(), ['the directory scheme: 102 refs granted and 100 data pages mapped, its closed form 101 and 100']);
  d.holdings.n.granted--;
  d.holdings.n.ended--;
  d.holdings.n.mapped++;
  assert.equal(d.invariants(), ['mappings: 101 made != 100 unmapped + 0 held', 'the directory scheme: 101 refs granted and 101 data pages mapped, its closed form 101 and 100']);
});

// ---------------------------------------------------------------- workloads.grant-rounds

test('grant-rounds: grants made = ended + being ended + held, mappings likewise, at every event; per-use, persistent, map and copy', () => {
  for (const grants of ['per-use', 'persistent']) {
    for (const mode of ['map', 'copy']) {
      const b = build('hypercall-costs', { grants, mode, batch: 16, rounds: 3 });
      runChecked(b, ['rounds']);
      const c = b.get('rounds').holdings.counts();
      const persistent = grants === 'persistent', maps = mode === 'map';
      assert.equal([c.granted, c.heldRefs, c.mapped, c.heldMappings], [persistent ? 16 : 48, persistent ? 16 : 0, maps ? (persistent ? 16 : 48) : 0, maps && persistent ? 16 : 0], `${grants} ${mode}`);
    }
  }
  // Past a v1 table's 32,760 entries the pages it cannot grant are none to hold.
  const full = build('hypercall-costs', { batch: 40_000, rounds: 1 });
  full.sim.run();
  assert.equal([broken(full), full.get('rounds').holdings.counts().granted], [[], 32_760]);
});

test('grant-rounds: a grant or a mapping miscounted, a held ref ended or a held mapping dropped behind its back, is caught', () => {
  const b = build('hypercall-costs', { grants: 'per-use', batch: 4, rounds: 2 });
  runChecked(b, ['rounds']);
  const h = b.get('rounds').holdings;
  assert.equal(off(b.get('rounds'), h.n, 'granted'), ['grants: 9 made != 8 ended + 0 being ended + 0 held']);
  h.n.mapped++;
  assert.equal(b.get('rounds').invariants(), ['mappings: 9 made != 8 unmapped + 0 held']);

  const copied = build('hypercall-costs', { grants: 'persistent', mode: 'copy', batch: 4, rounds: 2 });
  runChecked(copied, ['rounds']);
  const guest = copied.get<XenDomain>('guest').model;
  guest.grants.end([...copied.get('rounds').holdings.refs][0]);
  assert.equal(copied.get('rounds').invariants(), ['1 of 4 held refs no longer granted']);

  const mapped = build('hypercall-costs', { grants: 'persistent', batch: 4, rounds: 2 });
  runChecked(mapped, ['rounds']);
  const [m] = [...mapped.get('rounds').holdings.mappings];
  m.granter.grants.noteMapped(m.ref, -1);
  assert.equal(mapped.get('rounds').invariants(), ["1 of 4 held mappings not mapped in the granter's table"]);
});

test('grant holdings: refs ended while still mapped (deferred), then forgotten, are a leak the counts show', () => {
  const b = build('hypercall-costs', { batch: 4, rounds: 1 });
  runChecked(b, ['rounds']);
  const host = b.get<XenHost>('xen'), guest = b.get<XenDomain>('guest').model, dom0 = b.get<XenDomain>('dom0').model;
  const held = new GrantHoldings(guest, dom0);
  b.sim.process((function* (): ProcessBody<void> {
    const refs = yield* host.grants.grantAccess(guest, dom0, 4, false);
    held.hold(refs);
    held.holdMappings((yield* host.grants.map(dom0, guest, refs, false)).mappings);
    assert.equal(held.invariants(), []);
    // Ended before the unmap: every end is deferred (busy), and the holder lets go of them all the same.
    const k = held.ending(refs);
    held.ended(k, yield* host.grants.endAccess(guest, refs));
  })());
  b.sim.run();
  assert.equal(held.invariants(), ['grants: 4 made != 0 ended + 0 being ended + 0 held']);
});

// ---------------------------------------------------------------- dmabuf.core, workloads.dmabuf-attach

test('dmabuf.core and dmabuf-attach: attach calls = detached + live + under way, maps = unmaps + mapped, at every event; slips are caught', () => {
  for (const policy of ['in-place', 'migrate']) {
    for (const backing of ['vram', 'carve-out']) {
      const b = build('dmabuf-attach', { policy, backing, pages: 256 });
      let underWay = 0;
      runChecked(b, ['kernel', 'attach'], () => { underWay = Math.max(underWay, b.get<DmaBufKernel>('kernel').core.attachmentState().attaching); });
      assert.is(underWay, 1, 'the attach call was under way');
      assert.equal(b.get<DmaBufKernel>('kernel').core.attachmentState(), { live: 1, mapped: 1, offList: 0, attaching: 0 });
    }
  }
  const b = build('dmabuf-attach', { policy: 'migrate', pages: 256 });
  runChecked(b, ['kernel', 'attach']);
  const kernel = b.get<DmaBufKernel>('kernel'), attach = b.get('attach'), n = (kernel.core as any).n;
  assert.equal(off(kernel, n, 'attaches'), ['attachments: 2 attach calls != 0 detached + 1 live + 0 under way']);
  assert.equal(off(kernel, n, 'maps'), ['maps: 2 != 0 unmapped + 1 mapped attachments']);
  assert.equal(off(kernel, n, 'migrations'), ['2 migrations + 0 redirects > 1 attach calls']);
  assert.equal(off(kernel, n, 'fencesSignalled'), ['fences: 1 signalled > 0 made']);
  // The attachment taken off its buffer's list, or unmapped, behind the core's and the workload's backs.
  const a = attach.attachment;
  a.buffer.attachments.pop();
  assert.equal([kernel.invariants(), attach.invariants()], [["1 live attachments missing from their buffer's list"], ["its attachment is not on its buffer's list"]]);
  a.buffer.attachments.push(a);
  a.mapped = false;
  assert.equal([kernel.invariants(), attach.invariants()], [['maps: 1 != 0 unmapped + 0 mapped attachments'], ['its attachment was mapped and is not now']]);
});

test('dmabuf.core: fences signalled never outnumber fences made; detached attachments leave the count', () => {
  const sim = new Simulation();
  const core = new DmaBufCore(sim, dmaBufCoreParams.parse({}), new Attribution());
  const check = () => dmaBufCoreInvariants(core.counts(), core.attachmentState());
  const fences = [core.fence(), core.fence()];
  sim.process((function* (): ProcessBody<void> {
    const buf = new DmaBuf(16, 'system', 0);
    const a = yield* core.attach(buf, 0x100, 'in-place', true);
    yield* core.map(a);
    fences[0]!.signal();
    yield* core.unmap(a);
    yield* core.detach(a);
  })());
  sim.run({ stopWhen: () => check().length > 0 });
  assert.equal(check(), []);
  assert.equal([core.counts().fences, core.counts().fencesSignalled, fences[0]!.signalled, core.attachmentState().live], [2, 1, true, 0]);
  fences[1]!.signal();
  (core as any).n.fencesSignalled++;
  assert.equal(check(), ['fences: 3 signalled > 2 made']);
});

test('the demo queue: requests arrived = left + in service + waiting, after every event; each counted one sampled once', () => {
  const b = build('demo-read-tags', { requests: 300, load: 10, tags: 4 });
  let busy = false;
  runChecked(b, ['reads'], () => { busy ||= b.get('reads').servers.queued > 0; });
  assert.ok(busy, 'requests waited for a server on the way');
  const q = b.get('reads'), counted = q.completed;
  // The study's warm-up leaves its first requests uncounted.
  assert.ok(counted > 0 && counted < 300, `${counted} counted`);
  assert.equal([q.arrived, q.left], [300, 300]);
  assert.equal(off(q, q, 'left', -1), ['requests: 300 arrived != 299 left + 0 in service + 0 waiting']);
  assert.match(off(q, q, 'left', counted - 1 - 300).join(), `${counted} counted of ${counted - 1} that left, ${counted} sojourn and ${counted} wait samples`);
  q.sojourn.add(1);
  assert.equal(q.invariants(), [`${counted} counted of 300 that left, ${counted + 1} sojourn and ${counted} wait samples`]);
});

test("a Xen domain's buffers lie within its RAM, and a domain with none hands out none", () => {
  const b = build('vm-display-pipeline', { frames: 2 });
  runChecked(b, ['guest', 'dom0']);
  const guest = b.get<XenDomain>('guest') as any, size = guest.p.memorySize as number;
  assert.ok(guest.nextFree > 0, 'the guest allocated its buffers');
  assert.equal(guest.invariants(), []);
  const used = guest.nextFree;
  guest.nextFree = size + 1;
  assert.equal(guest.invariants(), [`${size + 1} bytes of RAM allocated of ${size}`]);
  guest.nextFree = used;
  const ramless = build('display-frames', { frames: 2 }).get('guest') as any;
  assert.equal(ramless.invariants(), []);
  ramless.nextFree = 4096;
  assert.equal(ramless.invariants(), ['4096 bytes of RAM allocated of 0']);
});

test.run();

/**
 * Grant tables and grant operations: capacities, exhaustion as an outcome,
 * exact hypercall / flush / IPI counts, and times worked out by hand from
 * the cost parameters.
 */
import { test } from 'uvu';
import { presetParams, presetValuesOf } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { hypercallPs, xenCostParams, type XenCosts } from '../../models/xen/costs.js';
import { GNTST, GrantOps, IOMMU_MAP, IOTLB_FLUSH, IPI, TLB_FLUSH, type GrantMapping } from '../../models/xen/gnttab.js';
import { GrantTable, NO_REF, RESERVED_ENTRIES } from '../../models/xen/grant-table.js';
import { Hypervisor, type Domain } from '../../models/xen/hypervisor.js';
import { DomainIommuContext } from '../../models/xen/iommu-context.js';
import { Iommu } from '../../models/iommu/iommu.js';
import type { IommuParamsInput } from '../../models/iommu/params.js';

const NS = 1000;

function world(costs: Partial<XenCosts> = {}, dom0Vcpus = 4, guest: { version?: 1 | 2; maxFrames?: number } = {}, maptrack = 262_144) {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, { ...presetParams(xenCostParams, 'xen-x86'), ...costs });
  const ops = new GrantOps(xen);
  const g = xen.createDomain('guest', { kind: 'hvm', vcpus: 1, grantVersion: guest.version ?? 1, maxGrantFrames: guest.maxFrames ?? 64, maptrackLimit: 262_144 });
  const d0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: dom0Vcpus, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: maptrack });
  /** Runs `body` as a process to the end; its value. */
  const run = <T>(body: ProcessBody<T>): T => {
    const p = sim.process(body);
    sim.run();
    return p.value as T;
  };
  return { sim, xen, ops, g, d0, run };
}

test('v1 and v2 tables: entries per frame, capacity with the reserved entries, bytes with v2 status frames', () => {
  const v1 = new GrantTable(1, 64, 1, 4096), v2 = new GrantTable(2, 64, 1, 4096);
  assert.is(v1.entriesPerFrame, 512);
  assert.is(v2.entriesPerFrame, 256);
  assert.is(v1.usable, 32_768 - RESERVED_ENTRIES);
  assert.is(v2.usable, 16_384 - RESERVED_ENTRIES);
  assert.is(v1.bytes, 4096);
  // One v2 frame of 256 entries has 512 bytes of status: one status frame.
  assert.is(v2.bytes, 2 * 4096);
  // The first ref handed out is the first unreserved entry.
  assert.is(v1.grant(1, false).ref, RESERVED_ENTRIES);
});

test('a table grows a frame at a time, then is full: NO_REF, and ending an entry makes room again', () => {
  const t = new GrantTable(1, 2, 1, 4096);
  const refs: number[] = [];
  let grew = 0;
  for (let i = 0; i < 1024 - RESERVED_ENTRIES; i++) { const g = t.grant(7, false); refs.push(g.ref); grew += g.grewFrames; }
  assert.is(grew, 1);
  assert.is(t.frames, 2);
  assert.ok(refs.every((r) => r !== NO_REF));
  assert.is(new Set(refs).size, refs.length, 'no ref handed out twice');
  assert.equal(t.grant(7, false), { ref: NO_REF, grewFrames: 0 });
  t.noteMapped(refs[5]!, 1);
  assert.is(t.end(refs[5]!), 'busy', 'a mapped entry cannot be ended');
  t.noteMapped(refs[5]!, -1);
  assert.is(t.end(refs[5]!), 'ok');
  assert.is(t.end(refs[5]!), 'bad-ref');
  assert.is(t.grant(7, false).ref, refs[5]);
});

test('map: one hypercall per batch, exact time; bad refs and read-only grants fail per op, the rest map', () => {
  const { sim, xen, ops, g, d0, run } = world();
  const refs = run(ops.grantAccess(g, d0, 10, false));
  const ro = run(ops.grantAccess(g, d0, 2, true));
  const t0 = sim.now;
  const r = run(ops.map(d0, g, [...refs, 9999, ...ro], false));
  const c = xen.costs;
  assert.is(sim.now - t0, hypercallPs(c) + 13 * c.mapPerOp);
  assert.equal(r.statuses, [...Array(10).fill(GNTST.okay), GNTST.bad_gntref, GNTST.permission_denied, GNTST.permission_denied]);
  assert.is(r.mappings.length, 10);
  assert.is(xen.counts().byOp['grant_table_op:map'], 1);
  assert.is(ops.counts().mapFailures, 3);
  assert.is(d0.maptrack.used, 10);
  // Read-only maps of read-only grants succeed.
  assert.equal(run(ops.map(d0, g, ro, true)).statuses, [GNTST.okay, GNTST.okay]);
});

test('a PV mapper (dom0) flushes once per 32 unmaps, each shootdown IPIs every other vCPU; no IOMMU context, no IOTLB invalidation', () => {
  for (const [n, vcpus] of [[1, 4], [32, 4], [33, 4], [100, 1], [100, 16]] as const) {
    const { sim, xen, ops, g, d0, run } = world({}, vcpus);
    const refs = run(ops.grantAccess(g, d0, n, false));
    const m = run(ops.map(d0, g, refs, false)).mappings;
    const t0 = sim.now;
    run(ops.unmap(d0, m));
    const c = ops.counts(), x = xen.costs;
    const flushes = Math.ceil(n / 32);
    assert.is(c.tlbFlushes, flushes, `${n} unmaps`);
    assert.is(c.iotlbFlushes, 0);
    assert.is(c.ipis, flushes * (vcpus - 1), `${n} unmaps, ${vcpus} vCPUs`);
    const shootdown = (vcpus - 1) * x.ipiSendPerTarget + (vcpus > 1 ? Math.max(x.tlbFlush, x.ipi) : x.tlbFlush);
    assert.is(sim.now - t0, hypercallPs(x) + n * x.unmapPerOp + flushes * shootdown);
    assert.is(d0.maptrack.used, 0);
    assert.is(xen.counts().hypercalls, 2, 'one map and one unmap call');
  }
});

test('an HVM or PVH mapper changes its p2m page by page: one shootdown per unmapped page; on Arm a broadcast TLBI per page and no IPI', () => {
  const unmapTime = (kind: 'hvm' | 'pvh', costs: Partial<XenCosts> = {}) => {
    const { sim, xen, ops, g, run } = world(costs);
    const d = xen.createDomain('driver', { kind, vcpus: 3, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
    const m = run(ops.map(d, g, run(ops.grantAccess(g, d, 40, false)), false)).mappings;
    const t0 = sim.now;
    run(ops.unmap(d, m));
    return { t: sim.now - t0, c: ops.counts(), x: xen.costs };
  };
  const hvm = unmapTime('hvm');
  assert.is(hvm.c.tlbFlushes, 40, 'one per page, not one per 32');
  assert.is(hvm.c.ipis, 40 * 2);
  assert.is(hvm.t, hypercallPs(hvm.x) + 40 * hvm.x.unmapPerOp + 40 * (2 * hvm.x.ipiSendPerTarget + Math.max(hvm.x.tlbFlush, hvm.x.ipi)));
  assert.is(unmapTime('pvh').t, hvm.t);
  const arm = unmapTime('hvm', { arch: 'arm', tlbiBroadcast: 700 * NS });
  assert.equal([arm.c.tlbFlushes, arm.c.ipis], [40, 0]);
  assert.is(arm.t, hypercallPs(arm.x) + 40 * arm.x.unmapPerOp + 40 * 700 * NS);
});

test('a mapper with an IOMMU context: each grant page mapped there (Xen writes the entry) and unmapped with its own IOTLB invalidation', () => {
  for (const kind of ['dom0', 'hvm'] as const) {
    const { sim, xen, ops, g, run } = world();
    const d = xen.createDomain('driver', { kind, vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
    const mmu = new Iommu(sim, { ...presetValuesOf('iommu-xeon-e5') as IommuParamsInput, mode: 'strict' });
    const id = mmu.createDomain();
    const translated = kind === 'hvm';
    d.iommu = new DomainIommuContext(mmu, id, translated, 64 * 2 ** 30);
    const frames = Array.from({ length: 10 }, (_, i) => 2 ** 32 + i * 2 * 4096);
    const refs = run(ops.grantAccess(g, d, 10, false));
    const t0 = sim.now;
    const m = run(ops.map(d, g, refs, false, frames)).mappings;
    const x = xen.costs;
    assert.is(sim.now - t0, hypercallPs(x) + 10 * (x.mapPerOp + x.iommuMapPerPage), `${kind}: map`);
    // PV: the device sees the frame itself; HVM: a window of guest-physical pages above its RAM, one after another.
    assert.equal(m.map((k) => k.iova), translated ? frames.map((_, i) => 64 * 2 ** 30 + i * 4096) : frames);
    for (const k of m) assert.is(mmu.translate(k.iova!, 0x100).ok, false, 'no device attached yet');
    mmu.attach(0x100, id);
    assert.ok(m.every((k) => mmu.translate(k.iova!, 0x100).ok), 'attached: every grant page translates');
    const t1 = sim.now;
    run(ops.unmap(d, m));
    const shootdowns = translated ? 10 : 1;
    assert.is(ops.counts().iotlbFlushes, 10, 'one IOTLB invalidation per page, never batched');
    assert.is(sim.now - t1, hypercallPs(x) + 10 * (x.unmapPerOp + x.iommuMapPerPage) + shootdowns * x.tlbFlush + 10 * x.iotlbFlush, `${kind}: unmap`);
    assert.is(mmu.translate(m[0]!.iova!, 0x100).ok, false, 'unmapped: the device faults');
  }
});

test('a PV mapper that maps one frame twice holds one IOMMU entry until both mappings go', () => {
  const { sim, xen, ops, g, run } = world();
  const d = xen.createDomain('driver', { kind: 'pv', vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const mmu = new Iommu(sim, { ...presetValuesOf('iommu-xeon-e5') as IommuParamsInput, mode: 'strict' });
  d.iommu = new DomainIommuContext(mmu, mmu.createDomain(), false, 0);
  const frame = 2 ** 33;
  const refs = run(ops.grantAccess(g, d, 2, false));
  const m = run(ops.map(d, g, refs, false, [frame, frame])).mappings;
  assert.equal(m.map((k) => k.iova), [frame, frame]);
  run(ops.unmap(d, [m[0]!]));
  assert.is(ops.counts().iotlbFlushes, 0, 'the other mapping still holds the entry');
  run(ops.unmap(d, [m[1]!]));
  assert.is(ops.counts().iotlbFlushes, 1);
});

test('IPIs take time on the other vCPUs: work there waits behind them', () => {
  const { sim, ops, g, d0, run } = world({}, 2);
  const refs = run(ops.grantAccess(g, d0, 32, false));
  const m = run(ops.map(d0, g, refs, false)).mappings;
  const t0 = sim.now;
  let otherDone = -1;
  sim.process(ops.unmap(d0, m));
  // Another job for dom0's second vCPU, submitted just after the unmap's IPI has taken it.
  const x = ops.xen.costs;
  sim.process((function* (): ProcessBody<void> {
    yield hypercallPs(x) + 32 * x.unmapPerOp + 1;
    yield* d0.vcpus.use(1000);
    otherDone = sim.now;
  })());
  sim.run();
  // The IPI takes the other vCPU as it is sent, at the start of the flush.
  assert.is(otherDone, t0 + hypercallPs(x) + 32 * x.unmapPerOp + x.ipi + 1000);
});

test('maptrack full is a per-op status, not a crash', () => {
  const { ops, g, d0, run } = world({}, 1, {}, 5);
  const refs = run(ops.grantAccess(g, d0, 8, false));
  const r = run(ops.map(d0, g, refs, false));
  assert.equal(r.statuses, [...Array(5).fill(GNTST.okay), ...Array(3).fill(GNTST.no_device_space)]);
});

test('a long batch is preempted and continued: one more round trip per slice of work', () => {
  const { sim, xen, ops, g, d0, run } = world({ preemptAfter: 10_000 * NS, mapPerOp: 1000 * NS });
  const refs = run(ops.grantAccess(g, d0, 25, false));
  const t0 = sim.now;
  run(ops.map(d0, g, refs, false));
  // 25 µs of work in 10 µs slices: 3 slices, 2 continuations.
  assert.is(xen.counts().continuations, 2);
  assert.is(sim.now - t0, 3 * hypercallPs(xen.costs) + 25_000 * NS);
  assert.is(xen.counts().hypercalls, 1 + 0, 'grants made no hypercall; the map is one (continued) call');
  // preemptAfter 0: never preempted, however long the batch; a batch with no work: no continuation either.
  const never = world({ preemptAfter: 0, mapPerOp: 1000 * NS });
  never.run(never.ops.map(never.d0, never.g, never.run(never.ops.grantAccess(never.g, never.d0, 25, false)), false));
  never.run(never.ops.map(never.d0, never.g, [], false));
  assert.equal([never.xen.counts().continuations, never.xen.counts().hypercalls], [0, 2]);
  const c0 = xen.counts().continuations;
  run(ops.map(d0, g, [], false));
  assert.is(xen.counts().continuations, c0, 'an empty batch is one entry and exit');
});

test('granting past the maximum frames: the pages that do not fit get NO_REF and are counted; growth is one hypercall per frame', () => {
  const { xen, ops, g, d0, run } = world({}, 1, { version: 2, maxFrames: 2 });
  const refs = run(ops.grantAccess(g, d0, 600, false));
  const usable = 2 * 256 - RESERVED_ENTRIES;
  assert.is(refs.filter((r) => r !== NO_REF).length, usable);
  assert.is(ops.counts().grantFailures, 600 - usable);
  assert.is(xen.counts().byOp['grant_table_op:grow'], 1);
  // Mapping them: the NO_REFs fail as bad refs, the rest map.
  const r = run(ops.map(d0, g, refs, false));
  assert.is(r.mappings.length, usable);
});

test('grant copy: one hypercall, per-op work plus the bytes at the copy bandwidth', () => {
  const { sim, xen, ops, d0, run } = world();
  run(ops.copy(d0, 16, 4096));
  const c = xen.costs;
  assert.is(sim.now, hypercallPs(c) + 16 * (c.copyPerOp + Math.round((4096 * 1000) / c.copyBandwidth)));
  assert.is(ops.counts().copyBytes, 16 * 4096);
});

test('grant copy of ops of different sizes (a packet\'s header and pages): one hypercall, each op its work and its bytes', () => {
  const { sim, xen, ops, d0, run } = world();
  run(ops.copyEach(d0, [128, 4096, 1, 0]));
  const c = xen.costs;
  const bytes = (b: number) => Math.round((b * 1000) / c.copyBandwidth);
  assert.is(sim.now, hypercallPs(c) + 4 * c.copyPerOp + bytes(128) + bytes(4096) + bytes(1));
  assert.equal([xen.counts().hypercalls, ops.counts().copyOps, ops.counts().copyBytes], [1, 4, 128 + 4096 + 1]);
});

test('where the time goes: TLB flushes and IPIs of the shootdowns, broadcast TLBIs on Arm, IOMMU entries and IOTLB invalidations, each in its category', () => {
  // PV dom0, 4 vCPUs, 33 unmaps: two shootdowns, each 3 IPI sends and the local flush under the acknowledgements.
  const pv = world({}, 4);
  const pm = pv.run(pv.ops.map(pv.d0, pv.g, pv.run(pv.ops.grantAccess(pv.g, pv.d0, 33, false)), false)).mappings;
  pv.run(pv.ops.unmap(pv.d0, pm));
  const x = pv.xen.costs, a = pv.xen.attribution;
  assert.is(a.get(TLB_FLUSH), 2 * x.tlbFlush);
  assert.is(a.get(IPI), 2 * (3 * x.ipiSendPerTarget + Math.max(x.tlbFlush, x.ipi) - x.tlbFlush));
  assert.is(a.get(IOMMU_MAP), 0);
  assert.is(a.get(IOTLB_FLUSH), 0);
  // Arm: a broadcast TLBI per page, no IPI.
  const arm = world({ arch: 'arm', tlbiBroadcast: 700 * NS }, 4);
  const d = arm.xen.createDomain('driver', { kind: 'hvm', vcpus: 3, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  arm.run(arm.ops.unmap(d, arm.run(arm.ops.map(d, arm.g, arm.run(arm.ops.grantAccess(arm.g, d, 5, false)), false)).mappings));
  assert.equal([arm.xen.attribution.get(TLB_FLUSH), arm.xen.attribution.get(IPI)], [5 * 700 * NS, 0]);
  // An IOMMU context: Xen writes an entry per page mapped and removes it per page unmapped, each with its IOTLB invalidation.
  const io = world();
  const drv = io.xen.createDomain('driver', { kind: 'dom0', vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const mmu = new Iommu(io.sim, { ...presetValuesOf('iommu-xeon-e5') as IommuParamsInput, mode: 'strict' });
  drv.iommu = new DomainIommuContext(mmu, mmu.createDomain(), false, 0);
  const frames = Array.from({ length: 6 }, (_, i) => 2 ** 32 + i * 4096);
  const im = io.run(io.ops.map(drv, io.g, io.run(io.ops.grantAccess(io.g, drv, 6, false)), false, frames)).mappings;
  assert.is(io.ops.counts().iommuMaps, 6);
  assert.is(io.xen.attribution.get(IOMMU_MAP), 6 * io.xen.costs.iommuMapPerPage);
  io.run(io.ops.unmap(drv, im));
  assert.is(io.xen.attribution.get(IOMMU_MAP), 12 * io.xen.costs.iommuMapPerPage);
  assert.is(io.xen.attribution.get(IOTLB_FLUSH), 6 * io.xen.costs.iotlbFlush);
});

test('frames given for a mapper without an IOMMU context, or none for one with it: plain mappings, no IOMMU work', () => {
  const w = world();
  const refs = w.run(w.ops.grantAccess(w.g, w.d0, 2, false));
  const plain = w.run(w.ops.map(w.d0, w.g, refs, false, [2 ** 32, 2 ** 32 + 4096])).mappings;
  assert.equal(plain.map((m) => m.iova), [undefined, undefined]);
  const drv = w.xen.createDomain('driver', { kind: 'dom0', vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const mmu = new Iommu(w.sim, { ...presetValuesOf('iommu-xeon-e5') as IommuParamsInput, mode: 'strict' });
  drv.iommu = new DomainIommuContext(mmu, mmu.createDomain(), false, 0);
  const none = w.run(w.ops.map(drv, w.g, w.run(w.ops.grantAccess(w.g, drv, 2, false)), false)).mappings;
  assert.equal(none.map((m) => m.iova), [undefined, undefined]);
  assert.equal([w.ops.counts().iommuMaps, w.xen.attribution.get(IOMMU_MAP)], [0, 0]);
});

test('the counts from zero: grant writes (granting and ending), table growths, what endAccess leaves busy; the statuses are Xen\'s GNTST values', () => {
  const w = world({}, 1, { maxFrames: 4 });
  assert.ok(Object.values(w.ops.counts()).every((v) => v === 0));
  const refs = w.run(w.ops.grantAccess(w.g, w.d0, 700, false));
  assert.is(w.ops.counts().tableGrowths, w.xen.counts().byOp['grant_table_op:grow']);
  assert.is(w.ops.counts().tableGrowths, 1, '700 entries need a second frame');
  const m = w.run(w.ops.map(w.d0, w.g, refs.slice(0, 3), false)).mappings;
  assert.is(w.run(w.ops.endAccess(w.g, refs.slice(0, 10))), 3, 'the three mapped entries stay, busy');
  assert.is(w.ops.counts().grantWrites, 700 + 7);
  w.run(w.ops.unmap(w.d0, m));
  assert.is(w.run(w.ops.endAccess(w.g, refs.slice(0, 3))), 0);
  assert.is(w.ops.counts().grantWrites, 700 + 10);
  assert.equal(GNTST, { okay: 0, bad_gntref: -3, no_device_space: -7, permission_denied: -8 });
});

test('an HVM domain\'s grant window: pages handed out in order, freed ones reused lowest first; a PV domain unmapping a frame it never mapped is a model bug', () => {
  const sim = new Simulation();
  const mmu = new Iommu(sim, { ...presetValuesOf('iommu-xeon-e5') as IommuParamsInput, mode: 'strict' });
  const base = 64 * 2 ** 30, P = 4096;
  const hvm = new DomainIommuContext(mmu, mmu.createDomain(), true, base);
  const frame = (i: number) => 2 ** 32 + i * 2 * P;
  assert.equal([0, 1, 2, 3].map((i) => hvm.mapGrant(frame(i))), [base, base + P, base + 2 * P, base + 3 * P]);
  assert.ok(hvm.unmapGrant(base + 2 * P));
  assert.ok(hvm.unmapGrant(base));
  assert.ok(hvm.unmapGrant(base + 3 * P));
  assert.equal([4, 5, 6, 7].map((i) => hvm.mapGrant(frame(i))), [base, base + 2 * P, base + 3 * P, base + 4 * P]);
  const pv = new DomainIommuContext(mmu, mmu.createDomain(), false, 0);
  assert.throws(() => pv.unmapGrant(frame(9)), /never mapped/);
});

test.run();

export type { Domain, GrantMapping };

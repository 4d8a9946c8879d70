/** The dma-buf core: attach in place or by migration, map through an IOMMU, CPU access, fences. */
import { test } from 'uvu';
import type { IommuParamsInput } from '../../models/iommu/params.js';
import { presetValuesOf } from '../preset-params.js';

/** The IOMMU every test here starts from: the iommu-xeon-e5 preset. */
const XEON_IOMMU = presetValuesOf('iommu-xeon-e5') as IommuParamsInput;
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { Attribution } from '../../src/stats/attribution.js';
import { DmaBuf, DmaBufCore, dmaBufCoreParams, migrationPs } from '../../models/dmabuf/dma-buf.js';
import { Iommu } from '../../models/iommu/iommu.js';

const IOVA = 0x1_0000_0000;

function world(withIommu = false) {
  const sim = new Simulation();
  const attribution = new Attribution();
  const iommus = new Map<number, { iommu: Iommu; domain: number }>();
  let mmu: Iommu | null = null;
  if (withIommu) {
    mmu = new Iommu(sim, XEON_IOMMU);
    const domain = mmu.createDomain();
    mmu.attach(0x100, domain);
    iommus.set(0x100, { iommu: mmu, domain });
  }
  const core = new DmaBufCore(sim, dmaBufCoreParams.parse({}), attribution, iommus);
  const run = <T>(body: ProcessBody<T>): T => { const p = sim.process(body); sim.run(); return p.value as T; };
  return { sim, core, attribution, run, mmu };
}

test('a device-memory buffer: attached in place when P2P is possible, else migrated once to system memory', () => {
  const { sim, core, run } = world();
  const buf = new DmaBuf(2025, 'device', IOVA);
  const a = run(core.attach(buf, 0x100, 'in-place', true));
  assert.ok(a.p2p);
  assert.is(sim.now, core.costs.attach);
  assert.is(buf.placement, 'device');
  const t0 = sim.now;
  const b = run(core.attach(buf, 0x200, 'in-place', false));
  assert.not.ok(b.p2p);
  assert.is(sim.now - t0, core.costs.attach + migrationPs(core.costs, 2025));
  assert.is(buf.placement, 'system', 'migrated for every importer');
  const t1 = sim.now;
  run(core.attach(buf, 0x300, 'migrate', true));
  assert.is(sim.now - t1, core.costs.attach, 'already in system memory: no second migration');
  assert.equal([core.counts().migrations, core.counts().pagesMigrated, buf.attachments.length], [1, 2025, 3]);
});

test('mapping an attachment builds the sg table and maps it through the device\'s IOMMU; unmapping removes it', () => {
  const { sim, core, run, mmu } = world(true);
  const buf = new DmaBuf(8, 'system', IOVA);
  const a = run(core.attach(buf, 0x100, 'in-place', true));
  const t0 = sim.now;
  run(core.map(a));
  const ref = new Iommu(new Simulation(), XEON_IOMMU);
  const iommuMap = ref.map(ref.createDomain(), IOVA, IOVA, 8 * 4096);
  assert.is(sim.now - t0, core.costs.sgBase + 8 * core.costs.sgPerPage + iommuMap);
  assert.ok(mmu!.translate(IOVA + 4096, 0x100).ok, 'the device can reach the buffer');
  run(core.unmap(a));
  assert.not.ok(a.mapped);
  run(core.detach(a));
  assert.is(buf.attachments.length, 0);
});

test('CPU access costs cache maintenance per page; detaching a mapped attachment is a model bug', () => {
  const { sim, core, run } = world();
  const buf = new DmaBuf(100, 'system', IOVA);
  run(core.cpuAccess(buf));
  assert.is(sim.now, 100 * core.costs.cacheMaintenancePerPage);
  const a = run(core.attach(buf, 0x100, 'in-place', true));
  run(core.map(a));
  assert.throws(() => run(core.detach(a)), /unmap it first/);
});

test('a fence wakes every waiter the signalling latency after it is signalled', () => {
  const { sim, core } = world();
  const f = core.fence();
  const woke: number[] = [];
  for (let i = 0; i < 3; i++) sim.process((function* (): ProcessBody<void> { yield f.wait(); woke.push(sim.now); })());
  sim.process((function* (): ProcessBody<void> { yield 7000; f.signal(); })());
  sim.run();
  assert.equal(woke, [7000 + core.costs.fenceSignal, 7000 + core.costs.fenceSignal, 7000 + core.costs.fenceSignal]);
  assert.ok(f.signalled);
  assert.is(core.counts().fencesSignalled, 1);
});

test('a carve-out (stolen memory behind a BAR): reached in place when P2P is possible, else redirected to its system address at the attach\'s cost alone, never migrated', () => {
  const { sim, core, run } = world();
  const buf = new DmaBuf(64, 'carve-out', IOVA);
  const first = run(core.attach(buf, 0x100, 'in-place', true));
  assert.ok(first.p2p);
  assert.not.ok(first.mapped, 'attached, not mapped');
  run(core.detach(first));
  const t0 = sim.now;
  assert.not.ok(run(core.attach(buf, 0x200, 'in-place', false)).p2p);
  assert.not.ok(run(core.attach(buf, 0x300, 'migrate', true)).p2p);
  assert.is(sim.now - t0, 2 * core.costs.attach);
  assert.is(buf.placement, 'carve-out');
  assert.equal([core.counts().redirects, core.counts().migrations, buf.attachments.length], [2, 0, 2]);
});

test('the counts from zero: attaches, maps, unmaps, detaches, CPU accesses; without an IOMMU an unmap costs nothing', () => {
  const { sim, core, run } = world();
  assert.ok(Object.values(core.counts()).every((v) => v === 0));
  const buf = new DmaBuf(4, 'system', IOVA);
  const a = run(core.attach(buf, 0x100, 'in-place', true));
  run(core.map(a));
  const t0 = sim.now;
  run(core.unmap(a));
  assert.is(sim.now, t0, 'no IOMMU: nothing to unmap but the sg table\'s bookkeeping, which the map paid');
  run(core.detach(a));
  run(core.cpuAccess(buf));
  const n = core.counts();
  assert.equal([n.attaches, n.maps, n.unmaps, n.detaches, n.cpuAccesses], [1, 1, 1, 1, 1]);
});

test.run();

/**
 * The conservation checks of the root complex, memory, IOMMU, grant tables
 * and hyper_dmabuf: they hold on real runs (the studies through the CLI,
 * which fails a run whose checks do not hold, and the models driven here),
 * and each catches a planted bug: work done behind a component's back, the
 * kind of slip that leaves a count wrong while latencies still look fine.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import type { ComponentContext } from '../../src/scenario/registry.js';
import { memoryInvariants, rootComplexInvariants } from '../../models/pcie/conservation.js';
import { Memory } from '../../models/pcie/memory.js';
import { genericIommu, type IommuUnit } from '../../models/iommu/generic.js';
import { xenHypervisor, type XenHost } from '../../models/xen/xen-host.js';
import { hyperDmabufDriver, type HyperDmabufDriver } from '../../models/dmabuf/hyper-dmabuf-driver.js';
import { dram, type MemoryDevice } from '../../models/memory/dram.js';
import { exportBuffer, importBuffer } from '../../models/dmabuf/gref-schemes.js';
import { presetValuesOf } from '../preset-params.js';
import { runJsonInProcess } from '../helpers.js';
import { BASE_PATH, G4, rig, type Rig } from './pcie/dma-helpers.js';

const GiB = 2 ** 30;

/** Just enough of a component's context for the models built here: the simulation, a name, named streams, peers. */
function context(sim: Simulation, name: string, peers: Record<string, unknown> = {}): ComponentContext {
  return { sim, name, warmup: 0, tracer: undefined as never, rng: (s: string) => sim.rng(`${name}/${s}`), peer: <T>(n: string) => peers[n] as T, slot: () => null };
}

test('the studies run with every check holding: DMA through a root complex and IOMMU, grant sharing, hyper_dmabuf, the display pipeline', async () => {
  const runs: [string, Record<string, string | number>][] = [
    ['iommu-window', { transfers: 500 }], ['iommu-map-unmap', { mode: 'strict', buffers: 500 }], ['p2p-paths', { path: 'rootcomplex' }],
    ['gref-schemes', { scheme: 'directory', pages: 2047 }], ['hyper-dmabuf', { design: 'exporter-only' }], ['vm-display-pipeline', { frames: 10, sharing: 'per-frame' }],
  ];
  for (const [scenario, sets] of runs) {
    const s = await runJsonInProcess(scenario, sets);
    assert.is(s.status, 'ok', `${scenario}: ${s.error ?? ''}`);
  }
});

/** A DMA read-and-write stream from one endpoint to host memory, run to the end. */
function dmaRun(): Rig {
  const sim = new Simulation({ seed: 3 });
  const r = rig(sim, BASE_PATH);
  for (let i = 0; i < 16; i++) r.endpoint.dma.submit(i % 2 ? 'read' : 'write', G4 + i * 8192, 8192);
  sim.run();
  return r;
}

test('root complex: holds after a DMA run; a memory access behind its back, or a request it lost, is caught', async () => {
  const r = dmaRun();
  const rc = r.rootComplex.stats(), mem = r.memory.stats();
  assert.ok(rc.memoryReads > 0 && rc.memoryWrites > 0, 'the run read and wrote memory');
  assert.equal(rootComplexInvariants(rc, mem), []);
  // A write that reached memory without the root complex routing it.
  r.memory.write(r.memory.range.base, 64);
  assert.match(rootComplexInvariants(r.rootComplex.stats(), r.memory.stats()).join(), /routed to memory, \d+ and \d+ reached it/);
  // A TLP taken in and routed nowhere.
  assert.match(rootComplexInvariants({ ...rc, tlpsIn: rc.tlpsIn + 1 }, mem).join(), `TLPs: ${rc.tlpsIn + 1} in != `);
});

test('memory: transfer time is bytes at the bandwidth; a slot charged at another bandwidth, or a negative wait, is caught', async () => {
  const sim = new Simulation();
  const m = new Memory(sim, { base: 0, size: GiB, latency: 80_000, bandwidth: 12.8, cache: 'warm', coldPenalty: 0, socket: 'local', remotePenalty: 0, remoteReadInterval: 0, cachedReads: 'all', cacheSocket: 'memory', refreshInterval: 0, refreshTime: 0, refreshRanks: 1, llcBytes: 0, workingSet: 0, llcWays: 0, hitsInRequestOrder: false, dramQueuePerRead: 0, writeAccess: 0, writeCommit: 0, writeCommitUntranslated: 0, remoteWriteCommit: 0, ddioWays: 0, readAccessPerLine: 0 });
  for (let i = 0; i < 10; i++) { m.read(i * 4096, 4096); m.write(i * 4096, 100); }
  const s = m.stats();
  // 12.8 GB/s is 78.125 ps a byte; 10 × (4096 + 100) bytes.
  assert.is(s.transferPs, 41_960 * 78.125);
  assert.equal(memoryInvariants(s, m.psPerByte), []);
  assert.match(memoryInvariants(s, 1000 / 25.6).join(), 'transfer time 3278125 ps != 41960 bytes at 39.0625 ps/byte');
  assert.match(memoryInvariants({ ...s, maxQueuePs: s.queuePs + 1 }, m.psPerByte).join(), 'waits');
  // The component checks its model.
  const dev = dram.create(context(sim, 'mem'), dram.params.parse({ latency: '80 ns', bandwidth: '12.8 GB/s' })) as MemoryDevice;
  assert.equal(dev.invariants(), [], 'a memory nobody mapped');
  dev.at({ base: 0, size: GiB }).write(0, 64);
  assert.equal(dev.invariants(), []);
});

test('IOMMU: every translation ends one way; a lookup behind its back, or a walk for nothing, is caught', async () => {
  const sim = new Simulation();
  const unit = genericIommu.create(context(sim, 'iommu'), genericIommu.params.parse({ ...presetValuesOf('iommu-xeon-e5'), identityMap: '4k' })) as IommuUnit;
  unit.identityMap([0x100], [{ base: 0, size: 64 * 2 ** 20 }]);
  for (let a = 0; a < 2 ** 20; a += 4096) { unit.model.translate(a, 0x100); unit.model.translate(a + 8, 0x100); }
  unit.model.translate(0, 0x200); // a requester with no domain
  unit.model.translate(2 * GiB, 0x100); // nothing mapped there
  const s = unit.model.stats();
  assert.equal([s.translations, s.iotlbMisses, s.faults, s.contextFaults], [514, 256, 2, 1]);
  assert.equal(unit.invariants(), []);
  unit.model.iotlb.lookup(1, 0);
  assert.match(unit.invariants().join(), 'IOTLB lookups: 514 != 514 translations - 0 ATS hits - 1 without a domain');
});

/** A Xen host through its component, with two domains. */
function xenHost(sim: Simulation): { host: XenHost; guest: ReturnType<XenHost['xen']['createDomain']>; dom0: ReturnType<XenHost['xen']['createDomain']> } {
  const host = xenHypervisor.create(context(sim, 'xen'), xenHypervisor.params.parse(presetValuesOf('xen-x86'))) as XenHost;
  const opts = { vcpus: 2, grantVersion: 1 as const, maxGrantFrames: 64, maptrackLimit: 262_144 };
  return { host, guest: host.xen.createDomain('guest', { kind: 'hvm', ...opts }), dom0: host.xen.createDomain('dom0', { kind: 'dom0', ...opts }) };
}

test('grant tables: hold through a share; a grant, an end of access or a mapping behind the grant operations is caught', async () => {
  const sim = new Simulation();
  const { host, guest, dom0 } = xenHost(sim);
  sim.process((function* (): ProcessBody<void> {
    const e = yield* exportBuffer(host.grants, guest, dom0, 'directory', 2047, 'design');
    if (!e.ok) throw new Error(e.detail);
    const i = yield* importBuffer(host.grants, dom0, guest, e.buffer);
    if (!i.ok) throw new Error(i.detail);
  })());
  sim.run();
  assert.is(dom0.maptrack.used, 2047, 'the data pages stay mapped');
  assert.equal(host.invariants(), []);
  const ref = guest.grants.grant(dom0.id, true).ref;
  assert.match(host.invariants().join(), `grant entry writes: ${host.grants.counts().grantWrites} by the grant operations, ${host.grants.counts().grantWrites + 1} in the tables`);
  guest.grants.end(ref);
  assert.match(host.invariants().join(), 'grant entry writes');
  dom0.maptrack.take();
  assert.match(host.invariants().join(), 'mappings: 2048 maptrack handles held, 2047 mapped grant entries');
  // A table whose entry is mapped after its grant ended (a free entry mapped).
  const { host: h2, guest: g2 } = xenHost(new Simulation());
  g2.grants.noteMapped(100, 1);
  assert.match(h2.invariants().join(), "guest's grant table: entry 100 is free but mapped 1 times");
});

test('hyper_dmabuf: holds through an export and import; an export whose ref was ended behind its back is caught', async () => {
  const sim = new Simulation({ seed: 1 });
  const { host, guest: a, dom0: b } = xenHost(sim);
  const driver = hyperDmabufDriver.create(context(sim, 'hd', { xen: host }), hyperDmabufDriver.params.parse({ hypervisor: 'xen', design: 'import-and-forward' })) as HyperDmabufDriver;
  const hd = driver.model;
  let hid: { id: number; key: readonly number[] } | undefined;
  sim.process((function* (): ProcessBody<void> {
    if ((yield* hd.connect(a, b)) !== 0) throw new Error('no channel');
    const e = yield* hd.export(a, b, 300);
    if (!e.ok) throw new Error(e.reason);
    hid = e.hid;
    yield 10_000_000; // the importer registers it on its workqueue
    const fd = yield* hd.exportFd(b, e.hid);
    if (!fd.ok) throw new Error(fd.reason);
  })());
  sim.run();
  assert.ok(hid !== undefined);
  assert.equal([driver.invariants(), host.invariants()], [[], []]);
  const c = hd.counts();
  assert.ok(c.messagesTotal >= 2 && c.responses === c.messagesTotal, 'EXPORT and EXPORT_FD sent and answered');
  // The importer maps every data page, so end a metadata ref (unmapped after the import) behind the export's back.
  const mapped = (r: number) => a.grants.mapped(r) > 0;
  const free = [...Array(a.grants.frames * a.grants.entriesPerFrame).keys()].filter((r) => a.grants.grantedTo(r, b.id, false) && !mapped(r));
  assert.ok(free.length > 0, 'the top and second-level refs are unmapped after import');
  a.grants.end(free[0]!);
  assert.match(driver.invariants().join(), /refs no longer granted to dom0/);
});

test.run();

/**
 * An APU's stolen-memory BAR: the integrated GPU on the north bridge, through
 * the BAR vs redirected to the carve-out, with the IOMMU translating; and
 * dma_map_resource before a direct transfer (DMA domains, unsupported, a
 * translating host bridge).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, ROOT, runJsonInProcess, statsOf, tempDir, writeScenario } from '../helpers.js';
import { presetParams, presetValuesOf } from '../preset-params.js';
import { iommuParams } from '../../models/iommu/params.js';
import { PS_PER_NS } from '../../src/sim/time.js';
import { dmaEngineParams } from '../../models/pcie/dma-engine.js';

const run = async (sets: Record<string, string | number>, file = 'apu-redirect') => statsOf(await runJsonInProcess(file, sets));
const scenarioBody = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'apu-redirect.json'), 'utf8'));
const MPS = (presetValuesOf('root-complex-common') as { mps: number }).mps;
const PAGE = 4096;

test('redirected, the data goes to host memory and never crosses the iGPU; through the BAR it does', async () => {
  const bar = await run({ path: 'rootcomplex', op: 'write', size: 65536, transfers: 20 });
  const red = await run({ path: 'redirect', op: 'write', size: 65536, transfers: 20 });
  assert.is(bar['p2p.transfers_done'], 20);
  assert.is(red['p2p.transfers_done'], 20);
  assert.ok(bar['igpupath.down_tlps'] > 0 && bar.p2p_forwarded > 0, 'BAR path: root complex to the iGPU');
  assert.is(red['igpupath.down_tlps'], 0, 'redirect: nothing reaches the iGPU');
  assert.ok(red.memory_writes > 0);
  // The IOMMU translates both: every write request of 64 KiB at MPS 256 is one translation.
  assert.is(bar['rc.iommu.translations'], 20 * 65536 / MPS);
  assert.is(red['rc.iommu.translations'], 20 * 65536 / MPS);
  assert.is(red['rc.iommu.faults'], 0);
});

test('one small read at a time: the redirect is faster, the carve-out path costs its hop', async () => {
  const bar = await run({ path: 'rootcomplex', op: 'read', size: 4096, inFlight: 1 });
  const red = await run({ path: 'redirect', op: 'read', size: 4096, inFlight: 1 });
  assert.ok(red['p2p.latency_ns'].p50 < bar['p2p.latency_ns'].p50);
});

test('the north bridge: no link, each direction adds its latency, so a read round trip through the BAR moves by twice a change of it', async () => {
  const body = scenarioBody();
  const nb = body.links.find((l: { name: string }) => l.name === 'igpupath');
  assert.is(nb.type, 'pcie.integrated');
  // One request and one completion (256 B at MPS 256), so nothing overlaps on the way.
  const sets = { path: 'rootcomplex', op: 'read', size: MPS, inFlight: 1, transfers: 1 };
  nb.params = { latency: '50 ns' };
  const base = await run(sets, writeScenario(tempDir(), 'nb50.json', body));
  nb.params = { latency: '150 ns' };
  const slower = await run(sets, writeScenario(tempDir(), 'nb150.json', body));
  assert.is(slower['p2p.latency_ns'].mean - base['p2p.latency_ns'].mean, 2 * 100);
});

test('a pcie.integrated joins a root port and an endpoint only', async () => {
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'p2p-paths.json'), 'utf8'));
  const link = body.links.find((l: { name: string }) => l.name === 'gpu0link');
  Object.assign(link, { type: 'pcie.integrated', preset: 'apu-northbridge', params: {} });
  const r = await cliInProcess(['validate', writeScenario(tempDir(), 'nb-switch.json', body)]);
  assert.is(r.code, 2);
  assert.match(r.stderr, "joins a root complex's root port to an endpoint, nothing else");
});

test('amd-apu: P2P into the stolen-memory BAR does not work (writes lost, reads time out and fall back) while Linux allows the pair; the redirect delivers', async () => {
  const w = await run({ platform: 'amd-apu', path: 'rootcomplex', op: 'write', size: 65536, transfers: 20, inFlight: 8 });
  assert.is(w['p2p.linux_p2p_class'], 'thru-host-bridge');
  assert.is(w.p2p_writes_dropped, 20 * 65536 / MPS);
  assert.is(w['p2p.lost_write_bytes'], 20 * 65536);
  assert.is(w['igpu.bar.written_bytes'], 0);
  const r = await run({ platform: 'amd-apu', path: 'rootcomplex', op: 'read', size: 65536, transfers: 8, inFlight: 8 });
  assert.is(r['p2p.fallbacks'], 8);
  assert.ok(r['nvme.dma.completion_timeouts'] > 0);
  const red = await run({ platform: 'amd-apu', path: 'redirect', op: 'write', size: 65536, transfers: 20, inFlight: 8 });
  assert.is(red['p2p.lost_write_bytes'], 0);
  assert.is(red['rc.memory_writes'], 20 * 65536 / MPS, 'every write landed in host memory');
});

test('DMA domains: each direct transfer pays dma_map_resource and its unmap at the IOMMU\'s costs, and its requests are translated', async () => {
  const iommu = presetParams(iommuParams, 'iommu-xeon-e5');
  const size = 65536, pages = size / PAGE, transfers = 20;
  assert.ok(iommu.mode === 'deferred' && transfers < iommu.flushQueueSize - 1, 'no unmap here waits for a flush');
  const mapPs = iommu.mapPerCall + pages * iommu.mapPerPage;
  const unmapPs = iommu.unmapPerCall + pages * iommu.unmapPerPage;
  const m = await run({ iommuMode: 'off', path: 'rootcomplex', op: 'read', size, transfers, inFlight: 1 });
  assert.is(m['p2p.dma_maps'], transfers);
  assert.is(m['p2p.dma_mapping_mean_ns'], (mapPs + unmapPs) / PS_PER_NS);
  assert.is(m['p2p.transfers_done'], transfers);
  assert.is(m['rc.iommu.faults'], 0);
  const id = await run({ iommuMode: 'largest', path: 'rootcomplex', op: 'read', size, transfers, inFlight: 1 });
  assert.is(m['rc.iommu.translations'], id['rc.iommu.translations'], 'the same requests, each translated');
  assert.is(id['p2p.dma_maps'], 0, 'an identity domain: the bus address, no call');
  assert.is(id['p2p.dma_mapping_mean_ns'], null);
  assert.ok(m['p2p.latency_ns'].p50 - id['p2p.latency_ns'].p50 >= (mapPs + unmapPs) / PS_PER_NS, 'the transfer waits for both calls');
});

test('DMA domains on amd-apu: a mapped read through the BAR times out, is unmapped at the IOMMU\'s cost, then falls back through host memory', async () => {
  const iommu = presetParams(iommuParams, 'iommu-xeon-e5');
  const size = 4096, pages = size / PAGE, transfers = 10;
  const mappingNs = (iommu.mapPerCall + pages * iommu.mapPerPage + iommu.unmapPerCall + pages * iommu.unmapPerPage) / PS_PER_NS;
  const sets = { platform: 'amd-apu', path: 'rootcomplex', op: 'read', size, transfers, inFlight: 1 };
  const m = await run({ ...sets, iommuMode: 'off' });
  assert.is(m['p2p.dma_maps'], transfers);
  assert.is(m['p2p.dma_mapping_mean_ns'], mappingNs, 'a failed transfer pays its map and its unmap like one that succeeds');
  assert.is(m['p2p.fallbacks'], transfers, 'each direct read failed and went through host memory');
  assert.equal([m['p2p.transfers_done'], m['p2p.transfers_failed']], [transfers, 0]);
  assert.is(m.p2p_reads_dropped, transfers * size / presetParams(dmaEngineParams, 'netfpga-sume-dma').mrrs, 'every read request into the BAR dropped');
  // The same failure in an identity domain: no calls; mapped, the fallback waits for the unmap.
  const id = await run({ ...sets, iommuMode: 'largest' });
  assert.equal([id['p2p.dma_maps'], id['p2p.fallbacks']], [0, transfers]);
  assert.ok(m['p2p.latency_ns'].p50 - id['p2p.latency_ns'].p50 >= mappingNs, 'the fallback starts after the unmap returns');
});

test('dma_map_resource unsupported: the error comes before any TLP, and every transfer goes through host memory', async () => {
  const m = await run({ iommuMode: 'off', mapResource: 'unsupported', path: 'rootcomplex', op: 'write', size: 65536, transfers: 10 });
  assert.is(m['p2p.dma_map_errors'], 10);
  assert.is(m['p2p.fallbacks'], 10);
  assert.is(m['p2p.transfers_done'], 10);
  assert.is(m['p2p.dma_maps'], 0);
  assert.is(m.p2p_forwarded, 0, 'no P2P TLP was sent');
  assert.is(m['rc.memory_writes'], 10 * 65536 / MPS, 'the bounce: the device writes host memory');
  // The redirect maps host memory (dma_map_page), not a resource: it is not refused.
  const red = await run({ iommuMode: 'off', mapResource: 'unsupported', path: 'redirect', op: 'write', size: 65536, transfers: 10 });
  assert.equal([red['p2p.dma_map_errors'], red['p2p.dma_maps'], red['p2p.fallbacks']], [0, 10, 0]);
});

test('behind a translating host bridge the device must get the bus address: the CPU physical address reaches no BAR', async () => {
  const offset = 256 * 2 ** 30;
  const bus = await run({ barBusOffset: offset, addressing: 'bus', path: 'rootcomplex', op: 'read', size: 65536, transfers: 4 });
  assert.equal([bus['p2p.transfers_done'], bus['p2p.fallbacks']], [4, 0]);
  const cpu = await run({ barBusOffset: offset, addressing: 'cpu-physical', path: 'rootcomplex', op: 'read', size: 65536, transfers: 4 });
  assert.is(cpu['p2p.fallbacks'], 4);
  assert.ok(cpu['rc.iommu.faults'] > 0, 'the identity domain maps the BAR at its bus address, not the CPU address');
  assert.is(cpu['igpu.bar.read_bytes'], 0);
  // Where bus and CPU addresses are the same (x86, offset 0), the CPU address works.
  const x86 = await run({ barBusOffset: 0, addressing: 'cpu-physical', path: 'rootcomplex', op: 'read', size: 65536, transfers: 4 });
  assert.equal([x86['p2p.transfers_done'], x86['p2p.fallbacks']], [4, 0]);
});

test.run();

/** P2P paths between two endpoints on each platform: where the TLPs go, what a dropped read does, how Linux sees the pair. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, ROOT, runJsonInProcess, statsOf, tempDir, writeScenario } from '../helpers.js';
import { presetValuesOf } from '../preset-params.js';

const run = async (sets: Record<string, string | number | boolean>, file = 'p2p-paths') => statsOf(await runJsonInProcess(file, sets));
const scenarioBody = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'p2p-paths.json'), 'utf8'));
/** The scenario's transfer size and the switches' and root complexes' Max_Payload_Size: writes are cut at it. */
const SIZE = 65536;
const MPS = (presetValuesOf('root-complex-common') as { mps: number }).mps;

test('below a switch the data never leaves it; with ACS redirect every TLP goes up to the root complex and back', async () => {
  const direct = await run({ path: 'switch', op: 'write', transfers: 20 });
  assert.is(direct['p2p.transfers_done'], 20);
  assert.is(direct['up0.up_tlps'], 0);
  assert.is(direct.p2p_forwarded, 0);
  const acs = await run({ path: 'acs', op: 'write', transfers: 20 });
  assert.is(acs['up1.up_tlps'], acs['nvme1link.up_tlps'], 'every write went up the uplink');
  assert.is(acs['up1.down_tlps'], acs['up1.up_tlps'], 'and came back down');
  assert.is(acs.p2p_forwarded, acs['up1.up_tlps']);
});

test('a root complex that drops P2P reads: each read times out, then falls back through host memory', async () => {
  const m = await run({ platform: 'generic-chipset', path: 'rootcomplex', op: 'read', transfers: 4 });
  assert.is(m['p2p.fallbacks'], 4);
  assert.is(m['p2p.transfers_done'], 4);
  assert.ok(m.p2p_reads_dropped > 0);
  assert.ok(m['nvme0.dma.completion_timeouts'] > 0, 'the reads ended in completion timeouts');
  // Without a fallback they are failures, and the run still ends.
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'p2p-paths.json'), 'utf8'));
  body.components.find((c: { name: string }) => c.name === 'p2p').params.fallback = 'none';
  const file = writeScenario(tempDir(), 'nofallback.json', body);
  const f = await run({ platform: 'generic-chipset', path: 'rootcomplex', op: 'read', transfers: 4 }, file);
  assert.equal([f['p2p.transfers_failed'], f['p2p.transfers_done'], f['p2p.fallbacks']], [4, 0, 0]);
});

test('a throttled root complex caps P2P reads and writes at its bandwidths (Xeon E5 v4: writes at the measured 7.1 GB/s)', async () => {
  const e5 = presetValuesOf('xeon-e5-v4') as { p2pReadBandwidth: number; p2pWriteBandwidth: number };
  const r = await run({ platform: 'xeon-e5-v4', path: 'rootcomplex', op: 'read' });
  assert.ok(r['p2p.throughput_gbytes_per_s'] <= e5.p2pReadBandwidth * 1.001, `${r['p2p.throughput_gbytes_per_s']} GB/s over the ${e5.p2pReadBandwidth} GB/s read cap`);
  assert.ok(r['p2p.throughput_gbytes_per_s'] > 0.9 * e5.p2pReadBandwidth, 'the cap, not the link, sets the pace');
  const w = await run({ platform: 'xeon-e5-v4', path: 'rootcomplex', op: 'write' });
  // Posted writes are done for the writer when they leave it: the last credits' worth is still in the root complex then, hence the 1 % over.
  assert.ok(w['p2p.throughput_gbytes_per_s'] <= e5.p2pWriteBandwidth * 1.01 && w['p2p.throughput_gbytes_per_s'] > 0.9 * e5.p2pWriteBandwidth, `${w['p2p.throughput_gbytes_per_s']} GB/s against the ${e5.p2pWriteBandwidth} GB/s write cap`);
  const zen = await run({ platform: 'amd-zen', path: 'rootcomplex', op: 'write' });
  assert.ok(zen['p2p.throughput_gbytes_per_s'] > w['p2p.throughput_gbytes_per_s'], 'Zen forwards writes in full: the Gen3 x16 link sets the pace');
});

test('Linux\'s classification: same switch is bus-addr; through the root complex it depends on the whitelist', async () => {
  const cls = async (platform: string, p: string) => (await run({ platform, path: p, transfers: 1 }))['p2p.linux_p2p_class'];
  assert.is(await cls('generic-chipset', 'switch'), 'bus-addr');
  assert.is(await cls('amd-zen', 'rootcomplex'), 'thru-host-bridge');
  assert.is(await cls('xeon-e5-v4', 'rootcomplex'), 'not-supported', 'E5 v4 host bridges are not on the whitelist');
  assert.is(await cls('xeon-skylake-sp', 'acs'), 'thru-host-bridge', 'ACS redirect takes the pair through the host bridge');
});

test('per pair and direction: nvme0 → gpu2 works in full, gpu2 → nvme0 writes are dropped and its reads capped at the pair\'s own bandwidth', async () => {
  const oneWay = scenarioBody().components.find((c: { name: string; when?: { platform?: unknown } }) => c.name === 'rc' && c.when?.platform === 'one-way');
  const exception = oneWay.params.p2pPairs[0] as { from: string; to: string; readBandwidth: number };
  assert.equal([exception.from, exception.to], ['rp2', 'rp0'], 'the exception is the reverse pair only');
  const fwd = await run({ platform: 'one-way', path: 'rootcomplex', op: 'write', transfers: 20 });
  assert.is(fwd['p2p.lost_write_bytes'], 0);
  assert.is(fwd.p2p_writes_dropped, 0);
  const rev = await run({ platform: 'one-way', path: 'rootcomplex', op: 'write', transfers: 20, reverse: true });
  assert.is(rev.p2p_writes_dropped, 20 * SIZE / MPS, 'every write TLP of gpu2 → nvme0 dropped');
  assert.is(rev['p2p.lost_write_bytes'], 20 * SIZE);
  assert.is(rev['p2p.transfers_done'], 20, 'posted: the writer saw every write leave');
  assert.is(rev['nvme0.bar.written_bytes'], 0);
  assert.is(rev['p2p.linux_p2p_class'], 'thru-host-bridge', 'Linux allows the pair both ways');
  const revRead = await run({ platform: 'one-way', path: 'rootcomplex', op: 'read', reverse: true });
  const tp = revRead['p2p.throughput_gbytes_per_s'];
  assert.ok(tp <= exception.readBandwidth * 1.001 && tp > 0.9 * exception.readBandwidth, `${tp} GB/s against the pair's ${exception.readBandwidth} GB/s cap`);
  // The forward direction is the base platform's: the exception leaves it alone.
  const fwdRead = await run({ platform: 'one-way', path: 'rootcomplex', op: 'read' });
  const zenRead = await run({ platform: 'amd-zen', path: 'rootcomplex', op: 'read' });
  assert.is(fwdRead['p2p.throughput_gbytes_per_s'], zenRead['p2p.throughput_gbytes_per_s']);
});

test('a switch that refuses peer TLPs: Linux still says bus-addr; writes are lost with the writer none the wiser, reads time out and fall back', async () => {
  const w = await run({ path: 'switch', op: 'write', transfers: 10, switchPeer: 'unsupported' });
  assert.is(w['p2p.linux_p2p_class'], 'bus-addr');
  assert.is(w['p2p.transfers_done'], 10);
  assert.is(w['sw0.unsupported_requests'], 10 * SIZE / MPS);
  assert.is(w['p2p.lost_write_bytes'], 10 * SIZE);
  assert.is(w['gpu0.bar.written_bytes'], 0);
  assert.is(w['p2p.throughput_gbytes_per_s'], 0, 'nothing delivered');
  const r = await run({ path: 'switch', op: 'read', transfers: 4, switchPeer: 'unsupported' });
  assert.is(r['p2p.fallbacks'], 4);
  assert.is(r['p2p.transfers_done'], 4);
  assert.ok(r['nvme0.dma.completion_timeouts'] > 0 && r['sw0.unsupported_requests'] > 0);
  assert.is(r['gpu0.bar.read_bytes'], 0, 'no read reached the BAR; the fallback reads host memory');
});

test('a bounce the host cannot serve (its buffer outside host memory): each transfer\'s read of it times out, the transfer fails, counted; the run ends', async () => {
  const body = scenarioBody();
  body.components.find((c: { name: string }) => c.name === 'p2p').params.bounceBase = 4096;
  const file = writeScenario(tempDir(), 'badbounce.json', body);
  const m = await run({ path: 'bounce', op: 'read', transfers: 4 }, file);
  assert.equal([m['p2p.transfers_failed'], m['p2p.transfers_done'], m['p2p.fallbacks']], [4, 0, 0]);
  assert.is(m['nvme0.dma.descriptors_failed'], 4, 'the drive\'s read of the bounce buffer: one failed descriptor a transfer');
  assert.ok(m['rc.unsupported_requests'] > 0, 'the root complex claims no such address');
});

test('a p2pPairs exception naming a root port the root complex does not have is a user error with its field path', async () => {
  const body = scenarioBody();
  body.components.find((c: { name: string; when?: { platform?: unknown } }) => c.name === 'rc' && c.when?.platform === 'one-way').params.p2pPairs[0].from = 'rp7';
  const r = await cliInProcess(['run', writeScenario(tempDir(), 'badpair.json', body), '--set', 'platform=one-way']);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'components[1].params.p2pPairs[0].from');
  assert.match(r.stderr, 'rp7 is not one of its root ports');
  assert.not.match(r.stderr, '    at ');
});

test('reverse needs a BAR on the route\'s from: without one it is a user error naming the field', async () => {
  const body = scenarioBody();
  const nvme1 = body.components.find((c: { name: string }) => c.name === 'nvme1');
  delete nvme1.params.barSize;
  delete nvme1.params.barBase;
  delete nvme1.slots;
  const file = writeScenario(tempDir(), 'nobar.json', body);
  const r = await cliInProcess(['run', file, '--set', 'path=acs', '--set', 'reverse=true']);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'params.routes.acs.from: nvme1 has no BAR to transfer to');
  assert.is((await run({ path: 'acs', transfers: 2 }, file))['p2p.transfers_done'], 2, 'forward it needs none');
});

test('bounce through an IOMMU in DMA mode (no identity map): each device has a domain of its own with the bounce buffers mapped, so both legs translate and none faults', async () => {
  const body = scenarioBody();
  for (const c of body.components) if (c.name === 'rc') c.slots = { iommu: { enabled: true, type: 'iommu.generic', preset: 'iommu-xeon-e5', params: { identityMap: 'off' } } };
  const file = writeScenario(tempDir(), 'dma-domains.json', body);
  for (const op of ['write', 'read']) {
    const m = await run({ path: 'bounce', op, transfers: 8 }, file);
    assert.equal([m['p2p.transfers_done'], m['p2p.transfers_failed'], m['rc.iommu.faults']], [8, 0, 0], op);
    // Each transfer: 64 KiB written in MPS-sized TLPs, then read back in MRRS-sized requests, each translated.
    assert.ok(m['rc.iommu.translations'] >= 8 * SIZE / MPS, `${op}: ${m['rc.iommu.translations']} translations`);
  }
});

test.run();

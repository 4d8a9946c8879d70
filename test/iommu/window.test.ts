/** The IOMMU on the DMA path (an iommu.generic in the root complex's iommu slot): the IOTLB-reach cliff where it belongs, and its absence with 2 MiB pages. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricsOf, runJsonInProcess } from '../helpers.js';
import { identitySpans } from '../../models/iommu/generic.js';

const run = async (sets: Record<string, string | number>) => metricsOf(await runJsonInProcess('iommu-window', sets));
const KiB = 1024, MiB = 1024 * KiB;

test('4 KiB pages: every translation hits inside the IOTLB\'s reach (64 x 4 KiB first level, 112 second), most miss past it, and reads slow down', async () => {
  const inside = await run({ window: 256 * KiB, pageSize: '4k' });
  const past = await run({ window: 4 * MiB, pageSize: '4k' });
  assert.ok(inside['rc.iommu.iotlb_hit_rate'] > 0.97, `hit rate ${inside['rc.iommu.iotlb_hit_rate']} inside the reach`);
  assert.ok(past['rc.iommu.iotlb_hit_rate'] < 0.15, `hit rate ${past['rc.iommu.iotlb_hit_rate']} at 16 x the reach`);
  assert.ok(past['dma.throughput_gbytes_per_s'] < 0.8 * inside['dma.throughput_gbytes_per_s'], `${past['dma.throughput_gbytes_per_s']} vs ${inside['dma.throughput_gbytes_per_s']} GB/s`);
  assert.is(past['rc.iommu.translations'], 3000, 'one translation per 64-byte read request');
});

test('posted writes hit the cliff too: misses queue for the page walkers', async () => {
  const inside = await run({ op: 'write', window: 256 * KiB, pageSize: '4k' });
  const past = await run({ op: 'write', window: 4 * MiB, pageSize: '4k' });
  assert.ok(past['dma.throughput_gbytes_per_s'] < 0.5 * inside['dma.throughput_gbytes_per_s'], `${past['dma.throughput_gbytes_per_s']} vs ${inside['dma.throughput_gbytes_per_s']} GB/s`);
  assert.ok(past['rc.iommu.walker_wait_mean_ns'] > inside['rc.iommu.walker_wait_mean_ns']);
  const big = await run({ op: 'write', window: 4 * MiB, pageSize: '2m' });
  assert.is(big['rc.iommu.walker_wait_mean_ns'], 0, '2 MiB pages: no walk after the first');
});

test('2 MiB pages: the same windows stay inside the reach, no cliff', async () => {
  const small = await run({ window: 64 * KiB, pageSize: '2m' });
  const big = await run({ window: 16 * MiB, pageSize: '2m' });
  assert.ok(big['rc.iommu.iotlb_hit_rate'] > 0.99);
  assert.ok(Math.abs(big['dma.throughput_gbytes_per_s'] - small['dma.throughput_gbytes_per_s']) / small['dma.throughput_gbytes_per_s'] < 0.02);
});

test('IOMMU off: translation costs nothing and its columns are empty', async () => {
  const off = await run({ iommu: 'off', window: 4 * MiB });
  assert.not.ok(Object.keys(off).some((k) => k.startsWith('rc.iommu.')), 'no IOMMU, no IOMMU columns');
  assert.ok(off['dma.throughput_gbytes_per_s'] >= (await run({ window: 64 * KiB, pageSize: '2m' }))['dma.throughput_gbytes_per_s'] * 0.99);
});

test("a '2m' identity map covers each range with the 2 MiB pages around it, a shared page once; '4k' and 'largest' map the 4 KiB pages around them", () => {
  const GiB = 1024 * MiB;
  const window = { base: 4 * GiB, size: 8 * KiB };
  const bar = { base: 4 * GiB + MiB, size: 64 * KiB };
  assert.equal(identitySpans('2m', [bar, window]), [{ base: 4 * GiB, size: 2 * MiB, page: 2 * MiB }], 'the window and the BAR share one page, mapped once');
  assert.equal(identitySpans('2m', [{ base: 4 * GiB + MiB, size: 2 * MiB }]), [{ base: 4 * GiB, size: 4 * MiB, page: 2 * MiB }], 'a range across a page boundary takes both pages');
  assert.equal(identitySpans('4k', [window]), [{ ...window, page: 4 * KiB }]);
  assert.equal(identitySpans('4k', [{ base: 4 * GiB + 100, size: 6 * KiB }, { base: 4 * GiB + 7 * KiB, size: 16 }, { base: 4 * GiB + 8 * KiB, size: 16 }]),
    [{ base: 4 * GiB, size: 8 * KiB, page: 4 * KiB }, { base: 4 * GiB + 8 * KiB, size: 4 * KiB, page: 4 * KiB }], 'the 4 KiB pages around each range, a shared page mapped once');
  assert.equal(identitySpans('largest', [{ base: 6 * GiB + 16, size: 16 }]), [{ base: 6 * GiB, size: 4 * KiB, page: 4 * KiB }], 'a BAR smaller than a page: the page it sits in');
  assert.equal(identitySpans('largest', [window, { base: 6 * GiB, size: 4 * MiB }]), [{ ...window, page: 4 * KiB }, { base: 6 * GiB, size: 4 * MiB, page: 2 * MiB }]);
  assert.equal(identitySpans('2m', [{ base: 0, size: 0 }]), [], 'an empty range maps nothing');
});

test('a platform whose IOMMU maps 2 MiB pages runs the 8 KiB-window DMA bandwidth test (its memory is smaller than a page)', async () => {
  const m = metricsOf(await runJsonInProcess('dma-bandwidth', { platform: 'nfp6000-xeon-e5-2630-iommu', op: 'read', size: 64, transfers: 400 }));
  assert.ok(m['dma.throughput_gbytes_per_s'] > 0);
  assert.ok(m['rc.iommu.iotlb_hit_rate'] > 0.95, `hit rate ${m['rc.iommu.iotlb_hit_rate']}: one 2 MiB page holds the window (the misses are the first walks)`);
});

test('latencyTick: the unloaded latencies read off the NFP firmware\'s 16-cycle timestamp are whole ticks, the two around the exact latency', async () => {
  const tick = 40 / 3; // ns: 16 cycles of 1.2 GHz
  const tickPs = 13333; // the same tick as the scenario takes it, to the ps
  const sets = { platform: 'nfp6000-xeon-e5-2630v4', iommu: 'off', window: 8192, inFlight: 1, transfers: 400 };
  const exact = (await run(sets))['dma.latency_ns'];
  const read = (await run({ ...sets, latencyTick: `${tickPs} ps` }))['dma.latency_ns'];
  const readTick = tickPs / 1000; // ns
  for (const [, v] of read.cdf as [number, number][]) {
    assert.ok(Math.abs(v - Math.round(v / readTick) * readTick) <= v * 1e-3, `${v} ns is a whole number of ticks (the distribution's sketch keeps 0.1%)`);
  }
  assert.ok(read.min >= Math.floor(exact.min / tick) * tick - 0.1 && read.max <= Math.ceil(exact.max / tick) * tick + 0.1, 'no reading beyond the ticks around the exact range');
  assert.ok(Math.abs(read.mean - exact.mean) < tick / 2, `mean ${read.mean} against ${exact.mean}: the ticks average out`);
});

test("a pcie-bench platform starts a warm run with the window's translations cached, as the NFP's writes that warmed the host cache left them, and a cold one with none", async () => {
  const run = (cache: string) => runJsonInProcess('dma-bandwidth', { platform: 'nfp6000-xeon-e5-2630v4-iommu-nosp', op: 'read', size: 64, window: 8 * KiB, cache, transfers: 200 });
  const warm = metricsOf(await run('warm')), cold = metricsOf(await run('cold'));
  assert.is(warm['rc.iommu.walks'], 0, 'warm: every translation hits');
  assert.is(warm['rc.iommu.iotlb_hit_rate'], 1);
  assert.is(cold['rc.iommu.walks'], 2, "cold: one walk for each of the window's two pages");
});

test.run();

/** Strict vs deferred invalidation for a map/DMA/unmap-per-buffer driver: flush counts, throughput, the stale window. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricsOf, runJsonInProcess } from '../helpers.js';

const run = async (sets: Record<string, string | number>) => metricsOf(await runJsonInProcess('iommu-map-unmap', sets));

test('strict: one flush per unmap and no stale window; deferred: one per 255 unmaps plus the timer, and a window', async () => {
  const strict = await run({ mode: 'strict', buffers: 600 });
  assert.is(strict['rc.iommu.invalidations'], 600);
  assert.is(strict['rc.iommu.stale_window_ns'].max, 0);
  const deferred = await run({ mode: 'deferred', buffers: 600 });
  assert.is(deferred['rc.iommu.queue_full_flushes'], Math.floor((600 - 1) / 255));
  assert.is(deferred['rc.iommu.timer_flushes'], 1);
  assert.ok(deferred['rc.iommu.stale_window_ns'].max > 0);
});

test('deferred buys throughput where the driver CPU bounds small buffers; large buffers are link-bound either way', async () => {
  const s = (await run({ mode: 'strict', bufferSize: 4096 })), d = (await run({ mode: 'deferred', bufferSize: 4096 }));
  assert.ok(d['drv.throughput_gbytes_per_s'] > 1.3 * s['drv.throughput_gbytes_per_s'], `${d['drv.throughput_gbytes_per_s']} vs ${s['drv.throughput_gbytes_per_s']}`);
  assert.ok(s['drv.cpu_utilization'] > 0.95, 'strict: the CPU is the bottleneck');
  const sl = (await run({ mode: 'strict', bufferSize: 65536, buffers: 300 })), dl = (await run({ mode: 'deferred', bufferSize: 65536, buffers: 300 }));
  assert.ok(Math.abs(sl['drv.throughput_gbytes_per_s'] - dl['drv.throughput_gbytes_per_s']) / dl['drv.throughput_gbytes_per_s'] < 0.02);
});

test.run();

/** An APU's stolen-memory BAR: through the BAR vs redirected to the carve-out, with the IOMMU translating. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJson, statsOf } from '../helpers.js';

const run = (sets: Record<string, string | number>) => statsOf(runJson('apu-redirect', sets));

test('redirected, the data goes to host memory and never crosses the iGPU; through the BAR it does', () => {
  const bar = run({ path: 'rootcomplex', op: 'write', size: 65536, transfers: 20 });
  const red = run({ path: 'redirect', op: 'write', size: 65536, transfers: 20 });
  assert.is(bar['p2p.transfers_done'], 20);
  assert.is(red['p2p.transfers_done'], 20);
  assert.ok(bar['igpulink.down_tlps'] > 0 && bar.p2p_forwarded > 0, 'BAR path: root complex to the iGPU');
  assert.is(red['igpulink.down_tlps'], 0, 'redirect: nothing reaches the iGPU');
  assert.ok(red.memory_writes > 0);
  // The IOMMU translates both: every write request of 64 KiB at MPS 256 is one translation.
  assert.is(bar['rc.iommu.translations'], 20 * 65536 / 256);
  assert.is(red['rc.iommu.translations'], 20 * 65536 / 256);
  assert.is(red['rc.iommu.faults'], 0);
});

test('one small read at a time: the redirect is faster, the carve-out path costs its hop', () => {
  const bar = run({ path: 'rootcomplex', op: 'read', size: 4096, inFlight: 1 });
  const red = run({ path: 'redirect', op: 'read', size: 4096, inFlight: 1 });
  assert.ok(red['p2p.latency_ns'].p50 < bar['p2p.latency_ns'].p50);
});

test.run();

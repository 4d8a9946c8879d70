/**
 * The hypercall-cost study through the real command line: exact counts per
 * configuration, time accounted for in full by the attribution, grant-table
 * exhaustion as a counted outcome.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJsonInProcess, statsOf } from '../helpers.js';

const run = async (sets: Record<string, string | number>) => {
  const s = (await runJsonInProcess('hypercall-costs', sets)) as { metrics: Record<string, number>; attribution: { charges: [string, number][] }; simulated_ps: number };
  return { ...s, metrics: statsOf(s) };
};

test('per-use grants: one map and one unmap call per round, a flush per 32 unmaps, an IPI per other vCPU', async () => {
  const s = await run({ batch: 100, rounds: 5, vcpus: 6 });
  const m = s.metrics;
  assert.is(m.hypercalls, 10);
  assert.is(m.tlb_flushes, 5 * 4);
  assert.is(m.iotlb_flushes, 0, 'dom0 (PV, all memory in its IOMMU view) keeps no IOMMU entries for grants');
  assert.is(m.ipis, 5 * 4 * 5);
  assert.is(m['guest.grant_entries_peak'], 100);
  assert.is(m.grant_failures, 0);
  // One flow, one step after another: the attribution accounts for every picosecond.
  const charged = s.attribution.charges.reduce((a, [, ps]) => a + ps, 0);
  assert.is(charged, s.simulated_ps);
  assert.equal(s.attribution.charges.map(([c]) => c), ['grant-map', 'grant-table', 'grant-unmap', 'hypercall', 'iommu-map', 'ipi', 'tlb-flush']);
});

test('persistent grants: granted and mapped once, never unmapped', async () => {
  const m = (await run({ batch: 100, rounds: 5, grants: 'persistent' })).metrics;
  assert.is(m.hypercalls, 1);
  assert.is(m.tlb_flushes, 0);
  assert.ok(m.round_per_op_ns < (await run({ batch: 100, rounds: 5 })).metrics.round_per_op_ns / 5);
});

test('a v2 table holds half the entries of v1: the rest of a 32768-page buffer is refused, every round', async () => {
  const v1 = (await run({ batch: 32768, rounds: 2, grantVersion: 1 })).metrics;
  const v2 = (await run({ batch: 32768, rounds: 2, grantVersion: 2 })).metrics;
  assert.is(v1.grant_failures, 2 * (32768 - (64 * 512 - 8)));
  assert.is(v2.grant_failures, 2 * (32768 - (64 * 256 - 8)));
  assert.is(v2['guest.grant_entries_peak'], 64 * 256 - 8);
  assert.is(v2.map_failures, 0, 'refused pages are not mapped');
  assert.is(v1['guest.grant_table_bytes'], 64 * 4096);
  assert.is(v2['guest.grant_table_bytes'], 64 * 4096 + 8 * 4096, '64 frames of entries plus 8 status frames');
});

test('grant copy instead of mapping: one copy call per round, no flushes', async () => {
  const m = (await run({ batch: 64, rounds: 3, mode: 'copy' })).metrics;
  assert.is(m.hypercalls, 3);
  assert.is(m.tlb_flushes, 0);
  assert.ok(m.copy_per_op_ns > 0);
});

test.run();

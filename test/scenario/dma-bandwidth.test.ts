/** The dma-bandwidth scenario's host cache: cold reads pay the memory's cold penalty, writes do not (pcie-bench's HWarm and Cold runs). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricsOf, runJsonInProcess } from '../helpers.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { presetValues } from '../../src/scenario/presets.js';
import { parseQuantityIn } from '../../src/scenario/units.js';

const run = async (sets: Record<string, string | number>) => metricsOf(await runJsonInProcess('dma-bandwidth', sets));
const lib = await loadModelLibrary();
const coldPenaltyNs = parseQuantityIn(String((presetValues(lib.presets.get('xeon-e5-v4-dram')!) as { coldPenalty: string }).coldPenalty), 'duration', 'ns') as number;

test('cache cold: each unloaded read takes the platform memory\'s cold penalty longer; warm is the default', async () => {
  const sets = { op: 'read', size: 64, inFlight: 1, transfers: 50 };
  const [byDefault, warm, cold] = await Promise.all([run(sets), run({ ...sets, cache: 'warm' }), run({ ...sets, cache: 'cold' })]);
  assert.equal(byDefault['dma.latency_ns'], warm['dma.latency_ns']);
  assert.ok(coldPenaltyNs > 0);
  assert.ok(Math.abs(cold['dma.latency_ns'].p50 - warm['dma.latency_ns'].p50 - coldPenaltyNs) < 1e-6, `${cold['dma.latency_ns'].p50} against ${warm['dma.latency_ns'].p50} ns`);
});

test('cache cold: writes move as fast as warm (the cold penalty is a read\'s)', async () => {
  const sets = { op: 'write', size: 256, transfers: 500 };
  const [warm, cold] = await Promise.all([run(sets), run({ ...sets, cache: 'cold' })]);
  assert.is(cold['dma.throughput_gbytes_per_s'], warm['dma.throughput_gbytes_per_s']);
});

test.run();

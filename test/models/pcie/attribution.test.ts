/**
 * The fabric's latency attribution: for one transfer alone on the path
 * (nothing overlaps), each hop's charge is that hop's time, derived by hand
 * from the presets and the Gen3 line code, and the run counts one transaction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJsonInProcess } from '../../helpers.js';
import { presetParams } from '../../preset-params.js';
import { linkParams } from '../../../models/pcie/topology/link.js';
import { rootComplexParams } from '../../../models/pcie/root-complex.js';
import { memoryTimingParams } from '../../../models/pcie/memory.js';
import { dmaEngineParams } from '../../../models/pcie/dma-engine.js';
import { GEN3_BYTE_PS } from './dma-helpers.js';

const link = presetParams(linkParams, 'pcie-link', { gen: 3, width: 8 });
const rc = presetParams(rootComplexParams, 'xeon-e5-v4');
const dram = presetParams(memoryTimingParams, 'xeon-e5-v4-dram');
const engine = presetParams(dmaEngineParams, 'netfpga-sume-dma');
/** Wire time of TLPs of these link bytes (framing included) on Gen3 x8: the link's exact total, rounded to the ps. */
const gen3x8 = (...linkBytes: number[]): number => Math.round((linkBytes.reduce((a, b) => a + b, 0) * GEN3_BYTE_PS) / 8);
/** 64 bytes through the memory's bandwidth (GB/s = bytes per ns), in ps. */
const memorySlotPs = Math.round((64 / dram.bandwidth) * 1000);

async function charges(op: 'read' | 'write'): Promise<Record<string, number>> {
  const s = await runJsonInProcess('dma-bandwidth', { op, size: 64, transfers: 1 });
  const a = s.attribution as { transactions: number; charges: [string, number][] };
  assert.is(a.transactions, 1, 'the one transfer is the run\'s transaction');
  return Object.fromEntries(a.charges);
}

test('a 64-byte write alone: its MWr on the wire and in flight, one root-complex crossing, one memory slot, the issue latency', async () => {
  // MWr with a 64-bit address: 4-DW header + 64 B payload + 8 framing bytes = 88 bytes on Gen3 x8.
  assert.equal(await charges('write'), {
    'device-issue': engine.issueLatency,
    'link-propagation': link.propagation,
    'link-serialization': gen3x8(16 + 64 + 8),
    'memory-transfer': memorySlotPs,
    'root-complex': rc.traversal,
  });
});

test('a 64-byte read alone: MRd up and CplD down, one crossing (completions are made inside), the memory latency', async () => {
  // MRd: 4-DW header + 8 framing = 24 bytes; CplD: 3-DW header + 64 B + 8 framing = 84 bytes.
  assert.equal(await charges('read'), {
    'device-issue': engine.issueLatency,
    'link-propagation': 2 * link.propagation,
    'link-serialization': gen3x8(16 + 8, 12 + 64 + 8),
    'memory-latency': dram.latency,
    'memory-transfer': memorySlotPs,
    'root-complex': rc.traversal,
  });
});

test.run();

/** The DMA engine's trace: one `descriptor` row per descriptor, whose id its TLPs' rows carry. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { cliInProcess, tempDir } from '../../helpers.js';
import { readTrace, type TraceRow } from '../../../src/trace/index.js';

async function traced(op: string, include: string[]): Promise<{ rows: TraceRow[]; m: Record<string, number> }> {
  const dir = tempDir();
  const r = await cliInProcess(['run', 'dma-bandwidth', '--set', `op=${op}`, '--set', 'transfers=12', '--set', 'size=1024', ...include.flatMap((p) => ['--trace-include', p]), '--out', dir, '--json']);
  assert.is(r.code, 0, r.stderr);
  const rows: TraceRow[] = [];
  for await (const row of readTrace(path.join(dir, 'trace.arrow'))) rows.push(row);
  return { rows, m: JSON.parse(r.stdout).metrics };
}

test('one row per descriptor at its end: its size, its op, latency from submission; its TLPs carry its id and fall in its span', async () => {
  for (const op of ['read', 'write']) {
    const { rows, m } = await traced(op, ['ep.dma/descriptor', 'link0.*/tlp']);
    const descriptors = rows.filter((x) => x.kind === 'descriptor');
    assert.is(descriptors.length, m['ep.dma.descriptors_done']);
    assert.equal(new Set(descriptors.map((d) => d.txn)).size, descriptors.length, 'one row per id');
    for (const d of descriptors) {
      assert.equal([d.component, d.bytes, d.label, d.a], ['ep.dma', 1024, op, 0]);
      const tlps = rows.filter((x) => x.kind === 'tlp' && x.txn === d.txn);
      assert.ok(tlps.length > 0, `${op} descriptor ${d.txn} has TLP rows`);
      assert.ok(tlps.every((x) => x.time >= d.time - d.latency), `${op} descriptor ${d.txn}: its TLPs after its submission`);
      // A read ends when its data is in; a write (posted) when its last TLP starts on the link, which delivers it later.
      if (op === 'read') assert.ok(tlps.every((x) => x.time <= d.time), `read descriptor ${d.txn}: its TLPs before its end`);
      else assert.ok(Math.max(...tlps.map((x) => x.time - x.latency)) <= d.time, `write descriptor ${d.txn}: its last TLP started by its end`);
    }
  }
});

test('--trace alone records the descriptors (a kind one row per descriptor, not per TLP)', async () => {
  const dir = tempDir();
  const r = await cliInProcess(['run', 'dma-bandwidth', '--set', 'transfers=3', '--trace', '--out', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, '0 rows');
  const kinds = new Set<string>();
  for await (const row of readTrace(path.join(dir, 'trace.arrow'))) kinds.add(row.kind);
  assert.equal([...kinds], ['descriptor']);
});

test.run();

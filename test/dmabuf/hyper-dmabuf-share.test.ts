/** The hyper_dmabuf study through the CLI: what remote sync sends and costs, by design. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceMetrics, runJsonInProcess } from '../helpers.js';

const run = async (sets: Record<string, string | number | boolean>) => instanceMetrics((await runJsonInProcess('hyper-dmabuf', sets)), 'share');

test('import-and-forward sends every op on the importer to the exporter; exporter-only sends none', async () => {
  const fwd = await run({ design: 'import-and-forward' });
  assert.is(fwd.outcome, 'ok');
  assert.is(fwd['hd.ops_to_source'], 4 * 6 + 1, 'four uses of six ops, and the release');
  assert.is(fwd.leaked_refs, 0);
  const own = await run({ design: 'exporter-only' });
  assert.is(own['hd.ops_to_source'], 0);
  assert.ok(own.use_latency_us < fwd.use_latency_us);
});

test('waiting for each sync reply costs at least one 100 µs poll per op', async () => {
  const waited = await run({ syncWait: true });
  assert.ok(waited.use_latency_us >= 6 * 100, `${waited.use_latency_us} µs for six waited ops`);
  assert.ok(waited.use_latency_us > 3 * (await run({ syncWait: false })).use_latency_us);
});

test('a buffer the exporter\'s grant table cannot hold fails at export, as an outcome', async () => {
  const m = await run({ pages: 32768 });
  assert.match(m.outcome, 'export failed');
  assert.is(m.use_latency_us, null);
});

test("the exporter-only baseline: unchanged ION user space copies each frame in before every use, at one vCPU's memcpy rate", async () => {
  const inPlace = await run({ design: 'exporter-only', producer: 'in-place' });
  const ion = await run({ design: 'exporter-only', producer: 'ion-copy' });
  assert.is(inPlace.producer_copy_us, 0);
  // 2,025 pages × 4,096 B at the 5 GB/s estimate: 8,294,400 B / 5 B/ns = 1,658,880 ns.
  assert.is(ion.producer_copy_us, 1658.88);
  assert.is(ion.use_latency_us, inPlace.use_latency_us, 'the dma-buf ops themselves do not change');
  const slow = await run({ design: 'exporter-only', producer: 'ion-copy', pages: 8100 });
  assert.is(slow.producer_copy_us, 8100 * 4096 / 5 / 1000);
});

test.run();

/**
 * The dma-bandwidth scenario (a workloads.dma-stream on one endpoint below a
 * root port) through the real command line: the simulated link-bound
 * throughput matches the closed form, bad parameters are user errors naming
 * their field, and the shipped study validates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, instanceMetrics, ROOT, runDocInProcess, tempDir, writeScenario } from '../helpers.js';

const SCENARIO = path.join(ROOT, 'scenarios', 'dma-bandwidth.json');
const study = (): Record<string, any> => JSON.parse(fs.readFileSync(SCENARIO, 'utf8'));
const runJson = async (args: string[]) => {
  const r = await cliInProcess(['run', 'dma-bandwidth', ...args, '--json']);
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  return { ...summary, metrics: instanceMetrics(summary, 'dma') };
};

test('a large write runs at the closed-form link bound, within 1 %', async () => {
  const s = await runJson(['--set', 'op=write', '--set', 'size=65536']);
  const m = s.metrics;
  assert.ok(Math.abs(m.throughput_gbytes_per_s - m.expected_gbytes_per_s) / m.expected_gbytes_per_s < 0.01, `${m.throughput_gbytes_per_s} vs ${m.expected_gbytes_per_s} GB/s`);
  assert.is(m.transfers_done, 400);
  assert.is(m['ep.dma.completion_timeouts'], 0);
  // 64 KiB at MPS 256: 256 MWr TLPs per transfer, nothing comes back.
  assert.is(m['link0.up_tlps'], 400 * 256);
  assert.is(m['link0.down_tlps'], 0);
  assert.ok(m['link0.up_utilization'] > 0.99);
  assert.is(m.latency_ns.count, 400);
  // Throughput over time, each TLP counted over its time on the wire: never above the link's raw rate
  // (Gen3 x8: 8 GT/s × 8 lanes × 128/130 ÷ 8 bits = 7.877 GB/s), at the bound in the middle of the run.
  const series = s.series['link0.up_payload_gbytes_per_s'] as [number, number][];
  assert.ok(series.length >= 256 && series.length <= 512, `${series.length} windows`);
  const raw = (8 * 8 * 128) / 130 / 8;
  assert.ok(series.every(([, v]) => v <= raw), `max ${Math.max(...series.map(([, v]) => v))} GB/s over ${raw}`);
  const middle = series[Math.floor(series.length / 2)]![1];
  assert.ok(Math.abs(middle - m.expected_gbytes_per_s) / m.expected_gbytes_per_s < 0.02, `${middle} GB/s mid-run vs ${m.expected_gbytes_per_s}`);
  assert.equal(s.series['link0.down_payload_gbytes_per_s'].filter(([, v]: [number, number]) => v > 0), [], 'nothing comes back');
});

test('a large read runs near the link bound too, completions coming back at MPS', async () => {
  const m = (await runJson(['--set', 'op=read', '--set', 'size=65536'])).metrics;
  assert.ok(Math.abs(m.throughput_gbytes_per_s - m.expected_gbytes_per_s) / m.expected_gbytes_per_s < 0.01, `${m.throughput_gbytes_per_s} vs ${m.expected_gbytes_per_s} GB/s`);
  // MRRS 512: 128 requests per transfer; MPS 256: 256 completions.
  assert.is(m['link0.up_tlps'], 400 * 128);
  assert.is(m['link0.down_tlps'], 400 * 256);
});

test('small writes run near the link bound (descriptors are pipelined); 64-byte reads are bound by the transfers in flight (Little\'s law)', async () => {
  const w = (await runJson(['--set', 'op=write', '--set', 'size=64'])).metrics;
  // All that is missing is the first transfer's issue latency over a short run.
  assert.ok(w.throughput_gbytes_per_s > 0.95 * w.expected_gbytes_per_s, `${w.throughput_gbytes_per_s} vs ${w.expected_gbytes_per_s} GB/s`);
  const r = (await runJson(['--set', 'op=read', '--set', 'size=64'])).metrics;
  // 32 transfers in flight (the default inFlight), each taking its latency: bytes / ns is GB/s.
  const little = (32 * 64) / r.latency_ns.p50;
  assert.ok(r.throughput_gbytes_per_s <= little * 1.01 && r.throughput_gbytes_per_s > 0.9 * little, `${r.throughput_gbytes_per_s} vs Little's law ${little} GB/s`);
  assert.ok(r.throughput_gbytes_per_s < 0.7 * r.expected_gbytes_per_s, `${r.throughput_gbytes_per_s} vs ${r.expected_gbytes_per_s} GB/s`);
});

test('a warm-up leaves the IOTLB filling out of the throughput: inside its reach, as fast as without the IOMMU; a warm-up of every transfer is refused', async () => {
  const window = async (args: string[]) => {
    const r = await cliInProcess(['run', 'iommu-window', '--set', 'window=262144', '--set', 'size=64', '--set', 'op=write', '--set', 'transfers=3000', ...args, '--json']);
    assert.is(r.code, 0, r.stderr);
    return instanceMetrics(JSON.parse(r.stdout), 'dma').throughput_gbytes_per_s as number;
  };
  const off = await window(['--set', 'iommu=off', '--set', 'warmup=1000']);
  const cold = await window(['--set', 'pageSize=4k']);
  const warm = await window(['--set', 'pageSize=4k', '--set', 'warmup=1000']);
  assert.ok(cold < 0.98 * off, `counting the IOTLB's first misses: ${cold} GB/s against ${off} without the IOMMU`);
  assert.ok(Math.abs(warm - off) / off < 0.01, `after the warm-up ${warm} GB/s against ${off} without the IOMMU`);
  const bad = await cliInProcess(['run', 'iommu-window', '--set', 'transfers=100', '--set', 'warmup=100']);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /warmup/);
});

test('a bad link parameter exits 2 naming its field path', async () => {
  const dir = tempDir();
  const d = study(); d.links[0].params.width = 7;
  const r = await cliInProcess(['run', writeScenario(dir, 'bad.json', d), '--out', path.join(dir, 'out')]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, 'bad.json: links[0].params.width: expected 1, 2, 4, 8, 16 or 32 lanes');
  assert.not.match(r.stderr, '    at ', 'no stack trace');
  assert.not.ok(fs.existsSync(path.join(dir, 'out')));
});

test('cross-component errors are user errors at their field too', async () => {
  const dir = tempDir();
  const d = study(); d.components[0].params.mps = 128;
  const r = await cliInProcess(['validate', writeScenario(dir, 'mps.json', d)]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, "components[1].params.mps: 256 differs from root complex rc's mps 128: one Max_Payload_Size per hierarchy");
  const bad = await cliInProcess(['run', 'dma-bandwidth', '--set', 'op=sideways']);
  assert.is(bad.code, 2, bad.stderr);
});

test("the stream's own bounds: a zero alignment refused at its field, a transfer as large as its window runs", async () => {
  const r = await cliInProcess(['run', 'dma-bandwidth', '--set', 'pattern=random', '--set', 'alignment=0']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, 'components[3].params.alignment: expected a positive alignment');
  const whole = await runJson(['--set', 'window=4096', '--set', 'size=4096', '--set', 'pattern=random', '--set', 'transfers=20']);
  assert.equal([whole.metrics.transfers_done, whole.metrics.transfers_failed], [20, 0]);
});

test('reads nobody answers (a window past the host memory: Unsupported Requests) end in completion time-outs: failed transfers, nothing moved', async () => {
  const d = study(); d.components[3].params.windowBase = '64 GiB';
  const r = await runDocInProcess('nowhere.json', d, ['--set', 'op=read', '--set', 'transfers=4', '--set', 'size=256']);
  assert.is(r.code, 0, r.stderr);
  const m = instanceMetrics(JSON.parse(r.stdout), 'dma');
  assert.equal([m.transfers_done, m.transfers_failed, m.throughput_gbytes_per_s, m['ep.dma.completion_timeouts']], [4, 4, 0, 4]);
});

test('pciesim validate scenarios/dma-bandwidth.json passes', async () => {
  const r = await cliInProcess(['validate', 'scenarios/dma-bandwidth.json']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'dma-bandwidth');
});

test.run();

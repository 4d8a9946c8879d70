/**
 * Every shipped study gives the same results traced and untraced. A traced
 * block keeps the events its trace rows need (a link's arrival, a switch's
 * end of latency), so it takes none of the shortcuts an untraced one takes
 * (TLPs started ahead, hand-overs dated, arrivals taken at the start of the
 * wire): the two runs take different paths through every model and must
 * agree on every metric. Run small, with each read and write path of the
 * PCIe studies.
 */
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliInProcess, runDocInProcess, shippedScenarios, smallSets, tempDir } from '../helpers.js';
/** The PCIe studies' read and write paths, each run too. */
const VARIANTS: Record<string, string[][]> = {
  // The NFP-6000 platforms space writes by a queue of their own and hold a transmit port per TLP: trains of writes started ahead stop where the next write is not ready.
  'dma-bandwidth': [[], ['op=read'], ['op=readwrite'], ['op=alternating', 'pattern=random'], ['platform=nfp6000-xeon-e5-2630v4', 'size=64'], ['platform=nfp6000-xeon-e5-2630v4', 'size=768', 'op=alternating']],
  'switch-fanin': [[], ['op=read'], ['op=readwrite']],
  'p2p-paths': [[], ['op=read'], ['path=acs'], ['path=rootcomplex', 'op=read'], ['path=bounce']],
  'iommu-window': [[], ['op=write'], ['op=write-read'], ['iommu=off']],
};

test('every study gives the same metrics traced (every kind recorded) and untraced', async () => {
  let compared = 0;
  for (const { name, doc } of shippedScenarios()) {
    const small = smallSets(doc);
    for (const variant of VARIANTS[name] ?? [[]]) {
      const sets = [...small, ...variant.flatMap((v) => ['--set', v])];
      const what = `${name} ${variant.join(' ')}`;
      const plain = await cliInProcess(['run', name, ...sets, '--json']);
      assert.is(plain.code, 0, `${what}: ${plain.stderr}`);
      const dir = tempDir();
      const traced = await cliInProcess(['run', name, ...sets, '--trace-include', '*', '--out', dir, '--json']);
      fs.rmSync(dir, { recursive: true });
      // A study whose instances record no trace has nothing to compare.
      if (traced.code === 2 && /selects no trace kind/.test(traced.stderr)) continue;
      assert.is(traced.code, 0, `${what} traced: ${traced.stderr}`);
      assert.equal(JSON.parse(traced.stdout).metrics, JSON.parse(plain.stdout).metrics, what);
      compared++;
    }
  }
  assert.ok(compared >= 25, `${compared} studies and paths compared`);
});

test('writes started ahead stop where the next descriptor is not ready yet: the same metrics traced and untraced', async () => {
  // Descriptors of three 256-byte writes (about 106 ns of wire) taken up every 150 ns: once a descriptor's last write is
  // handed over, the next descriptor is not ready when its first two start; a train of writes started ahead must stop there.
  const doc = (interval: string, size: number, op: string) => ({
    name: 'slow-descriptors',
    components: [
      { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' },
      { name: 'ep0', type: 'pcie.endpoint', preset: 'netfpga-sume', slots: { dma: { params: { issueInterval: interval } } } },
      { name: 'dma', type: 'workloads.dma-stream', params: { device: 'ep0', op, transferSize: size, transfers: 300, windowBase: '4 GiB', window: '1 MiB', inFlight: 32 } },
    ],
    links: [{ name: 'link0', type: 'pcie.link', preset: 'pcie-link', a: 'rc.rp0', b: 'ep0.up', params: { gen: 3, width: 8 } }],
  });
  const cases: [string, number, string][] = [['150 ns', 768, 'write'], ['150 ns', 1024, 'write'], ['120 ns', 1024, 'write'], ['150 ns', 768, 'alternating']];
  for (const [interval, size, op] of cases) {
    const plain = await runDocInProcess('slow.json', doc(interval, size, op));
    assert.is(plain.code, 0, plain.stderr);
    const dir = tempDir();
    const traced = await runDocInProcess('slow.json', doc(interval, size, op), ['--trace-include', '*', '--out', dir]);
    fs.rmSync(dir, { recursive: true });
    assert.is(traced.code, 0, traced.stderr);
    assert.equal(JSON.parse(traced.stdout).metrics, JSON.parse(plain.stdout).metrics, `${interval} ${size} B ${op}`);
  }
});

test.run();

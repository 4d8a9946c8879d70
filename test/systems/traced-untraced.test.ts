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
import { cliInProcess, shippedScenarios, smallSets, tempDir } from '../helpers.js';
/** The PCIe studies' read and write paths, each run too. */
const VARIANTS: Record<string, string[][]> = {
  'dma-bandwidth': [[], ['op=read'], ['op=readwrite'], ['op=alternating', 'pattern=random']],
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

test.run();

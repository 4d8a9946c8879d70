import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelLibrary, modelFolders } from '../../src/scenario/library.js';
import { allInstances, readScenario, resolveScenario } from '../../src/scenario/loader.js';
import { planSweep } from '../../src/run/plan.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { ROOT } from '../helpers.js';

// A sweep's workers load only the modules of the types its runs use (ModelLibrary.modules, planSweep's types).
const lib = await loadModelLibrary();
const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json').sort();

test('every type comes from one module, and the modules of a few types register just those types', async () => {
  assert.equal([...lib.modules.keys()].sort(), lib.catalog.names());
  const wanted = ['workloads.queue', 'pcie.switch'];
  const some = await loadModelLibrary(modelFolders(), new Set(wanted.map((t) => lib.modules.get(t)!)));
  for (const t of wanted) assert.ok(some.catalog.get(t), `${t} not loaded`);
  assert.ok(some.catalog.names().length < lib.catalog.names().length, 'every module was loaded');
});

for (const file of scenarios) {
  test(`${file}: a worker's library resolves every point of the sweep as the whole library does`, async () => {
    const doc = readScenario(path.join(ROOT, 'scenarios', file));
    const { manifest, types } = planSweep(doc, lib, { overrides: {} });
    const workerLib = await loadModelLibrary(modelFolders(), new Set(types.map((t) => lib.modules.get(t)!)));
    for (const t of types) assert.ok(workerLib.catalog.get(t), `${t} not loaded`);
    assert.ok(workerLib.catalog.names().length < lib.catalog.names().length, 'every module was loaded');
    for (const values of manifest.points) {
      const shape = (l: typeof lib) => canonicalJson(allInstances(resolveScenario(doc, values as Record<string, string>, l, 'sweep'))
        .map((c) => ({ name: c.name, type: c.type.type, preset: c.preset ?? null, params: c.params })));
      assert.is(shape(workerLib), shape(lib));
    }
  });
}

test.run();

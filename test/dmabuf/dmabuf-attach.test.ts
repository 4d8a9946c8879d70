/** The attach study: migration copies the buffer once, in place copies nothing. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceMetrics, runJsonInProcess } from '../helpers.js';

const run = async (sets: Record<string, string | number>) => instanceMetrics((await runJsonInProcess('dmabuf-attach', sets)), 'attach');

test('in place migrates nothing; migrate copies every page and takes longer by the copy', async () => {
  const inPlace = await run({ policy: 'in-place', pages: 8100 });
  const migrate = await run({ policy: 'migrate', pages: 8100 });
  assert.is(inPlace['kernel.migrated_pages'], 0);
  assert.is(migrate['kernel.migrated_pages'], 8100);
  // The copy: 20 µs of set-up and 8,100 × 4,096 B at 12 GB/s (the core's estimates) = 2,784.8 µs.
  assert.is(Math.round((migrate.attach_us - inPlace.attach_us) * 10) / 10, 20 + 8100 * 4096 / 12e3);
  assert.is(migrate.map_us, inPlace.map_us, 'mapping costs the same wherever the pages are');
});

test("an APU's carve-out is system memory already: through memory it is redirected, never copied", async () => {
  const inPlace = await run({ backing: 'carve-out', policy: 'in-place', pages: 8100 });
  const redirected = await run({ backing: 'carve-out', policy: 'migrate', pages: 8100 });
  assert.is(redirected['kernel.migrated_pages'], 0);
  assert.is(redirected['kernel.redirects'], 1);
  assert.is(inPlace['kernel.redirects'], 0);
  assert.is(redirected.ready_us, inPlace.ready_us, 'the redirect costs nothing beyond the attach');
});

test.run();

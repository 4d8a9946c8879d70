/** The attach study: migration copies the buffer once, in place copies nothing. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceMetrics, runJson } from '../helpers.js';

const run = (sets: Record<string, string | number>) => instanceMetrics(runJson('dmabuf-attach', sets), 'attach');

test('in place migrates nothing; migrate copies every page and takes longer by the copy', () => {
  const inPlace = run({ policy: 'in-place', pages: 8100 });
  const migrate = run({ policy: 'migrate', pages: 8100 });
  assert.is(inPlace['kernel.migrated_pages'], 0);
  assert.is(migrate['kernel.migrated_pages'], 8100);
  assert.ok(migrate.attach_us > inPlace.attach_us);
  assert.is(migrate.map_us, inPlace.map_us, 'mapping costs the same wherever the pages are');
});

test.run();

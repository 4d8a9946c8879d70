/** The README's component, statistic and preset tables are what the declarations say (regenerate with `npm run docs`). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { ROOT } from '../helpers.js';
import { readmeSections, readmeTables } from './readme-tables.js';

test('the README\'s generated tables match the declarations', async () => {
  const tables = readmeTables(await loadModelLibrary());
  const inReadme = readmeSections(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), Object.keys(tables));
  for (const [name, md] of Object.entries(tables)) {
    assert.ok(inReadme[name] !== undefined, `README.md has no generated ${name} section`);
    assert.fixture(inReadme[name]!, md, `the ${name} table drifted: run npm run docs`);
  }
});

test.run();

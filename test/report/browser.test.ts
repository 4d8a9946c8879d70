/**
 * The report as a user sees it: loaded offline in headless Chromium, with no
 * console error, every plot rendered, and a screenshot of the findings kept
 * beside the test output (dist/test-output/). Runs where Chromium is installed
 * (.ci/run installs Debian's package and requires it); elsewhere it says it
 * did not run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { writeReport } from '../../src/report/index.js';
import { Browser, findChromium, visit } from '../browser/chromium.js';
import { ROOT, tempDir } from '../helpers.js';
import { sweepStudy } from './fixtures.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const chromium = findChromium();

if (chromium === null) {
  if (process.env['PCIESIM_REQUIRE_BROWSER'] === '1') {
    test('a browser is installed', () => assert.unreachable('no chromium on the PATH (Debian: apt-get install chromium), and PCIESIM_REQUIRE_BROWSER=1'));
  } else {
    process.stdout.write('browser.test: not run, no chromium on the PATH (Debian: apt-get install chromium; or set CHROMIUM)\n');
  }
} else {
  test('the report opens offline in Chromium: no console error, every plot rendered, the findings on screen', async () => {
    const dir = path.join(tempDir(), 'report');
    const study = sweepStudy({ replications: 2, withExtras: true, failing: ['p0003-r1'] });
    study.tables = [{ metric: 'latency_ns.p50', rows: 'size', columns: 'scheme', best: 'min', finding: 'Which scheme for which size?' }];
    const written = await writeReport(dir, { title: 'Buffer sharing', studies: [study] }, { onWarning: () => {} });
    const browser = Browser.launch(chromium, tempDir('pciesim-chromium-'));
    try {
      const page = await visit(browser, path.join(dir, 'index.html'), 'findings');
      assert.equal(page.errors, [], 'console and log errors');
      assert.is(page.images.length, written.plots, 'an image per plot');
      assert.equal(page.images.filter((i) => !i.rendered), [], 'every plot rendered');
      assert.ok(page.screenshot, 'the findings section exists');
      assert.equal([...page.screenshot!.subarray(0, 8)], PNG_SIGNATURE);
      const kept = path.join(ROOT, 'dist', 'test-output', 'report-findings.png');
      fs.mkdirSync(path.dirname(kept), { recursive: true });
      fs.writeFileSync(kept, page.screenshot!);
      process.stdout.write(`browser.test: the findings as Chromium drew them: ${path.relative(ROOT, kept)}\n`);

      // The same page with a plot's file gone: the browser says so, and the test would see it.
      fs.rmSync(path.join(dir, `${written.files.find((f) => f.endsWith('.svg'))}`));
      const broken = await visit(browser, path.join(dir, 'index.html'), 'findings');
      assert.is(broken.images.filter((i) => !i.rendered).length, 1, 'a missing plot is seen as not rendered');
    } finally {
      await browser.close();
    }
  });
}

test.run();

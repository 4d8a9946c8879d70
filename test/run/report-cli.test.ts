import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliInProcess, FIXTURE_ENV, tempDir, writeScenario } from '../helpers.js';

const env = FIXTURE_ENV;

test('a sweep writes its report; a hostile scenario name stays text; failed runs are listed', () => {
  const dir = tempDir();
  const file = writeScenario(dir, 'hostile.json', {
    name: '<script>alert(1)</script>',
    description: 'desc <img src=x onerror=alert(2)>',
    parameters: { fail: { default: false, description: '<script>alert(3)</script>' } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: '$fail' } }],
    sweep: { grid: { fail: [false, true] }, replications: 2 },
  });
  const out = path.join(dir, 'out');
  const r = cli(['sweep', file, '--out', out], { env });
  assert.is(r.code, 1, r.stderr);
  const html = fs.readFileSync(path.join(out, 'report', 'index.html'), 'utf8');
  assert.not.match(html, /<script/i, 'no script element from the scenario');
  assert.not.match(html, /<img src=x/i, 'no image element from the scenario');
  assert.match(html, 'desc &lt;img src=x onerror=alert(2)&gt;');
  // The only images are the report's own plots, each a file written beside the page.
  for (const [, src] of html.matchAll(/<img src="([^"]+)"/g)) assert.ok(fs.existsSync(path.join(out, 'report', src!)), src);
  assert.match(html, '&lt;script&gt;alert(1)&lt;/script&gt;');
  assert.match(html, 'injected model bug', 'the failures are listed with their error');
});

test('pciesim report puts several sweeps side by side and refuses a folder with no results', async () => {
  const dir = tempDir();
  const a = path.join(dir, 'a'), b = path.join(dir, 'b');
  for (const [out, tags] of [[a, '8,16'], [b, '32']] as const) {
    const r = await cliInProcess(['sweep', 'demo-read-tags', '--set', 'requests=1000', '--grid', `tags=${tags}`, '--grid', 'load=10,20', '--no-report', '--out', out]);
    assert.is(r.code, 0, r.stderr);
  }
  const report = path.join(dir, 'compare');
  const r = cli(['report', a, b, '--out', report, '--title', 'Tags compared']);
  assert.is(r.code, 0, r.stderr);
  const html = fs.readFileSync(path.join(report, 'index.html'), 'utf8');
  assert.match(html, 'Tags compared');
  // Sweeps of one scenario: first a side-by-side section with a differences table, then each sweep's own.
  const sections = [...html.matchAll(/<section id="([^"]+)">\n<h2>([^<]+)<\/h2>/g)].map((m) => m[2]);
  // No grid point is in both (tags 8, 16 against 32), so the findings have nothing to say and are left out.
  assert.equal(sections, ['Side by side: a against b', 'a: demo-read-tags', 'b: demo-read-tags']);
  assert.match(html, '<h3>Differences</h3>');
  assert.match(html, 'b − a');
  assert.ok(fs.readdirSync(report).some((f) => f.endsWith('.png')), 'plots rendered to PNG');
  const none = await cliInProcess(['report', dir]);
  assert.is(none.code, 2);
  assert.match(none.stderr, 'no results.arrow');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { answer } from '../../src/report/findings.js';
import { pivotTableHtml } from '../../src/report/pivot-table.js';
import type { ReportRun, ReportStudy } from '../../src/report/model.js';
import { writeReport } from '../../src/report/index.js';
import { tempDir } from '../helpers.js';
import { run, study } from './fixtures.js';

const PAGES = [1, 2, 4, 8, 16];
const SCHEMES = ['flat', 'directory', 'multilevel'];

/** Share latency by pages and scheme; null: the share was refused (outcome too-large-for-scheme). */
function schemes(latency: (scheme: string, pages: number) => number | null): ReportStudy {
  const runs: ReportRun[] = [];
  let point = 0;
  for (const pages of PAGES) {
    for (const scheme of SCHEMES) {
      const v = latency(scheme, pages);
      runs.push(run(v === null
        ? { point: point++, replication: 0, parameters: { pages, scheme }, metrics: { share_us: null }, categories: { 'share.outcome': 'too-large-for-scheme' } }
        : { point: point++, replication: 0, parameters: { pages, scheme }, metrics: { share_us: v }, categories: { 'share.outcome': 'ok' } }));
    }
  }
  return study({
    parameters: [
      { name: 'pages', description: null, unit: null, values: PAGES },
      { name: 'scheme', description: null, unit: null, values: SCHEMES },
    ],
    metrics: { share_us: { unit: 'µs', description: 'Share latency' } },
    tables: [{ metric: 'share_us', rows: 'pages', columns: 'scheme', best: 'min', finding: 'Which gref scheme for which buffer size?' }],
    runs,
  });
}

const cost = (scheme: string, pages: number): number | null => {
  if (scheme === 'multilevel' && pages === 16) return null;
  return scheme === 'flat' ? 10 * pages : 20 + 3 * pages + (scheme === 'multilevel' ? 1 : 0);
};

test('the answer names the best column for each run of rows, from the cells', () => {
  const s = schemes(cost);
  // flat: 10, 20, 40 …; directory: 23, 26, 32 …: flat wins at 1 and 2 pages, directory from 4.
  assert.is(answer(s, s.tables![0]!), 'Lowest share_us (µs): flat at pages 1–2; directory at pages 4–16.');
  const everywhere = schemes((scheme, pages) => (scheme === 'directory' ? pages : 100 + pages));
  assert.is(answer(everywhere, everywhere.tables![0]!), 'Lowest share_us (µs): directory in every row.');
  const highest = { ...s.tables![0]!, best: 'max' as const };
  assert.is(answer(s, highest), 'Highest share_us (µs): multilevel at pages 1–2; flat at pages 4–16.');
});

test('ties and rows without a value are said, not hidden, with what the runs reported instead', () => {
  const tied = schemes((scheme, pages) => (pages <= 2 ? 5 : scheme === 'flat' ? 1 : 2));
  assert.is(answer(tied, tied.tables![0]!), 'Lowest share_us (µs): tied at pages 1–2; flat at pages 4–16.');
  const empty = schemes((scheme, pages) => (pages === 8 ? null : cost(scheme, pages)));
  assert.match(answer(empty, empty.tables![0]!), 'directory at pages 4; no value (too-large-for-scheme) at pages 8; directory at pages 16.');
  const html = pivotTableHtml(empty, empty.tables![0]!);
  assert.is((html.match(/<td class="number">too-large-for-scheme<\/td>/g) ?? []).length, 4, 'the refused cells say why');
  const failed = { ...empty, runs: empty.runs.map((r) => (r.parameters['pages'] === 8 ? { ...r, status: 'failed' as const, categories: {} } : r)) };
  assert.match(answer(failed, failed.tables![0]!), 'no value (failed) at pages 8');
  const s = schemes(cost);
  const named = { ...s, parameters: [{ ...s.parameters[0]!, values: PAGES.map(String) }, s.parameters[1]!], runs: s.runs.map((r) => ({ ...r, parameters: { ...r.parameters, pages: String(r.parameters['pages']) } })) };
  assert.is(answer(named, s.tables![0]!), 'Lowest share_us (µs): flat at pages 1, 2; directory at pages 4, 8, 16.', 'names are listed, not ranged');
  const unranked = schemes(cost);
  assert.is(answer(unranked, { ...unranked.tables![0]!, best: undefined }), 'share_us (µs) from 10 to 160 across the table.');
});

test('the report opens with the findings, each linking to its study', async () => {
  const dir = path.join(tempDir(), 'report');
  const s = schemes(cost);
  const plain = { ...schemes(cost), title: 'No finding', tables: [{ metric: 'share_us', rows: 'pages', columns: 'scheme' }] };
  await writeReport(dir, { title: 'Sharing', studies: [plain, { ...s, title: 'Gref schemes' }] }, { onWarning: () => {} });
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const findings = html.indexOf('<section id="findings">');
  assert.ok(findings > 0, 'a findings section');
  assert.ok(findings < html.indexOf('<section id="no-finding">'), 'before every study');
  assert.match(html, '<li><a href="#findings">Findings</a></li>');
  const section = html.slice(findings, html.indexOf('</section>', findings));
  assert.match(section, '<h3>Which gref scheme for which buffer size?</h3>');
  assert.match(section, 'flat at pages 1–2; directory at pages 4–16. <a href="#gref-schemes">Details: Gref schemes.</a>');
  assert.match(section, '<td class="number">10 ★</td>', 'the table with its stars');
  assert.is((section.match(/<h3>/g) ?? []).length, 1, 'only tables marked as findings');

  const none = path.join(tempDir(), 'report');
  await writeReport(none, { title: 'Sharing', studies: [plain] }, { onWarning: () => {} });
  assert.not.match(fs.readFileSync(path.join(none, 'index.html'), 'utf8'), 'id="findings"', 'no findings, no section');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { writeReport, type ReportDocument, type ReportStudy } from '../../src/report/index.js';
import { assertSameFiles, tempDir } from '../helpers.js';
import { descriptionHtml, MAX_SHOWN_RESULT_CELLS } from '../../src/report/html-study.js';
import { run, study, sweepStudy } from './fixtures.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MALICIOUS = '<script>alert(1)</script>';
const ESCAPED_MALICIOUS = '&lt;script&gt;alert(1)&lt;/script&gt;';

/** Writes a report and fails the test on any vega warning, which would mean a spec the renderer had to guess about. */
async function write(dir: string, doc: ReportDocument): Promise<Awaited<ReturnType<typeof writeReport>>> {
  const warnings: string[] = [];
  const written = await writeReport(dir, doc, { onWarning: (m) => warnings.push(m) });
  assert.equal(warnings, [], 'vega warnings');
  return written;
}

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (e) {
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable('expected a rejection');
}

function html0(dir: string): string {
  return read(dir, 'index.html');
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

function documentOf(...studies: ReportStudy[]): ReportDocument {
  return { title: 'Buffer sharing', studies };
}

test('a full sweep report: files, plots of every kind, specs, PNGs, byte-identical rewrites', async () => {
  const root = tempDir();
  const doc = documentOf(sweepStudy({ replications: 2, withExtras: true, failing: ['p0003-r1'] }));
  const a = path.join(root, 'a', 'report'), b = path.join(root, 'b', 'report');
  const written = await write(a, doc);

  const stems = written.files.filter((f) => f.endsWith('.vl.json')).map((f) => f.slice(0, -'.vl.json'.length));
  // Default plots: each headline metric (latency p50, p99, throughput) vs size, plus CDF, attribution, time series.
  assert.equal(stems, [
    'synthetic-attribution', 'synthetic-latency_ns-cdf', 'synthetic-latency_ns.p50-vs-size',
    'synthetic-latency_ns.p99-vs-size', 'synthetic-throughput_gbps-over-time', 'synthetic-throughput_gbps-vs-size',
  ]);
  assert.is(written.plots, 6);
  assert.equal(written.files, [...stems.flatMap((s) => [`${s}.png`, `${s}.svg`, `${s}.vl.json`]), 'index.html', 'synthetic-results.csv'].sort());
  // The results at full precision: per point the mean and, with replications, the half-width; the failed run left out.
  const csv = read(a, 'synthetic-results.csv').split('\r\n');
  assert.is(csv[0], 'size,scheme,runs_ok,runs,latency_ns.p50,latency_ns.p50.ci95_half_width,latency_ns.p99,latency_ns.p99.ci95_half_width,' +
    'latency_ns.count,latency_ns.count.ci95_half_width,throughput_gbps,throughput_gbps.ci95_half_width');
  // zero-copy at 4 KiB: latency 2·4 + r over replications 0 and 1, a mean of 8.5 and a half-width of t(0.975, 1) · 0.5.
  const [size, scheme, ok, runs, mean, halfWidth] = csv[2]!.split(',');
  assert.equal([size, scheme, ok, runs, mean], ['4096', 'zero-copy', '2', '2', '8.5']);
  assert.ok(Math.abs(Number(halfWidth) - 12.706204736 * 0.5) < 1e-6, halfWidth);
  assert.is(csv[4]!.split(',').slice(0, 6).join(','), '65536,zero-copy,1,2,128,', 'the failed replication left out: one run, no half-width');
  assert.is(csv.length, 4 + 2, 'a header, four points and the final line break');
  assert.match(html0(a), '<a href="synthetic-results.csv">synthetic-results.csv</a>');
  assert.equal(fs.readdirSync(a).sort(), written.files);

  for (const stem of stems) {
    const spec = JSON.parse(read(a, `${stem}.vl.json`)) as Record<string, unknown>;
    assert.is(spec['$schema'], 'https://vega.github.io/schema/vega-lite/v6.json', stem);
    assert.ok(Array.isArray((spec['data'] as { values: unknown }).values), `${stem}: data inline`);
    const png = fs.readFileSync(path.join(a, `${stem}.png`));
    assert.equal([...png.subarray(0, 8)], PNG_SIGNATURE, `${stem}.png signature`);
    assert.ok(read(a, `${stem}.svg`).startsWith('<svg'), `${stem}.svg`);
  }

  const html = read(a, 'index.html');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.not.match(html, /<script|<link|@import|https?:\/\/(?!www\.w3\.org\/)/i, 'no scripts, no external resources');
  assert.is((html.match(/<figure /g) ?? []).length, 6, 'every plot shown');
  const images = [...html.matchAll(/<img src="([^"]+)" width="\d+" height="\d+" alt="[^"]+">/g)].map((m) => m[1]);
  assert.equal(images.sort(), stems.map((s) => `${s}.svg`), 'each plot an image of its own SVG file beside the page');
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.is(new Set(ids).size, ids.length, 'element ids are unique');
  assert.match(html, 'grant table exhausted at p0003-r1');
  assert.match(html, '<dt>Failed runs</dt><dd>1</dd>');

  await write(b, doc);
  await write(a, doc); // replaces the folder written above
  assert.equal(assertSameFiles(a, b), written.files, 'the same files, byte-identical');
  assert.equal(fs.readdirSync(path.dirname(a)), ['report'], 'no staging folders left behind');
});

test('CI band in the spec equals the Student-t interval computed by hand', async () => {
  const dir = path.join(tempDir(), 'report');
  // Point 0: samples 10, 12, 14 (mean 12, sd 2). Point 1: a single run. Point 2: only a failed run.
  const samples = [[10, 12, 14], [7], []];
  const runs = samples.flatMap((values, point) => values.length === 0
    ? [run({ point, replication: 0, parameters: { size: point + 1 }, error: 'boom' })]
    : values.map((v, replication) => run({ point, replication, parameters: { size: point + 1 }, metrics: { latency_ns: v } })));
  const doc = documentOf(study({
    replications: 3,
    parameters: [{ name: 'size', description: null, unit: 'KiB', values: [1, 2, 3] }],
    plots: [{ metric: 'latency_ns', x: 'size', title: 'Latency by size' }],
    runs,
  }));
  await write(dir, doc);
  const spec = JSON.parse(read(dir, 'synthetic-latency_ns-vs-size.vl.json'));
  const rows = spec.data.values as Record<string, number | null>[];
  // t quantile for 2 degrees of freedom has a closed form: (2p − 1) / √(2p(1 − p)), p = 0.975.
  const t = 0.95 / Math.sqrt(2 * 0.975 * 0.025);
  const halfWidth = (t * 2) / Math.sqrt(3);
  assert.ok(Math.abs(halfWidth - 4.968275) < 1e-6, 'sanity: table value t(0.975, 2) = 4.302653');
  assert.is(rows[0]!['mean'], 12);
  assert.ok(Math.abs(rows[0]!['ci_low']! - (12 - halfWidth)) < 1e-9, `low ${rows[0]!['ci_low']}`);
  assert.ok(Math.abs(rows[0]!['ci_high']! - (12 + halfWidth)) < 1e-9, `high ${rows[0]!['ci_high']}`);
  assert.equal(rows[1], { ci_high: null, ci_low: null, mean: 7, x: 2 }, 'one run: value without band');
  assert.equal(rows[2], { ci_high: null, ci_low: null, mean: null, x: 3 }, 'failed point: no value');
  assert.is(spec.title, 'Latency by size');

  const html = read(dir, 'index.html');
  assert.match(html, '<td class="number">12.0 ± 5.0</td>', 'mean ± half-width in the table');
  assert.match(html, '<td class="number">7</td>', 'single run shown without ±');
});

test('a malicious scenario cannot inject markup anywhere', async () => {
  const dir = path.join(tempDir(), 'report');
  // Quotes, ampersand, backslash, a line separator and a template placeholder, after the script tag.
  const evil = (s: string): string => MALICIOUS + s + '"\'&\\\u2028${datum}';
  const runs = [0, 1].flatMap((point) => [0, 1].map((replication) => run({
    point, replication,
    parameters: { [evil('p')]: point === 0 ? evil('v0') : evil('v1') },
    metrics: { [evil('m')]: 10 + point + replication },
    distributions: { [evil('d')]: { unit: evil('u'), points: [[0, 1], [1, 2 + point]] } },
    attribution: [[evil('component'), 100 + point]],
  })));
  runs.push(run({ point: 2, replication: 0, parameters: { [evil('p')]: evil('v2') }, error: evil('error') }));
  const malicious = study({
    title: MALICIOUS,
    scenario: { name: MALICIOUS, description: evil('description'), file: evil('file'), hash: evil('hash') },
    pciesim: evil('version'),
    parameters: [
      { name: evil('p'), description: evil('pd'), unit: evil('pu'), values: [evil('v0'), evil('v1'), evil('v2')] },
      { name: evil('fixed'), description: evil('fd'), unit: null, values: [evil('fv')] },
    ],
    metrics: { [evil('m')]: { unit: evil('mu'), description: evil('md') } },
    plots: [{ metric: evil('m'), x: evil('p'), title: evil('title') }, { metric: evil('missing'), x: evil('p') }],
    runs,
  });
  const written = await write(dir, { title: MALICIOUS, studies: [malicious] });
  assert.is(written.plots, 3, 'line, CDF and attribution plots');

  const html = read(dir, 'index.html');
  assert.not.match(html, /<script/i);
  assert.match(html, `<title>${ESCAPED_MALICIOUS}</title>`);
  assert.match(html, `<h2>${ESCAPED_MALICIOUS}</h2>`);
  assert.match(html, `${ESCAPED_MALICIOUS}error&quot;&#39;&amp;`, 'error message escaped');
  for (const file of written.files) {
    if (file.endsWith('.svg')) assert.not.match(read(dir, file), /<script/i, file);
    if (file.endsWith('.vl.json')) assert.is(JSON.parse(read(dir, file)).$schema, 'https://vega.github.io/schema/vega-lite/v6.json');
  }
  // The requested title reaches the spec as data (vega draws it as text), its line break made a space:
  // vega-lite would paste a line break into an expression and fail to parse it.
  const title = evil('title').replace('\u2028', ' ');
  assert.ok(written.files.some((f) => f.endsWith('.vl.json') && JSON.parse(read(dir, f)).title === title));
});

test('zero runs, one run, all runs failed, no studies: each renders', async () => {
  const root = tempDir();
  const parameters = [{ name: 'size', description: null, unit: 'B', values: [4096, 8192] }];

  const empty = await write(path.join(root, 'empty'), documentOf(study({ parameters, runs: [] })));
  assert.equal(empty.files, ['index.html']);
  assert.match(read(path.join(root, 'empty'), 'index.html'), 'No runs.');

  const single = study({
    parameters: [{ name: 'size', description: null, unit: 'B', values: [4096] }],
    runs: [run({
      point: 0, replication: 0, parameters: { size: 4096 }, metrics: { latency_ns: 42.5 },
      distributions: { latency_ns: { unit: 'ns', points: [[0, 40], [0.5, 42], [1, 50]] } },
    })],
  });
  const one = await write(path.join(root, 'one'), documentOf(single));
  assert.is(one.plots, 1, 'nothing is swept, so only the CDF');
  const oneHtml = read(path.join(root, 'one'), 'index.html');
  assert.match(oneHtml, '<td class="number">42.5</td>');
  assert.not.match(oneHtml, '±</td>');

  const failedRuns = [0, 1].map((point) => run({ point, replication: 0, parameters: { size: parameters[0]!.values[point]! }, error: `out of grant refs ${point}` }));
  const failed = await write(path.join(root, 'failed'), documentOf(study({ parameters, runs: failedRuns })));
  assert.equal(failed.files, ['index.html', 'synthetic-results.csv']);
  const failedHtml = read(path.join(root, 'failed'), 'index.html');
  assert.match(failedHtml, 'Nothing to plot: no run succeeded.');
  assert.match(failedHtml, 'out of grant refs 0');
  assert.match(failedHtml, 'out of grant refs 1');

  const none = await write(path.join(root, 'none'), { title: 'Nothing', studies: [] });
  assert.equal(none.files, ['index.html']);
  assert.match(read(path.join(root, 'none'), 'index.html'), 'This report has no studies.');
});

test('several studies get a table of contents and distinct ids', async () => {
  const dir = path.join(tempDir(), 'report');
  const parameters = [{ name: 'size', description: null, unit: 'B', values: [4096] }];
  const one = (name: string): ReportStudy => study({
    title: name,
    scenario: { name, description: null, file: `${name}.json`, hash: 'h' },
    parameters,
    runs: [run({ point: 0, replication: 0, parameters: { size: 4096 }, metrics: { latency_ns: 1 } })],
  });
  await write(dir, documentOf(one('Xen grant copy'), one('Xen grant copy'), one('KVM udmabuf')));
  const html = read(dir, 'index.html');
  assert.match(html, '<nav id="contents">');
  for (const id of ['xen-grant-copy', 'xen-grant-copy-2', 'kvm-udmabuf']) {
    assert.match(html, `<li><a href="#${id}">`);
    assert.match(html, `<section id="${id}">`);
  }
});

test('a failed report leaves the previous report untouched', async () => {
  const root = tempDir();
  const dir = path.join(root, 'report');
  const doc = documentOf(sweepStudy({ replications: 1 }));
  doc.studies[0]!.plots = [{ metric: 'throughput_gbps', x: 'size', series: 'scheme' }];
  await write(dir, doc);
  const before = fs.readdirSync(dir).map((f) => [f, read(dir, f)]);

  await rejects(writeReport(dir, doc, { pngWidth: -1 }), /PNG width/);
  assert.equal(fs.readdirSync(dir).map((f) => [f, read(dir, f)]), before, 'previous report intact');
  assert.equal(fs.readdirSync(root), ['report'], 'no staging folder left behind');

});


test('results tables: metrics no run reported are left out, constant ones said once, the tables folded', async () => {
  const dir = path.join(tempDir(), 'report');
  const sizes = [4096, 8192, 16384];
  const runs = sizes.map((size, point) => run({
    point, replication: 0, parameters: { size },
    // absent_us: a column no run filled with a value, as a statistic that never fired leaves.
    metrics: { latency_ns: 100 + point, pages: 1, absent_us: Number.NaN },
  }));
  await write(dir, documentOf(study({ parameters: [{ name: 'size', description: null, unit: 'B', values: sizes }], runs })));
  const html = read(dir, 'index.html');
  const results = html.slice(html.indexOf('<details>'), html.indexOf('</details>'));
  assert.ok(results.length > 0, 'the results tables are folded in <details>');
  assert.match(results, '3 grid points × 1 metric that vary (1 that no run reported left out)');
  assert.match(results, /<th[^>]*>latency_ns/);
  assert.not.match(results, /<th[^>]*>pages/, 'a constant metric gets no column');
  assert.not.match(results, /absent_us/, 'a metric no run reported gets no column');
  assert.match(html, /The same at every grid point: <code>pages<\/code> 1/);
  assert.match(results, '<td class="number">102</td>');
});

test('a grid too large for a page is in the CSV only, the page saying so', async () => {
  const dir = path.join(tempDir(), 'report');
  const sizes = Array.from({ length: MAX_SHOWN_RESULT_CELLS + 1 }, (_, i) => i + 1);
  const runs = sizes.map((size, point) => run({ point, replication: 0, parameters: { size }, metrics: { latency_ns: 2 * size } }));
  await write(dir, documentOf(study({ parameters: [{ name: 'size', description: null, unit: 'B', values: sizes }], runs })));
  const html = read(dir, 'index.html');
  assert.match(html, `${sizes.length} grid points × 1 metric that vary: more than a page can show; the CSV file has them all.`);
  assert.not.match(html, '<td class="number">3002</td>');
  const csv = read(dir, 'synthetic-results.csv').trimEnd().split('\r\n');
  assert.is(csv.length, sizes.length + 1);
  assert.is(csv.at(-1), `${sizes.length},1,1,${2 * sizes.length}`);
});

test('a description of one line is the lead; further lines (an imported machine, one per element) a list, each escaped', () => {
  assert.is(descriptionHtml('One line.'), '<p class="lead">One line.</p>');
  assert.is(descriptionHtml('The machine.\nrc-00: <root>\n\nnvme'), '<p class="lead">The machine.</p>\n<ul class="description">\n<li>rc-00: &lt;root&gt;</li>\n<li>nvme</li>\n</ul>');
  assert.is(descriptionHtml(null), '');
});

test.run();

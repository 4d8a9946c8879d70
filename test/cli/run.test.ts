import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, cliInProcess, demoScenario, FIXTURE_ENV, ROOT, tempDir, writeScenario } from '../helpers.js';

const small = ['--set', 'requests=3000'];

test('run writes summary.json with metrics and prints a human summary', () => {
  const out = path.join(tempDir(), 'run');
  const r = cli(['run', 'scenarios/demo-read-tags.json', ...small, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'sojourn_ns');
  // The statistics the scenario's report plots come first, every value with its unit.
  const lines = r.stdout.split('\n');
  const key = lines.indexOf('  key metrics (what the scenario\'s report plots and tabulates)');
  const all = lines.indexOf('  all metrics');
  assert.ok(key > 0 && all > key, r.stdout);
  const keyLines = lines.slice(key + 1, all);
  assert.ok(keyLines.some((l) => /^\s+reads\.sojourn_ns\s+p50 \d.* ns$/.test(l)), keyLines.join('\n'));
  assert.ok(lines.slice(all + 1).some((l) => /^\s+reads\.completed\s+\d+ requests$/.test(l)), r.stdout);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.is(s.status, 'ok');
  assert.is(s.metrics['reads.completed'] > 2000, true);
  assert.ok(s.metrics['reads.sojourn_ns'].p50 > 500 && s.metrics['reads.sojourn_ns'].p50 < 700, 'round trips near the preset 550 ns');
  assert.equal(fs.readdirSync(out), ['summary.json'], 'nothing else, no temp files');
});

test('the same scenario, seed and replication give byte-identical summaries and fingerprints', () => {
  const dir = tempDir();
  const runs = ['a', 'b'].map((n) => {
    const out = path.join(dir, n);
    assert.is(cli(['run', 'demo-read-tags', ...small, '--out', out]).code, 0);
    return fs.readFileSync(path.join(out, 'summary.json'));
  });
  assert.ok(runs[0]!.equals(runs[1]!));
  const other = JSON.parse(cli(['run', 'demo-read-tags', ...small, '--replication', '1', '--json']).stdout);
  assert.is.not(other.fingerprint, JSON.parse(runs[0]!.toString()).fingerprint, 'another replication draws other numbers');
});

test('a bad value exits 2 with a clear message, no stack trace, and no output folder', () => {
  const dir = tempDir();
  const d = demoScenario(); d.components[0].params.servers = -3;
  const file = writeScenario(dir, 'bad.json', d);
  const out = path.join(dir, 'out');
  const r = cli(['run', file, '--out', out]);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'bad.json: components[0].params.servers');
  assert.not.match(r.stderr, '    at ');
  assert.not.ok(fs.existsSync(out), 'no partial output folder');
});

test('validate accepts the shipped scenarios and rejects broken files', async () => {
  const ok = cli(['validate', 'scenarios/demo-read-tags.json']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, 'ok  ');
  const bad = await cliInProcess(['validate', writeScenario(tempDir(), 'x.json', '{"name": "x"}')]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, 'x.json: components: missing; expected array');
  // Values the schema accepts and a model refuses as it is built: validate builds every point, runs none.
  const refused = writeScenario(tempDir(), 'refused.json', {
    name: 'refused', parameters: { limit: { default: 1 } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: true, failAfterPs: 0, limit: '$limit' } }],
    sweep: { grid: { limit: [1, 2, 3] } },
  });
  const built = cli(['validate', refused], { env: FIXTURE_ENV });
  assert.is(built.code, 2, built.stderr);
  assert.is(built.stderr.trim(), `pciesim validate: ${refused}: components[0] (f, test.faulty): limit 3 is above 2 (parameters limit=3)`);
});

test('unknown commands and flags are user errors; --help works everywhere', async () => {
  assert.is(cli(['frobnicate']).code, 2);
  const typo = cli(['rnu', 'demo-read-tags']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, 'unknown command "rnu" (did you mean "run"?)');
  assert.is(cli(['run', 'demo-read-tags', '--sed', '3']).code, 2);
  // The first through the real command line, the others through its function in this process.
  for (const c of ['run', 'validate', 'list', 'schema', 'calibrate']) {
    const r = c === 'run' ? cli([c, '--help']) : await cliInProcess([c, '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, `Usage: pciesim ${c}`);
  }
});

// npx and `npm link` run the package's bin file itself, so every build must leave it a program:
// tsc writes it without the executable bit, and npx's cached link to it then fails ("Permission denied").
// (Windows has no executable bit: npm runs a bin there through a .cmd shim.)
const onPosix = process.platform === 'win32' ? test.skip : test;
onPosix('the build leaves each command of package.json bin executable, a program that runs on its own', () => {
  const bins = Object.values(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin as Record<string, string>);
  assert.ok(bins.length > 0);
  for (const bin of bins) {
    const file = path.join(ROOT, bin);
    assert.ok((fs.statSync(file).mode & 0o111) !== 0, `${bin} is not executable`);
    const r = spawnSync(file, ['--help'], { encoding: 'utf8', cwd: ROOT });
    assert.is(r.status, 0, r.stderr || String(r.error));
    assert.match(r.stdout, 'Usage: pciesim');
  }
});

test('list shows scenarios, types, presets and a scenario\'s parameters', async () => {
  const all = cli(['list']);
  assert.match(all.stdout, 'demo-read-tags');
  assert.match(all.stdout, 'workloads.queue');
  const params = await cliInProcess(['list', 'params', 'demo-read-tags']);
  assert.match(params.stdout, 'tags = 32');
});

test('list types TYPE: a type\'s slots, references and trace kinds, each with what it takes', async () => {
  const rc = (await cliInProcess(['list', 'types', 'pcie.root-complex'])).stdout;
  assert.match(rc, /\n  slots:\n    memory +a memory, required: /);
  assert.match(rc, /\n    iommu +an iommu: /);
  const domain = (await cliInProcess(['list', 'types', 'xen.domain'])).stdout;
  assert.match(domain, 'references: hypervisor → a xen.hypervisor; passthrough[] → a pcie.endpoint');
  const link = (await cliInProcess(['list', 'types', 'pcie.link'])).stdout;
  assert.match(link, /trace kinds \("<instance>\/<kind>"\):\n    tlp +\[hot: only when an include pattern selects it\] One row per TLP/);
});

test('the committed scenario JSON Schema is what the catalog generates', () => {
  const r = cli(['schema']);
  assert.is(r.code, 0);
  const committed = fs.readFileSync('scenarios/scenario.schema.json', 'utf8');
  assert.is(committed, r.stdout, 'regenerate with: npm run docs');
  const schema = JSON.parse(r.stdout);
  assert.ok(schema.properties.components.items.allOf.length >= 1);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { cli, cliInProcess, demoScenario, FIXTURE_ENV, ROOT, tempDir, writeScenario } from '../helpers.js';
import { deriveRunSeed } from '../../src/scenario/seeds.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { readScenario } from '../../src/scenario/loader.js';
import { runSweep, runSweeps } from '../../src/run/sweep.js';
import type { PlanOptions } from '../../src/run/plan.js';

/** A small sweep: 4 loads × 2 tag counts × 2 replications = 16 short runs. */
const SMALL = ['demo-read-tags', '--set', 'requests=2000', '--grid', 'tags=8,16', '--grid', 'load=5,20,40,55', '--replications', '2', '--no-report'];
const bytes = (dir: string, file = 'results.arrow') => fs.readFileSync(path.join(dir, file));
/** SMALL swept once for each set of extra flags: the folder of every test that only reads it. */
const swept = new Map<string, Promise<string>>();
function smallSweep(...extra: string[]): Promise<string> {
  const key = extra.join(' ');
  if (!swept.has(key)) swept.set(key, (async () => {
    const out = path.join(tempDir(), 'sweep');
    const r = await cliInProcess(['sweep', ...SMALL, ...extra, '--out', out]);
    assert.is(r.code, 0, `sweep ${extra.join(' ')}: ${r.stderr}`);
    return out;
  })());
  return swept.get(key)!;
}

test('results.arrow is the same bytes for --jobs 1, --jobs 2, and two shards merged', async () => {
  const merged = path.join(tempDir(), 'merged');
  const one = await smallSweep('--jobs', '1'), two = await smallSweep('--jobs', '2');
  assert.ok(bytes(one).equals(bytes(two)), '--jobs 1 and --jobs 2 differ');
  const s1 = await smallSweep('--shard', '1/2'), s2 = await smallSweep('--shard', '2/2');
  const partial = tableFromIPC(bytes(s1));
  assert.is(partial.numRows, 8, 'shard 1/2 holds every other run');
  const m = await cliInProcess(['merge', s1, s2, '--out', merged, '--no-report']);
  assert.is(m.code, 0, m.stderr);
  assert.ok(bytes(merged).equals(bytes(one)), 'merged shards differ from the one-machine sweep');
  assert.ok(bytes(merged, 'sweep.json').equals(bytes(one, 'sweep.json')));
});

test('results.arrow round-trips: one row per run in order, parameters, seeds, metrics, provenance', async () => {
  const t = tableFromIPC(bytes(await smallSweep('--jobs', '2')));
  assert.is(t.numRows, 16);
  const names = t.schema.fields.map((f) => f.name);
  for (const col of ['run', 'point', 'replication', 'seed', 'status', 'tags', 'load', 'requests', 'reads.throughput_per_us', 'reads.sojourn_ns.p99']) {
    assert.ok(names.includes(col), `missing column ${col}`);
  }
  const rows = t.toArray().map((r) => r.toJSON());
  assert.equal(rows.slice(0, 3).map((r) => r.run), ['p0000-r0', 'p0000-r1', 'p0001-r0']);
  const first = rows[0]!;
  assert.is(first.tags, 8); assert.is(first.load, 5); assert.is(first.status, 'ok');
  assert.is(Number(first.seed), deriveRunSeed(1, { load: 5, requests: 2000, tags: 8 }, 0), 'seed derives from (seed, parameters, replication)');
  assert.ok((first['reads.sojourn_ns.p50'] as number) > 500, 'a metric has a value');
  const meta = t.schema.metadata;
  const manifest = JSON.parse(meta.get('pciesim.manifest')!);
  assert.is(meta.get('pciesim.scenario'), 'demo-read-tags');
  assert.is(manifest.replications, 2);
  assert.equal(manifest.points.length, 8);
  assert.ok(manifest.metrics['reads.sojourn_ns.p99'].unit === 'ns');
  assert.is(t.schema.fields.find((f) => f.name === 'reads.sojourn_ns.p99')!.metadata.get('pciesim.unit'), 'ns', 'each column carries its unit');
  assert.ok(meta.get('pciesim.version'));
});

test('--resume after the sweep process is killed mid-way finishes with the same results.arrow', async () => {
  const dir = tempDir();
  const args = ['demo-read-tags', '--set', 'requests=2000', '--grid', 'load=5,10,15,20,25,30,35,40,45,50,55', '--grid', 'tags=16,32', '--no-report'];
  const full = path.join(dir, 'full'), killed = path.join(dir, 'killed');
  assert.is((await cliInProcess(['sweep', ...args, '--jobs', '2', '--out', full])).code, 0);

  // The sweep kills itself right after its third run summary is written: an interruption at an exact point, not a race.
  const crash = cli(['sweep', ...args, '--jobs', '1', '--out', killed], { env: { PCIESIM_CRASH_AFTER_RUNS: '3' } });
  assert.is(crash.signal, 'SIGKILL', `the sweep was not killed: exit ${crash.code} ${crash.stderr}`);
  assert.equal(fs.readdirSync(path.join(killed, 'runs')).sort(), ['p0000-r0', 'p0000-r1', 'p0000-r2'], 'exactly the first three runs finished');
  assert.not.ok(fs.existsSync(path.join(killed, 'results.arrow')), 'no results file from a killed sweep');
  const noResume = await cliInProcess(['sweep', ...args, '--out', killed]);
  assert.is(noResume.code, 2, 'a second sweep into the folder must ask for --resume');
  const r = await cliInProcess(['sweep', ...args, '--jobs', '2', '--resume', '--out', killed]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '3 already done');
  assert.ok(bytes(killed).equals(bytes(full)), 'resumed sweep differs from the uninterrupted one');
});

test('a run whose model throws is a failed row with its error; the sweep finishes and exits 1', async () => {
  const dir = tempDir();
  const file = writeScenario(dir, 'faulty.json', {
    name: 'faulty', parameters: { fail: { default: false } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: '$fail' } }],
    sweep: { grid: { fail: [false, true] } },
  });
  const out = path.join(dir, 'out');
  const r = cli(['sweep', file, '--out', out, '--no-report'], { env: FIXTURE_ENV });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, '1 failed');
  const rows = tableFromIPC(bytes(out)).toArray().map((x) => x.toJSON());
  assert.equal(rows.map((x) => [x.fail, x.status]), [[false, 'ok'], [true, 'failed']]);
  assert.match(String(rows[1]!.error), 'injected model bug');
  assert.is(rows[0]!['f.ticks'], 1);
  assert.is(rows[1]!['f.ticks'], null);
});

test('a run whose conservation checks fail is a failed row naming the broken check', async () => {
  const dir = tempDir();
  const file = writeScenario(dir, 'leaky.json', {
    name: 'leaky', parameters: { leak: { default: false } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: false, leak: '$leak' } }],
    sweep: { grid: { leak: [false, true] } },
  });
  const out = path.join(dir, 'out');
  const r = cli(['sweep', file, '--out', out, '--no-report'], { env: FIXTURE_ENV });
  assert.is(r.code, 1, r.stderr);
  const rows = tableFromIPC(bytes(out)).toArray().map((x) => x.toJSON());
  assert.equal(rows.map((x) => x.status), ['ok', 'failed']);
  assert.match(String(rows[1]!.error), 'conservation check failed (a model bug): f: 1 ticks in, 0 out');
});

test('a run left waiting when nothing is left to happen is a failed row naming the waiting process (daemons aside) or work', async () => {
  const dir = tempDir();
  const file = writeScenario(dir, 'stuck.json', {
    name: 'stuck', parameters: { stall: { default: 'none' } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: false, stall: '$stall' } }],
    sweep: { grid: { stall: ['none', 'process', 'work'] } },
  });
  const out = path.join(dir, 'out');
  const r = cli(['sweep', file, '--out', out, '--no-report'], { env: FIXTURE_ENV });
  assert.is(r.code, 1, r.stderr);
  const rows = tableFromIPC(bytes(out)).toArray().map((x) => x.toJSON());
  assert.equal(rows.map((x) => x.status), ['ok', 'failed', 'failed']);
  const why = '(a wait that nothing can end: a model bug, or components that wait for one another)';
  assert.is(String(rows[1]!.error), `deadlock: the run ran out of events with 1 process (f/stuck) still waiting ${why}`);
  assert.is(String(rows[2]!.error), `deadlock: the run ran out of events with f's 2 of 5 jobs still waiting ${why}`);
});

test('a value a model refuses as it is built stops the sweep before any run: exit 2, the point and the instance named, nothing written; a model bug then is a failed run', async () => {
  const dir = tempDir();
  const file = writeScenario(dir, 'limits.json', {
    name: 'limits', parameters: { limit: { default: 1 } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: false, limit: '$limit' } }],
    sweep: { grid: { limit: [1, 2, 3] } },
  });
  const out = path.join(dir, 'out');
  const r = cli(['sweep', file, '--out', out, '--no-report'], { env: FIXTURE_ENV });
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.trim(), `pciesim sweep: ${file}: components[0] (f, test.faulty): limit 3 is above 2 (parameters limit=3)`);
  assert.not.ok(fs.existsSync(out), 'a refused sweep leaves no folder');
  // A model's bug as it is built is the run's failure, not the user's: the sweep runs it, a failed row.
  const bugs = writeScenario(dir, 'bugs.json', {
    name: 'bugs', parameters: { bug: { default: 'none' } },
    components: [{ name: 'f', type: 'test.faulty', params: { fail: false, buildBug: '$bug' } }],
    sweep: { grid: { bug: ['none', 'error', 'recursion'] } },
  });
  const b = cli(['sweep', bugs, '--out', path.join(dir, 'bugs'), '--no-report'], { env: FIXTURE_ENV });
  assert.is(b.code, 1, b.stderr);
  const rows = tableFromIPC(bytes(path.join(dir, 'bugs'))).toArray().map((x) => x.toJSON());
  assert.equal(rows.map((x) => [x.status, x.error]), [['ok', null], ['failed', 'injected build bug'], ['failed', 'Maximum call stack size exceeded']]);
  const one = cli(['run', file, '--set', 'limit=3'], { env: FIXTURE_ENV });
  assert.is(one.code, 2, one.stderr);
  assert.match(one.stderr, `${file}: components[0] (f, test.faulty): limit 3 is above 2`);
  assert.not.match(one.stderr, /\n\s+at /, 'no stack trace');
});

test('--trace records each run\'s trace.arrow with the run\'s own provenance, and results do not change', async () => {
  const dir = tempDir();
  const traced = path.join(dir, 'traced'), plain = path.join(dir, 'plain');
  const args = ['sweep', 'demo-read-tags', '--set', 'requests=500', '--grid', 'tags=8,16', '--no-report'];
  assert.is((await cliInProcess([...args, '--trace', '--out', traced])).code, 0);
  assert.is((await cliInProcess([...args, '--out', plain])).code, 0);
  assert.ok(bytes(traced).equals(bytes(plain)), 'tracing changed the results');
  const t = tableFromIPC(fs.readFileSync(path.join(traced, 'runs', 'p0001-r0', 'trace.arrow')));
  assert.is(t.numRows, 500, 'one row per request');
  const results = tableFromIPC(bytes(plain)).toArray().map((r) => r.toJSON());
  assert.is(t.schema.metadata.get('pciesim.seed'), String(results.find((r) => r.run === 'p0001-r0')!.seed));
  assert.is(JSON.parse(t.schema.metadata.get('pciesim.parameters')!).tags, 16);
  assert.not.ok(fs.existsSync(path.join(plain, 'runs', 'p0001-r0', 'trace.arrow')), 'no trace unless asked');
});

test('bad sweep input exits 2 with a clear message and writes nothing', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const cases: [string[], string][] = [
    [['--shard', '3/2'], '--shard 3/2: expected K/N'],
    [['--grid', 'tags=8,x'], 'parameter "tags"'],
    [['--grid', 'nosuch=1,2'], 'declares no parameter "nosuch"'],
    [['--set', 'load=3', '--grid', 'load=1,2'], '"load" is also swept'],
    [['--jobs', '0'], '--jobs 0'],
  ];
  for (const [flags, message] of cases) {
    const r = await cliInProcess(['sweep', 'demo-read-tags', ...flags, '--out', out]);
    assert.is(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.not.ok(fs.existsSync(out), `${flags.join(' ')} left an output folder`);
  }
  const d = demoScenario(); d.sweep.grid.tags = [8, -1];
  const bad = writeScenario(dir, 'bad-grid.json', d);
  const r = await cliInProcess(['sweep', bad, '--out', out]);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'servers');
  assert.not.ok(fs.existsSync(out));
});

test('merge refuses folders of different sweeps and incomplete shard sets', async () => {
  const dir = tempDir();
  const a = await smallSweep('--shard', '1/2'), b = path.join(dir, 'b');
  assert.is((await cliInProcess(['sweep', ...SMALL, '--seed', '7', '--shard', '2/2', '--out', b])).code, 0);
  const incomplete = await cliInProcess(['merge', a, '--out', path.join(dir, 'm1')]);
  assert.is(incomplete.code, 2);
  assert.match(incomplete.stderr, '8 of 16 runs are in none of the folders');
  const mixed = await cliInProcess(['merge', a, b, '--out', path.join(dir, 'm2')]);
  assert.is(mixed.code, 2);
  assert.match(mixed.stderr, 'holds a different sweep');
});

test('several sweeps through one pool (runSweeps, as quickstart runs its studies) write what each writes alone, and report each once', async () => {
  const lib = await loadModelLibrary();
  const studies: { name: string; plan: PlanOptions }[] = [
    { name: 'demo-read-tags', plan: { overrides: { requests: '2000' }, grid: { tags: [8, 16], load: [5, 40] }, replications: 1 } },
    // Its sensitivity analysis goes through the pool too.
    { name: 'hypercall-costs', plan: { overrides: {}, grid: { batch: [1, 64], mode: ['map'], grants: ['per-use'], grantVersion: [1], vcpus: [4] } } },
  ];
  const dir = tempDir();
  const options = (where: string) => studies.map((s) => ({
    doc: readScenario(path.join(ROOT, 'scenarios', `${s.name}.json`)), lib, plan: s.plan, jobs: 2, resume: false, progress: null, out: path.join(dir, where, s.name),
  }));
  for (const o of options('alone')) await runSweep(o);
  const reported: string[] = [];
  await runSweeps(options('pooled'), 2, 'both', (o, outcome) => { reported.push(`${o.doc.body.name} ${outcome.runs}`); });
  assert.equal(reported.sort(), ['demo-read-tags 4', 'hypercall-costs 2']);
  for (const s of studies) {
    for (const f of ['results.arrow', 'sweep.json', 'sensitivity.json']) {
      const alone = path.join(dir, 'alone', s.name, f), pooled = path.join(dir, 'pooled', s.name, f);
      assert.is(fs.existsSync(pooled), fs.existsSync(alone), `${s.name}/${f}`);
      if (fs.existsSync(alone)) assert.ok(fs.readFileSync(pooled).equals(fs.readFileSync(alone)), `${s.name}/${f} differs`);
    }
  }
  assert.ok(fs.existsSync(path.join(dir, 'pooled', 'hypercall-costs', 'sensitivity.json')));
});

test.run();

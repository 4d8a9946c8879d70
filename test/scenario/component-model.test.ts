/**
 * The component model as a user and a model writer meet it: a new hardware
 * block is one file and one preset; declared statistics are enforced; names
 * a scenario uses are checked with the closest names offered; slots,
 * references and conditional components resolve or are refused at their
 * field; quantities read the same whatever their form.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliInProcess, demoScenario, ROOT, runJsonInProcess, tempDir, writeScenario } from '../helpers.js';
import { declarationProblems, defineComponent } from '../../src/scenario/registry.js';
import { z } from 'zod';

const REGISTRY = path.join(ROOT, 'dist', 'src', 'scenario', 'registry.js');

/** A model library folder holding one new block, `lab.heater`, in one file, and one preset for it. */
function labLibrary(stats = `[{ name: 'heat_joules_total', unit: 'J', description: 'Heat given off' }]`, report = `{ heat_joules_total: p.watts * p.seconds }`): string {
  const dir = tempDir('pciesim-lib-');
  fs.writeFileSync(path.join(dir, 'heater.js'), `
import { z } from 'zod';
import { defineComponent } from ${JSON.stringify(REGISTRY)};
export const heater = defineComponent({
  type: 'lab.heater',
  description: 'A heater that gives off watts × seconds of heat',
  params: z.strictObject({ watts: z.number().positive().describe('Power'), seconds: z.number().positive().describe('How long') }),
  defaultPreset: 'lab-heater',
  stats: ${stats},
  create: (ctx, p) => ({ metrics: () => (${report}) }),
});
`);
  fs.mkdirSync(path.join(dir, 'presets'));
  fs.writeFileSync(path.join(dir, 'presets', 'lab-heater.json'), JSON.stringify({
    name: 'lab-heater', type: 'lab.heater', description: 'A 2 kW heater',
    values: { watts: { value: 2000, source: 'the label on the heater' } },
  }));
  // The block's file imports zod by name: give the folder the package's node_modules.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const heaterScenario = { name: 'lab', components: [{ name: 'h', type: 'lab.heater', params: { seconds: 3 } }] };

test('a new hardware block is one model file and one preset: list, JSON Schema, validate and run see it, nothing else edited', async () => {
  const lib = labLibrary();
  const env = { PCIESIM_MODEL_PATH: lib };
  assert.match(cli(['list', 'types'], { env }).stdout, 'lab.heater', 'a real process reads the variable');
  assert.match((await cliInProcess(['list', 'types', 'lab.heater'], { env })).stdout, 'default preset: lab-heater');
  assert.match((await cliInProcess(['list', 'presets'], { env })).stdout, 'lab-heater');
  assert.match((await cliInProcess(['schema'], { env })).stdout, '"lab.heater"');
  const file = writeScenario(tempDir(), 'lab.json', heaterScenario);
  const v = await cliInProcess(['validate', file], { env });
  assert.is(v.code, 0, v.stderr);
  const run = JSON.parse((await cliInProcess(['run', file, '--json'], { env })).stdout);
  assert.is(run.metrics['h.heat_joules_total'], 6000, 'the preset gave the watts, the scenario the seconds');
  assert.is((await cliInProcess(['validate', file])).code, 2, 'without the folder there is no such type, in the same process too');
});

test('a statistic reported but not declared, or declared but not reported, fails the run as a model bug (exit 1, the reason on stderr)', async () => {
  const undeclared = labLibrary(undefined, `{ heat_joules_total: 1, smoke: 2 }`);
  const r = await cliInProcess(['run', writeScenario(tempDir(), 'lab.json', heaterScenario)], { env: { PCIESIM_MODEL_PATH: undeclared } });
  assert.is(r.code, 1);
  assert.match(r.stderr, 'h reported "smoke", which its type does not declare');
  const missing = labLibrary(`[{ name: 'heat_joules_total', unit: 'J', description: 'Heat' }, { name: 'peak_watts', unit: 'W', description: 'Peak' }]`);
  const m = await cliInProcess(['run', writeScenario(tempDir(), 'lab.json', heaterScenario), '--json'], { env: { PCIESIM_MODEL_PATH: missing } });
  assert.is(m.code, 1);
  assert.is(JSON.parse(m.stdout).status, 'failed', 'summary.json records the failure');
  assert.match(JSON.parse(m.stdout).error, 'h did not report its declared statistic "peak_watts"');
});

test('declarations are checked when the library loads: one name per statistic, units in names', () => {
  const base = { type: 'lab.x', description: '', params: z.strictObject({}), create: () => ({}) };
  assert.equal(declarationProblems(defineComponent({ ...base, stats: [{ name: 'n', unit: 'TLPs', description: '' }, { name: 'n', unit: 'TLPs', description: '' }] })),
    ['statistic "n" is declared twice']);
  assert.match(declarationProblems(defineComponent({ ...base, stats: [{ name: 'throughput_gbps', unit: 'GB/s', description: '' }] }))[0]!, 'must be named "…_gbytes_per_s"');
  assert.match(declarationProblems(defineComponent({ ...base, stats: [{ name: 'delay', unit: 'ps', description: '' }] }))[0]!, 'must be named "…_ps"');
  assert.match(declarationProblems(defineComponent({ ...base, stats: [{ name: 'size_bytes', unit: 'pages', description: '' }] }))[0]!, 'ends in a B suffix');
  assert.equal(declarationProblems(defineComponent({ ...base, stats: [{ name: 'rate_per_us', unit: 'requests/us', description: '' }] })), []);
});

test('every metric name a scenario uses is checked, with the closest names offered (exit 2)', async () => {
  const dir = tempDir();
  const plot = demoScenario(); plot.report.plots[0].metric = 'reads.throughput_per_ms';
  const p = await cliInProcess(['validate', writeScenario(dir, 'plot.json', plot)]);
  assert.is(p.code, 2);
  assert.match(p.stderr, 'plot.json: report.plots[0].metric: "reads.throughput_per_ms" is not a metric this scenario reports (did you mean "reads.throughput_per_us"');
  const derived = demoScenario(); derived.metrics = { mean_sojourn_ns: { op: 'mean', of: ['reads.sojourn_ns.p5'] } };
  const d = await cliInProcess(['validate', writeScenario(dir, 'derived.json', derived)]);
  assert.is(d.code, 2);
  assert.match(d.stderr, 'derived.json: metrics.mean_sojourn_ns.of[0]: "reads.sojourn_ns.p5" is not a metric this scenario reports (did you mean "reads.sojourn_ns.p50"');
  const units = demoScenario(); units.metrics = { both: { op: 'sum', of: ['reads.sojourn_ns.p50', 'reads.utilization'] } };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'units.json', units)])).stderr, 'its columns are in different units (ns, fraction)');
  const clash = demoScenario(); clash.metrics = { tags: 'reads.utilization' };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'clash.json', clash)])).stderr, 'clash.json: metrics.tags: "tags" is also a parameter\'s name; choose another');
  const ratio = demoScenario(); ratio.metrics = { r: { op: 'ratio', of: ['reads.sojourn_ns.p50', 'reads.sojourn_ns.p90', 'reads.sojourn_ns.p99'] } };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'ratio.json', ratio)])).stderr, 'ratio.json: metrics.r.of: a ratio takes two columns, got 3');
  const trace = demoScenario(); trace.trace = { enabled: true, include: ['reads/reqeust'], exclude: [] };
  const t = await cliInProcess(['validate', writeScenario(dir, 'trace.json', trace)]);
  assert.is(t.code, 2);
  assert.match(t.stderr, 'trace.json: trace.include[0]: "reads/reqeust" selects no trace kind of this scenario (did you mean "reads/request"?)');
});

test('derived metrics: an alias and an aggregate, computed from the run and declared with their units', async () => {
  const dir = tempDir();
  const d = demoScenario();
  d.metrics = { p50_ns: 'reads.sojourn_ns.p50', wait_share: { op: 'ratio', of: ['reads.wait_ns.mean', 'reads.sojourn_ns.mean'] } };
  const s = await runJsonInProcess(writeScenario(dir, 'd.json', d), { requests: 2000 });
  assert.is(s.metrics.p50_ns, s.metrics['reads.sojourn_ns'].p50);
  assert.is(s.metrics.wait_share, s.metrics['reads.wait_ns'].mean / s.metrics['reads.sojourn_ns'].mean);
  const named = demoScenario(); named.metrics = { p50: 'reads.sojourn_ns.p50' };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'n.json', named)])).stderr, 'metrics.p50: "p50" is in ns: a statistic in ns must be named "…_ns"');
});

test('a derived metric may read an instance a `when` leaves out of this run (its value is null there); a name no component has is still refused', async () => {
  const run = await cliInProcess(['run', 'xen-vs-kvm', '--set', 'scheme=flat', '--set', 'pages=16']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /share_latency_us\s+[0-9.]+ µs/, 'the first of xenshare / kvmshare that reports: xenshare here');
  const kvm = await cliInProcess(['run', 'xen-vs-kvm', '--set', 'scheme=kvm-udmabuf', '--set', 'pages=16', '--json']);
  assert.is(kvm.code, 0, kvm.stderr);
  const m = JSON.parse(kvm.stdout).metrics;
  assert.is(m.share_latency_us, m['kvmshare.share_latency_us']);
  const dir = tempDir();
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'xen-vs-kvm.json'), 'utf8'));
  body.metrics.share_latency_us.of[0] = 'xenshar.share_latency_us';
  const typo = await cliInProcess(['run', writeScenario(dir, 'typo.json', body), '--set', 'scheme=flat', '--set', 'pages=16']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, 'typo.json: metrics.share_latency_us.of[0]: "xenshar.share_latency_us" is not a metric this scenario reports (did you mean "xenshare.share_latency_us"');
});

test('quantities: "64 KiB" and 65536 are the same size, stored as a number; "4 KB" is refused as ambiguous', async () => {
  const a = await runJsonInProcess('dma-bandwidth', { size: '64 KiB', transfers: 20 }), b = await runJsonInProcess('dma-bandwidth', { size: 65536, transfers: 20 });
  assert.is(a.parameters.size, 65536);
  assert.is(a.fingerprint, b.fingerprint);
  const kb = await cliInProcess(['run', 'dma-bandwidth', '--set', 'size=4 KB']);
  assert.is(kb.code, 2);
  assert.match(kb.stderr, '"KB" is ambiguous: write KiB (1024 bytes) or kB (1000 bytes)');
  assert.is((await runJsonInProcess('dma-bandwidth', { size: '4 kB', transfers: 4 })).parameters.size, 4000, 'kB is SI: 1000 bytes');
});

test('slots: an unknown slot, a missing required one and a slot of the wrong kind are refused at their field; "enabled": "off" empties one', async () => {
  const dir = tempDir();
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'iommu-window.json'), 'utf8'));
  const typo = structuredClone(body); typo.components[0].slots.iomu = typo.components[0].slots.iommu; delete typo.components[0].slots.iommu;
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'typo.json', typo)])).stderr, 'typo.json: components[0].slots.iomu: no slot "iomu" of pcie.root-complex (did you mean "iommu"?)');
  const wrong = structuredClone(body); wrong.components[0].slots.iommu = { type: 'memory.dram', params: {} };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'wrong.json', wrong)])).stderr, 'components[0].slots.iommu.type: "memory.dram" is not a type for slot "iommu" (it takes a iommu)');
  const none = structuredClone(body); none.components[0].slots.memory = { enabled: 'off' };
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'none.json', none)])).stderr, 'pcie.root-complex cannot run without its "memory" slot');
  const off = await runJsonInProcess('iommu-window', { iommu: 'off', transfers: 50 });
  assert.not.ok(Object.keys(off.metrics).some((k) => k.startsWith('rc.iommu.')));
  assert.ok(Object.keys((await runJsonInProcess('iommu-window', { transfers: 50 })).metrics).includes('rc.iommu.translations'));
});

test('references must name an instance of the right kind; components may exist only at some sweep points', async () => {
  const dir = tempDir();
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'hypercall-costs.json'), 'utf8'));
  const typo = structuredClone(body); typo.components[3].params.mapper = 'dom1';
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'typo.json', typo)])).stderr, 'components[3].params.mapper: no instance named "dom1" (did you mean "dom0"?); it must name a xen.domain');
  const kind = structuredClone(body); kind.components[3].params.mapper = 'xen';
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'kind.json', kind)])).stderr, 'components[3].params.mapper: "xen" is a xen.hypervisor, not a xen.domain');
  // gref-schemes has two "exporter" domains, one per direction; they never meet.
  assert.is((await cliInProcess(['validate', 'gref-schemes'])).code, 0);
  const clash = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'gref-schemes.json'), 'utf8'));
  clash.components[2].when.direction = 'guest-to-host';
  assert.match((await cliInProcess(['validate', writeScenario(dir, 'clash.json', clash)])).stderr, '"exporter" is also components[1]\'s name, and both exist when direction = "guest-to-host"');
});

test('presets inherit: the base\'s values under the preset\'s own; a loop or a base of another type is refused', async () => {
  const arm = await runJsonInProcess('hypercall-costs', { platform: 'xen-arm', batch: 1, rounds: 1 });
  const x86 = await runJsonInProcess('hypercall-costs', { platform: 'xen-x86', batch: 1, rounds: 1 });
  assert.ok(arm.metrics['rounds.map_per_op_ns'] < x86.metrics['rounds.map_per_op_ns'], 'xen-arm overrides the hypercall round trip (380 cycles against 1,230)');
  const lib = labLibrary();
  const preset = (name: string, body: Record<string, unknown>) => fs.writeFileSync(path.join(lib, 'presets', `${name}.json`), JSON.stringify({ name, type: 'lab.heater', description: 'x', values: {}, ...body }));
  preset('loop-a', { base: 'loop-b' });
  preset('loop-b', { base: 'loop-a' });
  const file = writeScenario(tempDir(), 'lab.json', { ...heaterScenario, components: [{ ...heaterScenario.components[0], preset: 'loop-a' }] });
  const loop = cli(['validate', file], { env: { PCIESIM_MODEL_PATH: lib } });
  assert.is(loop.code, 2);
  assert.match(loop.stderr, /loop-[ab]\.json: base: "loop-[ab]" leads back to "loop-[ab]": presets cannot inherit in a loop/);
  preset('other', { base: 'xen-x86' });
  const other = writeScenario(tempDir(), 'lab.json', { ...heaterScenario, components: [{ ...heaterScenario.components[0], preset: 'other' }] });
  assert.match(cli(['validate', other], { env: { PCIESIM_MODEL_PATH: lib } }).stderr, 'other.json: base: "xen-x86" is a preset for xen.hypervisor, not lab.heater');
});

test('tracing: "*" records every kind, hot ones too; a traced run that records nothing says so and names the kinds', async () => {
  const dir = tempDir();
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'dma-bandwidth.json'), 'utf8'));
  body.trace = { enabled: true, include: ['*'], exclude: [] };
  const file = writeScenario(dir, 'all.json', body);
  const r = await cliInProcess(['run', file, '--set', 'transfers=4', '--out', path.join(dir, 'all')]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(fs.statSync(path.join(dir, 'all', 'trace.arrow')).size > 1000);
  assert.not.match(r.stderr, '0 rows');
  const quiet = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'dmabuf-attach.json'), 'utf8'));
  const q = await cliInProcess(['run', writeScenario(dir, 'quiet.json', quiet), '--trace', '--out', path.join(dir, 'quiet')]);
  assert.is(q.code, 0, q.stderr);
  assert.match(q.stderr, 'the trace recorded 0 rows; the kinds this scenario can record: none');
});

test('run --trace-include: the kinds a pattern selects, hot ones too; a pattern that selects none is refused naming the flag; the 0-row note points to the flag', async () => {
  const dir = tempDir();
  const ab = await cliInProcess(['run', 'dma-bandwidth', '--set', 'transfers=4', '--trace-include', 'link0.ab/tlp', '--out', path.join(dir, 'ab')]);
  assert.is(ab.code, 0, ab.stderr);
  const both = await cliInProcess(['run', 'dma-bandwidth', '--set', 'transfers=4', '--trace-include', 'link0.*/tlp', '--out', path.join(dir, 'both')]);
  assert.is(both.code, 0, both.stderr);
  const size = (d: string) => fs.statSync(path.join(dir, d, 'trace.arrow')).size;
  assert.ok(size('ab') > 1000 && size('both') > size('ab'), `one direction ${size('ab')} B, both ${size('both')} B`);
  const typo = await cliInProcess(['run', 'dma-bandwidth', '--trace-include', 'lnk0.*/tlp', '--out', path.join(dir, 'typo')]);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, '--trace-include: "lnk0.*/tlp" selects no trace kind of this scenario (did you mean "link0.ab/tlp"');
  assert.not.ok(fs.existsSync(path.join(dir, 'typo')), 'nothing written');
  const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'dma-bandwidth.json'), 'utf8'));
  body.trace = { enabled: true, include: [], exclude: ['*/descriptor'] };
  const none = await cliInProcess(['run', writeScenario(dir, 'hot-only.json', body), '--set', 'transfers=4', '--out', path.join(dir, 'none')]);
  assert.match(none.stderr, "the trace recorded 0 rows; the kinds this scenario can record: ep.dma/descriptor, link0.ab/tlp (hot");
  assert.match(none.stderr, "select some with --trace-include (e.g. --trace-include '*')");
});

test('bad input: deep nesting, --out onto a file, a --chrome file under a file: exit 2, a message, nothing written', async () => {
  const dir = tempDir();
  const deep = writeScenario(dir, 'deep.json', `{"name":"x","components":[{"name":"a","type":"workloads.queue","params":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}]}`);
  const d = await cliInProcess(['validate', deep]);
  assert.is(d.code, 2);
  assert.match(d.stderr, 'deep.json: nested 65 levels deep; a scenario file nests at most 64');
  assert.not.match(d.stderr, '    at ');
  const file = path.join(dir, 'taken');
  fs.writeFileSync(file, 'mine');
  const o = await cliInProcess(['run', 'demo-read-tags', '--set', 'requests=10', '--out', file]);
  assert.is(o.code, 2);
  assert.match(o.stderr, `--out ${file}: exists and is not a folder`);
  assert.is(fs.readFileSync(file, 'utf8'), 'mine');
  const traced = path.join(dir, 'traced');
  assert.is((await cliInProcess(['run', 'demo-read-tags', '--set', 'requests=10', '--trace', '--out', traced])).code, 0);
  // A missing folder is made (as for every output); a path through a file is refused.
  const c = await cliInProcess(['trace', traced, '--chrome', path.join(file, 'timeline.json')]);
  assert.is(c.code, 2);
  assert.match(c.stderr, `cannot write ${file}`);
  assert.is(fs.readFileSync(file, 'utf8'), 'mine');
});

test.run();

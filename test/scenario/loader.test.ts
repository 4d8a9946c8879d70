import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { sweepPoints } from '../../src/scenario/grid.js';
import { deriveRunSeed } from '../../src/scenario/seeds.js';
import { UserError } from '../../src/scenario/errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { demoScenario, ROOT } from '../helpers.js';

const lib = await loadModelLibrary();
const parse = (body: unknown) => parseScenario('s.json', JSON.stringify(body));
const problem = (fn: () => unknown): string => {
  try { fn(); } catch (e) { assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`); return (e as Error).message; }
  assert.unreachable('no error');
  return '';
};

test('the demo resolves: defaults, parameter references, preset values under params', () => {
  const sc = resolveScenario(parse(demoScenario()), {}, lib);
  const p = sc.components[0]!.params as Record<string, unknown>;
  assert.is(p.servers, 32, 'from $tags');
  assert.is(p.arrivalsPerUs, 40, 'from $load');
  assert.is(p.serviceTime, 550_000, 'from the preset, "550 ns" in ps');
  assert.is(p.serviceCv, 0.1, 'from the preset');
  assert.equal(sc.parameters, { load: 40, requests: 50000, tags: 32 });
});

test('--set overrides are typed by the default', () => {
  const sc = resolveScenario(parse(demoScenario()), { tags: '8', load: '12.5' }, lib);
  const p = sc.components[0]!.params as Record<string, unknown>;
  assert.is(p.servers, 8);
  assert.is(p.arrivalsPerUs, 12.5);
});

test('a missing field names the file and the path', () => {
  const d = demoScenario(); delete d.components[0].type;
  assert.match(problem(() => parse(d)), 's.json: components[0].type: missing; expected string');
});

test('a wrong type names the path and what was expected', () => {
  const d = demoScenario(); d.components[0].params.servers = 'four';
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 's.json: components[0].params.servers: expected number, got "four"');
});

test('a value out of range or not whole says the bound in words, not zod\'s "Too small: expected number to be >=1"', () => {
  const d = demoScenario(); d.components[0].params.servers = 0;
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 's.json: components[0].params.servers: expected a number ≥ 1, got 0');
  d.components[0].params.servers = 2.5;
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 's.json: components[0].params.servers: expected a whole number, got 2.5');
});

test('values that only together are impossible are refused at their field, before anything is built', () => {
  const shipped = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', `${name}.json`), 'utf8'));
  const refused = (d: unknown) => problem(() => resolveScenario(parseScenario('s.json', JSON.stringify(d)), {}, lib));
  const window = shipped('iommu-window');
  window.components[0].slots.iommu.params.iotlb4kWays = 3;
  assert.match(refused(window), 's.json: components[0].slots.iommu.params.iotlb4kWays: 3 ways do not divide the 64 entries of iotlb4kEntries into whole sets');
  window.components[0].slots.iommu.params.iotlb4kWays = 128;
  assert.not.throws(() => resolveScenario(parseScenario('s.json', JSON.stringify(window)), {}, lib), 'ways beyond the entries: fully associative');
  const hold = shipped('iommu-window');
  Object.assign(hold.components[0].params, { completionCoalescingHold: '100 ns' });
  assert.match(refused(hold), 's.json: components[0].params.completionCoalescingHold: needs completionCoalescingBlock');
  const xen = shipped('hypercall-costs');
  xen.components[0].params = { ...xen.components[0].params, pageBytes: 2048 };
  assert.match(refused(xen), 's.json: components[0].params.pageBytes: expected a power of two of at least 4096 bytes');
  const drv = shipped('iommu-map-unmap');
  drv.components[2].params.buffersBase = 4 * 2 ** 30 + 64;
  assert.match(refused(drv), 's.json: components[2].params.buffersBase: expected a multiple of 4096 bytes: the IOMMU maps whole 4 KiB pages');
});

test('an unknown field is reported, not ignored', () => {
  const d = demoScenario(); d.components[0].params.sevrers = 4;
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 'components[0].params: unknown field "sevrers"');
});

test('an unknown preset lists the presets for that type', () => {
  const d = demoScenario(); d.components[0].preset = 'no-such-preset';
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 'components[0].preset: unknown preset "no-such-preset"; presets for workloads.queue: demo-read-tags');
});

test('an unknown component type lists the known ones', () => {
  const d = demoScenario(); d.components[0].type = 'pcie.flux-capacitor';
  const known = lib.catalog.list().filter((t) => t.joins === undefined).map((t) => t.type);
  assert.ok(known.includes('workloads.queue') && !known.includes('pcie.link'), 'link types are not component types');
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), `unknown component type "pcie.flux-capacitor"; known: ${known.join(', ')}`);
});

test('a report table must name declared parameters', () => {
  const d = demoScenario(); d.report = { tables: [{ metric: 'm', rows: 'load', columns: 'tagz' }] };
  assert.match(problem(() => parse(d)), 's.json: report.tables[0].columns: "tagz" is not a parameter this scenario declares');
});

test('a plot slice (where) must name declared parameters', () => {
  const d = demoScenario(); d.report = { plots: [{ metric: 'm', x: 'load', where: { tagz: 4 } }] };
  assert.match(problem(() => parse(d)), 's.json: report.plots[0].where.tagz: "tagz" is not a parameter this scenario declares');
});

test('an unknown parameter in --set lists the declared ones', () => {
  assert.match(problem(() => resolveScenario(parse(demoScenario()), { tag: '4' }, lib)),
    '--set tag: s.json declares no parameter "tag" (did you mean "tags"?); its parameters are load, requests, tags');
});

test('a --set value of the wrong type is refused', () => {
  assert.match(problem(() => resolveScenario(parse(demoScenario()), { tags: 'many' }, lib)), 'parameter "tags" of s.json is a number');
});

test('a bad value that came from a parameter says which parameter', () => {
  assert.match(problem(() => resolveScenario(parse(demoScenario()), { tags: '0' }, lib)), '(the value comes from parameter "$tags" = 0)');
});

test('a reference to an undeclared parameter is an error at its path', () => {
  const d = demoScenario(); d.components[0].params.requests = '$reqs';
  assert.match(problem(() => resolveScenario(parse(d), {}, lib)), 'components[0].params.requests: refers to parameter "$reqs"');
});

test('a choice parameter refuses values outside its list', () => {
  const d = demoScenario(); d.parameters.tags.values = [8, 16, 32];
  assert.match(problem(() => resolveScenario(parse(d), { tags: '12' }, lib)), 'must be one of 8, 16, 32');
});

test('invalid JSON gives line and column', () => {
  assert.match(problem(() => parseScenario('s.json', '{\n  "name": "x",\n  "components": [,]\n}')), /s\.json: not valid JSON \(scenario file\): .* at line 3, column \d+/);
});

test('duplicate component names are refused', () => {
  const d = demoScenario(); d.components.push({ ...d.components[0] });
  assert.match(problem(() => parse(d)), 'components[1].name: "reads" is used by an earlier component');
});

test('sweep points: grid is a cross product in file order, zip advances together', () => {
  assert.equal(sweepPoints({ grid: { a: [1, 2], b: ['x', 'y'] }, zip: { c: [10, 20], d: [true, false] } }), [
    { a: 1, b: 'x', c: 10, d: true }, { a: 1, b: 'x', c: 20, d: false }, { a: 1, b: 'y', c: 10, d: true }, { a: 1, b: 'y', c: 20, d: false },
    { a: 2, b: 'x', c: 10, d: true }, { a: 2, b: 'x', c: 20, d: false }, { a: 2, b: 'y', c: 10, d: true }, { a: 2, b: 'y', c: 20, d: false },
  ]);
  assert.equal(sweepPoints(undefined), [{}]);
  const d = demoScenario(); d.sweep.grid = {}; d.sweep.zip = { load: [1, 2], requests: [3] };
  assert.match(problem(() => parse(d)), 'sweep.zip.requests: zipped lists must have equal lengths');
});

test('run seeds depend on seed, parameters and replication only', () => {
  const a = deriveRunSeed(1, { x: 1, y: 'b' }, 0);
  assert.is(a, deriveRunSeed(1, { y: 'b', x: 1 }, 0), 'parameter order does not matter');
  assert.is.not(a, deriveRunSeed(2, { x: 1, y: 'b' }, 0));
  assert.is.not(a, deriveRunSeed(1, { x: 2, y: 'b' }, 0));
  assert.is.not(a, deriveRunSeed(1, { x: 1, y: 'b' }, 1));
  assert.ok(Number.isSafeInteger(a));
});

test.run();

/**
 * `pciesim calibrate` against measurements made by the simulator itself
 * with one estimate moved to a known value inside its range: the fit must
 * find that value again (to the search's tolerance), lower the error, and
 * write a preset that loads, inherits from the original and cites the file,
 * residuals that agree with the points, and a plot per curve; twice the
 * same input gives the same bytes. pcie-bench's format is read with its
 * throughput column in Gb/s.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { PresetLibrary } from '../../src/scenario/presets.js';
import { CurveSimulator } from '../../src/calibrate/simulate.js';
import { measuredCurves, type CurvePoint } from '../../src/calibrate/curves.js';
import { DEFAULT_SEARCH } from '../../src/calibrate/coordinate-search.js';
import { assertSameFiles, cli, cliInProcess, ROOT, tempDir } from '../helpers.js';
import { UserError } from '../../src/scenario/errors.js';
import { residualsCsv } from '../../src/calibrate/calibration-files.js';
import type { Calibration } from '../../src/calibrate/fit.js';

const lib = await loadModelLibrary();
const sim = new CurveSimulator(lib);
const PLATFORM = 'nfp6000-xeon-e5-2630v4';
const presetFile = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'presets', `${name}.json`), 'utf8'));
const ns = (text: string) => Number(text.replace(/ ns$/, ''));

/** Unloaded read latency (one transfer in flight) by size, as the simulator gives it with `overrides`. */
function latencyCsv(sizes: number[], overrides: Record<string, Record<string, unknown>>): string {
  const rows = sizes.map((size) => {
    const v = sim.metric('dma-bandwidth', 'dma.latency_ns.p50', { platform: PLATFORM, op: 'read', size, inFlight: 1, pattern: 'sequential', transfers: 5 }, overrides)!;
    return `dma-bandwidth,dma.latency_ns.p50,${size},${v},${PLATFORM},read,${size},1,sequential,5`;
  });
  return ['scenario,metric,x,measured,platform,op,size,inFlight,pattern,transfers', ...rows].join('\n') + '\n';
}

const dir = tempDir('pciesim-calibrate-');
const TRAVERSAL = '321.7 ns';
const measured = path.join(dir, 'latency.csv');
fs.writeFileSync(measured, latencyCsv([64, 512, 2048], { rc: { traversal: TRAVERSAL } }));
const out = path.join(dir, 'fit');
// Points on three threads here, on one in the determinism test below: the files must not tell.
const run = cli(['calibrate', '--preset', PLATFORM, '--measured', measured, '--out', out, '--jobs', '3']);

test('a distribution\'s percentiles: its own fields, the others off its CDF; cold reads on a host with refresh have a tail the warm ones lack', () => {
  const params = { platform: PLATFORM, op: 'read', size: 64, window: 8192, inFlight: 1, transfers: 4000 };
  const at = (cache: string, field: string) => sim.metric('iommu-window', `dma.latency_ns.${field}`, { ...params, cache }, {})!;
  for (const cache of ['warm', 'cold']) {
    const q = ['p01', 'p10', 'p50', 'p95', 'p99', 'p999'].map((f) => at(cache, f));
    assert.ok(q.every((v, i) => Number.isFinite(v) && (i === 0 || v >= q[i - 1]!)), `${cache}: ${q}`);
  }
  assert.ok(at('warm', 'p999') - at('warm', 'p01') < 30, 'warm: every read hits the cache, (almost) no spread');
  assert.ok(at('cold', 'p999') - at('cold', 'p50') > 200, 'cold: refresh stalls of up to tRFC (350 ns)');
  assert.is(at('cold', 'p01'), at('cold', 'p10'), 'a percentile read twice from the same run agrees');
});

test('a point the model refuses stops the fit with its line named; a fit candidate it refuses is a failed point, named, not a silent gap', () => {
  const point = (line: number, params: CurvePoint['params']): CurvePoint => ({ x: line, measured: 1, origin: `m.csv: line ${line}`, params });
  const read64 = { platform: PLATFORM, op: 'read', size: 64, transfers: 5 };
  const curve = { name: 'x', title: 'x', scenario: 'dma-bandwidth', metric: 'dma.throughput_gbytes_per_s', scale: 1, unit: 'GB/s', xLabel: 'size', points: [point(2, read64)] };
  assert.is(sim.simulate(curve).failures, null);
  // A transfer larger than its window: the point's own values, refused with its line named.
  const tooBig = point(3, { ...read64, size: 16384, window: 8192 });
  assert.throws(() => sim.simulate({ ...curve, points: [point(2, read64), tooBig] }), (e: Error) => e instanceof UserError && /^m\.csv: line 3: .*must fit in the window/.test(e.message));
  // A candidate of a fit (preset overrides) that the IOTLB refuses: 3 ways do not divide its 64 entries.
  const nosp = point(3, { ...read64, platform: `${PLATFORM}-iommu-nosp` });
  const bad = sim.simulate({ ...curve, points: [nosp] }, { 'rc.iommu': { iotlb4kWays: 3 } });
  assert.is(bad.failures?.points, 1, 'the failed point is counted');
  assert.match(bad.failures!.first, /^m\.csv: line 3: .*3 ways do not divide the 64 entries/);
  assert.is(bad.simulated[0], null);
  assert.ok(sim.simulate({ ...curve, points: [nosp] }).simulated[0]! > 0, 'the point itself runs');
});

test('the simple format: the root complex\'s traversal is found again; the values the points do not depend on are left alone', () => {
  assert.is(run.code, 0, run.stderr);
  const fitted = JSON.parse(fs.readFileSync(path.join(out, `${PLATFORM}-fitted.json`), 'utf8'));
  const range = presetFile(PLATFORM).values.traversal.range.map(ns);
  // Golden-section search brackets the minimum of this V-shaped error to its tolerance × the range; values are 0.01 ns apart.
  const tolerance = DEFAULT_SEARCH.tolerance * (range[1] - range[0]) + 0.005;
  const got = ns(fitted.values.traversal.value);
  assert.ok(Math.abs(got - ns(TRAVERSAL)) <= tolerance, `traversal ${got} ns, made with ${TRAVERSAL} (±${tolerance})`);
  assert.not.ok('p2pReadBandwidth' in fitted.values, 'P2P bandwidth does not move a DMA read\'s latency');
  assert.match(run.stdout, /p2pReadBandwidth\s+not fitted/);
  if ('rcb' in fitted.values) assert.is(fitted.values.rcb.value, 64, 'the measurements were made with the preset\'s RCB');
  assert.match(run.stdout, new RegExp(`traversal\\s+${presetFile(PLATFORM).values.traversal.value} → ${got} ns`));
});

test('progress on stderr, not a terminal: a line every tenth simulation of every point, with the least error yet, which never rises', () => {
  const evaluations = Number(/(\d+) simulations of every point/.exec(run.stdout)![1]);
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('calibrate: '));
  assert.is(lines.length, Math.floor(evaluations / 10), run.stderr);
  const least = lines.map((l, k) => {
    const m = /^calibrate: (\d+) simulations of every point, least mean absolute error (\d+\.\d\d)%$/.exec(l);
    assert.ok(m && Number(m[1]) === 10 * (k + 1), l);
    return Number(m![2]);
  });
  assert.ok(least.every((e, k) => k === 0 || e <= least[k - 1]!), least.join(' '));
});

test('the fitted preset loads, inherits from the original, cites the file and keeps the range', () => {
  const presets = new PresetLibrary([out, path.join(ROOT, 'models', 'presets')]);
  const p = presets.get(`${PLATFORM}-fitted`)!;
  assert.equal(p.chain.slice(0, 2), [`${PLATFORM}-fitted`, PLATFORM]);
  assert.is(p.type, 'pcie.root-complex');
  const v = p.values.traversal!;
  assert.ok(v.estimate);
  assert.equal(v.range, presetFile(PLATFORM).values.traversal.range);
  assert.match(v.source, 'latency.csv');
  assert.not.match(v.source, dir, 'no machine folders');
  assert.is(p.values.mps?.from, presets.get(PLATFORM)!.values.mps?.from, 'what was not fitted is inherited');
});

test('residuals: every point before and after, and mean absolute errors that agree with them and fell', () => {
  const lines = fs.readFileSync(path.join(out, 'residuals.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const [header, ...rows] = lines;
  assert.equal(header, ['curve', 'series', 'x', 'unit', 'measured', 'simulated_before', 'error_before_pct', 'simulated', 'error_pct']);
  const points = rows.filter((r) => r[2] !== 'mean_abs');
  assert.equal(points.map((r) => r[2]), ['64', '512', '2048']);
  assert.ok(points.every((r) => r[1] === ''), 'a curve of one line: no series');
  const mean = (col: number) => points.reduce((s, r) => s + Math.abs(Number(r[col])), 0) / points.length;
  const all = rows.find((r) => r[0] === 'all')!;
  // Rows round to 0.01%, so their mean may differ from the whole-precision mean by that much.
  assert.ok(Math.abs(Number(all[6]) - mean(6)) <= 0.01 && Math.abs(Number(all[8]) - mean(8)) <= 0.01, all.join(','));
  for (const r of points) assert.ok(Math.abs(((Number(r[5]) - Number(r[4])) / Number(r[4])) * 100 - Number(r[6])) < 0.01, r.join(','));
  assert.ok(Number(all[8]) < Number(all[6]), `after ${all[8]}% < before ${all[6]}%`);
  assert.match(run.stdout, /mean absolute error \d+\.\d\d% → \d+\.\d\d%/);
});

test('residuals of a curve of several lines (an offset curve: one per transfer size) name each point\'s line', () => {
  const points = [64, 128].flatMap((series) => [0, 8].map((x) => ({ x, series, measured: 10, params: {}, origin: 'm.csv' })));
  const curve = { name: 'ho_rd', title: 'reads by host offset', scenario: 'dma-bandwidth', metric: 'dma.throughput_gbytes_per_s', scale: 8, unit: 'Gb/s', xLabel: 'host offset (B)', seriesLabel: 'transfer size (B)', points };
  const s = { curve, simulated: [11, 12, 9, 10], failures: null };
  const fit = { before: [s], after: [s], maeBefore: 0.1, maeAfter: 0.1 } as unknown as Calibration;
  const rows = residualsCsv(fit).trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 3).join(','));
  assert.equal(rows, ['ho_rd,64,0', 'ho_rd,64,8', 'ho_rd,128,0', 'ho_rd,128,8', 'ho_rd,,mean_abs', 'all,,mean_abs']);
});

test('a measured-vs-simulated plot per curve: measured, before the fit and fitted', () => {
  const svg = fs.readFileSync(path.join(out, 'dma-bandwidth_dma.latency_ns.p50.svg'), 'utf8');
  assert.is(svg.match(/<polyline/g)?.length, 3);
  for (const label of ['measured', 'before fit', 'simulated']) assert.match(svg, `>${label}</text>`);
});

test('deterministic: the same input gives byte-identical files, on one thread as on three', async () => {
  const again = path.join(dir, 'again');
  const r = await cliInProcess(['calibrate', '--preset', PLATFORM, '--measured', measured, '--out', again, '--jobs', '1']);
  assert.is(r.code, 0, r.stderr);
  assertSameFiles(out, again);
});

test('pcie-bench\'s format (BW column in Gb/s): the DMA engine\'s per-TLP overhead is found again from small writes', async () => {
  const TLP_OVERHEAD = 21;
  const rows = [64, 96, 128].map((size) => {
    // pcie-bench's size sweep: random addresses, each transfer in its own cache-line-aligned slot of an 8 KiB window.
    const params = { platform: PLATFORM, op: 'write', size, window: 8192, pattern: 'random', alignment: Math.ceil(size / 64) * 64, transfers: 2000 };
    const gbytes = sim.metric('dma-bandwidth', 'dma.throughput_gbytes_per_s', params, { 'ep.dma': { tlpOverhead: `${TLP_OVERHEAD} ns` } })!;
    return `BW_DMA_WR,Rand,HWarm,0,0,8192,${size},${gbytes * 8}`;
  });
  const file = path.join(dir, 'bw_dma_sz_sweep.csv');
  fs.writeFileSync(file, ['Test,PAT,Cache,HO,DO,WinSZ,SZ,BW (GB/s)', ...rows].join('\n') + '\n');
  const fitOut = path.join(dir, 'dma');
  const r = await cliInProcess(['calibrate', '--preset', 'nfp6000-dma', '--fit', 'tlpOverhead', '--set', `platform=${PLATFORM}`, '--measured', file, '--out', fitOut, '--name', 'my-nfp']);
  assert.is(r.code, 0, r.stderr);
  const fitted = JSON.parse(fs.readFileSync(path.join(fitOut, 'my-nfp.json'), 'utf8'));
  const range = presetFile('nfp6000-dma').values.tlpOverhead.range.map(ns);
  const tolerance = DEFAULT_SEARCH.tolerance * (range[1] - range[0]) + 0.0005;
  assert.ok(Math.abs(ns(fitted.values.tlpOverhead.value) - TLP_OVERHEAD) <= tolerance, `${fitted.values.tlpOverhead.value} (±${tolerance})`);
  assert.equal(Object.keys(fitted.values), ['tlpOverhead'], '--fit fits only what it names');
  assert.is(fitted.base, 'nfp6000-dma');
  assert.match(r.stdout, /tlpRate\s+not fitted: not in --fit/);
  assert.ok(fs.existsSync(path.join(fitOut, 'bw_wr.svg')));
});

test('a fraction in its range (a share in [0.3, 1] at 0.8, half a unit from its top) is fitted as a fraction: the remote Ivy Bridge host\'s fixed share found again from reads at host offsets, never worse than the preset', async () => {
  const platform = 'nfp6000-xeon-e5-2620v2-remote';
  const SHARE = 0.62;
  // pcie-bench's reads by host offset (sequential slots, warm), at the values the simulator gives them with SHARE: placed first, then measured.
  const file = path.join(dir, 'bw_dma_off_rd.csv');
  const write = (gbits: (k: number) => number) => fs.writeFileSync(file, ['Test,PAT,Cache,HO,DO,WinSZ,SZ,BW (GB/s)',
    ...[[64, 1], [64, 32], [128, 4], [128, 63]].map(([size, ho], k) => `BW_DMA_RD,Seq,HWarm,${ho},0,8192,${size},${gbits(k)}`)].join('\n') + '\n');
  write(() => 1);
  const [curve] = measuredCurves(file, platform, null);
  const placed = { ...curve!, points: curve!.points.map((p) => ({ ...p, params: { platform, ...p.params } })) };
  const made = sim.simulate(placed, { rc: { completionIntervalFixedShare: SHARE } }).simulated;
  write((k) => made[k]!);
  const fitOut = path.join(dir, 'share');
  const r = await cliInProcess(['calibrate', '--preset', platform, '--fit', 'completionIntervalFixedShare', '--measured', file, '--out', fitOut]);
  assert.is(r.code, 0, r.stderr);
  const fitted = JSON.parse(fs.readFileSync(path.join(fitOut, `${platform}-fitted.json`), 'utf8'));
  const range = presetFile(platform).values.completionIntervalFixedShare.range as [number, number];
  // The error is flat between the values that round the simulated points alike: the bracket's tolerance and a little.
  assert.ok(Math.abs(fitted.values.completionIntervalFixedShare.value - SHARE) <= 5 * DEFAULT_SEARCH.tolerance * (range[1] - range[0]), r.stdout);
  const [before, after] = /mean absolute error (\d+\.\d\d)% → (\d+\.\d\d)%/.exec(r.stdout)!.slice(1).map(Number);
  assert.ok(after! <= before!, r.stdout);
});

test.run();

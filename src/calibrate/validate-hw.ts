/**
 * `npm run validate:hw`: runs every calibration host whose pcie-bench folder
 * is present (hosts.ts) on its platform preset, and every other pcie-bench
 * host folder there on the platform preset its name gives (a prediction: the
 * presets were not fitted on it), and writes, per host and curve, the mean
 * absolute relative error of the simulation against the measurement, to
 * reports/hw-validation/: README.md (the error tables, the predicted hosts'
 * apart, and every point), points.csv (every point, one row each: the host,
 * the point's place in its curve, measured, its repeats, simulated, the
 * signed error), one measured-vs-simulated SVG per host and curve.
 * A folder with no such preset, or whose measurements cannot be read, is
 * named and skipped. Without the data (a user's machine) it says so and
 * exits 0.
 *
 * Where a host measured a point more than once (hosts.ts: `repeats`,
 * `sameMachine`), the point is compared at the repeats' median and the
 * curve's measured spread (repeats.ts: the repeats' mean absolute deviation
 * from their median) is shown beside its error: how close a deterministic
 * model can come to that host's measurement at all.
 *
 * Where the size sweep and a window sweep measured the same transfers over
 * windows nothing in the host tells apart (agreement.ts), the report gives
 * how far apart the two files are: a floor that shows on hosts that measured
 * each point once too.
 *
 * Options: --host SUBSTRING (only hosts whose folder contains it), --curve
 * NAME[,NAME...] (only those curves), --out DIR,
 * --jobs N (threads simulating curves: this one and N-1 workers; default one
 * per core), --compare DIR (an earlier run's folder: what moved since, in
 * comparison.md; validation-compare.ts). The files do not depend on --jobs.
 * A mistake in the options or a point the model refuses is told without a
 * stack, exit code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelLibrary } from '../scenario/library.js';
import { PACKAGE_ROOT } from '../cli/context.js';
import { hostFolder, pcieBenchDir, presentHosts, type PresentHost } from './hosts.js';
import { PLATFORM_SCENARIO, pcieBenchCurves, type Curve } from './curves.js';
import { measuredSpread, mergeRuns } from './repeats.js';
import { fileAgreement } from './agreement.js';
import { CurveSimulator, meanAbsoluteError, type SimulatedCurve } from './simulate.js';
import { withCurveSimulations } from './curve-pool.js';
import { Progress } from '../run/progress.js';
import { commaList, parseJobs } from '../cli/sweep-flags.js';
import { EXIT_USER, isInputMistake, isOptionMistake } from '../cli/main.js';
import { curvePlot } from './svg-plot.js';
import { VALIDATION_POINTS_HEADER, errorPct, meanOfPresent, num, pointKey, tablePercent } from './calibration-files.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../scenario/errors.js';
import { compareValidations, readEarlierValidation, readValidation } from './validation-compare.js';

const USAGE = `Usage: npm run validate:hw -- [--host SUBSTRING] [--curve NAME[,NAME...]] [--out DIR] [--jobs N] [--compare DIR]

Simulates every pcie-bench curve of every calibration host whose folder is in
../shared/data/pcie-bench (or $PCIESIM_PCIE_BENCH) on its platform preset, and
writes the mean absolute error per host and curve, every point (README.md and
points.csv) and a measured-vs-simulated SVG per curve.
  --host SUBSTRING   only the host folders whose name contains it
  --curve NAMES      only these curves (comma-separated, e.g. do_rd,ho_rd: the README's column names)
  --out DIR          where to write (default: reports/hw-validation)
  --jobs N           threads simulating curves: this one and N-1 workers (default: one per core);
                     the files do not depend on it
  --compare DIR      an earlier run's folder (or its points.csv; it may be --out's): which hosts'
                     curves moved since, their means, the points that moved most (printed, and
                     written to comparison.md)
`;

/** The points of a simulated curve as a markdown table; a curve of several lines names each point's, and one with repeated points lists each point's repeats. */
function pointsTable(s: SimulatedCurve): string[] {
  const c = s.curve;
  const repeated = c.points.some((p) => p.repeats !== undefined);
  const series = c.seriesLabel;
  const columns = [...(series === undefined ? [] : [series]), c.xLabel, repeated ? `measured (${c.unit}, median)` : `measured (${c.unit})`, ...(repeated ? ['repeats'] : []), 'simulated', 'error'];
  const rows = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---:').join('|')}|`];
  c.points.forEach((p, i) => {
    const v = s.simulated[i];
    const cells = [
      ...(series === undefined ? [] : [`${p.series ?? '—'}`]), `${p.x}`, p.measured.toFixed(1),
      ...(repeated ? [p.repeats?.map((r) => r.toFixed(1)).join(', ') ?? '—'] : []),
      v == null ? '—' : v.toFixed(1), v == null ? '—' : tablePercent((v - p.measured) / p.measured),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  });
  return rows;
}

/** A simulated curve's points as rows of points.csv (a point that failed to run has no simulated value nor error). */
function pointsCsvRows(platform: string, folder: string, s: SimulatedCurve): string[] {
  return s.curve.points.map((p, i) => [platform, folder, pointKey(s.curve, p), num(p.measured), (p.repeats ?? []).map(num).join(';'), num(s.simulated[i]), errorPct(s.simulated[i], p.measured)].join(','));
}

/** How many of a host's points its section lists first, those the simulation misses by most. */
const LARGEST_MISSES = 12;

/** A host's points with the largest relative errors, as a markdown table (where to look first); ties in curve and point order. */
function largestMisses(curves: readonly SimulatedCurve[]): string[] {
  const misses = curves.flatMap((s) => s.curve.points.flatMap((p, i) => {
    const v = s.simulated[i];
    return v === null || v === undefined ? [] : [{ c: s.curve, p, v, error: (v - p.measured) / p.measured }];
  }));
  const worst = misses.sort((a, b) => Math.abs(b.error) - Math.abs(a.error)).slice(0, LARGEST_MISSES);
  return [`The ${worst.length} points the simulation misses by most:`, '', '| curve | series | x | unit | measured | simulated | error |', '|---|---:|---:|---|---:|---:|---:|',
    ...worst.map(({ c, p, v, error }) => `| ${c.name} | ${p.series ?? '—'} | ${p.x} | ${c.unit} | ${p.measured.toFixed(1)} | ${v.toFixed(1)} | ${tablePercent(error)} |`), ''];
}

/** A host's curves, with the points its other run on the same machine measured alike as repeats. */
function hostCurves(h: PresentHost, dir: string): Curve[] {
  const curves = pcieBenchCurves(h.path, h.platform, h.pageSize, h.params, h.repeats);
  const other = h.sameMachine === undefined ? null : hostFolder({ ...h, folder: h.sameMachine.folder }, dir);
  return other === null ? curves : mergeRuns(curves, pcieBenchCurves(other, h.platform, h.pageSize, h.params, h.repeats), h.sameMachine!.alike);
}

/** A summary table's header: the platform, one column per curve, their mean. */
function tableHeader(curves: readonly string[]): string[] {
  return ['| platform | ' + curves.join(' | ') + ' | mean |', '|---|' + curves.map(() => '---:').join('|') + '|---:|'];
}

/** A summary table row: the platform, one figure per curve, their mean. */
function summaryRow(platform: string, figures: (number | null)[]): string {
  return `| ${platform} | ${figures.map(tablePercent).join(' | ')} | ${tablePercent(meanOfPresent(figures))} |`;
}

/** `--curve`: the hosts with only the curves named (comma-separated), every one of them a curve some host has; a host left with none is left out. */
function keepCurves<H extends { curves: Curve[] }>(hosts: readonly H[], arg: string): H[] {
  const names = commaList(arg);
  const known = [...new Set(hosts.flatMap((h) => h.curves.map((c) => c.name)))];
  const unknown = names.find((n) => !known.includes(n));
  if (names.length === 0 || unknown !== undefined) throw new UserError(`--curve ${arg}: ${unknown === undefined ? 'no curve named' : `no curve ${unknown}`} (the hosts' curves: ${known.join(', ')})`);
  return hosts.map((h) => ({ ...h, curves: h.curves.filter((c) => names.includes(c.name)) })).filter((h) => h.curves.length > 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string' }, curve: { type: 'string' }, out: { type: 'string' }, jobs: { type: 'string' }, compare: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const jobs = parseJobs(values.jobs);
  // Read now: a mistake in it is told before the runs, and --out may be the folder it is in.
  const earlier = values.compare === undefined ? null : readEarlierValidation(values.compare);
  const dir = pcieBenchDir();
  const found = presentHosts(dir, values.host);
  if (found.length === 0) {
    const where = path.relative(process.cwd(), dir) || '.';
    const all = values.host === undefined ? [] : presentHosts(dir);
    // Measurements there, but none of the host asked for (the held-back host, before its folder is put beside the others).
    const none = all.length === 1 ? `the one host folder in ${where} does not contain` : `none of the ${all.length} host folders in ${where} contains`;
    if (all.length > 0) console.log(`validate:hw: ${none} "${values.host}": skipped`);
    else console.log(`validate:hw: no pcie-bench measurements found (looked in ${where}; set PCIESIM_PCIE_BENCH to their folder): skipped`);
    return;
  }
  const out = values.out ?? path.join(PACKAGE_ROOT, 'reports', 'hw-validation');
  fs.mkdirSync(out, { recursive: true });
  const sim = new CurveSimulator(await loadModelLibrary());
  const platforms = sim.doc(PLATFORM_SCENARIO).body.parameters.platform?.values ?? [];
  // A host the presets were not fitted on is predicted by the platform preset its folder's name gives, where there is one.
  const unpredicted = found.filter((h) => !platforms.includes(h.platform));
  for (const h of unpredicted) console.log(`${h.folder}: no platform preset ${h.platform} among the scenarios' platforms: skipped (a host the presets were not fitted on; write one, e.g. on the fitted host closest to it)`);
  // A folder whose measurements cannot be read (not a pcie-bench host after all) is named and skipped, as one with no preset.
  const readable = found.filter((h) => platforms.includes(h.platform)).flatMap((h) => {
    try {
      return [{ h, curves: hostCurves(h, dir) }];
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      console.log(`${e.message}: skipped`);
      return [];
    }
  });
  const hosts = values.curve === undefined ? readable : keepCurves(readable, values.curve);
  if (hosts.length === 0) return;
  const curves = hosts.flatMap((h) => h.curves);
  const simulated = await withCurveSimulations(sim, jobs, (sims) =>
    sims.simulate(curves.map((curve) => ({ curve })), { split: false, progress: new Progress(curves.length, 'validate:hw', process.stderr, 'curves') }));
  let next = 0;
  const details: string[] = [];
  const points = [VALIDATION_POINTS_HEADER];
  const curveNames: string[] = [];
  // Rows by host: a host the presets were not fitted on is named by its folder too (another machine of a fitted host's model shares its platform).
  const results = hosts.map(({ h, curves }) => {
    const errors = new Map<string, number | null>();
    const spread = new Map<string, number | null>();
    const apart = new Map(fileAgreement(curves).map((a) => [a.curve, a]));
    const label = h.predicted ? `${h.platform} (${h.folder})` : h.platform, stem = h.predicted ? h.folder : h.platform;
    details.push(`## ${label}`, '', h.predicted
      ? `pcie-bench host \`${h.folder}\`, which the presets were not fitted on: predicted by the platform preset its name gives, \`${h.platform}\`.`
      : `pcie-bench host \`${h.folder}\`.`, '');
    const sections: string[] = [];
    const ran: SimulatedCurve[] = [];
    for (const curve of curves) {
      const s = simulated[next++]!;
      ran.push(s);
      const e = meanAbsoluteError(s);
      const m = measuredSpread(curve);
      points.push(...pointsCsvRows(h.platform, h.folder, s));
      errors.set(curve.name, e);
      spread.set(curve.name, m);
      if (!curveNames.includes(curve.name)) curveNames.push(curve.name);
      const svg = `${stem}-${curve.name}.svg`;
      writeFileAtomic(path.join(out, svg), curvePlot(s, `${label}: ${curve.title}`));
      const spreadNote = m === null ? '' : ` (measured spread ${tablePercent(m)})`;
      const a = apart.get(curve.name);
      const agreementNote = a === undefined ? [] : [`The size sweep measured this transfer at ${a.sizeSweep.toFixed(1)} ${curve.unit} over its ${a.window} B window; this sweep, at ${a.windows.join(' and ')} B, ${a.windowSweep.toFixed(1)}: ${tablePercent(a.disagreement)} apart.`, ''];
      const failed = s.failures === null ? [] : [`**${s.failures.points} of ${curve.points.length} points failed to run** (left out of the error; the first: ${s.failures.first}).`, ''];
      sections.push(`### ${curve.name}: ${curve.title}: mean absolute error ${tablePercent(e)}${spreadNote}`, '', ...failed, ...agreementNote, `![${curve.name}](${svg})`, '', ...pointsTable(s), '');
      console.log(`${label.padEnd(42)} ${curve.name.padEnd(12)} ${tablePercent(e)}${m === null ? '' : `  (measured spread ${tablePercent(m)})`}${s.failures === null ? '' : `  ${s.failures.points} points failed to run: ${s.failures.first}`}`);
    }
    details.push(...largestMisses(ran), ...sections);
    return { predicted: h.predicted, label, errors, spread, apart };
  });
  const header = tableHeader(curveNames);
  const row = (label: string, figures: Map<string, number | null>) => summaryRow(label, curveNames.map((c) => figures.get(c) ?? null));
  const fitted = results.filter((r) => !r.predicted).map((r) => row(r.label, r.errors));
  const predicted = results.filter((r) => r.predicted).map((r) => row(r.label, r.errors));
  const summary = [
    ...(fitted.length === 0 ? [] : [...header, ...fitted]),
    ...(predicted.length === 0 ? [] : [
      ...(fitted.length === 0 ? [] : ['']),
      'Hosts the presets were not fitted on: each predicted by the platform preset its folder\'s name gives (an independent check of the calibration).', '',
      ...header, ...predicted,
    ]),
  ];
  const repeated = results.filter((r) => [...r.spread.values()].some((m) => m !== null));
  const spreadTable = repeated.length === 0 ? [] : [
    '', 'Measured spread of the hosts that repeated points: the repeats\' mean absolute deviation from their median, averaged over the curve\'s repeated points ' +
    '(the floor for any deterministic model; — where a curve has no repeats).', '', ...header,
    ...repeated.map((r) => row(r.label, r.spread)),
  ];
  const agreed = results.filter((r) => r.apart.size > 0);
  const agreedCurves = curveNames.filter((c) => agreed.some((r) => r.apart.has(c)));
  const agreementTable = agreed.length === 0 ? [] : [
    '', 'Where two files measured the same transfers: the size sweep\'s transfer of that size over its window (pcie-bench\'s: 8 KiB) against the window sweep\'s mean at the windows either side (4 KiB and 16 KiB), ' +
    'windows nothing in the host tells apart (|size sweep − window sweep| / window sweep; a model that matched the one file would be off by this on the other there).', '',
    ...tableHeader(agreedCurves),
    ...agreed.map((r) => summaryRow(r.label, agreedCurves.map((c) => r.apart.get(c)?.disagreement ?? null))),
  ];
  const text = ['# Simulated against measured: pcie-bench calibration hosts', '',
    'Mean absolute relative error of each curve (|simulated − measured| / measured, averaged over the curve\'s points). ' +
    'Curves: bw_rd/bw_wr/bw_rw throughput by transfer size (8 KiB window, random, warm); ' +
    'ho_<op>/do_<op> throughput by host or device offset within a cache line, a line per transfer size (sequential slots, warm; _cold: host cache cold); ' +
    'lat_rd unloaded read latency by size (median), lat_rd_bytes the same byte by byte (240-271 and 1008-1039 B), lat_ho_rd/lat_do_rd by host or device offset; lat_wrrd, lat_wrrd_bytes, lat_ho_wrrd, lat_do_wrrd the same of a write and then a read of the same bytes; ' +
    'lat_win_warm/lat_win_cold unloaded random 64-byte read latency by window, host cache warm or cold (median); lat_wrrd_warm/lat_wrrd_cold the same of a 64-byte write and then a read of the same bytes (pcie-bench\'s LAT_DMA_WRRD); ' +
    'lat_dist_cold/lat_dist_warm the 64-byte read latency distribution\'s percentiles p1 to p99.9 (8 KiB window); ' +
    'win_<op>_<size> throughput by window (warm), through the IOMMU on the -iommu hosts. ' +
    'A point measured more than once (a host without DDIO: the window sweeps\' four host cache states; two runs on one machine: the curves they measure alike) is compared at the median of its repeats. ' +
    'Produced by `npm run validate:hw`; every point is also a row of points.csv beside this file.', '',
    ...summary, ...spreadTable, ...agreementTable, '', ...details].join('\n') + '\n';
  const pointsText = points.join('\n') + '\n';
  writeFileAtomic(path.join(out, 'points.csv'), pointsText);
  writeFileAtomic(path.join(out, 'README.md'), text);
  console.log(`\n${[...summary, ...spreadTable, ...agreementTable].join('\n')}\n\nwrote ${path.relative(process.cwd(), path.join(out, 'README.md'))}`);
  // A comparison belongs to the run that made it: one left from an earlier run would describe other files.
  const comparisonFile = path.join(out, 'comparison.md');
  if (earlier === null) {
    fs.rmSync(comparisonFile, { force: true });
    return;
  }
  const comparison = compareValidations(earlier, readValidation(path.join(out, 'points.csv'), pointsText));
  writeFileAtomic(comparisonFile, ['# What moved since an earlier validation', '', ...comparison].join('\n') + '\n');
  console.log(`\n${comparison.join('\n')}\n\nwrote ${path.relative(process.cwd(), comparisonFile)}`);
}

try {
  await main();
} catch (e) {
  // A mistake in the options or the measurements: told in one line, no stack.
  if (!isInputMistake(e)) throw e;
  process.stderr.write(`validate:hw: ${(e as Error).message}${isOptionMistake(e) ? ' (see npm run validate:hw -- --help)' : ''}\n`);
  process.exitCode = EXIT_USER;
}

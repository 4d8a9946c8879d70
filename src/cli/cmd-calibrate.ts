import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from './commands.js';
import { modelLibrary } from './context.js';
import { UserError } from '../scenario/errors.js';
import { parseSetFlags, resolveParameters } from '../scenario/params.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { atPoint, CurveSimulator } from '../calibrate/simulate.js';
import { measuredCurves, PLATFORM_SCENARIO, type Curve } from '../calibrate/curves.js';
import { CALIBRATION_HOSTS } from '../calibrate/hosts.js';
import { calibrate, pooledError } from '../calibrate/fit.js';
import { withCurveSimulations } from '../calibrate/curve-pool.js';
import { commaList, parseJobs } from './sweep-flags.js';
import { calibrationPlots, fittedPreset, percent, residualsCsv } from '../calibrate/calibration-files.js';

const RESIDUALS_FILE = 'residuals.csv';

/** How often, in simulations of every point, a stream that is not a terminal gets a progress line. */
const PLAIN_PROGRESS_EVERY = 10;

/**
 * The fit's progress on `stream`: how many simulations of every point so far
 * and the least error yet, redrawn on a terminal, a line every tenth
 * simulation otherwise (the number a fit takes is not known ahead: no ETA).
 */
function fitProgress(stream: NodeJS.WriteStream): { tick(evaluations: number, best: number): void; end(): void } {
  return {
    tick(evaluations, best) {
      const line = `calibrate: ${evaluations} simulation${evaluations === 1 ? '' : 's'} of every point, least mean absolute error ${percent(best)}`;
      if (stream.isTTY) stream.write(`\r${line}\x1b[K`);
      else if (evaluations % PLAIN_PROGRESS_EVERY === 0) stream.write(`${line}\n`);
    },
    // The redrawn line is cleared, so that the summary starts on a clean line.
    end() { if (stream.isTTY) stream.write('\r\x1b[K'); },
  };
}

/** A measurements file cited without the machine's folders: its own folder's name (a pcie-bench host) and its name. */
function citation(file: string): string {
  const parent = path.basename(path.dirname(path.resolve(file)));
  return parent === '' ? path.basename(file) : `${parent}/${path.basename(file)}`;
}

export const calibrateCommand: Command = {
  name: 'calibrate',
  help: `Usage: pciesim calibrate --preset NAME --measured FILE.csv [--measured FILE.csv]... [--fit KEY,KEY] [--set NAME=VALUE]... [--name NAME] [--out DIR] [--jobs N]

Fits the estimated values of a preset (those marked "estimate" with a range;
only those, only within their ranges) so the simulation matches measured
points, and writes DIR/NAME.json (the fitted preset, inheriting from the
original), DIR/${RESIDUALS_FILE} (every point before and after) and one
measured-vs-simulated SVG per curve.
  --preset NAME      the preset to fit: one the measured points' scenario uses (a platform, nfp6000-dma, ...)
  --measured FILE    measurements (repeatable): one of pcie-bench's CSV files (bw_dma_sz_sweep.csv,
                     lat_dma_sizes.csv, bw_dma_win_sweep_*.csv; its "BW (GB/s)" column is Gb/s), or the
                     simple format: columns scenario,metric,x,measured and one per scenario parameter
  --fit KEY,KEY      fit only these estimates (default: every estimate of the preset with a numeric range)
  --set NAME=VALUE   a scenario parameter for every point (repeatable), e.g. --set platform=nfp6000-xeon-e5-2630v4;
                     pcie-bench's points run on --preset when it is a platform, else on the platform set here
  --name NAME        the fitted preset's name (default: <preset>-fitted)
  --out DIR          where to write (default: ./NAME); created only once the fit is done
  --jobs N           threads running the points: this one and N-1 workers (default: one per core); the
                     result does not depend on it
Method: coordinate descent, each estimate in turn by golden-section search over its range to 0.1% of it
(a whole number with at most 16 values: every value), minimising the mean absolute relative error over
all points; deterministic.
`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { preset: { type: 'string' }, measured: { type: 'string', multiple: true }, fit: { type: 'string' }, set: { type: 'string', multiple: true }, name: { type: 'string' }, out: { type: 'string' }, jobs: { type: 'string' } },
    });
    const presetName = values.preset;
    if (presetName === undefined) throw new UserError('expected --preset NAME: the preset whose estimates to fit (see pciesim calibrate --help)');
    const files = values.measured ?? [];
    if (files.length === 0) throw new UserError('expected --measured FILE.csv: the measurements to fit to (see pciesim calibrate --help)');
    const name = values.name ?? `${presetName}-fitted`;
    if (!/^[\w.-]+$/.test(name)) throw new UserError(`--name ${name}: expected letters, digits, '.', '-' or '_' (it names the preset and its file)`);
    const out = values.out ?? name;
    if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UserError(`--out ${out}: exists and is not a folder`);
    const only = values.fit === undefined ? undefined : commaList(values.fit);
    const jobs = parseJobs(values.jobs);
    const sets = parseSetFlags(values.set ?? []);

    const lib = await modelLibrary();
    const sim = new CurveSimulator(lib);
    const platforms = sim.doc(PLATFORM_SCENARIO).body.parameters.platform?.values ?? [];
    const platform = sets.platform ?? (platforms.includes(presetName) ? presetName : undefined);
    const host = CALIBRATION_HOSTS.find((h) => h.platform === platform);
    // Points run on the platform where their scenario has one and they do not say, pcie-bench's with the calibration
    // host's own settings (its MPS) and at the median of what it repeated (its cache states without DDIO); --set wins
    // over the file.
    const curves = files.flatMap((f) => measuredCurves(f, platform, host?.pageSize ?? null, host?.params, host?.repeats)).map((c, i, all): Curve => {
      const onPlatform = platform !== undefined && 'platform' in atPoint(c.points[0]!, () => sim.doc(c.scenario)).body.parameters;
      return {
        ...c,
        name: all.findIndex((o) => o.name === c.name) === i ? c.name : `${c.name}-${i + 1}`,
        points: c.points.map((p) => ({ ...p, params: { ...(onPlatform ? { platform } : {}), ...p.params, ...sets } })),
      };
    });

    // A --set no scenario of the points takes is the flag's fault: refused here, naming the flag, so that what a point
    // refuses later is named as its file's line and column.
    for (const scenario of [...new Set(curves.map((c) => c.scenario))].sort()) {
      const d = sim.doc(scenario);
      resolveParameters(d.file, d.body.parameters, sets, '--set');
    }
    const progress = fitProgress(process.stderr);
    const result = await withCurveSimulations(sim, jobs, (sims) => calibrate(sim, sims, lib, presetName, curves, { only, onEvaluation: progress.tick }))
      .finally(() => progress.end());
    const plots = calibrationPlots(result);
    fs.mkdirSync(out, { recursive: true });
    writeFileAtomic(path.join(out, `${name}.json`), JSON.stringify(fittedPreset(result, name, files.map(citation)), null, 2) + '\n');
    writeFileAtomic(path.join(out, RESIDUALS_FILE), residualsCsv(result));
    for (const [file, svg] of plots) writeFileAtomic(path.join(out, file), svg);

    const points = curves.reduce((n, c) => n + c.points.length, 0);
    const say = (l: string) => process.stdout.write(l + '\n');
    say(`calibrate ${presetName} (${result.instances.join(', ')}) to ${points} points in ${curves.length} curve${curves.length === 1 ? '' : 's'} from ${files.map((f) => path.basename(f)).join(', ')}`);
    const w = Math.max(...[...result.fitted, ...result.skipped].map((f) => f.key.length));
    for (const f of result.fitted) {
      const same = String(f.preset.value) === String(f.fitted) ? ' (unchanged: the start fits best)' : '';
      say(`  ${f.key.padEnd(w)}  ${String(f.preset.value)} → ${String(f.fitted)}${same}   (range ${f.preset.range.join(' … ')})`);
    }
    for (const s of result.skipped) say(`  ${s.key.padEnd(w)}  not fitted: ${s.reason}`);
    say(`  mean absolute error ${percent(result.maeBefore)} → ${percent(result.maeAfter)}` +
      (curves.length > 1 ? `   (${result.after.map((s, k) => `${s.curve.name} ${percent(pooledError([result.before[k]!]))} → ${percent(pooledError([s]))}`).join(', ')})` : ''));
    say(`  ${result.evaluations} simulations of every point, ${result.sweeps} sweep${result.sweeps === 1 ? '' : 's'}`);
    say(`wrote ${path.join(out, `${name}.json`)}, ${RESIDUALS_FILE} and ${plots.map(([f]) => f).join(', ')}`);
    return 0;
  },
};

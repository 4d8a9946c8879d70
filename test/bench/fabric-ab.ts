/**
 * Two builds on the packet path: this one (A) and another (B, the folder of
 * another pciesim package, built: a git worktree of another commit after
 * `npm ci && npm run build`), each running the bench:fabric scenario in
 * turn inside one process, so that both meet the same minutes of the
 * machine; over several processes, A first in every other one.
 *   npm run bench:ab -- OTHER_PACKAGE [--op=read|write] [--rounds=4] [--processes=6] [--direct] [TLPS=2000000]
 * e.g. git worktree add ../before HEAD~1 && (cd ../before && npm ci && npm run build)
 *      npm run bench:ab -- ../before
 *
 * Why: this machine's speed swings by 10-30% from one minute to the next
 * (HISTORY.md), more than most changes to the hot path move it. In one
 * process each build first runs twice untimed (the timed runs are the third
 * and later: the second is still compiling), then the two alternate for
 * `rounds` rounds; the process's figure is the ratio of the medians, B/A,
 * and the result the median of the processes' figures. Why several
 * processes: two copies of one build, each compiled on its own in one
 * process, ran 0.897 to 1.041 of each other, steady within a process
 * (rounds within 1% of their median) but different from one process to the
 * next (HISTORY.md, twenty-eighth stop): V8's choices for each copy's code
 * differ by that much. So one process's ratio says nothing under 6%; the
 * spread over the processes says how far the median can be trusted. A
 * difference in the runs' fingerprints or metrics is printed: a change that
 * should not change results must give the same.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseScenario, resolveScenario, type ModelLibrary } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { runScenario } from '../../src/run/single.js';
import { tuneJit } from '../../src/run/jit.js';
import { median } from '../../src/calibrate/repeats.js';
import { PACKAGE_ROOT } from '../../src/cli/context.js';
import { fabricScenario, fabricTlps, type FabricOp } from './fabric-scenario.js';
import { flagValue, wholeFlag } from './flags.js';

tuneJit();

const args = process.argv.slice(2);
const [other, tlpsArg] = args.filter((a) => !a.startsWith('--'));
if (other === undefined) {
  console.error('usage: npm run bench:ab -- OTHER_PACKAGE [--op=read|write] [--rounds=4] [--processes=6] [--direct] [TLPS]');
  process.exit(2);
}
if (!fs.existsSync(path.join(other, 'dist', 'src', 'run', 'single.js'))) {
  console.error(`bench:ab: ${other} is not a built pciesim package (no dist/src/run/single.js): build it first (npm ci && npm run build there)`);
  process.exit(2);
}
const op = (flagValue(args, 'op') ?? 'read') as FabricOp;
if (op !== 'read' && op !== 'write') throw new Error(`--op must be read or write, got ${op}`);
const rounds = wholeFlag(args, 'rounds', 4, 1);
const tlps = Number(tlpsArg ?? 2_000_000);

/** What one run gives: its rate and what must not differ between builds. */
interface Sample { wallRate: number; fingerprint: string; metrics: string }

/**
 * A build's runner of the scenario `doc`, from the package at `root`: this
 * one's modules and library (`ownLib`) when it is this package.
 */
async function build(root: string, doc: string, ownLib: ModelLibrary): Promise<() => Sample> {
  const load = (p: string) => import(pathToFileURL(path.join(root, 'dist', p)).href);
  const same = path.resolve(root) === PACKAGE_ROOT;
  const loader = same ? { parseScenario, resolveScenario } : await load('src/scenario/loader.js');
  const lib = same ? ownLib : await (await load('src/scenario/library.js')).loadModelLibrary();
  const run: typeof runScenario = same ? runScenario : (await load('src/run/single.js')).runScenario;
  return () => {
    const resolved = loader.resolveScenario(loader.parseScenario(`fabric-${op}.json`, doc), {}, lib);
    const t0 = performance.now();
    const r = run(resolved, { seed: 1, replication: 0 });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 'ok') throw new Error(`fabric ${op} (${root}): the run failed: ${r.error}`);
    const n = fabricTlps(r.metrics as Record<string, unknown>);
    return { wallRate: n / wall / 1e6, fingerprint: r.fingerprint, metrics: JSON.stringify(r.metrics) };
  };
}

const child = flagValue(args, 'child');
if (child === undefined) compare();
else await runChild(child === 'ba');

/**
 * One process's share: both builds, loaded and run in the order given
 * (`swapped`: B first), two untimed runs each (the timed ones are the third
 * and later: HISTORY.md, the second is still compiling), then `rounds`
 * rounds; one line of JSON out.
 */
async function runChild(swapped: boolean): Promise<void> {
  const [first, second] = swapped ? [path.resolve(other!), PACKAGE_ROOT] : [PACKAGE_ROOT, path.resolve(other!)];
  // The scenario from this build's library: plain data, the same for both.
  const ownLib = await loadModelLibrary();
  const doc = JSON.stringify(fabricScenario(ownLib, op, { tlps, size: 65536, direct: args.includes('--direct') }));
  const x = await build(first, doc, ownLib), y = await build(second, doc, ownLib);
  x(); y();
  const sx = x(), sy = y();
  const differ = sx.fingerprint !== sy.fingerprint || sx.metrics !== sy.metrics;
  const xs: number[] = [], ys: number[] = [];
  for (let k = 0; k < rounds; k++) {
    xs.push(x().wallRate);
    ys.push(y().wallRate);
  }
  const [a, b] = swapped ? [ys, xs] : [xs, ys];
  console.log(JSON.stringify({ a, b, differ, fingerprints: swapped ? [sy.fingerprint, sx.fingerprint] : [sx.fingerprint, sy.fingerprint] }));
}

/** `processes` processes, A first in every other one; per process the ratio of the medians, then their median. */
function compare(): void {
  const processes = wholeFlag(args, 'processes', 6, 1);
  const rest = args.filter((a) => !a.startsWith('--processes='));
  console.log(`fabric ${op}${args.includes('--direct') ? ' (no switch)' : ''}: A this build, B ${other}; ${processes} processes of ${rounds} rounds, M TLPs/s by wall time`);
  // The same package shares one compiled copy of its code: no floor to see. A copy of it (cp -r) is a fair A/A.
  if (path.resolve(other!) === PACKAGE_ROOT) console.log('  (B is this package: both run the same compiled code; compare with a copy of it for the floor)');
  const ratios: number[] = [];
  for (let k = 0; k < processes; k++) {
    const order = k % 2 === 0 ? 'ab' : 'ba';
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...rest, `--child=${order}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`process ${k + 1}: the benchmark failed (exit ${r.status}):\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { a: number[]; b: number[]; differ: boolean; fingerprints: string[] };
    if (out.differ) console.log(`  the builds' results differ: fingerprints ${out.fingerprints.join(' and ')}, or their metrics`);
    const ratio = median(out.b) / median(out.a);
    ratios.push(ratio);
    console.log(`  process ${k + 1} (${order === 'ab' ? 'A' : 'B'} first): A ${list(out.a)}, B ${list(out.b)}; B/A ${ratio.toFixed(3)}`);
  }
  console.log(`B/A median ${median(ratios).toFixed(3)} over ${processes} processes (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`);
}

function list(xs: number[]): string {
  return xs.map((x) => x.toFixed(2)).join(' ');
}

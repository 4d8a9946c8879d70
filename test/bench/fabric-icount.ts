/**
 * Instructions per TLP on the packet path, counted, not timed: bench:fabric's
 * run under Valgrind (cachegrind, no cache simulation), at two sizes, and
 * the difference of the instruction counts over the difference of the TLPs:
 * the steady state's cost of one more TLP, without the process's start, the
 * library's loading and most of the compiling, which the two runs share.
 *   npm run bench:icount -- [OTHER_PACKAGE ...] [--op=read|write] [--direct] [--tlps=SMALL,LARGE]
 * Prints one line per build and op: `icount <op> <build> <n> instructions/TLP`,
 * and with another build (a folder of another pciesim package, built, as
 * for bench:ab) its ratio to this one.
 *
 * Why: this machine's speed swings by 10-30% from one minute to the next,
 * and two copies of one build differ by up to 6% from one process to the
 * next (bench:ab, HISTORY.md), so a change under a few percent cannot be
 * timed. The count is the same from one run to the next (within about
 * 0.3%, 20 instructions a TLP: V8's compiler runs on the main thread,
 * --single-threaded), so a change of 1% shows. It is a proxy: fewer instructions is not always less time (a cache
 * miss costs more than an add), so a change it favours is timed with
 * bench:ab before it is called faster. (Removing the switch's and the links'
 * ahead logs, an experiment: reads 6,513 -> 5,940 instructions/TLP, -8.8%;
 * bench:ab, six processes: 1.10x.)
 *
 * Needs `valgrind` on the PATH; without it, says so and exits 0. Each run
 * takes about 30 s (1 M TLPs), 60 to 80 times the native time; the builds
 * run two at a time.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/cli/context.js';
import { flagValue } from './flags.js';

const args = process.argv.slice(2);
const named = args.filter((a) => !a.startsWith('--'));
const others = named.map((p) => path.resolve(p));
const op = flagValue(args, 'op');
if (op !== undefined && op !== 'read' && op !== 'write') throw new Error(`--op must be read or write, got ${op}`);
const ops = op === undefined ? ['write', 'read'] : [op];
const direct = args.includes('--direct');
const sizes = (flagValue(args, 'tlps') ?? '200000,1000000').split(',').map(Number);
if (sizes.length !== 2 || !sizes.every((n) => Number.isInteger(n) && n > 0) || sizes[0]! >= sizes[1]!) {
  throw new Error('--tlps must be two whole numbers, the smaller first, e.g. --tlps=200000,1000000');
}

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('bench:icount needs valgrind (Debian: apt-get install valgrind); it is not on this machine: nothing counted');
  process.exit(0);
}

interface Count { instructions: number; tlps: number }

/** One run of bench:fabric from `pkg` under cachegrind: its instructions and the TLPs it moved. */
function count(pkg: string, what: string, tlps: number): Promise<Count> {
  const script = path.join(pkg, 'dist', 'test', 'bench', 'fabric.js');
  const argv = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
    process.execPath, '--single-threaded', script, String(tlps), `--only=${what}`, '--cold', ...(direct ? ['--direct'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(err), moved = /tlps=(\d+)/.exec(out);
      if (code !== 0 || refs === null || moved === null) {
        reject(new Error(`${pkg}: the run of ${tlps} TLPs (${what}) under valgrind failed (exit ${code}):\n${err.slice(-2000)}`));
        return;
      }
      resolve({ instructions: Number(refs[1]!.replaceAll(',', '')), tlps: Number(moved[1]) });
    });
  });
}

/** Instructions per TLP of `pkg` on `what`: the marginal cost between the two sizes. */
async function perTlp(pkg: string, what: string): Promise<number> {
  const [small, large] = await Promise.all(sizes.map((n) => count(pkg, what, n)));
  return (large!.instructions - small!.instructions) / (large!.tlps - small!.tlps);
}

/** Runs `jobs` at most `width` at a time, in order of the list. */
async function limited<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      results[k] = await jobs[k]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

const builds = [PACKAGE_ROOT, ...others];
// Each perTlp runs its two sizes at once: pairs of builds would run four processes on two cores, so one build at a time.
const width = Math.max(1, Math.floor(os.availableParallelism() / 2));
for (const what of ops) {
  const figures = await limited(builds.map((pkg) => () => perTlp(pkg, what)), width);
  const base = figures[0]!;
  builds.forEach((_, k) => {
    const name = k === 0 ? 'this build' : named[k - 1]!;
    const ratio = k === 0 ? '' : ` (${(figures[k]! / base).toFixed(3)} of this build's)`;
    console.log(`icount ${what.padEnd(5)} ${name}: ${figures[k]!.toFixed(0)} instructions/TLP${direct ? ' (no switch)' : ''}${ratio}`);
  });
}

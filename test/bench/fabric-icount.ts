/**
 * Instructions per TLP on the packet path, counted, not timed: bench:fabric's
 * run under Valgrind (cachegrind, no cache simulation), at two sizes, and
 * the difference of the instruction counts over the difference of the TLPs:
 * the steady state's cost of one more TLP, without the process's start, the
 * library's loading and most of the compiling, which the two runs share.
 *   npm run bench:icount -- [OTHER_PACKAGE ...] [--op=read|write] [--direct] [--tlps=SMALL,LARGE] [--by-function[=N]]
 * Prints one line per build and op: `icount <op> <build> <n> instructions/TLP`,
 * and with another build (a folder of another pciesim package, built, as
 * for bench:ab) its ratio to this one.
 *
 * `--by-function` (this build only): where those instructions go, the N
 * functions (default 25) that cost a TLP the most, each with what it
 * inlines, from callgrind profiles of the same two runs with V8's perf map
 * naming the compiled JavaScript (callgrind-functions.ts); about twice as
 * slow as counting.
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
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { PACKAGE_ROOT } from '../../src/cli/context.js';
import { instructionsByFunction } from './callgrind-functions.js';
import { runChild, type ChildRun } from './child.js';
import { flagValue, wholeFlag } from './flags.js';

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

// `--by-function` alone lists 25; `--by-function=N`, N (0: none, counting as without it).
const topFunctions = args.includes('--by-function') ? 25 : wholeFlag(args, 'by-function', 0, 0);
if (topFunctions > 0 && others.length > 0) throw new Error('--by-function profiles this build only: leave out OTHER_PACKAGE');

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('bench:icount needs valgrind (Debian: apt-get install valgrind); it is not on this machine: nothing counted');
  process.exit(0);
}

interface Count { instructions: number; tlps: number }

/** A run under Valgrind: the child's output, and the TLPs bench:fabric says it moved (null if it did not say). */
interface ValgrindRun extends ChildRun { tlps: number | null }

/**
 * bench:fabric's run of `tlps` TLPs of `what` from `pkg` under Valgrind with
 * `tool` (its options first), V8 compiling on the main thread, and
 * `nodeFlags` more; resolves once it has exited.
 */
async function underValgrind(pkg: string, what: string, tlps: number, tool: string[], nodeFlags: string[] = []): Promise<ValgrindRun> {
  const script = path.join(pkg, 'dist', 'test', 'bench', 'fabric.js');
  const run = await runChild('valgrind', [...tool, process.execPath, '--single-threaded', ...nodeFlags, script, String(tlps), `--only=${what}`, '--cold', ...(direct ? ['--direct'] : [])]);
  const moved = /tlps=(\d+)/.exec(run.stdout);
  return { ...run, tlps: moved === null ? null : Number(moved[1]) };
}

/** One run of bench:fabric from `pkg` under cachegrind: its instructions and the TLPs it moved. */
async function count(pkg: string, what: string, tlps: number): Promise<Count> {
  const run = await underValgrind(pkg, what, tlps, ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null']);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (run.code !== 0 || refs === null || run.tlps === null) {
    throw new Error(`${pkg}: the run of ${tlps} TLPs (${what}) under valgrind failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  }
  return { instructions: Number(refs[1]!.replaceAll(',', '')), tlps: run.tlps };
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

/**
 * One run of bench:fabric under callgrind, V8 writing its perf map: the
 * self instructions of each function (JIT code named from the map) and the
 * TLPs it moved. The profile and the map are removed once read.
 */
async function profile(what: string, tlps: number, dir: string): Promise<{ byFunction: Map<string, number>; tlps: number }> {
  const out = path.join(dir, `callgrind.${what}.${tlps}`);
  const run = await underValgrind(PACKAGE_ROOT, what, tlps, ['--tool=callgrind', '--dump-instr=yes', `--callgrind-out-file=${out}`], ['--perf-basic-prof']);
  // Valgrind runs the program in its own process: V8 names the map after that pid.
  const map = path.join(os.tmpdir(), `perf-${run.pid}.map`);
  try {
    if (run.code !== 0 || run.tlps === null || !fs.existsSync(map)) {
      throw new Error(`the profiled run of ${tlps} TLPs (${what}) failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
    }
    return { byFunction: instructionsByFunction(out, map), tlps: run.tlps };
  } finally {
    fs.rmSync(out, { force: true });
    fs.rmSync(map, { force: true });
  }
}

/** The `topFunctions` functions that cost a TLP of `what` the most: the difference of the two runs' profiles. */
async function byFunction(what: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-icount-'));
  try {
    const [small, large] = await Promise.all(sizes.map((n) => profile(what, n, dir)));
    const tlps = large!.tlps - small!.tlps;
    const perTlp = new Map<string, number>();
    for (const [name, n] of large!.byFunction) perTlp.set(name, (n - (small!.byFunction.get(name) ?? 0)) / tlps);
    for (const [name, n] of small!.byFunction) if (!large!.byFunction.has(name)) perTlp.set(name, -n / tlps);
    let total = 0;
    for (const n of perTlp.values()) total += n;
    console.log(`icount ${what} by function${direct ? ' (no switch)' : ''}: ${total.toFixed(0)} instructions/TLP; the ${topFunctions} that cost the most, each with what it inlines:`);
    const top = [...perTlp].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, topFunctions);
    for (const [name, n] of top) console.log(`  ${n.toFixed(1).padStart(8)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (topFunctions > 0) {
  for (const what of ops) await byFunction(what);
  process.exit(0);
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

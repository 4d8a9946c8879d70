/**
 * Sweep scaling: the same sweep of short runs with 1 job and with N jobs
 * (default 2: the sweep's own thread and N-1 workers), printing wall time, runs/s, where the time went and
 * the speed-up.
 *   npm run bench:sweep -- [RUNS=200] [JOBS=2] [REQUESTS=3000] [PAIRS=1]
 * Each run is the demo scenario with REQUESTS requests; RUNS are made from a
 * load grid and replications. PAIRS > 1 alternates the two sweeps that many
 * times and prints the median speed-up, for a machine whose speed drifts.
 *
 * Beside each pair it times what the host gives the same runs with no
 * pool at all: N separate processes, each a one-job sweep of RUNS/N runs
 * (its own start-up, module loading and compiling, as a worker has),
 * started together. The 1-job sweep's time over theirs is the speed-up of
 * N independent jobs: the reference for the pool's. Where the two are far
 * below N the cores slow each other on these runs (shared caches and memory,
 * a busy neighbour on a virtual machine), whatever the pool does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { readScenario } from '../../src/scenario/loader.js';
import { runSweep, type SweepOutcome } from '../../src/run/sweep.js';
import type { ThreadTimes } from '../../src/run/pool-worker.js';
import { tuneJit } from '../../src/run/jit.js';
import { median } from '../../src/calibrate/repeats.js';
import { runChild } from './child.js';

// As the command line runs (src/run/jit.ts).
tuneJit();

// `--solo RUNS REQUESTS`: one of the separate processes (above): a one-job sweep, its wall time printed.
const solo = process.argv[2] === '--solo';
const numbers = process.argv.slice(solo ? 3 : 2).map(Number);
const [RUNS = 200, JOBS = 2, REQUESTS = 3000, PAIRS = 1] = solo ? [numbers[0], 1, numbers[1], 1] : numbers;
const LOADS = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const lib = await loadModelLibrary();
const doc = readScenario(path.join(root, 'scenarios', 'demo-read-tags.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-bench-sweep-'));

/** A sweep of `runs` runs on `jobs` threads into `out`. */
function sweep(jobs: number, runs: number, out: string): Promise<SweepOutcome> {
  return runSweep({
    doc, lib, jobs, resume: false, out, progress: null,
    plan: { overrides: { requests: String(REQUESTS) }, grid: { load: LOADS }, replications: Math.ceil(runs / LOADS.length) },
  });
}

if (solo) {
  const t0 = performance.now();
  await sweep(1, RUNS, path.join(tmp, 'solo'));
  console.log(`solo wall=${((performance.now() - t0) / 1000).toFixed(3)}`);
  fs.rmSync(tmp, { recursive: true });
  process.exit(0);
}

async function timed(jobs: number, pair: number): Promise<number> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const o = await sweep(jobs, RUNS, path.join(tmp, `jobs${jobs}-${pair}`));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU seconds over wall seconds. Above 1 with one job: V8's background
  // compiler and collector threads use the other core, mostly in each
  // thread's first runs.
  const cores = (cpu.user + cpu.system) / 1e6 / wall;
  console.log(`jobs=${jobs} runs=${o.runs} wall=${wall.toFixed(2)}s rate=${(o.runs / wall).toFixed(1)} runs/s cpu=${cores.toFixed(2)} cores busy`);
  console.log(breakdown(o.times));
  return wall;
}

/**
 * Where the wall time went: planning, each thread's start-up (a worker loads
 * the model library before its first run), its runs, its idle time at the
 * end (the last runs do not end together), the sweep thread's handling of
 * results, and the results file.
 */
function breakdown(t: SweepOutcome['times']): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
  const { pool } = t;
  const lines = [`  plan ${s(t.planned - t.started)}, runs ${s(pool.ended - pool.started)}, results file ${s(t.written - pool.ended)}; sweep thread handling results ${s(pool.delivering)}`];
  // Seconds a run: a worker's runs are slower when every core is busy (shared caches, and on some virtual machines one core is slower).
  const each = (w: ThreadTimes) => (w.tasks ? ` (${(w.busy / w.tasks / 1000).toFixed(3)}s each)` : '');
  if (pool.local) lines.push(`  sweep thread: ${pool.local.tasks} runs in ${s(pool.local.busy)}${each(pool.local)}`);
  pool.workers.forEach((w, i) => lines.push(`  worker ${i + 1}: start-up ${s(w.ready - w.started)}, ${w.tasks} runs in ${s(w.busy)}${each(w)}, idle at the end ${s(pool.ended - w.ended)}`));
  return lines.join('\n');
}

/** Wall seconds of JOBS separate processes, each a one-job sweep of RUNS/JOBS runs, started together (the reference, above). */
async function separate(): Promise<number> {
  const script = new URL(import.meta.url).pathname;
  const share = Math.ceil(RUNS / JOBS);
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: JOBS }, () => runChild(process.execPath, [...process.execArgv, script, '--solo', String(share), String(REQUESTS)])));
  for (const run of runs) {
    if (run.code !== 0 || !run.stdout.includes('solo wall=')) throw new Error(`a separate sweep process failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  }
  const wall = (performance.now() - t0) / 1000;
  console.log(`separate: ${JOBS} processes of ${share} runs each, started together: wall=${wall.toFixed(2)}s`);
  return wall;
}

const speedups: number[] = [];
const references: number[] = [];
let same = true;
const results = (jobs: number, pair: number) => fs.readFileSync(path.join(tmp, `jobs${jobs}-${pair}`, 'results.arrow'));
for (let pair = 0; pair < PAIRS; pair++) {
  const one = await timed(1, pair);
  const many = await timed(JOBS, pair);
  same &&= results(1, pair).equals(results(JOBS, pair)) && results(1, pair).equals(results(1, 0));
  const apart = await separate();
  speedups.push(one / many);
  references.push(one / apart);
  console.log(`speedup=${(one / many).toFixed(2)}x with ${JOBS} workers (${os.availableParallelism()} cores); ${JOBS} separate processes ${(one / apart).toFixed(2)}x`);
}
/** The figures in increasing order, two decimals each. */
const ascending = (xs: readonly number[]) => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(' ');
if (PAIRS > 1) {
  console.log(`median speedup=${median(speedups).toFixed(2)}x over ${PAIRS} pairs (${ascending(speedups)})`);
  console.log(`median for ${JOBS} separate processes=${median(references).toFixed(2)}x (${ascending(references)}): what the host gives ${JOBS} independent jobs of these runs`);
  console.log(`the pool's speed-up over the separate processes', median of the pairs: ${median(speedups.map((x, k) => x / references[k]!)).toFixed(2)}`);
}
console.log(`results identical: ${same}`);
fs.rmSync(tmp, { recursive: true });

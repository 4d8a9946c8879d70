/**
 * Sweep scaling: the same sweep of short runs with 1 worker and with N
 * workers (default 2), printing wall time, runs/s and the speed-up.
 *   npm run bench:sweep -- [RUNS=200] [JOBS=2] [REQUESTS=3000]
 * Each run is the demo scenario with REQUESTS requests; RUNS are made from a
 * load grid and replications.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { readScenario } from '../../src/scenario/loader.js';
import { runSweep } from '../../src/run/sweep.js';

const [RUNS = 200, JOBS = 2, REQUESTS = 3000] = process.argv.slice(2).map(Number);
const LOADS = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const lib = await loadModelLibrary();
const doc = readScenario(path.join(root, 'scenarios', 'demo-read-tags.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-bench-sweep-'));

async function timed(jobs: number): Promise<number> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const o = await runSweep({
    doc, lib, jobs, resume: false, out: path.join(tmp, `jobs${jobs}`), progress: null,
    plan: { overrides: { requests: String(REQUESTS) }, grid: { load: LOADS }, replications: Math.ceil(RUNS / LOADS.length) },
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU seconds over wall seconds. Above 1 with one worker: the sweep's own
  // thread runs runs beside the worker while it loads (about 0.1 over a 10 s
  // sweep), and V8's background compiler and collector threads use the other
  // core, mostly in each thread's first runs.
  const cores = (cpu.user + cpu.system) / 1e6 / wall;
  console.log(`jobs=${jobs} runs=${o.runs} wall=${wall.toFixed(2)}s rate=${(o.runs / wall).toFixed(1)} runs/s cpu=${cores.toFixed(2)} cores busy`);
  return wall;
}

const one = await timed(1);
const many = await timed(JOBS);
const same = fs.readFileSync(path.join(tmp, 'jobs1', 'results.arrow')).equals(fs.readFileSync(path.join(tmp, `jobs${JOBS}`, 'results.arrow')));
console.log(`speedup=${(one / many).toFixed(2)}x with ${JOBS} workers (${os.availableParallelism()} cores); results identical: ${same}`);
fs.rmSync(tmp, { recursive: true });

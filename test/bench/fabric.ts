/**
 * Packet-path speed: a saturated endpoint —link— switch —link— root complex
 * → memory path, built as a user builds it: a scenario object
 * (fabric-scenario.ts) parsed, resolved against the model library and run by runScenario, with a
 * fixed number of TLPs.
 *   npm run bench:fabric -- [TLPS=2000000] [SIZE=65536] [--direct] [--only=write|read] [--trace] [--cold] [--warmups=K] [--rounds=R]
 * Two runs: DMA writes (MWr upstream only) and DMA reads (MRd upstream,
 * CplD downstream). Each keeps the engine saturated: transfers of SIZE
 * bytes, one per tag in flight (the preset's 32), enough of them to make
 * at least TLPS TLPs. `--direct` leaves the switch out (endpoint —link—
 * root complex), the path this benchmark measured before.
 *
 * TLPs are counted once each, as distinct TLPs created, not once per link
 * they cross: the TLPs the endpoint's link carried in both directions (every
 * MWr and MRd crosses it up, every CplD down). Per run it prints
 *   tlps=<n> wall=<s> rate=<TLPs per second> events=<n> events/TLP=<n> events/s=<n>
 * The wall time is runScenario's: building the components and collecting
 * the metrics are inside it (2-4 ms together, measured on a run with no
 * transfers, against about 2 s of run at the default size), and so is the
 * JIT's warm-up on the first run; resolving the scenario is not. Like every
 * runScenario run it computes the run's fingerprint (a hash step per
 * event). No trace is recorded: this measures the hot path, not the trace
 * writer. `cpu` is the process's CPU time over the same interval (GC and
 * compiler threads included), a second figure for a shared machine.
 *
 * Each op runs three times in the process, the same run: `cold` is the
 * first (the writes' cold run is the process's first; the reads' follows
 * the writes, which warm the code they share), `warm` the third, timed once
 * V8 has compiled the hot path, as bench:kernel's --warmup times PHOLD; the
 * second is not timed. Why both: V8 compiles on the one spare core while
 * the cold run goes on (a read run compiles for about 1.5 s of CPU, more
 * than the run lasts), so the cold figure is the rate of a short run and
 * the warm one that of a long run or of a sweep's later runs. Why the
 * third: V8 is still compiling during the second (eight runs of one op in
 * one process: reads 1.32, 1.64, then 1.83-1.88 M TLPs/s; writes 2.14,
 * 2.57, then 3.14-3.17; HISTORY.md), so the second is not yet the rate of a
 * long run. `--warmups=K` times the warm run after K untimed ones instead
 * (0: the second run, as this benchmark timed it up to the twenty-seventh
 * stop). `--cold` runs each op once (`--trace` always does).
 *
 * `--rounds=R` runs the whole of it (every op, cold and warm) in R
 * processes one after another and prints, per op and run, the median rate
 * and the range over the rounds, after each round's own lines: on a machine
 * whose speed swings from minute to minute (a shared VM's does by 10-30%,
 * HISTORY.md), one process is one sample, and a median of interleaved
 * processes is the figure to compare.
 *
 * `--trace` records every trace kind of every component into a temporary
 * trace.arrow (deleted afterwards) and adds the rows, the file's size and the
 * process's peak resident set: memory must stay flat however long the run
 * (20 M TLPs of writes are about 100 M events).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { openRunTracer, runScenario, TRACE_FILE } from '../../src/run/single.js';
import { fabricScenario, fabricTlps, type FabricOp } from './fabric-scenario.js';
import { tuneJit } from '../../src/run/jit.js';
import { median } from '../../src/calibrate/repeats.js';
import { flagValue, wholeFlag } from './flags.js';

// As the command line runs (src/run/jit.ts).
tuneJit();

const args = process.argv.slice(2);
// 0: not given (one process); given, at least 1.
const rounds = wholeFlag(args, 'rounds', 0, 1);
if (rounds > 0) {
  runRounds(rounds, args.filter((a) => !a.startsWith('--rounds=')));
  process.exit(0);
}
const direct = args.includes('--direct');
const traced = args.includes('--trace');
const coldOnly = traced || args.includes('--cold');
const only = flagValue(args, 'only');
/** Untimed runs of an op between its cold run and its warm one. */
const warmups = wholeFlag(args, 'warmups', 1, 0);
const [TLPS = 2_000_000, SIZE = 65536] = args.filter((a) => !a.startsWith('--')).map(Number);
const lib = await loadModelLibrary();
const scenario = (op: FabricOp) => fabricScenario(lib, op, { tlps: TLPS, size: SIZE, direct });

/** One run of `op`, printed as `when` (an untimed warm-up prints nothing). */
async function bench(op: FabricOp, when: 'cold' | 'warm' | 'untimed'): Promise<void> {
  const resolved = resolveScenario(parseScenario(`fabric-${op}.json`, JSON.stringify(scenario(op))), {}, lib);
  const req = { seed: 1, replication: 0 };
  const dir = traced ? fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-bench-fabric-')) : '';
  if (traced) resolved.trace = { enabled: true, include: ['*'], exclude: [] };
  const tracer = await openRunTracer(resolved, req, path.join(dir, TRACE_FILE));
  const t0 = performance.now(), c0 = process.cpuUsage();
  const r = runScenario(resolved, { ...req, tracer });
  const wall = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  if (r.status !== 'ok') throw new Error(`fabric ${op}: the run failed: ${r.error}`);
  const m = r.metrics as Record<string, number>;
  const tlps = fabricTlps(m);
  let traceFigures = '';
  if (traced) {
    const MB = 1024 * 1024;
    traceFigures = ` trace=${(fs.statSync(path.join(dir, TRACE_FILE)).size / MB).toFixed(1)}MB peakRSS=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}MB`;
    fs.rmSync(dir, { recursive: true });
  }
  if (when === 'untimed') return;
  console.log(`fabric ${op.padEnd(5)} ${when} tlps=${tlps} wall=${wall.toFixed(3)} rate=${Math.round(tlps / wall)} TLPs/s ` +
    `events=${r.events} events/TLP=${(r.events / tlps).toFixed(2)} events/s=${Math.round(r.events / wall)} simulated=${m['dma.throughput_gbytes_per_s']!.toFixed(3)} GB/s cpu=${cpu.toFixed(3)}` +
    `${direct ? ' (no switch)' : ''}${traceFigures}`);
}

for (const op of ['write', 'read'] as const) {
  if (only !== undefined && only !== op) continue;
  await bench(op, 'cold');
  if (coldOnly) continue;
  for (let k = 0; k < warmups; k++) await bench(op, 'untimed');
  await bench(op, 'warm');
}

/**
 * `--rounds`: this benchmark with `rest` in `rounds` processes, one after
 * another; each round's lines go to stderr, the medians and ranges of the
 * rates (per op and run, M TLPs/s) to stdout.
 */
function runRounds(rounds: number, rest: string[]): void {
  const rates = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...rest], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`round ${round}: the benchmark process failed (exit ${child.status}):\n${child.stderr}`);
    for (const line of child.stdout.split('\n')) {
      const m = /^fabric (\w+)\s+(\w+) .* rate=(\d+) /.exec(line);
      if (m === null) continue;
      process.stderr.write(`round ${round}/${rounds}: ${line}\n`);
      const key = `${m[1]} ${m[2]}`;
      rates.set(key, [...(rates.get(key) ?? []), Number(m[3]) / 1e6]);
    }
  }
  for (const [key, xs] of rates) {
    console.log(`fabric ${key.padEnd(10)} median ${median(xs).toFixed(2)} M TLPs/s over ${xs.length} rounds (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
  }
}

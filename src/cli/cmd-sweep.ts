import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from './commands.js';
import { modelLibrary, scenarioPath } from './context.js';
import { parseIntFlag } from './cmd-run.js';
import { parseJobs, parseListFlags } from './sweep-flags.js';
import { readScenario } from '../scenario/loader.js';
import { parseSetFlags } from '../scenario/params.js';
import { UserError } from '../scenario/errors.js';
import { parseShard } from '../run/plan.js';
import { runSweep, SWEEP_FILES } from '../run/sweep.js';
import { reportSweep } from './report-sweep.js';
import { count } from '../util/count.js';

export const sweepCommand: Command = {
  name: 'sweep',
  help: `Usage: pciesim sweep <scenario> [--set NAME=VALUE]... [--grid NAME=V1,V2,...]... [--zip NAME=V1,V2,...]...
                     [--replications R] [--seed N] [--jobs N] [--shard K/N] [--resume] [--trace] [--no-report] [--out DIR]

Runs every point of the scenario's "sweep" (or of --grid/--zip, which replace it), R times each.
  --set NAME=VALUE     fix a parameter for every run (repeatable)
  --grid NAME=V1,...   sweep NAME over these values (full cross product with other --grid flags)
  --zip NAME=V1,...    advance these lists together (equal lengths), crossed with the grid
  --replications R     runs per point, each with its own seed (default: the scenario's, else 1)
  --seed N             base seed (default: the scenario's); each run's seed derives from it,
                       the run's parameter values and its replication
  --jobs N             threads running runs: the sweep's own and N-1 workers (default: one per core)
  --shard K/N          run only the K-th of N slices; join the folders with "pciesim merge"
  --resume             finish an interrupted sweep in --out without redoing finished runs
  --trace              record each run's trace to DIR/runs/<run>/trace.arrow
  --no-report          skip the report (a shard never writes one)
  --out DIR            output folder (default: sweeps/<scenario name>)

Writes DIR/sweep.json, DIR/runs/<run>/summary.json, DIR/results.arrow and DIR/report/index.html.
Results never depend on --jobs, --shard or the order runs finish in.
`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: {
        set: { type: 'string', multiple: true }, grid: { type: 'string', multiple: true }, zip: { type: 'string', multiple: true },
        replications: { type: 'string' }, seed: { type: 'string' }, jobs: { type: 'string' }, shard: { type: 'string' },
        resume: { type: 'boolean' }, trace: { type: 'boolean' }, 'no-report': { type: 'boolean' }, out: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UserError('expected exactly one scenario file (see pciesim sweep --help)');
    const lib = await modelLibrary();
    const doc = readScenario(scenarioPath(positionals[0]!));
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const out = values.out ?? path.join('sweeps', doc.body.name);
    const t0 = performance.now();
    const outcome = await runSweep({
      doc, lib, out, shard, resume: values.resume ?? false, jobs: parseJobs(values.jobs), trace: values.trace ?? false,
      plan: {
        overrides: parseSetFlags(values.set ?? []),
        grid: parseListFlags('grid', values.grid), zip: parseListFlags('zip', values.zip),
        ...(values.seed !== undefined ? { seed: parseIntFlag('seed', values.seed, 0) } : {}),
        ...(values.replications !== undefined ? { replications: parseIntFlag('replications', values.replications, 1, 1) } : {}),
      },
    });
    const wall = (performance.now() - t0) / 1000;
    process.stdout.write(`${outcome.manifest.scenario.name}: ${count(outcome.runs, 'run')}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}` +
      `${outcome.skipped ? `, ${outcome.skipped} already done` : ''}, ${outcome.failed} failed, ${wall.toFixed(1)} s\n` +
      `  wrote ${path.join(out, SWEEP_FILES.results)}\n`);
    if (!shard && !values['no-report']) {
      const index = await reportSweep([out], path.join(out, SWEEP_FILES.report));
      process.stdout.write(`  wrote ${index}\n`);
    }
    return outcome.failed ? 1 : 0;
  },
};

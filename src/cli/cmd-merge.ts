import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Command } from './commands.js';
import { UserError } from '../scenario/errors.js';
import { mergeSweeps } from '../run/merge.js';
import { SWEEP_FILES } from '../run/sweep.js';
import { reportSweep } from './report-sweep.js';
import { count } from '../util/count.js';

export const mergeCommand: Command = {
  name: 'merge',
  help: `Usage: pciesim merge <DIR>... --out DIR [--no-report]

Joins sweep folders written with --shard K/N (all shards of one sweep) into --out:
results.arrow, sweep.json and runs/ are the same bytes a one-machine sweep writes.
Fails, naming the missing runs, when the folders do not hold every run.
`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, 'no-report': { type: 'boolean' } } });
    if (!values.out) throw new UserError('--out DIR is required');
    const { manifest, runs } = mergeSweeps(positionals, values.out);
    process.stdout.write(`${manifest.scenario.name}: merged ${count(runs, 'run')} from ${count(positionals.length, 'folder')}\n  wrote ${path.join(values.out, SWEEP_FILES.results)}\n`);
    if (!values['no-report']) process.stdout.write(`  wrote ${await reportSweep([values.out], path.join(values.out, SWEEP_FILES.report))}\n`);
    return 0;
  },
};

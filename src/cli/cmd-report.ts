import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Command } from './commands.js';
import { UserError } from '../scenario/errors.js';
import { SWEEP_FILES } from '../run/sweep.js';
import { reportSweep } from './report-sweep.js';

export const reportCommand: Command = {
  name: 'report',
  help: `Usage: pciesim report <DIR>... [--out DIR] [--title TEXT]

Writes a report folder that opens offline: index.html (findings first, then a section per
study), each plot as Vega-Lite spec, SVG and PNG, and each study's results as CSV.
One sweep folder: written to DIR/report unless --out is given.
Several folders (--out required): sweeps of one scenario are first set side by side, a series
per folder in every plot and a table of differences against the first folder; then one
section per sweep.
`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, title: { type: 'string' } } });
    if (positionals.length === 0) throw new UserError('name at least one sweep folder');
    if (positionals.length > 1 && !values.out) throw new UserError('with several folders, --out DIR is required');
    const out = values.out ?? path.join(positionals[0]!, SWEEP_FILES.report);
    process.stdout.write(`wrote ${await reportSweep(positionals, out, values.title)}\n`);
    return 0;
  },
};

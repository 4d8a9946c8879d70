import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from './commands.js';
import { UserError } from '../scenario/errors.js';
import { TRACE_FILE } from '../run/single.js';
import { exportChrome } from '../trace/chrome.js';

export const traceCommand: Command = {
  name: 'trace',
  help: `Usage: pciesim trace <DIR | trace.arrow> --chrome OUT.json

DIR is a run folder holding ${TRACE_FILE} (pciesim run --trace --out DIR, or a sweep's runs/<run>/).
Writes Chrome trace-event JSON with one track per component; open it in https://ui.perfetto.dev
or chrome://tracing.
`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { chrome: { type: 'string' } } });
    if (positionals.length !== 1) throw new UserError('name one run folder or trace.arrow file');
    if (!values.chrome) throw new UserError('--chrome OUT.json is required (the only export so far)');
    const arg = positionals[0]!;
    const file = fs.existsSync(arg) && fs.statSync(arg).isDirectory() ? path.join(arg, TRACE_FILE) : arg;
    if (!fs.existsSync(file)) throw new UserError(`${file}: no such trace (run with --trace --out DIR to record one)`);
    if (fs.existsSync(values.chrome) && fs.statSync(values.chrome).isDirectory()) throw new UserError(`--chrome ${values.chrome}: is a folder; name a file`);
    const { events } = await exportChrome(file, values.chrome);
    process.stdout.write(`wrote ${values.chrome} (${events} events)\n`);
    return 0;
  },
};

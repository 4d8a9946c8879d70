#!/usr/bin/env node
import { runCli } from './cli/main.js';
import { tuneJit } from './run/jit.js';

tuneJit();

// Output piped into a reader that stops early (`pciesim list | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
process.exitCode = await runCli(process.argv.slice(2));

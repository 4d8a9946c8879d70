import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from './commands.js';
import { modelLibrary, scenarioPath } from './context.js';
import { parseJobs } from './sweep-flags.js';
import { readScenario } from '../scenario/loader.js';
import { runSweeps, SWEEP_FILES } from '../run/sweep.js';
import { reportSweep } from './report-sweep.js';
import { count } from '../util/count.js';

export const quickstartCommand: Command = {
  name: 'quickstart',
  help: `Usage: pciesim quickstart [--jobs N] [--out DIR]

Sweeps every quick-start scenario of the model library and writes one report with a
section per study: DIR/index.html (default reports/quickstart). Each study's data
(results.arrow, per-run summaries) goes to DIR-data/<scenario>/, replaced on every run.
`,
  async run(args) {
    const { values } = parseArgs({ args, options: { jobs: { type: 'string' }, out: { type: 'string' } } });
    const out = values.out ?? path.join('reports', 'quickstart');
    const jobs = parseJobs(values.jobs);
    const lib = await modelLibrary();
    const t0 = performance.now();
    const sweeps = lib.quickstart.map((name) => {
      const doc = readScenario(scenarioPath(name));
      const dir = path.join(`${out}-data`, doc.body.name);
      // Generated data, rebuilt each time: a stale folder from an older scenario must not be resumed.
      if (fs.existsSync(path.join(dir, SWEEP_FILES.manifest))) fs.rmSync(dir, { recursive: true });
      return { doc, lib, out: dir, resume: false, jobs, plan: { overrides: {} } };
    });
    // One pool for every study's runs: no thread waits at the end of one study while another has runs left.
    await runSweeps(sweeps, jobs, 'quick start', (s, o) => {
      process.stdout.write(`${s.doc.body.name}: ${count(o.runs, 'run')}, ${o.failed} failed → ${path.join(s.out, SWEEP_FILES.results)}\n`);
    });
    const dirs = sweeps.map((s) => s.out);
    const index = await reportSweep(dirs, out, 'pciesim quick start');
    process.stdout.write(`Report: ${index}  (${((performance.now() - t0) / 1000).toFixed(1)} s; open it in a browser)\n`);
    return 0;
  },
};

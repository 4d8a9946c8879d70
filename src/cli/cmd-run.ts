import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from './commands.js';
import { modelLibrary, scenarioPath } from './context.js';
import { printRunSummary } from './output.js';
import { readScenario, resolveScenario } from '../scenario/loader.js';
import { parseSetFlags } from '../scenario/params.js';
import { UserError } from '../scenario/errors.js';
import { openRunTracer, runScenario, TRACE_FILE } from '../run/single.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { canonicalJson } from '../util/canonical-json.js';
import { checkTraceNames, declaredTraceKinds } from '../scenario/trace-names.js';
import { reportMetricNames, scenarioColumns } from '../scenario/metric-names.js';

export function parseIntFlag(name: string, v: string | undefined, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} ${v}: expected a whole number ≥ ${min}`);
  return n;
}

export const runCommand: Command = {
  name: 'run',
  help: `Usage: pciesim run <scenario> [--set NAME=VALUE]... [--seed N] [--replication K] [--out DIR] [--trace] [--trace-include P]... [--json]

Runs one scenario once. <scenario> is a JSON file, or the name of one in scenarios/.
  --set NAME=VALUE   override a parameter the scenario declares (repeatable)
  --seed N           use seed N instead of the scenario's seed
  --replication K    replication index (a different, reproducible random draw), default 0
  --out DIR          write DIR/summary.json (the folder is created only when the scenario is valid)
  --trace            record trace.arrow into --out (the scenario's "trace" section selects what)
  --trace-include P  also record the kinds pattern P selects ("instance/kind", * matches any run of
                     characters, e.g. 'link0.*/tlp' or '*'; repeatable; implies --trace), in place of
                     the scenario's include patterns: hot kinds (a row per TLP) are recorded only
                     when a pattern selects them, the others unless the scenario excludes them
  --json             print summary.json to stdout instead of the human summary
`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: { set: { type: 'string', multiple: true }, seed: { type: 'string' }, replication: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, trace: { type: 'boolean' }, 'trace-include': { type: 'string', multiple: true } },
    });
    if (positionals.length !== 1) throw new UserError('expected exactly one scenario file (see pciesim run --help)');
    const lib = await modelLibrary();
    const doc = readScenario(scenarioPath(positionals[0]!));
    const sc = resolveScenario(doc, parseSetFlags(values.set ?? []), lib);
    checkTraceNames(doc.file, sc);
    const include = values['trace-include'];
    if (include !== undefined) {
      sc.trace = { ...sc.trace, enabled: true, include };
      checkTraceNames(doc.file, sc, '--trace-include');
    }
    // The scenario's own metrics are checked against this run's columns before it runs, not after.
    const columns = scenarioColumns(doc, [sc]);
    if (values.out !== undefined && fs.existsSync(values.out) && !fs.statSync(values.out).isDirectory()) {
      throw new UserError(`--out ${values.out}: exists and is not a folder`);
    }
    const seed = parseIntFlag('seed', values.seed, doc.body.seed);
    const replication = parseIntFlag('replication', values.replication, 0);
    if (values.trace) sc.trace.enabled = true;
    if (sc.trace.enabled && !values.out) throw new UserError('tracing is on: give --out DIR for trace.arrow');
    const tracing = sc.trace.enabled && values.out !== undefined;
    if (tracing) fs.mkdirSync(values.out!, { recursive: true });
    const req = { seed, replication };
    const tracer = tracing ? await openRunTracer(sc, req, path.join(values.out!, TRACE_FILE)) : undefined;
    const t0 = performance.now();
    const summary = runScenario(sc, { ...req, tracer });
    const wall = (performance.now() - t0) / 1000;
    const text = canonicalJson(summary, 2) + '\n';
    if (values.out) {
      fs.mkdirSync(values.out, { recursive: true });
      writeFileAtomic(path.join(values.out, 'summary.json'), text);
    }
    if (values.json) process.stdout.write(text);
    else {
      const guide = { columns, key: [...reportMetricNames(doc), ...Object.keys(doc.body.metrics)] };
      printRunSummary(summary, wall, (l) => process.stdout.write(l + '\n'), guide);
      if (values.out) process.stdout.write(`  wrote ${path.join(values.out, 'summary.json')}${tracing ? ` and ${TRACE_FILE}` : ''}\n`);
    }
    if (tracing && tracer!.rows() === 0) {
      const kinds = declaredTraceKinds(sc).map((k) => `${k.component}/${k.kind}${k.hot ? ' (hot: recorded only when an include pattern selects it)' : ''}`);
      const hint = kinds.length > 0 && include === undefined ? "; select some with --trace-include (e.g. --trace-include '*')" : '';
      process.stderr.write(`pciesim run: the trace recorded 0 rows; the kinds this scenario can record: ${kinds.join(', ') || 'none'}${hint}\n`);
    }
    if (summary.status === 'failed') {
      process.stderr.write(`pciesim run: the run failed (${summary.stop_reason}): ${summary.error}\n`);
      return 1;
    }
    return 0;
  },
};

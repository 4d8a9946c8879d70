import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as assert from 'uvu/assert';

/** Repository root, from dist/test/. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export function tempDir(prefix = 'pciesim-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The names of the files that folders `a` and `b` do not hold alike: in one only, or with other bytes; sorted, empty when the folders hold the same files. */
export function filesThatDiffer(a: string, b: string): string[] {
  const inA = fs.readdirSync(a), inB = new Set(fs.readdirSync(b));
  const differ = inA.filter((f) => !inB.has(f) || !fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
  return [...differ, ...[...inB].filter((f) => !inA.includes(f))].sort();
}

/** Asserts that folders `a` and `b` hold the same files, byte for byte (a run's outputs, made twice); returns their names, sorted. */
export function assertSameFiles(a: string, b: string): string[] {
  assert.equal(filesThatDiffer(a, b), [], `${a} and ${b} differ`);
  return fs.readdirSync(a).sort();
}

/** signal: what ended the process when it did not exit by itself (null otherwise). */
export interface CliResult { code: number; stdout: string; stderr: string; signal: NodeJS.Signals | null }

/** Runs the real command-line program, as a user would. */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** cli(), without blocking: for tests that run several commands side by side. */
export function cliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal }));
  });
}

/**
 * The command line's own function, runCli, called in this process: the exit
 * code and output a user would see, without the half second a new process
 * spends loading modules. The command runs from `cwd`, as cli() would start
 * it; calls take turns, as the working folder and output streams are the
 * process's. `env` is set in this process's environment for the call and
 * put back after it (a sweep's workers inherit it). Keep at least one true
 * cli() test per command: only a real process shows what cli.ts adds.
 */
export function cliInProcess(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const turn = inProcessTurn.then(() => runInProcess(args, opts.cwd ?? ROOT, opts.env ?? {}));
  inProcessTurn = turn.catch(() => undefined);
  return turn;
}
let inProcessTurn: Promise<unknown> = Promise.resolve();

async function runInProcess(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  const { runCli } = await import(pathToFileURL(path.join(ROOT, 'dist', 'src', 'cli', 'main.js')).href) as { runCli(argv: string[]): Promise<number> };
  const writes = [process.stdout.write, process.stderr.write] as const, was = process.cwd();
  const envWas = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '', stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  process.chdir(cwd);
  try {
    return { code: await runCli(args), stdout, stderr, signal: null };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
    process.chdir(was);
    for (const [k, v] of Object.entries(envWas)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

/**
 * `pciesim run SCENARIO --set K=V ... --json` through the real command line;
 * the run's summary. A non-zero exit is an error carrying stderr.
 */
export function runJson(scenario: string, sets: Record<string, string | number | boolean> = {}, opts: { env?: Record<string, string> } = {}): any {
  const r = cli(runArgs(scenario, sets), opts);
  if (r.code !== 0) throw new Error(`pciesim run ${scenario} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const runArgs = (scenario: string, sets: Record<string, string | number | boolean>) =>
  ['run', scenario, ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]), '--json'];

/** runJson() through cliInProcess: the same summary, without a Node start. */
export async function runJsonInProcess(scenario: string, sets: Record<string, string | number | boolean> = {}): Promise<any> {
  const r = await cliInProcess(runArgs(scenario, sets));
  if (r.code !== 0) throw new Error(`pciesim run ${scenario} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** What Promise resolution and inspection ask of any object ("then", symbols): not metric names, so a summary's proxy can be returned from an async function. */
const notAMetric = (k: string | symbol) => typeof k === 'symbol' || k === 'then';

/** A summary's metrics, by "<instance>.<stat>"; asking for a name no instance reports is an error, not undefined. */
export function metricsOf(summary: { metrics: Record<string, any> }): Record<string, any> {
  return new Proxy(summary.metrics, {
    get: (t, k: string) => {
      if (notAMetric(k)) return undefined;
      if (!(k in t)) throw new Error(`no metric "${k}"; the run reports ${Object.keys(t).join(', ')}`);
      return t[k];
    },
  });
}

/**
 * One instance's statistics from a summary, by bare stat name ("<instance>.<stat>" → "<stat>"), plus any
 * other instances' asked for as "<instance>.<stat>"; asking for a name the run does not report is an error.
 */
export function instanceMetrics(summary: { metrics: Record<string, any> }, instance: string): Record<string, any> {
  const own: Record<string, any> = {};
  for (const [k, v] of Object.entries(summary.metrics)) if (k.startsWith(`${instance}.`)) own[k.slice(instance.length + 1)] = v;
  return new Proxy(own, {
    get: (t, k: string) => {
      if (notAMetric(k)) return undefined;
      if (k in t) return t[k];
      if (k in summary.metrics) return summary.metrics[k];
      throw new Error(`no metric "${k}" of ${instance}; it reports ${Object.keys(t).join(', ')}`);
    },
  });
}

/**
 * A summary's metrics by full name ("<instance>.<stat>"), or by a bare stat
 * name when exactly one instance reports it; a missing or ambiguous name is
 * an error, so a test never reads undefined.
 */
export function statsOf(summary: { metrics: Record<string, any> }): Record<string, any> {
  return new Proxy(summary.metrics, {
    get: (t, k: string) => {
      if (notAMetric(k)) return undefined;
      if (k in t) return t[k];
      const hits = Object.keys(t).filter((name) => name.endsWith(`.${k}`));
      if (hits.length === 1) return t[hits[0]!];
      throw new Error(hits.length ? `"${k}" is reported by several instances: ${hits.join(', ')}` : `no metric "${k}"; the run reports ${Object.keys(t).join(', ')}`);
    },
  });
}

/** A scenario file written to a temp folder from an object. */
export function writeScenario(dir: string, name: string, body: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return file;
}

/** `pciesim run <doc> ...args --json` in this process, the document written as `file` to a temporary folder removed afterwards. */
export async function runDocInProcess(file: string, doc: unknown, args: string[] = []): Promise<CliResult> {
  const dir = tempDir();
  try {
    return await cliInProcess(['run', writeScenario(dir, file, doc), ...args, '--json']);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

/** The shipped studies (scenarios/*.json, the schema aside), in name order, each with its document. */
export function shippedScenarios(): { file: string; name: string; doc: Record<string, any> }[] {
  return fs.readdirSync(path.join(ROOT, 'scenarios')).filter((n) => n.endsWith('.json') && n !== 'scenario.schema.json').sort()
    .map((file) => ({ file, name: file.slice(0, -'.json'.length), doc: JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8')) }));
}

/** Parameters that size a study, and small values for them: each run then takes milliseconds. */
const SMALL_SIZES: Record<string, number> = { frames: 4, packets: 50, pages: 64, rounds: 2, transfers: 40, requests: 200 };

/** The parameters that run `doc` small: the sizes of SMALL_SIZES it declares, by name. */
export function smallSizes(doc: Record<string, any>): Record<string, number> {
  return Object.fromEntries(Object.entries(SMALL_SIZES).filter(([k]) => k in (doc.parameters ?? {})));
}

/** `--set` arguments that run `doc` small (smallSizes). */
export function smallSets(doc: Record<string, any>): string[] {
  return Object.entries(smallSizes(doc)).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
}

export function demoScenario(): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'demo-read-tags.json'), 'utf8'));
}

/** A model library folder for tests, added to the real one through PCIESIM_MODEL_PATH: components that misbehave on purpose. */
export const FIXTURE_MODELS = path.join(ROOT, 'dist', 'test', 'fixtures', 'models');
export const FIXTURE_ENV = { PCIESIM_MODEL_PATH: FIXTURE_MODELS };

/**
 * The conservation checks of `inst` with the count `key` of `obj` (the
 * instance or a part of it, reached through a cast) moved by `by`, then
 * put back: how a test plants a slip in a model's bookkeeping.
 */
export function invariantsWithCountOff(inst: { invariants?(): string[] }, obj: Record<string, any>, key: string, by = 1): string[] {
  obj[key] += by;
  try {
    return inst.invariants!();
  } finally {
    obj[key] -= by;
  }
}

/**
 * Checks that commands refuse bad input as every command must: exit 2, a
 * message naming the culprit (file or flag), no stack trace, and nothing
 * written. The first case of each command in a batch, and every case that
 * sets the environment, runs the real command line, two at a time (one per
 * core), each its own process; the rest call the command line's function in
 * this process (cliInProcess): the same exit code and message without
 * starting Node again.
 */
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { cliAsync, cliInProcess, type CliResult } from './helpers.js';

export interface RefusedCase {
  args: string[];
  /** Text the message must hold: the file or flag at fault. */
  names: string | RegExp;
  /** Paths that must not exist afterwards. */
  absent?: string[];
  /** Folders whose contents must not change. */
  unchanged?: string[];
  /** Environment variables to add. */
  env?: Record<string, string>;
}

/** Names of every file under `dir`, recursively, sorted. */
export function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

async function checkRefused(c: RefusedCase, cwd: string, run: typeof cliAsync | typeof cliInProcess): Promise<void> {
  const before = (c.unchanged ?? []).map(listing);
  const r: CliResult = await run(c.args, { cwd, env: c.env });
  const what = `pciesim ${c.args.join(' ')}${run === cliInProcess ? ' (in process)' : ''}`;
  assert.is(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, c.names, `${what}: the message names the culprit`);
  assert.not.match(r.stderr, /\n\s+at /, `${what}: no stack trace\n${r.stderr}`);
  assert.not.match(r.stderr, 'internal error', what);
  for (const p of c.absent ?? []) assert.not.ok(fs.existsSync(p), `${what}: left ${p}`);
  (c.unchanged ?? []).forEach((d, i) => assert.equal(listing(d), before[i], `${what}: changed ${d}`));
}

/** Checks every case, run from `cwd`: each command's first and those with an environment through the real command line, the rest in this process. */
export async function checkAllRefused(cases: RefusedCase[], cwd: string): Promise<void> {
  const commands = new Set<string>();
  const real = cases.filter((c) => c.env !== undefined || (!commands.has(c.args[0]!) && commands.add(c.args[0]!)));
  const left = [...real];
  const next = async (): Promise<void> => {
    for (let c = left.shift(); c !== undefined; c = left.shift()) await checkRefused(c, cwd, cliAsync);
  };
  await Promise.all([next(), next(), ...cases.filter((c) => !real.includes(c)).map((c) => checkRefused(c, cwd, cliInProcess))]);
}

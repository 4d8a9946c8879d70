/**
 * Checks that commands refuse bad input as every command must: exit 2, a
 * message naming the culprit (file or flag), no stack trace, and nothing
 * written. Refused commands write nothing, so the cases run two at a time
 * (one per core), each its own process.
 */
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { cliAsync } from './helpers.js';

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

async function checkRefused(c: RefusedCase, cwd: string): Promise<void> {
  const before = (c.unchanged ?? []).map(listing);
  const r = await cliAsync(c.args, { cwd, env: c.env });
  const what = `pciesim ${c.args.join(' ')}`;
  assert.is(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, c.names, `${what}: the message names the culprit`);
  assert.not.match(r.stderr, /\n\s+at /, `${what}: no stack trace\n${r.stderr}`);
  assert.not.match(r.stderr, 'internal error', what);
  for (const p of c.absent ?? []) assert.not.ok(fs.existsSync(p), `${what}: left ${p}`);
  (c.unchanged ?? []).forEach((d, i) => assert.equal(listing(d), before[i], `${what}: changed ${d}`));
}

/** Checks every case, run from `cwd`, two at a time. */
export async function checkAllRefused(cases: RefusedCase[], cwd: string): Promise<void> {
  const left = [...cases];
  const next = async (): Promise<void> => {
    for (let c = left.shift(); c !== undefined; c = left.shift()) await checkRefused(c, cwd);
  };
  await Promise.all([next(), next()]);
}

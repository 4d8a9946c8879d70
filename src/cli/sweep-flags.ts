import os from 'node:os';
import { UserError } from '../scenario/errors.js';
import type { Scalar } from '../scenario/schema.js';
import { parseIntFlag } from './cmd-run.js';

/** `--grid NAME=V1,V2,...` (and --zip): the values stay strings until the parameter's type is known. */
export function parseListFlags(flag: string, items: readonly string[] | undefined): Record<string, Scalar[]> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, Scalar[]> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UserError(`--${flag} ${item}: expected NAME=V1,V2,...`);
    out[item.slice(0, eq)] = item.slice(eq + 1).split(',');
  }
  return out;
}

/** A flag's comma-separated names (`--fit KEY,KEY`, validate:hw's `--curve`), trimmed, empty ones dropped. */
export function commaList(v: string): string[] {
  return v.split(',').map((n) => n.trim()).filter((n) => n !== '');
}

/** Threads running runs (the sweep's own and N-1 workers): --jobs N, default one per core the process may use. */
export function parseJobs(v: string | undefined): number {
  return parseIntFlag('jobs', v, os.availableParallelism(), 1);
}

/**
 * Reading the JSON files a user hands pciesim (scenarios, presets, sweep
 * manifests): a file that cannot be read, is not JSON, or nests deeper than
 * any real file does is a user error naming the file and where, never a
 * stack trace (deep nesting would otherwise overflow the recursive checks
 * that follow parsing).
 */
import fs from 'node:fs';
import { UserError } from './errors.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';

/** Deeper than any scenario, preset or manifest needs; deeper files are refused. */
export const MAX_JSON_DEPTH = 64;

export function readTextFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? String(e);
    throw new UserError(`${file}: cannot read the ${what} file (${why})`);
  }
}

export function parseJsonText(file: string, text: string, what: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${what} file): ${jsonErrorWhere(text, e as Error)}`);
  }
  const depth = jsonDepth(json);
  if (depth > MAX_JSON_DEPTH) throw new UserError(`${file}: nested ${depth} levels deep; a ${what} file nests at most ${MAX_JSON_DEPTH}`);
  return json;
}

export function parseJsonFile(file: string, what: string): unknown {
  return parseJsonText(file, readTextFile(file, what), what);
}

/** Nesting depth of a parsed JSON value, without recursion (so any depth can be measured). */
export function jsonDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function jsonErrorWhere(text: string, e: Error): string {
  const what = e.message.replace(/,\s*(\.\.\.)?".*$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  let offset = -1;
  try {
    offset = jsonErrorOffset(text);
  } catch {
    // The position finder recurses; a text nested too deep for it gets no position.
  }
  return offset >= 0 ? `${what} at ${lineColumn(text, offset)}` : what;
}

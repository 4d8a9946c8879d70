/**
 * A mistake in a user's input (scenario file, preset, command-line flag).
 * The CLI prints its message alone (no stack trace) and exits with code 2.
 * The message always names the file, the field path and what was expected.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export type FieldPath = readonly (string | number)[];

/** `components[2].params.mps` from ['components', 2, 'params', 'mps']. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || '(top level)';
}

export function fieldError(file: string, path: FieldPath, problem: string): UserError {
  return new UserError(`${file}: ${formatPath(path)}: ${problem}`);
}

/** Short, safe rendering of a user's value for an error message. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

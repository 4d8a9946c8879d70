import type { z } from 'zod';
import { describeValue, fieldError, type FieldPath, UserError } from './errors.js';

/** Turns zod issues into one UserError naming the file, each field path, what was expected and what was found. */
export function zodToUserError(file: string, basePath: FieldPath, error: z.ZodError, input: unknown): UserError {
  const lines = error.issues.slice(0, 8).map((issue) => {
    const path = [...basePath, ...(issue.path as (string | number)[])];
    const found = valueAt(input, issue.path as (string | number)[]);
    return fieldError(file, path, explain(issue, found)).message;
  });
  if (error.issues.length > 8) lines.push(`... and ${error.issues.length - 8} more problems`);
  return new UserError(lines.join('\n'));
}

/** zod's "int", as a user reads it. */
const WHOLE_NUMBER = 'a whole number';

function explain(issue: z.core.$ZodIssue, found: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
    {
      const expected = issue.expected === 'int' ? WHOLE_NUMBER : issue.expected;
      return found === undefined ? `missing; expected ${expected}` : `expected ${expected}, got ${describeValue(found)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(found)}`;
    case 'invalid_union':
      return `expected ${issue.message.replace(/^Invalid input:?\s*/, '') || 'a different kind of value'}, got ${describeValue(found)}`;
    case 'too_small':
    case 'too_big': {
      // zod says "Too small: expected number to be >=1"; a user reads a bound better in words of the value's kind.
      if (issue.origin !== 'number' && issue.origin !== 'int') break;
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const op = small ? (issue.inclusive ? '≥' : '>') : (issue.inclusive ? '≤' : '<');
      return `expected ${issue.origin === 'int' ? WHOLE_NUMBER : 'a number'} ${op} ${bound}, got ${describeValue(found)}`;
    }
  }
  return `${issue.message}${found !== undefined && issue.code !== 'custom' ? ` (got ${describeValue(found)})` : ''}`;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

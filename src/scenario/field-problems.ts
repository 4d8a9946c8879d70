/**
 * What a model's settings say of each other, as a list the model checks once
 * and reports twice: as schema issues where a scenario's values are parsed
 * (the error then names the file and the field: `validate` and `run` exit 2),
 * and as an exception where a model is built from values that were not
 * parsed (code that builds models directly).
 */
import type { z } from 'zod';

/** One field whose value cannot work with the others, and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** A zod superRefine body that adds each problem `problemsOf` finds as an issue at its field. */
export function fieldProblemIssues<T>(problemsOf: (values: T) => readonly FieldProblem[]): (values: T, ctx: z.RefinementCtx) => void {
  return (values, ctx) => {
    for (const p of problemsOf(values)) ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
  };
}

/** Throws the first problem, if any, as a RangeError prefixed with `what` (the instance). */
export function throwFirstProblem(problems: readonly FieldProblem[], what: string): void {
  const p = problems[0];
  if (p !== undefined) throw new RangeError(`${what}: ${p.field}: ${p.message}`);
}

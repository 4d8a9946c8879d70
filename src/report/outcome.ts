/** Why runs gave no value: what they reported instead. */
import { compareCodeUnits } from './grid.js';
import type { ReportRun } from './model.js';

/** The name (or last name segment) of the categorical metric that says how a run ended: 'ok' or what refused it. */
const OUTCOME = 'outcome';

/**
 * What the runs of a point (or cell) without a value say happened: a refusal the model
 * reports as an outcome (a categorical metric named "…outcome" other than
 * "ok"), else "failed" when no run succeeded; null when they do not say.
 */
export function missingReason(runs: readonly ReportRun[]): string | null {
  const outcomes = new Set<string>();
  for (const r of runs) {
    for (const [name, value] of Object.entries(r.categories ?? {})) {
      if ((name === OUTCOME || name.endsWith(`.${OUTCOME}`)) && value !== 'ok') outcomes.add(value);
    }
  }
  if (outcomes.size > 0) return [...outcomes].sort(compareCodeUnits).join(', ');
  return runs.length > 0 && runs.every((r) => r.status === 'failed') ? 'failed' : null;
}

/**
 * A table of one metric, rows by one parameter and columns by another (a
 * "which X for which Y" summary): each cell the mean of the metric over the
 * successful runs with that pair of values (and the table's `where`), the
 * best cell of each row marked when asked. Values in the sweep's order.
 */
import { escapeHtml } from './escape.js';
import { formatNumber, MISSING } from './format.js';
import { parameterValue } from './grid.js';
import { htmlTable } from './html-table.js';
import { metricUnit, withUnit } from './metric-columns.js';
import type { ParamValue, PivotRequest, ReportStudy } from './model.js';
import { missingReason } from './outcome.js';
import { estimate, metricSamples } from './replications.js';

export interface PivotCells {
  rows: ParamValue[];
  columns: ParamValue[];
  /** Means, rows × columns; null where no successful run reported the metric. */
  means: (number | null)[][];
  /** Why a cell has no mean, where its runs say: their outcome ("grant-table-full") or "failed"; else null. */
  why: (string | null)[][];
}

export function pivotCells(study: ReportStudy, t: PivotRequest): PivotCells {
  const values = (name: string) => study.parameters.find((p) => p.name === name)?.values ?? [];
  const rows = values(t.rows), columns = values(t.columns);
  const where = Object.entries(t.where ?? {});
  const runs = study.runs.filter((r) => where.every(([k, v]) => r.parameters[k] === v));
  const cellRuns = rows.map((rv) => columns.map((cv) => runs.filter((r) => r.parameters[t.rows] === rv && r.parameters[t.columns] === cv)));
  const means = cellRuns.map((row) => row.map((cell) => estimate(metricSamples(cell, t.metric)).mean));
  const why = cellRuns.map((row, i) => row.map((cell, j) => (means[i]![j] === null ? missingReason(cell) : null)));
  return { rows, columns, means, why };
}


/** The best column of each row (null if the row has no value): `best` min or max; ties go to the first. */
export function bestColumns(means: readonly (readonly (number | null)[])[], best: 'min' | 'max'): (number | null)[] {
  return means.map((row) => {
    let k: number | null = null;
    row.forEach((v, j) => {
      if (v === null) return;
      if (k === null || (best === 'min' ? v < row[k]! : v > row[k]!)) k = j;
    });
    return k;
  });
}

export function pivotTableHtml(study: ReportStudy, t: PivotRequest): string {
  const { rows, columns, means, why } = pivotCells(study, t);
  const best = t.best ? bestColumns(means, t.best) : null;
  const title = t.title ?? `${t.metric} by ${t.rows} and ${t.columns}`;
  const slice = Object.entries(t.where ?? {}).map(([k, v]) => `${k} = ${parameterValue(study, k, v)}`).join(', ');
  const note = [
    `${withUnit(t.metric, metricUnit(study, t.metric))}, mean over each cell's successful runs${slice ? ` with ${slice}` : ''}; ${MISSING}: no successful run reported it`,
    why.some((row) => row.some((w) => w !== null)) ? '; a word in place of a value is what the runs reported instead (their outcome)' : '',
    best ? `; ★ marks the ${t.best === 'min' ? 'lowest' : 'highest'} of each row (each of them, where cells tie)` : '',
    '.',
  ].join('');
  return [
    `<h4>${escapeHtml(title)}</h4>`,
    `<p>${escapeHtml(note)}</p>`,
    htmlTable(
      [{ header: `${t.rows} \\ ${t.columns}`, kind: 'code' }, ...columns.map((c) => ({ header: parameterValue(study, t.columns, c), kind: 'number' as const }))],
      rows.map((r, i) => {
        // Every cell equal to the row's best is marked: the findings call such a row tied.
        const k = best === null ? null : best[i]!, top = k === null ? null : means[i]![k];
        return [parameterValue(study, t.rows, r), ...means[i]!.map((v, j) => (v === null ? why[i]![j] ?? MISSING : `${formatNumber(v)}${v === top ? ' ★' : ''}`))];
      }),
    ),
  ].join('\n');
}

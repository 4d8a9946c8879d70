/**
 * The report's opening section: the answers. Every table a scenario marks
 * with a `finding` (the question it answers) is shown first, with a sentence
 * generated from its cells saying which column wins where, and a link to the
 * study it comes from. Nothing here is written by hand: a different sweep
 * gives a different sentence.
 */
import { comparisonFindings } from './compare.js';
import { escapeHtml } from './escape.js';
import { formatNumber } from './format.js';
import { parameterValue } from './grid.js';
import { studyTitle } from './html-study.js';
import { metricUnit, withUnit } from './metric-columns.js';
import type { ParamValue, PivotRequest, ReportStudy } from './model.js';
import { bestColumns, pivotCells, pivotTableHtml } from './pivot-table.js';

export interface PlacedStudy {
  study: ReportStudy;
  /** The element id of the study's own section. */
  id: string;
}

/** The findings section's html, or '' when no study marks a finding. */
export function findingsSection(id: string, studies: readonly PlacedStudy[]): string {
  const items = studies.flatMap(({ study, id: studyId }) => (study.tables ?? [])
    .filter((t) => t.finding !== undefined)
    .map((t) => [
      `<h3>${escapeHtml(t.finding!)}</h3>`,
      `<p>${escapeHtml(answer(study, t))} <a href="#${escapeHtml(studyId)}">Details: ${escapeHtml(studyTitle(study))}.</a></p>`,
      pivotTableHtml(study, t),
    ].join('\n')).concat(comparisonFindings(study).map((sentence) => [
      `<h3>${escapeHtml(`What changes from ${study.comparison!.inputs[0]} to the other ${study.comparison!.inputs.length > 2 ? 'inputs' : 'input'}?`)}</h3>`,
      `<p>${escapeHtml(sentence)} <a href="#${escapeHtml(studyId)}">Details: ${escapeHtml(studyTitle(study))}.</a></p>`,
    ].join('\n'))));
  if (items.length === 0) return '';
  return [
    `<section id="${escapeHtml(id)}">`,
    '<h2>Findings</h2>',
    '<p class="lead">The questions the studies below answer, each with the table that answers it. ' +
      'The sentences are generated from the runs: which column is best in which rows.</p>',
    ...items,
    '</section>',
  ].join('\n');
}

/**
 * Which column is best in which rows, consecutive rows with the same winner
 * joined: "Lowest x (µs): flat at pages 1–16; directory at pages 32–8100."
 * A table without `best` is answered by its range of values.
 */
export function answer(study: ReportStudy, t: PivotRequest): string {
  const { rows, columns, means, why } = pivotCells(study, t);
  const metric = withUnit(t.metric, metricUnit(study, t.metric));
  if (!t.best) {
    const values = means.flat().filter((v): v is number => v !== null);
    if (values.length === 0) return `No run reported ${metric}.`;
    return `${metric} from ${formatNumber(Math.min(...values))} to ${formatNumber(Math.max(...values))} across the table.`;
  }
  const winners = bestColumns(means, t.best);
  // Each row's verdict: the best column, "tied" when another equals it, or why the row has no value.
  const verdicts = winners.map((column, i) => {
    if (column === null) {
      const reasons = [...new Set(why[i]!.filter((w): w is string => w !== null))];
      return `no value${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
    }
    const tied = means[i]!.filter((v) => v === means[i]![column]).length > 1;
    return tied ? 'tied' : parameterValue(study, t.columns, columns[column]);
  });
  const spans: { verdict: string; rows: ParamValue[] }[] = [];
  verdicts.forEach((verdict, i) => {
    const last = spans[spans.length - 1];
    if (last && last.verdict === verdict) last.rows.push(rows[i]!);
    else spans.push({ verdict, rows: [rows[i]!] });
  });
  // Numbers run as a range (pages 1–16); names are listed (platform amd-zen, one-way).
  const ranged = rows.every((r) => typeof r === 'number');
  const at = (span: ParamValue[]): string => (ranged && span.length > 1
    ? `${parameterValue(study, t.rows, span[0])}–${parameterValue(study, t.rows, span[span.length - 1])}`
    : span.map((v) => parameterValue(study, t.rows, v)).join(', '));
  const lead = `${t.best === 'min' ? 'Lowest' : 'Highest'} ${metric}`;
  if (spans.length === 1) return `${lead}: ${spans[0]!.verdict} in every row.`;
  const phrases = spans.map((span) => `${span.verdict} at ${t.rows} ${at(span.rows)}`);
  return `${lead}: ${phrases.join('; ')}.`;
}

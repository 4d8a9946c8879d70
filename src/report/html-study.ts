/**
 * One study's section of index.html: what was run, its parameters, its
 * plots, its numbers (mean ± confidence half-width per grid point) and its
 * failed runs. Every scenario string is escaped: here for prose, in
 * html-table.ts for tables, and by vega for the SVGs the plots' images show.
 */
import { differencesHtml } from './compare.js';
import { escapeHtml } from './escape.js';
import type { Figure, MissingFigure } from './figure.js';
import { formatNumber, formatEstimate, MISSING } from './format.js';
import { compareCodeUnits, displayValue, fixedParameters, parameterValue, sweptParameters } from './grid.js';
import { htmlTable, parameterColumn, type Column } from './html-table.js';
import { pivotTableHtml } from './pivot-table.js';
import { metricUnit } from './metric-columns.js';
import type { ReportStudy } from './model.js';
import type { ResultGrid } from './result-grid.js';
import { CONFIDENCE_LEVEL } from './replications.js';

/** Metric columns per results table, so a table fits a laptop screen without scrolling. */
export const METRICS_PER_TABLE = 6;
/** Result cells (grid points × metrics that vary) shown on the page; a larger grid is in the CSV beside it only. */
export const MAX_SHOWN_RESULT_CELLS = 1500;
/** Failures listed in full; a sweep where thousands fail needs the first few messages, not all of them. */
export const MAX_LISTED_FAILURES = 100;

/** A figure with its unique id (also its file stem) and the <img> element that shows its SVG. */
export interface PlacedFigure {
  id: string;
  figure: Figure;
  image: string;
}

export interface StudySectionInput {
  study: ReportStudy;
  /** The study's results per grid point, and the CSV file beside the page that holds them. */
  grid: ResultGrid;
  csvFile: string;
  /** The section's element id, unique in the page. */
  id: string;
  figures: readonly PlacedFigure[];
  missing: readonly MissingFigure[];
}

/** The section title: the study's own, else its scenario's name. */
export function studyTitle(study: ReportStudy): string {
  return study.title || study.scenario.name;
}

export function studySection({ study, id, figures, missing, grid, csvFile }: StudySectionInput): string {
  return [
    `<section id="${escapeHtml(id)}">`,
    `<h2>${escapeHtml(studyTitle(study))}</h2>`,
    descriptionHtml(study.scenario.description),
    provenance(study),
    parameterTables(study),
    differencesHtml(study),
    plots(study, figures, missing),
    (study.tables ?? []).length ? ['<h3>Tables</h3>', ...study.tables!.map((t) => pivotTableHtml(study, t))].join('\n') : '',
    sensitivityTable(study),
    resultTables(study, grid, csvFile),
    failures(study),
    '</section>',
  ].filter((part) => part !== '').join('\n');
}

/** Which estimate moves the result most (run/sensitivity.ts), largest swing first. */
function sensitivityTable(study: ReportStudy): string {
  const t = study.sensitivity;
  if (!t || t.rows.length === 0) return '';
  const at = Object.entries(t.at).map(([k, v]) => `${k} = ${parameterValue(study, k, v)}`).join(', ');
  const fmt = (v: number | null) => (v === null ? '—' : formatNumber(v));
  const unit = metricUnit(study, t.metric);
  return [
    '<h3>Sensitivity to the estimates</h3>',
    `<p>${escapeHtml(`${t.metric} at ${at || 'the defaults'} is ${fmt(t.baseline)}${unit && t.baseline !== null ? ` ${unit}` : ''}. Each preset value marked as an estimate was set to the low and the high end of ` +
      `its plausible range, one at a time, all else unchanged (same seed). Swing: |high − low| as a share of the baseline.`)}</p>`,
    htmlTable(
      [{ header: 'Estimate', kind: 'code' }, { header: 'Preset value' }, { header: 'Range' }, { header: `${t.metric} at low`, note: unit, kind: 'number' },
        { header: `${t.metric} at high`, note: unit, kind: 'number' }, { header: 'Swing', kind: 'number' }],
      t.rows.map((r) => [
        `${r.component}: ${r.key}`, typeof r.base === 'object' ? JSON.stringify(r.base) : displayValue(r.base), `${displayValue(r.low)} … ${displayValue(r.high)}`,
        fmt(r.atLow), fmt(r.atHigh), r.swing === null ? '—' : `${(r.swing * 100).toFixed(1)}%`,
      ]),
    ),
  ].join('\n');
}

function provenance(study: ReportStudy): string {
  const failed = study.runs.filter((r) => r.status === 'failed').length;
  const facts: [term: string, value: string, code?: boolean][] = [
    ['Scenario', study.scenario.name],
    ['File', study.scenario.file, true],
    ['Hash', study.scenario.hash, true],
    ['pciesim', study.pciesim],
    // Seeds are identifiers to copy, so they are never grouped into thousands.
    ['Base seed', String(study.seed), true],
    ['Replications', formatNumber(study.replications)],
    ['Runs', formatNumber(study.runs.length)],
    ['Failed runs', formatNumber(failed)],
  ];
  const items = facts
    .map(([term, value, code]) => `<dt>${escapeHtml(term)}</dt><dd>${code ? `<code>${escapeHtml(value)}</code>` : escapeHtml(value)}</dd>`)
    .join('\n');
  return `<h3>What was run</h3>\n<dl class="facts">\n${items}\n</dl>`;
}

function parameterTables(study: ReportStudy): string {
  if (study.parameters.length === 0) return '<h3>Parameters</h3>\n<p>The scenario has no parameters.</p>';
  const row = (values: string, p: ReportStudy['parameters'][number]): string[] =>
    [p.name, values, p.unit ?? '', p.description ?? ''];
  const swept = sweptParameters(study), fixed = fixedParameters(study);
  const parts = ['<h3>Parameters</h3>'];
  if (swept.length > 0) {
    parts.push('<p>Swept:</p>', htmlTable(
      [{ header: 'Parameter', kind: 'code' }, { header: 'Values' }, { header: 'Unit' }, { header: 'Description' }],
      swept.map((p) => row(p.values.map((v) => displayValue(v, p.unit)).join(', '), p)),
    ));
  }
  if (fixed.length > 0) {
    parts.push('<p>Fixed:</p>', htmlTable(
      [{ header: 'Parameter', kind: 'code' }, { header: 'Value' }, { header: 'Unit' }, { header: 'Description' }],
      fixed.map((p) => row(displayValue(p.values[0], p.unit), p)),
    ));
  }
  return parts.join('\n');
}

function plots(study: ReportStudy, figures: readonly PlacedFigure[], missing: readonly MissingFigure[]): string {
  const parts = ['<h3>Plots</h3>'];
  for (const { id, figure, image } of figures) {
    const file = escapeHtml(id);
    parts.push(
      `<figure id="${file}">`,
      image,
      `<figcaption>${escapeHtml(figure.caption)} ` +
        `<span class="files"><a href="${file}.svg">SVG</a> · <a href="${file}.png">PNG</a> · <a href="${file}.vl.json">Vega-Lite</a></span></figcaption>`,
      '</figure>',
    );
  }
  for (const m of missing) parts.push(`<p class="missing">${escapeHtml(`No plot for “${m.title}”: ${m.reason}.`)}</p>`);
  if (figures.length === 0 && missing.length === 0) parts.push(`<p>Nothing to plot: ${nothingToPlotReason(study)}.</p>`);
  return parts.join('\n');
}

function nothingToPlotReason(study: ReportStudy): string {
  if (!study.runs.some((r) => r.status === 'ok')) return 'no run succeeded';
  if (sweptParameters(study).length === 0) return 'nothing was swept, and the runs recorded no distributions, time breakdowns or time series; the numbers are below';
  return 'the runs reported no metrics';
}

function resultTables(study: ReportStudy, grid: ResultGrid, csvFile: string): string {
  const parts = ['<h3>Results</h3>'];
  if (study.runs.length === 0) return [...parts, '<p>No runs.</p>'].join('\n');
  const { swept, points, metrics } = grid;
  parts.push(
    `<p>Each cell is the mean over a grid point's successful replications ± the half-width of its ` +
      `${CONFIDENCE_LEVEL * 100}% Student-t confidence interval; a value without ± comes from a single run, ` +
      `and ${MISSING} means no successful run reported it. Every grid point and metric at full precision: ` +
      `<a href="${escapeHtml(csvFile)}">${escapeHtml(csvFile)}</a>.</p>`,
  );
  const keyColumns: Column[] = [
    ...swept.map(parameterColumn),
    { header: 'Runs ok', kind: 'number' },
  ];
  const keyCells = points.map((point) => [
    ...swept.map((p) => displayValue(point.parameters[p.name], p.unit)),
    `${point.runs.filter((r) => r.status === 'ok').length} / ${point.runs.length}`,
  ]);
  // A metric with the same value at every grid point is said once in a sentence instead of a column.
  const cells = new Map(metrics.map((m) => [m, grid.estimates.get(m)!.map((e) => formatEstimate(e.mean, e.halfWidth))]));
  const constant = points.length > 1 ? metrics.filter((m) => cells.get(m)!.every((c) => c === cells.get(m)![0])) : [];
  const varying = metrics.filter((m) => !constant.includes(m));
  if (constant.length > 0) {
    parts.push(`<p>The same at every grid point: ${constant.map((m) => {
      const unit = metricUnit(study, m);
      return `<code>${escapeHtml(m)}</code> ${escapeHtml(cells.get(m)![0]!)}${unit ? ` ${escapeHtml(unit)}` : ''}`;
    }).join('; ')}.</p>`);
  }
  const size = `${points.length} grid point${points.length === 1 ? '' : 's'} × ${varying.length} metric${varying.length === 1 ? '' : 's'} that vary` +
    `${grid.unreported > 0 ? ` (${grid.unreported} that no run reported left out)` : ''}`;
  if (points.length * Math.max(1, varying.length) > MAX_SHOWN_RESULT_CELLS) {
    parts.push(`<p>${escapeHtml(size)}: more than a page can show; the CSV file has them all.</p>`);
  } else {
    const tables: string[] = [];
    if (varying.length === 0) tables.push(htmlTable(keyColumns, keyCells));
    for (let start = 0; start < varying.length; start += METRICS_PER_TABLE) {
      const chunk = varying.slice(start, start + METRICS_PER_TABLE);
      const columns = [...keyColumns, ...chunk.map((m): Column => ({ header: m, note: metricUnit(study, m), kind: 'number' }))];
      tables.push(htmlTable(columns, points.map((_point, i) => [...keyCells[i]!, ...chunk.map((m) => cells.get(m)![i]!)])));
    }
    parts.push(`<details><summary>${escapeHtml(size)}</summary>`, ...tables, '</details>');
  }
  const declared = Object.keys(study.metrics).sort(compareCodeUnits);
  if (declared.length > 0) {
    parts.push(`<details><summary>What each metric means (${declared.length})</summary>`, htmlTable(
      [{ header: 'Metric', kind: 'code' }, { header: 'Unit' }, { header: 'Description' }],
      declared.map((m) => [m, study.metrics[m]!.unit, study.metrics[m]!.description]),
    ), '</details>');
  }
  return parts.join('\n');
}

function failures(study: ReportStudy): string {
  const failed = study.runs.filter((r) => r.status === 'failed');
  if (failed.length === 0) return '';
  const swept = sweptParameters(study);
  const listed = failed.slice(0, MAX_LISTED_FAILURES);
  const table = htmlTable(
    [
      { header: 'Run', kind: 'code' },
      ...swept.map(parameterColumn),
      { header: 'Replication', kind: 'number' },
      { header: 'Seed', kind: 'code' },
      { header: 'Error', kind: 'message' },
    ],
    listed.map((r) => [
      r.id,
      ...swept.map((p) => displayValue(r.parameters[p.name], p.unit)),
      String(r.replication),
      String(r.seed),
      r.error ?? 'no message',
    ]),
  );
  const more = failed.length > listed.length ? `\n<p>… and ${formatNumber(failed.length - listed.length)} more failed runs.</p>` : '';
  return `<h3>Failed runs</h3>\n${table}${more}`;
}

/** A scenario's description: its first line the lead, any further lines (an imported machine's, one per element) a list. */
export function descriptionHtml(description: string | null): string {
  if (!description) return '';
  const [lead, ...rest] = description.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return [
    `<p class="lead">${escapeHtml(lead!)}</p>`,
    rest.length > 0 ? `<ul class="description">\n${rest.map((l) => `<li>${escapeHtml(l)}</li>`).join('\n')}\n</ul>` : '',
  ].filter((h) => h !== '').join('\n');
}

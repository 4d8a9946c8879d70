/** An HTML table from plain text cells; every header and cell is escaped here, so callers pass raw strings. */
import { escapeHtml } from './escape.js';

export interface Column {
  header: string;
  /** A second header line in a lighter style, e.g. the unit. */
  note?: string | null;
  /** 'number' right-aligns with tabular digits; 'code' sets hashes and ids in monospace; 'message' keeps line breaks. */
  kind?: 'text' | 'number' | 'code' | 'message';
}

/** The column of a swept parameter: its name, and its unit under it unless each value says it (a size: 4 KiB). */
export function parameterColumn(p: { name: string; unit: string | null }): Column {
  return { header: p.name, note: p.unit === 'B' ? null : p.unit, kind: 'number' };
}

export function htmlTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const classOf = (c: Column): string => (c.kind && c.kind !== 'text' ? ` class="${c.kind}"` : '');
  const head = columns
    .map((c) => `<th${classOf(c)}>${escapeHtml(c.header)}${c.note ? `<br><span class="note">${escapeHtml(c.note)}</span>` : ''}</th>`)
    .join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => `<td${classOf(columns[i] ?? { header: '' })}>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

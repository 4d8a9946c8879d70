/**
 * A small CSV reader for measurement files: a header row, comma-separated
 * fields, no quoting (pcie-bench's files and the simple calibration format
 * have none). Errors name the file, the line and the column.
 */
import { UserError } from '../scenario/errors.js';

export interface CsvTable {
  file: string;
  header: string[];
  /** Data rows as column → text, with their 1-based line numbers. */
  rows: { line: number; fields: Record<string, string> }[];
}

/** The column names of a CSV text's header row (its first line), trimmed. */
export function csvHeader(text: string): string[] {
  return (text.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim());
}

export function parseCsv(file: string, text: string): CsvTable {
  const lines = text.split(/\r?\n/);
  // A JSON file (a run's summary.json, a preset) given by mistake would otherwise fail on its second line's field count.
  if (/^\s*[[{]/.test(text)) throw new UserError(`${file}: line 1: not CSV (it reads as JSON): expected a header row of comma-separated column names`);
  const header = csvHeader(text);
  if (header.length === 0 || header[0] === '') throw new UserError(`${file}: line 1: expected a header row of comma-separated column names`);
  const rows: CsvTable['rows'] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',');
    if (cells.length !== header.length) throw new UserError(`${file}: line ${i + 1}: expected ${header.length} fields (${header.join(',')}), got ${cells.length}`);
    const fields: Record<string, string> = {};
    header.forEach((h, k) => { fields[h] = cells[k]!.trim(); });
    rows.push({ line: i + 1, fields });
  }
  return { file, header, rows };
}

/** The columns a table must have, or a UserError naming the missing one. */
export function requireColumns(t: CsvTable, columns: readonly string[]): void {
  for (const c of columns) if (!t.header.includes(c)) throw new UserError(`${t.file}: line 1: no column "${c}" (columns: ${t.header.join(', ')})`);
}

/** A row's field as a finite number, or a UserError naming file, line and column. */
export function numberField(t: CsvTable, row: CsvTable['rows'][number], column: string): number {
  const text = row.fields[column];
  const v = text === undefined || text === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new UserError(`${t.file}: line ${row.line}: column "${column}": expected a number, got ${JSON.stringify(text ?? '')}`);
  return v;
}

import fs from 'node:fs';
import {
  Bool, Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Utf8,
  vectorFromArray, type DataType,
} from 'apache-arrow';
import { canonicalJson } from '../util/canonical-json.js';
import { UserError } from '../scenario/errors.js';
import { parseJsonText } from '../scenario/json-file.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { flattenMetrics, type FlatValue } from '../stats/distribution.js';
import type { PlannedRun, SweepManifest } from './plan.js';
import type { RunSummary } from './single.js';

/** Schema metadata keys of results.arrow. */
export const RESULTS_META = {
  format: 'pciesim.results.format',
  version: 'pciesim.version',
  scenario: 'pciesim.scenario',
  manifest: 'pciesim.manifest',
} as const;
export const RESULTS_FORMAT_VERSION = '1';

/** Columns every results.arrow starts with, before the parameters and the metrics. */
export const RUN_COLUMNS = ['run', 'point', 'replication', 'seed', 'status', 'error', 'simulated_ps', 'events', 'fingerprint'] as const;

interface Column {
  name: string;
  type: DataType;
  values: unknown[];
  meta?: Map<string, string>;
}

/** Field metadata keys of results.arrow: a column's unit and what it means. */
export const FIELD_META = { unit: 'pciesim.unit', description: 'pciesim.description' } as const;

function fieldMeta(unit: string | null, description: string | null): Map<string, string> {
  const m = new Map<string, string>();
  if (unit) m.set(FIELD_META.unit, unit);
  if (description) m.set(FIELD_META.description, description);
  return m;
}

/**
 * Builds results.arrow: one row per run, in run order, whatever order the runs
 * finished in, so one machine, N workers or N merged shards give the same
 * bytes. Columns: the run's identity, then every parameter (bare name), then
 * every metric in name order (always "<instance>.<stat>", so never a
 * parameter's name). Each column carries its unit (and a metric its
 * description) in its field metadata.
 */
export function resultsTable(manifest: SweepManifest, runs: readonly { run: PlannedRun; summary: RunSummary }[]): Table {
  const rows = [...runs].sort((a, b) => a.run.index - b.run.index);
  const flat = rows.map((r) => flattenMetrics(r.summary.metrics));
  const metricNames = [...new Set([...Object.keys(manifest.metrics), ...flat.flatMap((f) => Object.keys(f))])].sort();

  const int64 = (xs: number[]) => xs.map((x) => BigInt(x));
  const columns: Column[] = [
    { name: 'run', type: new Utf8(), values: rows.map((r) => r.run.id) },
    { name: 'point', type: new Int32(), values: rows.map((r) => r.run.point) },
    { name: 'replication', type: new Int32(), values: rows.map((r) => r.run.replication) },
    { name: 'seed', type: new Int64(), values: int64(rows.map((r) => r.summary.seed)) },
    { name: 'status', type: new Utf8(), values: rows.map((r) => r.summary.status) },
    { name: 'error', type: new Utf8(), values: rows.map((r) => r.summary.error) },
    { name: 'simulated_ps', type: new Int64(), values: int64(rows.map((r) => r.summary.simulated_ps)) },
    { name: 'events', type: new Int64(), values: int64(rows.map((r) => r.summary.events)) },
    { name: 'fingerprint', type: new Utf8(), values: rows.map((r) => r.summary.fingerprint) },
  ];
  for (const p of manifest.parameters) {
    const values = rows.map((r) => r.summary.parameters[p.name] ?? null);
    columns.push({ ...typedColumn(p.name, values), meta: fieldMeta(p.unit, p.description) });
  }
  for (const m of metricNames) {
    const values = flat.map((f) => f[m] ?? null);
    const info = manifest.metrics[m];
    columns.push({ ...typedColumn(m, values), meta: fieldMeta(info?.unit ?? null, info?.description ?? null) });
  }

  const metadata = new Map<string, string>([
    [RESULTS_META.format, RESULTS_FORMAT_VERSION],
    [RESULTS_META.manifest, canonicalJson(manifest)],
    [RESULTS_META.scenario, manifest.scenario.name],
    [RESULTS_META.version, manifest.pciesim],
  ]);
  const schema = new Schema(columns.map((c) => new Field(c.name, c.type, true, c.meta)), metadata);
  const children = columns.map((c) => (c.values.length ? vectorFromArray(c.values, c.type).data[0]! : makeData({ type: c.type, length: 0 })));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, data)]);
}

/** A column typed by its values: numbers Float64, booleans Bool, anything else (or a mix) as text. */
function typedColumn(name: string, values: readonly FlatValue[]): Column {
  const kinds = new Set(values.filter((v) => v !== null).map((v) => typeof v));
  if (kinds.size === 0 || (kinds.size === 1 && kinds.has('number'))) return { name, type: new Float64(), values: [...values] };
  if (kinds.size === 1 && kinds.has('boolean')) return { name, type: new Bool(), values: [...values] };
  return { name, type: new Utf8(), values: values.map((v) => (v === null ? null : String(v))) };
}

export function writeResultsFile(file: string, table: Table): void {
  writeFileAtomic(file, tableToIPC(table, 'file'));
}

/** A results file's table; a file that is not one (corrupt, truncated, another Arrow file) is a user error naming it. */
export function readResultsFile(file: string): Table {
  let table: Table;
  try {
    table = tableFromIPC(fs.readFileSync(file));
  } catch (e) {
    throw new UserError(`${file}: not a pciesim results file: cannot be read as Arrow (${(e as Error).message})`);
  }
  manifestOfResults(table, file);
  return table;
}

/** The manifest a results file carries. */
export function manifestOfResults(table: Table, file = 'results file'): SweepManifest {
  const text = table.schema?.metadata.get(RESULTS_META.manifest);
  if (text === undefined) throw new UserError(`${file}: not a pciesim results file: no manifest in its schema metadata (truncated, or another Arrow file)`);
  return parseJsonText(file, text, 'results manifest') as SweepManifest;
}

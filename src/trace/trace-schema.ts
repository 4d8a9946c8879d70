/**
 * The columns of `trace.arrow`: one row per recorded event.
 *
 * Integer-valued columns (times, the transaction id, byte counts) are Int64,
 * not Float64. Simulated time is an integer number of picoseconds, exact in a
 * JS number up to 2^53 (see src/sim/time.ts), and every such integer is also
 * exact in an Int64; storing it as Int64 tells pyarrow, DuckDB and Polars that
 * it *is* an integer, so they print `1250000` rather than `1.25e6`, compare and
 * group it exactly, and cast it to a duration without rounding. The writer
 * converts from JS numbers once per batch (not per row) and refuses values
 * that are not integers within ±2^53, so nothing is silently truncated.
 * `a` and `b` are the free-form typed extras and stay Float64.
 *
 * Names (component, kind, label) are dictionary-encoded Utf8 with Int32
 * indices: the simulator interns each name once at setup and records only the
 * integer id. Dictionary ids in the schema are fixed below; entry ids inside
 * each dictionary are assigned in first-seen (interning) order, which is
 * itself deterministic.
 */
export { NO_LABEL, NO_TXN } from './channel.js';
import { Dictionary, Field, Float64, Int32, Int64, Schema, Utf8 } from 'apache-arrow';

/**
 * Column names, in schema order. `time_ps` is when the event happened; for an
 * event with a duration, when it ended: it began `latency_ps` earlier, and a
 * latency of 0 marks an instant.
 */
export const COL = {
  time: 'time_ps',
  component: 'component',
  kind: 'kind',
  txn: 'txn',
  bytes: 'bytes',
  latency: 'latency_ps',
  a: 'a',
  b: 'b',
  label: 'label',
} as const;

/** Arrow dictionary ids (schema-level), one per dictionary-encoded column. */
export const DICT_ID = { component: 0, kind: 1, label: 2 } as const;


/** Rows per record batch: 64Ki rows is about 4 MB of columns, large enough that per-batch framing is noise. */
export const DEFAULT_BATCH_ROWS = 65536;

/** Schema metadata key naming this layout's version, so readers can detect a future change. */
export const TRACE_FORMAT_KEY = 'pciesim.trace.format';
export const TRACE_FORMAT_VERSION = '1';

/** Field metadata key giving a column's unit. */
export const UNIT_KEY = 'unit';
const PICOSECONDS = 'ps';
const BYTES = 'B';

/**
 * Custom metadata in a fixed order: keys sorted by UTF-16 code unit (not
 * `localeCompare`, whose order depends on the machine's locale), so the same
 * provenance always encodes to the same bytes.
 */
export function sortedMetadata(metadata: Readonly<Record<string, string>> = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of Object.keys(metadata).sort(compareCodeUnits)) {
    const value = metadata[key];
    if (typeof value !== 'string') throw new TypeError(`trace metadata "${key}" must be a string, got ${typeof value}`);
    out.set(key, value);
  }
  return out;
}

/** Plain code-unit string order: the same on every machine and locale. */
export function compareCodeUnits(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The trace schema, carrying the caller's provenance as schema metadata. */
export function traceSchema(metadata: Readonly<Record<string, string>> = {}): Schema {
  const meta: Record<string, string> = { ...metadata, [TRACE_FORMAT_KEY]: TRACE_FORMAT_VERSION };
  const unit = (u: string) => new Map([[UNIT_KEY, u]]);
  const names = (id: number) => new Dictionary(new Utf8(), new Int32(), id, false);
  return new Schema([
    new Field(COL.time, new Int64(), false, unit(PICOSECONDS)),
    new Field(COL.component, names(DICT_ID.component), false),
    new Field(COL.kind, names(DICT_ID.kind), false),
    new Field(COL.txn, new Int64(), false),
    new Field(COL.bytes, new Int64(), false, unit(BYTES)),
    new Field(COL.latency, new Int64(), false, unit(PICOSECONDS)),
    new Field(COL.a, new Float64(), false),
    new Field(COL.b, new Float64(), false),
    new Field(COL.label, names(DICT_ID.label), true),
  ], sortedMetadata(meta));
}

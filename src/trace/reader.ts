/**
 * Reads `trace.arrow` back one record batch at a time, through apache-arrow's
 * file reader on a file handle, so reading is as memory-flat as writing.
 *
 * Int64 columns come back as JS numbers (exact: the writer only stores
 * integers within ±2^53) and names as dictionary ids plus the name tables,
 * which is what a consumer of millions of rows wants; `readTrace` builds one
 * object per row on top, for tests and small traces.
 */
import * as fs from 'node:fs';
import { type AsyncRecordBatchFileReader, type Data, RecordBatchReader, type RecordBatch, type Vector } from 'apache-arrow';
import { COL, DICT_ID, NO_LABEL } from './trace-schema.js';
import { UserError } from '../scenario/errors.js';

export interface TraceNames {
  readonly component: readonly string[];
  readonly kind: readonly string[];
  readonly label: readonly string[];
}

/** One record batch as columns; names are ids into `TraceNames`, a null label is `NO_LABEL`. */
export interface TraceBatch {
  length: number;
  time: Float64Array;
  component: Int32Array;
  kind: Int32Array;
  txn: Float64Array;
  bytes: Float64Array;
  latency: Float64Array;
  a: Float64Array;
  b: Float64Array;
  label: Int32Array;
}

export interface TraceRow {
  time: number;
  component: string;
  kind: string;
  txn: number;
  bytes: number;
  latency: number;
  a: number;
  b: number;
  label: string | null;
}

const TWO_POW_32 = 4294967296;
const TRACE_COLUMNS: readonly string[] = Object.values(COL);

const notATrace = (path: string, why: string) => new UserError(`${path}: not a trace.arrow: ${why}`);

export class TraceReader {
  private constructor(
    private readonly path: string,
    private readonly reader: AsyncRecordBatchFileReader,
    readonly metadata: ReadonlyMap<string, string>,
    readonly names: TraceNames,
  ) {}

  /**
   * Opens a trace; a file that is not one (not Arrow, truncated, or an Arrow
   * file without the trace's columns) is a user error naming it.
   */
  static async open(path: string): Promise<TraceReader> {
    const handle = await fs.promises.open(path, 'r');
    try {
      let reader: RecordBatchReader;
      try {
        reader = await RecordBatchReader.from(handle);
        if (reader.isFile()) await reader.open();
      } catch (e) {
        throw notATrace(path, `cannot be read as Arrow (${(e as Error).message})`);
      }
      if (!reader.isFile() || !reader.schema) throw notATrace(path, 'not an Arrow IPC file, or cut short');
      const missing = TRACE_COLUMNS.filter((c) => !reader.schema.fields.some((f) => f.name === c));
      if (missing.length) throw notATrace(path, `an Arrow file without the trace columns ${missing.join(', ')}`);
      const names = (id: number): string[] => {
        const dictionary = reader.dictionaries.get(id) as Vector | undefined;
        return dictionary === undefined ? [] : (dictionary.toArray() as string[]);
      };
      return new TraceReader(path, reader as AsyncRecordBatchFileReader, reader.schema.metadata, {
        component: names(DICT_ID.component),
        kind: names(DICT_ID.kind),
        label: names(DICT_ID.label),
      });
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** The record batches in file order; the file is closed when the loop ends, however it ends. */
  async *batches(): AsyncGenerator<TraceBatch> {
    try {
      const batches = this.reader[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<RecordBatch>;
        try {
          next = await batches.next();
        } catch (e) {
          throw notATrace(this.path, `a record batch cannot be read (${(e as Error).message}); the file is corrupt`);
        }
        if (next.done) break;
        // A file without batches reads as one empty placeholder batch.
        if (next.value.numRows > 0) yield columns(next.value);
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel();
  }
}

/** Every row of a trace, as objects: convenient, and one allocation per row. */
export async function* readTrace(path: string): AsyncGenerator<TraceRow> {
  const reader = await TraceReader.open(path);
  const { component, kind, label } = reader.names;
  for await (const c of reader.batches()) {
    for (let i = 0; i < c.length; i++) {
      const l = c.label[i]!;
      yield {
        time: c.time[i]!,
        component: component[c.component[i]!]!,
        kind: kind[c.kind[i]!]!,
        txn: c.txn[i]!,
        bytes: c.bytes[i]!,
        latency: c.latency[i]!,
        a: c.a[i]!,
        b: c.b[i]!,
        label: l === NO_LABEL ? null : label[l]!,
      };
    }
  }
}

function columns(batch: RecordBatch): TraceBatch {
  const data = (name: string): Data => {
    const child = batch.getChild(name);
    if (child === null || child.data.length !== 1) throw new Error(`trace batch has no single-chunk column "${name}"`);
    return child.data[0]!;
  };
  const n = batch.numRows;
  const int64 = (name: string): Float64Array => {
    const d = data(name);
    const v = d.values as BigInt64Array;
    const words = new Int32Array(v.buffer, v.byteOffset + 8 * d.offset, 2 * n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = words[2 * i + 1]! * TWO_POW_32 + (words[2 * i]! >>> 0);
    return out;
  };
  const float64 = (name: string): Float64Array => {
    const d = data(name);
    return (d.values as Float64Array).subarray(d.offset, d.offset + n);
  };
  const ids = (name: string): Int32Array => {
    const d = data(name);
    return (d.values as Int32Array).subarray(d.offset, d.offset + n);
  };
  return {
    length: n,
    time: int64(COL.time),
    component: ids(COL.component),
    kind: ids(COL.kind),
    txn: int64(COL.txn),
    bytes: int64(COL.bytes),
    latency: int64(COL.latency),
    a: float64(COL.a),
    b: float64(COL.b),
    label: labelIds(data(COL.label), n),
  };
}

/** Label ids with nulls turned into `NO_LABEL`. */
function labelIds(d: Data, n: number): Int32Array {
  const out = Int32Array.from((d.values as Int32Array).subarray(d.offset, d.offset + n));
  const validity = d.nullBitmap;
  if (d.nullCount > 0 && validity !== undefined && validity.byteLength > 0) {
    for (let i = 0; i < n; i++) {
      const bit = d.offset + i;
      if ((validity[bit >> 3]! & (1 << (bit & 7))) === 0) out[i] = NO_LABEL;
    }
  }
  return out;
}

/**
 * Streams trace rows into an Arrow IPC file (`trace.arrow`).
 *
 * Rows accumulate in typed arrays allocated once, `batchRows` long; when they
 * are full they become one record batch on disk and the arrays are reused, so
 * memory is flat in run length: it depends on the batch size and on the number
 * of distinct names, never on the number of rows.
 *
 * Names are interned to integer ids (first-seen order) and written as three
 * Utf8 dictionaries. Dictionary strategy: every dictionary is written exactly
 * once, complete and non-delta, just before the first record batch. That file
 * is valid for every kind of reader: footer-based ones (pyarrow's
 * `ipc.open_file`, Polars, apache-arrow JS) and those that read the file
 * front to back as a stream (DuckDB's nanoarrow extension). The alternatives
 * each break one of them: deltas are rejected by some file readers, and
 * dictionaries placed after the batches, though the file format allows it,
 * break front-to-back readers. The price is that the name tables must be
 * complete before recording starts, so interning a *new* name after the first
 * row has been appended throws. The cut-off is the first row rather than the
 * first flushed batch so that the rule does not depend on batch size: a model
 * that works in a short test run cannot fail only in a long one.
 *
 * Output is atomic: bytes go to a temp file beside `path`, which `close()`
 * renames over `path` and `abort()` deletes, so `path` is either absent, the
 * previous file or a complete trace.
 */
import * as fs from 'node:fs';
import { FileSink } from './file-sink.js';
import { FieldNode, IpcFileWriter, bytesOf, utf8Buffers } from './ipc-file.js';
import { removeQuietly, tempPathFor } from './temp-file.js';
import { COL, DEFAULT_BATCH_ROWS, DICT_ID, NO_LABEL, sortedMetadata, traceSchema } from './trace-schema.js';

export interface TraceWriterOptions {
  /** Schema metadata (provenance); written with sorted keys. */
  metadata?: Readonly<Record<string, string>>;
  /** Rows per record batch. */
  batchRows?: number;
  /** File size past which writing moves to a background thread (see file-sink.ts); tests lower it. */
  backgroundAfterBytes?: number;
}

/** Typed arrays store numbers in platform byte order, and Arrow files here are declared little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_POW_32 = 4294967296;
const EMPTY = new Uint8Array(0);

type NameTable = 'component' | 'kind' | 'label';

export class TraceWriter {
  readonly path: string;
  private readonly tempPath: string;
  private fd: number;
  private readonly sink: FileSink;
  private readonly ipc: IpcFileWriter;
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private readonly capacity: number;

  private readonly names: Record<NameTable, Map<string, number>> = { component: new Map(), kind: new Map(), label: new Map() };
  private dictionariesWritten = false;

  /** Rows buffered in the current batch. */
  private count = 0;
  private flushedRows = 0;
  // Integer-valued columns are staged as JS numbers and turned into Int64
  // once per batch, where they are also checked (see trace-schema.ts).
  private readonly time: Float64Array;
  private readonly txn: Float64Array;
  private readonly bytes: Float64Array;
  private readonly latency: Float64Array;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly component: Int32Array;
  private readonly kind: Int32Array;
  private readonly label: Int32Array;
  // Per-batch output buffers, reused.
  private readonly int64Out: Int32Array[];
  private readonly labelValidity: Uint8Array;

  constructor(path: string, options: TraceWriterOptions = {}) {
    if (!LITTLE_ENDIAN) throw new Error('trace writer: big-endian platforms are not supported');
    const rows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`trace writer: batchRows must be a positive integer, got ${rows}`);
    this.capacity = rows;
    this.time = new Float64Array(rows);
    this.txn = new Float64Array(rows);
    this.bytes = new Float64Array(rows);
    this.latency = new Float64Array(rows);
    this.a = new Float64Array(rows);
    this.b = new Float64Array(rows);
    this.component = new Int32Array(rows);
    this.kind = new Int32Array(rows);
    this.label = new Int32Array(rows);
    this.int64Out = [0, 1, 2, 3].map(() => new Int32Array(2 * rows));
    this.labelValidity = new Uint8Array(Math.ceil(rows / 8));

    const metadata = sortedMetadata(options.metadata);
    this.path = path;
    this.tempPath = tempPathFor(path, JSON.stringify([...metadata]));
    this.fd = fs.openSync(this.tempPath, 'w');
    this.sink = new FileSink(this.fd, options.backgroundAfterBytes);
    try {
      this.ipc = new IpcFileWriter(this.sink, traceSchema(Object.fromEntries(metadata)));
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Id of a component name, interning it on first use. */
  componentId(name: string): number {
    return this.intern('component', name);
  }

  /** Id of an event-kind name, interning it on first use. */
  kindId(name: string): number {
    return this.intern('kind', name);
  }

  /** Id of a label name, interning it on first use. */
  labelId(name: string): number {
    return this.intern('label', name);
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.flushedRows + this.count;
  }

  /**
   * One row. Ids come from componentId/kindId/labelId (`NO_LABEL` for none).
   * `time`, `txn`, `bytes` and `latency` must be integers within ±2^53; that is
   * checked when the batch is flushed, so a bad value throws from the append
   * that fills the batch, or from close(). A batch that cannot be written
   * aborts the writer (see abort); appends after that are ignored.
   */
  append(component: number, kind: number, time: number, txn: number, bytes: number, latency: number, a: number, b: number, label: number): void {
    const i = this.count;
    this.time[i] = time;
    this.component[i] = component;
    this.kind[i] = kind;
    this.txn[i] = txn;
    this.bytes[i] = bytes;
    this.latency[i] = latency;
    this.a[i] = a;
    this.b[i] = b;
    this.label[i] = label;
    if ((this.count = i + 1) === this.capacity) this.flush();
  }

  /** Writes what is buffered, the footer, and moves the file into place. */
  close(): void {
    this.checkOpen();
    try {
      if (this.count > 0) this.flush();
      this.writeDictionaries();
      this.ipc.finish();
      this.sink.finish();
      // No fsync, as in src/util/atomic-write.ts: the rename guarantees no
      // reader ever sees a partial file, and forcing gigabytes of trace to
      // disk would double the cost of closing it for a debugging artifact a
      // rerun reproduces exactly.
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tempPath, this.path);
      this.state = 'closed';
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Drops everything written; no file is left at `path` or beside it. Safe to call more than once. */
  abort(): void {
    if (this.state === 'closed') return;
    this.state = 'aborted';
    if (this.fd >= 0) {
      // The background writer must be done with the descriptor before it is closed and its number reused.
      this.sink.discard();
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    removeQuietly(this.tempPath);
  }

  private intern(table: NameTable, name: string): number {
    const names = this.names[table];
    const known = names.get(name);
    if (known !== undefined) return known;
    if (typeof name !== 'string') throw new TypeError(`trace ${table} name must be a string, got ${typeof name}`);
    this.checkOpen();
    if (this.rows > 0) {
      throw new Error(`trace: new ${table} name ${JSON.stringify(name)} after recording began; ` +
        `the trace's name dictionaries are written before its first row, so ask for every channel and label during setup`);
    }
    const id = names.size;
    names.set(name, id);
    return id;
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new Error(`trace writer for ${this.path} is ${this.state}`);
  }

  private writeDictionaries(): void {
    if (this.dictionariesWritten) return;
    for (const table of ['component', 'kind', 'label'] as const) {
      const values = [...this.names[table].keys()];
      this.ipc.writeDictionary(DICT_ID[table], values.length, [new FieldNode(values.length, 0)], utf8Buffers(values));
    }
    this.dictionariesWritten = true;
  }

  private flush(): void {
    try {
      this.writeBatch();
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  private writeBatch(): void {
    this.checkOpen();
    this.writeDictionaries();
    const n = this.count;
    const [time, txn, bytes, latency] = this.int64Out as [Int32Array, Int32Array, Int32Array, Int32Array];
    toInt64(this.time, n, time, COL.time, this.flushedRows);
    toInt64(this.txn, n, txn, COL.txn, this.flushedRows);
    toInt64(this.bytes, n, bytes, COL.bytes, this.flushedRows);
    toInt64(this.latency, n, latency, COL.latency, this.flushedRows);
    const labelNulls = this.labelNulls(n);
    const i64 = (x: Int32Array) => bytesOf(x, 8 * n);
    const f64 = (x: Float64Array) => bytesOf(x, 8 * n);
    const i32 = (x: Int32Array) => bytesOf(x, 4 * n);
    const node = new FieldNode(n, 0);
    // Body buffers in schema order, validity (absent when nothing is null) then values.
    this.ipc.writeRecordBatch(n, [node, node, node, node, node, node, node, node, new FieldNode(n, labelNulls)], [
      EMPTY, i64(time),
      EMPTY, i32(this.component),
      EMPTY, i32(this.kind),
      EMPTY, i64(txn),
      EMPTY, i64(bytes),
      EMPTY, i64(latency),
      EMPTY, f64(this.a),
      EMPTY, f64(this.b),
      labelNulls === 0 ? EMPTY : this.labelValidity.subarray(0, Math.ceil(n / 8)), i32(this.label),
    ]);
    this.flushedRows += n;
    this.count = 0;
  }

  /**
   * Builds the label validity bitmap and counts the nulls. Under a null the
   * index is set to 0, so the same rows always give the same bytes. A label
   * id that was never handed out would make a file no reader accepts, so it
   * is refused here, once per row per batch rather than on the hot path.
   */
  private labelNulls(n: number): number {
    const labels = this.label;
    const validity = this.labelValidity;
    const known = this.names.label.size;
    validity.fill(0, 0, Math.ceil(n / 8));
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const id = labels[i]!;
      if (id === NO_LABEL) {
        labels[i] = 0;
        nulls++;
      } else if (id >= 0 && id < known) {
        validity[i >> 3]! |= 1 << (i & 7);
      } else {
        throw new RangeError(`trace column ${COL.label}, row ${this.flushedRows + i}: ${id} is not a label id from labelId()`);
      }
    }
    return nulls;
  }
}

/** Little-endian Int64 as (low, high) Int32 pairs; exact for every integer within ±2^53. */
function toInt64(src: Float64Array, n: number, out: Int32Array, column: string, firstRow: number): void {
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`trace column ${column}, row ${firstRow + i}: ${v} is not an integer within ±2^53`);
    }
    out[2 * i] = v >>> 0;
    out[2 * i + 1] = Math.floor(v / TWO_POW_32);
  }
}

/**
 * Converts `trace.arrow` to Chrome trace-event JSON, which chrome://tracing,
 * Perfetto (ui.perfetto.dev) and speedscope open as a timeline.
 *
 * One process, one track (tid) per component in the trace's interning order,
 * named by `thread_name` metadata events. A row with a latency becomes a
 * complete event ("X") spanning [time - latency, time]; any other row an
 * instant ("i"). Times are microseconds, the format's unit, as JSON numbers:
 * ps / 1e6 is one correctly rounded division, and number-to-text is the
 * shortest round-trip form, so the output is the same on every machine.
 *
 * The JSON is written in chunks as batches are read, never held whole, and
 * lands atomically (temp file, then rename) like every other output.
 */
import * as fs from 'node:fs';
import { removeQuietly, tempPathFor } from './temp-file.js';
import { PROVENANCE_KEY } from './provenance.js';
import { TraceReader, type TraceBatch } from './reader.js';
import { NO_LABEL, NO_TXN } from './trace-schema.js';

const PS_PER_US = 1e6;
const PID = 1;
/** Bytes gathered before a write: big enough that writes are few, small enough to stay flat. */
const CHUNK_BYTES = 1 << 20;
/** Room left when a chunk counts as full, comfortably more than one event takes. */
const CHUNK_HEADROOM = 1 << 16;
/** UTF-8 needs at most 3 bytes per UTF-16 code unit. */
const MAX_UTF8_BYTES_PER_UNIT = 3;

export async function exportChrome(tracePath: string, outPath: string): Promise<{ events: number }> {
  const reader = await TraceReader.open(tracePath);
  const tempPath = tempPathFor(outPath, tracePath);
  let out: fs.promises.FileHandle | undefined;
  try {
    out = await fs.promises.open(tempPath, 'w');
    const sink = new ChunkedWriter(out);
    const kinds = reader.names.kind.map((k) => JSON.stringify(k));
    const labels = reader.names.label.map((l) => JSON.stringify(l));
    sink.add(`{"displayTimeUnit":"ns","traceEvents":[\n`);
    sink.add(metadataEvent('process_name', 0, { name: processName(reader.metadata) }));
    for (const [id, component] of reader.names.component.entries()) {
      sink.add(`,\n${metadataEvent('thread_name', tid(id), { name: component })}`);
      sink.add(`,\n${metadataEvent('thread_sort_index', tid(id), { sort_index: id })}`);
    }
    let events = 0;
    for await (const batch of reader.batches()) {
      for (let i = 0; i < batch.length; i++) {
        sink.add(`,\n${event(batch, i, kinds, labels)}`);
        if (sink.full) await sink.flush();
      }
      events += batch.length;
    }
    sink.add(`\n]}\n`);
    await sink.flush();
    await out.close();
    out = undefined;
    await fs.promises.rename(tempPath, outPath);
    return { events };
  } catch (e) {
    await out?.close();
    removeQuietly(tempPath);
    throw e;
  } finally {
    await reader.close();
  }
}

const tid = (componentId: number): number => componentId + 1;

function metadataEvent(name: string, thread: number, args: Record<string, string | number>): string {
  return `{"name":"${name}","ph":"M","pid":${PID},"tid":${thread},"args":${JSON.stringify(args)}}`;
}

function processName(metadata: ReadonlyMap<string, string>): string {
  const scenario = metadata.get(PROVENANCE_KEY.scenario);
  if (scenario === undefined) return 'pciesim';
  return `pciesim ${scenario} (seed ${metadata.get(PROVENANCE_KEY.seed) ?? '?'}, replication ${metadata.get(PROVENANCE_KEY.replication) ?? '?'})`;
}

function event(c: TraceBatch, i: number, kinds: readonly string[], labels: readonly string[]): string {
  const time = c.time[i]!, latency = c.latency[i]!, txn = c.txn[i]!, label = c.label[i]!;
  const when = latency > 0
    ? `"ph":"X","ts":${(time - latency) / PS_PER_US},"dur":${latency / PS_PER_US}`
    : `"ph":"i","s":"t","ts":${time / PS_PER_US}`;
  const args = `${txn === NO_TXN ? '' : `"txn":${txn},`}"bytes":${c.bytes[i]},"a":${num(c.a[i]!)},"b":${num(c.b[i]!)}` +
    (label === NO_LABEL ? '' : `,"label":${labels[label]}`);
  return `{"name":${kinds[c.kind[i]!]},${when},"pid":${PID},"tid":${tid(c.component[i]!)},"args":{${args}}}`;
}

/** JSON has no NaN or infinities; they become null, as JSON.stringify does. */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * Encodes text straight into one reused buffer, which is cheaper than joining
 * strings and converting them, and writes it out when the caller sees `full`.
 * Text that does not fit (only absurdly long names) waits in `overflow`,
 * after the buffer, so order is kept.
 */
class ChunkedWriter {
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);
  private fill = 0;
  private overflow: Buffer[] = [];

  constructor(private readonly handle: fs.promises.FileHandle) {}

  get full(): boolean {
    return this.fill >= CHUNK_BYTES - CHUNK_HEADROOM || this.overflow.length > 0;
  }

  add(text: string): void {
    if (this.overflow.length === 0 && this.fill + MAX_UTF8_BYTES_PER_UNIT * text.length <= CHUNK_BYTES) {
      this.fill += this.buffer.write(text, this.fill, 'utf8');
    } else {
      this.overflow.push(Buffer.from(text, 'utf8'));
    }
  }

  async flush(): Promise<void> {
    await this.writeAll(this.buffer.subarray(0, this.fill));
    for (const b of this.overflow) await this.writeAll(b);
    this.fill = 0;
    this.overflow = [];
  }

  /** A write may take fewer bytes than offered; keep going until all are out. */
  private async writeAll(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.byteLength;) done += (await this.handle.write(bytes, done)).bytesWritten;
  }
}

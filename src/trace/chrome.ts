/**
 * Converts `trace.arrow` to Chrome trace-event JSON, which chrome://tracing,
 * Perfetto (ui.perfetto.dev) and speedscope open as a timeline.
 *
 * Tracks nest as the scenario does: one process per top-level instance
 * (`rc`, `ep`, `link0`), and within it one thread track per component that
 * recorded rows (`rc` itself, its slots `rc.iommu` and `rc.memory`, a link's
 * directions `link0.ab`), in the trace's interning order. A row with a latency
 * becomes a complete event ("X") spanning [time - latency, time]; a row of a
 * transaction always becomes one (an instant is a zero-length slice), bound by
 * flow arrows (v2: bind_id, flow_in, flow_out) to the transaction's previous
 * and next rows, so a transaction (a DMA transfer with all its TLPs, a grant
 * operation) can be followed across hops; any other row is an instant ("i").
 * Times are microseconds, the format's unit, as JSON numbers: ps / 1e6 is one
 * correctly rounded division, and number-to-text is the shortest round-trip
 * form, so the output is the same on every machine.
 *
 * The JSON is written in chunks as batches are read, never held whole, and
 * lands atomically (temp file, then rename) like every other output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeQuietly, tempPathFor } from './temp-file.js';
import { PROVENANCE_KEY } from './provenance.js';
import { TraceReader, type TraceBatch } from './reader.js';
import { NO_LABEL, NO_TXN } from './trace-schema.js';

const PS_PER_US = 1e6;
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
  let madeFolder: string | undefined;
  try {
    // Like every other output, a missing folder is made, but only once the trace has opened: a bad trace leaves nothing.
    madeFolder = await fs.promises.mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
    out = await fs.promises.open(tempPath, 'w');
    const sink = new ChunkedWriter(out);
    const kinds = reader.names.kind;
    const labels = reader.names.label;
    sink.add(`{"displayTimeUnit":"ns","otherData":{"run":${JSON.stringify(runName(reader.metadata))}},"traceEvents":[\n`);
    const pids = processIds(reader.names.component);
    // Process ids count up in order of first appearance, so a pid past the last one named opens a new process.
    let named = 0;
    let separator = '';
    for (const [id, component] of reader.names.component.entries()) {
      const pid = pids[id]!;
      if (pid > named) {
        named = pid;
        sink.add(`${separator}${metadataEvent('process_name', pid, 0, { name: topLevel(component) })}`);
        sink.add(`,\n${metadataEvent('process_sort_index', pid, 0, { sort_index: pid })}`);
        separator = ',\n';
      }
      sink.add(`${separator}${metadataEvent('thread_name', pid, tid(id), { name: component })}`);
      sink.add(`,\n${metadataEvent('thread_sort_index', pid, tid(id), { sort_index: id })}`);
      separator = ',\n';
    }
    // Transactions already seen: a row of one is a step of its flow, not its start.
    const seen = new Set<number>();
    let events = 0;
    for await (const batch of reader.batches()) {
      for (let i = 0; i < batch.length; i++) {
        sink.add(`${separator}${event(batch, i, kinds, labels, pids, seen)}`);
        separator = ',\n';
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
    if (madeFolder !== undefined) await fs.promises.rm(madeFolder, { recursive: true, force: true });
    throw e;
  } finally {
    await reader.close();
  }
}

const tid = (componentId: number): number => componentId + 1;

/** The instance a component belongs to: `rc` for `rc.iommu`, `link0` for `link0.ab`. */
const topLevel = (component: string): string => component.split('.', 1)[0]!;

/** A process id per top-level instance, numbered in order of first appearance; indexed by component id. */
function processIds(components: readonly string[]): number[] {
  const ids = new Map<string, number>();
  return components.map((c) => {
    const top = topLevel(c);
    if (!ids.has(top)) ids.set(top, ids.size + 1);
    return ids.get(top)!;
  });
}

function metadataEvent(name: string, pid: number, thread: number, args: Record<string, string | number>): string {
  return `{"name":"${name}","ph":"M","pid":${pid},"tid":${thread},"args":${JSON.stringify(args)}}`;
}

function runName(metadata: ReadonlyMap<string, string>): string {
  const scenario = metadata.get(PROVENANCE_KEY.scenario);
  if (scenario === undefined) return 'pciesim';
  return `pciesim ${scenario} (seed ${metadata.get(PROVENANCE_KEY.seed) ?? '?'}, replication ${metadata.get(PROVENANCE_KEY.replication) ?? '?'})`;
}

function event(c: TraceBatch, i: number, kinds: readonly string[], labels: readonly string[], pids: readonly number[], seen: Set<number>): string {
  const time = c.time[i]!, latency = c.latency[i]!, txn = c.txn[i]!, label = c.label[i]!;
  // Perfetto binds v2 flows to slices only: a transaction's instant is a zero-length one.
  let when = latency > 0 || txn !== NO_TXN
    ? `"ph":"X","ts":${(time - latency) / PS_PER_US},"dur":${latency / PS_PER_US}`
    : `"ph":"i","s":"t","ts":${time / PS_PER_US}`;
  if (txn !== NO_TXN) {
    when += `,"bind_id":${txn},${seen.has(txn) ? '"flow_in":true,' : ''}"flow_out":true`;
    seen.add(txn);
  }
  const args = `${txn === NO_TXN ? '' : `"txn":${txn},`}"bytes":${c.bytes[i]},"a":${num(c.a[i]!)},"b":${num(c.b[i]!)}` +
    (label === NO_LABEL ? '' : `,"label":${JSON.stringify(labels[label])}`);
  const component = c.component[i]!;
  const name = sliceName(c.kind[i]!, label, kinds, labels);
  return `{"name":${name},${when},"pid":${pids[component]},"tid":${tid(component)},"args":{${args}}}`;
}

/** Slice names as JSON text, by kind and label id (a few per trace, made once each). */
const sliceNames = new Map<string, string>();

/** A labelled row's slice is named by its label too ("tlp MWr", "hypercall grant_table_op:map"): what a timeline shows on it. */
function sliceName(kind: number, label: number, kinds: readonly string[], labels: readonly string[]): string {
  const text = label === NO_LABEL ? kinds[kind]! : `${kinds[kind]} ${labels[label]}`;
  let json = sliceNames.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    sliceNames.set(text, json);
  }
  return json;
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

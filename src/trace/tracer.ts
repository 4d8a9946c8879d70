/**
 * The recording API models use.
 *
 * At setup a component asks for one channel per kind of event it can record;
 * the answer is null when the scenario's trace config does not select that
 * (component, kind) pair, or when tracing is off. The hot path then costs one
 * null check when off:
 *
 *     const tlp = ctx.tracer.channel(name, 'tlp', { hot: true });
 *     const mrd = ctx.tracer.label('MRd');
 *     ...
 *     if (tlp !== null) tlp.record(now, txn, bytes, now - issued, 0, 0, mrd);
 *
 * Channels and labels must be asked for during setup: the name dictionaries
 * are fixed once the first row is recorded (see writer.ts).
 */
import { SelectionRules, type TraceSelection } from './selection.js';
import { provenanceMetadata, type TraceProvenance } from './provenance.js';
import { DISABLED_TRACER, NO_LABEL, type ChannelOptions, type RunTracer, type TraceChannel } from './channel.js';
export { DISABLED_TRACER, type ChannelOptions, type RunTracer, type TraceChannel, type Tracer } from './channel.js';
import { TraceWriter } from './writer.js';

/** The scenario's `trace` section. */
export interface TraceConfig extends TraceSelection {
  enabled: boolean;
}

export interface OpenTracerOptions {
  /** Rows per record batch (tests use small batches). */
  batchRows?: number;
}

/** A tracer writing `path`, or `DISABLED_TRACER` (and no file) when `config.enabled` is false. */
export function openTracer(path: string, config: TraceConfig, provenance: TraceProvenance, options: OpenTracerOptions = {}): RunTracer {
  if (!config.enabled) return DISABLED_TRACER;
  // Patterns are compiled first, so a bad one throws before any file exists.
  const rules = new SelectionRules(config);
  const writer = new TraceWriter(path, { metadata: provenanceMetadata(provenance), batchRows: options.batchRows });
  return new FileTracer(rules, writer);
}

class FileTracer implements RunTracer {
  constructor(private readonly rules: SelectionRules, private readonly writer: TraceWriter) {}

  channel(component: string, kind: string, options: ChannelOptions = {}): TraceChannel | null {
    if (!this.rules.enabled(component, kind, options.hot === true)) return null;
    return new FileChannel(this.writer, this.writer.componentId(component), this.writer.kindId(kind));
  }

  label(name: string): number {
    return this.writer.labelId(name);
  }

  close(): void {
    this.writer.close();
  }

  abort(): void {
    this.writer.abort();
  }

  rows(): number {
    return this.writer.rows;
  }
}

class FileChannel implements TraceChannel {
  constructor(private readonly writer: TraceWriter, private readonly componentId: number, private readonly kindId: number) {}

  record(time: number, txn: number, bytes: number, latency: number, a: number, b: number, label: number = NO_LABEL): void {
    this.writer.append(this.componentId, this.kindId, time, txn, bytes, latency, a, b, label);
  }
}

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
import { NO_LABEL } from './trace-schema.js';
import { TraceWriter } from './writer.js';

/** The scenario's `trace` section. */
export interface TraceConfig extends TraceSelection {
  enabled: boolean;
}

export interface ChannelOptions {
  /** One row per TLP or per page-walk step: recorded only when an include pattern names this kind (see selection.ts). */
  hot?: boolean;
}

export interface TraceChannel {
  /**
   * One event. `time` is when it happened in ps; for an event with a duration,
   * when it ended, `latency` ps after it started (0 for an instant). `txn` is
   * the transaction id or `NO_TXN`; `time`, `txn`, `bytes` and `latency` are
   * integers. `a` and `b` are free-form numbers whose meaning depends on the
   * kind. `label` is an id from `Tracer.label`, or omitted for none.
   */
  record(time: number, txn: number, bytes: number, latency: number, a: number, b: number, label?: number): void;
}

/** What a model sees. */
export interface Tracer {
  channel(component: string, kind: string, options?: ChannelOptions): TraceChannel | null;
  /** Id of a label name, for `TraceChannel.record`. Labels are a small fixed set of names, never per-event text. */
  label(name: string): number;
}

/** What the run holds: the model-facing tracer plus the end of the trace's life. */
export interface RunTracer extends Tracer {
  /** Finishes `trace.arrow` and moves it into place. */
  close(): void;
  /** Leaves no file behind; call it when the run fails. */
  abort(): void;
}

/** Tracing off: every channel is null, and nothing is written. */
export const DISABLED_TRACER: RunTracer = Object.freeze({
  channel: () => null,
  label: () => NO_LABEL,
  close: () => {},
  abort: () => {},
});

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
}

class FileChannel implements TraceChannel {
  constructor(private readonly writer: TraceWriter, private readonly componentId: number, private readonly kindId: number) {}

  record(time: number, txn: number, bytes: number, latency: number, a: number, b: number, label: number = NO_LABEL): void {
    this.writer.append(this.componentId, this.kindId, time, txn, bytes, latency, a, b, label);
  }
}

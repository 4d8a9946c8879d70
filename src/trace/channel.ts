/**
 * What models see of tracing, apart from how a trace is written: the channel
 * and tracer interfaces and the disabled tracer. Nothing here loads Arrow, so
 * a run with tracing off never pays for loading the writer (see tracer.ts for
 * the file-backed tracer, which callers import only when tracing is on).
 */

/** `txn` value of an event that belongs to no transaction. */
export const NO_TXN = -1;
/** `labelId` that records a null label. */
export const NO_LABEL = -1;

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
  /** Rows recorded so far. */
  rows(): number;
}

/** Tracing off: every channel is null, and nothing is written. */
export const DISABLED_TRACER: RunTracer = Object.freeze({
  channel: () => null,
  label: () => NO_LABEL,
  close: () => {},
  abort: () => {},
  rows: () => 0,
});


/** The trace output: what models and the engine import. */
export { DISABLED_TRACER, openTracer } from './tracer.js';
export type { ChannelOptions, OpenTracerOptions, RunTracer, TraceChannel, TraceConfig, Tracer } from './tracer.js';
export { PROVENANCE_KEY, type TraceProvenance } from './provenance.js';
export { TraceWriter, type TraceWriterOptions } from './writer.js';
export { TraceReader, readTrace, type TraceBatch, type TraceNames, type TraceRow } from './reader.js';
export { exportChrome } from './chrome.js';
export { COL, DEFAULT_BATCH_ROWS, NO_LABEL, NO_TXN, TRACE_FORMAT_KEY, TRACE_FORMAT_VERSION } from './trace-schema.js';

export {
  Histogram, DEFAULT_RELATIVE_ACCURACY, DEFAULT_MIN_VALUE, CDF_FRACTIONS,
  type HistogramOptions, type HistogramJSON, type StandardQuantiles, type CdfPoint,
} from './histogram.js';
export { RunningSummary, type SummaryJSON } from './summary.js';
export { studentTCdf, studentTPdf, studentTQuantile } from './student-t.js';
export { confidenceInterval, confidenceIntervalOf, DEFAULT_CONFIDENCE_LEVEL, type ConfidenceInterval } from './confidence.js';
export { WindowedCounter, type WindowRow } from './windows.js';
export { dropWarmup, mser, mser5, MSER_BATCH_SIZE, type WarmupCut } from './warmup.js';
export { Attribution, AttributionSpan, type AttributionRow, type AttributionJSON } from './attribution.js';

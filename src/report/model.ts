/**
 * What a report is made from: plain data, independent of how it was stored.
 * `src/run` reads a sweep folder (results.arrow + per-run summaries) into
 * this shape; `writeReport` turns it into specs, SVG/PNG and index.html.
 * A report holds one or more studies (one sweep each), so the quick-start
 * report can put several questions side by side.
 */

export type ParamValue = number | string | boolean;

/** A scenario parameter as the report describes it. */
export interface ReportParameter {
  name: string;
  description: string | null;
  unit: string | null;
  /** The values the sweep took, in grid order; one value when the parameter was fixed. */
  values: ParamValue[];
}

/** A metric's declaration (from the component's StatDecl), keyed by its result-column name. */
export interface ReportMetricInfo {
  unit: string;
  description: string;
}

/** A latency distribution from one run: (fraction, value) pairs ascending in fraction, for CDF plots. */
export interface ReportDistribution {
  unit: string;
  points: [number, number][];
}

/** One time series from one run (e.g. throughput per window). */
export interface ReportSeriesPoint {
  time_ps: number;
  value: number;
}

export interface ReportRun {
  /** Stable id, e.g. "p0007-r2" (grid point 7, replication 2). */
  id: string;
  point: number;
  replication: number;
  seed: number;
  parameters: Record<string, ParamValue>;
  status: 'ok' | 'failed';
  error: string | null;
  /** Scalar metrics, flattened ("sojourn_ns.p99"); null when the run failed or the metric was empty. */
  metrics: Record<string, number | null>;
  /** Categorical metrics ("share.outcome": "grant-table-full"): what happened where there is no number. */
  categories?: Record<string, string>;
  /** Per distribution metric name. */
  distributions: Record<string, ReportDistribution>;
  /** Where the time went: [component, ps] sorted by component. Empty when the model does not attribute. */
  attribution: [string, number][];
  /** Per series name. */
  series: Record<string, ReportSeriesPoint[]>;
}

/** A plot a scenario asks for (its optional `report.plots`). */
export interface PlotRequest {
  metric: string;
  x: string;
  series?: string;
  title?: string;
  logX?: boolean;
  logY?: boolean;
  /** Only the runs whose parameters have these values. */
  where?: Record<string, ParamValue>;
}

/** One-at-a-time sensitivity of a study to its preset estimates (run/sensitivity.ts). */
export interface SensitivityRow {
  /** Instance and preset key, e.g. "xen" and "xen.ipi". */
  component: string;
  preset: string;
  key: string;
  base: ParamValue | ParamValue[] | Record<string, unknown>;
  low: ParamValue;
  high: ParamValue;
  /** The metric with the value at the low and the high end (null if the run failed or has no such metric). */
  atLow: number | null;
  atHigh: number | null;
  /** |atHigh - atLow| / |baseline|: the share of the metric the estimate's range spans. */
  swing: number | null;
}

export interface SensitivityTable {
  metric: string;
  at: Record<string, ParamValue>;
  baseline: number | null;
  /** Sorted by swing, largest first (ties and nulls by component and key). */
  rows: SensitivityRow[];
}

/** One metric in a table, rows by one parameter's values and columns by another's. */
export interface PivotRequest {
  title?: string;
  metric: string;
  rows: string;
  columns: string;
  where?: Record<string, ParamValue>;
  best?: 'min' | 'max';
  /** The question the table answers; the report opens with it (findings.ts). */
  finding?: string;
}

export interface ReportStudy {
  /** Section title; defaults to the scenario name. */
  title: string;
  scenario: { name: string; description: string | null; file: string; hash: string };
  pciesim: string;
  /** The scenario's base seed (each run's own seed is in its row). */
  seed: number;
  replications: number;
  parameters: ReportParameter[];
  metrics: Record<string, ReportMetricInfo>;
  plots: PlotRequest[];
  tables?: PivotRequest[];
  runs: ReportRun[];
  sensitivity?: SensitivityTable | null;
  /** Set on a side-by-side study (compare.ts): its inputs, the first the baseline, and the metrics set against it. */
  comparison?: { inputs: string[]; metrics: string[] };
}

export interface ReportDocument {
  title: string;
  studies: ReportStudy[];
}

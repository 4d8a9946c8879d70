/** A plot the report shows: a Vega-Lite spec plus the words around it. */
import type { VegaLiteSpec } from './specs.js';

export interface Figure {
  /** What the file stem is made from, e.g. "sojourn_ns.p99 vs load"; made unique and safe when the report is written. */
  name: string;
  title: string;
  /** How the plotted numbers were computed, for the HTML caption. */
  caption: string;
  spec: VegaLiteSpec;
}

/** A plot that was asked for but has nothing to draw, and why. */
export interface MissingFigure {
  title: string;
  reason: string;
}

/**
 * The names a scenario uses that only its instances' declarations can vouch
 * for: report metrics and trace patterns. Checked by `validate`, `run` and
 * `sweep` before anything runs, over every point of the sweep.
 */
import type { ResolvedScenario, ScenarioDoc } from './loader.js';
import { checkMetricNames, scenarioColumns } from './metric-names.js';
import { checkTraceNames } from './trace-names.js';

export function checkScenarioNames(doc: ScenarioDoc, points: readonly ResolvedScenario[]): void {
  checkMetricNames(doc, scenarioColumns(doc, points));
  if (points[0]) checkTraceNames(doc.file, points[0]);
}

/**
 * One-at-a-time sensitivity of a study to its estimates. A preset value that
 * no publication fixes is marked `estimate` with a plausible `range`; this
 * runs the scenario's base point once as it is and, for every such value
 * (that the scenario does not set itself), once at each end of its range,
 * everything else unchanged, with the same seed (common random numbers, so
 * the difference is the parameter's, not the noise's). The result ranks the
 * estimates by how far they move one metric: which guess matters.
 *
 * An end of a range that the scenario's other values rule out (it fails the
 * component's checks) gives no figure for that end; the row stays, with
 * no swing.
 *
 * The base point is the scenario's `report.sensitivity.at` values over its
 * defaults (and the sweep's --set overrides). Runs are in the calling thread:
 * a handful of runs of one point.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { ModelLibrary, ScenarioDoc } from '../scenario/loader.js';
import { allInstances, resolveScenario } from '../scenario/loader.js';
import { UserError } from '../scenario/errors.js';
import { rangedEstimates } from '../scenario/presets.js';
import type { Scalar } from '../scenario/schema.js';
import { deriveRunSeed } from '../scenario/seeds.js';
import { canonicalJson } from '../util/canonical-json.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { flattenMetrics } from '../stats/distribution.js';
import { runScenario } from './single.js';
import type { SensitivityRow, SensitivityTable } from '../report/model.js';

export const SENSITIVITY_FILE = 'sensitivity.json';

export function runSensitivity(doc: ScenarioDoc, lib: ModelLibrary, overrides: Record<string, string | Scalar>): SensitivityTable | null {
  const spec = doc.body.report?.sensitivity;
  if (!spec) return null;
  const point = { ...overrides, ...spec.at };
  const base = resolveScenario(doc, point, lib, 'sweep');
  const seed = deriveRunSeed(doc.body.seed, base.parameters, 0);
  const measure = (presetOverrides: Record<string, Record<string, unknown>>): number | null => {
    let resolved;
    try {
      resolved = resolveScenario(doc, point, lib, 'sweep', presetOverrides);
    } catch (e) {
      // An end of a range the other values rule out (e.g. one MPS end of a link but not the other): no figure, not a failed sweep.
      if (e instanceof UserError) return null;
      throw e;
    }
    const summary = runScenario(resolved, { seed, replication: 0 });
    if (summary.status !== 'ok') return null;
    const v = flattenMetrics(summary.metrics)[spec.metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const baseline = measure({});
  const rows: SensitivityRow[] = [];
  // Every instance (slots included) whose preset, or a preset it inherits from, marks a value as an estimate with a range.
  for (const inst of allInstances(base)) {
    if (inst.preset === undefined) continue;
    for (const [key, v] of rangedEstimates(lib.presets.get(inst.preset)!, inst.ownKeys)) {
      const [low, high] = v.range;
      const atLow = measure({ [inst.name]: { [key]: low } });
      const atHigh = measure({ [inst.name]: { [key]: high } });
      const swing = atLow !== null && atHigh !== null && baseline !== null && baseline !== 0 ? Math.abs(atHigh - atLow) / Math.abs(baseline) : null;
      rows.push({ component: inst.name, preset: v.from, key, base: v.value as Scalar, low, high, atLow, atHigh, swing });
    }
  }
  rows.sort((a, b) => (b.swing ?? -1) - (a.swing ?? -1) || (a.component < b.component ? -1 : a.component > b.component ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { metric: spec.metric, at: base.parameters, baseline, rows };
}

export function writeSensitivity(dir: string, table: SensitivityTable): void {
  writeFileAtomic(path.join(dir, SENSITIVITY_FILE), canonicalJson(table, 2) + '\n');
}

export function readSensitivity(dir: string): SensitivityTable | null {
  const file = path.join(dir, SENSITIVITY_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SensitivityTable) : null;
}

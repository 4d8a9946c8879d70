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
 * defaults (and the sweep's --set overrides). A sweep runs these runs in its
 * pool beside its own (sweep.ts); runSensitivity runs them one after another.
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
import type { ParamValue, SensitivityRow, SensitivityTable } from '../report/model.js';

export const SENSITIVITY_FILE = 'sensitivity.json';

/** One run of a sensitivity analysis: the base point with some preset values replaced (none: the baseline). Plain data, so a sweep's worker threads can take it. */
export interface SensitivityProbe {
  point: Record<string, string | Scalar>;
  seed: number;
  metric: string;
  presetOverrides: Record<string, Record<string, unknown>>;
}

/** What a sensitivity analysis runs: its baseline, then each estimate's low and high end (probes 1 + 2k and 2 + 2k for rows[k]). */
export interface SensitivityPlan {
  metric: string;
  at: Record<string, ParamValue>;
  probes: SensitivityProbe[];
  rows: Omit<SensitivityRow, 'atLow' | 'atHigh' | 'swing'>[];
}

/** The runs of the scenario's sensitivity analysis (report.sensitivity), or null if it asks for none. */
export function planSensitivity(doc: ScenarioDoc, lib: ModelLibrary, overrides: Record<string, string | Scalar>): SensitivityPlan | null {
  const spec = doc.body.report?.sensitivity;
  if (!spec) return null;
  const point = { ...overrides, ...spec.at };
  const base = resolveScenario(doc, point, lib, 'sweep');
  const seed = deriveRunSeed(doc.body.seed, base.parameters, 0);
  const probe = (presetOverrides: Record<string, Record<string, unknown>>): SensitivityProbe => ({ point, seed, metric: spec.metric, presetOverrides });
  const plan: SensitivityPlan = { metric: spec.metric, at: base.parameters, probes: [probe({})], rows: [] };
  // Every instance (slots included) whose preset, or a preset it inherits from, marks a value as an estimate with a range.
  for (const inst of allInstances(base)) {
    if (inst.preset === undefined) continue;
    for (const [key, v] of rangedEstimates(lib.presets.get(inst.preset)!, inst.ownKeys)) {
      const [low, high] = v.range;
      plan.probes.push(probe({ [inst.name]: { [key]: low } }), probe({ [inst.name]: { [key]: high } }));
      plan.rows.push({ component: inst.name, preset: v.from, key, base: v.value as Scalar, low, high });
    }
  }
  return plan;
}

/** The probe's metric, or null when its run fails, reports no such number, or its values fail the components' checks. */
export function runSensitivityProbe(doc: ScenarioDoc, lib: ModelLibrary, probe: SensitivityProbe): number | null {
  let summary;
  try {
    summary = runScenario(resolveScenario(doc, probe.point, lib, 'sweep', probe.presetOverrides), { seed: probe.seed, replication: 0 });
  } catch (e) {
    // An end of a range the other values rule out (one MPS end of a link but not the other, IOTLB entries its ways do
    // not divide), found resolving or building: no figure, not a failed sweep.
    if (e instanceof UserError) return null;
    throw e;
  }
  if (summary.status !== 'ok') return null;
  const v = flattenMetrics(summary.metrics)[probe.metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The table from the plan and its probes' figures (in probe order), ranked by swing. */
export function sensitivityTable(plan: SensitivityPlan, figures: readonly (number | null)[]): SensitivityTable {
  const baseline = figures[0] ?? null;
  const rows: SensitivityRow[] = plan.rows.map((r, k) => {
    const atLow = figures[1 + 2 * k] ?? null, atHigh = figures[2 + 2 * k] ?? null;
    const swing = atLow !== null && atHigh !== null && baseline !== null && baseline !== 0 ? Math.abs(atHigh - atLow) / Math.abs(baseline) : null;
    return { ...r, atLow, atHigh, swing };
  });
  rows.sort((a, b) => (b.swing ?? -1) - (a.swing ?? -1) || (a.component < b.component ? -1 : a.component > b.component ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { metric: plan.metric, at: plan.at, baseline, rows };
}

/** The whole analysis in the calling thread, one run after another (a sweep runs the probes in its pool instead). */
export function runSensitivity(doc: ScenarioDoc, lib: ModelLibrary, overrides: Record<string, string | Scalar>): SensitivityTable | null {
  const plan = planSensitivity(doc, lib, overrides);
  return plan === null ? null : sensitivityTable(plan, plan.probes.map((p) => runSensitivityProbe(doc, lib, p)));
}

export function writeSensitivity(dir: string, table: SensitivityTable): void {
  writeFileAtomic(path.join(dir, SENSITIVITY_FILE), canonicalJson(table, 2) + '\n');
}

export function readSensitivity(dir: string): SensitivityTable | null {
  const file = path.join(dir, SENSITIVITY_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SensitivityTable) : null;
}

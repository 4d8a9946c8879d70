/**
 * Fits a preset's estimates to measured curves: finds the instances that
 * take the preset in each curve's scenario, searches the estimates' ranges
 * (coordinate-search.ts) for the values that minimise the mean absolute
 * relative error over every measured point, and simulates the curves before
 * and after. A candidate that the scenario refuses, or under which a point's
 * run fails, counts as infinitely wrong.
 */
import { allInstances, resolveScenario, type ModelLibrary, type PresetOverrides } from '../scenario/loader.js';
import { rangedEstimates, type Preset } from '../scenario/presets.js';
import type { Scalar } from '../scenario/schema.js';
import { UserError } from '../scenario/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { Curve } from './curves.js';
import { atPoint, CurveSimulator, type SimulatedCurve } from './simulate.js';
import type { CurveSimulations } from './curve-pool.js';
import { coordinateSearch, DEFAULT_SEARCH, type SearchOptions } from './coordinate-search.js';
import { fittableValues, presetValueOf, type FittableValue } from './estimates.js';

export interface FittedValue extends FittableValue {
  fitted: Scalar;
}

export interface Calibration {
  preset: Preset;
  /** The instances that take the preset, e.g. ["rc"]. */
  instances: string[];
  fitted: FittedValue[];
  /** Estimates left alone, and why. */
  skipped: { key: string; reason: string }[];
  before: SimulatedCurve[];
  after: SimulatedCurve[];
  maeBefore: number;
  maeAfter: number;
  evaluations: number;
  sweeps: number;
}

/** Mean |simulated − measured| / measured over every point of every curve; a point with no simulated value makes it infinite. */
export function pooledError(curves: readonly SimulatedCurve[]): number {
  let sum = 0, n = 0;
  for (const s of curves) {
    s.curve.points.forEach((p, i) => {
      const v = s.simulated[i];
      sum += v === null || v === undefined ? Infinity : Math.abs(v - p.measured) / Math.abs(p.measured);
      n++;
    });
  }
  return n === 0 ? Infinity : sum / n;
}

/** The instances of a curve's scenario (at its first point) that take `preset`. */
function instancesUsing(sim: CurveSimulator, lib: ModelLibrary, curve: Curve, preset: string) {
  const first = curve.points[0]!;
  const sc = atPoint(first, () => resolveScenario(sim.doc(curve.scenario), first.params, lib, 'column'));
  const all = allInstances(sc);
  const users = all.filter((i) => i.preset === preset);
  if (users.length === 0) {
    const used = all.filter((i) => i.preset !== undefined).map((i) => `${i.name} ${i.preset}`);
    const platform = sc.parameters.platform;
    throw new UserError(`--preset ${preset}: scenario ${curve.scenario} (curve ${curve.name}) does not use it; its instances take ${used.join(', ')}` +
      (platform !== undefined ? ` (platform ${platform}; --set platform=NAME chooses another)` : ''));
  }
  return { sc, users };
}

export interface CalibrateOptions {
  /** Fit only these estimates (`--fit`). */
  only?: readonly string[];
  search?: SearchOptions;
  /** Told after each simulation of every point: how many so far, and the least error yet (progress). */
  onEvaluation?: (evaluations: number, best: number) => void;
}

/**
 * The fit: `sim` reads the scenarios (which instances take the preset, which
 * values it may take), `sims` runs the points, on as many threads as it has.
 */
export async function calibrate(sim: CurveSimulator, sims: CurveSimulations, lib: ModelLibrary, presetName: string, curves: readonly Curve[], o: CalibrateOptions = {}): Promise<Calibration> {
  const { only, search = DEFAULT_SEARCH, onEvaluation = () => {} } = o;
  const preset = lib.presets.get(presetName);
  if (!preset) throw new UserError(`--preset ${presetName}: no such preset${didYouMean(presetName, lib.presets.names())}`);
  if (rangedEstimates(preset).length === 0) throw new UserError(`${preset.file}: preset ${presetName} has no estimated value with a range (nor does any preset it inherits from): every value has a source, nothing to fit`);
  const users = curves.map((c) => instancesUsing(sim, lib, c, presetName));
  const instances = [...new Set(users.flatMap((u) => u.users.map((i) => i.name)))].sort();
  const ownKeys = users.flatMap((u) => u.users.flatMap((i) => i.ownKeys));
  const probe = users[0]!;
  const wholeOnly = (key: string, fraction: Scalar): boolean => {
    try {
      resolveScenario(probe.sc.doc, curves[0]!.points[0]!.params, lib, 'column', Object.fromEntries(probe.users.map((i) => [i.name, { [key]: fraction }])));
      return false;
    } catch (e) {
      if (e instanceof UserError) return true;
      throw e;
    }
  };
  const found = fittableValues(preset, ownKeys, wholeOnly);
  let values = found.values;
  const skipped = [...found.skipped];
  if (only !== undefined) {
    const keys = values.map((v) => v.key);
    for (const k of only) if (!keys.includes(k)) throw new UserError(`--fit ${k}: not an estimate of preset ${presetName} with a numeric range${didYouMean(k, keys)}; its estimates: ${keys.join(', ') || '(none)'}`);
    skipped.push(...values.filter((v) => !only.includes(v.key)).map((v) => ({ key: v.key, reason: 'not in --fit' })));
    values = values.filter((v) => only.includes(v.key));
  }
  if (values.length === 0) {
    throw new UserError(`${preset.file}: preset ${presetName} has no estimated value with a numeric range to fit (${skipped.map((s) => `${s.key}: ${s.reason}`).join('; ')})`);
  }
  const overridesAt = (x: readonly number[]): PresetOverrides[] => users.map((u) => {
    const set = Object.fromEntries(values.map((v, i) => [v.key, presetValueOf(v, x[i]!)]));
    return Object.fromEntries(u.users.map((i) => [i.name, set]));
  });
  const simulateAt = (overrides: readonly PresetOverrides[]): Promise<SimulatedCurve[]> => sims.simulate(curves.map((curve, k) => ({ curve, overrides: overrides[k] })), { split: true });
  const before = await simulateAt(curves.map(() => ({})));
  const objective = async (x: number[]): Promise<number> => {
    try {
      return pooledError(await simulateAt(overridesAt(x)));
    } catch (e) {
      // A candidate the scenario's checks refuse (a combination the model rules out) is no answer.
      if (e instanceof UserError) return Infinity;
      throw e;
    }
  };
  const result = await coordinateSearch(objective, values.map((v) => v.coordinate), search, onEvaluation);
  const after = await simulateAt(overridesAt(result.x));
  values.forEach((v, i) => { if (!result.sensitive[i]) skipped.push({ key: v.key, reason: 'neither end of its range changes the simulated points' }); });
  return {
    preset, instances, skipped,
    fitted: values.flatMap((v, i) => (result.sensitive[i] ? [{ ...v, fitted: presetValueOf(v, result.x[i]!) }] : [])),
    before, after, maeBefore: pooledError(before), maeAfter: pooledError(after),
    evaluations: result.evaluations, sweeps: result.sweeps,
  };
}

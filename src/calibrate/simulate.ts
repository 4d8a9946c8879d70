/**
 * Simulates measured curves: every point is one run of its scenario with the
 * point's parameters and, for calibration, preset values replaced by
 * instance (`ep.dma`, `rc`, `rc.iommu`). Runs are deterministic, so each
 * point is one replication.
 */
import { readScenario, resolveScenario, type ModelLibrary, type PresetOverrides, type ScenarioDoc } from '../scenario/loader.js';
import { isDistribution } from '../stats/distribution.js';
import { runScenario } from '../run/single.js';
import { UserError } from '../scenario/errors.js';
import { scenarioPath } from '../cli/context.js';
import type { Curve, CurvePoint } from './curves.js';

export interface SimulatedCurve {
  curve: Curve;
  /** Simulated values in the measured unit, point for point (null: the run failed or reported nothing). */
  simulated: (number | null)[];
}

/** Mean of |simulated − measured| / measured over the points that ran; null when none did. */
export function meanAbsoluteError(s: SimulatedCurve): number | null {
  let sum = 0, n = 0;
  s.curve.points.forEach((p, i) => {
    const v = s.simulated[i];
    if (v === null || v === undefined) return;
    sum += Math.abs(v - p.measured) / Math.abs(p.measured);
    n++;
  });
  return n === 0 ? null : sum / n;
}

/** fn(), a user error in it told as the point's: its file and line first. */
export function atPoint<T>(point: Pick<CurvePoint, 'origin'>, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${point.origin}: ${e.message}`);
    throw e;
  }
}

export class CurveSimulator {
  private readonly docs = new Map<string, ScenarioDoc>();

  constructor(private readonly lib: ModelLibrary, private readonly seed = 1) {}

  /** A scenario by name (or file), read once. */
  doc(name: string): ScenarioDoc {
    let d = this.docs.get(name);
    if (!d) {
      d = readScenario(scenarioPath(name));
      this.docs.set(name, d);
    }
    return d;
  }

  /** One metric of one run, in the scenario's unit; a distribution's field is named `metric.field`. */
  metric(scenario: string, metricName: string, params: Record<string, string | number | boolean>, overrides: PresetOverrides = {}): number | null {
    const sc = resolveScenario(this.doc(scenario), params, this.lib, '--set', overrides);
    const summary = runScenario(sc, { seed: this.seed, replication: 0 });
    if (summary.status !== 'ok') return null;
    const whole = summary.metrics[metricName];
    if (whole !== undefined) return typeof whole === 'number' ? whole : null;
    const dot = metricName.lastIndexOf('.');
    const dist = summary.metrics[metricName.slice(0, dot)];
    if (dist === undefined) throw new UserError(`${scenario}: no metric "${metricName}" (the run reports ${Object.keys(summary.metrics).slice(0, 8).join(', ')}, ...)`);
    if (!isDistribution(dist)) return null;
    const v = (dist as unknown as Record<string, unknown>)[metricName.slice(dot + 1)];
    return typeof v === 'number' ? v : null;
  }

  simulate(curve: Curve, overrides: PresetOverrides = {}): SimulatedCurve {
    return {
      curve,
      simulated: curve.points.map((p) => {
        const v = atPoint(p, () => this.metric(curve.scenario, curve.metric, p.params, overrides));
        return v === null ? null : v * curve.scale;
      }),
    };
  }
}

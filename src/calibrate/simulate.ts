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
import { percentileFraction, type Curve, type CurvePoint } from './curves.js';
import type { MetricValue } from '../stats/distribution.js';

export interface SimulatedCurve {
  curve: Curve;
  /** Simulated values in the measured unit, point for point (null: the run failed or reported nothing). */
  simulated: (number | null)[];
  /** Points whose run failed, and the first failure's message (a model refusing the setup): a curve with failures is reported, not quietly left blank. */
  failures: { points: number; first: string } | null;
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
  /** The last run's metrics and what set it up: a distribution curve's points share one run. */
  private last: { key: string; metrics: Record<string, MetricValue> | null; error: string | null } | null = null;

  constructor(private readonly lib: ModelLibrary, private readonly seed = 1) {}

  /** What decides a run: points with the same key share one (a distribution's percentiles). */
  static setupKey(scenario: string, params: Record<string, string | number | boolean>, overrides: PresetOverrides): string {
    return JSON.stringify([scenario, params, overrides]);
  }

  /** A scenario by name (or file), read once. */
  doc(name: string): ScenarioDoc {
    let d = this.docs.get(name);
    if (!d) {
      d = readScenario(scenarioPath(name));
      this.docs.set(name, d);
    }
    return d;
  }

  /**
   * One metric of one run, in the scenario's unit; a distribution's field is
   * named `metric.field`, and a percentile the distribution does not list
   * (`p05`, `p995`) is read off its CDF points. Runs are deterministic, so a
   * run with the same setup as the last one is not repeated.
   */
  metric(scenario: string, metricName: string, params: Record<string, string | number | boolean>, overrides: PresetOverrides = {}): number | null {
    const key = CurveSimulator.setupKey(scenario, params, overrides);
    if (this.last?.key !== key) {
      this.last = { key, ...this.run(scenario, params, overrides) };
    }
    const metrics = this.last.metrics;
    if (metrics === null) return null;
    const whole = metrics[metricName];
    if (whole !== undefined) return typeof whole === 'number' ? whole : null;
    const dot = metricName.lastIndexOf('.');
    const dist = metrics[metricName.slice(0, dot)];
    if (dist === undefined) throw new UserError(`${scenario}: no metric "${metricName}" (the run reports ${Object.keys(metrics).slice(0, 8).join(', ')}, ...)`);
    if (!isDistribution(dist)) return null;
    const field = metricName.slice(dot + 1);
    const v = (dist as unknown as Record<string, unknown>)[field];
    if (typeof v === 'number') return v;
    if (/^p\d+$/.test(field)) return dist.cdf.find(([f]) => f === percentileFraction(field))?.[1] ?? null;
    return null;
  }

  /**
   * The metrics of one run, or why there are none. The command checked its
   * own --set flags against each scenario first, so a value refused with no
   * overrides is a point's (a column of its file) and is thrown; with
   * overrides (a fit's candidate, inside the estimates' ranges) it is the
   * candidate's: values the ranges allow one at a time but not together
   * (IOTLB entries its ways do not divide), a run that cannot be, not an end
   * to the fit.
   */
  private run(scenario: string, params: Record<string, string | number | boolean>, overrides: PresetOverrides): { metrics: Record<string, MetricValue> | null; error: string | null } {
    try {
      const summary = runScenario(resolveScenario(this.doc(scenario), params, this.lib, 'column', overrides), { seed: this.seed, replication: 0 });
      return summary.status === 'ok' ? { metrics: summary.metrics, error: null } : { metrics: null, error: summary.error ?? 'the run failed' };
    } catch (e) {
      if (!(e instanceof UserError) || Object.keys(overrides).length === 0) throw e;
      return { metrics: null, error: e.message };
    }
  }

  simulate(curve: Curve, overrides: PresetOverrides = {}): SimulatedCurve {
    let failures: SimulatedCurve['failures'] = null;
    const simulated = curve.points.map((p) => {
      const v = atPoint(p, () => this.metric(curve.scenario, p.field === undefined ? curve.metric : `${curve.metric}.${p.field}`, p.params, overrides));
      const error = this.last?.error ?? null;
      if (error !== null) failures = { points: (failures?.points ?? 0) + 1, first: failures?.first ?? `${p.origin}: ${error}` };
      return v === null ? null : v * curve.scale;
    });
    return { curve, simulated, failures };
  }
}

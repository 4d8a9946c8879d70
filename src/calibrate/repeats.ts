/**
 * Repeated measurements of one point and how far they spread. A point
 * measured more than once (pcie-bench's window sweeps run their window set
 * once per host cache state, which on a host without DDIO are four runs of
 * the same DMA path; two runs on one machine measure the curves the
 * difference between them does not touch alike) is compared at the median of
 * its repeats, and the repeats' mean absolute deviation from that median, as
 * a fraction of it, is the measurement's own spread: the floor below which no
 * deterministic model can bring the error at that point, whatever it models.
 */
import type { Curve, CurvePoint } from './curves.js';

/** The median of a non-empty list (the mean of the middle two of an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Mean of |v − median| / median over the repeats: 0 for a single measurement. */
export function repeatSpread(values: readonly number[]): number {
  const m = median(values);
  return values.reduce((sum, v) => sum + Math.abs(v - m), 0) / values.length / Math.abs(m);
}

/** `point` measured `values` times (its own value among them), where `origin` says: compared at their median, the repeats kept. */
export function withRepeats(point: CurvePoint, values: readonly number[], origin: string): CurvePoint {
  return values.length < 2 ? point : { ...point, measured: median(values), repeats: [...values], origin };
}

/** A point's measurements: its repeats, or its one value. */
const measurementsOf = (p: CurvePoint): readonly number[] => p.repeats ?? [p.measured];

/** The curve's measured spread: repeatSpread averaged over its points measured more than once; null when none was. */
export function measuredSpread(c: Curve): number | null {
  const repeated = c.points.filter((p) => (p.repeats?.length ?? 0) > 1);
  return repeated.length === 0 ? null : repeated.reduce((sum, p) => sum + repeatSpread(p.repeats!), 0) / repeated.length;
}

/**
 * `curves` with the points of the same-named curves in `other` (another run
 * on the same machine) as further repeats, for the curves `alike` holds
 * only (those the runs' difference leaves alone); points are matched by
 * series and x, and a point the other run lacks keeps its own measurements.
 */
export function mergeRuns(curves: readonly Curve[], other: readonly Curve[], alike: (c: Curve) => boolean): Curve[] {
  return curves.map((c) => {
    const o = alike(c) ? other.find((oc) => oc.name === c.name) : undefined;
    if (o === undefined) return c;
    return {
      ...c,
      points: c.points.map((p) => {
        const q = o.points.find((op) => op.x === p.x && op.series === p.series);
        if (q === undefined) return p;
        return withRepeats(p, [...measurementsOf(p), ...measurementsOf(q)], `${p.origin}; ${q.origin}`);
      }),
    };
  });
}

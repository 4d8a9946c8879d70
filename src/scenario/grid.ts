import type { Scalar, SweepSpec } from './schema.js';

/** One point of a sweep: the parameter values it sets (others keep their defaults). */
export type SweepPoint = Record<string, Scalar>;

/**
 * The points of a sweep, in a fixed order: the full cross product of the
 * grid (first-listed parameter varies slowest), with the zipped parameters
 * as one more dimension that advances together.
 */
export function sweepPoints(sweep: Pick<SweepSpec, 'grid' | 'zip'> | undefined): SweepPoint[] {
  const dims: SweepPoint[][] = [];
  for (const [name, values] of Object.entries(sweep?.grid ?? {})) dims.push(values.map((v) => ({ [name]: v })));
  const zip = Object.entries(sweep?.zip ?? {});
  if (zip.length) {
    const n = zip[0]![1].length;
    dims.push(Array.from({ length: n }, (_, i) => Object.fromEntries(zip.map(([name, values]) => [name, values[i]!]))));
  }
  let points: SweepPoint[] = [{}];
  for (const dim of dims) points = points.flatMap((p) => dim.map((d) => ({ ...p, ...d })));
  return points;
}

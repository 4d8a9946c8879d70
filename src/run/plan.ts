import { sweepPoints, type SweepPoint } from '../scenario/grid.js';
import { allInstances, resolveScenario, type ModelLibrary, type ResolvedScenario, type ScenarioDoc } from '../scenario/loader.js';
import type { Scalar, SweepSpec } from '../scenario/schema.js';
import { deriveRunSeed } from '../scenario/seeds.js';
import { UserError } from '../scenario/errors.js';
import type { OverrideOrigin } from '../scenario/params.js';
import { PCIESIM_VERSION } from '../version.js';
import { scenarioColumns, type MetricInfo } from '../scenario/metric-names.js';
import { checkScenarioNames } from '../scenario/check-names.js';
import { checkBuild } from './single.js';

/**
 * What every point of a sweep must pass before any run (`sweep`,
 * `validate`; a single `run` meets the same refusals as it builds): the
 * names only its instances can vouch for, and a build no
 * model refuses, so a value some model refuses stops the sweep with the
 * point named, not as a failed run among the others. Throws a UserError at
 * the first problem.
 */
export function checkPoints(doc: ScenarioDoc, points: readonly ResolvedScenario[]): void {
  checkScenarioNames(doc, points);
  for (const sc of points) checkBuild(sc);
}

/** One run of a sweep. `index` orders results; the id names its folder. */
export interface PlannedRun {
  index: number;
  id: string;
  point: number;
  replication: number;
  seed: number;
  /** The values this grid point sets (other parameters keep their defaults or --set values). */
  values: SweepPoint;
}

export interface ParameterInfo {
  name: string;
  description: string | null;
  unit: string | null;
  /** Values the sweep gives it, in grid order; the single resolved value when it is not swept. */
  values: Scalar[];
}

/**
 * Everything that decides a sweep's results, written as `sweep.json`. Two
 * folders can be merged, or one resumed, only if their manifests agree; the
 * results file carries it, so a report needs nothing else.
 */
export interface SweepManifest {
  pciesim: string;
  scenario: { name: string; description: string; file: string; hash: string };
  seed: number;
  overrides: Record<string, string>;
  points: SweepPoint[];
  replications: number;
  parameters: ParameterInfo[];
  metrics: Record<string, MetricInfo>;
  report: { title: string | null; plots: NonNullable<ScenarioDoc['body']['report']>['plots']; tables: NonNullable<ScenarioDoc['body']['report']>['tables'] };
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface PlanOptions {
  overrides: Record<string, string>;
  seed?: number;
  replications?: number;
  /** Replaces the scenario's sweep grid/zip (from --grid/--zip flags). */
  grid?: Record<string, Scalar[]>;
  zip?: Record<string, Scalar[]>;
}

/** A run's folder name: grid point and replication, zero-padded so folders sort in run order. */
export function runId(point: number, replication: number): string {
  return `p${String(point).padStart(4, '0')}-r${replication}`;
}

/**
 * Resolves every grid point up front, so a bad value anywhere in the sweep
 * is a user error before the first run starts, not a failed run an hour in.
 */
export function planSweep(doc: ScenarioDoc, lib: ModelLibrary, o: PlanOptions): { manifest: SweepManifest; runs: PlannedRun[]; types: string[] } {
  const body = doc.body;
  const spec: Pick<SweepSpec, 'grid' | 'zip'> = {
    grid: o.grid ?? (o.zip ? {} : body.sweep?.grid ?? {}),
    zip: o.zip ?? (o.grid ? {} : body.sweep?.zip ?? {}),
  };
  for (const [name, values] of [...Object.entries(spec.grid), ...Object.entries(spec.zip)]) {
    if (name in o.overrides) throw new UserError(`--set ${name}: "${name}" is also swept; drop one of the two`);
    if (values.length === 0) throw new UserError(`sweep over "${name}" has no values`);
  }
  const zipLengths = new Set(Object.values(spec.zip).map((v) => v.length));
  if (zipLengths.size > 1) throw new UserError(`--zip lists must have equal lengths, got ${[...zipLengths].join(' and ')}`);
  // An error names the flag (or the scenario's own sweep) that gave the value.
  const originOf = (name: string): OverrideOrigin => name in spec.grid ? (o.grid ? '--grid' : 'sweep') : name in spec.zip ? (o.zip ? '--zip' : 'sweep') : '--set';
  const raw = sweepPoints(spec);
  const resolved: ResolvedScenario[] = raw.map((p) => resolveScenario(doc, { ...o.overrides, ...p }, lib, originOf));
  checkPoints(doc, resolved);
  // Values from --grid/--zip arrive as text; keep them typed as the parameters are, so seeds and columns agree.
  const points = raw.map((p, i) => Object.fromEntries(Object.keys(p).map((k) => [k, resolved[i]!.parameters[k]!])));
  const replications = o.replications ?? body.sweep?.replications ?? 1;
  const seed = o.seed ?? body.seed;

  const swept = new Map<string, Scalar[]>();
  for (const name of [...Object.keys(spec.grid), ...Object.keys(spec.zip)]) {
    swept.set(name, [...new Set(points.map((p) => p[name]!))]);
  }
  const parameters: ParameterInfo[] = Object.entries(body.parameters).map(([name, p]) => ({
    name, description: p.description ?? null, unit: p.unit ?? null,
    values: swept.get(name) ?? [resolved[0]!.parameters[name]!],
  }));
  const manifest: SweepManifest = {
    pciesim: PCIESIM_VERSION,
    scenario: { name: body.name, description: body.description, file: doc.file.split(/[\\/]/).pop()!, hash: doc.hash },
    seed, overrides: o.overrides, points, replications, parameters,
    metrics: scenarioColumns(doc, resolved),
    report: { title: body.report?.title ?? null, plots: body.report?.plots ?? [], tables: body.report?.tables ?? [] },
  };
  // The component types some run instantiates (its workers load just these).
  const types = [...new Set(resolved.flatMap((sc) => allInstances(sc).map((c) => c.type.type)))].sort();
  return { manifest, runs: runsOfManifest(manifest), types };
}

/** The runs shard K of N executes: every N-th run, so each shard gets a fair share of every grid region. */
export function shardRuns(runs: readonly PlannedRun[], shard: Shard | undefined): PlannedRun[] {
  return shard ? runs.filter((r) => r.index % shard.count === shard.index - 1) : [...runs];
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UserError(`--shard ${text}: expected K/N with 1 ≤ K ≤ N, e.g. 2/8`);
  return { index, count };
}

/** Every parameter's value at one grid point: the point's own, else the single resolved value. */
export function pointParameters(m: SweepManifest, point: number): Record<string, Scalar> {
  const values = m.points[point]!;
  return Object.fromEntries(m.parameters.map((p) => [p.name, p.name in values ? values[p.name]! : p.values[0]!]));
}

/** The run list of a manifest; merge and report rebuild it without the scenario file. */
export function runsOfManifest(m: SweepManifest): PlannedRun[] {
  const runs: PlannedRun[] = [];
  m.points.forEach((values, point) => {
    const seedParams = pointParameters(m, point);
    for (let replication = 0; replication < m.replications; replication++) {
      runs.push({
        index: runs.length, id: runId(point, replication), point, replication,
        seed: deriveRunSeed(m.seed, seedParams, replication), values,
      });
    }
  });
  return runs;
}

import path from 'node:path';
import { Simulation, type RunResult } from '../sim/simulation.js';
import { formatPath, UserError } from '../scenario/errors.js';
import { DISABLED_TRACER, type RunTracer } from '../trace/channel.js';
import { MAX_TIME } from '../sim/time.js';
import { allInstances, type ResolvedComponent, type ResolvedScenario } from '../scenario/loader.js';
import type { Component, ComponentContext, MetricValue, PortEnd } from '../scenario/registry.js';
import type { PortRef } from '../scenario/topology.js';
import { nameMetrics, statProblems } from '../scenario/metric-names.js';
import { scopedTracer } from '../trace/declared.js';
import { computeDerived } from '../scenario/derived-metrics.js';
import { flattenMetrics } from '../stats/distribution.js';
import { Attribution, type AttributionJSON } from '../stats/attribution.js';
import { PCIESIM_VERSION } from '../version.js';

/** A run's trace file, next to its summary.json. */
export const TRACE_FILE = 'trace.arrow';

export interface RunRequest {
  seed: number;
  replication: number;
  /** Records the run's trace (see openRunTracer); tracing is off without one. */
  tracer?: RunTracer;
}

/** Everything a run reports; summary.json is this object, written with sorted keys. */
export interface RunSummary {
  pciesim: string;
  scenario: { name: string; file: string; hash: string };
  parameters: Record<string, number | string | boolean>;
  seed: number;
  replication: number;
  status: 'ok' | 'failed';
  error: string | null;
  simulated_ps: number;
  events: number;
  stop_reason: string;
  fingerprint: string;
  metrics: Record<string, MetricValue>;
  /** Time charged per component, summed over every instance's ledger (see stats/attribution). */
  attribution: AttributionJSON;
  /** Named time series, named like metrics. */
  series: Record<string, [number, number][]>;
}

/**
 * The tracer for one run writing `file`, or the disabled one when the
 * scenario's tracing is off. The Arrow writer is loaded only here, so runs
 * without tracing never load it.
 */
export async function openRunTracer(sc: ResolvedScenario, req: RunRequest, file: string): Promise<RunTracer> {
  if (!sc.trace.enabled) return DISABLED_TRACER;
  const { openTracer } = await import('../trace/tracer.js');
  return openTracer(file, sc.trace, {
    scenario: sc.name, scenarioHash: sc.doc.hash, parameters: sc.parameters,
    seed: req.seed, replication: req.replication, pciesimVersion: PCIESIM_VERSION,
  });
}

/**
 * Creates every instance of `sc` on `sim` (slots before their owner, which
 * takes them at creation; components in scenario order; then links),
 * connects them and starts them, in that order, ready to run.
 *
 * Models refuse out-of-range values with a RangeError. Thrown now, before
 * the run, it is a value the scenario gave, or a combination of values the
 * schema cannot see (IOTLB ways that do not divide its entries, a memory
 * the IOMMU cannot map in whole pages): a UserError naming the file, the
 * instance's place in it and the run's parameters.
 */
export function buildScenario(sc: ResolvedScenario, sim: Simulation, tracer: RunTracer): Map<string, Component> {
  const instances = new Map<string, Component>();
  const context = (inst: ResolvedComponent, ends?: ComponentContext['ends']): ComponentContext => ({
    sim,
    name: inst.name,
    warmup: sc.run.warmup ?? 0,
    tracer: scopedTracer(tracer, inst.name, inst.type),
    rng: (stream) => sim.rng(`${inst.name}/${stream}`),
    peer: <T extends Component>(other: string) => {
      const c = instances.get(other);
      if (!c) throw new Error(`component "${inst.name}" asked for "${other}", which is not built (yet)`);
      return c as T;
    },
    slot: <T extends Component>(slot: string) => {
      if (!(inst.type.slots ?? []).some((d) => d.name === slot)) throw new Error(`${inst.name} (${inst.type.type}) asked for slot "${slot}", which its type does not declare`);
      return (instances.get(`${inst.name}.${slot}`) as T | undefined) ?? null;
    },
    ...(ends ? { ends } : {}),
  });
  const links = new Set<ResolvedComponent>(sc.links);
  const order = allInstances(sc);
  let building: ResolvedComponent | null = null;
  try {
    for (const inst of order) {
      building = inst;
      const end = (r: PortRef): PortEnd => ({ component: r.component, instance: instances.get(r.component)!, port: r.port });
      const l = links.has(inst) ? (inst as (typeof sc.links)[number]) : undefined;
      instances.set(inst.name, inst.type.create(context(inst, l ? [end(l.a), end(l.b)] : undefined), inst.params));
    }
    for (const inst of order) { building = inst; instances.get(inst.name)!.connect?.(); }
    for (const inst of order) { building = inst; instances.get(inst.name)!.start?.(); }
  } catch (e) {
    if (!(e instanceof RangeError) || building === null || ENGINE_LIMIT.test(e.message)) throw e;
    throw new UserError(`${sc.doc.file}: ${formatPath(building.path)} (${building.name}, ${building.type.type}): ${e.message}${describeParameters(sc)}`);
  }
  return instances;
}

/**
 * RangeErrors JavaScript itself throws (a recursion too deep, a Map or an
 * array past its size limit): a model that hit them has a bug or a limit of
 * its own, not a value the scenario got wrong.
 */
const ENGINE_LIMIT = /^(Maximum call stack size exceeded|Map maximum size exceeded|Set maximum size exceeded|Invalid array length|Invalid typed array length|Array buffer allocation failed|Invalid string length)/;

/**
 * Builds `sc` as a run would, on a simulation of its own that never runs: a
 * sweep checks every point so, so that a value some model refuses stops it
 * before any run, with the point named (buildScenario).
 */
export function checkBuild(sc: ResolvedScenario): void {
  try {
    buildScenario(sc, new Simulation(), DISABLED_TRACER);
  } catch (e) {
    // Anything else is a model's bug: the point's runs report it, each a failed run, as they would unchecked.
    if (e instanceof UserError) throw e;
  }
}

/**
 * Builds every component of a resolved scenario on a fresh simulation, starts
 * them, runs to the scenario's stop time and collects their metrics.
 * A run depends only on (scenario, parameters, seed, replication).
 */
export function runScenario(sc: ResolvedScenario, req: RunRequest): RunSummary {
  const sim = new Simulation({ seed: req.seed, replication: req.replication, fingerprint: true });
  const tracer = req.tracer ?? DISABLED_TRACER;
  const base = {
    pciesim: PCIESIM_VERSION,
    scenario: { name: sc.name, file: path.basename(sc.doc.file), hash: sc.doc.hash },
    parameters: sc.parameters,
    seed: req.seed,
    replication: req.replication,
  };
  /** A run that a model bug ended: reported, with what it had done, so a sweep carries on. */
  const failed = (error: string, stopReason: RunSummary['stop_reason']): RunSummary => ({
    ...base, status: 'failed', error,
    simulated_ps: sim.now, events: sim.eventCount, stop_reason: stopReason, fingerprint: sim.fingerprint(),
    metrics: {}, attribution: new Attribution().toJSON(), series: {},
  });
  let r: RunResult;
  let instances: Map<string, Component>;
  try {
    instances = buildScenario(sc, sim, tracer);
    r = sim.run({
      ...(sc.run.until !== undefined ? { until: Math.min(sc.run.until, MAX_TIME) } : {}),
      ...(sc.run.maxEvents !== undefined ? { maxEvents: sc.run.maxEvents } : {}),
    });
  } catch (e) {
    // A model that throws is a bug in the model, not in the scenario (buildScenario turns what is the
    // scenario's into a UserError): the run is reported as failed (a sweep carries on with the other
    // runs), and its trace, whole up to the failure, is kept for finding the bug.
    if (e instanceof UserError) { tracer.abort(); throw e; }
    tracer.close();
    return failed(e instanceof Error ? e.message : String(e), 'error');
  }
  tracer.close();
  // Nothing left to happen while a process or a component's work still waits: it waits for what can no longer come.
  const stuck = sim.pending === 0 ? stillWaiting(sim, instances) : [];
  if (stuck.length > 0) return failed(`deadlock: the run ran out of events with ${stuck.join('; ')} still waiting (a wait that nothing can end: a model bug, or components that wait for one another)`, r.reason);
  const broken = [...instances].flatMap(([name, inst]) => (inst.invariants?.() ?? []).map((m) => `${name}: ${m}`));
  if (broken.length > 0) return failed(`conservation check failed (a model bug): ${broken.join('; ')}`, r.reason);
  const reported = allInstances(sc).map((inst) => ({ inst, component: inst.name, metrics: instances.get(inst.name)!.metrics?.() ?? {} }));
  const undeclared = reported.flatMap((x) => statProblems(x.component, x.inst.type.stats, x.metrics));
  if (undeclared.length > 0) return failed(`statistics do not match their declarations (a model bug): ${undeclared.join('; ')}`, r.reason);
  const named = nameMetrics(reported);
  const metrics: Record<string, MetricValue> = { ...named, ...computeDerived(sc.doc.body.metrics, flattenMetrics(named)) };
  const series = nameMetrics([...instances].map(([component, inst]) => ({ component, metrics: inst.series?.() ?? {} })));
  const attribution = new Attribution();
  for (const inst of instances.values()) {
    const a = inst.attribution?.();
    if (a) attribution.merge(a);
  }
  return {
    ...base,
    status: 'ok',
    error: null,
    simulated_ps: sim.now,
    events: sim.eventCount,
    stop_reason: r.reason,
    fingerprint: sim.fingerprint(),
    metrics,
    attribution: attribution.toJSON(),
    series,
  };
}

/** What still waits at the end of `sim`'s run: its unfinished processes, counted, then each instance's unfinished work. */
function stillWaiting(sim: Simulation, instances: ReadonlyMap<string, Component>): string[] {
  const processes = sim.unfinishedProcesses();
  return [
    ...(processes.length > 0 ? [describeProcesses(processes)] : []),
    ...[...instances].flatMap(([name, c]) => (c.unfinished?.() ?? []).map((work) => `${name}'s ${work}`)),
  ];
}

/** `names` of the processes left waiting, counted: "3 processes (a ×2, b)", the first few names only. */
function describeProcesses(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const shown = [...counts].slice(0, STUCK_NAMES_SHOWN).map(([n, c]) => (c > 1 ? `${n} ×${c}` : n));
  const more = counts.size > STUCK_NAMES_SHOWN ? `, and ${counts.size - STUCK_NAMES_SHOWN} more` : '';
  return `${names.length} process${names.length === 1 ? '' : 'es'} (${shown.join(', ')}${more})`;
}

/** How many distinct process names a deadlock's message lists. */
const STUCK_NAMES_SHOWN = 5;

/** The scenario's parameter values, for a message about a run of them (a sweep runs many): "" when it has none. */
function describeParameters(sc: ResolvedScenario): string {
  const entries = Object.entries(sc.parameters);
  return entries.length === 0 ? '' : ` (parameters ${entries.map(([k, v]) => `${k}=${String(v)}`).join(', ')})`;
}

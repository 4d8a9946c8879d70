import path from 'node:path';
import { Simulation } from '../sim/simulation.js';
import { MAX_TIME } from '../sim/time.js';
import type { ResolvedScenario } from '../scenario/loader.js';
import type { Component, ComponentContext, MetricValue } from '../scenario/registry.js';
import { nameMetrics } from './metrics.js';
import { PCIESIM_VERSION } from '../version.js';

export interface RunRequest {
  seed: number;
  replication: number;
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
}

/**
 * Builds every component of a resolved scenario on a fresh simulation, starts
 * them, runs to the scenario's stop time and collects their metrics.
 * A run depends only on (scenario, parameters, seed, replication).
 */
export function runScenario(sc: ResolvedScenario, req: RunRequest): RunSummary {
  const sim = new Simulation({ seed: req.seed, replication: req.replication, fingerprint: true });
  const instances = new Map<string, Component>();
  const context = (name: string): ComponentContext => ({
    sim,
    name,
    warmup: sc.run.warmup ?? 0,
    rng: (stream) => sim.rng(`${name}/${stream}`),
    peer: <T extends Component>(other: string) => {
      const c = instances.get(other);
      if (!c) throw new Error(`component "${name}" asked for "${other}", which is not built (yet)`);
      return c as T;
    },
  });
  for (const c of sc.components) instances.set(c.name, c.type.create(context(c.name), c.params));
  for (const c of instances.values()) c.start?.();
  const r = sim.run({
    ...(sc.run.until !== undefined ? { until: Math.min(sc.run.until, MAX_TIME) } : {}),
    ...(sc.run.maxEvents !== undefined ? { maxEvents: sc.run.maxEvents } : {}),
  });
  const metrics = nameMetrics([...instances].map(([component, inst]) => ({ component, metrics: inst.metrics?.() ?? {} })));
  return {
    pciesim: PCIESIM_VERSION,
    scenario: { name: sc.name, file: path.basename(sc.doc.file), hash: sc.doc.hash },
    parameters: sc.parameters,
    seed: req.seed,
    replication: req.replication,
    status: 'ok',
    error: null,
    simulated_ps: sim.now,
    events: sim.eventCount,
    stop_reason: r.reason,
    fingerprint: sim.fingerprint(),
    metrics,
  };
}

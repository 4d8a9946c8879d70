import type { z } from 'zod';
import type { RandomStream } from '../sim/random.js';
import type { Simulation } from '../sim/simulation.js';
import type { Attribution } from '../stats/attribution.js';
import type { Tracer } from '../trace/channel.js';

/** A distribution reported as a metric: summary.json keeps it nested, results.arrow flattens it. */
export interface DistributionMetric {
  count: number;
  mean: number | null;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  /** (fraction, value) pairs on CDF_FRACTIONS, for CDF plots; left out of flat tables. */
  cdf: [number, number][];
}

export type MetricValue = number | string | boolean | null | DistributionMetric;

/** A statistic a component type declares once; tooling and reports read these declarations. */
export interface StatDecl {
  name: string;
  unit: string;
  description: string;
  /** 'scalar' (default) or 'distribution' (p50/p90/p99/p99.9/mean/min/max). */
  kind?: 'scalar' | 'distribution';
}

/** What the engine hands a component when it builds it. */
export interface ComponentContext {
  readonly sim: Simulation;
  /** The instance's name in the scenario. */
  readonly name: string;
  /** Statistics leave out samples before this time (the scenario's run.warmup, 0 if none). */
  readonly warmup: number;
  /** Trace recording: ask for channels at setup; a channel is null when not selected (see trace/tracer). */
  readonly tracer: Tracer;
  /** A random stream private to this instance: the stream name is prefixed with the instance name. */
  rng(stream: string): RandomStream;
  /** Another instance, by name, for components that drive or query others. */
  peer<T extends Component = Component>(name: string): T;
}

export interface Component {
  /** Called once every component is built, at time 0, before the run. */
  start?(): void;
  /** The instance's statistics at the end of the run, keyed by declared stat name. */
  metrics?(): Record<string, MetricValue>;
  /** Where the instance's transactions spent their time (see stats/attribution). */
  attribution?(): Attribution;
  /** Named time series (e.g. throughput per window) as (time ps, value) pairs in time order. */
  series?(): Record<string, [number, number][]>;
}

/**
 * A kind of component a scenario can instantiate (SST's element model): its
 * parameters, as a zod schema whose fields carry their descriptions and
 * defaults; the statistics it reports; and a factory.
 */
export interface ComponentType<P = any> {
  readonly type: string;
  readonly description: string;
  readonly params: z.ZodType<P, any>;
  readonly stats: readonly StatDecl[];
  create(ctx: ComponentContext, params: P): Component;
}

/** The set of component types a run can use, ordered by name for listings. */
export class Catalog {
  private readonly types = new Map<string, ComponentType>();

  register(t: ComponentType): this {
    if (this.types.has(t.type)) throw new Error(`component type '${t.type}' is registered twice`);
    this.types.set(t.type, t);
    return this;
  }

  get(type: string): ComponentType | undefined {
    return this.types.get(type);
  }

  list(): ComponentType[] {
    return [...this.types.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  names(): string[] {
    return this.list().map((t) => t.type);
  }
}

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
  /** For a link instance: the two ports it joins, as the scenario gives them (a, then b). */
  readonly ends?: readonly [PortEnd, PortEnd];
}

/**
 * A named port a component instance offers for links (SST's ports). `kind`
 * says what may be joined to it: a link type lists the pair of kinds it
 * joins. A `required` port must be linked for the scenario to be valid.
 */
export interface PortDecl {
  name: string;
  kind: string;
  required?: boolean;
  description: string;
}

/** One end of a link, at run time. */
export interface PortEnd {
  /** The instance's name and the built instance (links are built after every component). */
  readonly component: string;
  readonly instance: Component;
  readonly port: string;
}

/** The scenario's components and links after parameters resolved, as topology checks see them. */
export interface TopologyView {
  readonly nodes: readonly TopologyNode[];
  readonly links: readonly TopologyLink[];
  node(name: string): TopologyNode | undefined;
}

export interface TopologyNode {
  readonly name: string;
  readonly type: string;
  readonly params: unknown;
  /** Field path of the instance in the scenario file, e.g. ['components', 2]. */
  readonly path: readonly (string | number)[];
  /** The links on this node's ports, in scenario order. */
  readonly links: readonly { port: string; link: TopologyLink; far: { node: TopologyNode; port: string } }[];
}

export interface TopologyLink {
  readonly name: string;
  readonly type: string;
  readonly params: unknown;
  readonly path: readonly (string | number)[];
  readonly a: { node: TopologyNode; port: string };
  readonly b: { node: TopologyNode; port: string };
}

/** A topology problem a component type found, at a field path of the scenario file. */
export interface TopologyIssue {
  path: readonly (string | number)[];
  message: string;
}

export interface Component {
  /**
   * Called once every component and link is built, before any start(): the
   * place to build what depends on the neighbours (routing tables, links).
   * Components are connected in scenario order, then links.
   */
  connect?(): void;
  /** Called once every component is connected, at time 0, before the run. */
  start?(): void;
  /** The instance's statistics at the end of the run, keyed by declared stat name. */
  metrics?(): Record<string, MetricValue>;
  /**
   * Checks of the instance's own bookkeeping (conservation: nothing lost,
   * duplicated or negative), at the end of the run. Any message is a model
   * bug: the run is reported failed with it.
   */
  invariants?(): string[];
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
  /**
   * Preset types this type also takes besides its own: shared parameter
   * groups (e.g. one platform's hypervisor costs) that several component
   * types include under the same keys.
   */
  readonly presetTypes?: readonly string[];
  /** The ports an instance with these parameters offers (none if absent). */
  ports?(params: P): PortDecl[];
  /** Marks a link type: the two port kinds it joins, in either order. */
  readonly joins?: readonly [string, string];
  /**
   * Checks of an instance against the rest of the topology, run when the
   * scenario is loaded (so `pciesim validate` finds them) after the engine's
   * own port checks: e.g. reachability, overlapping address ranges.
   */
  checkTopology?(self: TopologyNode | TopologyLink, view: TopologyView): TopologyIssue[];
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

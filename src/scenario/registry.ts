/**
 * Component types: what a scenario can instantiate (SST's element model). A
 * type declares, once, everything tooling and the engine need to know of it:
 * its parameters (a zod schema whose fields carry descriptions, units and
 * spec defaults), the preset that gives its platform values, its slots
 * (subcomponents), the interfaces it provides (what slots and references
 * may take it as), its ports, the facts topology checks read, its statistics
 * and its trace kinds. `pciesim list`, the JSON Schema, `validate`, the
 * generated docs and the run itself all read these declarations, and the
 * engine enforces them: a statistic reported but not declared, or declared
 * but not reported, fails the run.
 */
import type { z } from 'zod';
import type { RandomStream } from '../sim/random.js';
import type { Simulation } from '../sim/simulation.js';
import type { Attribution } from '../stats/attribution.js';
import type { MetricValue } from '../stats/distribution.js';
import type { Tracer } from '../trace/channel.js';
import { unitNameProblem } from './stat-units.js';

export type { DistributionMetric, MetricValue } from '../stats/distribution.js';

/** A statistic a component type declares once; tooling and reports read these declarations. */
export interface StatDecl {
  /** `<what>_<unit suffix>` for units that have one (stat-units.ts): `latency_ns`, `read_bytes`. */
  name: string;
  /** A unit of stat-units.ts (ns, B, GB/s, ...), 'fraction', a count noun ('TLPs'), or '' for a category. */
  unit: string;
  description: string;
  /** 'scalar' (default) or 'distribution' (p50/p90/p99/p99.9/mean/min/max). */
  kind?: 'scalar' | 'distribution';
}

/** A kind of trace row a component type records (its `kind` column). */
export interface TraceKindDecl {
  kind: string;
  description: string;
  /** One row per TLP or per page-walk step: recorded only when an include pattern selects it. */
  hot?: boolean;
  /** Parts of the instance the kind is recorded under, as component "<instance>.<part>" (a link's directions "ab", "ba"); absent: the instance itself. */
  parts?: readonly string[];
}

/**
 * A slot: a subcomponent the instance owns (SST's subcomponent, gem5's child
 * object as a parameter): a root complex's `memory` and `iommu`, an
 * endpoint's `bar`. The scenario (or the preset) fills it with an instance of
 * any type that provides `accepts`, with its own preset and params; the
 * instance is named `<owner>.<slot>` and reports its own statistics.
 */
export interface SlotDecl {
  name: string;
  /** The interface a filling type must provide (its type name, or one of its `provides`). */
  accepts: string;
  /** Must be filled (by the scenario, the preset or `default`). */
  required?: boolean;
  /** What fills the slot when neither the scenario nor the preset does. */
  default?: { type: string; preset?: string };
  description: string;
}

/** What the engine hands a component when it builds it. */
export interface ComponentContext {
  readonly sim: Simulation;
  /** The instance's name in the scenario ("rc"; "rc.iommu" for a slot's). */
  readonly name: string;
  /** Statistics leave out samples before this time (the scenario's run.warmup, 0 if none). */
  readonly warmup: number;
  /** Trace recording: ask for channels at setup; a channel is null when not selected (see trace/tracer). */
  readonly tracer: Tracer;
  /** A random stream private to this instance: the stream name is prefixed with the instance name. */
  rng(stream: string): RandomStream;
  /** Another instance, by name (a reference parameter's value); built before any connect(). */
  peer<T extends Component = Component>(name: string): T;
  /** The built instance in one of this instance's slots, or null if the slot is empty. Slots are built before their owner. */
  slot<T extends Component = Component>(name: string): T | null;
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
  /** What the type declares of this instance (ComponentType.facts): role-specific numbers topology checks read. */
  readonly facts: object;
  /** The instance's filled slots, by name. */
  readonly filledSlots: readonly string[];
  /** True if the type provides `iface` (its own type name or a declared interface). */
  provides(iface: string): boolean;
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
   * Instances are connected in build order (slots before their owner,
   * components in scenario order), then links.
   */
  connect?(): void;
  /** Called once every component is connected, at time 0, before the run. */
  start?(): void;
  /** The instance's statistics at the end of the run: exactly the declared ones, by name (null where not applicable). */
  metrics?(): Record<string, MetricValue>;
  /**
   * Checks of the instance's own bookkeeping (conservation: nothing lost,
   * duplicated or negative), at the end of the run. Any message is a model
   * bug: the run is reported failed with it.
   */
  invariants?(): string[];
  /**
   * The work the instance took on and has not finished, in words ("3 of 40
   * transfers"), for work that waits on callbacks rather than in a process.
   * Asked only when a run ends with nothing left to happen: then nothing can
   * finish it, a deadlock, and the run is reported failed with it.
   */
  unfinished?(): string[];
  /** Where the instance's transactions spent their time (see stats/attribution). */
  attribution?(): Attribution;
  /** Named time series (e.g. throughput per window) as (time ps, value) pairs in time order; named like statistics. */
  series?(): Record<string, [number, number][]>;
}

/**
 * A kind of component a scenario can instantiate: its declarations and a
 * factory. Write one with `defineComponent`, which types the factory's
 * parameters from the schema and marks the object so the model library
 * finds it without being told.
 */
export interface ComponentType<P = any> {
  readonly type: string;
  readonly description: string;
  /** Interfaces the type provides besides its own name: what slots and references may take it as (e.g. 'memory'). */
  readonly provides?: readonly string[];
  readonly params: z.ZodType<P, any>;
  /** The preset used when a scenario names none: where the type's platform values live, each with its source. */
  readonly defaultPreset?: string;
  readonly slots?: readonly SlotDecl[];
  readonly stats: readonly StatDecl[];
  readonly traceKinds?: readonly TraceKindDecl[];
  /** Preset types this type also takes besides its own (transitional: the Xen study types' shared platform group). */
  readonly presetTypes?: readonly string[];
  create(ctx: ComponentContext, params: P): Component;
  /** The ports an instance with these parameters offers (none if absent). */
  ports?(params: P): PortDecl[];
  /** Marks a link type: the two port kinds it joins, in either order. */
  readonly joins?: readonly [string, string];
  /** Facts about an instance that topology checks read instead of its type name (e.g. a PCIe function's MPS and BARs). */
  facts?(params: P): object;
  /**
   * Checks of an instance against the rest of the topology, run when the
   * scenario is loaded (so `pciesim validate` finds them) after the engine's
   * own port checks: e.g. reachability, overlapping address ranges.
   */
  checkTopology?(self: TopologyNode | TopologyLink, view: TopologyView): TopologyIssue[];
}

/** The mark `defineComponent` puts on a type, so model discovery can tell types from other exports. */
export const COMPONENT_TYPE_MARK = Symbol.for('pciesim.component-type');

/** Declares a component type; its factory's parameters are typed from the schema. */
export function defineComponent<S extends z.ZodType>(t: Omit<ComponentType<z.output<S>>, 'params'> & { params: S }): ComponentType<z.output<S>> {
  return Object.defineProperty({ ...t }, COMPONENT_TYPE_MARK, { value: true, enumerable: false }) as ComponentType<z.output<S>>;
}

export function isComponentType(x: unknown): x is ComponentType {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[COMPONENT_TYPE_MARK] === true;
}

/** True if the type is `iface` or declares it among what it provides. */
export function typeProvides(t: ComponentType, iface: string): boolean {
  return t.type === iface || (t.provides?.includes(iface) ?? false);
}

const TYPE_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const STAT_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * What is wrong with a type's declarations (a model bug, found when the
 * library loads, before any scenario): names, units, duplicates.
 */
export function declarationProblems(t: ComponentType): string[] {
  const out: string[] = [];
  if (!TYPE_NAME.test(t.type)) out.push(`type name "${t.type}": expected "<family>.<name>" in lower case, e.g. "pcie.switch"`);
  const seen = new Set<string>();
  for (const s of t.stats) {
    if (seen.has(s.name)) out.push(`statistic "${s.name}" is declared twice`);
    seen.add(s.name);
    if (!STAT_NAME.test(s.name)) out.push(`statistic "${s.name}": expected lower case letters, digits and "_"`);
    const unit = unitNameProblem(s.name, s.unit);
    if (unit) out.push(`statistic "${s.name}": ${unit}`);
  }
  const kinds = new Set<string>();
  for (const k of t.traceKinds ?? []) {
    if (kinds.has(k.kind)) out.push(`trace kind "${k.kind}" is declared twice`);
    kinds.add(k.kind);
  }
  const slots = new Set<string>();
  for (const s of t.slots ?? []) {
    if (slots.has(s.name)) out.push(`slot "${s.name}" is declared twice`);
    slots.add(s.name);
  }
  return out;
}

/** The set of component types a run can use, ordered by name for listings. */
export class Catalog {
  private readonly types = new Map<string, ComponentType>();

  register(t: ComponentType): this {
    if (this.types.has(t.type)) throw new Error(`component type '${t.type}' is registered twice`);
    const problems = declarationProblems(t);
    if (problems.length) throw new Error(`component type '${t.type}': ${problems.join('; ')}`);
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

  /** The types that provide `iface`, in name order. */
  providing(iface: string): ComponentType[] {
    return this.list().filter((t) => typeProvides(t, iface));
  }
}

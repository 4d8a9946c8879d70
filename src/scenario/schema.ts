import { z } from 'zod';
import { duration } from './units.js';
import { derivedMetricSpec } from './derived-metrics.js';

/**
 * The envelope of a scenario file. Component parameters are checked later,
 * against each component type's own schema, once parameter references and
 * presets have been resolved.
 */

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const INSTANCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const scalar = z.union([z.number(), z.string(), z.boolean()]);
export type Scalar = z.infer<typeof scalar>;

/** What fills a slot, in a preset or a scenario: a type, a preset, params, and its own slots. */
export const slotFill: z.ZodType<SlotFill> = z.strictObject({
  enabled: z.union([z.boolean(), z.enum(['on', 'off']), z.string()]).optional()
    .describe('false or "off" leaves the slot empty (e.g. no IOMMU); may be a "$parameter"'),
  type: z.string().optional().describe('The component type in the slot (default: the preset\'s, or the slot\'s default)'),
  preset: z.string().optional().describe('A preset for it; may be a "$parameter"'),
  params: z.record(z.string(), z.unknown()).optional().describe('Its parameters; any value may be a "$parameter" reference'),
  get slots() {
    return z.record(z.string(), slotFill).optional().describe('Its own slots');
  },
});
export interface SlotFill {
  enabled?: boolean | string | undefined;
  type?: string | undefined;
  preset?: string | undefined;
  params?: Record<string, unknown> | undefined;
  slots?: Record<string, SlotFill> | undefined;
}

export const parameterSpec = z.strictObject({
  default: scalar.describe('Value used when neither --set nor a sweep gives one'),
  description: z.string().optional(),
  unit: z.string().optional().describe('The unit of its values. A quantity unit (B; ps, ns, us, ms, s; GB/s) makes it a quantity: values may be written "4 KiB", "250 ns", "7.1 GB/s" or as numbers in this unit, and are stored as numbers in it. A default written with a unit ("64 KiB") makes it a quantity too (in B, ns or GB/s)'),
  values: z.array(scalar).min(1).optional().describe('The only values allowed, if the parameter is a choice'),
});

export const componentSpec = z.strictObject({
  name: z.string().regex(INSTANCE_NAME, 'a name of letters, digits, "_" and "-", starting with a letter or "_"'),
  type: z.string().describe('A component type (see `pciesim list types`)'),
  preset: z.string().optional().describe('A preset under models/presets merged under params; may be a "$parameter"'),
  params: z.record(z.string(), z.unknown()).default({}).describe('Parameters of the component type; any value may be a "$parameter" reference'),
  slots: z.record(z.string(), slotFill).default({}).describe('Subcomponents the type declares slots for (e.g. a root complex\'s "memory" and "iommu"), each { type, preset, params, slots }'),
  when: z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).optional()
    .describe('The component exists only where each named parameter has this value (or one of these values), e.g. {"system": "kvm"}'),
});

/** "instance.port": one end of a link. */
export const PORT_REF = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)$/;

export const linkSpec = z.strictObject({
  name: z.string().regex(INSTANCE_NAME, 'a name of letters, digits, "_" and "-", starting with a letter or "_"').optional()
    .describe('Instance name for metrics and traces (default: link<index>)'),
  type: z.string().describe('A link type (see `pciesim list types`)'),
  a: z.string().regex(PORT_REF, 'a port as "component.port", e.g. "rc.rp0"').describe('One end: "component.port"'),
  b: z.string().regex(PORT_REF, 'a port as "component.port", e.g. "sw0.up"').describe('The other end: "component.port"'),
  preset: z.string().optional().describe('A preset under models/presets merged under params; may be a "$parameter"'),
  params: z.record(z.string(), z.unknown()).default({}).describe('Parameters of the link type; any value may be a "$parameter" reference'),
});

export const sweepSpec = z.strictObject({
  grid: z.record(z.string(), z.array(scalar).min(1)).default({}).describe('Full cross product over these parameters'),
  zip: z.record(z.string(), z.array(scalar).min(1)).default({})
    .describe('Parameters that advance together (equal-length lists), crossed with the grid'),
  replications: z.number().int().min(1).default(1),
});

export const runSpec = z.strictObject({
  until: duration().describe('Simulated time to stop at, e.g. "10 ms"; omit to run until no event is left'),
  warmup: duration().optional().describe('Samples before this time are left out of the statistics'),
  maxEvents: z.number().int().positive().optional().describe('Safety stop after this many events'),
}).partial();

export const traceSpec = z.strictObject({
  enabled: z.boolean().default(false),
  include: z.array(z.string()).default([]).describe('component/kind patterns to record, "*" wildcards'),
  exclude: z.array(z.string()).default([]),
});

export const plotSpec = z.strictObject({
  metric: z.string().describe('A metric column, e.g. "sojourn_ns.p99" or "throughput_per_us"'),
  x: z.string().describe('The parameter on the x axis'),
  series: z.string().optional().describe('The parameter that gives one line per value'),
  title: z.string().optional(),
  logX: z.boolean().default(false),
  logY: z.boolean().default(false),
  where: z.record(z.string(), scalar).optional().describe('Only the runs with these parameter values, e.g. {"op": "read"}'),
});

export const pivotSpec = z.strictObject({
  title: z.string().optional(),
  metric: z.string().describe('The metric in the cells (the mean over a cell\'s successful runs)'),
  rows: z.string().describe('The parameter whose values are the rows'),
  columns: z.string().describe('The parameter whose values are the columns'),
  where: z.record(z.string(), scalar).optional().describe('Only the runs with these parameter values'),
  best: z.enum(['min', 'max']).optional().describe('Mark the best cell of each row'),
  finding: z.string().optional().describe('The question the table answers, e.g. "Which gref scheme for which buffer size?"; the report opens with it, the table and a sentence saying which column is best where'),
});

export const sensitivitySpec = z.strictObject({
  metric: z.string().describe('The metric (a results column, e.g. "round_ns_per_op" or "latency_ns.p50") whose response is measured'),
  at: z.record(z.string(), scalar).default({}).describe('Parameter values of the base point (the rest at their defaults)'),
}).describe("One-at-a-time sensitivity: every preset value marked as an estimate with a range is run at both ends of it, the others at the base point; the report ranks which estimate moves the metric most");

export const reportSpec = z.strictObject({
  title: z.string().optional().describe("The report section's title (default: the scenario name)"),
  plots: z.array(plotSpec).default([]).describe('Metric-vs-parameter plots; empty gives a default set'),
  tables: z.array(pivotSpec).default([]).describe('Tables of one metric, rows by one parameter and columns by another, e.g. "which scheme for which size"'),
  sensitivity: sensitivitySpec.optional(),
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().nonnegative().default(1),
  parameters: z.record(z.string().regex(PARAM_NAME), parameterSpec).default({}),
  components: z.array(componentSpec).min(1),
  links: z.array(linkSpec).default([]).describe('Links joining two components\' ports (the topology)'),
  metrics: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower case letters, digits and "_", ending in its unit\'s suffix (e.g. "_gbytes_per_s")'), derivedMetricSpec).default({})
    .describe('Metrics of the scenario\'s own: an alias of a column ("name": "dma.latency_ns.p50") or { "op": "sum" | "mean" | "min" | "max" | "jain" | "ratio", "of": [columns] }'),
  run: runSpec.default({}),
  trace: traceSpec.default({ enabled: false, include: [], exclude: [] }),
  sweep: sweepSpec.optional(),
  report: reportSpec.optional(),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type ParameterSpec = z.infer<typeof parameterSpec>;
export type SweepSpec = z.infer<typeof sweepSpec>;
export type LinkSpec = z.infer<typeof linkSpec>;
export type SensitivitySpec = z.infer<typeof sensitivitySpec>;
export type PivotSpec = z.infer<typeof pivotSpec>;
export type PlotSpec = z.infer<typeof plotSpec>;

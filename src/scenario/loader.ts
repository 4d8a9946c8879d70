import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { didYouMean } from '../util/did-you-mean.js';
import { fieldError, UserError } from './errors.js';
import { normalizeQuantity, parameterQuantities, resolveParameters, substituteRefs, type OverrideOrigins, type ParameterQuantity, type ParamValues } from './params.js';
import { mergeSlotFill, presetValues, type Preset, type PresetLibrary } from './presets.js';
import { typeProvides, type Catalog, type ComponentType, type SlotDecl } from './registry.js';
import { scenarioSchema, type ParameterSpec, type Scalar, type ScenarioFile, type SlotFill, type SweepSpec } from './schema.js';
import { runSpec, traceSpec } from './schema.js';
import { zodToUserError } from './zod-errors.js';
import { checkTopology, portRef, type PortRef } from './topology.js';
import { parseJsonText, readTextFile } from './json-file.js';
import { findRefs } from './refs.js';
import type { Importer } from './importer.js';

/** What a scenario run needs from the model library. */
export interface ModelLibrary {
  catalog: Catalog;
  presets: PresetLibrary;
  /** Scenario names (in scenarios/) the quick-start report sweeps. */
  quickstart: string[];
  /** Importers by format name, for `pciesim import` (e.g. "lspci"). */
  importers: Readonly<Record<string, Importer>>;
  /** The module file each component type comes from (see loadModelLibrary's `only`). */
  modules: ReadonlyMap<string, string>;
}

/** A scenario file, read and checked at the envelope level, not yet bound to parameter values. */
export interface ScenarioDoc {
  file: string;
  hash: string;
  body: ScenarioFile;
}

export interface ResolvedComponent {
  /** The instance's name: the scenario's for a component or link, "<owner>.<slot>" for a slot's. */
  name: string;
  type: ComponentType;
  /** The preset merged under its params, if any (the scenario's, the owner preset's, the slot default's or the type's default). */
  preset: string | undefined;
  params: unknown;
  /** Parameter keys the scenario sets itself (a sensitivity study leaves those alone). */
  ownKeys: readonly string[];
  /** Where it is in the scenario file, e.g. ['components', 2] or ['components', 2, 'slots', 'memory']. */
  path: (string | number)[];
  /** Its filled slots, in the order the type declares them. */
  slots: ResolvedComponent[];
}

/** A link: a resolved instance of a link type, and the two ports it joins. */
export interface ResolvedLink extends ResolvedComponent {
  a: PortRef;
  b: PortRef;
}

export interface ResolvedScenario {
  doc: ScenarioDoc;
  name: string;
  parameters: ParamValues;
  components: ResolvedComponent[];
  links: ResolvedLink[];
  run: { until?: number; warmup?: number; maxEvents?: number };
  trace: { enabled: boolean; include: string[]; exclude: string[] };
}

/** Every instance of a resolved scenario in build order: each component's slots (depth first) before it, components in scenario order, then links. */
export function allInstances(sc: Pick<ResolvedScenario, 'components' | 'links'>): ResolvedComponent[] {
  const out: ResolvedComponent[] = [];
  const visit = (c: ResolvedComponent) => { for (const s of c.slots) visit(s); out.push(c); };
  for (const c of sc.components) visit(c);
  for (const l of sc.links) visit(l);
  return out;
}

export function readScenario(file: string): ScenarioDoc {
  return parseScenario(file, readTextFile(file, 'scenario'));
}

export function parseScenario(file: string, text: string): ScenarioDoc {
  const json = parseJsonText(file, text, 'scenario');
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw zodToUserError(file, [], r.error, json);
  const body = r.data;
  const names = new Set<string>();
  // A name may be used again only by components that each exist at some sweep points (`when`); resolving checks they never meet.
  const conditional = new Set<string>();
  body.components.forEach((c, i) => {
    if (names.has(c.name) && !(c.when !== undefined && conditional.has(c.name))) {
      throw fieldError(file, ['components', i, 'name'], `"${c.name}" is used by an earlier component; names must be unique (or each use conditional on "when")`);
    }
    names.add(c.name);
    if (c.when !== undefined) conditional.add(c.name);
  });
  body.links.forEach((l, j) => {
    const name = l.name ?? `link${j}`;
    if (names.has(name)) {
      throw fieldError(file, ['links', j, 'name'], `${l.name === undefined ? `the default name "${name}" (this link has no name)` : `"${name}"`} ` +
        'is used by a component or an earlier link; names must be unique');
    }
    names.add(name);
  });
  if (body.sweep) checkSweep(file, body.parameters, body.sweep);
  const declared = Object.keys(body.parameters);
  const checkParam = (name: string, at: (string | number)[]) => {
    if (!(name in body.parameters)) throw fieldError(file, at, `"${name}" is not a parameter this scenario declares${didYouMean(name, declared)}`);
  };
  body.report?.plots.forEach((plot, i) => {
    for (const axis of ['x', 'series'] as const) if (plot[axis] !== undefined) checkParam(plot[axis], ['report', 'plots', i, axis]);
    for (const name of Object.keys(plot.where ?? {})) checkParam(name, ['report', 'plots', i, 'where', name]);
  });
  body.report?.tables.forEach((t, i) => {
    for (const axis of ['rows', 'columns'] as const) checkParam(t[axis], ['report', 'tables', i, axis]);
    for (const name of Object.keys(t.where ?? {})) checkParam(name, ['report', 'tables', i, 'where', name]);
  });
  for (const name of Object.keys(body.report?.sensitivity?.at ?? {})) checkParam(name, ['report', 'sensitivity', 'at', name]);
  body.components.forEach((c, i) => { for (const name of Object.keys(c.when ?? {})) checkParam(name, ['components', i, 'when', name]); });
  return { file, hash: sha256Hex(canonicalJson(json)), body };
}

/**
 * Preset values replaced for one resolution, by instance name ("rc",
 * "rc.memory"): what a sensitivity study varies. They sit between the preset
 * and the instance's own params, so a value the scenario sets itself is never
 * overridden.
 */
export type PresetOverrides = Record<string, Record<string, unknown>>;

/** What resolving one instance needs besides the instance. */
interface Resolver {
  file: string;
  parameters: ParamValues;
  quantities: ReadonlyMap<string, ParameterQuantity>;
  origins: Map<string, string>;
  lib: ModelLibrary;
  presetOverrides: PresetOverrides;
}

/**
 * Binds a scenario to parameter values (defaults, then overrides), resolves
 * "$name" references, presets and slots, checks every instance's parameters
 * against its type's schema, every reference to another instance, and the
 * topology.
 */
export function resolveScenario(
  doc: ScenarioDoc,
  overrides: Record<string, string | Scalar>,
  lib: ModelLibrary,
  origins: OverrideOrigins = '--set',
  presetOverrides: PresetOverrides = {},
): ResolvedScenario {
  const { file, body } = doc;
  const parameters = resolveParameters(file, body.parameters, overrides, origins);
  const r: Resolver = { file, parameters, quantities: parameterQuantities(body.parameters), origins: new Map(), lib, presetOverrides };
  const present = body.components.map((c, i) => [c, i] as const).filter(([c]) => isPresent(c.when, parameters, r.quantities));
  const seen = new Map<string, number>();
  for (const [c, i] of present) {
    const other = seen.get(c.name);
    if (other !== undefined) throw fieldError(file, ['components', i, 'name'], `"${c.name}" is also components[${other}]'s name, and both exist when ${describeParams(parameters, Object.keys(c.when ?? {}))}`);
    seen.set(c.name, i);
  }
  const components = present.map(([c, i]) => resolveInstance(r, {
    name: c.name, type: c.type, preset: c.preset, params: c.params, slots: c.slots, at: ['components', i], kind: 'component',
  }));
  const links = body.links.map((l, j): ResolvedLink => ({
    ...resolveInstance(r, { name: l.name ?? `link${j}`, type: l.type, preset: l.preset, params: l.params, slots: {}, at: ['links', j], kind: 'link' }),
    a: portRef(l.a), b: portRef(l.b),
  }));
  checkReferences(file, allInstances({ components, links }));
  checkTopology(file, components, links);
  const run = runSpec.parse(substituteRefs(file, body.run, parameters, ['run'], r.origins, r.quantities));
  const trace = traceSpec.parse(body.trace);
  return { doc, name: body.name, parameters, components, links, run, trace };
}

interface InstanceInput {
  name: string;
  type: string | undefined;
  preset: unknown;
  params: Record<string, unknown> | undefined;
  slots: Record<string, SlotFill> | undefined;
  at: (string | number)[];
  kind: 'component' | 'link' | 'slot';
  /** For a slot: its declaration (what it accepts, its default). */
  slot?: SlotDecl;
}

/** A component, link or slot instance: its type and preset, its params checked against the type's schema, then its slots. */
function resolveInstance(r: Resolver, c: InstanceInput): ResolvedComponent {
  const { file, lib } = r;
  const presetName = c.preset === undefined ? undefined : substituteRefs(file, c.preset, r.parameters, [...c.at, 'preset'], r.origins, r.quantities);
  if (presetName !== undefined && typeof presetName !== 'string') throw fieldError(file, [...c.at, 'preset'], `expected a preset name, got ${JSON.stringify(presetName)}`);
  const named = presetName === undefined ? undefined : lib.presets.get(presetName);
  const fromDefault = c.type === undefined && presetName === undefined;
  const typeName = c.type ?? named?.type ?? (c.slot?.default?.type);
  const type = typeOf(r, c, typeName, presetName);
  let preset: Preset | undefined;
  const wanted = presetName ?? (fromDefault ? c.slot?.default?.preset : undefined) ?? type.defaultPreset;
  if (wanted !== undefined) {
    preset = lib.presets.get(wanted);
    if (!preset) {
      const known = lib.presets.all().filter((p) => acceptsPreset(type, p.type)).map((p) => p.name);
      throw fieldError(file, [...c.at, 'preset'], `unknown preset "${wanted}"${didYouMean(wanted, known)}` +
        (known.length ? `; presets for ${type.type}: ${known.join(', ')}` : `; there is no preset for ${type.type}`));
    }
    if (!acceptsPreset(type, preset.type)) {
      throw fieldError(file, [...c.at, 'preset'], `preset "${wanted}" is for ${preset.type}, not ${[type.type, ...(type.presetTypes ?? [])].join(' or ')}`);
    }
  }
  const own = substituteRefs(file, c.params ?? {}, r.parameters, [...c.at, 'params'], r.origins, r.quantities) as Record<string, unknown>;
  const merged = { ...(preset ? presetValues(preset) : {}), ...(r.presetOverrides[c.name] ?? {}), ...own };
  const parsed = type.params.safeParse(merged);
  if (!parsed.success) throw withParameterOrigin(zodToUserError(file, [...c.at, 'params'], parsed.error, merged), parsed.error, c.at, r.origins, r.parameters);
  const slots = resolveSlots(r, c, type, preset);
  return { name: c.name, type, preset: preset?.name, params: parsed.data, ownKeys: Object.keys(own), path: c.at, slots };
}

/** The instance's type, checked: it exists, is the right kind (component, link) and, in a slot, provides what the slot accepts. */
function typeOf(r: Resolver, c: InstanceInput, typeName: string | undefined, presetName: string | undefined): ComponentType {
  const { file, lib } = r;
  const fits = (t: ComponentType) => (c.kind === 'link') === (t.joins !== undefined) && (c.slot === undefined || typeProvides(t, c.slot.accepts));
  const what = c.kind === 'slot' ? `type for slot "${c.slot!.name}" (it takes a ${c.slot!.accepts})` : `${c.kind} type`;
  const known = lib.catalog.list().filter(fits).map((t) => t.type);
  if (typeName === undefined) {
    if (presetName !== undefined) throw fieldError(file, [...c.at, 'preset'], `unknown preset "${presetName}"${didYouMean(presetName, lib.presets.names())}`);
    throw fieldError(file, [...c.at, 'type'], `missing; expected a ${what}: ${known.join(', ') || '(none)'}`);
  }
  const type = lib.catalog.get(typeName);
  if (!type || !fits(type)) {
    throw fieldError(file, [...c.at, 'type'], `${type ? `"${typeName}" is not a ${what}` : `unknown ${what} "${typeName}"${didYouMean(typeName, known)}`}; ` +
      `known: ${known.join(', ') || '(none)'}`);
  }
  return type;
}

/** The type's slots, each filled by the scenario over the preset, else by the slot's default; unknown slot names are refused. */
function resolveSlots(r: Resolver, c: InstanceInput, type: ComponentType, preset: Preset | undefined): ResolvedComponent[] {
  const decls = type.slots ?? [];
  const names = decls.map((d) => d.name);
  for (const [where, fills] of [['scenario', c.slots ?? {}], ['preset', preset?.slots ?? {}]] as const) {
    for (const k of Object.keys(fills)) {
      if (names.includes(k)) continue;
      const at = where === 'scenario' ? [...c.at, 'slots', k] : [...c.at, 'preset'];
      throw fieldError(r.file, at, `${where === 'preset' ? `preset "${preset!.name}" fills ` : ''}no slot "${k}" of ${type.type}${didYouMean(k, names)}; ` +
        `its slots: ${names.join(', ') || '(none)'}`);
    }
  }
  const out: ResolvedComponent[] = [];
  for (const decl of decls) {
    const fromScenario = c.slots?.[decl.name];
    const fill = mergeSlotFill(preset?.slots[decl.name], fromScenario);
    const at = fromScenario ? [...c.at, 'slots', decl.name] : c.at;
    if (fill?.enabled !== undefined && !slotEnabled(r, fill.enabled, [...at, 'slots', decl.name, 'enabled'])) {
      if (decl.required) throw fieldError(r.file, [...c.at, 'slots', decl.name, 'enabled'], `${type.type} cannot run without its "${decl.name}" slot (${decl.description})`);
      continue;
    }
    if (fill === undefined && decl.default === undefined) {
      if (decl.required) throw fieldError(r.file, [...c.at, 'slots', decl.name], `missing; ${type.type} needs its "${decl.name}" slot filled (${decl.description}) with a ${decl.accepts}`);
      continue;
    }
    out.push(resolveInstance(r, {
      name: `${c.name}.${decl.name}`, type: fill?.type, preset: fill?.preset, params: fill?.params, slots: fill?.slots,
      at, kind: 'slot', slot: decl,
    }));
  }
  return out;
}

function describeParams(parameters: ParamValues, names: readonly string[]): string {
  return names.map((n) => `${n} = ${JSON.stringify(parameters[n])}`).join(', ') || 'always';
}

/** A component's `when`: every named parameter has the value, or one of the values, it lists (quantities compared in their unit). */
function isPresent(when: Record<string, Scalar | Scalar[]> | undefined, parameters: ParamValues, quantities: ReadonlyMap<string, ParameterQuantity>): boolean {
  if (when === undefined) return true;
  return Object.entries(when).every(([name, want]) => {
    const q = quantities.get(name);
    const norm = (v: Scalar) => (q && typeof v === 'string' ? normalizeQuantity(v, q) : v);
    return (Array.isArray(want) ? want : [want]).map(norm).includes(parameters[name]!);
  });
}

/** A slot fill's `enabled`: true, false, "on", "off", or a "$parameter" holding one of them. */
function slotEnabled(r: Resolver, raw: boolean | string, at: (string | number)[]): boolean {
  const v = substituteRefs(r.file, raw, r.parameters, at, r.origins, r.quantities);
  if (v === true || v === 'on') return true;
  if (v === false || v === 'off') return false;
  throw fieldError(r.file, at, `expected true, false, "on" or "off", got ${JSON.stringify(v)}`);
}

/** A type takes its own presets and those of the parameter groups it declares (presetTypes). */
function acceptsPreset(type: ComponentType, presetType: string): boolean {
  return presetType === type.type || (type.presetTypes?.includes(presetType) ?? false);
}

/** Every reference parameter names an instance of the scenario that provides what the reference asks for. */
function checkReferences(file: string, instances: readonly ResolvedComponent[]): void {
  const byName = new Map(instances.map((i) => [i.name, i]));
  for (const inst of instances) {
    for (const ref of findRefs(inst.type.params, inst.params)) {
      const target = byName.get(ref.name);
      const at = [...inst.path, 'params', ...ref.path];
      if (!target) throw fieldError(file, at, `no instance named "${ref.name}"${didYouMean(ref.name, [...byName.keys()])}; it must name a ${ref.iface}`);
      if (!typeProvides(target.type, ref.iface)) throw fieldError(file, at, `"${ref.name}" is a ${target.type.type}, not a ${ref.iface}`);
      if (target === inst) throw fieldError(file, at, `"${ref.name}" is this instance itself`);
    }
  }
}

/** Says which parameter a bad value came from, when it came from one. */
function withParameterOrigin(err: UserError, zerr: { issues: { path: PropertyKey[] }[] }, at: (string | number)[],
  origins: Map<string, string>, parameters: ParamValues): UserError {
  const notes: string[] = [];
  for (const issue of zerr.issues) {
    const key = [...at, 'params', ...issue.path].join('\u0000');
    const name = origins.get(key);
    if (name) notes.push(`(the value comes from parameter "$${name}" = ${JSON.stringify(parameters[name])})`);
  }
  return notes.length ? new UserError(`${err.message}\n${[...new Set(notes)].join('\n')}`) : err;
}

function checkSweep(file: string, params: Record<string, ParameterSpec>, sweep: SweepSpec): void {
  let zipLength = -1;
  for (const [section, entries] of [['grid', sweep.grid], ['zip', sweep.zip]] as const) {
    for (const [name, values] of Object.entries(entries)) {
      if (!(name in params)) throw fieldError(file, ['sweep', section, name], `sweeps parameter "${name}", which is not declared under "parameters"${didYouMean(name, Object.keys(params))}`);
      if (section === 'grid' && name in sweep.zip) throw fieldError(file, ['sweep', 'grid', name], `"${name}" is in both grid and zip`);
      if (section === 'zip') {
        if (zipLength >= 0 && values.length !== zipLength) {
          throw fieldError(file, ['sweep', 'zip', name], `zipped lists must have equal lengths (${values.length} here, ${zipLength} before)`);
        }
        zipLength = values.length;
      }
    }
  }
}

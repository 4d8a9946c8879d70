import fs from 'node:fs';
import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { fieldError, UserError } from './errors.js';
import { resolveParameters, substituteRefs, type OverrideOrigin, type ParamValues } from './params.js';
import { presetValues, type PresetLibrary } from './presets.js';
import type { Catalog, ComponentType } from './registry.js';
import { scenarioSchema, type ParameterSpec, type Scalar, type ScenarioFile, type SweepSpec } from './schema.js';
import { runSpec, traceSpec } from './schema.js';
import { zodToUserError } from './zod-errors.js';
import { checkTopology, portRef, type PortRef } from './topology.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';
import type { Importer } from './importer.js';

/** What a scenario run needs from the model library. */
export interface ModelLibrary {
  catalog: Catalog;
  presets: PresetLibrary;
  /** Scenario names (in scenarios/) the quick-start report sweeps. */
  quickstart: string[];
  /** Importers by format name, for `pciesim import` (e.g. "lspci"). */
  importers: Readonly<Record<string, Importer>>;
}

/** A scenario file, read and checked at the envelope level, not yet bound to parameter values. */
export interface ScenarioDoc {
  file: string;
  hash: string;
  body: ScenarioFile;
}

export interface ResolvedComponent {
  name: string;
  type: ComponentType;
  preset: string | undefined;
  params: unknown;
  /** Where it is in the scenario file, e.g. ['components', 2]. */
  path: (string | number)[];
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

export function readScenario(file: string): ScenarioDoc {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the scenario file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  return parseScenario(file, text);
}

export function parseScenario(file: string, text: string): ScenarioDoc {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON: ${jsonErrorWhere(text, e as Error)}`);
  }
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw zodToUserError(file, [], r.error, json);
  const body = r.data;
  const names = new Set<string>();
  body.components.forEach((c, i) => {
    if (names.has(c.name)) throw fieldError(file, ['components', i, 'name'], `"${c.name}" is used by an earlier component; names must be unique`);
    names.add(c.name);
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
  body.report?.plots.forEach((plot, i) => {
    for (const axis of ['x', 'series'] as const) {
      const name = plot[axis];
      if (name !== undefined && !(name in body.parameters)) {
        throw fieldError(file, ['report', 'plots', i, axis], `"${name}" is not a parameter this scenario declares`);
      }
    }
    for (const name of Object.keys(plot.where ?? {})) {
      if (!(name in body.parameters)) throw fieldError(file, ['report', 'plots', i, 'where', name], `"${name}" is not a parameter this scenario declares`);
    }
  });
  body.report?.tables.forEach((t, i) => {
    for (const axis of ['rows', 'columns'] as const) {
      if (!(t[axis] in body.parameters)) throw fieldError(file, ['report', 'tables', i, axis], `"${t[axis]}" is not a parameter this scenario declares`);
    }
    for (const name of Object.keys(t.where ?? {})) {
      if (!(name in body.parameters)) throw fieldError(file, ['report', 'tables', i, 'where', name], `"${name}" is not a parameter this scenario declares`);
    }
  });
  for (const name of Object.keys(body.report?.sensitivity?.at ?? {})) {
    if (!(name in body.parameters)) throw fieldError(file, ['report', 'sensitivity', 'at', name], `"${name}" is not a parameter this scenario declares`);
  }
  return { file, hash: sha256Hex(canonicalJson(json)), body };
}

/**
 * Binds a scenario to parameter values (defaults, then overrides), resolves
 * "$name" references and presets, and checks every component's parameters
 * against its type's schema.
 */
export function resolveScenario(
  doc: ScenarioDoc,
  overrides: Record<string, string | Scalar>,
  lib: ModelLibrary,
  origin: OverrideOrigin = '--set',
  presetOverrides: PresetOverrides = {},
): ResolvedScenario {
  const { file, body } = doc;
  const parameters = resolveParameters(file, body.parameters, overrides, origin);
  const origins = new Map<string, string>();
  const resolve = (spec: InstanceSpec, at: (string | number)[], kind: 'component' | 'link'): ResolvedComponent =>
    resolveInstance(file, spec, at, kind, parameters, origins, lib, presetOverrides[spec.name] ?? {});
  const components = body.components.map((c, i) => resolve(c, ['components', i], 'component'));
  const links = body.links.map((l, j): ResolvedLink => ({
    ...resolve({ ...l, name: l.name ?? `link${j}` }, ['links', j], 'link'),
    a: portRef(l.a), b: portRef(l.b),
  }));
  checkTopology(file, components, links);
  const run = runSpec.parse(substituteRefs(file, body.run, parameters, ['run'], origins));
  const trace = traceSpec.parse(body.trace);
  return { doc, name: body.name, parameters, components, links, run, trace };
}

/**
 * Preset values replaced for one resolution, by instance name: what a
 * sensitivity study varies. They sit between the preset and the instance's
 * own params, so a value the scenario sets itself is never overridden.
 */
export type PresetOverrides = Record<string, Record<string, unknown>>;

type InstanceSpec = { name: string; type: string; preset?: string | undefined; params: Record<string, unknown> };

/** A component or link of the scenario: its type, its preset merged under its own params, checked against the type's schema. */
function resolveInstance(file: string, c: InstanceSpec, at: (string | number)[], kind: 'component' | 'link',
  parameters: ParamValues, origins: Map<string, string>, lib: ModelLibrary, presetOverride: Record<string, unknown>): ResolvedComponent {
  const type = lib.catalog.get(c.type);
  const fits = (t: ComponentType) => (kind === 'link') === (t.joins !== undefined);
  if (!type || !fits(type)) {
    const known = lib.catalog.list().filter(fits).map((t) => t.type);
    throw fieldError(file, [...at, 'type'], `${type ? `"${c.type}" is not a ${kind} type` : `unknown ${kind} type "${c.type}"`}; known ${kind} types: ${known.join(', ') || '(none)'}`);
  }
  const presetName = c.preset === undefined ? undefined : substituteRefs(file, c.preset, parameters, [...at, 'preset'], origins);
  let merged: Record<string, unknown> = {};
  if (presetName !== undefined) {
    if (typeof presetName !== 'string') throw fieldError(file, [...at, 'preset'], `expected a preset name, got ${JSON.stringify(presetName)}`);
    const preset = lib.presets.get(presetName);
    if (!preset) {
      const known = lib.presets.all().filter((p) => accepts(type, p.type)).map((p) => p.name);
      throw fieldError(file, [...at, 'preset'], `unknown preset "${presetName}"` +
        (known.length ? `; presets for ${c.type}: ${known.join(', ')}` : `; there is no preset for ${c.type}`));
    }
    if (!accepts(type, preset.type)) {
      throw fieldError(file, [...at, 'preset'], `preset "${presetName}" is for ${preset.type}, not ${[c.type, ...(type.presetTypes ?? [])].join(' or ')}`);
    }
    merged = { ...presetValues(preset), ...presetOverride };
  }
  const own = substituteRefs(file, c.params, parameters, [...at, 'params'], origins) as Record<string, unknown>;
  merged = { ...merged, ...own };
  const r = type.params.safeParse(merged);
  if (!r.success) throw withParameterOrigin(zodToUserError(file, [...at, 'params'], r.error, merged), r.error, at, origins, parameters);
  return { name: c.name, type, preset: presetName as string | undefined, params: r.data, path: at };
}

/** A type takes its own presets and those of the parameter groups it declares (presetTypes). */
function accepts(type: ComponentType, presetType: string): boolean {
  return presetType === type.type || (type.presetTypes?.includes(presetType) ?? false);
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
      if (!(name in params)) throw fieldError(file, ['sweep', section, name], `sweeps parameter "${name}", which is not declared under "parameters"`);
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

function jsonErrorWhere(text: string, e: Error): string {
  const what = e.message.replace(/,\s*(\.\.\.)?".*$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  const offset = jsonErrorOffset(text);
  return offset >= 0 ? `${what} at ${lineColumn(text, offset)}` : what;
}

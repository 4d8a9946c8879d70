import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { scalar, slotFill, type Scalar, type SlotFill } from './schema.js';
import { fieldError } from './errors.js';
import { zodToUserError } from './zod-errors.js';
import { parseJsonFile } from './json-file.js';

/**
 * A preset: a named set of parameter values for one component type, each
 * value with the source it came from. Values without a published figure are
 * marked `estimate` with the range that is plausible, so reports can sweep
 * them. A preset may name a `base` preset of the same type and give only
 * what differs (xen-arm on xen-x86), and may fill the type's slots with
 * other presets (a platform's root complex with its memory and IOMMU), so
 * every value is written once, where its source is.
 */
const presetValue = z.strictObject({
  value: z.union([scalar, z.array(scalar), z.array(z.record(z.string(), z.unknown())), z.record(z.string(), z.unknown())]),
  source: z.string().min(1).describe('Where the figure comes from: spec section, paper, datasheet, code'),
  estimate: z.boolean().default(false).describe('True when no published figure was found'),
  range: z.array(scalar).length(2).optional().describe('Plausible range [low, high] for an estimate'),
  note: z.string().optional(),
});
export type PresetValue = z.infer<typeof presetValue>;

export const presetSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  type: z.string().describe('The component type these values are for'),
  base: z.string().optional().describe('A preset of the same type whose values this one inherits and overrides'),
  description: z.string(),
  values: z.record(z.string(), presetValue).default({}),
  slots: z.record(z.string(), slotFill).optional().describe('What fills the type\'s slots (each a type and a preset, or params)'),
});
type PresetFile = z.infer<typeof presetSchema> & { file: string };

/** A preset value with the preset (in the base chain) that gives it. */
export type InheritedValue = PresetValue & { from: string };

/** A preset with its base chain merged: what a component of its type receives. */
export interface Preset {
  name: string;
  type: string;
  description: string;
  file: string;
  /** This preset's name, then its base's, and so on. */
  chain: string[];
  values: Record<string, InheritedValue>;
  slots: Record<string, SlotFill>;
}

/** Two slot fills, the second over the first: a new type or preset replaces, params and slots merge. */
export function mergeSlotFill(under: SlotFill | undefined, over: SlotFill | undefined): SlotFill | undefined {
  if (under === undefined) return over;
  if (over === undefined) return under;
  const replaces = (over.type !== undefined && over.type !== under.type) || over.preset !== undefined;
  const base: SlotFill = replaces ? { type: over.type ?? under.type } : under;
  const slots = mergeSlotMaps(replaces ? undefined : under.slots, over.slots);
  const enabled = over.enabled ?? base.enabled;
  return {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(base.type !== undefined || over.type !== undefined ? { type: over.type ?? base.type } : {}),
    ...(over.preset ?? base.preset) !== undefined ? { preset: over.preset ?? base.preset } : {},
    ...(base.params || over.params ? { params: { ...base.params, ...over.params } } : {}),
    ...(slots ? { slots } : {}),
  };
}

export function mergeSlotMaps(under: Record<string, SlotFill> | undefined, over: Record<string, SlotFill> | undefined): Record<string, SlotFill> | undefined {
  if (!under) return over;
  if (!over) return under;
  const out: Record<string, SlotFill> = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = mergeSlotFill(under[k], v)!;
  return out;
}

/** The presets of the model library, loaded from JSON files named <preset>.json. */
export class PresetLibrary {
  private readonly files = new Map<string, PresetFile>();
  private readonly merged = new Map<string, Preset>();

  constructor(readonly dirs: readonly string[]) {}

  names(): string[] {
    const out = new Set<string>();
    for (const d of this.dirs) {
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d)) if (f.endsWith('.json')) out.add(f.slice(0, -'.json'.length));
    }
    return [...out].sort();
  }

  /** The preset file as written (no base merged), or undefined. */
  file(name: string): PresetFile | undefined {
    const hit = this.files.get(name);
    if (hit) return hit;
    if (!/^[\w.-]+$/.test(name)) return undefined;
    for (const d of this.dirs) {
      const file = path.join(d, `${name}.json`);
      if (!fs.existsSync(file)) continue;
      const preset = loadPresetFile(file);
      if (preset.name !== name) throw fieldError(file, ['name'], `expected "${name}" (the file's name), got "${preset.name}"`);
      this.files.set(name, preset);
      return preset;
    }
    return undefined;
  }

  /** The preset with its base chain merged, or undefined if there is no such preset. */
  get(name: string): Preset | undefined {
    const hit = this.merged.get(name);
    if (hit) return hit;
    const own = this.file(name);
    if (!own) return undefined;
    const chain = [name];
    let values: Record<string, InheritedValue> = {};
    let slots: Record<string, SlotFill> | undefined;
    if (own.base !== undefined) {
      const base = this.baseOf(own, [name]);
      chain.push(...base.chain);
      values = { ...base.values };
      slots = base.slots;
    }
    for (const [k, v] of Object.entries(own.values)) values[k] = { ...v, from: name };
    const preset: Preset = {
      name, type: own.type, description: own.description, file: own.file, chain, values,
      slots: mergeSlotMaps(slots, own.slots) ?? {},
    };
    this.merged.set(name, preset);
    return preset;
  }

  private baseOf(own: PresetFile, seen: string[]): Preset {
    const baseName = own.base!;
    if (seen.includes(baseName)) throw fieldError(own.file, ['base'], `"${baseName}" leads back to "${own.name}": presets cannot inherit in a loop (${[...seen, baseName].join(' → ')})`);
    const file = this.file(baseName);
    if (!file) throw fieldError(own.file, ['base'], `no preset named "${baseName}"`);
    if (file.type !== own.type) throw fieldError(own.file, ['base'], `"${baseName}" is a preset for ${file.type}, not ${own.type}`);
    if (file.base !== undefined) this.baseOf(file, [...seen, baseName]);
    return this.get(baseName)!;
  }

  all(): Preset[] {
    return this.names().map((n) => this.get(n)!);
  }
}

function loadPresetFile(file: string): PresetFile {
  const json = parseJsonFile(file, 'preset');
  const r = presetSchema.safeParse(json);
  if (!r.success) throw zodToUserError(file, [], r.error, json);
  return { ...r.data, file };
}

/** The plain values of a preset, to merge under a component's own params. */
export function presetValues(p: Preset): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.values)) out[k] = v.value;
  return out;
}

/**
 * The values of a preset (its base chain merged) that are estimates with a
 * range, by key, leaving out those an instance sets itself (`ownKeys`):
 * what sensitivity studies sweep and calibration fits.
 */
export function rangedEstimates(p: Preset, ownKeys: readonly string[] = []): [string, InheritedValue & { range: [Scalar, Scalar] }][] {
  return Object.keys(p.values).sort().flatMap((key) => {
    const v = p.values[key]!;
    return v.estimate && v.range !== undefined && !ownKeys.includes(key) ? [[key, v as InheritedValue & { range: [Scalar, Scalar] }]] : [];
  });
}

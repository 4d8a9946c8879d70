import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { scalar } from './schema.js';
import { UserError } from './errors.js';
import { zodToUserError } from './zod-errors.js';

/**
 * A preset: a named set of parameter values for one component type, each
 * value with the source it came from. Values without a published figure are
 * marked `estimate` with the range that is plausible, so reports can sweep them.
 */
const presetValue = z.strictObject({
  value: z.union([scalar, z.array(scalar), z.record(z.string(), z.unknown())]),
  source: z.string().min(1).describe('Where the figure comes from: spec section, paper, datasheet, code'),
  estimate: z.boolean().default(false).describe('True when no published figure was found'),
  range: z.array(scalar).length(2).optional().describe('Plausible range [low, high] for an estimate'),
  note: z.string().optional(),
});

export const presetSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  type: z.string().describe('The component type these values are for'),
  description: z.string(),
  values: z.record(z.string(), presetValue),
});

export type Preset = z.infer<typeof presetSchema> & { file: string };

/** The presets of the model library, loaded from JSON files named <preset>.json. */
export class PresetLibrary {
  private readonly cache = new Map<string, Preset>();

  constructor(readonly dirs: readonly string[]) {}

  names(): string[] {
    const out = new Set<string>();
    for (const d of this.dirs) {
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d)) if (f.endsWith('.json')) out.add(f.slice(0, -'.json'.length));
    }
    return [...out].sort();
  }

  get(name: string): Preset | undefined {
    const hit = this.cache.get(name);
    if (hit) return hit;
    for (const d of this.dirs) {
      const file = path.join(d, `${name}.json`);
      if (!/^[\w.-]+$/.test(name) || !fs.existsSync(file)) continue;
      const preset = loadPresetFile(file);
      if (preset.name !== name) throw new UserError(`${file}: name: expected "${name}" (the file's name), got "${preset.name}"`);
      this.cache.set(name, preset);
      return preset;
    }
    return undefined;
  }

  all(): Preset[] {
    return this.names().map((n) => this.get(n)!);
  }
}

function loadPresetFile(file: string): Preset {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
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

/**
 * The models' presets for tests that build models directly: a preset's
 * values (its base chain merged), parsed by a schema with only the keys the
 * schema has, and overrides on top. Tests use the presets the product uses,
 * so no default is written twice.
 */
import path from 'node:path';
import type { z } from 'zod';
import { PresetLibrary, presetValues } from '../src/scenario/presets.js';
import { ROOT } from './helpers.js';

const library = new PresetLibrary([path.join(ROOT, 'models', 'presets')]);

/** A preset's plain values (base chain merged). */
export function presetValuesOf(name: string): Record<string, unknown> {
  const p = library.get(name);
  if (!p) throw new Error(`no preset ${name}`);
  return presetValues(p);
}

/** A preset's values for `schema` (only its keys), with overrides, parsed. */
export function presetParams<S extends z.ZodObject>(schema: S, name: string, overrides: Record<string, unknown> = {}): z.output<S> {
  const values = presetValuesOf(name);
  const keys = new Set(Object.keys(schema.shape));
  return schema.parse({ ...Object.fromEntries(Object.entries(values).filter(([k]) => keys.has(k))), ...overrides });
}

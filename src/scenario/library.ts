import { pathToFileURL } from 'node:url';
import type { ModelLibrary } from './loader.js';
import type { Catalog } from './registry.js';
import type { Importer } from './importer.js';
import { PresetLibrary } from './presets.js';

/**
 * The engine knows nothing of the models: it loads the model library at run
 * time, as SST loads its element libraries. The library module exports a
 * `catalog` of component types, the folders its presets live in, and the
 * scenarios its quick-start study runs, and optionally `importers` (format
 * name → Importer) for `pciesim import`.
 * PCIESIM_MODELS may point at another library module.
 */
export const DEFAULT_MODEL_LIBRARY = new URL('../../models/index.js', import.meta.url);

export async function loadModelLibrary(entry: string | URL = process.env.PCIESIM_MODELS ? pathToFileURL(process.env.PCIESIM_MODELS) : DEFAULT_MODEL_LIBRARY): Promise<ModelLibrary> {
  const mod = (await import(entry.toString())) as { catalog: Catalog; presetDirs: string[]; quickstart?: string[]; importers?: Record<string, Importer> };
  return { catalog: mod.catalog, presets: new PresetLibrary(mod.presetDirs), quickstart: mod.quickstart ?? [], importers: mod.importers ?? {} };
}

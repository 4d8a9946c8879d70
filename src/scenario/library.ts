import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModelLibrary } from './loader.js';
import { Catalog, isComponentType, type ComponentType } from './registry.js';
import { PresetLibrary } from './presets.js';
import type { Importer } from './importer.js';

/**
 * The engine knows nothing of the models: it loads model libraries at run
 * time, as SST loads its element libraries. A model library is a folder of
 * compiled modules; every component type any of them exports (declared with
 * `defineComponent`) is registered, so adding a model is adding a file. Its
 * presets are JSON files in its `presets/` folder, or where its `index.js`
 * says (`presetDirs`), which may also name the scenarios of the quick-start
 * report (`quickstart`) and importers of real machines (`importers`, format
 * name → Importer, for `pciesim import`).
 *
 * The built-in library is this package's `models/`. PCIESIM_MODEL_PATH adds
 * more folders (separated like PATH), e.g. a user's own hardware blocks.
 */
export const BUILTIN_MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

/** The folders to load: the built-in library, then PCIESIM_MODEL_PATH's. */
export function modelFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.PCIESIM_MODEL_PATH ?? '').split(path.delimiter).filter((d) => d.trim() !== '');
  return [BUILTIN_MODELS, ...extra.map((d) => path.resolve(d))];
}

/**
 * Loads the model libraries in `folders`. With `only` (module files, as
 * `ModelLibrary.modules` names them), imports just those of the folders'
 * modules: a sweep's workers load the types its runs use, not every model
 * (most of a worker's start-up otherwise). Modules import what they use
 * themselves and register nothing beyond their exports, so a type behaves
 * the same whichever other modules are loaded.
 */
export async function loadModelLibrary(folders: readonly string[] = modelFolders(), only?: ReadonlySet<string>): Promise<ModelLibrary> {
  const catalog = new Catalog();
  const presetDirs: string[] = [];
  let quickstart: string[] | undefined;
  const importers: Record<string, Importer> = {};
  const seen = new Map<string, string>();
  for (const folder of folders) {
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new Error(`model library ${folder}: no such folder`);
    const index = path.join(folder, 'index.js');
    const meta = fs.existsSync(index) ? (await import(pathToFileURL(index).href)) as { presetDirs?: string[]; quickstart?: string[]; importers?: Record<string, Importer> } : {};
    presetDirs.push(...(meta.presetDirs ?? [path.join(folder, 'presets')]));
    quickstart ??= meta.quickstart;
    Object.assign(importers, meta.importers ?? {});
    for (const file of moduleFiles(folder)) {
      if (only && !only.has(file)) continue;
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        if (!isComponentType(value)) continue;
        const where = seen.get(value.type);
        if (where === file) continue;
        if (where !== undefined) throw new Error(`component type '${value.type}' is exported by both ${where} and ${file}`);
        seen.set(value.type, file);
        catalog.register(value as ComponentType);
      }
    }
  }
  return { catalog, presets: new PresetLibrary(presetDirs), quickstart: quickstart ?? [], importers, modules: seen };
}

/** Every .js module below `folder` but index.js, in path order (so registration order never depends on the file system). */
function moduleFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.js') && !(dir === folder && entry.name === 'index.js')) out.push(p);
    }
  };
  walk(folder);
  return out;
}

import { loadModelLibrary, modelFolders } from '../scenario/library.js';
import type { ModelLibrary } from '../scenario/loader.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own folder (scenarios/, models/presets/ live there), from dist/src/cli/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCENARIO_DIR = path.join(PACKAGE_ROOT, 'scenarios');

/**
 * The model library of PCIESIM_MODEL_PATH as it is now: loaded once per set
 * of folders, so a caller of runCli that changes the variable between calls
 * gets the library it names, not the first call's.
 */
const libraries = new Map<string, Promise<ModelLibrary>>();
export function modelLibrary(): Promise<ModelLibrary> {
  const folders = modelFolders();
  const key = folders.join(path.delimiter);
  let library = libraries.get(key);
  if (!library) libraries.set(key, library = loadModelLibrary(folders));
  return library;
}

/**
 * `pciesim run demo-read-tags` finds scenarios/demo-read-tags.json when no
 * such file is in the current folder; a name that is neither is a user error
 * naming the bundled scenarios closest to it.
 */
export function scenarioPath(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  const bundled = path.join(SCENARIO_DIR, arg.endsWith('.json') ? arg : `${arg}.json`);
  if (fs.existsSync(bundled)) return bundled;
  const names = fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  throw new UserError(`${arg}: no such scenario file, and no bundled scenario of that name${didYouMean(path.basename(arg, '.json'), names)}; the bundled ones are ${names.join(', ')}`);
}

import fs from 'node:fs';
import { UserError } from '../scenario/errors.js';
import { didYouMean } from '../util/did-you-mean.js';

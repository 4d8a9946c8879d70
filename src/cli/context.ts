import { loadModelLibrary } from '../scenario/library.js';
import type { ModelLibrary } from '../scenario/loader.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own folder (scenarios/, models/presets/ live there), from dist/src/cli/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCENARIO_DIR = path.join(PACKAGE_ROOT, 'scenarios');

let library: Promise<ModelLibrary> | undefined;
export function modelLibrary(): Promise<ModelLibrary> {
  return (library ??= loadModelLibrary());
}

/** `pciesim run demo-read-tags` finds scenarios/demo-read-tags.json when no such file is in the current folder. */
export function scenarioPath(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  const bundled = path.join(SCENARIO_DIR, arg.endsWith('.json') ? arg : `${arg}.json`);
  return fs.existsSync(bundled) ? bundled : arg;
}

import fs from 'node:fs';

import type { ModelLibrary } from './loader.js';

/**
 * An importer turns a description of real hardware written by another tool
 * (e.g. `lspci -vvv`) into a scenario. The engine knows nothing of what it
 * reads: the model library offers importers by format name (its `importers`
 * export), and `pciesim import <format>` runs one, checks the scenario it
 * returns as `pciesim validate` would, and writes it.
 */
export interface Importer {
  /** One line for `pciesim import --help`. */
  summary: string;
  /** What the importer reads and how to produce it, for `pciesim import <format> --help`. */
  help: string;
  /** Options of its own, each taking a value: `--<name> <value>`. */
  options: readonly ImportOption[];
  /** The scenario file's content; throws a UserError naming the file when the input is not what it reads. */
  run(request: ImportRequest, lib: ModelLibrary): ImportResult;
}

export interface ImportOption {
  name: string;
  /** How the value looks in the help, e.g. "FROM,TO". */
  value: string;
  description: string;
}

export interface ImportRequest {
  /** The input file as the user named it (for messages). */
  file: string;
  text: string;
  /** The scenario's name. */
  name: string;
  options: Readonly<Record<string, string | undefined>>;
}

export interface ImportResult {
  scenario: Record<string, unknown>;
  /** What the user should know: stand-in presets, estimates, oddities of the hardware. */
  warnings: string[];
  /** Lines describing what was imported. */
  summary: string[];
}

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from './commands.js';
import { modelLibrary } from './context.js';
import { validateScenario } from './cmd-validate.js';
import { parseScenario } from '../scenario/loader.js';
import { UserError } from '../scenario/errors.js';
import type { Importer } from '../scenario/importer.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const USAGE = 'Usage: pciesim import <format> <file> --out <scenario.json> [--name NAME] [format options]';

const GENERAL: readonly [string, string][] = [
  ['--out FILE', 'the scenario to write, once it passes pciesim validate; untouched on any error'],
  ['--name NAME', "the scenario's name (default: the --out file's name without .json)"],
];

function optionLines(rows: readonly (readonly [string, string])[]): string {
  const w = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(w)}  ${text}\n`).join('');
}

function formatHelp(format: string, imp: Importer): string {
  return `Usage: pciesim import ${format} <file> --out <scenario.json> [--name NAME]${imp.options.map((o) => ` [--${o.name} ${o.value}]`).join('')}

${imp.help}
Options:
${optionLines([...GENERAL, ...imp.options.map((o) => [`--${o.name} ${o.value}`, o.description] as const)])}`;
}

async function importer(format: string | undefined): Promise<[string, Importer]> {
  const lib = await modelLibrary();
  const formats = Object.keys(lib.importers).sort();
  if (format === undefined || format.startsWith('-')) throw new UserError(`expected a format first: ${formats.join(', ')} (see pciesim import --help)`);
  const imp = lib.importers[format];
  if (!imp) throw new UserError(`unknown format "${format}": the model library imports ${formats.join(', ') || 'nothing'}`);
  return [format, imp];
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
}

export const importCommand: Command = {
  name: 'import',
  help: `${USAGE}

Reads what another tool says about real hardware and writes it as a scenario.
"pciesim import --help" lists the formats; "pciesim import <format> --help" their options.

Options:
${optionLines(GENERAL)}`,
  async helpFor(args) {
    const format = args.find((a) => !a.startsWith('-'));
    const lib = await modelLibrary();
    const imp = format === undefined ? undefined : lib.importers[format];
    if (imp) return formatHelp(format!, imp);
    const formats = Object.entries(lib.importers).sort(([a], [b]) => a.localeCompare(b));
    return `${this.help}\nFormats:\n${formats.map(([name, i]) => `  ${name}  ${i.summary}\n`).join('')}`;
  },
  async run(args) {
    const [format, imp] = await importer(args[0]);
    const { values: flags, positionals } = parseArgs({
      args: args.slice(1), allowPositionals: true,
      options: { out: { type: 'string' }, name: { type: 'string' }, ...Object.fromEntries(imp.options.map((o) => [o.name, { type: 'string' as const }])) },
    });
    const values = flags as Record<string, string | undefined>;
    if (positionals.length !== 1) throw new UserError(`expected exactly one input file (see pciesim import ${format} --help)`);
    const out = values.out;
    if (out === undefined) throw new UserError('expected --out <scenario.json>: where to write the scenario');
    const file = positionals[0]!;
    const name = values.name ?? path.basename(out).replace(/\.json$/i, '');
    const lib = await modelLibrary();
    const options = Object.fromEntries(imp.options.map((o) => [o.name, values[o.name]]));
    const result = imp.run({ file, text: readInput(file), name, options }, lib);
    const text = JSON.stringify(result.scenario, null, 2) + '\n';
    try {
      validateScenario(parseScenario(out, text), {}, lib);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new Error(`the scenario imported from ${file} does not pass pciesim validate (a bug in the ${format} importer; nothing was written): ${e.message}`);
    }
    writeFileAtomic(out, text);
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(result.summary.map((l) => `${l}\n`).join('') +
      `wrote ${out}\nnext: pciesim validate ${out}; pciesim run ${out}; pciesim sweep ${out} --out <dir>\n`);
    return 0;
  },
};

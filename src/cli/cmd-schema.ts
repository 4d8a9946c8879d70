import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from './commands.js';
import { UserError } from '../scenario/errors.js';
import { modelLibrary } from './context.js';
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Catalog } from '../scenario/registry.js';

/** The scenario JSON Schema of a catalog, as the file is written. */
export function schemaText(catalog: Catalog): string {
  return JSON.stringify(scenarioJsonSchema(catalog), null, 2) + '\n';
}

export const schemaCommand: Command = {
  name: 'schema',
  help: `Usage: pciesim schema [--out FILE]

Prints the JSON Schema of scenario files, including every component type's parameters.
Point a scenario's "$schema" at the file (scenarios/scenario.schema.json is kept up to date).
`,
  async run(args) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
    if (values.out && fs.existsSync(values.out) && fs.statSync(values.out).isDirectory()) throw new UserError(`--out ${values.out}: is a folder; name a file`);
    const text = schemaText((await modelLibrary()).catalog);
    if (values.out) writeFileAtomic(values.out, text);
    else process.stdout.write(text);
    return 0;
  },
};

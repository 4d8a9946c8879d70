/** `npm run docs`: rewrites what is generated from the model library's declarations: the README's tables and the scenario JSON Schema. */
import fs from 'node:fs';
import path from 'node:path';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { ROOT } from '../helpers.js';
import { readmeTables, updateReadme } from './readme-tables.js';
import { schemaText } from '../../src/cli/cmd-schema.js';

const lib = await loadModelLibrary();
const readme = path.join(ROOT, 'README.md');
fs.writeFileSync(readme, updateReadme(fs.readFileSync(readme, 'utf8'), readmeTables(lib)));
const schema = path.join(ROOT, 'scenarios', 'scenario.schema.json');
fs.writeFileSync(schema, schemaText(lib.catalog));
process.stdout.write(`updated ${path.relative(process.cwd(), readme)} and ${path.relative(process.cwd(), schema)}\n`);

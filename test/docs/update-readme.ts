/** `npm run docs`: rewrites the README's generated tables from the model library's declarations. */
import fs from 'node:fs';
import path from 'node:path';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { ROOT } from '../helpers.js';
import { readmeTables, updateReadme } from './readme-tables.js';

const file = path.join(ROOT, 'README.md');
fs.writeFileSync(file, updateReadme(fs.readFileSync(file, 'utf8'), readmeTables(await loadModelLibrary())));
process.stdout.write(`updated ${path.relative(process.cwd(), file)}\n`);

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Command } from './commands.js';
import { modelLibrary, SCENARIO_DIR, scenarioPath } from './context.js';
import { readScenario } from '../scenario/loader.js';
import { UserError } from '../scenario/errors.js';

const write = (s: string) => process.stdout.write(s + '\n');

export const listCommand: Command = {
  name: 'list',
  summary: 'list scenarios, component types, presets, or the parameters of a scenario',
  help: `Usage: pciesim list [scenarios|types|presets]
       pciesim list params <scenario>

With no argument, lists scenarios, component types and presets.
  types    every component type with its parameters (defaults, descriptions) and statistics
  params   the named parameters a scenario declares, their defaults and allowed values
`,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const [what, arg] = positionals;
    const lib = await modelLibrary();
    if (what === 'params') {
      if (!arg) throw new UserError('list params: expected a scenario file');
      const doc = readScenario(scenarioPath(arg));
      write(`${doc.body.name}: ${doc.body.description}`);
      for (const [name, p] of Object.entries(doc.body.parameters)) {
        write(`  ${name} = ${JSON.stringify(p.default)}${p.unit ? ` ${p.unit}` : ''}${p.values ? `  (one of ${p.values.map((v) => JSON.stringify(v)).join(', ')})` : ''}`);
        if (p.description) write(`      ${p.description}`);
      }
      if (doc.body.sweep) {
        const dims = [...Object.entries(doc.body.sweep.grid), ...Object.entries(doc.body.sweep.zip)];
        write(`  sweep: ${dims.map(([k, v]) => `${k} ∈ {${v.join(', ')}}`).join('  ×  ')}  × ${doc.body.sweep.replications} replications`);
      }
      return 0;
    }
    if (what !== undefined && !['scenarios', 'types', 'presets'].includes(what)) {
      throw new UserError(`list ${what}: expected scenarios, types, presets or params <scenario>`);
    }
    if (!what || what === 'scenarios') {
      write('Scenarios (scenarios/):');
      for (const f of fs.existsSync(SCENARIO_DIR) ? fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort() : []) {
        const doc = readScenario(path.join(SCENARIO_DIR, f));
        write(`  ${f.replace(/\.json$/, '').padEnd(24)} ${doc.body.description.split('. ')[0]}`);
      }
    }
    if (!what || what === 'types') {
      write('Component types:');
      for (const t of lib.catalog.list()) {
        write(`  ${t.type.padEnd(24)} ${t.description}`);
        if (what === 'types') {
          const shape = (t.params as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
          for (const [k, s] of Object.entries(shape)) write(`      ${k.padEnd(18)} ${s.description ?? ''}`);
          if (t.joins) write(`      ⇄ a link: joins a ${t.joins[0]} port to a ${t.joins[1]} port (scenario "links")`);
          for (const st of t.stats) write(`      → ${st.name} [${st.unit}] ${st.description}`);
        }
      }
    }
    if (!what || what === 'presets') {
      write('Presets (models/presets/):');
      for (const p of lib.presets.all()) write(`  ${p.name.padEnd(24)} ${p.type}: ${p.description.split('. ')[0]}`);
    }
    return 0;
  },
};

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from './commands.js';
import { modelLibrary, SCENARIO_DIR, scenarioPath } from './context.js';
import { readScenario, resolveScenario, type ModelLibrary } from '../scenario/loader.js';
import { UserError } from '../scenario/errors.js';
import { sweepPoints } from '../scenario/grid.js';
import { scenarioColumns } from '../scenario/metric-names.js';
import { declaredTraceKinds } from '../scenario/trace-names.js';
import { paramDocs, presetsMarkdown, refDocs, statsMarkdown, typesMarkdown } from '../scenario/type-docs.js';
import { displayUnit } from '../scenario/stat-units.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { ComponentType } from '../scenario/registry.js';

const write = (s: string) => process.stdout.write(s + '\n');

const WHAT = ['scenarios', 'types', 'presets', 'params', 'metrics', 'trace'] as const;

export const listCommand: Command = {
  name: 'list',
  help: `Usage: pciesim list [scenarios | types [TYPE] | presets] [--markdown]
       pciesim list params | metrics | trace <scenario>

With no argument, lists scenarios, component types and presets.
  types      every component type; with a TYPE, its parameters (kind, default, meaning), slots,
             references, ports, statistics (unit, meaning) and trace kinds
  presets    every preset: its type, the preset it inherits from, what it is
  params     the named parameters a scenario declares, their defaults and allowed values
  metrics    the result columns a scenario reports ("<instance>.<stat>"), with units
  trace      the trace kinds a scenario's instances can record ("<instance>/<kind>")
  --markdown types and presets as Markdown tables (the README's are made so)
`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { markdown: { type: 'boolean' } } });
    const [what, arg] = positionals;
    if (what !== undefined && !(WHAT as readonly string[]).includes(what)) {
      throw new UserError(`list ${what}: expected one of ${WHAT.join(', ')}${didYouMean(what, WHAT)}`);
    }
    const lib = await modelLibrary();
    if (what === 'params' || what === 'metrics' || what === 'trace') {
      if (!arg) throw new UserError(`list ${what}: expected a scenario file or name`);
      listOfScenario(what, arg, lib);
      return 0;
    }
    if (values.markdown) {
      if (what === 'scenarios' || what === undefined) throw new UserError('list --markdown: expected types or presets');
      write(what === 'types' ? `${typesMarkdown(lib.catalog.list())}\n\n${statsMarkdown(lib.catalog.list())}` : presetsMarkdown(lib.presets.all(), (n) => lib.presets.file(n)));
      return 0;
    }
    if (what === 'types' && arg !== undefined) {
      const t = lib.catalog.get(arg);
      if (!t) throw new UserError(`list types ${arg}: no such component type${didYouMean(arg, lib.catalog.names())}; types: ${lib.catalog.names().join(', ')}`);
      describeType(t, lib);
      return 0;
    }
    if (!what || what === 'scenarios') {
      write('Scenarios (scenarios/):');
      for (const f of fs.existsSync(SCENARIO_DIR) ? fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort() : []) {
        const doc = readScenario(path.join(SCENARIO_DIR, f));
        write(`  ${f.replace(/\.json$/, '').padEnd(24)} ${doc.body.description.split('. ')[0]}`);
      }
    }
    if (!what || what === 'types') {
      write('Component types (pciesim list types TYPE for one in full):');
      for (const t of lib.catalog.list()) write(`  ${t.type.padEnd(28)} ${t.description}`);
    }
    if (!what || what === 'presets') {
      write('Presets (models/presets/):');
      for (const p of lib.presets.all()) {
        const base = lib.presets.file(p.name)?.base;
        write(`  ${p.name.padEnd(24)} ${p.type}${base ? ` (on ${base})` : ''}: ${p.description.split('. ')[0]}`);
      }
    }
    return 0;
  },
};

function describeType(t: ComponentType, lib: ModelLibrary): void {
  write(`${t.type}: ${t.description}`);
  if (t.provides?.length) write(`  provides: ${t.provides.join(', ')} (slots and references that take these accept it)`);
  if (t.defaultPreset) write(`  default preset: ${t.defaultPreset}`);
  const presets = lib.presets.all().filter((p) => p.type === t.type || t.presetTypes?.includes(p.type)).map((p) => p.name);
  if (presets.length) write(`  presets: ${presets.join(', ')}`);
  if (t.joins) write(`  a link: joins a ${t.joins[0]} port to a ${t.joins[1]} port (scenario "links")`);
  write('  parameters:');
  for (const p of paramDocs(t)) {
    write(`    ${p.name.padEnd(24)} ${p.kind}${p.default !== null ? `, default ${p.default}` : p.optional ? ', optional' : ''}`);
    if (p.description) write(`        ${p.description}`);
  }
  const refs = refDocs(t);
  if (refs.length) write(`  references: ${refs.map((r) => `${r.path} → ${withArticle(r.iface)}`).join('; ')}`);
  if (t.slots?.length) {
    write('  slots:');
    for (const s of t.slots) write(`    ${s.name.padEnd(24)} ${withArticle(s.accepts)}${s.required ? ', required' : ''}${s.default ? `, default ${s.default.type}` : ''}: ${s.description}`);
  }
  write('  statistics (columns "<instance>.<stat>"):');
  for (const s of t.stats) write(`    ${s.name.padEnd(28)} [${displayUnit(s.unit) || 'category'}${s.kind === 'distribution' ? ', distribution' : ''}] ${s.description}`);
  if (t.traceKinds?.length) {
    write('  trace kinds ("<instance>/<kind>"):');
    for (const k of t.traceKinds) write(`    ${k.kind.padEnd(28)} ${k.hot ? '[hot: only when an include pattern selects it] ' : ''}${k.description}`);
  }
}

/** "a memory", "an iommu": the interface names read as English. */
function withArticle(name: string): string {
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

function listOfScenario(what: 'params' | 'metrics' | 'trace', arg: string, lib: ModelLibrary): void {
  const doc = readScenario(scenarioPath(arg));
  write(`${doc.body.name}: ${doc.body.description.split('. ')[0]}`);
  if (what === 'params') {
    for (const [name, p] of Object.entries(doc.body.parameters)) {
      write(`  ${name} = ${JSON.stringify(p.default)}${p.unit ? ` ${p.unit}` : ''}${p.values ? `  (one of ${p.values.map((v) => JSON.stringify(v)).join(', ')})` : ''}`);
      if (p.description) write(`      ${p.description}`);
    }
    if (doc.body.sweep) {
      const dims = [...Object.entries(doc.body.sweep.grid), ...Object.entries(doc.body.sweep.zip)];
      write(`  sweep: ${dims.map(([k, v]) => `${k} ∈ {${v.join(', ')}}`).join('  ×  ')}  × ${doc.body.sweep.replications} replications`);
    }
    return;
  }
  const points = [resolveScenario(doc, {}, lib), ...sweepPoints(doc.body.sweep).map((p) => resolveScenario(doc, p, lib, 'sweep'))];
  if (what === 'metrics') {
    for (const [name, m] of Object.entries(scenarioColumns(doc, points))) write(`  ${name.padEnd(40)} [${displayUnit(m.unit) || 'category'}] ${m.description}`);
    return;
  }
  for (const k of declaredTraceKinds(points[0]!)) {
    write(`  ${k.component}/${k.kind}${k.hot ? '  (hot: recorded only when an include pattern selects it)' : ''}`);
    write(`      ${k.description}`);
  }
}

import { parseArgs } from 'node:util';
import type { Command } from './commands.js';
import { modelLibrary, scenarioPath } from './context.js';
import { readScenario, resolveScenario, type ModelLibrary, type ResolvedScenario, type ScenarioDoc } from '../scenario/loader.js';
import { parseSetFlags } from '../scenario/params.js';
import { sweepPoints, type SweepPoint } from '../scenario/grid.js';
import { UserError } from '../scenario/errors.js';
import { checkPoints } from '../run/plan.js';

export const validateCommand: Command = {
  name: 'validate',
  help: `Usage: pciesim validate <scenario>... [--set NAME=VALUE]...

Checks each scenario: the file's structure, every "$parameter" reference, presets and slots,
every component's parameters, every reference to another instance, the topology, every
metric name its report and derived metrics use, its trace patterns, and every point of its
sweep. Exit code 2 on the first problem.
`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { set: { type: 'string', multiple: true } } });
    if (positionals.length === 0) throw new UserError('expected at least one scenario file (see pciesim validate --help)');
    const lib = await modelLibrary();
    const overrides = parseSetFlags(values.set ?? []);
    for (const arg of positionals) {
      const doc = readScenario(scenarioPath(arg));
      const { sc, points } = validateScenario(doc, overrides, lib);
      const nParams = Object.keys(sc.parameters).length;
      process.stdout.write(`ok  ${doc.file}: ${sc.components.length} component${sc.components.length === 1 ? '' : 's'}, ` +
        `${nParams} parameter${nParams === 1 ? '' : 's'}` + (doc.body.sweep ? `, ${points.length} sweep points × ${doc.body.sweep.replications} replications` : '') + '\n');
    }
    return 0;
  },
};

/**
 * The scenario resolved and checked as a sweep checks its points (names,
 * and built, not run: checkPoints) at its defaults (and overrides) and at
 * every sweep point; throws a UserError at the first problem.
 */
export function validateScenario(doc: ScenarioDoc, overrides: Record<string, string>, lib: ModelLibrary): { sc: ResolvedScenario; points: SweepPoint[] } {
  const sc = resolveScenario(doc, overrides, lib);
  const points = sweepPoints(doc.body.sweep);
  const all = [sc, ...points.map((p) => resolveScenario(doc, { ...overrides, ...p }, lib, 'sweep'))];
  checkPoints(doc, all);
  return { sc, points };
}

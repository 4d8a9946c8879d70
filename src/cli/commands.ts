/**
 * The commands, each named and summed up here and loaded only when called:
 * a command's module pulls in what it runs (the model library, Arrow, Vega),
 * so `pciesim --help` or a refused flag does not pay for every command's.
 */
export interface Command {
  name: string;
  help: string;
  /** Help that depends on the arguments (e.g. the model library's import formats); `help` when absent. */
  helpFor?(args: string[]): Promise<string>;
  run(args: string[]): Promise<number>;
}

export interface CommandEntry {
  name: string;
  /** One line for the usage text. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'quickstart', summary: 'run the quick-start studies and write their report (what `npm start` does)', load: async () => (await import('./cmd-quickstart.js')).quickstartCommand },
  { name: 'run', summary: 'run one scenario and write its summary.json', load: async () => (await import('./cmd-run.js')).runCommand },
  { name: 'sweep', summary: 'run a scenario over a grid of parameter values in parallel, then write results.arrow and a report', load: async () => (await import('./cmd-sweep.js')).sweepCommand },
  { name: 'merge', summary: 'join the folders of a sharded sweep into one (byte-identical to a one-machine sweep)', load: async () => (await import('./cmd-merge.js')).mergeCommand },
  { name: 'report', summary: 'write the HTML report (plots, tables, attribution) of one or more sweep folders', load: async () => (await import('./cmd-report.js')).reportCommand },
  { name: 'trace', summary: 'convert a run\'s trace.arrow to a timeline (Chrome trace-event JSON for Perfetto)', load: async () => (await import('./cmd-trace.js')).traceCommand },
  { name: 'validate', summary: 'check scenario files (schema, parameters, presets, every sweep point built) without running them', load: async () => (await import('./cmd-validate.js')).validateCommand },
  { name: 'import', summary: 'write a scenario from a real machine\'s description (e.g. lspci -vvv output)', load: async () => (await import('./cmd-import.js')).importCommand },
  { name: 'calibrate', summary: 'fit a preset\'s estimated values to measurements and write the fitted preset', load: async () => (await import('./cmd-calibrate.js')).calibrateCommand },
  { name: 'list', summary: 'list scenarios, component types, presets, or what a scenario declares (parameters, metrics, trace kinds)', load: async () => (await import('./cmd-list.js')).listCommand },
  { name: 'schema', summary: 'print the scenario JSON Schema (for editor completion)', load: async () => (await import('./cmd-schema.js')).schemaCommand },
];

export function usage(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return `pciesim — a deterministic, cycle-approximate simulator of PCIe fabrics and hypervisor buffer sharing

Usage: pciesim <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run "pciesim <command> --help" for a command's options.
`;
}

import { runCommand } from './cmd-run.js';
import { validateCommand } from './cmd-validate.js';
import { listCommand } from './cmd-list.js';
import { schemaCommand } from './cmd-schema.js';
import { sweepCommand } from './cmd-sweep.js';
import { mergeCommand } from './cmd-merge.js';
import { reportCommand } from './cmd-report.js';
import { quickstartCommand } from './cmd-quickstart.js';
import { traceCommand } from './cmd-trace.js';
import { importCommand } from './cmd-import.js';
import { calibrateCommand } from './cmd-calibrate.js';

export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Help that depends on the arguments (e.g. the model library's import formats); `help` when absent. */
  helpFor?(args: string[]): Promise<string>;
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [
  quickstartCommand, runCommand, sweepCommand, mergeCommand, reportCommand, traceCommand, validateCommand, importCommand, calibrateCommand, listCommand, schemaCommand,
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

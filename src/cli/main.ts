import { UserError } from '../scenario/errors.js';
import { commands, usage, type Command } from './commands.js';
import { didYouMean } from '../util/did-you-mean.js';

/** Exit codes: 0 success, 1 a failure inside pciesim (a bug: stack shown), 2 a mistake in the input (message only). */
export const EXIT_OK = 0, EXIT_INTERNAL = 1, EXIT_USER = 2;

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const entry = topic ? commands.find((c) => c.name === topic) : undefined;
    process.stdout.write(entry ? (await entry.load()).help : usage());
    return name === undefined ? EXIT_USER : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    const { PCIESIM_VERSION } = await import('../version.js');
    process.stdout.write(`${PCIESIM_VERSION}\n`);
    return EXIT_OK;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`pciesim: unknown command "${name}"${didYouMean(name, commands.map((c) => c.name))}\n\n${usage()}`);
    return EXIT_USER;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(await helpOf(cmd, rest));
    return EXIT_OK;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (isInputMistake(e)) {
      const code = (e as { code?: string }).code;
      const message = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? unknownOption((e as Error).message, await helpOf(cmd, rest), name)
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? invalidOptionValue((e as Error).message) : (e as Error).message;
      process.stderr.write(`pciesim ${name}: ${message}\n`);
      return EXIT_USER;
    }
    const refused = fileSystemRefusal(e);
    if (refused !== undefined) {
      process.stderr.write(`pciesim ${name}: ${refused}\n`);
      return EXIT_USER;
    }
    process.stderr.write(`pciesim ${name}: internal error (please report it with the scenario that caused it)\n${(e as Error).stack ?? String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

/** An error that is the user's to mend, told without a stack: a UserError, or an option node's parseArgs refused. */
export function isInputMistake(e: unknown): boolean {
  return e instanceof UserError || isOptionMistake(e);
}

/** node's parseArgs refusing an option (unknown, or a value it does not take). */
export function isOptionMistake(e: unknown): boolean {
  return (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ?? false;
}

/** A command's help for these arguments (some depend on them: import's formats). */
const helpOf = async (cmd: Command, args: string[]): Promise<string> => (cmd.helpFor ? cmd.helpFor(args) : cmd.help);

/**
 * The file system refusing a path the user named (an --out inside a file, a
 * read-only or full disk, no permission): the user's to mend, so a message
 * naming the path, not a stack. A missing file stays an internal error here:
 * each command checks the files it is given and names them itself, so one
 * that reaches this point is pciesim's own.
 */
const REFUSALS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder',
  EEXIST: 'is a file, not a folder', // mkdir's word for a file in the way (pciesim opens no file exclusively)
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};
function fileSystemRefusal(e: unknown): string | undefined {
  const { code, path } = e as { code?: string; path?: string };
  const reason = code === undefined ? undefined : REFUSALS[code];
  return reason === undefined || path === undefined ? undefined : `cannot write ${path}: ${reason}`;
}

/**
 * Node's "Unknown option '--sett'. To specify a positional argument ..." as
 * a user needs it: the option, the command's option closest to it (the
 * options are the ones its --help names) and where the rest are listed.
 */
function unknownOption(nodeMessage: string, help: string, command: string): string {
  const option = /'([^']+)'/.exec(nodeMessage)?.[1];
  if (option === undefined) return nodeMessage;
  const known = [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])].filter((o) => o !== '--help');
  return `unknown option "${option}"${didYouMean(option, known)}; "pciesim ${command} --help" lists its options`;
}

/**
 * Node's three-line "Option '--seed' argument is ambiguous. Did you forget
 * ... use '--seed=-XYZ'." (a value that starts with a dash) in one line;
 * other invalid values keep Node's message.
 */
function invalidOptionValue(nodeMessage: string): string {
  const option = /^Option '([^']+)' argument is ambiguous/.exec(nodeMessage)?.[1];
  if (option === undefined) return nodeMessage;
  return `${option} needs a value; for one that starts with a dash write ${option}=VALUE`;
}

/**
 * The README's example commands are ones the CLI takes: each `npx pciesim …`
 * line of its code blocks names a command, flags that command's help lists,
 * and, where it names a bundled scenario, `--set` values the scenario
 * accepts (checked with `pciesim validate`, which builds every point without
 * running it); each `npm run` names a script package.json has. What users
 * copy first must not drift from what the CLI does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, ROOT, shippedScenarios } from '../helpers.js';

const PREFIX = 'npx pciesim ';

/** The README's example command lines, backslash continuations joined and trailing comments cut, each with its line number. */
function readmeCommands(markdown: string): { line: number; args: string[] }[] {
  const lines = markdown.split('\n');
  const commands: { line: number; args: string[] }[] = [];
  let inCode = false;
  for (let k = 0; k < lines.length; k++) {
    if (lines[k]!.startsWith('```')) { inCode = !inCode; continue; }
    if (!inCode || !lines[k]!.startsWith(PREFIX)) continue;
    const at = k + 1;
    let text = lines[k]!;
    while (text.trimEnd().endsWith('\\') && k + 1 < lines.length) text = text.trimEnd().slice(0, -1) + ' ' + lines[++k]!;
    const hash = text.search(/\s#\s/);
    if (hash >= 0) text = text.slice(0, hash);
    commands.push({ line: at, args: words(text.slice(PREFIX.length)) });
  }
  return commands;
}

/** Shell words, single quotes kept together and removed. */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

test('readmeCommands: joins continued lines, cuts comments, keeps quoted words whole, and reads only code blocks', () => {
  const md = ['npx pciesim run x # not in a block', '```sh', "npx pciesim run a --trace-include 'l.*/tlp' --out /tmp/a # a comment", 'npx pciesim calibrate --preset p \\', '  --set q=1', '```'].join('\n');
  assert.equal(readmeCommands(md), [
    { line: 3, args: ['run', 'a', '--trace-include', 'l.*/tlp', '--out', '/tmp/a'] },
    { line: 4, args: ['calibrate', '--preset', 'p', '--set', 'q=1'] },
  ]);
});

test('every example command in the README is one the CLI takes: its command, its flags, and a bundled scenario\'s --set values', async () => {
  const commands = readmeCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  assert.ok(commands.length >= 20, `only ${commands.length} example commands found: has the README's form changed?`);
  const scenarios = new Set(shippedScenarios().map((s) => s.name));
  const helpOf = new Map<string, string>();
  for (const { line, args } of commands) {
    const where = `README.md line ${line}: pciesim ${args.join(' ')}`;
    // `import` takes its format as a subcommand, with options of its own.
    const command = args[0] === 'import' ? args.slice(0, 2) : args.slice(0, 1);
    const key = command.join(' ');
    if (!helpOf.has(key)) {
      const help = await cliInProcess([...command, '--help']);
      assert.is(help.code, 0, `${where}: no command "${key}" (${help.stderr.trim()})`);
      helpOf.set(key, help.stdout);
    }
    for (const flag of args.filter((a) => a.startsWith('--'))) {
      const name = flag.split('=')[0]!;
      assert.ok(new RegExp(`${name}\\b`).test(helpOf.get(key)!), `${where}: ${name} is not among ${key}'s options`);
    }
    const scenario = args[1];
    if ((args[0] === 'run' || args[0] === 'sweep') && scenario !== undefined && scenarios.has(scenario)) {
      const sets = args.flatMap((a, k) => (a === '--set' ? ['--set', args[k + 1]!] : []));
      const checked = await cliInProcess(['validate', scenario, ...sets]);
      assert.is(checked.code, 0, `${where}: ${checked.stderr.trim()}`);
    }
  }
});

test('every `npm run` script the README names is one package.json has', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const named = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
  assert.ok(named.length > 0);
  for (const name of new Set(named)) assert.ok(name in scripts, `README.md names npm run ${name}, which package.json's scripts do not have`);
});

test.run();

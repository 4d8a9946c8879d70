import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { instructionsByFunction } from './callgrind-functions.js';

/** Writes `files` into a fresh temporary folder; returns their paths by name. */
function scratch(files: Record<string, string>): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-callgrind-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) fs.writeFileSync((paths[name] = path.join(dir, name)), text);
  return paths;
}

test('self instructions by function: JIT code named from the perf map, relative addresses followed, calls left to the callee', () => {
  const f = scratch({
    // Two compiled functions at 0x1000-0x10ff and 0x2000-0x203f; a builtin callgrind names itself.
    'perf.map': [
      '1000 100 JS:*admit file:///pkg/dist/models/pcie/switch.js:522:10',
      '2000 40 JS:^send file:///pkg/dist/models/pcie/link.js:506:9',
      '',
    ].join('\n'),
    'callgrind.out': [
      '# callgrind format',
      'positions: instr line',
      'events: Ir',
      'fn=(1) 0x0000000000001000',
      '0x1000 0 5',
      '+16 0 7',
      // A call from 0x1014 to the builtin: its inclusive 100 belongs to the callee, not to admit.
      'cfn=(3) Builtins_RecordWrite',
      'calls=1 0x9000 0',
      '+4 0 100',
      '* 0 2',
      'fn=(2) 0x0000000000002000',
      '0x2010 0 11',
      // Past the map's end of send (0x2040): callgrind's own name stays.
      '+64 0 13',
      'fn=(3)',
      '0x9000 0 40',
      // The first function again by its id alone.
      'fn=(1)',
      '0x10fe 0 1',
      '',
    ].join('\n'),
  });
  const by = instructionsByFunction(f['callgrind.out']!, f['perf.map']!);
  fs.rmSync(path.dirname(f['perf.map']!), { recursive: true });
  assert.equal(Object.fromEntries(by), {
    '*admit switch.js:522': 5 + 7 + 2 + 1,
    '^send link.js:506': 11,
    '0x0000000000002000': 13,
    'Builtins_RecordWrite': 40,
  });
});

test.run();

/**
 * The test command: runs every uvu suite under dist/test and closes with the
 * line CI reads, `N passed, N failed`. uvu prints its own totals; this adds
 * the closing line and keeps uvu's exit code.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// uvu's exports map hides bin.js, so find it next to the package's main entry.
const uvuBin = path.join(path.dirname(createRequire(import.meta.url).resolve('uvu')), '..', 'bin.js');
// `node dist/test/run.js [folder | folder/file.test.js]` runs a part of the suite.
const only = process.argv[2] ?? '.';
const oneFile = only.endsWith('.test.js');
const dir = path.join(here, oneFile ? path.dirname(only) : only);
const pattern = oneFile ? `^${path.basename(only).replace(/\./g, '\\.')}$` : '\\.test\\.js$';
const result = spawnSync(process.execPath, [uvuBin, dir, pattern], {
  encoding: 'utf8',
  env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 * 1024 * 1024,
});
const out = result.stdout ?? '';
process.stdout.write(out);
const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1]);
const total = count('Total'), passed = count('Passed'), skipped = count('Skipped') || 0;
const code = result.status ?? 1;
if (Number.isFinite(total) && Number.isFinite(passed)) {
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
  // The last line is exactly "N passed, N failed", which CI reads; tests that did not run say so just above it.
  if (skipped) console.log(`${skipped} skipped (they need data or a browser this machine does not have)`);
  console.log(`${passed} passed, ${failed} failed`);
} else {
  console.log(`0 passed, 1 failed`);
}
process.exitCode = code;

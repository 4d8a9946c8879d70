/**
 * The test command: runs every uvu suite under dist/test and closes with the
 * line CI reads, `N passed, N failed`. uvu prints its own totals per shard;
 * this adds them up into the closing line and keeps uvu's exit code.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// uvu's exports map hides bin.js, so find it next to the package's main entry.
const uvuBin = path.join(path.dirname(createRequire(import.meta.url).resolve('uvu')), '..', 'bin.js');
// `node dist/test/run.js [folder | folder/file.test.js]` runs a part of the suite.
const only = process.argv[2] ?? '.';
const root = path.join(here, only.endsWith('.test.js') ? path.dirname(only) : only);
const files = only.endsWith('.test.js') ? [path.basename(only)] : testFiles(root);

/**
 * The suite runs in one uvu process per core (at most SHARDS_MAX), each
 * taking every n-th file in path order, so a folder of heavy tests is shared
 * out, not left to one process. Tests keep their files in their own temporary
 * folders, so shards never meet. Outputs are printed whole, shard by shard.
 */
const SHARDS_MAX = 4;
const shardCount = Math.max(1, Math.min(SHARDS_MAX, os.availableParallelism(), files.length));
const shards = Array.from({ length: shardCount }, (_, k) => files.filter((_, i) => i % shardCount === k));

/** Every *.test.js file below dir, relative to it, in path order. */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).map((x) => x.name).sort()) {
      const p = rel === '' ? e : `${rel}/${e}`;
      if (fs.statSync(path.join(dir, p)).isDirectory()) walk(p);
      else if (e.endsWith('.test.js')) out.push(p);
    }
  };
  walk('');
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function runShard(shard: string[]): Promise<{ out: string; code: number }> {
  // uvu matches the pattern against each file's path below `root`.
  const pattern = `^(${shard.map(escape).join('|')})$`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [uvuBin, root, pattern], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('close', (code) => resolve({ out, code: code ?? 1 }));
  });
}

const results = await Promise.all(shards.map(runShard));
let total = 0, passed = 0, skipped = 0, code = 0, parsed = true;
for (const r of results) {
  process.stdout.write(r.out);
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(r.out)?.[1]);
  const t = count('Total'), p = count('Passed');
  if (!Number.isFinite(t) || !Number.isFinite(p)) parsed = false;
  total += t; passed += p; skipped += count('Skipped') || 0;
  if (r.code !== 0) code = r.code;
}
if (parsed) {
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
  // The last line is exactly "N passed, N failed", which CI reads; tests that did not run say so just above it.
  if (skipped) console.log(`${skipped} skipped (they need data or a browser this machine does not have)`);
  console.log(`${passed} passed, ${failed} failed`);
} else {
  console.log(`0 passed, 1 failed`);
}
process.exitCode = code;

/**
 * The test command: runs every uvu suite under dist/test and closes with the
 * line CI reads, `N passed, N failed`; it exits 1 when a test failed.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileRequest, FileResult } from './run-worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// `node dist/test/run.js [folder | folder/file.test.js]` runs a part of the suite.
const only = process.argv[2] ?? '.';
const root = path.join(here, only.endsWith('.test.js') ? path.dirname(only) : only);
const files = only.endsWith('.test.js') ? [path.basename(only)] : testFiles(root);

/**
 * The suite runs in one process per core (at most WORKERS_MAX), each taking
 * the next file in path order as soon as it is done with one, so a few heavy
 * files never hold one process up while the others wait. Tests keep their
 * files in their own temporary folders, so files running side by side never
 * meet. Each file's output is printed whole when the file is done.
 */
const WORKERS_MAX = 4;
const workerCount = Math.max(1, Math.min(WORKERS_MAX, os.availableParallelism(), files.length));
const worker = path.join(here, 'run-worker.js');

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

const queue = [...files];
const results: FileResult[] = [];

function report(r: FileResult): void {
  results.push(r);
  process.stdout.write(`${r.file} (${r.seconds.toFixed(1)} s)\n${r.output}\n`);
}

/** One worker process taking files off the queue until it is empty; a worker that dies fails its file and a new one goes on. */
function runWorker(): Promise<void> {
  return new Promise((resolve) => {
    const child = fork(worker, [], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let current: { file: string; start: number } | undefined;
    const next = () => {
      const file = queue.shift();
      if (file === undefined) { current = undefined; child.disconnect(); return; }
      current = { file, start: performance.now() };
      child.send({ root, file } satisfies FileRequest);
    };
    child.on('message', (r: FileResult) => { report(r); next(); });
    child.on('exit', (code, signal) => {
      if (current === undefined) { resolve(); return; }
      const seconds = (performance.now() - current.start) / 1000;
      report({ file: current.file, output: `\nthe test process exited (${signal ?? `code ${code}`}) before the file was done\n`, total: 0, passed: 0, skipped: 0, failed: 1, seconds });
      resolve(queue.length ? runWorker() : undefined);
    });
    next();
  });
}

await Promise.all(Array.from({ length: workerCount }, runWorker));
const sum = (k: 'total' | 'passed' | 'skipped' | 'failed') => results.reduce((s, r) => s + r[k], 0);
const passed = sum('passed'), skipped = sum('skipped'), failed = sum('failed');
// The last line is exactly "N passed, N failed", which CI reads; tests that did not run say so just above it.
if (skipped) console.log(`${skipped} skipped (they need data or a browser this machine does not have)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

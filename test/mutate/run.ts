/**
 * Mutation testing (`npm run mutate [target]`): does the suite notice when the
 * code is wrong? Each mutant changes one operator or literal of a built
 * module (`<` to `<=`, `+` to `-`, `===` to `!==`, `&&` to `||`, `true` to
 * `false`, a number to its neighbour, a `!` dropped) and runs only the tests
 * that cover that module; a mutant the tests fail on (or that hangs) is
 * killed, one they pass is a survivor: a change in behaviour nothing asserts,
 * or an equivalent mutant. The score is killed / (killed + survived).
 * Mutants no test can kill (a buffer's initial capacity, a bound past the
 * padding) are declared once, each with its reason, in equivalents.ts; they
 * still run, are counted apart, and one the tests kill is reported as
 * declared wrongly.
 *
 * Mutants are made on the compiled JavaScript in dist/ (operators in strings
 * and comments are never touched; types are gone), one at a time in place, each restored before the next; a mutant that does not
 * parse (node --check) is not counted. Nothing is installed and no source file is changed.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { declaredEquivalents, mutantsOf } from './mutants.js';
import { EQUIVALENTS } from './equivalents.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const uvuBin = path.join(path.dirname(createRequire(import.meta.url).resolve('uvu')), '..', 'bin.js');

/**
 * What is mutated, and the test files (under dist/test) that cover it: unit
 * and property tests that run in about a second, not the scenario tests that
 * start the CLI (seconds each), so a target takes minutes.
 */
const TARGETS: Record<string, { file: string; tests: string[] }> = {
  kernel: { file: 'src/sim/event-queue.js', tests: ['sim/scheduler.test.js', 'sim/event-order.property.test.js', 'sim/process.test.js'] },
  'link-timing': { file: 'models/pcie/link-timing.js', tests: ['models/pcie/link-timing.test.js', 'models/pcie/link.test.js', 'models/pcie/dma-throughput.test.js'] },
  credits: { file: 'models/pcie/credits.js', tests: ['models/pcie/credits.property.test.js', 'models/pcie/link.test.js'] },
  iotlb: { file: 'models/iommu/iotlb.js', tests: ['iommu/iotlb.test.js', 'iommu/iotlb.property.test.js'] },
  'grant-table': { file: 'models/xen/grant-table.js', tests: ['xen/grant-table.test.js', 'xen/grant-table.property.test.js', 'xen/gnttab.test.js'] },
  'gref-schemes': { file: 'models/dmabuf/gref-schemes.js', tests: ['dmabuf/gref-boundaries.property.test.js', 'dmabuf/gref-flows.test.js'] },
};

function runTests(tests: readonly string[], timeoutMs: number): { passed: boolean; timedOut: boolean; ms: number } {
  const t0 = Date.now(); // wall time only to bound a hanging mutant; it never reaches a result
  const dirs = [...new Set(tests.map((t) => path.dirname(t)))];
  let passed = true, timedOut = false;
  for (const dir of dirs) {
    const names = tests.filter((t) => path.dirname(t) === dir).map((t) => path.basename(t).replace(/\./g, '\\.'));
    const r = spawnSync(process.execPath, [uvuBin, path.join(DIST, 'test', dir), `^(${names.join('|')})$`, '--bail'], {
      encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) { passed = false; timedOut = r.signal !== null; break; }
  }
  return { passed, timedOut, ms: Date.now() - t0 };
}

function main(): void {
  const only = process.argv.slice(2);
  const unknown = only.filter((t) => !(t in TARGETS));
  if (unknown.length) {
    console.error(`npm run mutate: no target ${unknown.join(', ')}; targets: ${Object.keys(TARGETS).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const rows: string[] = [];
  let allKilled = 0, allSurvived = 0, allEquivalent = 0;
  const mistaken: string[] = [];
  for (const name of only.length ? only : Object.keys(TARGETS)) {
    const { file, tests } = TARGETS[name]!;
    const full = path.join(DIST, file);
    const original = fs.readFileSync(full, 'utf8');
    const mutants = mutantsOf(original);
    const equivalents = declaredEquivalents(original, mutants, EQUIVALENTS.filter((e) => e.target === name));
    const baseline = runTests(tests, 10 * 60_000);
    if (!baseline.passed) throw new Error(`${name}: the tests fail before any mutation; fix them first`);
    const timeout = 3 * baseline.ms + 5000;
    let killed = 0, hung = 0, survived = 0, equivalent = 0, invalid = 0;
    const survivors: string[] = [], equivalentLines: string[] = [];
    const restore = () => fs.writeFileSync(full, original);
    process.once('SIGINT', () => { restore(); process.exit(130); });
    try {
      mutants.forEach((m, i) => {
        const mutated = original.slice(0, m.start) + m.replacement + original.slice(m.end);
        fs.writeFileSync(full, mutated);
        if (spawnSync(process.execPath, ['--check', full], { stdio: 'ignore' }).status !== 0) {
          invalid++;
          restore();
          return;
        }
        // A declared equivalent runs too: one the tests kill was declared wrongly, and is counted killed.
        let run = runTests(tests, timeout);
        // A time-out may be a busy machine rather than a hang: once more with three times the room before it counts.
        if (run.timedOut) run = runTests(tests, 3 * timeout);
        restore();
        const passed = run.passed;
        if (run.timedOut) hung++;
        const where = `  ${file}:${m.line}  ${m.what}`, declared = equivalents.get(i);
        if (!passed) {
          killed++;
          if (declared) mistaken.push(`${where}  (declared equivalent: ${declared.why})`);
        } else if (declared) { equivalent++; equivalentLines.push(`${where}  ${declared.why}`); } else { survived++; survivors.push(where); }
      });
    } finally {
      restore();
    }
    allKilled += killed;
    allSurvived += survived;
    allEquivalent += equivalent;
    const score = killed + survived > 0 ? (100 * killed) / (killed + survived) : 100;
    rows.push(`${name.padEnd(14)} ${String(killed).padStart(5)} killed (${hung} hung) ${String(survived).padStart(5)} survived ${String(equivalent).padStart(4)} equivalent ${String(invalid).padStart(4)} not viable   score ${score.toFixed(1)}%`);
    console.log(rows[rows.length - 1]);
    for (const s of survivors) console.log(s);
    if (equivalentLines.length) console.log('  equivalent (test/mutate/equivalents.ts):');
    for (const s of equivalentLines) console.log(`  ${s}`);
  }
  console.log('\nMutation score (killed / (killed + survived); declared equivalents apart):');
  for (const r of rows) console.log(`  ${r}`);
  console.log(`  ${'all'.padEnd(14)} ${String(allKilled).padStart(5)} killed ${String(allSurvived).padStart(5)} survived ${String(allEquivalent).padStart(4)} equivalent   score ${((100 * allKilled) / Math.max(1, allKilled + allSurvived)).toFixed(1)}%`);
  if (mistaken.length) {
    console.log('\nDeclared equivalent, yet killed: take them out of test/mutate/equivalents.ts');
    for (const s of mistaken) console.log(s);
    process.exitCode = 1;
  }
}

main();

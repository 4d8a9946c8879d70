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
  ladder: { file: 'src/sim/ladder.js', tests: ['sim/event-order.property.test.js', 'sim/scheduler.test.js'] },
  link: {
    file: 'models/pcie/link.js',
    tests: ['models/pcie/link.test.js', 'models/pcie/fabric.test.js', 'models/pcie/switch.test.js', 'models/pcie/equivalence.test.js', 'models/pcie/golden-runs.test.js', 'models/pcie/ahead-log.test.js', 'models/pcie/dma-throughput.test.js', 'models/pcie/dma.test.js', 'models/pcie/endpoint.test.js', 'models/pcie/shortcuts.property.test.js'],
  },
  'dma-engine': {
    file: 'models/pcie/dma-engine.js',
    tests: ['models/pcie/dma.test.js', 'models/pcie/device-limits.test.js', 'models/pcie/descriptor-trace.test.js', 'models/pcie/endpoint.test.js', 'models/pcie/equivalence.test.js', 'models/pcie/golden-runs.test.js', 'models/pcie/attribution.test.js', 'models/dma-stream.test.js', 'models/pcie/shortcuts.property.test.js'],
  },
  switch: {
    file: 'models/pcie/switch.js',
    tests: ['models/pcie/switch.test.js', 'models/pcie/switch.property.test.js', 'models/pcie/shortcuts.property.test.js', 'models/pcie/topology.test.js', 'models/pcie/root-complex.test.js', 'models/pcie/equivalence.test.js', 'models/pcie/golden-runs.test.js'],
  },
  'gref-schemes': { file: 'models/dmabuf/gref-schemes.js', tests: ['dmabuf/gref-boundaries.property.test.js', 'dmabuf/gref-flows.test.js'] },
};

/**
 * Runs the tests of one target, each folder in a child process whose CPU
 * time is capped at `cpuSeconds` (the shell's ulimit -t): a mutant that
 * loops for ever is killed (SIGXCPU) once it has used that much processor
 * time. CPU time, unlike wall time, does not pass while the machine is busy
 * elsewhere or the process is stopped, so the cap can be tight without
 * counting a slow run as a hang. A wall-clock time-out stays, far above, for
 * a child that waits without computing. Returns the children's CPU seconds.
 */
function runTests(tests: readonly string[], cpuSeconds: number): { passed: boolean; timedOut: boolean; cpu: number } {
  const dirs = [...new Set(tests.map((t) => path.dirname(t)))];
  let passed = true, timedOut = false, cpu = 0;
  for (const dir of dirs) {
    const names = tests.filter((t) => path.dirname(t) === dir).map((t) => path.basename(t).replace(/\./g, '\\.'));
    // bash's `time` reports the child's user + system seconds on the last line of stderr (TIMEFORMAT).
    const script = 'ulimit -t "$1"; shift; TIMEFORMAT="cpu %U %S"; time "$@"';
    const r = spawnSync('bash', ['-c', script, 'bash', String(cpuSeconds), process.execPath, uvuBin, path.join(DIST, 'test', dir), `^(${names.join('|')})$`, '--bail'], {
      encoding: 'utf8', timeout: 20 * cpuSeconds * 1000 + 120_000, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
    });
    const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
    if (m) cpu += Number(m[1]) + Number(m[2]);
    if (r.status !== 0) {
      passed = false;
      // 128 + signal number: the shell reports a child killed by a signal (SIGXCPU) as such an exit code.
      timedOut = r.signal !== null || (r.status !== null && r.status > 128);
      break;
    }
  }
  return { passed, timedOut, cpu };
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
    const baseline = runTests(tests, 600);
    if (!baseline.passed) throw new Error(`${name}: the tests fail before any mutation; fix them first`);
    // Three times the CPU time the tests take unmutated, and a second more (ulimit counts whole seconds).
    const cpuLimit = Math.ceil(3 * baseline.cpu) + 1;
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
        const run = runTests(tests, cpuLimit);
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

/**
 * Every command against bad input: a file that is missing, corrupt (not what
 * its name says, or truncated), or of the wrong kind (a valid file of
 * another kind), and flags that are wrong. Each must exit 2 with a message
 * naming the file (or flag), no stack trace, and leave nothing written.
 */
import { test } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ROOT, tempDir } from '../helpers.js';
import { checkAllRefused, type RefusedCase } from '../refusals.js';

/** One small sweep folder and one traced run folder, made once through the real CLI; cases copy and break them. */
const base = tempDir('pciesim-bad-input-');
const SWEEP = path.join(base, 'sweep'), RUN = path.join(base, 'run');
const made = [
  cli(['sweep', 'demo-read-tags', '--set', 'requests=200', '--grid', 'tags=8,16', '--replications', '1', '--no-report', '--out', SWEEP]),
  cli(['run', 'demo-read-tags', '--set', 'requests=200', '--trace', '--out', RUN]),
];
for (const m of made) if (m.code !== 0) throw new Error(`fixture: ${m.stderr}`);

/** A fresh folder holding `files` (name → contents, or a path to copy from). */
function folder(files: Record<string, string | Buffer | { copy: string }>): string {
  const dir = tempDir('pciesim-bad-');
  for (const [name, body] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!Buffer.isBuffer(body) && typeof body === 'object') fs.cpSync(body.copy, file, { recursive: true });
    else fs.writeFileSync(file, body);
  }
  return dir;
}
const copyOf = (src: string, changes: Record<string, string | Buffer> = {}) => {
  const dir = folder({});
  fs.cpSync(src, dir, { recursive: true });
  for (const [name, body] of Object.entries(changes)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
};
/** The first half of a file: what a crash or a full disk leaves. */
const truncated = (file: string) => fs.readFileSync(file).subarray(0, Math.floor(fs.statSync(file).size / 2));
const NOT_JSON = '{"name": "x", "components": [';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

/** Cases are queued as a test names them and checked together by refusals(), two at a time (one per core): each is its own process. */
const queue: RefusedCase[] = [];
function expectRefused(c: RefusedCase): void {
  queue.push(c);
}

function refusals(): Promise<void> {
  return checkAllRefused(queue.splice(0), base);
}

test('run and validate: a missing, corrupt or wrong-kind scenario, and bad flags', async () => {
  const out = path.join(folder({}), 'out');
  const dir = folder({ 'broken.json': NOT_JSON, 'image.json': PNG, 'preset.json': { copy: path.join('models', 'presets', 'pcie-link.json') } });
  const sweepJson = path.join(SWEEP, 'sweep.json');
  for (const cmd of ['run', 'validate']) {
    const outFlag = cmd === 'run' ? ['--out', out] : [];
    expectRefused({ args: [cmd, path.join(dir, 'nosuch.json'), ...outFlag], names: 'nosuch.json', absent: [out] });
    expectRefused({ args: [cmd, path.join(dir, 'broken.json'), ...outFlag], names: /broken\.json: not valid JSON/, absent: [out] });
    expectRefused({ args: [cmd, path.join(dir, 'image.json'), ...outFlag], names: /image\.json: not valid JSON/, absent: [out] });
    expectRefused({ args: [cmd, path.join(dir, 'preset.json'), ...outFlag], names: 'preset.json', absent: [out] });
    expectRefused({ args: [cmd, sweepJson, ...outFlag], names: 'sweep.json', absent: [out] });
  }
  const flags: [string[], string][] = [[['--set', 'tags'], '--set tags: expected NAME=VALUE'], [['--set', 'nosuch=1'], 'no parameter "nosuch"'],
    [['--seed', 'x'], '--seed x: expected a whole number'], [['--replication=-1'], '--replication -1'], [['--bogus'], '"--bogus"; "pciesim run --help" lists its options'],
    [['--sett', 'tags=8'], 'unknown option "--sett" (did you mean "--set"'], [['--seed', '-1'], '--seed needs a value; for one that starts with a dash write --seed=VALUE']];
  for (const [f, names] of flags) expectRefused({ args: ['run', 'demo-read-tags', ...f, '--out', out], names, absent: [out] });
  expectRefused({ args: ['validate', 'demo-read-tags', '--set', 'tags=x'], names: 'tags' });
  expectRefused({ args: ['run', 'vm-display-pipline', '--out', out], names: 'did you mean "vm-display-pipeline"', absent: [out] });
  // Quantities a model parameter cannot take, each named by its path with what it expected.
  const rc = (over: Record<string, unknown>) => ({ name: 'q', components: [{ name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4', ...over }] });
  const quantities = folder({
    'duration.json': JSON.stringify(rc({ params: { traversal: '-5 ns' } })),
    'size.json': JSON.stringify(rc({ params: { memorySize: '1.5 B' } })),
    'rate.json': JSON.stringify(rc({ slots: { memory: { params: { bandwidth: '-3 GB/s' } } } })),
  });
  for (const [file, names] of [['duration.json', 'components[0].params.traversal: expected a non-negative duration, got "-5 ns"'],
    ['size.json', 'components[0].params.memorySize: expected a whole, non-negative number of bytes, got "1.5 B"'],
    ['rate.json', 'components[0].slots.memory.params.bandwidth: expected a positive rate, got "-3 GB/s"']]) {
    expectRefused({ args: ['run', path.join(quantities, file!), '--out', out], names: `${file}: ${names}`, absent: [out] });
  }
  await refusals();
});

test('sweep: a missing or corrupt scenario, bad flags, and --resume into a folder whose sweep.json or run summary is corrupt', async () => {
  const out = path.join(folder({}), 'out');
  expectRefused({ args: ['sweep', 'nosuch-scenario', '--out', out], names: 'nosuch-scenario', absent: [out] });
  expectRefused({ args: ['sweep', path.join(folder({ 'b.json': NOT_JSON }), 'b.json'), '--out', out], names: 'b.json', absent: [out] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--replications', 'two', '--out', out], names: '--replications', absent: [out] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--bogus', '--out', out], names: '--bogus', absent: [out] });
  // A bad value is named by the flag that gave it, with the parameter's unit.
  expectRefused({ args: ['sweep', 'demo-read-tags', '--grid', 'tags=4,x', '--out', out], names: '--grid tags=x: parameter "tags"', absent: [out] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--zip', 'tags=4,x', '--zip', 'load=1,2', '--out', out], names: '--zip tags=x', absent: [out] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--set', 'tags=x', '--grid', 'load=1,2', '--out', out], names: '--set tags=x', absent: [out] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--grid', 'load=5 GB,6', '--out', out], names: '--grid load=5 GB: parameter "load" of', absent: [out] });
  expectRefused({ args: ['run', 'demo-read-tags', '--set', 'load=5 GB', '--out', out], names: 'is a number in requests/µs', absent: [out] });
  const args = ['demo-read-tags', '--set', 'requests=200', '--grid', 'tags=8,16', '--replications', '1', '--no-report'];
  const badManifest = copyOf(SWEEP, { 'sweep.json': NOT_JSON });
  expectRefused({ args: ['sweep', ...args, '--resume', '--out', badManifest], names: /sweep\.json/, unchanged: [badManifest] });
  const badSummary = copyOf(SWEEP, { [path.join('runs', 'p0001-r0', 'summary.json')]: '{"status": "o' });
  fs.rmSync(path.join(badSummary, 'results.arrow'));
  expectRefused({ args: ['sweep', ...args, '--resume', '--out', badSummary], names: /p0001-r0.summary\.json/, unchanged: [badSummary] });
  const aFile = path.join(folder({ 'x.txt': 'x' }), 'x.txt');
  expectRefused({ args: ['sweep', ...args, '--out', aFile], names: 'x.txt: exists and is not a folder' });
  // Resuming with another grid than the folder's sweep: refused, the folder as it was.
  const other = copyOf(SWEEP);
  expectRefused({ args: ['sweep', ...args.map((a) => (a === 'tags=8,16' ? 'tags=4,8' : a)), '--resume', '--out', other], names: 'holds a different scenario, parameters or grid; resume with the same scenario and flags', unchanged: [other] });
  await refusals();
});

test('merge: missing folders, a corrupt or wrong-kind sweep.json, a corrupt run summary, bad flags; --out left unwritten', async () => {
  const out = path.join(folder({}), 'merged');
  expectRefused({ args: ['merge', path.join(base, 'nosuch'), '--out', out], names: 'nosuch', absent: [out] });
  expectRefused({ args: ['merge', copyOf(SWEEP, { 'sweep.json': NOT_JSON }), '--out', out], names: /sweep\.json: not valid JSON/, absent: [out] });
  expectRefused({ args: ['merge', copyOf(SWEEP, { 'sweep.json': truncated(path.join(SWEEP, 'sweep.json')) }), '--out', out], names: 'sweep.json', absent: [out] });
  // Valid JSON, but a scenario or a run summary, not a sweep manifest.
  const scenario = fs.readFileSync(path.join('scenarios', 'demo-read-tags.json'));
  expectRefused({ args: ['merge', copyOf(SWEEP, { 'sweep.json': scenario }), '--out', out], names: /sweep\.json: not a sweep manifest/, absent: [out] });
  expectRefused({ args: ['merge', copyOf(SWEEP, { 'sweep.json': '[1, 2]' }), '--out', out], names: /sweep\.json: not a sweep manifest/, absent: [out] });
  expectRefused({ args: ['merge', RUN, '--out', out], names: 'not a sweep folder', absent: [out] });
  const badSummary = copyOf(SWEEP, { [path.join('runs', 'p0000-r0', 'summary.json')]: '{"seed": ' });
  expectRefused({ args: ['merge', badSummary, '--out', out], names: /p0000-r0.summary\.json: not valid JSON/, absent: [out] });
  expectRefused({ args: ['merge', SWEEP], names: /^pciesim merge: --out DIR is required/, unchanged: [SWEEP] });
  expectRefused({ args: ['merge', SWEEP, '--out', out, '--bogus'], names: '--bogus', absent: [out] });
  await refusals();
});

test('report: a folder that is not a sweep, a corrupt or wrong-kind results.arrow, bad flags; no report folder left', async () => {
  const out = path.join(folder({}), 'report');
  expectRefused({ args: ['report', path.join(base, 'nosuch'), '--out', out], names: 'nosuch', absent: [out] });
  expectRefused({ args: ['report', RUN, '--out', out], names: 'no results.arrow', absent: [out] });
  for (const [why, body] of [['truncated', truncated(path.join(SWEEP, 'results.arrow'))], ['not arrow', PNG], ['a trace, not results', fs.readFileSync(path.join(RUN, 'trace.arrow'))]] as const) {
    const dir = copyOf(SWEEP, { 'results.arrow': body });
    expectRefused({ args: ['report', dir, '--out', out], names: /results\.arrow/, absent: [out, path.join(dir, 'report')] });
    void why;
  }
  const badSummary = copyOf(SWEEP, { [path.join('runs', 'p0000-r0', 'summary.json')]: '{"seed": ' });
  expectRefused({ args: ['report', badSummary], names: /p0000-r0.summary\.json/, absent: [path.join(badSummary, 'report')] });
  expectRefused({ args: ['report', SWEEP, SWEEP], names: /^pciesim report: with several folders, --out DIR is required/, unchanged: [SWEEP] });
  expectRefused({ args: ['report'], names: /^pciesim report: name at least one sweep folder/, unchanged: [SWEEP] });
  expectRefused({ args: ['report', SWEEP, '--bogus'], names: '--bogus', unchanged: [SWEEP] });
  await refusals();
});

test('trace: a missing, corrupt or wrong-kind trace.arrow, bad flags; no timeline or temp file left', async () => {
  const outDir = folder({});
  const out = path.join(outDir, 'timeline.json');
  expectRefused({ args: ['trace', path.join(base, 'nosuch'), '--chrome', out], names: 'nosuch', unchanged: [outDir] });
  for (const body of [truncated(path.join(RUN, 'trace.arrow')), PNG, Buffer.from('')]) {
    const dir = copyOf(RUN, { 'trace.arrow': body });
    expectRefused({ args: ['trace', dir, '--chrome', out], names: /trace\.arrow: not a trace/, unchanged: [outDir, dir] });
  }
  // results.arrow is Arrow, but not a trace.
  expectRefused({ args: ['trace', path.join(SWEEP, 'results.arrow'), '--chrome', out], names: /results\.arrow: not a trace/, unchanged: [outDir] });
  expectRefused({ args: ['trace', RUN], names: /^pciesim trace: --chrome OUT.json is required/, unchanged: [RUN] });
  expectRefused({ args: ['trace', '--chrome', out], names: /^pciesim trace: name one run folder/, unchanged: [outDir] });
  // A missing output folder is made, like every other output's, but not for a trace that does not open.
  const corrupt = copyOf(RUN, { 'trace.arrow': PNG });
  expectRefused({ args: ['trace', corrupt, '--chrome', path.join(outDir, 'new', 'x.json')], names: /not a trace/, unchanged: [outDir] });
  // An output path through a file is the user's to mend: its path named, no stack.
  const aFile = path.join(outDir, 'a-file');
  fs.writeFileSync(aFile, '');
  expectRefused({ args: ['trace', RUN, '--chrome', path.join(aFile, 'x.json')], names: `cannot write ${aFile}: is a file, not a folder`, unchanged: [outDir] });
  expectRefused({ args: ['run', 'demo-read-tags', '--out', path.join(aFile, 'run')], names: `cannot write ${path.join(aFile, 'run')}: a part of the path is a file`, unchanged: [outDir] });
  expectRefused({ args: ['trace', RUN, '--chrome', out, '--bogus'], names: '--bogus', unchanged: [outDir] });
  await refusals();
});

test('import, list and schema: missing, corrupt and wrong-kind input, bad flags', async () => {
  const outDir = folder({});
  const out = path.join(outDir, 'imported.json');
  expectRefused({ args: ['import', 'lspci', path.join(base, 'nosuch.txt'), '--out', out], names: 'nosuch.txt', unchanged: [outDir] });
  const png = path.join(folder({ 'tree.txt': PNG }), 'tree.txt');
  expectRefused({ args: ['import', 'lspci', png, '--out', out], names: 'tree.txt', unchanged: [outDir] });
  // A valid file of another kind (the cases run from a temporary folder, hence the full path).
  expectRefused({ args: ['import', 'lspci', path.join(ROOT, 'scenarios', 'demo-read-tags.json'), '--out', out], names: /demo-read-tags\.json: not the output of lspci/, unchanged: [outDir] });
  expectRefused({ args: ['import', 'lspci', png, '--out', out, '--bogus'], names: '--bogus', unchanged: [outDir] });
  // A format's own option, misspelt: the closest is found among that format's options.
  expectRefused({ args: ['import', 'lspci', png, '--out', out, '--p2pp', 'a,b'], names: '(did you mean "--p2p"?)', unchanged: [outDir] });
  expectRefused({ args: ['sweep', 'demo-read-tags', '--replication', '2'], names: '(did you mean "--replications"?)' });
  expectRefused({ args: ['list', 'widgets'], names: 'list widgets' });
  expectRefused({ args: ['list', 'types', 'no.such.type'], names: 'no.such.type' });
  expectRefused({ args: ['list', 'scenarios', '--bogus'], names: '--bogus' });
  expectRefused({ args: ['schema', '--out', outDir], names: `--out ${outDir}: is a folder`, unchanged: [outDir] });
  expectRefused({ args: ['schema', '--bogus'], names: '--bogus' });
  await refusals();
});

test.run();

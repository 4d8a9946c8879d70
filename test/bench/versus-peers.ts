/**
 * PHOLD on pciesim's kernel and on its peers (plain C++ heap, ns-3, SimPy),
 * in the same session, interleaved, so machine noise hits all engines alike.
 *
 *   npm run bench:peers -- [N=1000] [E=5000000] [SEED=42] [--rounds R=3] [--warmup W=1000000] [--install] [--peers DIR]
 *
 * For P=1 and P=100 it runs R rounds of (pciesim, then every peer through the
 * peers' run-peers.sh), takes each engine's median rate and prints a Markdown
 * table with pciesim's rate as a ratio of each peer's. --install is passed to
 * run-peers.sh on the first call (it installs ns-3 and SimPy from Debian).
 * DIR defaults to ../shared/anchors/phold relative to the working directory.
 *
 * pciesim runs twice a round: `pciesim` first runs W events of PHOLD on a
 * Simulation of its own, untimed (phold.ts --warmup), so that its timed run,
 * like the peers', runs compiled code from its first event (the C++ and ns-3
 * peers are compiled before they start; V8 compiles pciesim's hot path
 * during its first half million events or so); `pciesim-cold` is a fresh
 * process timed from its first event, as this table was before the warm-up.
 * Both timed runs are the same events with the same checksum, and the table
 * gives the ratios of both. --warmup 0 leaves out the warm row.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../../src/calibrate/repeats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1000000' }, install: { type: 'boolean', default: false }, peers: { type: 'string', default: '../shared/anchors/phold' } },
});
const [N = '1000', E = '5000000', SEED = '42'] = positionals;
const rounds = Number(values.rounds);
const runPeers = path.resolve(values.peers!, 'run-peers.sh');
const phold = path.join(path.dirname(fileURLToPath(import.meta.url)), 'phold.js');

/** Runs a command and returns engine name → rate for each `rate=` line it prints. */
function rates(cmd: string, args: string[]): Map<string, number> {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) .*rate=([\d,]+)/.exec(line); // SimPy prints thousands separators
    if (m) out.set(m[1]!, Number(m[2]!.replaceAll(',', '')));
    else if (line.trim()) {
      process.stderr.write(`  ${line}\n`);
      if (/skipped/.test(line)) skippedPeers.add(line.split(':')[0]!.trim());
    }
  }
  return out;
}

const mev = (r: number) => (r / 1e6).toFixed(2);

let install = values.install;
/** Peers run-peers.sh said it skipped (not installed): named under the table, with how to add them. */
const skippedPeers = new Set<string>();
const rows: string[] = [];
for (const P of ['1', '100']) {
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const warm = Number(values.warmup) > 0 ? rates(process.execPath, [phold, N, P, E, SEED, '--warmup', values.warmup!]) : new Map<string, number>();
    const cold = [...rates(process.execPath, [phold, N, P, E, SEED])].map(([e, r]) => [`${e}-cold`, r] as const);
    const got = [...warm, ...cold, ...rates('bash', [runPeers, N, P, E, SEED, ...(install ? ['--install'] : [])])];
    install = false;
    for (const [engine, rate] of got) samples.set(engine, [...(samples.get(engine) ?? []), rate]);
    process.stderr.write(`P=${P} round ${round + 1}/${rounds}: ${got.map(([e, r]) => `${e} ${mev(r)}M`).join(', ')}\n`);
  }
  const ours = median(samples.get('pciesim') ?? [NaN]);
  const cold = median(samples.get('pciesim-cold') ?? [NaN]);
  for (const [engine, xs] of samples) {
    const m = median(xs);
    const peer = !engine.startsWith('pciesim');
    const ratio = peer && samples.has('pciesim') ? `${(ours / m).toFixed(2)}x` : '';
    const coldRatio = peer ? `${(cold / m).toFixed(2)}x` : '';
    rows.push(`| ${P} | ${engine} | ${mev(m)} | ${xs.map(mev).join(', ')} | ${ratio} | ${coldRatio} |`);
  }
}
const warmNote = Number(values.warmup) > 0 ? ` pciesim: timed after an untimed warm-up run of ${values.warmup} events in the same process; pciesim-cold: a fresh process.` : '';
console.log(`PHOLD, N=${N} LPs, E=${E} events, seed ${SEED}; median of ${rounds} interleaved rounds.${warmNote}\n`);
console.log('| P | engine | M events/s (median) | rounds | pciesim ÷ engine | pciesim-cold ÷ engine |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (skippedPeers.size > 0) console.log(`\nNot in the table: ${[...skippedPeers].sort().join(', ')} (not installed; --install installs them from Debian).`);

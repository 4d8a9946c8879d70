/**
 * PHOLD through the public scheduler API, for side-by-side figures against
 * the peer engines in shared/anchors/phold (run-peers.sh).
 *   npm run bench:kernel -- N P E SEED [--fingerprint] [--warmup W]
 * N logical processes, P initial events each; every event schedules one new
 * event at a uniformly chosen LP after an Exp(mean 1) delay; E events in all.
 * The mean delay is 1 µs of simulated time, i.e. 10^6 ps, so rounding to
 * integer picoseconds does not disturb the ordering the peers see.
 *
 * Like the peers, the rate counts the E events executed by run(), each a pop,
 * a handler call and (but for the last) one schedule. The draws go through a
 * public `sim.rng` stream (seedrandom alea, Math.log for the exponential);
 * the C++ peer uses an inline xorshift and ns-3 its MRG32k3a streams.
 * Rounding uses toPs, not Math.round: same integers, ~4 ns less per event
 * on V8 (see roundHalfUp in src/sim/time.ts).
 *
 * Output: the rate, plus a checksum over the per-LP counts (same formula as
 * the ns-3 and SimPy peers) and with --fingerprint the kernel's fingerprint
 * of the executed (time, kind) sequence. --fingerprint runs the kernel's
 * general loop, without it the plain one: equal simtime and checksum show
 * the two loops ran the same events.
 *
 * --warmup W first runs W events of the same PHOLD (same N and P, seed
 * SEED + 1) on a Simulation of its own, untimed, then the timed run as
 * without it: same events, checksum and fingerprint. Why: V8 compiles the
 * hot path while the first run is under way (interpreter, then a TurboFan
 * compile on a background thread swapped in mid-loop), which at P=1 costs
 * the first ~0.5 M events of a cold process a third of their speed, about
 * 10% of a 5 M-event run, and how much depends on when the background
 * compiles land. The C++ and ns-3 peers are compiled before they run and
 * their compile is not timed either; SimPy's interpreter has nothing to warm.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Simulation, PS_PER_US, toPs } from '../../src/sim/index.js';
import { tuneJit } from '../../src/run/jit.js';

// As the command line runs (src/run/jit.ts).
tuneJit();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { fingerprint: { type: 'boolean', default: false }, warmup: { type: 'string', default: '0' } },
});
const [N = 1000, P = 1, E = 5_000_000, SEED = 42] = positionals.map(Number);
const fingerprint = values.fingerprint!;
const warmup = Number(values.warmup);

/** One PHOLD run of `events` events: the timed part is sim.run() alone, as in the peers. */
function phold(seed: number, events: number) {
  const sim = new Simulation({ seed, fingerprint, initialQueueCapacity: N * P + 1 });
  const rng = sim.rng('phold');
  const counts = new Float64Array(N);
  let remaining = events;

  function arrive(_: null, lp: number): void {
    counts[lp]!++;
    if (--remaining > 0) sim.schedule(toPs(rng.exponential(PS_PER_US)), arrive, null, (rng.random() * N) | 0);
    else sim.stop();
  }

  for (let i = 0; i < N * P; i++) sim.schedule(toPs(rng.exponential(PS_PER_US)), arrive, null, (rng.random() * N) | 0);

  const t0 = performance.now();
  const r = sim.run();
  const wall = (performance.now() - t0) / 1000;
  let checksum = 0;
  for (let i = 0; i < N; i++) checksum = (checksum + (i + 1) * counts[i]!) % 1_000_000_007;
  return { sim, events: r.events, wall, checksum };
}

if (warmup > 0) phold(SEED + 1, warmup);
const { sim, events, wall, checksum } = phold(SEED, E);
console.log(`pciesim N=${N} P=${P} E=${events} simtime=${(sim.now / PS_PER_US).toFixed(6)} checksum=${checksum} ` +
  `wall=${wall.toFixed(3)}s rate=${Math.round(events / wall)} ev/s` +
  (fingerprint ? ` fingerprint=${sim.fingerprint()}` : ''));

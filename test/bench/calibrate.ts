/**
 * Calibration scaling: `pciesim calibrate` on one thread and on N (its
 * `--jobs`), printing each fit's wall time and the speed-up, and checking
 * that both wrote the same files.
 *   npm run bench:calibrate -- [JOBS=2] [PAIRS=2]
 * The measurements are the simulator's own: DMA read, write and alternating
 * throughput by size (pcie-bench's 40 sizes from 16 B to 2 KiB, 2000
 * transfers a point, as it runs them) on the Broadwell platform with the NFP-6000's per-TLP transmit time
 * moved to 2.6 ns, written in calibrate's simple format; the fit is the
 * README's, the DMA engine's tlpOverhead and tlpRate. So it runs anywhere,
 * without pcie-bench's data. Each fit is a process of its own, as a user
 * runs it; PAIRS > 1 alternates the two that many times and prints the
 * median speed-up, for a machine whose speed drifts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { CurveSimulator } from '../../src/calibrate/simulate.js';
import { median } from '../../src/calibrate/repeats.js';
import { runChild } from './child.js';
import { filesThatDiffer } from '../helpers.js';

const [JOBS = 2, PAIRS = 2] = process.argv.slice(2).map(Number);
const PLATFORM = 'nfp6000-xeon-e5-2630v4';
/** pcie-bench's size sweep (bw_dma_sz_sweep.csv): powers of two and the sizes a byte either side of the 64, 128, 256 and 512-byte steps. */
const SIZES = [16, 32, 63, 64, 65, 127, 128, 129, 192, 255, 256, 257, 320, 384, 511, 512, 513, 576, 640, 704, 767, 768, 769, 832, 896, 960, 1023, 1024, 1025,
  1279, 1280, 1281, 1535, 1536, 1537, 1791, 1792, 1793, 2047, 2048];
const TRANSFERS = 2000;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-bench-calibrate-'));

const sim = new CurveSimulator(await loadModelLibrary());
const measured = path.join(tmp, 'throughput.csv');
const rows = ['scenario,metric,x,measured,platform,op,size,transfers'];
for (const op of ['read', 'write', 'alternating']) {
  for (const size of SIZES) {
    const params = { platform: PLATFORM, op, size, transfers: TRANSFERS };
    const v = sim.metric('dma-bandwidth', 'dma.throughput_gbytes_per_s', params, { 'ep.dma': { tlpOverhead: '2.6 ns' } });
    rows.push(`dma-bandwidth,dma.throughput_gbytes_per_s,${size},${v},${PLATFORM},${op},${size},${TRANSFERS}`);
  }
}
fs.writeFileSync(measured, rows.join('\n') + '\n');
console.log(`${rows.length - 1} points (${SIZES.length} sizes; reads, writes and alternating; ${TRANSFERS} transfers each) in ${measured}`);

/** One fit on `jobs` threads into `out`; its wall time in seconds. */
async function fit(jobs: number, out: string): Promise<number> {
  const t0 = performance.now();
  const r = await runChild(process.execPath, [path.join(root, 'dist', 'src', 'cli.js'), 'calibrate', '--preset', 'nfp6000-dma', '--set', `platform=${PLATFORM}`,
    '--measured', measured, '--fit', 'tlpOverhead,tlpRate', '--out', out, '--jobs', String(jobs)]);
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`calibrate --jobs ${jobs} failed (exit ${r.code}): ${r.stderr}`);
  console.log(`jobs=${jobs} wall=${wall.toFixed(2)}s  ${r.stdout.split('\n').filter((l) => /tlpOverhead|mean absolute error|simulations/.test(l)).map((l) => l.trim()).join('; ')}`);
  return wall;
}

const speedups: number[] = [];
let same = true;
for (let pair = 0; pair < PAIRS; pair++) {
  const one = await fit(1, path.join(tmp, `one-${pair}`));
  const many = await fit(JOBS, path.join(tmp, `many-${pair}`));
  same &&= filesThatDiffer(path.join(tmp, `one-${pair}`), path.join(tmp, `many-${pair}`)).length === 0;
  speedups.push(one / many);
  console.log(`speedup=${(one / many).toFixed(2)}x with ${JOBS} threads (${os.availableParallelism()} cores)`);
}
if (PAIRS > 1) console.log(`median speedup=${median(speedups).toFixed(2)}x over ${PAIRS} pairs (${[...speedups].sort((x, y) => x - y).map((x) => x.toFixed(2)).join(', ')})`);
console.log(`files identical: ${same}`);
fs.rmSync(tmp, { recursive: true, force: true });

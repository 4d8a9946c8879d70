/**
 * Trace writing throughput and memory.
 *   npm run bench:trace -- [ROWS] [DIR]
 * Records ROWS rows (default 20 million) through one channel in a tight loop,
 * as a link model would, into DIR/trace.arrow (default: a fresh temp folder,
 * deleted afterwards), and prints the rate and the peak resident set. Targets:
 * at least 5 million rows/s, and a 100-million-row trace under 500 MB of RSS,
 * i.e. memory flat in run length. A whole traced simulation, models and
 * kernel included, is `npm run bench:fabric -- 20000000 --only=write --trace`
 * (about 100 M events, every trace kind recorded).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NO_LABEL, NO_TXN, openTracer } from '../../src/trace/index.js';
import { tuneJit } from '../../src/run/jit.js';

// As the command line runs (src/run/jit.ts).
tuneJit();

const rows = Number(process.argv[2] ?? 20_000_000);
if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`ROWS must be a non-negative integer, got ${process.argv[2]}`);
const keepDir = process.argv[3];
const dir = keepDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-bench-trace-'));
const file = path.join(dir, 'trace.arrow');

const tracer = openTracer(file, { enabled: true, include: ['*/tlp'] }, {
  scenario: 'bench-trace', scenarioHash: '0', parameters: { rows }, seed: 1, replication: 0, pciesimVersion: 'bench',
});
const channel = tracer.channel('link0', 'tlp', { hot: true });
if (channel === null) throw new Error('bench: the tlp channel is not selected');
const mrd = tracer.label('MRd');
const mwr = tracer.label('MWr');

const TLP_GAP_PS = 1000, TLP_BYTES = 256, FLIGHT_PS = 250_000;
const t0 = performance.now();
for (let i = 0; i < rows; i++) {
  // Every fourth TLP belongs to no transaction and carries no label, so the null paths are exercised too.
  const plain = (i & 3) === 3;
  channel.record(i * TLP_GAP_PS, plain ? NO_TXN : i >> 2, TLP_BYTES, FLIGHT_PS, i & 31, 0.5, plain ? NO_LABEL : (i & 1) === 0 ? mrd : mwr);
}
tracer.close();
const seconds = (performance.now() - t0) / 1000;

const fileBytes = fs.statSync(file).size;
if (keepDir === undefined) fs.rmSync(dir, { recursive: true });
const MB = 1024 * 1024;
console.log(`trace rows=${rows} seconds=${seconds.toFixed(3)} rate=${Math.round(rows / seconds)} rows/s ` +
  `file=${(fileBytes / MB).toFixed(1)}MB peakRSS=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}MB`);

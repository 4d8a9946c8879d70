/**
 * Packet-path speed: a saturated endpoint → link → root complex → memory
 * path (root-complex.ts buildDmaPath, the pcie-gen3x8-xeon-e5 preset), built
 * directly with no scenario machinery, moving a fixed number of TLPs.
 *   npm run bench:fabric -- [TLPS=2000000] [SIZE=65536]
 * Two runs: DMA writes (MWr upstream only) and DMA reads (MRd upstream,
 * CplD downstream). Each keeps the engine saturated: descriptors of SIZE
 * bytes, one per tag in flight, enough of them to put at least TLPS TLPs
 * on the link (both directions counted). Prints, per run,
 *   tlps=<n> wall=<s> rate=<TLPs per second> events=<n> events/s=<n>
 * No trace is recorded: this measures the hot path, not the trace writer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Simulation } from '../../src/sim/index.js';
import { DmaStream, SPEC_DEFAULT_TAGS } from '../../models/pcie/dma-engine.js';
import { buildDmaPath, dmaPathParams, type DmaPathParams } from '../../models/pcie/root-complex.js';
import { readCompletionCount, readRequestCount, writeTlpCount } from '../../models/pcie/tlp.js';

const [TLPS = 2_000_000, SIZE = 65536] = process.argv.slice(2).map(Number);
const PRESET = 'pcie-gen3x8-xeon-e5';
/** The window holds every descriptor in flight this many times over (addresses change no timing; any value >= 1 works). */
const WINDOW_LAPS = 4;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const preset = JSON.parse(fs.readFileSync(path.join(root, 'models', 'presets', `${PRESET}.json`), 'utf8')) as { values: Record<string, { value: unknown }> };
const values = Object.fromEntries(Object.entries(preset.values).map(([k, v]) => [k, v.value]));
const params: DmaPathParams = dmaPathParams(values);

/** TLPs one descriptor puts on the link, both directions (aligned: the window base is page aligned). */
function tlpsPerDescriptor(op: 'read' | 'write'): number {
  const { endpoint: ep, rootComplex: rc } = params;
  return op === 'write'
    ? writeTlpCount(0, SIZE, ep.mps)
    : readRequestCount(0, SIZE, ep.mrrs) + readCompletionCount(0, SIZE, ep.mrrs, ep.mps, rc.rcb, rc.completionMode);
}

function bench(op: 'read' | 'write'): void {
  const sim = new Simulation({ seed: 1 });
  const p = buildDmaPath(sim, params);
  const descriptors = Math.ceil(TLPS / tlpsPerDescriptor(op));
  const stream = new DmaStream(p.endpoint.dma, {
    descriptors, descriptorSize: SIZE, readFraction: op === 'read' ? 1 : 0, addressPattern: 'sequential',
    windowBase: params.memory.base, windowSize: Math.min(params.memory.size, SIZE * SPEC_DEFAULT_TAGS * WINDOW_LAPS), alignment: SIZE,
    // One descriptor per tag keeps every tag busy on reads and the transmit queue full on writes.
    outstandingDescriptors: SPEC_DEFAULT_TAGS,
  }, sim.rng('addresses'), sim.rng('ops'));
  const t0 = performance.now();
  stream.start();
  const r = sim.run();
  const wall = (performance.now() - t0) / 1000;
  const tlps = p.link.aToB.stats().tlpsSent + p.link.bToA.stats().tlpsSent;
  const gbps = p.endpoint.dma.stats().throughput / 1e9;
  console.log(`fabric ${op.padEnd(5)} tlps=${tlps} wall=${wall.toFixed(3)} rate=${Math.round(tlps / wall)} TLPs/s ` +
    `events=${r.events} events/s=${Math.round(r.events / wall)} simulated=${gbps.toFixed(3)} GB/s`);
}

bench('write');
bench('read');

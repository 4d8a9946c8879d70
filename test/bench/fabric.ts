/**
 * Packet-path speed: a saturated endpoint —link— switch —link— root complex
 * → memory path, built as a user builds it: a scenario object (the
 * netfpga-sume-dma endpoint, a pcie-switch-pex8796 switch with MPS 256, the
 * xeon-e5-v4 root complex and its memory, both links pcie-link Gen3 x8)
 * parsed, resolved against the model library and run by runScenario, with a
 * fixed number of TLPs.
 *   npm run bench:fabric -- [TLPS=2000000] [SIZE=65536] [--direct] [--only=write|read]
 * Two runs: DMA writes (MWr upstream only) and DMA reads (MRd upstream,
 * CplD downstream). Each keeps the engine saturated: descriptors of SIZE
 * bytes, one per tag in flight (the preset's 32), enough of them to make
 * at least TLPS TLPs. `--direct` leaves the switch out (endpoint —link—
 * root complex), the path this benchmark measured before.
 *
 * TLPs are counted once each, as distinct TLPs created, not once per link
 * they cross: the TLPs the endpoint's link carried in both directions (every
 * MWr and MRd crosses it up, every CplD down). Per run it prints
 *   tlps=<n> wall=<s> rate=<TLPs per second> events=<n> events/s=<n>
 * The wall time is runScenario's: building the components and collecting
 * the metrics are inside it (2-4 ms together, measured on a run with no
 * descriptors, against about 2 s of run at the default size), and so is the
 * JIT's warm-up on the first run; resolving the scenario is not. Like every
 * runScenario run it computes the run's fingerprint (a hash step per
 * event). No trace is recorded: this measures the hot path, not the trace
 * writer. `cpu` is the process's CPU time over the same interval (GC and
 * compiler threads included), a second figure for a shared machine.
 */
import { performance } from 'node:perf_hooks';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { presetValues } from '../../src/scenario/presets.js';
import { runScenario } from '../../src/run/single.js';
import { readCompletionCount, readRequestCount, writeTlpCount, type CompletionMode } from '../../models/pcie/tlp.js';

const args = process.argv.slice(2);
const direct = args.includes('--direct');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const [TLPS = 2_000_000, SIZE = 65536] = args.filter((a) => !a.startsWith('--')).map(Number);
/** The window holds every descriptor in flight this many times over (addresses change no timing; any value >= 1 works). */
const WINDOW_LAPS = 4;
const LINK = { gen: 3, width: 8 };

const lib = await loadModelLibrary();
const preset = (name: string) => presetValues(lib.presets.get(name)!);
const ep = preset('netfpga-sume-dma') as { mps: number; mrrs: number; tags: number };
/** One descriptor in flight per tag keeps every tag busy on reads and the link's transmit queue full on writes. */
const IN_FLIGHT = ep.tags;
const rc = preset('xeon-e5-v4') as { rcb: number; completionMode: CompletionMode; 'memory.base': number };

/** TLPs one descriptor makes (aligned: the window base is page aligned). */
function tlpsPerDescriptor(op: 'read' | 'write'): number {
  return op === 'write'
    ? writeTlpCount(0, SIZE, ep.mps)
    : readRequestCount(0, SIZE, ep.mrrs) + readCompletionCount(0, SIZE, ep.mrrs, ep.mps, rc.rcb, rc.completionMode);
}

function scenario(op: 'read' | 'write'): unknown {
  const endpoint = {
    name: 'ep0', type: 'pcie.endpoint', preset: 'netfpga-sume-dma',
    params: {
      descriptors: Math.ceil(TLPS / tlpsPerDescriptor(op)), descriptorSize: SIZE, readFraction: op === 'read' ? 1 : 0,
      windowBase: rc['memory.base'], windowSize: SIZE * IN_FLIGHT * WINDOW_LAPS, outstandingDescriptors: IN_FLIGHT,
    },
  };
  const root = { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' };
  const link = (name: string, a: string, b: string) => ({ name, type: 'pcie.link', preset: 'pcie-link', a, b, params: LINK });
  return direct
    ? { name: 'fabric-direct', components: [root, endpoint], links: [link('link0', 'rc.rp0', 'ep0.up')] }
    : {
      name: 'fabric',
      components: [root, { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 2, maxPayloadSize: 256 } }, endpoint],
      links: [link('uplink', 'rc.rp0', 'sw0.up'), link('link0', 'sw0.dp0', 'ep0.up')],
    };
}

function bench(op: 'read' | 'write'): void {
  const resolved = resolveScenario(parseScenario(`fabric-${op}.json`, JSON.stringify(scenario(op))), {}, lib);
  const t0 = performance.now(), c0 = process.cpuUsage();
  const r = runScenario(resolved, { seed: 1, replication: 0 });
  const wall = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  if (r.status !== 'ok') throw new Error(`fabric ${op}: the run failed: ${r.error}`);
  const m = r.metrics as Record<string, number>;
  const up = m['link0.up_tlps'] ?? m.up_tlps!, down = m['link0.down_tlps'] ?? m.down_tlps!;
  const tlps = up + down;
  console.log(`fabric ${op.padEnd(5)} tlps=${tlps} wall=${wall.toFixed(3)} rate=${Math.round(tlps / wall)} TLPs/s ` +
    `events=${r.events} events/s=${Math.round(r.events / wall)} simulated=${m.throughput_gbps!.toFixed(3)} GB/s cpu=${cpu.toFixed(3)}${direct ? ' (no switch)' : ''}`);
}

for (const op of ['write', 'read'] as const) if (only === undefined || only === op) bench(op);

/**
 * Rigs and conservation checks for the endpoint / root complex / memory tests.
 *
 * Conservation, checked after every run: the event queue is empty; every
 * read request got all its completions or was counted as timed out; no tag,
 * completion-buffer byte or transmit slot is still held; every link
 * direction delivered what it sent and holds no credits (all came back, none
 * above what was advertised); no root complex holds a TLP; every trace
 * channel's rows are in time order; TLP counts on the wires match what the
 * engines and root complexes say they sent.
 */
import * as assert from 'uvu/assert';
import type { Simulation } from '../../../src/sim/simulation.js';
import type { CreditAdvertisement } from '../../../models/pcie/credits.js';
import type { DmaEngine } from '../../../models/pcie/dma-engine.js';
import type { Endpoint } from '../../../models/pcie/endpoint.js';
import type { Link, LinkDirection } from '../../../models/pcie/link.js';
import { buildDmaPath, dmaPathParams, type DmaPath } from '../../../models/pcie/root-complex.js';
import type { RootComplex } from '../../../models/pcie/root-complex.js';
import { RecordingTracer } from './link-helpers.js';

/** Memory at 4 GiB: requests carry 64-bit (4 DW) headers. */
export const G4 = 2 ** 32;
export const MiB = 1 << 20;
export const KiB = 1 << 10;
export const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Gen3: a byte on one lane is 8 bits × 130/128 × 125 ps; on a xN link N bytes move per byte time. */
export const GEN3_BYTE_PS = 8 * (130 / 128) * 125;
/** Link time of `linkBytes` (TLP + 8 framing bytes) on Gen3 xN, rounded up as the link does. */
export const gen3Ps = (linkBytes: number, width: number): number => Math.ceil((linkBytes * GEN3_BYTE_PS) / width);

/** A plain DMA path: small round numbers, memory fast enough never to limit unless a test says so. */
export const BASE_PATH: Record<string, unknown> = {
  'endpoint.mps': 256,
  'endpoint.mrrs': 512,
  'endpoint.issueLatency': '40 ns',
  'link.gen': 3,
  'link.width': 8,
  'link.propagation': '25 ns',
  'rootComplex.mps': 256,
  'rootComplex.traversal': '150 ns',
  'memory.base': G4,
  'memory.size': '1 GiB',
  'memory.latency': '80 ns',
  'memory.bandwidth': 10_000,
};

export interface Rig extends DmaPath {
  readonly sim: Simulation;
  readonly tracer: RecordingTracer;
}

export function rig(sim: Simulation, values: Record<string, unknown>, overrides: Record<string, unknown> = {}): Rig {
  const tracer = new RecordingTracer();
  const path = buildDmaPath(sim, dmaPathParams(values, overrides), { tracer });
  return { ...path, sim, tracer };
}

/** A link and the advertisements of its ends (A = endpoint side, B = root port side). */
export interface CheckedLink {
  readonly link: Link;
  readonly aCredits: CreditAdvertisement;
  readonly bCredits: CreditAdvertisement;
}

export interface ConservationScope {
  readonly sim: Simulation;
  readonly engines: readonly DmaEngine[];
  readonly endpoints?: readonly Endpoint[];
  readonly links: readonly CheckedLink[];
  readonly rootComplexes: readonly RootComplex[];
  readonly tracer?: RecordingTracer;
  /** Completion timeouts the test expects in all (default 0). */
  readonly timeouts?: number;
  readonly unexpected?: number;
}

const CLASSES = ['P', 'NP', 'Cpl'] as const;

function checkDirection(dir: LinkDirection, adv: CreditAdvertisement): void {
  const s = dir.stats();
  assert.is(s.queued, 0, `${dir.name}: TLPs left in the transmit queues`);
  assert.is(s.inFlight, 0, `${dir.name}: TLPs left on the wire`);
  assert.is(s.tlpsDelivered, s.tlpsSent, `${dir.name}: delivered != sent`);
  // Every credit came back: nothing held, and once the returns in flight land, each pool is full again (and no fuller).
  dir.credits.settle(Infinity);
  for (let c = 0; c < 3; c++) {
    assert.is(dir.credits.heldTlps(c), 0, `${dir.name}: ${CLASSES[c]} TLPs never released`);
    const pool = adv[CLASSES[c]];
    const h = pool.header === 'infinite' ? Infinity : pool.header, d = pool.data === 'infinite' ? Infinity : pool.data;
    assert.is(dir.credits.headerCredits(c), h, `${dir.name}: ${CLASSES[c]} header credits not all back`);
    assert.is(dir.credits.dataCredits(c), d, `${dir.name}: ${CLASSES[c]} data credits not all back`);
  }
}

/** Counts of TLP types in one trace channel (a link direction), checking its rows are in time order. */
export function traceCounts(tracer: RecordingTracer, channel: string): Record<string, number> {
  const rows = tracer.rows.get(channel);
  assert.ok(rows !== undefined, `no trace channel ${channel}`);
  const counts: Record<string, number> = {};
  let last = -Infinity;
  for (const r of rows!) {
    assert.ok(r.time >= last, `${channel}: time ran backwards (${r.time} after ${last})`);
    last = r.time;
    const name = tracer.labelName(r.label!)!;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

export function assertConserved(scope: ConservationScope): void {
  const { sim } = scope;
  assert.is(sim.pending, 0, 'events left in the queue after the run');
  let timeouts = 0, unexpected = 0;
  for (const e of scope.engines) {
    const s = e.stats();
    assert.is(s.descriptorsInFlight, 0, `${e.name}: descriptors never finished`);
    assert.is(s.readRequestsIssued, s.readRequestsCompleted + s.completionTimeouts, `${e.name}: read requests neither completed nor timed out`);
    assert.is(s.tagsBusy, 0, `${e.name}: tags still busy`);
    assert.is(s.completionBufferUsed, 0, `${e.name}: completion buffer not empty`);
    assert.is(s.transmitQueued, 0, `${e.name}: TLPs never released by the link`);
    assert.ok(s.lastDoneAt <= sim.now, `${e.name}: a descriptor finished in the future`);
    timeouts += s.completionTimeouts;
    unexpected += s.unexpectedCompletions;
  }
  assert.is(timeouts, scope.timeouts ?? 0, 'completion timeouts');
  assert.is(unexpected, scope.unexpected ?? 0, 'unexpected completions');
  for (const ep of scope.endpoints ?? []) assert.is(ep.barPending, 0, `${ep.name}: BAR requests never served`);
  for (const l of scope.links) {
    checkDirection(l.link.aToB, l.bCredits);
    checkDirection(l.link.bToA, l.aCredits);
  }
  for (const rc of scope.rootComplexes) assert.is(rc.stats().inside, 0, `${rc.name}: TLPs left inside`);
  if (scope.tracer !== undefined) for (const key of scope.tracer.rows.keys()) traceCounts(scope.tracer, key);
}

/**
 * Conservation on a single-endpoint path, plus its TLP accounting: the
 * MRd/MWr on the upstream wire are what the engine issued and what reached
 * memory; the CplDs on the downstream wire are what the root complex made
 * and the engine took in; memory moved the bytes the engine moved.
 */
export function assertPathConserved(r: Rig, opts: { timeouts?: number } = {}): void {
  assertConserved({
    sim: r.sim, engines: [r.endpoint.dma], endpoints: [r.endpoint], rootComplexes: [r.rootComplex], tracer: r.tracer,
    links: [{ link: r.link, aCredits: r.endpoint.credits, bCredits: r.port.credits }], timeouts: opts.timeouts ?? 0,
  });
  const e = r.endpoint.dma.stats(), rc = r.rootComplex.stats(), m = r.memory.stats();
  const up = traceCounts(r.tracer, 'link0.ab/tlp'), down = traceCounts(r.tracer, 'link0.ba/tlp');
  assert.is(up['MRd'] ?? 0, e.readRequestsIssued, 'MRd on the wire vs issued');
  assert.is(up['MWr'] ?? 0, e.writeTlpsSent, 'MWr on the wire vs sent');
  assert.is(rc.memoryReads, e.readRequestsIssued, 'reads at memory vs issued');
  assert.is(rc.memoryWrites, e.writeTlpsSent, 'writes at memory vs sent');
  assert.is(down['CplD'] ?? 0, rc.completionsSent, 'CplD on the wire vs made');
  assert.is(e.completionsReceived, rc.completionsSent, 'CplD taken in vs made');
  assert.is(m.bytesRead, e.bytesRead, 'bytes read at memory vs at the engine');
  assert.is(m.bytesWritten, e.bytesWritten, 'bytes written at memory vs by the engine');
}

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
import { z } from 'zod';
import { dmaEngineParams } from '../../../models/pcie/dma-engine.js';
import { DescriptorStream, dmaWorkloadParams, dmaWorkloadShape } from '../../../models/pcie/descriptor-stream.js';
import { Endpoint } from '../../../models/pcie/endpoint.js';
import { Link, type LinkDirection, type LinkParams } from '../../../models/pcie/link.js';
import type { LinkWidth, PcieGen } from '../../../models/pcie/link-timing.js';
import { Memory, memoryParams } from '../../../models/pcie/memory.js';
import { RootComplex, rootComplexParams, type RootPort } from '../../../models/pcie/root-complex.js';
import { linkParams } from '../../../models/pcie/topology/link.js';
import type { Tracer } from '../../../src/trace/channel.js';
import { byteSize, duration } from '../../../src/scenario/units.js';
import { presetValuesOf } from '../../preset-params.js';
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
  'rootComplex.p2pRead': 'full',
  'rootComplex.p2pWrite': 'full',
  'memory.base': G4,
  'memory.size': '1 GiB',
  'memory.latency': '80 ns',
  'memory.bandwidth': 10_000,
};

/**
 * The presets of the dma-bandwidth scenario's path (a NetFPGA SUME on a Xeon
 * E5 v4 root port, Gen3 x8) as one flat set of section values.
 */
export function platformPath(): Record<string, unknown> {
  const prefix = (section: string, values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`${section}.${k}`, v]));
  const rc = presetValuesOf('xeon-e5-v4');
  const { rootPorts: _r, linuxP2pWhitelisted: _w, dmaMapResource: _m, barBusOffset: _o, memoryBase, memorySize, ...rootComplex } = rc as Record<string, unknown>;
  return {
    ...prefix('endpoint', { ...presetValuesOf('netfpga-sume'), ...presetValuesOf('netfpga-sume-dma') }),
    ...prefix('rootComplex', rootComplex),
    ...prefix('memory', { ...presetValuesOf('xeon-e5-v4-dram'), base: memoryBase, size: memorySize }),
    ...prefix('link', { ...presetValuesOf('pcie-link'), gen: 3, width: 8 }),
  };
}


const sectionSchemas = {
  endpoint: dmaEngineParams.extend({ requesterId: z.number().int().default(0x0100), mps: z.number().int(), ecrc: z.boolean().default(false) }),
  link: linkParams,
  rootComplex: rootComplexParams,
  memory: memoryParams,
} as const;

/** One endpoint —link— root complex — memory, built straight from the models (a unit-test rig; scenarios build fabrics from topologies). */
export interface Rig {
  readonly sim: Simulation;
  readonly tracer: RecordingTracer;
  readonly endpoint: Endpoint;
  readonly link: Link;
  readonly rootComplex: RootComplex;
  readonly port: RootPort;
  readonly memory: Memory;
  /** Starts the descriptor generator the "endpoint.descriptors" (and other DescriptorStream) values set up, if any. */
  start(): void;
}

/** The fields of an endpoint, its DMA engine, its BAR memory and a descriptor generator, in one flat object (the test's shorthand). */
const endpointShorthand = dmaEngineParams.extend({
  requesterId: z.number().int().default(0x0100), mps: z.number().int().default(128), ecrc: z.boolean().default(false),
  barBase: z.number().default(0), barSize: byteSize().default(0), barLatency: duration().default(0), barBandwidth: z.number().optional(),
  barCompletionMode: z.enum(['mps', 'rcb']).default('mps'),
  ...dmaWorkloadShape,
});

/** An endpoint built from the shorthand; `start()` starts its descriptor generator (if `descriptors` > 0). */
export function endpointFrom(sim: Simulation, values: Record<string, unknown>, name = 'endpoint'): Endpoint & { start(): void } {
  const p = endpointShorthand.parse(values);
  const { requesterId, mps, ecrc, barBase, barSize, barLatency, barBandwidth, barCompletionMode, descriptors, descriptorSize, readFraction, readMix,
    addressPattern, windowBase, windowSize, alignment, pageCrossing, hostOffset, deviceOffset, outstandingDescriptors, ...engine } = p;
  const bar = barSize > 0 ? new Memory(sim, memoryParams.parse({ base: barBase, size: barSize, latency: barLatency, bandwidth: barBandwidth }), `${name}/bar`) : null;
  const ep = new Endpoint(sim, { requesterId, mps, ecrc, engine, bar, barCompletionMode }, name);
  const w = { descriptors, descriptorSize, readFraction, readMix, addressPattern, windowBase, windowSize, alignment, pageCrossing, hostOffset, deviceOffset, outstandingDescriptors };
  const stream = descriptors > 0 ? new DescriptorStream(ep.dma, w, sim.rng(`${name}/dma-addresses`), sim.rng(`${name}/dma-ops`)) : null;
  return Object.assign(ep, { start: () => stream?.start() });
}

/** Joins an endpoint (end A) to a root port (end B): aToB is the upstream direction (credits advertised by the root port). */
export function connectEndpoint(sim: Simulation, params: LinkParams, endpoint: Endpoint, port: RootPort): Link {
  const link = new Link(sim, params, { receiver: endpoint, credits: endpoint.credits }, { receiver: port, credits: port.credits });
  endpoint.connect(link.aToB);
  port.connect(link.bToA);
  return link;
}

export function rig(sim: Simulation, values: Record<string, unknown>, overrides: Record<string, unknown> = {}, tracer: Tracer = new RecordingTracer()): Rig {
  const raw: Record<string, Record<string, unknown>> = { endpoint: {}, link: {}, rootComplex: {}, memory: {}, stream: {} };
  for (const [key, v] of Object.entries({ ...values, ...overrides })) {
    const dot = key.indexOf('.');
    const section = key.slice(0, dot), field = key.slice(dot + 1);
    // The generator's fields (descriptors, windowBase, ...) drive the endpoint's engine: a DescriptorStream.
    raw[section === 'endpoint' && field in dmaWorkloadShape ? 'stream' : section]![field] = v;
  }
  const p = Object.fromEntries(Object.entries(sectionSchemas).map(([k, schema]) => [k, (schema as z.ZodType).parse(raw[k])])) as { [K in keyof typeof sectionSchemas]: z.output<(typeof sectionSchemas)[K]> };
  const memory = new Memory(sim, p.memory, 'memory');
  const rootComplex = new RootComplex(sim, p.rootComplex, memory, 'rc');
  const { requesterId, mps, ecrc, ...engine } = p.endpoint;
  const endpoint = new Endpoint(sim, { requesterId, mps, ecrc, engine, bar: null, barCompletionMode: 'mps' }, 'ep0');
  const port = rootComplex.addRootPort(endpoint.routes);
  const l = p.link;
  const link = connectEndpoint(sim, {
    gen: l.gen as PcieGen, width: l.width as LinkWidth, mps, propagationPs: l.propagation, dllp: l.dllp, ecrc, name: 'link0', tracer,
    ...(l.creditReturnDelay !== undefined ? { creditReturnDelayPs: l.creditReturnDelay } : {}),
  }, endpoint, port);
  const w = dmaWorkloadParams.parse(raw.stream);
  const stream = w.descriptors > 0 ? new DescriptorStream(endpoint.dma, w, sim.rng('ep0/dma-addresses'), sim.rng('ep0/dma-ops')) : null;
  return { sim, tracer: tracer as RecordingTracer, endpoint, link, rootComplex, port, memory, start: () => stream?.start() };
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

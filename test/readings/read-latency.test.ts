/**
 * Reads one at a time: their round trip written out hop by hop from the
 * presets (the inputs) and the spec's byte counts (spec-link.ts), for the
 * figures the readings give for a single outstanding read — dma-bandwidth's
 * ~555 ns round trip (behind its Little's-law bound on 64-byte reads) and
 * apu-redirect's "one 4 KiB read at a time" through the iGPU's BAR against
 * redirected to the carve-out.
 *
 * A read of `size` bytes (at most MRRS per request; here the first request's
 * data is what the first completion waits for):
 *   issue           the DMA engine's issueLatency (pipelined, it delays every descriptor)
 *   request         its TLP on the wire (header + 8 bytes of framing), then the link's propagation
 *   root complex    one traversal for a read of memory (completions go straight back); a P2P
 *                   request and its completions cross it once each way
 *   memory          latency + the request's bytes at the memory's bandwidth (the data slot comes first)
 *   completions     256-byte CplDs (MPS, data 256-aligned), back to back on the wire: on these
 *                   paths the link is the slowest stage, so the last arrives
 *                   Σ wire(CplD) after the first could start, plus propagation
 * The north bridge of the APU's iGPU carries a TLP's bytes (header + data, no
 * framing: it is not a link) at its bandwidth, then its latency.
 *
 * Tolerance: each hop rounds to whole picoseconds (a few ps in all). A run's
 * reads also meet the link's SKP ordered sets and Ack/UpdateFC DLLPs now and
 * then; a read whose completions stream for a while can lose at most the
 * busy link's share of that streaming to them (tlpShare), never more.
 */
import { z } from 'zod';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { dmaEngineParams } from '../../models/pcie/dma-engine.js';
import { rootComplexParams } from '../../models/pcie/root-complex.js';
import { memoryTimingParams } from '../../models/pcie/memory.js';
import { linkParams } from '../../models/pcie/topology/link.js';
import { integratedParams } from '../../models/pcie/topology/integrated.js';
import { iommuParams } from '../../models/iommu/params.js';
import { switchShape } from '../../models/pcie/switch.js';
import { FRAMING, HEADER, tlpShare, tlpWireNs } from './spec-link.js';
import { runStudy } from './study.js';

const ns = (ps: number) => ps / 1000;
const engine = presetParams(dmaEngineParams, 'netfpga-sume-dma');
const linkProp = ns(presetParams(linkParams, 'pcie-link', { gen: 3, width: 8 }).propagation);
const traversal = ns(presetParams(rootComplexParams, 'root-complex-common').traversal);
const hostMemory = presetParams(memoryTimingParams, 'xeon-e5-v4-dram');
const carveOut = presetParams(memoryTimingParams, 'apu-carveout');
const northBridge = presetParams(integratedParams, 'apu-northbridge');
const iommu = presetParams(iommuParams, 'iommu-xeon-e5');
const switchLatency = ns(presetParams(z.object({ latency: switchShape.latency }), 'pcie-switch-pex8796').latency);
const gpuMemory = presetParams(memoryTimingParams, 'gpu-like-vram');
const MPS = 256;
/** Picosecond rounding of the few hops a read crosses. */
const ROUNDING_NS = 0.01;

type Lanes = 8 | 16;
type Memory = typeof hostMemory;

/** The CplDs of a read of `size` bytes from an aligned address: MPS each, the rest in the last. */
function completionPayloads(size: number): number[] {
  return Array.from({ length: Math.ceil(size / MPS) }, (_, i) => Math.min(MPS, size - i * MPS));
}

/** Memory's time for one request: its latency, then the request's bytes at its bandwidth (GB/s = bytes per ns). */
const memoryNs = (m: Memory, bytes: number) => ns(m.latency) + bytes / m.bandwidth;
/** The north bridge's time for a TLP of `bytes` (header and data). */
const northBridgeNs = (bytes: number) => bytes / northBridge.bandwidth + ns(northBridge.latency);

/** A round trip summed hop by hop, and the most SKPs and DLLPs can add to it (the busy link's share of its streaming). */
interface Trip { expected: number; slack: number }

/**
 * One read's round trip, ns, from the engine taking it up to its last CplD in:
 * `toData` is the path from the request leaving the root complex's traversal
 * to its first CplD ready to cross back (memory, or the BAR behind the north bridge).
 */
function roundTrip(lanes: Lanes, requestHeader: number, size: number, toData: (firstRequestBytes: number) => number): Trip {
  const request = tlpWireNs(3, lanes, requestHeader + FRAMING);
  const streaming = completionPayloads(size).reduce((sum, p) => sum + tlpWireNs(3, lanes, p + HEADER.completion + FRAMING), 0);
  const firstRequestBytes = Math.min(size, engine.mrrs);
  return { expected: ns(engine.issueLatency) + request + linkProp + traversal + toData(firstRequestBytes) + streaming + linkProp, slack: streaming * (1 / tlpShare(lanes) - 1) };
}

/** A round trip as measured: never below the sum, above it by at most what SKPs and DLLPs take of the streaming. */
function assertTrip(actual: number, trip: Trip, what: string): void {
  assert.ok(actual >= trip.expected - ROUNDING_NS && actual <= trip.expected + trip.slack + ROUNDING_NS,
    `${what}: ${actual} ns against ${trip.expected.toFixed(3)} ns summed hop by hop (+ at most ${trip.slack.toFixed(2)} ns of SKP/DLLP)`);
}

test('dma-bandwidth: one read at a time on Gen3 x8 — 64 bytes take the ~555 ns the reading\'s Little\'s-law bound rests on; larger reads add their completions at the link\'s pace', () => {
  for (const size of [64, 512, 2048]) {
    const { m } = runStudy('dma-bandwidth', { op: 'read', size, inFlight: 1, transfers: 20 });
    const lat = m['dma.latency_ns'];
    // Every read of a sequential stream in a warm cache is the same trip; min is an exact sample.
    assertTrip(lat.min, roundTrip(8, HEADER.mem64, size, (bytes) => memoryNs(hostMemory, bytes)), `${size} B`);
  }
  const trip64 = roundTrip(8, HEADER.mem64, 64, (bytes) => memoryNs(hostMemory, bytes)).expected;
  assert.ok(Math.abs(trip64 - 555) < 1, `the description's ~555 ns: ${trip64}`);
});

/**
 * apu-redirect, reads of 4 KiB one at a time from the storage device (Gen3
 * x16) into the iGPU's "VRAM". Through the BAR (below 4 GiB: 3-DW request)
 * the read crosses the root complex to root port rp1, the north bridge, the
 * carve-out behind the BAR, and back the same way; redirected (the carve-out's
 * system address at 12 GiB: 4 DW) it is a read of host memory in the IOMMU's
 * identity domain (an IOTLB hit costs the preset's hitLatency). A run's
 * throughput is its transfers' bytes over the sum of their round trips (one
 * submitted as the last is done); the first also walks the identity map's
 * page table, at most a context entry and `levels` table reads.
 */
test('apu-redirect: one 4 KiB read at a time through the BAR against redirected — the round trips summed hop by hop, and the reading\'s 3.26 against 4.91 GB/s', () => {
  const size = 4096, transfers = 200;
  const bar = roundTrip(16, HEADER.mem32, size, (bytes) =>
    northBridgeNs(HEADER.mem32) + memoryNs(carveOut, bytes) + northBridgeNs(Math.min(MPS, size) + HEADER.completion) + traversal);
  const redirect = roundTrip(16, HEADER.mem64, size, (bytes) => ns(iommu.hitLatency) + memoryNs(hostMemory, bytes));
  const firstWalk = (iommu.levels + 1) * ns(iommu.walkReadLatency);
  for (const [path, trip] of [['rootcomplex', bar], ['redirect', redirect]] as const) {
    const { m } = runStudy('apu-redirect', { op: 'read', size, transfers, inFlight: 1, path });
    assertTrip(m['p2p.latency_ns'].min, trip, path);
    const fastest = size / trip.expected, slowest = (transfers * size) / (transfers * (trip.expected + trip.slack) + firstWalk);
    const gbps = m['p2p.throughput_gbytes_per_s'];
    assert.ok(gbps <= fastest + 1e-9 && gbps >= slowest - 1e-9, `${path}: ${gbps} GB/s against ${slowest.toFixed(3)}..${fastest.toFixed(3)} from the round trip`);
  }
});

/**
 * p2p-paths on AMD Zen, reads of 64 KiB: the storage device's 32 tags of
 * 512 bytes each stay out (the reading: "the longer round trip starving the
 * 32 read tags"), so by Little's law the throughput is tags × MRRS over a
 * request's mean round trip, never more than over its round trip alone.
 * That round trip, hop by hop (Gen3 x16 links everywhere; the BAR below
 * 4 GiB, so 3-DW requests): a link delivers its TLP's wire time plus
 * propagation after it starts; a cut-through switch starts a TLP out its
 * latency after its first byte came in (the switch's header: first byte in
 * to first byte out); the root complex crosses a P2P request or completion
 * after it is fully in; the GPU's BAR memory answers after its latency and
 * the request's bytes at its bandwidth; the two 256-byte completions of a
 * request run back to back, so the second lands one wire time after the first.
 * Between root ports: nvme0 → sw0 → root complex → gpu2 and back. With ACS
 * redirect: nvme1 → sw1 → up to the root complex → back down through sw1 →
 * gpu1, and the completions the same way back.
 */
test('p2p-paths, AMD Zen reads: a tag\'s round trip alone summed hop by hop (between root ports, and up and down again with ACS redirect); the throughput is the tags\' Little\'s-law bound with it', () => {
  const lanes = 16, request = tlpWireNs(3, lanes, HEADER.mem32 + FRAMING), completion = tlpWireNs(3, lanes, MPS + HEADER.completion + FRAMING);
  /** A TLP started at `t` on a link, to its last byte in at the far end. */
  const link = (t: number, wire: number) => t + wire + linkProp;
  /** Started at `t` on the link into a cut-through switch: when it starts out of it. */
  const throughSwitch = (t: number) => t + linkProp + switchLatency;
  const crossRoot = (arrived: number) => arrived + traversal;
  const memory = memoryNs(gpuMemory, engine.mrrs);
  // A request's wire start is 0; each line is one hop.
  const rootPorts = (() => {
    let t = crossRoot(link(throughSwitch(0), request));                   // nvme0 → sw0 → up0 → rc
    t = link(t, request) + memory;                                       // rp2 → gpu2, its BAR
    t = link(throughSwitch(crossRoot(link(t, completion))), completion); // gpu2 → rc → up0 → sw0 → nvme0
    return t + completion;                                               // the second CplD
  })();
  const acs = (() => {
    let t = crossRoot(link(throughSwitch(0), request));                   // nvme1 → sw1 → up1 → rc
    t = link(throughSwitch(t), request) + memory;                        // rc → up1 → sw1 → gpu1, its BAR
    t = crossRoot(link(throughSwitch(t), completion));                   // gpu1 → sw1 → up1 → rc
    t = link(throughSwitch(t), completion);                              // rc → up1 → sw1 → nvme1
    return t + completion;
  })();
  for (const [path, from, rtt] of [['rootcomplex', 'nvme0', rootPorts], ['acs', 'nvme1', acs]] as const) {
    const { m } = runStudy('p2p-paths', { platform: 'amd-zen', op: 'read', path });
    const rtts = m[`${from}.dma.request_rtt_ns`];
    assert.ok(Math.abs(rtts.min - rtt) <= ROUNDING_NS, `${path}: a request's round trip alone ${rtts.min} ns against ${rtt.toFixed(3)} summed`);
    const bound = (engine.tags * engine.mrrs) / rtt;
    const gbps = m['p2p.throughput_gbytes_per_s'];
    // Never above the bound; below it only by other tags' completions queued on a shared link
    // (a check on the reading's claim that the tags, not a link, set the pace: within 2%).
    assert.ok(gbps <= bound + 1e-9 && gbps >= 0.98 * bound, `${path}: ${gbps} GB/s against the tags' bound ${bound.toFixed(3)}`);
  }
});

test.run();

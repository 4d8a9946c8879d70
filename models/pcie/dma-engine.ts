/**
 * An endpoint's DMA engine (the requester side of a PCIe function). Its data
 * paths into device memory are data-paths.ts; a descriptor generator to
 * drive it, descriptor-stream.ts.
 *
 * What the engine models
 *  - Descriptors {op: read | write, addr, size}, taken up in submission
 *    order, each no sooner than `issueInterval` after the one before (the
 *    rate at which the engine processes descriptors; 0 = unlimited); with
 *    `writeIssueInterval` set, writes come from a queue of their own, spaced
 *    by it, and `issueInterval` spaces the reads alone (the NFP's ToPCIe and
 *    FromPCIe queues). A
 *    descriptor's first TLP is ready `issueLatency` after its take-up
 *    (descriptor processing and the device's transmit pipeline). That stage
 *    is a pipeline: any number of descriptors may be in it at once, so the
 *    latency adds to each descriptor's latency but not to the engine's
 *    occupancy; only the interval bounds the descriptor rate. Descriptors
 *    are taken up whatever the emitter is doing (the descriptor queue is
 *    not bounded), so a take-up time depends on submission times only.
 *  - Emitter: one descriptor at a time, in submission order. A descriptor's
 *    TLPs start once it is ready and every TLP of the one before it has been
 *    handed to the link, so no TLP overtakes one of an earlier descriptor
 *    (once handed over, the link's transmit queues apply the PCIe ordering
 *    rules of ordering.ts).
 *  - Writes: MWr TLPs cut by splitWrite at MPS (tlp.ts). Posted: a write
 *    descriptor is done when its last TLP starts on the wire (the link
 *    releases it); nothing comes back.
 *  - Reads: MRd requests cut by splitRead at MRRS. A request goes out only
 *    when a tag is free AND the completion buffer has room for its data
 *    (the DW-padded bytes of the request are reserved at issue). Completions
 *    must arrive in address order (§2.3.1.1); each frees its bytes of the
 *    buffer (the engine drains completions at once); the last one frees the
 *    tag. Endpoints advertise infinite completion credits (§2.6.1), so this
 *    buffer, not link credits, is what bounds reads in flight: with the
 *    tags, read throughput obeys Little's law (bytes in flight / round trip).
 *    A read descriptor is done when its last request completes or times out.
 *  - Completion timeout: a request with no (complete) answer after
 *    `completionTimeout` is abandoned as a simulated outcome: its tag and
 *    buffer space are freed, it is counted, and its descriptor finishes as
 *    failed. A completion arriving later, or one that matches no request in
 *    flight (tag, transaction and expected address), is counted as
 *    unexpected and dropped. One timer event serves all requests (they time
 *    out in issue order), so requests that complete cost no timer events.
 *  - Transmit port (optional): every TLP the engine emits holds its
 *    transmit port for `tlpOverhead` plus its payload at `tlpRate`, so a
 *    device whose PCIe core takes a fixed time per TLP limits small writes
 *    itself, below what the link could carry (pcie-bench's NFP-6000: 64-byte
 *    writes at 24 Gb/s on a Gen3 x8 link). A write moves in blocks of
 *    `writeBlock` bytes of host memory, aligned (default: the whole write
 *    one block); its first TLP and each TLP that starts a block hold the
 *    port `writeBlockOverhead` more (the NFP's 256-byte TLPs, in 512-byte
 *    blocks: 40.6 ns for a write's first and every odd one, 34.8 ns for
 *    every even one; a 1 KiB write 16 bytes past a block starts three
 *    blocks, not two, and takes 7.2 ns more than an aligned one, a TLP's
 *    and a block's time).
 *  - Data paths (optional): `dataPaths` movers between the PCIe core and
 *    device memory (data-paths.ts): a write's data is fetched by a mover
 *    before its TLPs go (streaming: each TLP once its own bursts are in), a
 *    read's completion data stored by the descriptor's mover (round robin),
 *    and the descriptor is done when its last byte is stored. This is what
 *    makes a device's unloaded read latency grow with size faster than the
 *    link alone would, and what caps its throughput below the link's.
 *  - Receive stage (optional): the completions of reads pass one receive
 *    stage in arrival order, each holding it for `receiveOverhead` plus its
 *    payload at `receiveRate`, and a read's last completion for
 *    `receiveDescriptorOverhead` more (the descriptor's completion
 *    bookkeeping). The stage is a pipeline like the issue stage: a completion
 *    waits for the ones before it, but its own time there adds to the stage's
 *    occupancy, not to the read's latency, so it bounds how fast small reads
 *    finish (pcie-bench's NFP-6000: 128-byte reads at 43.8 Gb/s where the
 *    link carries 48) without changing unloaded latency.
 *  - Partial words (optional): device memory is written in whole words of
 *    `deviceWordBytes`; a read that starts or ends inside a word leaves that
 *    word partly filled, and it is merged into memory (read, modify, write)
 *    for `partialWordMerge`. A partial last word is merged by one merge unit
 *    shared by all reads, after the read's data is stored. The unit is a
 *    pipeline like the receive stage: a read is done once its data is stored
 *    and the merges before its own are, so reads of odd lengths finish no
 *    more often than one per merge (pcie-bench's NFP-6000: 63 and 65-byte
 *    reads at 21 Gb/s where 64-byte ones move 32), while a read alone takes
 *    no longer for its last word (its unloaded reads of 241 to 255 B take
 *    as long as 240 and 256-byte ones on the Broadwell host). A partial
 *    first word is merged before the data behind it can go on: its
 *    completion holds the receive stage for the merge, and its data goes on
 *    after it, so reads at a device offset off a word run slower at every
 *    size the stage bounds (the NFP-6000's 64 to 256-byte reads one byte
 *    in: 12.6-31.8 Gb/s against 29.9-47.1) and take the merge longer alone;
 *    an engine without a receive stage merges it on the merge unit before
 *    the last. With data movers, the read's mover merges too, after the
 *    read's data (read, modify, write into the bursts it writes, each word
 *    `partialWordMerge` more of its time: occupancy, not latency): the first
 *    word, and the last where it lies inside its burst, in a read longer
 *    than one burst (moverMergedWords: pcie-bench's NFP-6000 reads of 407 B
 *    at 72 ns a read where 416 B run 62, 89 with the first word partial
 *    too, while a last word that begins or ends a burst costs nothing).
 *    A read within one word is written whole with its bytes masked and
 *    merges nothing (pcie-bench's 4-byte reads take no longer than 8-byte
 *    ones).
 *  - Device offsets: a descriptor's data lies at `deviceOffset` in device
 *    memory (submit; pcie-bench's DO), from a word-aligned buffer. It
 *    decides which words are partial; a transfer's bursts run from its first
 *    word, so its offset into that word decides which bursts a read's
 *    completions fill only in part and how many a write's fetch takes (a
 *    128-byte write one byte into a word fetches two bursts of 128, eight
 *    bytes in one: pcie-bench's NFP-6000 writes 128 B at 26.9 Gb/s from
 *    device offsets off a word, 42.4 from any whole word).
 *  - Transmit queue: the engine keeps at most `transmitQueue` TLPs handed to
 *    its link that have not started on the wire yet; the link releases each
 *    when it starts, and the engine hands over the next. A link may release
 *    a write ahead of its start (datesRelease, releaseAhead), when what
 *    the engine then does is certain already; statistics count it from its
 *    start.
 *  - Statistics: bytes moved, throughput, per-descriptor latency (submission
 *    to done, reads and writes apart) and per-request read round trip
 *    histograms, tags-busy time, completion timeouts. With `latencyTick`
 *    the descriptor latencies are read as a device that timestamps with a
 *    counter of that period reads them: (⌊done / tick⌋ − ⌊submitted / tick⌋)
 *    ticks, so a latency between two whole ticks comes out as either one,
 *    as often as where the two times fall between ticks has it
 *    (pcie-bench's NFP-6000 firmware reads a timestamp that advances every
 *    16 cycles of 1.2 GHz: its CDFs step by 13.33 ns).
 *
 * Left out: descriptor fetch over PCIe (descriptors appear in the engine),
 * a limit on descriptors taken up ahead of the emitter,
 * writes of completion status / interrupts, relaxed ordering, more than one
 * DMA channel per engine (use more engines), and the device's internal data
 * path beyond the completion buffer.
 *
 * Hot path: one Tlp object per TLP; descriptor, tag and timeout state live
 * in typed arrays indexed by slot or tag; events are static handlers. The
 * emitter takes descriptors in submission order and waits only for the
 * head's ready time, so one wake-up event, armed only when the emitter is
 * idle and waits for the next descriptor's issue latency, serves every
 * descriptor: an engine whose emitter stays busy costs no issue events at all.
 * A train of writes on a link that takes dated hand-overs costs no event per
 * TLP either: the link starts each queued write ahead and releases it dated
 * (releaseAhead), and the engine hands over its next write at once, dated the
 * start (link.ts receiveAt), which the link starts ahead in turn; the train
 * stops for what must happen at its time (a descriptor's last write, whose
 * release tells the listener; a read next; the link's credits), and goes on
 * from there by the per-TLP path. Each write released ahead writes a row of
 * the counts before it in a log (releasedAhead, ahead-log.ts), from which
 * stats() reads the counts as of now.
 */
import { z } from 'zod';
import { fieldProblemIssues, throwFirstProblem, type FieldProblem } from '../../src/scenario/field-problems.js';
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize, duration, rate, positiveByteSize } from '../../src/scenario/units.js';
import type { Simulation } from '../../src/sim/simulation.js';
import { PS_PER_MS, PS_PER_NS, PS_PER_S, type Time } from '../../src/sim/time.js';
import { distribution } from '../../src/stats/distribution.js';
import { Histogram } from '../../src/stats/histogram.js';
import type { TraceChannel } from '../../src/trace/channel.js';
import { DW_MASK, Tlp, type AheadSender, type DatedReceiver, type TlpReceiver } from './fabric.js';
import { SplitCache, paddedBytes, type SplitPieces } from './split-cache.js';
import { AheadLog } from './ahead-log.js';
import { DataPaths, FIRST_END, LAST_END, moverMergedWords, partialWordEnds } from './data-paths.js';
import { TlpQueue } from './tlp-queue.js';
import { DW_BYTES, REQUEST_BOUNDARY_BYTES, TRANSFER_SIZES, splitRead, splitWrite } from './tlp.js';

// ---------------------------------------------------------------- parameters

/** Max_Payload_Size at reset: Device Control bits 7:5 = 000b, 128 bytes (PCIe Base Spec §7.5.3.4). */
export const SPEC_DEFAULT_MPS = 128;
/** Max_Read_Request_Size at reset: Device Control bits 14:12 = 010b, 512 bytes (§7.5.3.4). */
export const SPEC_DEFAULT_MRRS = 512;
/** Outstanding non-posted requests with the 5-bit Tag field, Extended Tag Field not enabled (§2.2.6.2). */
export const SPEC_DEFAULT_TAGS = 32;
/** At most 768 outstanding requests with 10-Bit Tags (§2.2.6.2: tag values with the upper two bits 00b are not used). */
export const MAX_TAGS = 768;
/**
 * Completion timeout: the spec's default range is 50 µs to 50 ms, and it is
 * "strongly recommended" that the timer not expire in less than 10 ms (§2.8);
 * we take 10 ms.
 */
export const SPEC_RECOMMENDED_COMPLETION_TIMEOUT: Time = 10 * PS_PER_MS;
/**
 * TLPs the engine keeps handed to its link ahead of the wire. The link
 * releases a TLP when it starts on the wire, so one waiting behind it keeps
 * the wire busy; two leaves room for a read and a write to be queued together
 * (a posted write may then pass a read blocked on credits). Not a device fact.
 */
export const DEFAULT_TRANSMIT_QUEUE_TLPS = 2;
/** Decimal GB: 1 GB/s = 10^9 bytes/s. */
const BYTES_PER_GB = 1e9;
/** A 4 KiB page: the default descriptor size and random-address alignment of the generator. */
export const PAGE_BYTES = REQUEST_BOUNDARY_BYTES;

/** A Max_Payload_Size or Max_Read_Request_Size value (tlp.ts TRANSFER_SIZES). */
export const transferSize = byteSize().refine((v) => (TRANSFER_SIZES as readonly number[]).includes(v), { message: `expected one of ${TRANSFER_SIZES.join(', ')} bytes` });

/** The engine's own parameters (a `pcie.dma-engine` in an endpoint's `dma` slot). */
export const dmaEngineParams = z.strictObject({
  mrrs: transferSize.default(SPEC_DEFAULT_MRRS).describe('Max_Read_Request_Size: reads are split at it, bytes'),
  tags: z.number().int().min(1).max(MAX_TAGS).default(SPEC_DEFAULT_TAGS).describe('Read requests the engine may have outstanding (tags)'),
  completionBuffer: byteSize().optional().describe('Completion buffer, bytes: a read request is issued only when its data fits (default: tags × MRRS, never limiting)'),
  issueLatency: duration().default(0).describe('Time from taking up a descriptor to its first TLP being ready; pipelined, it adds to latency, not occupancy (0 = none; presets give estimates)'),
  issueInterval: duration().default(0).describe('Least time between taking up two consecutive descriptors: the descriptor processing rate (0 = unlimited; presets give estimates)'),
  writeIssueInterval: duration().optional().describe('Writes taken up from a queue of their own, at least this far apart (issueInterval then spaces the reads alone); unset: one sequence for both'),
  tlpOverhead: duration().default(0).describe('Time the transmit port is held per TLP besides its payload: the device\'s per-TLP cost (0 = none; presets give estimates)'),
  tlpRate: rate().optional().describe('Payload rate of the transmit port, GB/s (unset: payload costs no port time)'),
  writeBlock: positiveByteSize().optional().describe('Writes move in blocks of this many bytes of host memory (aligned; a write\'s first TLP starts one too), each costing the transmit port writeBlockOverhead (unset: the whole descriptor is one block)'),
  writeBlockOverhead: duration().default(0).describe('Time the transmit port is held once more by the TLP that starts a write block: the port\'s per-block cost (0 = none; presets give estimates)'),
  unalignedWriteOverhead: duration().default(0).describe('Time the transmit port is held once more by a write TLP whose host address is not DW-aligned (a write\'s first TLP, at a host offset off a DW): the data realigned to the host\'s byte lanes (0 = none; presets give estimates)'),
  dataPaths: z.number().int().min(0).default(0).describe('Movers between the PCIe core and device memory (0 = none: data moves at no cost)'),
  dataPathRate: rate().optional().describe('GB/s one data mover moves (required when dataPaths > 0)'),
  dataPathBurst: positiveByteSize().default(DW_BYTES).describe('Device memory moves in bursts of this many bytes (from the first device word of each descriptor\'s data): writes are fetched in whole bursts, and a read completion that fills one only in part costs dataPathPartialBurst'),
  dataPathTurnaround: duration().default(0).describe('Time a data mover spends turning between storing read data and fetching write data (0 = none; presets give estimates)'),
  dataPathPartialBurst: duration().default(0).describe('Time a data mover spends more on each burst of device memory that a read completion fills only in part (the burst written with a byte mask); 0 = none; presets give estimates'),
  dataPathArbitration: z.enum(['job', 'burst']).default('job').describe("How a data mover shares itself between reads and writes: 'job' (whole jobs, one turn per change of direction) or 'burst' (a job that finds the mover busy with the other direction is interleaved with it burst by burst: a turn per burst)"),
  receiveOverhead: duration().default(0).describe('Time the receive stage is held per read completion besides its payload (0 = none; presets give estimates)'),
  receiveRate: rate().optional().describe('Payload rate of the receive stage, GB/s (unset: payload costs no receive time)'),
  receiveDescriptorOverhead: duration().default(0).describe('Time the receive stage is held once more by a read\'s last completion: the descriptor\'s completion bookkeeping (0 = none)'),
  deviceWordBytes: positiveByteSize().default(DW_BYTES).describe('Device memory is written in whole words of this many bytes: a read not a whole number of words long leaves a partial last word to merge'),
  partialWordMerge: duration().default(0).describe('Time the one merge unit spends merging a read\'s partial last word into device memory (read, modify, write); reads wait for it in turn (0 = none; presets give estimates)'),
  transmitQueue: z.number().int().min(1).default(DEFAULT_TRANSMIT_QUEUE_TLPS).describe('TLPs kept handed to the link ahead of the wire'),
  completionTimeout: duration().default(SPEC_RECOMMENDED_COMPLETION_TIMEOUT).describe('Completion timeout of a read request'),
  latencyTick: duration().default(0).describe('Period of the clock the descriptor latencies are read off: each is its whole ticks from submission to done, as a device timestamping with a counter of this period measures it (0 = exact)'),
}).superRefine(fieldProblemIssues(dmaEngineSettingProblems));
export type DmaEngineSettings = z.output<typeof dmaEngineParams>;

/** The completion buffer's bytes: as set, else tags × MRRS (never limiting). */
function completionBufferOf(p: Pick<DmaEngineSettings, 'mrrs' | 'tags' | 'completionBuffer'>): number {
  return p.completionBuffer ?? p.tags * p.mrrs;
}

/** Settings of a DMA engine that could never work together, by field; empty when none. */
function dmaEngineSettingProblems(p: Pick<DmaEngineSettings, 'mrrs' | 'tags' | 'completionBuffer' | 'completionTimeout' | 'dataPaths' | 'dataPathRate'>): FieldProblem[] {
  const out: FieldProblem[] = [];
  const buffer = completionBufferOf(p);
  if (buffer < p.mrrs) out.push({ field: 'completionBuffer', message: `a completion buffer of ${buffer} bytes cannot hold one ${p.mrrs}-byte read request (mrrs): no read could ever be issued` });
  if (!(p.completionTimeout > 0)) out.push({ field: 'completionTimeout', message: 'must be positive' });
  if (p.dataPaths > 0 && p.dataPathRate === undefined) out.push({ field: 'dataPathRate', message: `required when dataPaths is above 0 (got ${p.dataPaths})` });
  return out;
}

/** What the engine is built from: its settings and its function's requester ID, MPS and ECRC. */
export type DmaEngineParams = DmaEngineSettings & { readonly requesterId: number; readonly mps: number; readonly ecrc: boolean };

export const dmaEngineStats: readonly StatDecl[] = [
  { name: 'read_bytes', unit: 'B', description: 'Bytes read (completion data received)' },
  { name: 'written_bytes', unit: 'B', description: 'Bytes written (MWr payload sent)' },
  { name: 'throughput_gbytes_per_s', unit: 'GB/s', description: 'Bytes moved from the first submission to the last descriptor done' },
  { name: 'descriptors_done', unit: 'descriptors', description: 'Descriptors finished (failed ones included)' },
  { name: 'descriptors_failed', unit: 'descriptors', description: 'Descriptors with a completion timeout' },
  { name: 'completion_timeouts', unit: 'requests', description: 'Read requests abandoned after the completion timeout' },
  { name: 'unexpected_completions', unit: 'TLPs', description: 'Completions matching no request in flight' },
  { name: 'mean_tags_busy', unit: 'tags', description: 'Time-average of tags in use' },
  { name: 'all_tags_busy_fraction', unit: 'fraction', description: 'Fraction of time every tag was in use' },
  { name: 'read_latency_ns', unit: 'ns', description: 'Read descriptor: submission to last completion', kind: 'distribution' },
  { name: 'write_latency_ns', unit: 'ns', description: 'Write descriptor: submission to last TLP on the wire', kind: 'distribution' },
  { name: 'request_rtt_ns', unit: 'ns', description: 'Read request: MRd handed to the link to last completion', kind: 'distribution' },
];

export type DmaOp = 'read' | 'write';
const OP_READ = 0;
const OP_WRITE = 1;

/** Told when a descriptor finishes; `ok` is false if a request of it timed out. */
export interface DescriptorListener {
  descriptorDone(id: number, ok: boolean): void;
}

export interface DmaEngineStats {
  readonly descriptorsSubmitted: number;
  readonly descriptorsDone: number;
  readonly descriptorsFailed: number;
  /** Submitted and not done. */
  readonly descriptorsInFlight: number;
  readonly readRequestsIssued: number;
  readonly readRequestsCompleted: number;
  readonly completionTimeouts: number;
  readonly completionsReceived: number;
  readonly unexpectedCompletions: number;
  readonly writeTlpsSent: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly firstSubmitAt: number;
  readonly lastDoneAt: number;
  /** (bytesRead + bytesWritten) / (lastDoneAt - firstSubmitAt), bytes per second; 0 before anything finished. */
  readonly throughput: number;
  /** Tags in use now, and the completion buffer bytes reserved now. */
  readonly tagsBusy: number;
  readonly completionBufferUsed: number;
  /** ∫ tags in use dt, ps (its average over time is the mean tags busy), and the time every tag was in use. */
  readonly tagBusyPs: number;
  readonly allTagsBusyPs: number;
  /** TLPs handed to the link that have not started on the wire. */
  readonly transmitQueued: number;
}

const EMPTY_SPLIT: SplitPieces = { count: 0, offset: new Int32Array(0), length: new Int32Array(0), bytes: new Int32Array(0) };

const UNCONNECTED: TlpReceiver = Object.freeze({
  receive(): void {
    throw new Error('a DMA engine sent a TLP before connect() gave it a link');
  },
});

/** The pieces `splits` cuts from `a` to the end of a's 4 KiB page or `end`, whichever is first: splits never cross a page. */
function pageChunk(splits: SplitCache, a: number, end: number): SplitPieces {
  const pageEnd = (Math.floor(a / REQUEST_BOUNDARY_BYTES) + 1) * REQUEST_BOUNDARY_BYTES;
  return splits.get(a, (pageEnd < end ? pageEnd : end) - a);
}

function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> { const b = new Float64Array(n); b.set(a); return b; }
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> { const b = new Int32Array(n); b.set(a); return b; }
function growU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> { const b = new Uint8Array(n); b.set(a); return b; }

/** writesQueued's column: the MWr's descriptor slot. */
const DESCRIPTOR = 0;
/** releasedAhead's columns after the date of the release: the write TLPs and bytes counted sent before it. */
const SENT_BEFORE = 1, WRITTEN_BEFORE = 2, RELEASED_COLUMNS = 3;

/** Initial descriptor slots; the pool doubles when full. */
const INITIAL_DESCRIPTOR_SLOTS = 16;

// ---------------------------------------------------------------- the engine

export class DmaEngine implements AheadSender {
  readonly name: string;
  readonly requesterId: number;
  readonly tagCount: number;
  /** Max_Read_Request_Size: reads are split at it. */
  readonly mrrs: number;
  readonly completionBufferBytes: number;
  listener: DescriptorListener | null = null;

  readonly readLatency = new Histogram();
  readonly writeLatency = new Histogram();
  readonly requestRtt = new Histogram();

  private egress: TlpReceiver = UNCONNECTED;
  /** The egress again, if the engine may hand it TLPs dated (connect); else null. */
  private datedEgress: DatedReceiver | null = null;
  private readonly issueLatencyPs: Time;
  private readonly issueIntervalPs: Time;
  private readonly timeoutPs: Time;
  private readonly txDepth: number;
  private readonly tlpOverheadPs: number;
  /** Transmit-port time per payload byte, ps (0: payload is free). */
  private readonly tlpPsPerByte: number;
  /** Transmit-port time the TLP that starts a write block adds, ps, and the block's bytes of host memory (a whole descriptor: Infinity). */
  private readonly writeBlockPs: number;
  private readonly writeBlockBytes: number;
  /** Transmit-port time a write TLP whose host address is off a DW adds, ps (unalignedWriteOverhead). */
  private readonly unalignedWritePs: number;
  /** The transmit port costs time (one of its four costs is set); else TLPs never wait for it. */
  private readonly timesTransmitPort: boolean;
  /** When the transmit port is free for the next TLP, ps (exact). */
  private txFreeAt = 0;
  private txWakeArmed = false;
  /** The movers between the PCIe core and device memory (none: data moves at no cost). */
  private readonly paths: DataPaths;
  private readonly rxOverheadPs: number;
  private readonly rxPsPerByte: number;
  private readonly rxDescriptorPs: number;
  /** The receive stage costs time (one of its three costs is set); else completions pass it at once. */
  private readonly timesReceiveStage: boolean;
  /** When the receive stage is free for the next completion, ps (exact). */
  private rxFreeAt = 0;
  private readonly wordBytes: number;
  private readonly mergePs: number;
  /** latencyTick, ps (0: latencies exact). */
  private readonly latencyTickPs: number;
  /** When the merge unit is free for the next partial word, ps (exact). */
  private mergeFreeAt = 0;
  private readonly writeSplits: SplitCache;
  private readonly readSplits: SplitCache;
  private readonly createdAt: Time;

  // Descriptor slots.
  private dOp = new Uint8Array(INITIAL_DESCRIPTOR_SLOTS);
  private dAddr = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  private dSize = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  /** How far into its first device word the descriptor's data starts (submit's deviceOffset modulo the word): all the engine's timing needs of the offset. */
  private dWordOffset = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  private dSubmit = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  private dId = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  /** TLPs (writes) or requests (reads) of the descriptor not finished yet. */
  private dOutstanding = new Int32Array(INITIAL_DESCRIPTOR_SLOTS);
  private dFailed = new Uint8Array(INITIAL_DESCRIPTOR_SLOTS);
  /** 1 once every TLP of the descriptor has been handed to the link. */
  private dEmitted = new Uint8Array(INITIAL_DESCRIPTOR_SLOTS);
  /** When the descriptor's first TLP is ready: its take-up time + issueLatency (+ the fetch of its data, for a write through data paths). */
  private dReady = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  /** When a write's data starts to be fetched from device memory (ps, exact; writes through data paths only). */
  private dFetchStart = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  /** A read's data mover, and when its data so far is stored in device memory (ps, exact). */
  private dPath = new Int32Array(INITIAL_DESCRIPTOR_SLOTS);
  private dStoredAt = new Float64Array(INITIAL_DESCRIPTOR_SLOTS);
  private freeSlots = new Int32Array(INITIAL_DESCRIPTOR_SLOTS);
  private nFreeSlots = 0;
  private slotCount = 0;
  /** Submitted descriptors the emitter has not started, in take-up order: a ring of slots. */
  private pending = new Int32Array(INITIAL_DESCRIPTOR_SLOTS);
  private pendingHead = 0;
  private pendingSize = 0;
  private nextId = 0;
  /** Least time between two writes' take-ups when writes have their own queue; -1: one sequence for reads and writes. */
  private readonly writeIssueIntervalPs: Time;
  /** The earliest time the next descriptor may be taken up (the last take-up + issueInterval), and the next write when writes have their own queue. */
  private nextTakeUpAt = 0;
  private nextWriteTakeUpAt = 0;
  /** A wake-up is scheduled for the ready time of the descriptor at the head of `pending`. */
  private wakeArmed = false;

  // Emitter: the descriptor whose TLPs are going out.
  private emitSlot = -1;
  private cursor = 0;
  private end = 0;
  private chunkStart = 0;
  private chunk: SplitPieces = EMPTY_SPLIT;
  private pieceIdx = 0;
  private pumping = false;
  /** One row per finished descriptor (traceDescriptors), or null. */
  private descriptorTrace: TraceChannel | null = null;
  /** Trace labels by op code (OP_READ, OP_WRITE). */
  private opLabels: readonly number[] = [];
  private txQueued = 0;
  /** MWr TLPs handed to the link and not yet released, with their descriptor slot: the link releases them in order. */
  private readonly writesQueued = new TlpQueue(1);
  /** MWr TLPs released ahead (releaseAhead): a row each, its date and the write counts before it, for stats() to leave it out until then. */
  private readonly releasedAhead = new AheadLog(RELEASED_COLUMNS);

  // Tags.
  private readonly tagBusy: Uint8Array;
  private readonly tagSlot: Int32Array;
  private readonly tagNext: Float64Array;
  private readonly tagEnd: Float64Array;
  private readonly tagReserved: Float64Array;
  private readonly tagSeq: Float64Array;
  private readonly tagIssuedAt: Float64Array;
  /** Free tags, FIFO (a freed tag is reused last, which keeps late completions easy to tell apart). */
  private readonly freeTags: Int32Array;
  private freeTagHead = 0;
  private nFreeTags: number;
  private tagsBusy = 0;
  private cplBufferUsed = 0;
  private requestSeq = 0;

  // Completion timeouts: requests in issue order; an entry is live while its tag still carries its sequence number.
  private toDeadline = new Float64Array(64);
  private toTag = new Int32Array(64);
  private toSeq = new Float64Array(64);
  private toHead = 0;
  private toSize = 0;
  private timerArmed = false;
  private timerId = -1;

  // Statistics.
  private descriptorsSubmitted = 0;
  private descriptorsDone = 0;
  private descriptorsFailed = 0;
  private readRequestsIssued = 0;
  private readRequestsCompleted = 0;
  private completionTimeouts = 0;
  private completionsReceived = 0;
  private unexpectedCompletions = 0;
  private writeTlpsSent = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  private firstSubmitAt = -1;
  private lastDoneAt = -1;
  private tagBusyPs = 0;
  private allTagsBusyPs = 0;
  private lastTagChange: number;

  constructor(private readonly sim: Simulation, params: DmaEngineParams, name = 'dma') {
    this.name = name;
    this.requesterId = params.requesterId;
    this.tagCount = params.tags;
    this.mrrs = params.mrrs;
    this.completionBufferBytes = completionBufferOf(params);
    throwFirstProblem(dmaEngineSettingProblems(params), name);
    this.issueLatencyPs = params.issueLatency;
    this.issueIntervalPs = params.issueInterval;
    this.writeIssueIntervalPs = params.writeIssueInterval ?? -1;
    this.timeoutPs = params.completionTimeout;
    this.txDepth = params.transmitQueue;
    this.tlpOverheadPs = params.tlpOverhead;
    this.tlpPsPerByte = params.tlpRate === undefined ? 0 : PS_PER_NS / params.tlpRate;
    this.writeBlockPs = params.writeBlockOverhead;
    this.unalignedWritePs = params.unalignedWriteOverhead;
    this.writeBlockBytes = params.writeBlock ?? Infinity;
    this.timesTransmitPort = this.tlpOverheadPs > 0 || this.tlpPsPerByte > 0 || this.writeBlockPs > 0 || this.unalignedWritePs > 0;
    this.paths = new DataPaths(params);
    this.rxOverheadPs = params.receiveOverhead;
    this.rxPsPerByte = params.receiveRate === undefined ? 0 : PS_PER_NS / params.receiveRate;
    this.rxDescriptorPs = params.receiveDescriptorOverhead;
    this.timesReceiveStage = this.rxOverheadPs > 0 || this.rxPsPerByte > 0 || this.rxDescriptorPs > 0;
    this.wordBytes = params.deviceWordBytes;
    this.mergePs = params.partialWordMerge;
    this.latencyTickPs = params.latencyTick;
    const { mps, mrrs, ecrc } = params;
    this.writeSplits = new SplitCache((addr, length) => splitWrite(addr, length, mps, { ecrc }));
    this.readSplits = new SplitCache((addr, length) => splitRead(addr, length, mrrs, { ecrc }));
    const n = params.tags;
    this.tagBusy = new Uint8Array(n);
    this.tagSlot = new Int32Array(n);
    this.tagNext = new Float64Array(n);
    this.tagEnd = new Float64Array(n);
    this.tagReserved = new Float64Array(n);
    this.tagSeq = new Float64Array(n);
    this.tagIssuedAt = new Float64Array(n);
    this.freeTags = new Int32Array(n);
    for (let t = 0; t < n; t++) this.freeTags[t] = t;
    this.nFreeTags = n;
    this.createdAt = sim.now;
    this.lastTagChange = sim.now;
  }

  /**
   * The TlpReceiver the engine sends through (its link's upstream direction).
   * `shared`: something else sends through it too (the endpoint's BAR), so
   * the engine's hand-overs are never dated: a TLP handed over by the other
   * sender before a dated one's date would be younger here, older there.
   */
  connect(egress: TlpReceiver, shared = false): this {
    this.egress = egress;
    this.datedEgress = !shared && typeof (egress as Partial<DatedReceiver>).receiveAt === 'function' ? egress as DatedReceiver : null;
    return this;
  }

  /** The id the next descriptor submitted will have. */
  get nextDescriptorId(): number {
    return this.nextId;
  }

  /** The simulated time (for a descriptor source timing what it submits). */
  get now(): Time {
    return this.sim.now;
  }

  /** The latency from `from` to `to` (ps) as the engine reads it: whole ticks of latencyTick (or exact), in ns. */
  latencyReadingNs(from: Time, to: Time): number {
    const tick = this.latencyTickPs;
    return (tick > 0 ? (Math.floor(to / tick) - Math.floor(from / tick)) * tick : to - from) / PS_PER_NS;
  }

  /**
   * Queues a descriptor of `size` bytes at host address `addr`, its data at
   * `deviceOffset` in device memory (from a word-aligned buffer); returns
   * its id (0, 1, 2, ... in submission order).
   */
  submit(op: DmaOp, addr: number, size: number, deviceOffset = 0): number {
    if (!Number.isSafeInteger(addr) || addr < 0 || !Number.isSafeInteger(size) || size <= 0 || !Number.isSafeInteger(addr + size)) {
      throw new RangeError(`${this.name}: a descriptor needs a non-negative address and a positive size below 2^53, got ${size} bytes at ${addr}`);
    }
    if (!Number.isSafeInteger(deviceOffset) || deviceOffset < 0) throw new RangeError(`${this.name}: a descriptor's device offset must be a non-negative whole number of bytes, got ${deviceOffset}`);
    if (op !== 'read' && op !== 'write') throw new RangeError(`${this.name}: descriptor op must be 'read' or 'write', got ${JSON.stringify(op)}`);
    const slot = this.allocSlot();
    const id = this.nextId++;
    const now = this.sim.now;
    this.dOp[slot] = op === 'read' ? OP_READ : OP_WRITE;
    this.dAddr[slot] = addr;
    this.dSize[slot] = size;
    const wordOffset = (this.dWordOffset[slot] = deviceOffset % this.wordBytes);
    this.dSubmit[slot] = now;
    this.dId[slot] = id;
    this.dOutstanding[slot] = 0;
    this.dFailed[slot] = 0;
    this.dEmitted[slot] = 0;
    // Take-up depends only on submission times and the interval (the queue before it is unbounded), so it is known now.
    let takeUp: number;
    if (op === 'write' && this.writeIssueIntervalPs >= 0) {
      takeUp = now > this.nextWriteTakeUpAt ? now : this.nextWriteTakeUpAt;
      this.nextWriteTakeUpAt = takeUp + this.writeIssueIntervalPs;
    } else {
      takeUp = now > this.nextTakeUpAt ? now : this.nextTakeUpAt;
      this.nextTakeUpAt = takeUp + this.issueIntervalPs;
    }
    this.dReady[slot] = takeUp + this.issueLatencyPs;
    this.dStoredAt[slot] = 0;
    if (this.paths.count > 0) {
      if (op === 'write') {
        this.dFetchStart[slot] = this.paths.fetchWrite(this.dReady[slot]!, wordOffset, size);
        const first = pageChunk(this.writeSplits, addr, addr + size);
        this.dReady[slot] = this.writeDataReadyAt(slot, first.offset[0]! + first.length[0]!);
      } else this.dPath[slot] = this.paths.moverForRead();
    }
    this.pushPending(slot);
    this.descriptorsSubmitted++;
    if (this.firstSubmitAt < 0) this.firstSubmitAt = now;
    this.pump();
    return id;
  }

  /** A completion for one of our reads arrived (the endpoint has freed its link buffer). */
  onCompletion(tlp: Tlp): void {
    const t = tlp.tag;
    if (tlp.type !== 'CplD' || !(t >= 0 && t < this.tagCount) || this.tagBusy[t] === 0 ||
        this.tagNext[t] !== tlp.addr || this.dId[this.tagSlot[t]!] !== tlp.txn || tlp.requester !== this.requesterId) {
      this.unexpectedCompletions++;
      return;
    }
    const len = tlp.length;
    const padded = paddedBytes(tlp.addr, len);
    this.completionsReceived++;
    this.bytesRead += len;
    this.tagReserved[t]! -= padded;
    this.cplBufferUsed -= padded;
    const cplSlot = this.tagSlot[t]!;
    const from = this.timesReceiveStage ? this.receive(cplSlot, t, len) : this.sim.now;
    // Its data is stored once it is through the receive stage and, with data paths, its mover has stored it.
    const stored = this.paths.count > 0 ? this.paths.storeRead(this.dPath[cplSlot]!, this.dWordOffset[cplSlot]! + tlp.addr - this.dAddr[cplSlot]!, len, from) : from;
    if (stored > this.dStoredAt[cplSlot]!) this.dStoredAt[cplSlot] = stored;
    const next = (this.tagNext[t]! += len);
    if (next === this.tagEnd[t]) {
      this.readRequestsCompleted++;
      this.requestRtt.add((this.sim.now - this.tagIssuedAt[t]!) / PS_PER_NS);
      const slot = this.tagSlot[t]!;
      this.retireTag(t);
      this.dropFinishedTimeouts();
      if (--this.dOutstanding[slot]! === 0) this.checkDone(slot);
      this.pump();
      this.disarmIfIdle();
      return;
    }
    this.pump();
  }

  /** The link started `tlp` on the wire. */
  release(tlp: Tlp): void {
    this.txQueued--;
    if (tlp.type === 'MWr') {
      const slot = this.writeSent(tlp);
      if (--this.dOutstanding[slot]! === 0) {
        this.checkDone(slot);
        this.pump();
        this.disarmIfIdle();
        return;
      }
    }
    this.pump();
  }

  /** Counts the MWr `tlp` as sent (the link releases them in order); returns its descriptor slot. */
  private writeSent(tlp: Tlp): number {
    const q = this.writesQueued;
    if (q.size === 0 || q.headTlp() !== tlp) throw new Error(`model bug: ${this.name}'s link released MWr TLPs out of order`);
    const slot = q.head(DESCRIPTOR);
    q.shift();
    this.writeTlpsSent++;
    this.bytesWritten += tlp.length;
    return slot;
  }

  /**
   * fabric.ts AheadSender.datesRelease: whether what release(tlp) would do
   * at `at` is certain now, so the link may start `tlp` ahead and release it
   * ahead (releaseAhead). It is when the link takes dated hand-overs and this
   * engine is its only sender (connect), `tlp` is a write whose release does
   * not finish its descriptor (that tells the listener, at its time), and
   * pump() would then hand over exactly one TLP, a write, at once: the
   * transmit queue is full (one place frees), the transmit port is free by
   * `at`, and the emitter has a write descriptor, or the next one is a write
   * ready by `at` (descriptors submitted meanwhile queue behind it). Nothing
   * else the engine does before `at` depends on this: with the transmit
   * queue full, a pump() before `at` hands nothing over either way.
   */
  datesRelease(tlp: Tlp, at: number): boolean {
    if (this.datedEgress === null || tlp.type !== 'MWr' || this.txQueued !== this.txDepth || this.txFreeAt > at) return false;
    const q = this.writesQueued;
    if (q.size === 0 || q.headTlp() !== tlp) return false;
    const slot = q.head(DESCRIPTOR);
    if (this.dOutstanding[slot] === 1 && this.dEmitted[slot] === 1) return false;
    let next = this.emitSlot;
    if (next < 0) {
      if (this.pendingSize === 0) return false;
      next = this.pending[this.pendingHead]!;
      if (this.dReady[next]! > at) return false;
    } else if (this.dOp[next] === OP_WRITE && this.nextTlpReadyAt() > at) return false;
    return this.dOp[next] === OP_WRITE;
  }

  /**
   * The link starts `tlp` at `at` (datesRelease said yes): what release(tlp)
   * does then, done now, its next write handed over dated `at`
   * (DatedReceiver.receiveAt). stats() counts `tlp` sent from `at`.
   */
  releaseAhead(tlp: Tlp, at: number): void {
    this.txQueued--;
    const log = this.releasedAhead, r = log.push(at, this.sim.now);
    log.rows[r + SENT_BEFORE] = this.writeTlpsSent;
    log.rows[r + WRITTEN_BEFORE] = this.bytesWritten;
    const slot = this.writeSent(tlp);
    this.dOutstanding[slot]!--;
    if (this.emitSlot < 0) this.takeUpHead();
    this.datedEgress!.receiveAt(this.nextTlp(at)!, this, at);
  }

  stats(): DmaEngineStats {
    this.accountTags();
    // Writes released ahead (releaseAhead) are sent from their start: the counts as they stood before the first after now.
    const log = this.releasedAhead, r = log.oldestAfter(this.sim.now);
    const writeTlpsSent = r < 0 ? this.writeTlpsSent : log.rows[r + SENT_BEFORE]!;
    const bytesWritten = r < 0 ? this.bytesWritten : log.rows[r + WRITTEN_BEFORE]!;
    const span = this.lastDoneAt - this.firstSubmitAt;
    const moved = this.bytesRead + bytesWritten;
    return {
      descriptorsSubmitted: this.descriptorsSubmitted,
      descriptorsDone: this.descriptorsDone,
      descriptorsFailed: this.descriptorsFailed,
      descriptorsInFlight: this.descriptorsSubmitted - this.descriptorsDone,
      readRequestsIssued: this.readRequestsIssued,
      readRequestsCompleted: this.readRequestsCompleted,
      completionTimeouts: this.completionTimeouts,
      completionsReceived: this.completionsReceived,
      unexpectedCompletions: this.unexpectedCompletions,
      writeTlpsSent,
      bytesRead: this.bytesRead,
      bytesWritten,
      firstSubmitAt: this.firstSubmitAt,
      lastDoneAt: this.lastDoneAt,
      throughput: this.lastDoneAt >= 0 && span > 0 ? (moved * PS_PER_S) / span : 0,
      tagsBusy: this.tagsBusy,
      completionBufferUsed: this.cplBufferUsed,
      tagBusyPs: this.tagBusyPs,
      allTagsBusyPs: this.allTagsBusyPs,
      transmitQueued: this.txQueued,
    };
  }

  metrics(): Record<string, MetricValue> {
    const s = this.stats();
    const elapsed = this.sim.now - this.createdAt;
    return {
      read_bytes: s.bytesRead,
      written_bytes: s.bytesWritten,
      throughput_gbytes_per_s: s.throughput / BYTES_PER_GB,
      descriptors_done: s.descriptorsDone,
      descriptors_failed: s.descriptorsFailed,
      completion_timeouts: s.completionTimeouts,
      unexpected_completions: s.unexpectedCompletions,
      mean_tags_busy: elapsed > 0 ? s.tagBusyPs / elapsed : null,
      all_tags_busy_fraction: elapsed > 0 ? s.allTagsBusyPs / elapsed : null,
      read_latency_ns: distribution(this.readLatency),
      write_latency_ns: distribution(this.writeLatency),
      request_rtt_ns: distribution(this.requestRtt),
    };
  }

  // ---------------------------------------------------------------- issue stage and emitter

  /**
   * Moves the next descriptor to the emitter if its first TLP is ready. If it
   * is not, arms one wake-up for its ready time: the head of `pending` stays
   * the head until the emitter takes it, so that wake-up is never stale.
   */
  private startNextEmit(): boolean {
    if (this.pendingSize === 0) return false;
    const slot = this.pending[this.pendingHead]!;
    const wait = this.dReady[slot]! - this.sim.now;
    if (wait > 0) {
      if (!this.wakeArmed) {
        this.wakeArmed = true;
        this.sim.schedule(wait, DmaEngine.onReady, this, 0);
      }
      return false;
    }
    this.takeUpHead();
    return true;
  }

  /** Moves the descriptor at the head of `pending` to the emitter. */
  private takeUpHead(): void {
    const slot = this.pending[this.pendingHead]!;
    this.pendingHead = (this.pendingHead + 1) % this.pending.length;
    this.pendingSize--;
    this.emitSlot = slot;
    this.cursor = this.dAddr[slot]!;
    this.end = this.cursor + this.dSize[slot]!;
    this.chunk = EMPTY_SPLIT;
    this.pieceIdx = 0;
  }

  private static onReady(self: DmaEngine): void {
    self.wakeArmed = false;
    self.pump();
  }

  /**
   * Hands the link every TLP it may have now. Re-entrant calls (a release
   * or a descriptor listener calling back from inside the link's receive)
   * return at once: the running loop sees their effects.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    for (;;) {
      if (this.emitSlot < 0 && !this.startNextEmit()) break;
      if (this.txQueued >= this.txDepth) break;
      const now = this.sim.now;
      const readyAt = this.nextTlpReadyAt();
      if (readyAt > now) {
        this.armTxWake(readyAt);
        break;
      }
      // A read with every tag out cannot go (nextTlp would say so after loading its piece): the usual case
      // when a completion comes in that does not finish its request.
      if (this.nFreeTags === 0 && this.dOp[this.emitSlot] === OP_READ) break;
      const tlp = this.nextTlp(now);
      if (tlp === null) break;
      this.egress.receive(tlp, this);
    }
    this.pumping = false;
  }

  /**
   * The emitter's next TLP, handed over at `at` (now, or a dated release's
   * time for a write: releaseAhead), with everything its hand-over does to the
   * engine's state done; null if it is a read that must wait for a tag or
   * buffer space.
   */
  private nextTlp(at: number): Tlp | null {
    const slot = this.emitSlot;
    const isRead = this.dOp[slot] === OP_READ;
    const p = this.loadPiece();
    const k = this.pieceIdx;
    const addr = this.chunkStart + p.offset[k]!, len = p.length[k]!;
    let tlp: Tlp;
    if (isRead) {
      if (this.nFreeTags === 0) return null;
      const padded = paddedBytes(addr, len);
      if (this.cplBufferUsed + padded > this.completionBufferBytes) return null;
      const t = this.allocTag();
      this.tagSlot[t] = slot;
      this.tagNext[t] = addr;
      this.tagEnd[t] = addr + len;
      this.tagReserved[t] = padded;
      this.tagIssuedAt[t] = at;
      const seq = ++this.requestSeq;
      this.tagSeq[t] = seq;
      this.cplBufferUsed += padded;
      this.readRequestsIssued++;
      this.pushTimeout(at + this.timeoutPs, t, seq);
      tlp = new Tlp('MRd', addr, len, p.bytes[k]!, this.requesterId, t, this.dId[slot]!, 0);
    } else {
      tlp = new Tlp('MWr', addr, len, p.bytes[k]!, this.requesterId, 0, this.dId[slot]!, 0);
      this.writesQueued.set(this.writesQueued.push(tlp, this), DESCRIPTOR, slot);
    }
    this.dOutstanding[slot]!++;
    this.pieceIdx = k + 1;
    this.cursor = addr + len;
    this.txQueued++;
    if (this.timesTransmitPort) {
      this.txFreeAt = at + this.tlpOverheadPs + (isRead ? 0
        : len * this.tlpPsPerByte + this.blockStarts(addr - this.dAddr[slot]!, len, addr) * this.writeBlockPs + ((addr & DW_MASK) !== 0 ? this.unalignedWritePs : 0));
    }
    if (this.cursor === this.end) {
      // Mark the descriptor emitted before the link can release its last TLP.
      this.dEmitted[slot] = 1;
      this.emitSlot = -1;
    }
    return tlp;
  }

  /** The split of the emitter's descriptor that holds its next TLP (at pieceIdx), cut from the cursor's page once its pieces before are out. */
  private loadPiece(): SplitPieces {
    if (this.pieceIdx < this.chunk.count) return this.chunk;
    const a = this.cursor;
    this.chunkStart = a;
    this.pieceIdx = 0;
    return (this.chunk = pageChunk(this.dOp[this.emitSlot] === OP_READ ? this.readSplits : this.writeSplits, a, this.end));
  }

  /**
   * When the emitter's next TLP may go: once the transmit port is free and,
   * for a write through data paths, the bursts of device memory up to its
   * last byte are fetched (the data streams: a TLP goes once its own bursts
   * are in, not the whole descriptor's).
   */
  private nextTlpReadyAt(): number {
    const slot = this.emitSlot;
    if (this.paths.count === 0 || this.dOp[slot] !== OP_WRITE) return this.txFreeAt;
    const p = this.loadPiece(), k = this.pieceIdx;
    const data = this.writeDataReadyAt(slot, this.chunkStart + p.offset[k]! + p.length[k]! - this.dAddr[slot]!);
    return data > this.txFreeAt ? data : this.txFreeAt;
  }

  /**
   * When write `slot`'s first `end` bytes are fetched: its fetch's start
   * plus the whole bursts they touch from its first word (rounded up to a
   * whole ps, where it becomes an event; the mover keeps exact time).
   */
  private writeDataReadyAt(slot: number, end: number): number {
    return Math.ceil(this.dFetchStart[slot]! + this.paths.burstsPs(this.dWordOffset[slot]!, end));
  }

  /**
   * Write blocks (writeBlock) that a TLP of `len` bytes at host address
   * `addr`, `off` bytes into its descriptor, starts: the blocks of host
   * memory (aligned to writeBlock) that begin within it, and the write's own
   * first block if it begins inside one (off 0); a write of one block
   * (writeBlock unset) has its start only.
   */
  private blockStarts(off: number, len: number, addr: number): number {
    const b = this.writeBlockBytes;
    if (b === Infinity) return off === 0 ? 1 : 0;
    return Math.ceil((addr + len) / b) - Math.ceil(addr / b) + (off === 0 && addr % b !== 0 ? 1 : 0);
  }

  /**
   * A completion of `len` bytes for tag `t` (of descriptor `slot`) through
   * the receive stage: returns when it leaves the queue in front of the stage
   * (its own time in the stage is occupancy only: see the header).
   */
  private receive(slot: number, t: number, len: number): number {
    const now = this.sim.now;
    const start = now > this.rxFreeAt ? now : this.rxFreeAt;
    const last = this.tagNext[t]! + len === this.tagEnd[t] && this.dOutstanding[slot] === 1 && this.dEmitted[slot] === 1;
    // The completion with the read's first bytes, into a partial first word: merged before the data behind it can go on.
    const mergeFirst = this.tagNext[t] === this.dAddr[slot] && (this.partialWordsOf(slot) & FIRST_END) !== 0;
    this.rxFreeAt = start + this.rxOverheadPs + len * this.rxPsPerByte + (last ? this.rxDescriptorPs : 0) + (mergeFirst ? this.mergePs : 0);
    // The data behind a partial first word waits for its merge.
    return mergeFirst ? start + this.mergePs : start;
  }

  /**
   * A read's `words` partial words merged by the merge unit, one after the
   * other, once the read's data is stored (or now) and the unit is free. The
   * read is done when its merges start, plus its `firstWords` (a first word
   * merged here, its data's way on, not a receive stage's): the last word's
   * merge is occupancy, not latency.
   */
  private mergePartialWords(slot: number, words: number, firstWords: number): void {
    const stored = this.storedBy(slot);
    const start = stored > this.mergeFreeAt ? stored : this.mergeFreeAt;
    this.mergeFreeAt = start + words * this.mergePs;
    this.dStoredAt[slot] = start + firstWords * this.mergePs;
  }

  /**
   * The partial words of read `slot` (`ends`: partialWordEnds) that its
   * mover merges into the bursts it writes (moverMergedWords), each for
   * partialWordMerge, once the read's data is stored and the mover is free
   * (and turned). The read is done no sooner than its mover starts on them:
   * occupancy, as the merge unit's (mergePartialWords), not latency.
   */
  private mergeOnMover(slot: number, ends: number): void {
    const words = moverMergedWords(this.dWordOffset[slot]!, this.dSize[slot]!, ends, this.wordBytes, this.paths.burst);
    if (words === 0) return;
    this.dStoredAt[slot] = this.paths.bookRead(this.dPath[slot]!, this.storedBy(slot), this.wordBytes, words * this.mergePs);
  }

  /** When read `slot`'s data is stored, or now if that is past: where the work on its partial words can start. */
  private storedBy(slot: number): number {
    const stored = this.dStoredAt[slot]!, now = this.sim.now;
    return stored > now ? stored : now;
  }

  /** Which ends of descriptor `slot`'s data are partial words (partialWordEnds); 0 without a merge time. */
  private partialWordsOf(slot: number): number {
    return this.mergePs > 0 ? partialWordEnds(this.dWordOffset[slot]!, this.dSize[slot]!, this.wordBytes) : 0;
  }

  /** One wake-up for when the emitter's next TLP may go (`at`): the pump re-arms it if that is later by then. */
  private armTxWake(at: number): void {
    if (this.txWakeArmed) return;
    this.txWakeArmed = true;
    this.sim.schedule(Math.ceil(at - this.sim.now), DmaEngine.onTxReady, this, 0);
  }

  private static onTxReady(self: DmaEngine): void {
    self.txWakeArmed = false;
    self.pump();
  }

  private static onStored(self: DmaEngine, slot: number): void {
    self.finish(slot);
    self.pump();
    self.disarmIfIdle();
  }

  /** Records one row per finished descriptor on `channel` (kind 'descriptor'), labelled by op: the labels of read and write. */
  traceDescriptors(channel: TraceChannel, readLabel: number, writeLabel: number): void {
    this.descriptorTrace = channel;
    this.opLabels = [readLabel, writeLabel];
  }

  private checkDone(slot: number): void {
    if (this.dEmitted[slot] === 0 || this.dOutstanding[slot] !== 0) return;
    if (this.dOp[slot] === OP_READ && this.dFailed[slot] === 0) {
      // The first word's merge is the receive stage's where there is one (receive()).
      const ends = this.partialWordsOf(slot);
      if (ends !== 0 && this.paths.count > 0) this.mergeOnMover(slot, ends);
      const first = !this.timesReceiveStage && (ends & FIRST_END) !== 0 ? 1 : 0;
      const words = ((ends & LAST_END) !== 0 ? 1 : 0) + first;
      if (words > 0) this.mergePartialWords(slot, words, first);
    }
    const wait = Math.ceil(this.dStoredAt[slot]! - this.sim.now);
    if (wait > 0) {
      this.sim.schedule(wait, DmaEngine.onStored, this, slot);
      return;
    }
    this.finish(slot);
  }

  private finish(slot: number): void {
    const now = this.sim.now;
    const latencyNs = this.latencyReadingNs(this.dSubmit[slot]!, now);
    if (this.dOp[slot] === OP_READ) this.readLatency.add(latencyNs);
    else this.writeLatency.add(latencyNs);
    const ok = this.dFailed[slot] === 0;
    if (!ok) this.descriptorsFailed++;
    this.descriptorsDone++;
    this.lastDoneAt = now;
    const id = this.dId[slot]!;
    if (this.descriptorTrace !== null) this.descriptorTrace.record(now, id, this.dSize[slot]!, now - this.dSubmit[slot]!, ok ? 0 : 1, 0, this.opLabels[this.dOp[slot]!]);
    this.freeSlots[this.nFreeSlots++] = slot;
    if (this.listener !== null) this.listener.descriptorDone(id, ok);
  }

  // ---------------------------------------------------------------- tags and timeouts

  private allocTag(): number {
    const n = this.tagCount;
    const t = this.freeTags[this.freeTagHead]!;
    this.freeTagHead = (this.freeTagHead + 1) % n;
    this.nFreeTags--;
    this.accountTags();
    this.tagsBusy++;
    this.tagBusy[t] = 1;
    return t;
  }

  private retireTag(t: number): void {
    this.accountTags();
    this.tagsBusy--;
    this.tagBusy[t] = 0;
    this.cplBufferUsed -= this.tagReserved[t]!;
    this.tagReserved[t] = 0;
    const n = this.tagCount;
    this.freeTags[(this.freeTagHead + this.nFreeTags) % n] = t;
    this.nFreeTags++;
  }

  private accountTags(): void {
    const now = this.sim.now, dt = now - this.lastTagChange;
    if (dt === 0) return;
    this.tagBusyPs += this.tagsBusy * dt;
    if (this.tagsBusy === this.tagCount) this.allTagsBusyPs += dt;
    this.lastTagChange = now;
  }

  private pushTimeout(deadline: number, tag: number, seq: number): void {
    if (this.toSize === this.toDeadline.length) {
      const cap = this.toDeadline.length, mask = cap - 1;
      const d = new Float64Array(2 * cap), tg = new Int32Array(2 * cap), sq = new Float64Array(2 * cap);
      for (let k = 0; k < this.toSize; k++) {
        const i = (this.toHead + k) & mask;
        d[k] = this.toDeadline[i]!; tg[k] = this.toTag[i]!; sq[k] = this.toSeq[i]!;
      }
      this.toDeadline = d; this.toTag = tg; this.toSeq = sq;
      this.toHead = 0;
    }
    const i = (this.toHead + this.toSize) & (this.toDeadline.length - 1);
    this.toDeadline[i] = deadline;
    this.toTag[i] = tag;
    this.toSeq[i] = seq;
    this.toSize++;
    if (!this.timerArmed) this.armTimer();
  }

  /** Drops entries at the head whose request has finished. */
  private dropFinishedTimeouts(): void {
    const mask = this.toDeadline.length - 1;
    while (this.toSize > 0) {
      const i = this.toHead, t = this.toTag[i]!;
      if (this.tagBusy[t] === 1 && this.tagSeq[t] === this.toSeq[i]) return;
      this.toHead = (i + 1) & mask;
      this.toSize--;
    }
  }

  /**
   * Cancels the timer once nothing can time out and nothing more is coming:
   * a pending timer would otherwise hold the run open up to a timeout past
   * its end. While the engine has work the timer stays armed even with no
   * request in flight (a closed loop submits the next descriptor from the
   * completion of the last), so a busy engine costs one timer event per
   * timeout period, not a schedule and a cancel per request.
   */
  private disarmIfIdle(): void {
    if (this.timerArmed && this.toSize === 0 && this.pendingSize === 0 && this.emitSlot < 0) {
      this.sim.cancel(this.timerId);
      this.timerArmed = false;
    }
  }

  private armTimer(): void {
    this.timerArmed = true;
    this.timerId = this.sim.schedule(this.toDeadline[this.toHead]! - this.sim.now, DmaEngine.onTimer, this, 0);
  }

  private static onTimer(self: DmaEngine): void {
    self.timerArmed = false;
    const now = self.sim.now;
    const mask = self.toDeadline.length - 1;
    self.dropFinishedTimeouts();
    while (self.toSize > 0 && self.toDeadline[self.toHead]! <= now) {
      const t = self.toTag[self.toHead]!;
      self.toHead = (self.toHead + 1) & mask;
      self.toSize--;
      self.timeOut(t);
      self.dropFinishedTimeouts();
    }
    if (self.toSize > 0) self.armTimer();
    self.pump();
  }

  /** The request on tag `t` had no complete answer in time: abandon it. */
  private timeOut(t: number): void {
    this.completionTimeouts++;
    const slot = this.tagSlot[t]!;
    this.dFailed[slot] = 1;
    this.retireTag(t);
    if (--this.dOutstanding[slot]! === 0) this.checkDone(slot);
  }

  // ---------------------------------------------------------------- descriptor slots

  private allocSlot(): number {
    if (this.nFreeSlots > 0) return this.freeSlots[--this.nFreeSlots]!;
    if (this.slotCount === this.dOp.length) {
      const n = 2 * this.slotCount;
      this.dOp = growU8(this.dOp, n); this.dAddr = growF64(this.dAddr, n); this.dSize = growF64(this.dSize, n);
      this.dWordOffset = growF64(this.dWordOffset, n);
      this.dSubmit = growF64(this.dSubmit, n); this.dId = growF64(this.dId, n); this.dOutstanding = growI32(this.dOutstanding, n);
      this.dFailed = growU8(this.dFailed, n); this.dEmitted = growU8(this.dEmitted, n); this.dReady = growF64(this.dReady, n);
      this.dFetchStart = growF64(this.dFetchStart, n); this.dPath = growI32(this.dPath, n); this.dStoredAt = growF64(this.dStoredAt, n);
      this.freeSlots = growI32(this.freeSlots, n);
    }
    return this.slotCount++;
  }

  private pushPending(slot: number): void {
    const cap = this.pending.length;
    if (this.pendingSize === cap) {
      const next = new Int32Array(2 * cap);
      for (let k = 0; k < this.pendingSize; k++) next[k] = this.pending[(this.pendingHead + k) % cap]!;
      this.pending = next;
      this.pendingHead = 0;
    }
    this.pending[(this.pendingHead + this.pendingSize) % this.pending.length] = slot;
    this.pendingSize++;
  }
}

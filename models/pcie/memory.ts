/**
 * Memory behind a PCIe completer: host DRAM behind a root complex, or the
 * device memory behind an endpoint's BAR. The completer in front of it
 * (absorb MWr, answer MRd with CplDs) is completer.ts.
 *
 * What Memory models
 *  - An address range it owns ([base, base + size)); an access outside it is
 *    a routing bug and throws.
 *  - One bandwidth resource shared by reads and writes, served first come
 *    first served: an access occupies it for bytes / bandwidth, starting when
 *    it is free. Concurrent accesses therefore queue. Times are kept exact
 *    (unrounded) across accesses so per-access rounding never accumulates;
 *    an access's times are rounded up to whole ps where they become events.
 *  - Reads return data a fixed latency after their transfer slot:
 *      done = ceil(start + bytes / bandwidth) + latency (+ cold) (+ remote).
 *    The latency is pipelined (many reads in flight at once); only the
 *    bandwidth is exclusive. `cache: 'cold'` adds the cold-cache penalty to
 *    every read (DDIO/LLC miss), `socket: 'remote'` the remote-socket one.
 *  - Remote reads also take turns on the inter-socket link before their
 *    slot: each holds it for `remoteReadInterval` plus its bytes at
 *    `remoteBandwidth`, one read after another, so reads of a few lines
 *    are bound by the link (pcie-bench's remote-buffer hosts' 128-byte
 *    reads; their 64-byte ones are bound by the requester's tags at the
 *    remote latency). Its bytes, not its whole lines: the remote Broadwell
 *    hosts' 128-byte reads one byte into a line (three lines) take 27-29 ns
 *    a read, where whole lines give 34.
 *  - Writes are absorbed when their transfer slot ends (posted: nobody waits
 *    for a write's latency, only for its bandwidth). A host whose writes go
 *    through to memory (no DDIO) may add a write path (`writeAccess`): it
 *    takes writes one at a time, in order, each for writeAccess, or
 *    writeContinued when it starts where the last write ended, and a
 *    write's slot starts once the path has taken it; so a stream of writes
 *    is held to the path's rate, and its credits come back at that rate.
 *    Where the DRAM serves every read, reads take the same path for
 *    `readAccessPerLine` a line: reads alone rarely fill it, reads mixed
 *    with writes share it.
 *  - Which reads the DRAM itself serves (`cachedReads`): with the cache warm,
 *    all reads hit the last-level cache (DDIO), only those whose data sits in
 *    the device's socket's cache (`cacheSocket`: where the driver wrote it;
 *    a read of data cached on the other socket is served from memory by its
 *    home agent, which snoops across sockets), or none (a host without
 *    DDIO). A read the DRAM serves pays coldPenalty and may meet a refresh;
 *    one of remote memory pays remotePenalty once; one of local memory whose
 *    line the other socket's cache holds pays snoopPenalty (the home agent
 *    reads memory while it snoops the other socket, and the snoop's round
 *    trip takes longer: pcie-bench's s0-s0-s1 warm reads are about 30 ns
 *    slower than its cold ones) and takes its turn on the link as a remote
 *    read does (the other socket's answer brings the written lines across).
 *  - DRAM refresh (when refreshInterval and refreshTime are set): once per
 *    tREFI each rank is busy for tRFC (JEDEC DDR3 JESD79-3 / DDR4 JESD79-4
 *    all-bank auto-refresh, ranks refreshed one at a time), and a DRAM read
 *    that arrives inside its rank's refresh has its data that much later;
 *    the other ranks go on, so its transfer slot and the request's credits
 *    are not held up, and reads may finish out of order. Where in its interval each refresh falls is drawn from
 *    the named stream `<name>.refresh` (the controller may postpone or pull
 *    in refreshes; a fixed phase would alias with a periodic requester), so
 *    a read meets one with probability tRFC / tREFI and waits a uniform part
 *    of tRFC: the tail of pcie-bench's cold-cache latency distributions.
 *    Off (no draws, no change) unless both are set.
 *  - The warm cache's reach (when llcBytes and workingSet are set): a warm
 *    cache holds at most llcBytes of the workingSet bytes the reads range
 *    over, so a read the cache would serve hits with probability
 *    min(1, llcBytes / workingSet) (uniformly random addresses over the
 *    working set, the cache holding any llcBytes of it) and otherwise is a
 *    DRAM read: it pays coldPenalty and may meet a refresh. Each read draws
 *    from the named stream `<name>.llc`. pcie-bench's unloaded warm 64-byte
 *    reads step up to the cold latency where that fraction falls below one
 *    half (lat_dma_sweep_rd_rnd_64.csv), and their mean follows it.
 *    Off (every warm read hits, no draws) unless both are set and the
 *    working set is larger than the cache. With llcWays the cache is
 *    set-associative and the working set's pages land on its sets at random
 *    (physical pages scatter): each set holds at most llcWays lines of the
 *    X ~ Poisson(λ) that map to it, λ = llcWays × workingSet / llcBytes, so
 *    the hit fraction is E[min(X, llcWays)] / λ; near the cache's size it is
 *    well below llcBytes / workingSet (pcie-bench's unloaded means at a
 *    16 MiB window on the 15 MiB hosts: 11-14% of the way to cold, not 6%).
 *  - Completion order under load (hitsInRequestOrder): a read the warm
 *    cache serves returns no sooner than any read before it, so one miss
 *    holds up the hits behind it; reads served from memory return as their
 *    data arrives (each rank on its own). One at a time (unloaded) this
 *    changes nothing; with 32 reads in flight a few misses cost most of the
 *    way to the cold throughput (pcie-bench's loaded window sweeps).
 *  - Memory-controller queueing (dramQueuePerRead): a read served from
 *    memory pays that much more for each read served from memory still in
 *    flight when it arrives; unloaded reads pay nothing, 32 loaded cold ones
 *    about 30 ns (pcie-bench's loaded cold reads, 4-6% below what the
 *    unloaded cold latency allows).
 *  - Reads behind a write to their line (writeCommit): a DMA write, once
 *    absorbed, is committed for writeCommit more; a read of one of its cache
 *    lines arriving meanwhile waits for the commit's end and is then served
 *    from the written data at the warm local latency, with no cold, remote
 *    or refresh delay (pcie-bench's write-then-read test, LAT_DMA_WRRD, takes
 *    one time per host whatever the buffer's socket or the cache's state).
 *    Such reads finish out of their arrival order. Per line, the latest
 *    write's commit end, forgotten once past. The part of the commit that
 *    needs no host address (writeCommitUntranslated) runs while an IOMMU
 *    translates the write: a write whose translation took t ends its commit
 *    min(t, writeCommitUntranslated) sooner after it is absorbed (the
 *    write-then-read test with IOTLB misses: the miss adds 70-120 ns less to
 *    the pair than to a read alone). Commits end in the order the writes are
 *    absorbed.
 *  - Writes to the other socket's memory (remoteWriteCommit): one whose line
 *    the device's socket's cache holds commits there as above; one whose line
 *    it does not hold takes the line's ownership from the other socket,
 *    remoteWriteCommit longer, its whole commit after its translation. That
 *    cache holds the lines DMA wrote lately, DDIO's share of it (ddioWays of
 *    llcWays), or, warm with the driver on the device's socket (cacheSocket
 *    'local'), the whole cache's worth; which lines, at random at the
 *    fraction cacheHitFraction gives for the working set (pcie-bench's
 *    write-then-read on remote buffers steps where half the window falls out
 *    of that share).
 *
 * Left out: banks, the controllers' address-to-rank mapping (a line's rank
 * is its number modulo refreshRanks), rows, read/write turnaround,
 * per-address cache state (which lines the cache holds: a read hits by
 * chance, at the fraction above; warm/cold is otherwise one setting for the
 * whole memory, so without refresh or a partial reach done times stay in
 * arrival order), what writes do to the cache but for a remote write's
 * commit (DDIO's write allocation: writes are absorbed at the bandwidth
 * whatever the cache holds, as pcie-bench's writes by window show no step at
 * the cache's size, and later reads are not told which lines it holds), the cache's
 * replacement policy and the lines other agents keep in it, the
 * inter-socket link for a miss of remote memory cached on the device's
 * socket (its turn is decided per memory, not per read), the other socket's
 * cache's reach for snooped lines (every such read snoops, whatever the
 * working set), which sets a
 * workload's lines actually map to (the hit fraction is the expectation over
 * random page placement), the queue's structure (dramQueuePerRead is linear
 * in the reads ahead, whatever their channel or bank), coherence traffic,
 * and data contents.
 */
import { fieldProblemIssues, throwFirstProblem, type FieldProblem } from '../../src/scenario/field-problems.js';
import { z } from 'zod';
import type { MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize, duration, rate } from '../../src/scenario/units.js';
import type { Simulation } from '../../src/sim/simulation.js';
import { PS_PER_NS, type Time } from '../../src/sim/time.js';
import type { RandomStream } from '../../src/sim/random.js';
import type { AddressRange } from './fabric.js';
import { AheadLog } from './ahead-log.js';

// ---------------------------------------------------------------- parameters

/** 1 GB/s moves one byte per ns: ps per byte = PS_PER_NS / (GB/s). */
export function psPerByte(gbytesPerSecond: number): number {
  if (!(gbytesPerSecond > 0) || !Number.isFinite(gbytesPerSecond)) throw new RangeError(`bandwidth must be a positive number of GB/s, got ${gbytesPerSecond}`);
  return PS_PER_NS / gbytesPerSecond;
}

/** Most ways a cache takes (caches of more are as good as fully associative; bounds cacheHitFraction's sum). */
const MAX_LLC_WAYS = 256;

/** A memory device's timing: what a `memory.dram` instance sets; its owner (root complex, endpoint BAR) maps it at an address range. */
const memoryTimingObject = z.strictObject({
  latency: duration().describe('Read latency after the data transfer slot, warm cache and local socket (e.g. "100 ns")'),
  bandwidth: rate().describe('Bandwidth shared by reads and writes, e.g. "76.8 GB/s" (decimal: 1 GB/s = 1 byte/ns)'),
  cache: z.enum(['warm', 'cold']).default('warm').describe("'cold' adds coldPenalty to every read (the data is not in the last-level cache)"),
  coldPenalty: duration().default(0).describe('Extra read latency when cache is cold'),
  socket: z.enum(['local', 'remote']).default('local').describe("'remote' adds remotePenalty to every read (memory on the other socket)"),
  remotePenalty: duration().default(0).describe('Extra read latency when socket is remote'),
  snoopPenalty: duration().optional().describe("Extra read latency of a read of the device's socket's memory whose line the other socket's cache holds (cachedReads 'local', cacheSocket 'remote'): how much longer the snoop's round trip across the inter-socket link takes than the memory read it overlaps (unset: remotePenalty)"),
  remoteReadInterval: duration().default(0).describe("Time the inter-socket link takes per read that crosses sockets (remote memory, or a snoop of the other socket's cache), besides its data (0 = none)"),
  remoteBandwidth: rate().optional().describe("Bandwidth of the inter-socket link for the data of reads that cross sockets (remote memory's, or the lines a snoop brings from the other socket's cache): it carries a read's bytes, not its whole lines (unset: unlimited)"),
  cachedReads: z.enum(['all', 'local', 'none']).default('all').describe("Which reads a warm cache serves: 'all'; 'local' (only where the warm data sits in the device's socket's cache; others are served from memory, paying coldPenalty, and cross sockets, paying remotePenalty, or snoopPenalty where set for a snoop of local memory); 'none' (no DDIO: every read pays coldPenalty)"),
  cacheSocket: z.enum(['memory', 'local', 'remote']).default('memory').describe("Whose cache holds the data when cache is warm (where the driver wrote it): the memory's socket, the device's ('local') or the other ('remote'); matters with cachedReads 'local'"),
  refreshInterval: duration().default(0).describe('DRAM refresh interval tREFI, e.g. "7.8 us" (0 = refresh not modelled)'),
  refreshTime: duration().default(0).describe('DRAM refresh cycle time tRFC: a read the DRAM serves that arrives during a refresh waits for its end (0 = refresh not modelled)'),
  refreshRanks: z.number().int().min(1).default(1).describe('Ranks refreshed one at a time, each on its own schedule; a cache line is in rank (line number mod refreshRanks)'),
  llcBytes: byteSize().default(0).describe('Last-level cache bytes a warm cache holds of the data, e.g. "15 MiB": a read the warm cache would serve hits with probability min(1, llcBytes / workingSet), else is served from memory (coldPenalty, refresh) (0 = unlimited: every such read hits)'),
  workingSet: byteSize().default(0).describe('Bytes the reads range over at random (the workload\'s window or buffer), compared with llcBytes (0 = within the cache)'),
  llcWays: z.number().int().min(0).max(MAX_LLC_WAYS).default(0).describe('Ways of the last-level cache: with llcBytes, a working set whose pages scatter over its sets overflows the fuller ones, so fewer reads hit than llcBytes / workingSet says (0 = a fully associative cache)'),
  hitsInRequestOrder: z.boolean().default(false).describe('A read the warm cache serves returns no sooner than the reads before it (the host returns cached data in request order, behind reads it fetches from memory)'),
  dramQueuePerRead: duration().default(0).describe('Extra latency of a read served from memory for each read served from memory still in flight when it arrives (memory-controller queueing under load; 0 = none)'),
  writeAccess: duration().default(0).describe("A write path that takes DMA writes one at a time, in order, before their data's bandwidth slot: each holds it this long, or writeContinued if it starts where the last write ended (a host without DDIO, whose writes are not absorbed by the cache; 0 = no such path)"),
  writeContinued: duration().optional().describe('With writeAccess: how long a write that continues the last one (its address where that one ended) holds the write path (unset: writeAccess)'),
  writeCommit: duration().default(0).describe("How long a DMA write, once absorbed, is still being committed: a read of one of its cache lines that arrives meanwhile waits for the commit's end and is then served from the written data at the warm local latency (not from memory, nor across sockets; 0 = no such wait)"),
  writeCommitUntranslated: duration().default(0).describe("The part of writeCommit a DMA write does before it has its host address (ordering it behind the writes before it): while an IOMMU translates the write, up to this much of its commit runs, so a read behind a write whose translation missed waits that much less for the commit (0 = none: the whole commit follows the translation)"),
  remoteWriteCommit: duration().default(0).describe("With socket 'remote' and writeCommit: how much longer the commit of a DMA write takes when the device's socket's cache does not hold its line (its ownership comes from the other socket), the whole commit then after the write's translation (writeCommitUntranslated does not apply); 0 = none"),
  ddioWays: z.number().int().min(0).max(MAX_LLC_WAYS).default(0).describe("Ways of the device's socket's last-level cache that DMA writes allocate into (DDIO's share, with llcBytes and llcWays): of a remote buffer it holds the lines DMA wrote lately, so many of them (or the whole cache's worth when the cache is warm with cacheSocket 'local'); matters with remoteWriteCommit (0 = none held; with llcBytes 0, a cache of no given size, every line is held)"),
  readAccessPerLine: duration().default(0).describe('With writeAccess, where the DRAM serves every read (cache cold, or cachedReads none): the path is the one to memory, and a read holds it this long for each 64-byte line it reads, before its slot (reads alone rarely fill it; mixed with writes they share it; 0 = reads do not take it)'),
});

/** What one memory field says of another (field-problems.ts: checked where values are parsed, and again by the model). */
function memoryTimingProblems(p: z.output<typeof memoryTimingObject>): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (p.refreshInterval > 0 && p.refreshTime >= p.refreshInterval) {
    out.push({ field: 'refreshTime', message: `must be shorter than refreshInterval (${p.refreshInterval} ps), got ${p.refreshTime} ps` });
  }
  if (p.writeCommitUntranslated > p.writeCommit) {
    out.push({ field: 'writeCommitUntranslated', message: `is part of writeCommit (${p.writeCommit} ps): it cannot be longer, got ${p.writeCommitUntranslated} ps` });
  }
  // DDIO's share of the cache matters only to remote writes' commits.
  if (p.socket === 'remote' && p.remoteWriteCommit > 0 && p.ddioWays > 0 && p.llcBytes > 0 && p.llcWays < p.ddioWays) {
    out.push({ field: 'ddioWays', message: `are ways of the last-level cache: llcWays must be at least as many (${p.ddioWays}), got ${p.llcWays}` });
  }
  return out;
}

const checkMemoryTiming = fieldProblemIssues(memoryTimingProblems);

/** The timing with the checks its fields make of each other. */
export const memoryTimingParams = memoryTimingObject.superRefine(checkMemoryTiming);
export type MemoryTiming = z.output<typeof memoryTimingParams>;

/** A memory at an address range: the timing plus where it is. */
export const memoryParams = memoryTimingObject.extend({
  base: byteSize().default(0).describe('First bus address of the memory range'),
  size: byteSize().describe('Size of the memory range, e.g. "64 GiB"'),
}).superRefine(checkMemoryTiming);
export type MemoryParams = z.output<typeof memoryParams>;

export const memoryStats: readonly StatDecl[] = [
  { name: 'reads', unit: 'accesses', description: 'Read accesses served' },
  { name: 'writes', unit: 'accesses', description: 'Write accesses absorbed' },
  { name: 'read_bytes', unit: 'B', description: 'Bytes read' },
  { name: 'written_bytes', unit: 'B', description: 'Bytes written' },
  { name: 'utilization', unit: 'fraction', description: 'Fraction of time the bandwidth resource was busy' },
  { name: 'mean_queue_ns', unit: 'ns', description: 'Mean wait for the bandwidth resource per access' },
];

export interface MemoryStats {
  readonly reads: number;
  readonly writes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Transfer time of every access so far (unrounded), the part after now excluded. */
  readonly busyPs: number;
  /** Transfer time of every access so far (unrounded), all of it: each access's share of the bandwidth. */
  readonly transferPs: number;
  readonly utilization: number;
  /** Sum and maximum of the waits for the bandwidth resource, ps (unrounded). */
  readonly queuePs: number;
  readonly maxQueuePs: number;
  /** Start of the first access's transfer and end of the last write's, -1 if none. */
  readonly firstAccessAt: number;
  /** Read time added by refreshes, directly or by waiting for a read before that met one, ps. */
  readonly refreshStallPs: number;
  /** Reads the warm cache would serve that it did not hold (llcBytes), and the latency they added, ps. */
  readonly llcMisses: number;
  readonly llcMissPs: number;
  /** Reads of lines a write was still committing, served from it (writeCommit). */
  readonly readsAfterWrite: number;
  /** Writes to the other socket's memory whose line the device's socket's cache did not hold, so their commit went across (remoteWriteCommit). */
  readonly remoteCommits: number;
  readonly lastWriteDoneAt: number;
}

// ---------------------------------------------------------------- memory

/** An x86 cache line: what a path to memory takes for any part of it (cacheLineBytes), and what a root complex's completion slot is for (root-complex.ts). */
export const CACHE_LINE_BYTES = 64;
/**
 * Columns of the memory's ahead log (after column 0, the access's time): its
 * counters as they stood before an access dated after its call.
 */
const M_READS = 1, M_WRITES = 2, M_BYTES_READ = 3, M_BYTES_WRITTEN = 4, M_BUSY = 5, M_FREE_AT = 6, M_QUEUE = 7, M_MAX_QUEUE = 8,
  M_FIRST = 9, M_LAST_WRITE_DONE = 10, M_STALL = 11, M_MISSES = 12, M_MISS_PS = 13, M_AFTER_WRITE = 14, M_REMOTE = 15, M_COLUMNS = 16;
/** Forgotten commits (writeCommit) dropped from the front of the lists at once when this many have piled up; any size works. */
const COMMIT_COMPACT = 1024;

/** Bytes of the whole cache lines [addr, addr + bytes) touches. */
function cacheLineBytes(addr: number, bytes: number): number {
  const first = Math.floor(addr / CACHE_LINE_BYTES), last = Math.floor((addr + bytes - 1) / CACHE_LINE_BYTES);
  return (last - first + 1) * CACHE_LINE_BYTES;
}

/**
 * The fraction of reads over `workingSet` bytes, at random, that a warm cache of `llcBytes` holds (1: all; 0 bytes
 * of either: no limit). Fully associative (ways 0): llcBytes / workingSet. Set-associative: the working set's lines
 * fall on the cache's sets at random (its physical pages scatter), X ~ Poisson(λ) of them on a set, λ = ways ×
 * workingSet / llcBytes, and a set keeps at most `ways`: E[min(X, ways)] / λ.
 */
export function cacheHitFraction(llcBytes: number, workingSet: number, ways: number): number {
  if (!(llcBytes > 0) || !(workingSet > 0)) return 1;
  if (ways === 0) return workingSet > llcBytes ? llcBytes / workingSet : 1;
  const lambda = (ways * workingSet) / llcBytes;
  // E[min(X, ways)] = Σ_{k < ways} k P(X = k) + ways P(X >= ways), the terms of P(X = k) built up one by one.
  let pk = Math.exp(-lambda), below = 0, kept = 0;
  for (let k = 0; k < ways; k++) {
    kept += k * pk;
    below += pk;
    pk *= lambda / (k + 1);
  }
  kept += ways * Math.max(0, 1 - below);
  return Math.min(1, kept / lambda);
}

/**
 * The fraction of a remote buffer's lines the device's socket's cache holds
 * when a DMA write to one arrives (remoteWriteCommit): the whole cache's
 * share of the working set when the driver there warmed the buffer, else
 * DDIO's ways' share (the lines DMA wrote lately); a cache of no given size
 * (llcBytes 0) holds them all.
 */
function remoteLinesHeld(p: MemoryParams): number {
  if (p.llcBytes === 0) return 1;
  if (p.cache === 'warm' && p.cacheSocket === 'local') return cacheHitFraction(p.llcBytes, p.workingSet, p.llcWays);
  if (p.ddioWays === 0) return 0;
  return cacheHitFraction((p.llcBytes * p.ddioWays) / p.llcWays, p.workingSet, p.ddioWays);
}

export class Memory {
  readonly name: string;
  readonly range: AddressRange;
  /** Read latency with the cache and socket penalties this memory is set to. */
  readonly readLatencyPs: Time;
  readonly psPerByte: number;
  /**
   * Exact (possibly fractional) start of the last access's transfer slot:
   * read it right after read()/write() to know when the access left the
   * requester's buffer (completers release credits then).
   */
  lastStart = 0;
  private freeAt = 0;
  /** The inter-socket link (remote socket): ps per read request and per byte of its cache lines, and when it takes the next read. */
  private readonly remoteRequestPs: Time;
  private readonly remotePsPerByte: number;
  private nextReadAt = 0;
  private readonly createdAt: Time;
  /** Whether the DRAM serves reads (cache cold, remote past a home agent that reads memory, or no DDIO). */
  readonly readsFromDram: boolean;
  /** DRAM refresh: tREFI and tRFC in ps (both 0: off), the interval whose refresh is drawn, and that refresh's window. */
  private readonly refreshIntervalPs: number;
  private readonly refreshPs: number;
  /** Per rank: the interval whose refresh is drawn (-1: none yet) and that refresh's window. */
  private readonly refreshIndex: Float64Array;
  private readonly refreshStart: Float64Array;
  private readonly refreshEnd: Float64Array;
  private refreshRng: RandomStream | null = null;
  /** Time reads waited on refreshes, ps. */
  private stallPs = 0;
  /**
   * The warm cache's reach: the fraction of the reads it would serve that it
   * holds (1: all, no draws), the latency a read it misses pays on top of
   * readLatencyPs, its stream, and the time misses added, ps.
   */
  readonly hitFraction: number;
  private readonly missExtraPs: Time;
  private llcRng: RandomStream | null = null;
  /** With hitsInRequestOrder: the latest done time of any read so far (a hit returns no sooner). */
  private readonly hitsWait: boolean;
  private lastDone = 0;
  /** Memory-controller queueing: ps per read served from memory in flight, and the done times of those reads (unordered). */
  private readonly dramQueuePs: number;
  private dramInFlight: number[] = [];
  private llcMisses = 0;
  /** Reads served from a write being committed (writeCommit). */
  private readsAfterWrite = 0;
  private missPs = 0;
  /**
   * Whether read done times never decrease from one read to the next (the
   * completer may keep reads in a FIFO): true unless refresh is modelled,
   * which delays some reads and not the ones behind them, the cache's reach
   * is partial (a miss behind a hit), or memory's reads queue.
   */
  readonly readsInOrder: boolean;

  private reads = 0;
  private writes = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  private busyPs = 0;
  private queuePs = 0;
  private maxQueuePs = 0;
  private firstAccessAt = -1;
  private lastWriteDoneAt = -1;
  /**
   * The path to memory (writeAccess): ps a write holds it, new address or
   * continuing, and ps per byte of a read's lines (0: reads do not take
   * it); when it is free; where the last write ended.
   */
  private readonly writeAccessPs: number;
  private readonly writeContinuedPs: number;
  private readonly readPathPsPerByte: number;
  private pathFree = 0;
  private lastWriteEnd = -1;
  /** writeCommit, ps; per cache line with a write being committed, when its commit ends, and the same in time order, to forget them. */
  private readonly writeCommitPs: number;
  /** writeCommitUntranslated, ps: the most of a commit a write's translation overlaps. */
  private readonly commitUntranslatedPs: number;
  /** remoteWriteCommit, ps (0 on a local memory), and the fraction of a remote buffer's lines the device's socket's cache holds. */
  private readonly remoteCommitPs: number;
  private readonly remoteHeldFraction: number;
  private remoteWriteRng: RandomStream | null = null;
  private remoteCommits = 0;
  /** The latest commit end noted: commits end in the order the writes are absorbed. */
  private lastCommitEnd = 0;
  /** A read served from a write being committed: the warm local latency (no cold or remote penalty). */
  private readonly writtenReadPs: number;
  private readonly commitEnd = new Map<number, number>();
  private readonly commitLines: number[] = [];
  private readonly commitEnds: number[] = [];
  private commitHead = 0;
  /** The counters before each access dated after its call (read/write `at`), which stats() leaves out until its time. */
  private readonly aheadLog = new AheadLog(M_COLUMNS);

  constructor(private readonly sim: Simulation, params: MemoryParams, name = 'memory') {
    this.name = name;
    if (!Number.isSafeInteger(params.base) || !Number.isSafeInteger(params.base + params.size) || params.size <= 0) {
      throw new RangeError(`${name}: range base ${params.base} size ${params.size} must be a non-empty range below 2^53`);
    }
    throwFirstProblem(memoryTimingProblems(params), name);
    this.range = Object.freeze({ base: params.base, size: params.size });
    this.psPerByte = psPerByte(params.bandwidth);
    this.writeAccessPs = params.writeAccess;
    this.writeContinuedPs = params.writeContinued ?? params.writeAccess;
    const remote = params.socket === 'remote';
    const warm = params.cache === 'warm';
    const cacheRemote = params.cacheSocket === 'memory' ? remote : params.cacheSocket === 'remote';
    const hit = warm && (params.cachedReads === 'all' || (params.cachedReads === 'local' && !cacheRemote));
    this.readsFromDram = !hit;
    this.readPathPsPerByte = params.writeAccess > 0 && this.readsFromDram ? params.readAccessPerLine / CACHE_LINE_BYTES : 0;
    // Crossing sockets: for the data of the other socket's memory, or to snoop the other socket's cache that holds the
    // line (a local-memory read the driver's socket has warmed); with cachedReads 'all', remote memory alone. The
    // snoop overlaps the local memory read (the home agent reads memory while it snoops), so it costs what its round
    // trip takes beyond that read (snoopPenalty), not a remote read's crossing.
    const crosses = params.cachedReads === 'all' ? remote : !hit && (remote || (warm && cacheRemote));
    const crossingPs = remote ? params.remotePenalty : params.snoopPenalty ?? params.remotePenalty;
    this.readLatencyPs = params.latency + (this.readsFromDram ? params.coldPenalty : 0) + (crosses ? crossingPs : 0);
    // A read the warm cache would serve but does not hold: served from memory like a cold one (its home socket's,
    // crossing sockets only where the data's memory is remote).
    this.hitFraction = hit ? cacheHitFraction(params.llcBytes, params.workingSet, params.llcWays) : 1;
    this.hitsWait = params.hitsInRequestOrder && this.hitFraction < 1;
    this.dramQueuePs = params.dramQueuePerRead;
    this.missExtraPs = params.latency + params.coldPenalty + (remote ? params.remotePenalty : 0) - this.readLatencyPs;
    const refreshOn = params.refreshInterval > 0 && params.refreshTime > 0;
    this.refreshIntervalPs = refreshOn ? params.refreshInterval : 0;
    this.refreshPs = refreshOn && (this.readsFromDram || this.hitFraction < 1) ? params.refreshTime : 0;
    this.writeCommitPs = params.writeCommit;
    this.commitUntranslatedPs = params.writeCommitUntranslated;
    this.remoteCommitPs = remote ? params.remoteWriteCommit : 0;
    this.remoteHeldFraction = this.remoteCommitPs === 0 ? 1 : remoteLinesHeld(params);
    this.writtenReadPs = params.latency;
    // A read served from a write being committed is ready when the commit ends: out of order.
    this.readsInOrder = this.writeCommitPs === 0 && this.refreshPs === 0 && this.hitFraction === 1 && !(this.readsFromDram && this.dramQueuePs > 0);
    const ranks = this.refreshPs > 0 ? params.refreshRanks : 0;
    this.refreshIndex = new Float64Array(ranks).fill(-1);
    this.refreshStart = new Float64Array(ranks);
    this.refreshEnd = new Float64Array(ranks);
    // Reads that cross take turns on the inter-socket link with their request and their lines: remote memory's, or
    // lines the other socket's cache holds (the driver wrote them there, so the snoop's answer brings them across).
    this.remoteRequestPs = crosses ? params.remoteReadInterval : 0;
    this.remotePsPerByte = crosses && params.remoteBandwidth !== undefined ? psPerByte(params.remoteBandwidth) : 0;
    this.createdAt = sim.now;
  }

  /**
   * Reads `bytes` at `addr` at `at` (now, or later: accesses come in the
   * order of their times, and one dated later is told no sooner than
   * anything before it has happened, see noteAhead); returns the integer
   * time the data is ready.
   */
  read(addr: number, bytes: number, at: Time = this.sim.now): Time {
    if (at > this.sim.now) this.noteAhead(at);
    const now = at;
    if (this.writeCommitPs > 0) {
      const committed = this.commitOf(addr, bytes, now);
      if (committed > now) return this.readCommitting(addr, bytes, committed, now);
    }
    // A read of the other socket's memory waits for the inter-socket link, which carries its request and then its
    // bytes, one read after another (reads stay in order).
    let from = this.nextReadAt > now ? this.nextReadAt : now;
    this.nextReadAt = from + this.remoteRequestPs + bytes * this.remotePsPerByte;
    if (this.readPathPsPerByte > 0) {
      // The path to memory (writeAccess) takes this read's lines in turn with the writes.
      if (this.pathFree > from) from = this.pathFree;
      this.pathFree = from + cacheLineBytes(addr, bytes) * this.readPathPsPerByte;
    }
    const end = this.transfer(addr, bytes, from, now);
    this.reads++;
    this.bytesRead += bytes;
    let done = Math.ceil(end) + this.readLatencyPs;
    if (this.hitFraction < 1) {
      this.llcRng ??= this.sim.rng(`${this.name}.llc`);
      if (this.llcRng.random() < this.hitFraction) {
        // A hit: with hitsInRequestOrder its data leaves behind every read before it.
        if (this.hitsWait) {
          if (done < this.lastDone) done = this.lastDone;
          this.lastDone = done;
        }
        return done;
      }
      // A miss: the DRAM serves it, with its penalties and refreshes.
      this.llcMisses++;
      this.missPs += this.missExtraPs;
      done += this.missExtraPs;
    } else if (!this.readsFromDram) {
      return done;
    }
    if (this.dramQueuePs > 0) done += this.dramQueue(now);
    if (this.refreshPs > 0) {
      // A read that meets its rank's refresh has its data that much later; the other ranks, and so the transfer
      // slots and the requests' credits, go on.
      const stall = Math.ceil(this.afterRefresh(Math.floor(addr / CACHE_LINE_BYTES) % this.refreshStart.length, from) - from);
      this.stallPs += stall;
      done += stall;
    }
    if (this.dramQueuePs > 0) this.dramInFlight.push(done);
    if (done > this.lastDone) this.lastDone = done;
    return done;
  }

  /**
   * The queueing a read served from memory arriving at `now` meets: dramQueuePs for each read served from memory
   * whose data is not ready yet (they finish out of order, so the list is swept, not popped; it holds at most the
   * reads in flight).
   */
  private dramQueue(now: number): number {
    const q = this.dramInFlight;
    let n = 0;
    for (let i = 0; i < q.length; i++) if (q[i]! > now) q[n++] = q[i]!;
    q.length = n;
    return Math.round(n * this.dramQueuePs);
  }

  /**
   * Writes `bytes` at `addr` at `at` (now, or later as for read()); returns
   * the integer time they are absorbed.
   * With a write path (writeAccess), the write's slot starts once the path
   * has taken it, after the writes before it. `translatedPs`: how long the
   * write spent in an IOMMU's translation stage on its way here, which
   * overlaps up to writeCommitUntranslated of its commit.
   */
  write(addr: number, bytes: number, translatedPs = 0, at: Time = this.sim.now): Time {
    if (at > this.sim.now) this.noteAhead(at);
    const now = at;
    let from = now;
    if (this.writeAccessPs > 0) {
      if (this.pathFree > from) from = this.pathFree;
      this.pathFree = from + (addr === this.lastWriteEnd ? this.writeContinuedPs : this.writeAccessPs);
      this.lastWriteEnd = addr + bytes;
    }
    const done = Math.ceil(this.transfer(addr, bytes, from, now));
    if (this.writeCommitPs > 0) {
      let end: number;
      if (this.remoteCommitPs > 0 && !this.remoteLineHeld()) {
        this.remoteCommits++;
        end = done + this.writeCommitPs + this.remoteCommitPs;
      } else {
        end = done + this.writeCommitPs - (translatedPs < this.commitUntranslatedPs ? translatedPs : this.commitUntranslatedPs);
      }
      this.lastCommitEnd = end > this.lastCommitEnd ? end : this.lastCommitEnd;
      this.noteCommit(addr, bytes, this.lastCommitEnd);
    }
    this.writes++;
    this.bytesWritten += bytes;
    this.lastWriteDoneAt = done;
    return done;
  }

  /** Whether the device's socket's cache holds the line of a write to this remote memory: drawn at remoteHeldFraction. */
  private remoteLineHeld(): boolean {
    const p = this.remoteHeldFraction;
    if (p >= 1) return true;
    if (p <= 0) return false;
    this.remoteWriteRng ??= this.sim.rng(`${this.name}.remote-write`);
    return this.remoteWriteRng.random() < p;
  }

  /** A read of lines a write is still committing: its slot, then its data at the warm local latency once the commit ends. */
  private readCommitting(addr: number, bytes: number, committed: number, now: number): Time {
    const end = Math.ceil(this.transfer(addr, bytes, now, now));
    this.reads++;
    this.bytesRead += bytes;
    this.readsAfterWrite++;
    return (end > committed ? end : committed) + this.writtenReadPs;
  }

  /** When the commits of the writes to the lines of [addr, addr + bytes) end: the latest, or `now` if none is under way. */
  private commitOf(addr: number, bytes: number, now: number): number {
    const lines = this.commitLines, ends = this.commitEnds;
    while (this.commitHead < ends.length && ends[this.commitHead]! <= now) {
      const line = lines[this.commitHead]!;
      if (this.commitEnd.get(line) === ends[this.commitHead]) this.commitEnd.delete(line);
      this.commitHead++;
    }
    // Forgotten entries are dropped in bulk, so the lists stay about as long as the commits under way.
    if (this.commitHead > COMMIT_COMPACT && 2 * this.commitHead > ends.length) {
      lines.splice(0, this.commitHead);
      ends.splice(0, this.commitHead);
      this.commitHead = 0;
    }
    let until = now;
    for (let line = Math.floor(addr / CACHE_LINE_BYTES); line * CACHE_LINE_BYTES < addr + bytes; line++) {
      const e = this.commitEnd.get(line);
      if (e !== undefined && e > until) until = e;
    }
    return until;
  }

  /** Lines [addr, addr + bytes) are being committed until `end` (ends never decrease: writes are absorbed in order). */
  private noteCommit(addr: number, bytes: number, end: number): void {
    for (let line = Math.floor(addr / CACHE_LINE_BYTES); line * CACHE_LINE_BYTES < addr + bytes; line++) {
      this.commitEnd.set(line, end);
      this.commitLines.push(line);
      this.commitEnds.push(end);
    }
  }

  /**
   * Before an access dated `at`, after now: the counters as they stand, for
   * stats() until `at`. Exact because accesses are told in the order of
   * their times and nothing is told meanwhile that happens before `at`
   * (the only caller that dates them, a root complex, hands this memory
   * every request in the order they cross it: root-complex.ts accept).
   */
  private noteAhead(at: Time): void {
    const log = this.aheadLog, r = log.push(at, this.sim.now), rows = log.rows;
    rows[r + M_READS] = this.reads;
    rows[r + M_WRITES] = this.writes;
    rows[r + M_BYTES_READ] = this.bytesRead;
    rows[r + M_BYTES_WRITTEN] = this.bytesWritten;
    rows[r + M_BUSY] = this.busyPs;
    rows[r + M_FREE_AT] = this.freeAt;
    rows[r + M_QUEUE] = this.queuePs;
    rows[r + M_MAX_QUEUE] = this.maxQueuePs;
    rows[r + M_FIRST] = this.firstAccessAt;
    rows[r + M_LAST_WRITE_DONE] = this.lastWriteDoneAt;
    rows[r + M_STALL] = this.stallPs;
    rows[r + M_MISSES] = this.llcMisses;
    rows[r + M_MISS_PS] = this.missPs;
    rows[r + M_AFTER_WRITE] = this.readsAfterWrite;
    rows[r + M_REMOTE] = this.remoteCommits;
  }

  stats(): MemoryStats {
    const now = this.sim.now;
    // Accesses dated after now have not happened yet: each counter as it stood before the first of them.
    const rows = this.aheadLog.rows, before = this.aheadLog.oldestAfter(now);
    const asOfNow = (col: number, current: number) => (before < 0 ? current : rows[before + col]!);
    const busyPs = asOfNow(M_BUSY, this.busyPs);
    const busy = Math.max(0, busyPs - Math.max(0, asOfNow(M_FREE_AT, this.freeAt) - now));
    const elapsed = now - this.createdAt;
    return {
      reads: asOfNow(M_READS, this.reads), writes: asOfNow(M_WRITES, this.writes),
      bytesRead: asOfNow(M_BYTES_READ, this.bytesRead), bytesWritten: asOfNow(M_BYTES_WRITTEN, this.bytesWritten),
      busyPs: busy, transferPs: busyPs, utilization: elapsed > 0 ? busy / elapsed : 0,
      queuePs: asOfNow(M_QUEUE, this.queuePs), maxQueuePs: asOfNow(M_MAX_QUEUE, this.maxQueuePs),
      firstAccessAt: asOfNow(M_FIRST, this.firstAccessAt), lastWriteDoneAt: asOfNow(M_LAST_WRITE_DONE, this.lastWriteDoneAt),
      refreshStallPs: asOfNow(M_STALL, this.stallPs), llcMisses: asOfNow(M_MISSES, this.llcMisses), llcMissPs: asOfNow(M_MISS_PS, this.missPs),
      readsAfterWrite: asOfNow(M_AFTER_WRITE, this.readsAfterWrite), remoteCommits: asOfNow(M_REMOTE, this.remoteCommits),
    };
  }

  metrics(): Record<string, MetricValue> {
    const s = this.stats(), n = s.reads + s.writes;
    return {
      reads: s.reads, writes: s.writes, read_bytes: s.bytesRead, written_bytes: s.bytesWritten,
      utilization: s.utilization, mean_queue_ns: n > 0 ? s.queuePs / n / PS_PER_NS : null,
    };
  }

  /**
   * When a DRAM read of `rank` arriving at `t` can go on: the end of the
   * rank's refresh it meets, else `t`. Each tREFI interval (counted from the
   * memory's creation) holds one refresh of each rank at a uniformly drawn
   * offset, drawn when a read of the rank first arrives in that interval;
   * `t` never decreases from one read to the next, so each rank's intervals
   * are visited in order.
   */
  private afterRefresh(rank: number, t: number): number {
    const k = Math.floor((t - this.createdAt) / this.refreshIntervalPs);
    if (k !== this.refreshIndex[rank]) {
      this.refreshRng ??= this.sim.rng(`${this.name}.refresh`);
      this.refreshIndex[rank] = k;
      this.refreshStart[rank] = this.createdAt + k * this.refreshIntervalPs + this.refreshRng.random() * (this.refreshIntervalPs - this.refreshPs);
      this.refreshEnd[rank] = this.refreshStart[rank]! + this.refreshPs;
    }
    return t >= this.refreshStart[rank]! && t < this.refreshEnd[rank]! ? this.refreshEnd[rank]! : t;
  }

  /** The transfer slot of an access at `now` on the shared bandwidth, starting no sooner than `from`; returns its exact end. */
  private transfer(addr: number, bytes: number, from: number, now: number): number {
    const r = this.range;
    if (!(addr >= r.base && addr + bytes <= r.base + r.size)) {
      throw new Error(`model bug: ${bytes} bytes at 0x${addr.toString(16)} reached ${this.name}, whose range is ` +
        `[0x${r.base.toString(16)}, 0x${(r.base + r.size).toString(16)})`);
    }
    const start = this.freeAt > from ? this.freeAt : from;
    const wait = start - now;
    const xfer = bytes * this.psPerByte;
    this.freeAt = start + xfer;
    this.lastStart = start;
    this.busyPs += xfer;
    this.queuePs += wait;
    if (wait > this.maxQueuePs) this.maxQueuePs = wait;
    if (this.firstAccessAt < 0) this.firstAccessAt = start;
    return this.freeAt;
  }
}

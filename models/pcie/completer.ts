/**
 * The completer in front of a Memory (memory.ts): how a root complex or an
 * endpoint's BAR answers memory requests. It absorbs MWr and answers MRd
 * with CplDs cut as its host cuts them (completionMode, coalescing), and
 * holds a request's credits until the memory starts on it.
 */
import type { Simulation } from '../../src/sim/simulation.js';
import type { Time } from '../../src/sim/time.js';
import { Tlp, type DatedSender, type TlpReceiver, type TlpSender } from './fabric.js';
import type { Memory } from './memory.js';
import { SplitCache } from './split-cache.js';
import { TlpQueue } from './tlp-queue.js';
import { REQUEST_BOUNDARY_BYTES, assertCompletionMode, assertMaxPayloadSize, assertReadCompletionBoundary, splitCompletions, type CompletionMode } from './tlp.js';

/** How a completer cuts read completions (tlp.ts splitCompletions). */
export interface CompleterConfig {
  /** Max_Payload_Size of the link the completions go out on. */
  readonly mps: number;
  /** Read Completion Boundary: 64 or 128 for a root port, 128 for anything else (PCIe Base Spec §2.3.1.1). */
  readonly rcb: number;
  readonly completionMode: CompletionMode;
  /**
   * Requests longer than this many bytes are answered in MPS-sized
   * completions whatever `completionMode` says (a host that coalesces the
   * cache lines of a large read); unset: `completionMode` for every request.
   */
  readonly coalesceAbove?: number | undefined;
  /**
   * With `coalesceAbove`: only a request that covers the whole of a naturally
   * aligned block of this many bytes, from its first RCB block to its last,
   * is coalesced; any other is answered per `completionMode` (a host that
   * combines the lines of a whole block only); unset: every request past
   * `coalesceAbove`.
   */
  readonly coalesceBlock?: number | undefined;
  /**
   * With `coalesceBlock`: after answering a request that is not a whole
   * block, answer even whole blocks per `completionMode` for this long, ps
   * (a host that stops combining lines once it sees partial blocks); unset
   * or 0: each request on its own.
   */
  readonly coalesceHold?: number | undefined;
  /** Add a 4-byte ECRC to every completion. */
  readonly ecrc: boolean;
}

/**
 * How a completer cuts the completions of a `length`-byte request at `addr`:
 * MPS-sized above its coalescing threshold (and, with `coalesceBlock`, only
 * when the request spans a whole aligned block, its first RCB block to its
 * last), else its completionMode.
 */
export function completionModeFor(cfg: Pick<CompleterConfig, 'completionMode' | 'coalesceAbove' | 'coalesceBlock' | 'rcb'>, length: number, addr: number): CompletionMode {
  if (cfg.coalesceAbove === undefined || length <= cfg.coalesceAbove) return cfg.completionMode;
  return cfg.coalesceBlock === undefined || spansWholeBlock(addr, length, cfg.coalesceBlock, cfg.rcb) ? 'mps' : cfg.completionMode;
}

/** Whether [addr, addr + length) spans the naturally aligned `block` it starts in, from its first RCB block to its last. */
function spansWholeBlock(addr: number, length: number, block: number, rcb: number): boolean {
  const blockStart = addr - (addr % block);
  return addr - blockStart < rcb && addr + length > blockStart + block - rcb;
}

/** Whether `block` can be a completer's coalescing block: a power of two from `rcb` to 4 KiB. */
export function isCoalescingBlock(block: number, rcb: number): boolean {
  return Number.isInteger(block) && block >= rcb && block <= REQUEST_BOUNDARY_BYTES && (block & (block - 1)) === 0;
}

const UNCONNECTED: TlpReceiver = Object.freeze({
  receive(): void {
    throw new Error('a completer produced a completion before connect() gave it somewhere to send it');
  },
});

/**
 * Serves memory requests against a Memory: absorbs MWr, answers MRd with
 * CplD TLPs split by splitCompletions, and hands them to `out` (a root
 * complex's completion router, or an endpoint's upstream link).
 *
 * A request holds its sender's buffer (and so its flow-control credits)
 * until the memory starts on it: `from.release(tlp)` is called at the start
 * of the access's transfer slot. So a memory slower than the link pushes
 * back through credits instead of queueing without bound.
 *
 * All completions of one read are handed to `out` at once when the data is
 * ready, in address order (§2.3.1.1), with the request's requester ID, tag
 * and transaction; Byte Count counts down to the last one. How they are cut
 * is decided then (completionModeFor): with `coalesceHold`, a whole block
 * whose data is ready within the hold of the last partial one comes back
 * per `completionMode` too (one time stamp of state, no event).
 *
 * Events: one when the data is ready (read), plus one for the release when
 * the memory was busy; both pop FIFO queues, since memory serves in order
 * and its read latency is fixed, so due times never decrease, except with
 * refresh (Memory.readsInOrder false), when each read's event carries it.
 */
export class MemoryCompleter implements TlpReceiver, TlpSender {
  private readonly releases = new TlpQueue(0);
  private readonly reads = new TlpQueue(0);
  private readonly splits: SplitCache;
  /** With coalesceHold: the splits per completionMode alone, and when the host combines lines again. */
  private readonly plainSplits: SplitCache | null = null;
  private readonly holdPs: number = 0;
  private readonly coalesceBlock: number = 0;
  private readonly rcb: number;
  private plainUntil = 0;
  private out: TlpReceiver = UNCONNECTED;
  /** Reads waiting for data from a memory that finishes them out of order. */
  private unordered = 0;

  completionsSent = 0;
  /** Completions `out` has taken off our hands (it called release). */
  completionsReleased = 0;

  constructor(private readonly sim: Simulation, readonly memory: Memory, cfg: CompleterConfig) {
    assertMaxPayloadSize(cfg.mps);
    assertReadCompletionBoundary(cfg.rcb);
    assertCompletionMode(cfg.completionMode);
    // A power of two from RCB to 4 KiB: blocks then never straddle a page, so SplitCache's key (offset in the page, length) still decides the split.
    if (cfg.coalesceBlock !== undefined && !isCoalescingBlock(cfg.coalesceBlock, cfg.rcb)) {
      throw new RangeError(`a coalescing block must be a power of two from the RCB (${cfg.rcb} B) to 4 KiB, got ${cfg.coalesceBlock}`);
    }
    const { mps, rcb, ecrc } = cfg;
    this.splits = new SplitCache((addr, length) => splitCompletions(addr, length, mps, rcb, completionModeFor(cfg, length, addr), { ecrc }));
    this.rcb = rcb;
    if (cfg.coalesceHold !== undefined && cfg.coalesceHold > 0) {
      if (cfg.coalesceBlock === undefined) throw new RangeError('a coalescing hold needs a coalescing block: it follows requests that are not whole blocks');
      this.holdPs = cfg.coalesceHold;
      this.coalesceBlock = cfg.coalesceBlock;
      this.plainSplits = new SplitCache((addr, length) => splitCompletions(addr, length, mps, rcb, cfg.completionMode, { ecrc }));
    }
  }

  /** Where completions go. */
  connect(out: TlpReceiver): this {
    this.out = out;
    return this;
  }

  /** Requests and completions still inside: waiting for the memory to start, or for read data. */
  get pending(): number {
    return this.releases.size + this.reads.size + this.unordered;
  }

  /** `translatedPs`: how long the request spent in an IOMMU's translation stage on its way here (Memory.write). */
  receive(tlp: Tlp, from: TlpSender, translatedPs = 0): void {
    this.serve(tlp, from, null, translatedPs, this.sim.now);
  }

  /**
   * A request that reaches the memory at `at`, later than now, told now
   * (root-complex.ts accept: its crossing is certain). Served as receive()
   * would serve it then: the memory takes it dated (Memory.read, write),
   * and if the memory starts on it at once its credits go back dated `at`
   * (DatedSender.releaseAt) instead of from an event. The caller tells
   * requests in the order they reach the memory, and none that reaches it
   * before an earlier-told one's `at`. Returns what the request adds to
   * `pending` (a read until its data is ready, and a request until its
   * release: 0 to 2).
   */
  receiveAt(tlp: Tlp, from: DatedSender, at: Time): number {
    return this.serve(tlp, from, from, 0, at);
  }

  /** receive() and receiveAt(): the request reaches the memory at `at`; `dated` is its sender when that is later than now. Returns what it adds to `pending`. */
  private serve(tlp: Tlp, from: TlpSender, dated: DatedSender | null, translatedPs: number, at: Time): number {
    const now = this.sim.now;
    const mem = this.memory;
    if (tlp.type === 'MWr') {
      mem.write(tlp.addr, tlp.length, translatedPs, at);
    } else if (tlp.type === 'MRd') {
      const ready = mem.read(tlp.addr, tlp.length, at);
      if (mem.readsInOrder) {
        this.reads.push(tlp, from);
        this.sim.schedule(ready - now, MemoryCompleter.onReadReady, this, 0);
      } else {
        this.unordered++;
        this.sim.schedule(ready - now, MemoryCompleter.onUnorderedReadReady, { completer: this, tlp }, 0);
      }
    } else {
      throw new Error(`model bug: a ${tlp.type} reached the memory completer of ${mem.name}; it serves MRd and MWr`);
    }
    const start = Math.ceil(mem.lastStart);
    if (start <= at && dated !== null) {
      // Released when it reaches the memory; any release still queued is due no later (their starts come first).
      dated.releaseAt(tlp, at);
    } else if (start <= now && this.releases.size === 0) {
      from.release(tlp);
    } else {
      this.releases.push(tlp, from);
      this.sim.schedule(start - now, MemoryCompleter.onRelease, this, 0);
      return tlp.type === 'MRd' ? 2 : 1;
    }
    return tlp.type === 'MRd' ? 1 : 0;
  }

  /** Completions hold no credits of ours: release() only counts, so a link may call it ahead of the start (fabric.ts TlpSender). */
  get releasesAnyTime(): boolean {
    return true;
  }

  /** `out` has sent one of our completions on: nothing to free, completions hold no credits of ours. */
  release(): void {
    this.completionsReleased++;
  }

  private static onRelease(self: MemoryCompleter): void {
    self.releases.releaseHead();
  }

  private static onReadReady(self: MemoryCompleter): void {
    const q = self.reads;
    const req = q.headTlp();
    q.shift();
    self.complete(req);
  }

  /** A read's data is ready, its memory finishing reads out of order (refresh): the event carries the request. */
  private static onUnorderedReadReady(e: { completer: MemoryCompleter; tlp: Tlp }): void {
    e.completer.unordered--;
    e.completer.complete(e.tlp);
  }

  /** Sends a read's completions. */
  private complete(req: Tlp): void {
    const addr = req.addr, length = req.length;
    let splits = this.splits;
    if (this.plainSplits !== null) {
      const now = this.sim.now;
      if (!spansWholeBlock(addr, length, this.coalesceBlock, this.rcb)) this.plainUntil = now + this.holdPs;
      else if (now < this.plainUntil) splits = this.plainSplits;
    }
    const p = splits.get(addr, length);
    const out = this.out;
    for (let k = 0; k < p.count; k++) {
      const off = p.offset[k]!;
      out.receive(new Tlp('CplD', addr + off, p.length[k]!, p.bytes[k]!, req.requester, req.tag, req.txn, length - off), this);
    }
    this.completionsSent += p.count;
  }
}

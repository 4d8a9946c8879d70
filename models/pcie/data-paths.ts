/**
 * A DMA engine's data paths into device memory (dma-engine.ts): the movers
 * between its PCIe core and device memory, and the geometry of that memory's
 * words and bursts that decides what a transfer costs them.
 *
 * What it models
 *  - Movers: `dataPaths` of them between the PCIe core and device memory,
 *    each moving `dataPathRate`. A write descriptor's data is fetched from
 *    device memory in whole bursts of `dataPathBurst` bytes, by the mover
 *    that frees up first (so a transfer 4 bytes past a burst costs a whole
 *    burst more), and streams: each of its TLPs goes once the bursts up to
 *    its last byte are in, not once the whole descriptor's are (pcie-bench's
 *    NFP-6000 on Broadwell, an unloaded 2 KiB write and then read of the
 *    same bytes, lat_dma_sizes.csv: 1840 ns measured; 1800 simulated
 *    streamed, 2067 with the whole write fetched before its first TLP, which
 *    adds every earlier TLP's port time); a read descriptor's completion
 *    data is stored as it arrives by the descriptor's mover (round robin),
 *    and the descriptor is done when its last byte is stored. This is what
 *    makes a device's unloaded read latency grow with size faster than the
 *    link alone would, and what caps its throughput below the link's.
 *  - Partial bursts: each burst of device memory that a completion fills
 *    only in part costs its mover `dataPathPartialBurst` more (a masked
 *    burst write), so a read that comes back in 64-byte completions keeps
 *    the movers busier than one in whole 256-byte ones (pcie-bench's
 *    NFP-6000: alternating reads and writes as slow at 640-896 B as at 512 B
 *    and 1 KiB).
 *  - Turns: a mover that turns from storing read data to fetching write
 *    data, or back, first spends `dataPathTurnaround` (the direction switch
 *    of the device memory's port): a mix of reads and writes moves less than
 *    either alone, and the more often the directions interleave on a mover,
 *    the less.
 *  - Arbitration: with `dataPathArbitration` 'burst', a mover shares itself
 *    between the directions burst by burst rather than job by job: a job
 *    that finds its mover still busy with the other direction is interleaved
 *    with that work and pays a turn for each of its bursts (one that finds
 *    the mover idle turns once), so under a steady mix the loss grows with
 *    the bytes moved, not with the transfers (pcie-bench's NFP-6000:
 *    alternating reads and writes flat at about 43 Gb/s from 256 B to
 *    1 KiB).
 *  - Time order: a mover serves the directions in time order: a write's
 *    fetch is booked when the write is taken up, for when it will be ready,
 *    and read data that arrives before that and fits in the idle time, with
 *    its turns, is stored first (one gap a mover: the one before its latest
 *    booked fetch).
 *  - Words and bursts: device memory moves in bursts of `dataPathBurst`
 *    bytes and is written in whole words (the engine's `deviceWordBytes`),
 *    both counted from the first word of a descriptor's data; the helpers
 *    below say which bursts a transfer touches or fills in part, and which
 *    of a read's partial words need a merge and which of those its mover
 *    does (the engine's merge unit does the rest).
 *
 * Left out: movers of different speeds, a device memory shared with anything
 * but the engine (the NFP's cores), and bank conflicts in it.
 *
 * Hot path: each mover is a few numbers in typed arrays (when it is free, its
 * last direction, the gap before its latest booked write fetch); a job is
 * booked by arithmetic on them, with no event of its own: the engine
 * schedules what waits for the data.
 */
import { PS_PER_NS } from '../../src/sim/time.js';

/** Blocks of `block` bytes (from offset 0) that `len` bytes at `offset` touch. */
export function blocksTouched(offset: number, len: number, block: number): number {
  return Math.floor((offset + len - 1) / block) - Math.floor(offset / block) + 1;
}

/** Flags of partialEnds and partialWordEnds: the first block (or word), the last. */
export const FIRST_END = 1, LAST_END = 2;

/** Which ends of the `len` bytes at `offset` lie inside a block of `block` bytes, not on its boundary: FIRST_END, LAST_END, both (or'ed) or neither (0). */
function partialEnds(offset: number, len: number, block: number): number {
  return (offset % block !== 0 ? FIRST_END : 0) | ((offset + len) % block !== 0 ? LAST_END : 0);
}

/**
 * Bursts of `burst` bytes (from the first device word of the descriptor's
 * data) that the `len` bytes at `offset` fill only in part: the first and the
 * last burst they touch, if they leave it partly empty (one, when both are
 * the same burst).
 */
export function partialBursts(offset: number, len: number, burst: number): number {
  const ends = partialEnds(offset, len, burst);
  if (blocksTouched(offset, len, burst) === 1) return ends !== 0 ? 1 : 0;
  return (ends & FIRST_END ? 1 : 0) + (ends & LAST_END ? 1 : 0);
}

/**
 * Which of the words of `word` bytes that `len` bytes at `offset` touch they
 * leave partly filled, so that it must merge into device memory: FIRST_END,
 * LAST_END, both (or'ed) or neither (0); neither when all the bytes lie in
 * one word, which is written whole with its other bytes masked.
 */
export function partialWordEnds(offset: number, len: number, word: number): number {
  return blocksTouched(offset, len, word) === 1 ? 0 : partialEnds(offset, len, word);
}

/**
 * Of a read's partial words (`ends`: partialWordEnds of the `len` bytes
 * `offset` bytes into their first word), those its mover merges into the
 * bursts of `burst` bytes it writes (from that first word): the first word,
 * and the last when it lies inside its burst, neither the burst's first word
 * nor its last, in a read longer than one burst. pcie-bench's NFP-6000
 * (bw_dma_off_rd.csv, bw_dma_sz_sweep.csv, every Xeon E5 host): reads one
 * byte into a word run a merge a read slower on the movers at every size
 * (2 KiB: 320 ns a read against 295); 407-byte reads, whose last word lies
 * inside its burst, run 72 ns a read where 416-byte ones run 62, and 89 with
 * the first word partial too; reads of 255, 511 and 1023 B (the last word
 * ends a burst) and of 129, 257 and 513 B (it begins one) run as fast as the
 * whole-word sizes beside them, and so do reads of 63 and 65 B (one burst),
 * which the merge unit bounds instead.
 */
export function moverMergedWords(offset: number, len: number, ends: number, word: number, burst: number): number {
  let words = (ends & FIRST_END) !== 0 ? 1 : 0;
  if ((ends & LAST_END) !== 0 && offset + len > burst) {
    const lastWord = Math.floor((offset + len - 1) / word) * word, inBurst = lastWord % burst;
    if (inBurst !== 0 && inBurst !== burst - word) words++;
  }
  return words;
}

/** A mover's last direction: it stored read data, fetched write data, or has done neither yet. */
const READ_DATA = 0, WRITE_DATA = 1, NO_DIRECTION = -1;

/** What the movers are built from: the engine's data-path settings. */
export interface DataPathSettings {
  readonly dataPaths: number;
  readonly dataPathRate?: number | undefined;
  readonly dataPathBurst: number;
  readonly dataPathTurnaround: number;
  readonly dataPathPartialBurst: number;
  readonly dataPathArbitration: 'job' | 'burst';
}

export class DataPaths {
  /** Movers (0: data moves at no cost, and no method is called). */
  readonly count: number;
  /** Bytes of a burst of device memory. */
  readonly burst: number;
  /** When each mover is free, ps (exact). */
  private readonly free: Float64Array;
  private readonly psPerByte: number;
  /** Each mover's last direction (READ_DATA, WRITE_DATA; NO_DIRECTION before its first job). */
  private readonly direction: Int8Array;
  /**
   * Each mover's idle time before its latest write fetch, which is booked
   * ahead (at take-up, for when the write is ready): [gapFrom, gapTo), and
   * the direction of the work that ends at gapFrom. Read data that arrives
   * in it and fits (with its turns) is stored there (storeRead).
   */
  private readonly gapFrom: Float64Array;
  private readonly gapTo: Float64Array;
  private readonly gapAfter: Int8Array;
  private readonly turnaroundPs: number;
  private readonly partialBurstPs: number;
  /** A mover interleaves a job with the other direction's waiting work burst by burst (dataPathArbitration 'burst'). */
  private readonly burstArbitration: boolean;
  /** The mover the next read takes (round robin). */
  private nextRead = 0;

  constructor(p: DataPathSettings) {
    this.count = p.dataPaths;
    this.burst = p.dataPathBurst;
    this.free = new Float64Array(p.dataPaths);
    this.psPerByte = p.dataPathRate === undefined ? 0 : PS_PER_NS / p.dataPathRate;
    this.direction = new Int8Array(p.dataPaths).fill(NO_DIRECTION);
    this.gapFrom = new Float64Array(p.dataPaths);
    this.gapTo = new Float64Array(p.dataPaths);
    this.gapAfter = new Int8Array(p.dataPaths).fill(NO_DIRECTION);
    this.turnaroundPs = p.dataPathTurnaround;
    this.partialBurstPs = p.dataPathPartialBurst;
    this.burstArbitration = p.dataPathArbitration === 'burst';
  }

  /** The mover that stores the next read descriptor's data: each in turn. */
  moverForRead(): number {
    return this.nextRead++ % this.count;
  }

  /** A mover's time for the whole bursts that `bytes` bytes `wordOffset` bytes into their first device word touch. */
  burstsPs(wordOffset: number, bytes: number): number {
    return blocksTouched(wordOffset, bytes, this.burst) * this.burst * this.psPerByte;
  }

  /**
   * A write's data, `size` bytes `wordOffset` bytes into its first word,
   * fetched by the mover that can start it first (the lowest-numbered among
   * equals), in the whole bursts it touches from that word on, starting no
   * sooner than `from`; returns when the fetch starts (exact: the engine
   * times each TLP's data from it with burstsPs).
   */
  fetchWrite(from: number, wordOffset: number, size: number): number {
    let p = 0, ready = this.readyFor(0, WRITE_DATA, from, size);
    for (let k = 1; k < this.count; k++) {
      const r = this.readyFor(k, WRITE_DATA, from, size);
      if (r < ready) { p = k; ready = r; }
    }
    const start = from > ready ? from : ready;
    const end = start + this.burstsPs(wordOffset, size);
    this.gapFrom[p] = this.free[p]!;
    this.gapTo[p] = start;
    this.gapAfter[p] = this.direction[p]!;
    this.free[p] = end;
    this.direction[p] = WRITE_DATA;
    return start;
  }

  /**
   * `bytes` of a read's completion data (`offset` bytes from the start of
   * its first word, for its partial bursts) stored by mover `p` once it has
   * arrived (`from`) and the mover is free (and turned); returns when it is
   * stored. A write's fetch is booked when the write is taken up, for when
   * it will be ready, so the mover may still be idle at `from`: the data is
   * stored in that gap if it fits there with a turn on each side that needs
   * one (the mover serves the two directions in time order), else after the
   * mover's last booked job.
   */
  storeRead(p: number, offset: number, bytes: number, from: number): number {
    const time = bytes * this.psPerByte + (this.partialBurstPs > 0 ? partialBursts(offset, bytes, this.burst) * this.partialBurstPs : 0);
    const gapStart = this.gapFrom[p]! + (this.gapAfter[p] === WRITE_DATA ? this.turnaroundPs : 0);
    const inGap = (from > gapStart ? from : gapStart) + time;
    if (inGap + this.turnaroundPs <= this.gapTo[p]!) {
      this.gapFrom[p] = inGap;
      this.gapAfter[p] = READ_DATA;
      return inGap;
    }
    return this.bookRead(p, from, bytes, time) + time;
  }

  /**
   * Books mover `p` for `time` of work on `bytes` of read data (a merge into
   * them, storeRead's data), after its booked jobs (turned if its last went
   * the other way) and no sooner than `from`; returns when the work starts.
   */
  bookRead(p: number, from: number, bytes: number, time: number): number {
    const ready = this.readyFor(p, READ_DATA, from, bytes);
    const start = from > ready ? from : ready;
    this.free[p] = start + time;
    this.direction[p] = READ_DATA;
    return start;
  }

  /**
   * When mover `p` can start a job of `bytes` in direction `op` that is
   * ready at `from`: once free, and turned if its last job went the other
   * way. With burst arbitration, a job that finds the mover still busy with
   * the other direction is interleaved with that work burst by burst, so
   * each of its bursts pays a turn (turns are time the mover spends: charged
   * before the job's data moves, its end is the same as if spread among them).
   */
  private readyFor(p: number, op: number, from: number, bytes: number): number {
    const d = this.direction[p]!, free = this.free[p]!;
    if (d === op || d === NO_DIRECTION) return free;
    const turns = this.burstArbitration && free > from ? Math.ceil(bytes / this.burst) : 1;
    return free + turns * this.turnaroundPs;
  }
}

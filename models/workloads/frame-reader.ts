/**
 * A device reading a whole frame by DMA: the buffer's pages as runs of
 * contiguous bus addresses (each cut at the device's largest descriptor),
 * submitted to its DMA engine with at most `inFlight` outstanding, done when
 * the last completes. Shared by the consumers of displayed frames (a display
 * controller's scan-out, a video encoder's read).
 *
 * Left out: descriptor fetch from memory (descriptors are submitted
 * directly), and any ordering of the runs but the buffer's page order.
 *
 * Per descriptor: a run popped from a list and a few counts (stats(), for
 * the conservation checks of the frames' consumers, display-conservation.ts).
 */
import { SimEvent, type ProcessBody, type Simulation } from '../../src/sim/index.js';
import { PS_PER_S } from '../../src/sim/time.js';
import type { DescriptorListener, DmaEngine } from '../pcie/dma-engine.js';
import type { DisplayBuffer } from '../dmabuf/displif.js';
import { GRANT_PAGE_BYTES } from '../xen/iommu-context.js';

const BYTES_PER_GB = 1e9;

export interface Run { addr: number; bytes: number }

/** A frame reader's counts (FrameReader.stats()): descriptors, reads and bytes, done and in flight. */
export interface FrameReaderStats {
  /** Descriptors kept submitted at most. */
  readonly inFlight: number;
  readonly descriptorsSubmitted: number;
  readonly descriptorsDone: number;
  /** Submitted and not done, as the reader counts them. */
  readonly outstanding: number;
  readonly readsStarted: number;
  readonly readsDone: number;
  /** Bytes submitted over the run (read_gbytes_per_s's), and those of the reads done, each read's whole runs. */
  readonly bytesSubmitted: number;
  readonly bytesOfReadsDone: number;
  /** The read in progress: its runs' bytes, and those of its runs not yet submitted (0 with none in progress). */
  readonly readBytes: number;
  readonly pendingBytes: number;
}

/** The buffer's pages as runs of contiguous bus addresses, each at most `maxBytes`. */
export function runsOf(buffer: DisplayBuffer, maxBytes: number): Run[] {
  const runs: Run[] = [];
  for (const addr of buffer.addresses) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.addr + last.bytes === addr && last.bytes + GRANT_PAGE_BYTES <= maxBytes) last.bytes += GRANT_PAGE_BYTES;
    else runs.push({ addr, bytes: GRANT_PAGE_BYTES });
  }
  return runs;
}

export class FrameReader implements DescriptorListener {
  /** Bytes submitted for reading over the run. */
  private bytesRead = 0;
  private pending: Run[] = [];
  private outstanding = 0;
  private done: SimEvent<void> | null = null;
  private submitted = 0;
  private completed = 0;
  private readsStarted = 0;
  private readsDone = 0;
  private bytesOfReadsDone = 0;
  /** The bytes of the read in progress (0 between reads). */
  private readBytes = 0;

  /** Takes over `dma`'s completions: one reader per DMA engine. */
  constructor(private readonly sim: Simulation, private readonly dma: DmaEngine, private readonly inFlight: number) {
    dma.listener = this;
  }

  /** Bytes read per second over the run so far (its metric read_gbytes_per_s), GB/s; 0 at time 0. */
  readGbytesPerSecond(): number {
    const now = this.sim.now;
    return now > 0 ? (this.bytesRead * PS_PER_S) / now / BYTES_PER_GB : 0;
  }

  /** Reads every run, `inFlight` descriptors at a time; returns when the last has completed. */
  *read(runs: readonly Run[]): ProcessBody<void> {
    this.pending = [...runs].reverse();
    this.outstanding = 0;
    this.readsStarted++;
    this.readBytes = runs.reduce((n, r) => n + r.bytes, 0);
    const done = new SimEvent<void>(this.sim);
    this.done = done;
    this.refill();
    yield done;
    // Counted as the reader's caller resumes, so its own count of frames read moves in the same step.
    this.readsDone++;
    this.bytesOfReadsDone += this.readBytes;
    this.readBytes = 0;
  }

  private refill(): void {
    while (this.outstanding < this.inFlight && this.pending.length > 0) {
      const run = this.pending.pop()!;
      this.outstanding++;
      this.submitted++;
      this.bytesRead += run.bytes;
      this.dma.submit('read', run.addr, run.bytes);
    }
    if (this.outstanding === 0 && this.pending.length === 0 && this.done !== null) {
      const d = this.done;
      this.done = null;
      d.succeed();
    }
  }

  descriptorDone(): void {
    this.outstanding--;
    this.completed++;
    this.refill();
  }

  stats(): FrameReaderStats {
    return {
      inFlight: this.inFlight,
      descriptorsSubmitted: this.submitted,
      descriptorsDone: this.completed,
      outstanding: this.outstanding,
      readsStarted: this.readsStarted,
      readsDone: this.readsDone,
      bytesSubmitted: this.bytesRead,
      bytesOfReadsDone: this.bytesOfReadsDone,
      readBytes: this.readBytes,
      pendingBytes: this.pending.reduce((n, r) => n + r.bytes, 0),
    };
  }
}

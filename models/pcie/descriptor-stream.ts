/**
 * A DMA engine's descriptor generator (DescriptorStream), as pcie-bench's
 * firmware drives the NFP-6000's engine: a closed-loop descriptor source that
 * keeps `outstandingDescriptors` submitted until `descriptors` have been
 * submitted. Each is a read with probability `readFraction` (drawn from its
 * own named stream unless the fraction is 0 or 1), or, with readMix
 * 'interleaved', descriptor n (from 0) is a read when ⌊(n+1)·readFraction⌋ >
 * ⌊n·readFraction⌋, which spreads exactly that fraction evenly (0.5: write,
 * read, write, ...: pcie-bench's alternating test, whose even transaction
 * numbers are writes); at the next address of a sequential walk over the
 * window (wrapping when the next descriptor would run past it), or in a slot
 * of `alignment` bytes, the next in turn ('sequential-slots') or one at
 * random (another named stream), `hostOffset` bytes into it; with
 * pageCrossing 'avoid', a slot whose transfer would cross a 4 KiB boundary is
 * passed over, as pcie-bench's firmware does (me/utils.c, dma_addr_init:
 * slots of the transfer size and host offset rounded up to 64 B), so no
 * transfer splits at a page boundary. Every descriptor's data lies at
 * `deviceOffset` in device memory.
 *
 * With readMix 'after-write', each descriptor is a write followed, once the
 * engine has done it, by a read of the same bytes (pcie-bench's LAT_DMA_WRRD:
 * the firmware waits for the write's done signal, then reads); the pair is
 * one transfer, done when its read is, and its latency (the write's
 * submission to the read's done, read off the engine's latencyTick clock)
 * goes to `pairLatency`.
 *
 * Left out: open-loop (timed) submission and descriptors fetched over PCIe:
 * each descriptor appears in the engine when the one it replaces is done.
 *
 * Hot path: one submit a descriptor; the pairs of 'after-write' are kept in
 * two maps by descriptor id until their read is done.
 */
import { z } from 'zod';
import { byteSize } from '../../src/scenario/units.js';
import type { RandomStream } from '../../src/sim/random.js';
import { Histogram } from '../../src/stats/histogram.js';
import { PAGE_BYTES, type DmaEngine, type DmaOp } from './dma-engine.js';

/** The descriptor generator's parameters (DescriptorStream). */
export const dmaWorkloadShape = {
  descriptors: z.number().int().nonnegative().default(0).describe('Descriptors the generator submits in all (0 = no generator)'),
  descriptorSize: byteSize().default(PAGE_BYTES).describe('Bytes per descriptor'),
  readFraction: z.number().min(0).max(1).default(1).describe('Fraction of descriptors that are reads (the rest are writes)'),
  readMix: z.enum(['random', 'interleaved', 'after-write']).default('random').describe("How reads fall among writes: 'random' (each a read with probability readFraction) or 'interleaved' (spread evenly in a fixed order; 0.5: write, read, write, ... as pcie-bench's BW_DMA_RW); 'after-write': each descriptor a write and then, once it is done, a read of the same bytes (pcie-bench's LAT_DMA_WRRD; readFraction unused), the pair counted as one"),
  addressPattern: z.enum(['sequential', 'sequential-slots', 'random']).default('sequential').describe("'sequential' walks the window and wraps; 'sequential-slots' takes its slots of `alignment` bytes in turn and wraps (pcie-bench's sequential addresses); 'random' picks slots at random"),
  windowBase: byteSize().default(0).describe('First address of the window the descriptors address'),
  windowSize: byteSize().optional().describe('Size of the window (required when descriptors > 0)'),
  alignment: byteSize().default(PAGE_BYTES).describe("Size of the window's slots, one transfer each ('random' and 'sequential-slots'): the alignment of their addresses"),
  pageCrossing: z.enum(['allow', 'avoid']).default('allow').describe("Slots ('random', 'sequential-slots'): 'allow' any; 'avoid' passes over a slot whose transfer would cross a 4 KiB boundary (as pcie-bench's firmware places its transfers)"),
  hostOffset: byteSize().default(0).describe("Bytes from the start of its slot (or, 'sequential', of the window) to each transfer's first byte (pcie-bench's host offset)"),
  deviceOffset: byteSize().default(0).describe("Where each transfer's data lies in device memory, from a word-aligned buffer (pcie-bench's device offset)"),
  outstandingDescriptors: z.number().int().min(1).default(1).describe('Descriptors submitted and not yet done (closed loop)'),
};
export const dmaWorkloadParams = z.strictObject(dmaWorkloadShape);
export type DmaWorkloadParams = z.output<typeof dmaWorkloadParams>;

export class DescriptorStream {
  private submitted = 0;
  private done = 0;
  private offset = 0;
  private readonly slots: number;
  /** readMix 'after-write': pairs whose write is in flight (by its id: its address and submission) or whose read is (by its id: the write's submission). */
  private readonly pairWrites = new Map<number, { readonly addr: number; readonly submittedAt: number }>();
  private readonly pairReads = new Map<number, number>();
  /** readMix 'after-write': each pair's latency, ns. */
  readonly pairLatency = new Histogram();

  constructor(
    private readonly engine: DmaEngine,
    private readonly p: DmaWorkloadParams,
    private readonly addresses: RandomStream,
    private readonly ops: RandomStream,
  ) {
    const window = p.windowSize ?? 0;
    if (p.descriptors > 0) {
      if (!(window >= p.descriptorSize)) throw new RangeError(`${engine.name}: the DMA window (${window} bytes) must hold one descriptor (${p.descriptorSize} bytes)`);
      if (p.descriptorSize <= 0) throw new RangeError(`${engine.name}: descriptorSize must be positive`);
      if (p.alignment <= 0) throw new RangeError(`${engine.name}: alignment must be positive`);
    }
    if (p.descriptors > 0 && window < p.hostOffset + p.descriptorSize) throw new RangeError(`${engine.name}: the DMA window (${window} bytes) must hold one descriptor (${p.descriptorSize} bytes) at the host offset (${p.hostOffset} bytes)`);
    this.slots = Math.floor((window - p.hostOffset - p.descriptorSize) / p.alignment) + 1;
    if (p.descriptors > 0 && p.addressPattern !== 'sequential' && p.pageCrossing === 'avoid' && !this.someSlotInOnePage()) {
      throw new RangeError(`${engine.name}: no ${p.alignment}-byte-aligned slot of the window holds a ${p.descriptorSize}-byte transfer within one 4 KiB page (pageCrossing 'avoid')`);
    }
    engine.listener = { descriptorDone: (id: number) => { this.descriptorDone(id); } };
  }

  /** Whether a transfer at `addr` stays within one 4 KiB page. */
  private inOnePage(addr: number): boolean {
    return (addr % PAGE_BYTES) + this.p.descriptorSize <= PAGE_BYTES;
  }

  /** Whether some slot keeps its transfer in one page: slot addresses modulo 4 KiB repeat within 4096 slots. */
  private someSlotInOnePage(): boolean {
    const n = Math.min(this.slots, PAGE_BYTES);
    for (let k = 0; k < n; k++) if (this.inOnePage(this.slotAddress(k))) return true;
    return false;
  }

  /** The address of the next slot: one drawn at random ('random'), or the next in turn ('sequential-slots': `offset` counts slots). */
  private nextSlotAddress(): number {
    if (this.p.addressPattern === 'random') return this.slotAddress(Math.floor(this.slots * this.addresses.random()));
    const addr = this.slotAddress(this.offset);
    this.offset = this.offset + 1 === this.slots ? 0 : this.offset + 1;
    return addr;
  }

  /** The first byte of a transfer in slot `k`. */
  private slotAddress(k: number): number {
    return this.p.windowBase + this.p.alignment * k + this.p.hostOffset;
  }

  get remaining(): number {
    return this.p.descriptors - this.submitted;
  }

  start(): void {
    this.refill();
  }

  /** The engine finished descriptor `id`; returns whether that finished a transfer (with readMix 'after-write', a pair's read). */
  descriptorDone(id: number): boolean {
    if (this.p.readMix === 'after-write') {
      const write = this.pairWrites.get(id);
      if (write !== undefined) {
        this.pairWrites.delete(id);
        this.pairReads.set(this.engine.submit('read', write.addr, this.p.descriptorSize, this.p.deviceOffset), write.submittedAt);
        return false;
      }
      const submittedAt = this.pairReads.get(id)!;
      this.pairReads.delete(id);
      this.pairLatency.add(this.engine.latencyReadingNs(submittedAt, this.engine.now));
    }
    this.done++;
    this.refill();
    return true;
  }

  /**
   * Tops the engine up to `outstandingDescriptors`. A submission can finish
   * a descriptor before it returns (a write to an idle link), which calls
   * back here: counting what is in flight, not iterations, keeps the total right.
   */
  private refill(): void {
    const p = this.p;
    while (this.submitted < p.descriptors && this.submitted - this.done < p.outstandingDescriptors) this.submitNext();
  }

  /** Whether descriptor `n` (from 0) is a read. */
  private isRead(n: number): boolean {
    if (this.p.readMix === 'after-write') return false;
    const f = this.p.readFraction;
    if (f >= 1 || f <= 0) return f >= 1;
    if (this.p.readMix === 'interleaved') return Math.floor((n + 1) * f) > Math.floor(n * f);
    return this.ops.random() < f;
  }

  private submitNext(): void {
    const p = this.p;
    const op: DmaOp = this.isRead(this.submitted++) ? 'read' : 'write';
    let addr: number;
    if (p.addressPattern !== 'sequential') {
      addr = this.nextSlotAddress();
      if (p.pageCrossing === 'avoid') while (!this.inOnePage(addr)) addr = this.nextSlotAddress();
    } else {
      if (p.hostOffset + this.offset + p.descriptorSize > p.windowSize!) this.offset = 0;
      addr = p.windowBase + p.hostOffset + this.offset;
      this.offset += p.descriptorSize;
    }
    if (p.readMix === 'after-write') {
      // Noted before the submission: a write to an idle link may be done before submit() returns.
      this.pairWrites.set(this.engine.nextDescriptorId, { addr, submittedAt: this.engine.now });
    }
    this.engine.submit(op, addr, p.descriptorSize, p.deviceOffset);
  }
}

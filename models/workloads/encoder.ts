/**
 * workloads.encoder: a video encoder in the backend domain consuming the
 * frames a display protocol presents, in place of a display: a PCIe device
 * (assigned to the backend domain) reads each presented frame once by DMA,
 * through its domain's IOMMU context, and encodes it. The backend's flip is
 * done when the encoder has read the frame, so the buffer stays held until
 * then; frames reach it one at a time, in order. A frame is late when its
 * read ends more than one frame period after its render tick.
 *
 * Left out: the encoding itself (its compute and the bitstream it writes),
 * reference frames read back, and rate control.
 *
 * Checked (display-conservation.ts): every frame handed over is encoded,
 * being read or waiting, and each encoded one was read whole.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { byteSize } from '../../src/scenario/units.js';
import { Resource, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_S, PS_PER_US, type Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import { ENDPOINT } from '../pcie/topology/node.js';
import { transactions } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';
import type { EndpointDevice } from '../pcie/topology/endpoint.js';
import { DISPLIF, type Displif, type DisplayBuffer, type FlipTarget } from '../dmabuf/displif.js';
import { FrameReader, runsOf } from './frame-reader.js';
import { encoderInvariants } from './display-conservation.js';
import { GRANT_PAGE_BYTES } from '../xen/iommu-context.js';

const params = z.strictObject({
  device: ref(ENDPOINT).describe('The encoder: a PCIe device (assigned to the backend domain) whose DMA engine reads the frames'),
  protocol: ref(DISPLIF).describe('The display protocol whose backend hands the frames over'),
  fps: z.number().positive().describe('Frames per second of the stream: a frame is late if read more than one period after its tick'),
  maxDescriptorBytes: byteSize().default(64 * 1024).describe("Largest DMA descriptor the encoder issues: a run of contiguous bus addresses is cut at it (est.: a fetch burst)"),
  inFlight: z.number().int().min(1).default(32).describe('Descriptors the encoder keeps submitted while reading a frame'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'frames_encoded', unit: 'frames', description: 'Frames read in full by the encoder' },
  { name: 'frame_latency_us', unit: 'us', description: 'Render tick to the end of the encoder\'s read of the frame', kind: 'distribution' },
  { name: 'read_time_us', unit: 'us', description: 'One frame\'s read, from its first descriptor to its last completion', kind: 'distribution' },
  { name: 'late_frames', unit: 'frames', description: 'Frames whose read ended more than one period after their tick' },
  { name: 'torn_reads', unit: 'frames', description: 'Reads that overlapped a write of the same buffer by the renderer' },
  { name: 'descriptors_per_frame', unit: 'descriptors', description: 'DMA descriptors one frame\'s read takes (runs of contiguous bus addresses)' },
  { name: 'read_gbytes_per_s', unit: 'GB/s', description: 'Bytes read over the run' },
];

class Encoder implements Component, FlipTarget {
  private reader!: FrameReader;
  /** One frame at a time: the encoder's fetch. */
  private readonly fetch: Resource;
  private readonly periodPs: Time;
  private readonly latency = new Histogram();
  private readonly readTime = new Histogram();
  private encoded = 0;
  private late = 0;
  private torn = 0;
  private descriptorsPerFrame: number | null = null;
  /** Frames the backend handed over; the encoded ones' bytes. */
  private handed = 0;
  private bytesEncoded = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.fetch = new Resource(ctx.sim, 1);
    this.periodPs = Math.round(PS_PER_S / p.fps);
  }

  connect(): void {
    const device = this.ctx.peer<EndpointDevice>(this.p.device);
    this.reader = new FrameReader(this.ctx.sim, device.endpointModel.dma, this.p.inFlight);
    this.ctx.peer<Displif>(this.p.protocol).attachDisplay(this);
  }

  /** The backend hands a frame over: done when the encoder has read all of it. */
  *flipAt(buffer: DisplayBuffer, _frame: number, tick: Time): ProcessBody<void> {
    const sim = this.ctx.sim;
    this.handed++;
    yield this.fetch.request();
    const runs = runsOf(buffer, this.p.maxDescriptorBytes);
    this.descriptorsPerFrame ??= runs.length;
    const t0 = sim.now;
    const read = buffer.resv.beginRead();
    yield* this.reader.read(runs);
    if (buffer.resv.endRead(read)) this.torn++;
    this.fetch.release();
    this.readTime.add((sim.now - t0) / PS_PER_US);
    this.latency.add((sim.now - tick) / PS_PER_US);
    if (sim.now - tick > this.periodPs) this.late++;
    this.encoded++;
    this.bytesEncoded += buffer.pages * GRANT_PAGE_BYTES;
  }

  /** Frames encoded: the pipeline's transactions, so Xen's and the fabric's charges read per frame. */
  attribution(): Attribution {
    return transactions(this.encoded);
  }

  invariants(): string[] {
    return encoderInvariants({
      handed: this.handed, encoded: this.encoded, reading: this.fetch.used, waiting: this.fetch.queued,
      late: this.late, torn: this.torn, latencySamples: this.latency.count, readTimeSamples: this.readTime.count,
      bytesEncoded: this.bytesEncoded, reader: this.reader.stats(),
    });
  }

  metrics(): Record<string, MetricValue> {
    return {
      frames_encoded: this.encoded,
      frame_latency_us: distribution(this.latency),
      read_time_us: distribution(this.readTime),
      late_frames: this.late,
      torn_reads: this.torn,
      descriptors_per_frame: this.descriptorsPerFrame,
      read_gbytes_per_s: this.reader.readGbytesPerSecond(),
    };
  }
}

export const encoder = defineComponent({
  type: 'workloads.encoder',
  description: 'A video encoder reading each presented frame once by DMA over PCIe, through its domain\'s IOMMU context, in place of a display: frame latency to the end of its read, late frames',
  params,
  stats,
  create: (ctx, p) => new Encoder(ctx, p),
});

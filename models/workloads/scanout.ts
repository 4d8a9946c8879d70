/**
 * workloads.scanout: a display controller scanning frames out of memory by
 * DMA, over PCIe, at a fixed refresh rate: the PCIe device (a GPU assigned to
 * the backend domain) reads the whole front buffer once per refresh, through
 * the IOMMU context of its domain, so the buffer's mappings (grant pages of
 * 4 KiB, or the domain's own memory in larger pages) meet the IOTLB, the page
 * walkers, the links and host memory.
 *
 * A page flip (from the display protocol's backend) takes at the next vblank:
 * from then on that buffer is scanned out. Each refresh reads the front
 * buffer: one DMA descriptor per run of contiguous bus addresses (at most
 * `maxDescriptorBytes` each), `inFlight` descriptors kept submitted. A
 * refresh whose read has not finished when the next vblank comes is an
 * underrun (the next refresh starts when it finishes). A frame's latency is
 * from its render tick to the vblank that first shows it. A refresh whose
 * read overlaps the renderer's write of the same buffer (the buffer's
 * reservation, dmabuf/dma-resv.ts) is a torn frame, counted.
 *
 * Left out: the display's line buffer and the timing within a refresh (the
 * read is one burst from the vblank), compression, and cursor/overlay planes.
 *
 * Checked (display-conservation.ts): every flip latched, dropped or waiting;
 * every refresh scanned one whole read of its front buffer.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { byteSize } from '../../src/scenario/units.js';
import { SimEvent, type ProcessBody } from '../../src/sim/index.js';
import { PS_PER_S, PS_PER_US, type Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import { ENDPOINT } from '../pcie/topology/node.js';
import { transactions } from '../pcie/attribution.js';
import type { Attribution } from '../../src/stats/attribution.js';
import type { EndpointDevice } from '../pcie/topology/endpoint.js';
import { DISPLIF, type Displif, type DisplayBuffer, type FlipTarget } from '../dmabuf/displif.js';
import { FrameReader, runsOf, type Run } from './frame-reader.js';
import { scanoutInvariants } from './display-conservation.js';
import { GRANT_PAGE_BYTES } from '../xen/iommu-context.js';

const params = z.strictObject({
  device: ref(ENDPOINT).describe('The display controller: a PCIe device (assigned to the backend domain) whose DMA engine reads the frames'),
  protocol: ref(DISPLIF).describe('The display protocol whose backend flips to this display'),
  refreshHz: z.number().positive().describe('Refresh rate: one scan-out of the front buffer per period'),
  refreshes: z.number().int().min(1).describe('Refreshes in the run'),
  maxDescriptorBytes: byteSize().default(64 * 1024).describe("Largest DMA descriptor the controller issues: a run of contiguous bus addresses is cut at it (est.: a display engine's fetch burst)"),
  inFlight: z.number().int().min(1).default(32).describe('Descriptors the controller keeps submitted during a scan-out'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'frames_shown', unit: 'frames', description: 'Frames latched at a vblank' },
  { name: 'frame_latency_us', unit: 'us', description: 'Render tick to the vblank that first shows the frame', kind: 'distribution' },
  { name: 'scanout_time_us', unit: 'us', description: 'One refresh: the read of the whole front buffer', kind: 'distribution' },
  { name: 'refreshes_scanned', unit: 'refreshes', description: 'Refreshes that read a front buffer' },
  { name: 'torn_refreshes', unit: 'refreshes', description: 'Refreshes whose read overlapped a write of the same buffer by the renderer: a torn frame on screen' },
  { name: 'underruns', unit: 'refreshes', description: 'Refreshes whose read had not finished at the next vblank: the display ran dry' },
  { name: 'descriptors_per_frame', unit: 'descriptors', description: 'DMA descriptors one scan-out of the front buffer takes (runs of contiguous bus addresses)' },
  { name: 'read_gbytes_per_s', unit: 'GB/s', description: 'Bytes scanned out over the run' },
];

class Scanout implements Component, FlipTarget {
  private reader!: FrameReader;
  private readonly periodPs: Time;
  private front: Run[] | null = null;
  private frontBuffer: DisplayBuffer | null = null;
  private torn = 0;
  private latched: { buffer: DisplayBuffer; frame: number; tick: Time; done: SimEvent<void> }[] = [];
  private readonly latency = new Histogram();
  private readonly scanTime = new Histogram();
  private shown = 0;
  private scanned = 0;
  private underruns = 0;
  private descriptorsPerFrame: number | null = null;
  /** Flips asked for, latched at a vblank, and let go unshown once the refreshes are over; the front buffers' bytes over the refreshes scanned. */
  private flipsAsked = 0;
  private flipsLatched = 0;
  private flipsDropped = 0;
  private bytesScanned = 0;
  /** The run's refreshes are over: the display shows nothing more. */
  private off = false;

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.periodPs = Math.round(PS_PER_S / p.refreshHz);
  }

  connect(): void {
    const device = this.ctx.peer<EndpointDevice>(this.p.device);
    this.reader = new FrameReader(this.ctx.sim, device.endpointModel.dma, this.p.inFlight);
    this.ctx.peer<Displif>(this.p.protocol).attachDisplay(this);
  }

  start(): void {
    this.ctx.sim.process(this.refresh(), `${this.ctx.name}/vblank`);
  }

  /** The backend's page flip: done at the next vblank, when the buffer is latched (at once once the run's refreshes are over). */
  *flipAt(buffer: DisplayBuffer, frame: number, tick: Time): ProcessBody<void> {
    this.flipsAsked++;
    if (this.off) { this.flipsDropped++; return; }
    const done = new SimEvent<void>(this.ctx.sim);
    this.latched.push({ buffer, frame, tick, done });
    yield done;
  }

  private *refresh(): ProcessBody<void> {
    const sim = this.ctx.sim;
    let next = sim.now;
    for (let r = 0; r < this.p.refreshes; r++) {
      if (next > sim.now) yield next - sim.now;
      // Flips queued since the last vblank: the last one wins, every one is done now.
      if (this.latched.length > 0) {
        const last = this.latched[this.latched.length - 1]!;
        this.front = runsOf(last.buffer, this.p.maxDescriptorBytes);
        this.frontBuffer = last.buffer;
        this.descriptorsPerFrame ??= this.front.length;
        for (const l of this.latched) l.done.succeed();
        this.flipsLatched += this.latched.length;
        this.latency.add((sim.now - last.tick) / PS_PER_US);
        this.shown++;
        this.latched = [];
      }
      next += this.periodPs;
      if (this.front === null) continue;
      const t0 = sim.now;
      const read = this.frontBuffer!.resv.beginRead();
      yield* this.reader.read(this.front);
      if (this.frontBuffer!.resv.endRead(read)) this.torn++;
      this.scanned++;
      this.bytesScanned += this.frontBuffer!.pages * GRANT_PAGE_BYTES;
      this.scanTime.add((sim.now - t0) / PS_PER_US);
      // A read that ran past the next vblank: the display ran dry; the next refresh starts at the vblank after it.
      if (sim.now > next) {
        this.underruns++;
        while (next < sim.now) { next += this.periodPs; r++; }
      }
    }
    // Flips still waiting when the run's refreshes are over, or asked for later, are never shown: their backend goes on.
    this.off = true;
    for (const l of this.latched) l.done.succeed();
    this.flipsDropped += this.latched.length;
    this.latched = [];
  }

  /** Frames shown: the pipeline's transactions, so Xen's and the fabric's charges read per frame. */
  attribution(): Attribution {
    return transactions(this.shown);
  }

  invariants(): string[] {
    return scanoutInvariants({
      refreshes: this.p.refreshes,
      flipsAsked: this.flipsAsked, flipsLatched: this.flipsLatched, flipsDropped: this.flipsDropped, flipsWaiting: this.latched.length,
      shown: this.shown, latencySamples: this.latency.count,
      scanned: this.scanned, scanTimeSamples: this.scanTime.count, torn: this.torn, underruns: this.underruns,
      bytesScanned: this.bytesScanned, reader: this.reader.stats(),
    });
  }

  metrics(): Record<string, MetricValue> {
    return {
      frames_shown: this.shown,
      frame_latency_us: distribution(this.latency),
      scanout_time_us: distribution(this.scanTime),
      refreshes_scanned: this.scanned,
      torn_refreshes: this.torn,
      underruns: this.underruns,
      descriptors_per_frame: this.descriptorsPerFrame,
      read_gbytes_per_s: this.reader.readGbytesPerSecond(),
    };
  }
}

export const scanout = defineComponent({
  type: 'workloads.scanout',
  description: 'A display controller scanning the front buffer out by DMA over PCIe at a refresh rate, through its domain\'s IOMMU context: flips at vblank, underruns, frame latency to the screen',
  params,
  stats,
  create: (ctx, p) => new Scanout(ctx, p),
});


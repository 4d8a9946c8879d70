/**
 * workloads.renderer: a compositor in a guest producing frames at a fixed
 * rate and presenting them through a display protocol (dmabuf.displif).
 * At each vsync tick it takes a free buffer (one is on screen, the rest
 * free or in flight); with none free the frame is skipped (a missed
 * deadline); it renders (`renderTime`: the buffer is ready that long after
 * the tick; the renderer's GPU is not modelled) and presents it. A frame's latency is from its
 * tick to the flip's response at the compositor; it is late if the flip took
 * (the vblank that latched it, with a display) more than a frame period after
 * its tick: rendered at one vblank and latched at the next is on time.
 * Traced (kind 'frame'), each frame is a row: presented (on time or late)
 * or skipped. Checked (display-conservation.ts): no frame shown that was not
 * sent, each shown one sampled once.
 */
import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { ref } from '../../src/scenario/refs.js';
import { duration } from '../../src/scenario/units.js';
import type { ProcessBody } from '../../src/sim/index.js';
import { PS_PER_S, PS_PER_US, type Time } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { distribution } from '../../src/stats/distribution.js';
import { NO_TXN, type TraceChannel } from '../../src/trace/channel.js';
import { DISPLIF, type Displif, type PresentListener } from '../dmabuf/displif.js';
import { rendererInvariants } from './display-conservation.js';

/** 4-byte ARGB frames in 4 KiB pages (SOURCES.md: 1080p = 2,025 pages, 4K = 8,100). */
export const FRAME_PAGES = { '1080p': (1920 * 1080 * 4) / 4096, '4k': (3840 * 2160 * 4) / 4096 } as const;

const params = z.strictObject({
  protocol: ref(DISPLIF).describe('The display protocol the frames are presented through'),
  resolution: z.enum(['1080p', '4k']).describe('Frame size: 1080p (2,025 pages) or 4K (8,100 pages), 4-byte ARGB'),
  fps: z.number().positive().describe('Frames per second: the deadline is one frame period'),
  frames: z.number().int().min(1).describe('Frames (vsync ticks) in the run'),
  renderTime: duration().default(0).describe('Rendering a frame into its buffer, before it is presented (0: the frame is ready at its tick)'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'frame_latency_us', unit: 'us', description: "Vsync tick to the flip's response at the compositor, frames shown", kind: 'distribution' },
  { name: 'missed_deadlines', unit: 'frames', description: 'Frames whose flip took later than one period after their tick, plus frames skipped or never shown' },
  { name: 'skipped_frames', unit: 'frames', description: 'Ticks with no free buffer: the frame was never sent' },
  { name: 'missed_fraction', unit: 'fraction', description: 'missed_deadlines / frames' },
  { name: 'margin_us', unit: 'us', description: 'Frame period minus the p99 of tick to flip taken: negative means it cannot keep up' },
];

class Renderer implements Component, PresentListener {
  private protocol!: Displif;
  private readonly periodPs: Time;
  private readonly latency = new Histogram();
  /** Tick to the flip taking: what the deadline is judged on. */
  private readonly shownAfterTick = new Histogram();
  private late = 0;
  private skipped = 0;
  /** Frames given a buffer and sent on to render and present. */
  private started = 0;
  private shown = 0;
  /** One row per frame (kind 'frame'), or null when not traced; labels by outcome. */
  private readonly trace: TraceChannel | null;
  private readonly outcome: { onTime: number; late: number; skipped: number };

  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {
    this.periodPs = Math.round(PS_PER_S / p.fps);
    this.trace = ctx.tracer.channel(ctx.name, 'frame');
    const label = (name: string) => (this.trace === null ? 0 : ctx.tracer.label(name));
    this.outcome = { onTime: label('on time'), late: label('late'), skipped: label('skipped') };
  }

  connect(): void {
    this.protocol = this.ctx.peer<Displif>(this.p.protocol);
  }

  start(): void {
    this.ctx.sim.process(this.run(), `${this.ctx.name}/frames`);
  }

  private *run(): ProcessBody<void> {
    const sim = this.ctx.sim;
    if (!(yield* this.protocol.setup(FRAME_PAGES[this.p.resolution], this))) return;
    const t0 = sim.now;
    for (let f = 0; f < this.p.frames; f++) {
      const tick = t0 + f * this.periodPs;
      if (tick > sim.now) yield tick - sim.now;
      if (this.protocol.failure !== null) return;
      const buffer = this.protocol.acquire();
      if (buffer === undefined) {
        this.skipped++;
        if (this.trace !== null) this.trace.record(sim.now, NO_TXN, 0, 0, f, 0, this.outcome.skipped);
        continue;
      }
      this.started++;
      sim.process(this.frame(f, buffer, tick), `${this.ctx.name}/frame`);
    }
  }

  private *frame(f: number, buffer: number, tick: Time): ProcessBody<void> {
    // The write's exclusive fence: unsignalled while rendering (an instant when renderTime is 0).
    const resv = this.protocol.reservation(buffer);
    resv.beginWrite();
    if (this.p.renderTime > 0) yield this.p.renderTime;
    resv.endWrite();
    yield* this.protocol.present(f, buffer, tick);
  }

  presented(frame: number, _buffer: number, tick: Time, shownAt: Time): void {
    const now = this.ctx.sim.now, late = shownAt - tick > this.periodPs;
    this.latency.add((now - tick) / PS_PER_US);
    this.shown++;
    this.shownAfterTick.add((shownAt - tick) / PS_PER_US);
    if (late) this.late++;
    if (this.trace !== null) this.trace.record(now, NO_TXN, 0, now - tick, frame, shownAt - tick, late ? this.outcome.late : this.outcome.onTime);
  }

  invariants(): string[] {
    return rendererInvariants({
      frames: this.p.frames, started: this.started, skipped: this.skipped, shown: this.shown, late: this.late,
      latencySamples: this.latency.count, shownAfterTickSamples: this.shownAfterTick.count,
    });
  }

  metrics(): Record<string, MetricValue> {
    const frames = this.p.frames;
    const missed = this.late + this.skipped + (frames - this.shown - this.skipped);
    const p99 = this.shownAfterTick.count > 0 ? this.shownAfterTick.quantile(0.99) : null;
    return {
      frame_latency_us: distribution(this.latency),
      missed_deadlines: missed,
      skipped_frames: this.skipped,
      missed_fraction: missed / frames,
      margin_us: p99 === null ? null : this.periodPs / PS_PER_US - p99,
    };
  }
}

export const renderer = defineComponent({
  type: 'workloads.renderer',
  description: "A guest compositor rendering frames at a fixed rate and presenting them through a display protocol: frame latency, missed deadlines",
  params,
  stats,
  traceKinds: [{
    kind: 'frame',
    description: "One row per frame: presented, at the flip's response (latency = from its vsync tick; a = the frame's number; b = tick to the flip taking, ps; label = on time or late), or skipped for want of a free buffer, at its tick (label = skipped)",
  }],
  create: (ctx, p) => new Renderer(ctx, p),
});

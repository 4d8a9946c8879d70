/**
 * Conservation checks of the display pipeline's workloads, true at any
 * moment of a run (between any two events: a run may stop at `until` or
 * `maxEvents` with frames in flight): a frame reader's descriptors are done
 * or outstanding, its bytes those of whole reads plus the one in progress;
 * the renderer shows no frame it did not send and samples each shown one
 * once; the display controller's flips are latched, dropped or waiting, its
 * scan-outs the reader's reads, each of a whole frame; the encoder's frames
 * are encoded, being read or waiting for its fetch, each read whole. The
 * components return them from `invariants()`, so a run that loses or
 * doubles a frame, a descriptor or a byte fails (a model bug).
 */
import type { FrameReaderStats } from './frame-reader.js';

export function frameReaderInvariants(s: FrameReaderStats): string[] {
  const out: string[] = [];
  if (s.descriptorsSubmitted !== s.descriptorsDone + s.outstanding) {
    out.push(`descriptors: ${s.descriptorsSubmitted} submitted != ${s.descriptorsDone} done + ${s.outstanding} outstanding`);
  }
  if (s.outstanding < 0 || s.outstanding > s.inFlight) out.push(`${s.outstanding} descriptors outstanding, at most ${s.inFlight} allowed`);
  // One read at a time: a read started while another was in progress loses the first one's count.
  const reading = s.readsStarted - s.readsDone;
  if (reading < 0 || reading > 1) out.push(`reads: ${s.readsStarted} started, ${s.readsDone} done`);
  if (reading === 0 && (s.outstanding !== 0 || s.pendingBytes !== 0 || s.readBytes !== 0)) {
    out.push(`no read in progress, yet ${s.outstanding} descriptors outstanding and ${s.pendingBytes} of ${s.readBytes} bytes to submit`);
  }
  const inProgress = s.readBytes - s.pendingBytes;
  if (s.bytesSubmitted !== s.bytesOfReadsDone + inProgress) {
    out.push(`bytes: ${s.bytesSubmitted} submitted != ${s.bytesOfReadsDone} of the reads done + ${inProgress} of the read in progress`);
  }
  return out;
}

/** The frames a reader read for its consumer: each one read, whole (`frameBytes`: the sum of the frames' sizes). */
function framesRead(what: string, frames: number, frameBytes: number, reader: FrameReaderStats): string[] {
  const out: string[] = [];
  if (reader.readsDone !== frames) out.push(`${frames} ${what} != ${reader.readsDone} reads done`);
  if (reader.bytesOfReadsDone !== frameBytes) out.push(`${frameBytes} bytes in the ${what} != ${reader.bytesOfReadsDone} read`);
  return [...out, ...frameReaderInvariants(reader)];
}

/** The renderer's counts (workloads.renderer). */
export interface RendererCounts {
  /** Frames in the run (its ticks). */
  readonly frames: number;
  /** Frames given a buffer and sent on to render and present; ticks skipped for want of one. */
  readonly started: number;
  readonly skipped: number;
  /** Frames whose flip's response came back, and those late among them. */
  readonly shown: number;
  readonly late: number;
  /** Samples in the latency histograms, one per frame shown each. */
  readonly latencySamples: number;
  readonly shownAfterTickSamples: number;
}

export function rendererInvariants(s: RendererCounts): string[] {
  const out: string[] = [];
  if (s.started + s.skipped > s.frames) out.push(`frames: ${s.started} started + ${s.skipped} skipped > ${s.frames} in the run`);
  // The rest of the frames started are in progress: rendering, being shared or flipped, or their response on the way.
  if (s.shown > s.started) out.push(`frames: ${s.shown} shown > ${s.started} started`);
  if (s.late > s.shown) out.push(`${s.late} late frames > ${s.shown} shown`);
  if (s.latencySamples !== s.shown || s.shownAfterTickSamples !== s.shown) {
    out.push(`latency samples: ${s.latencySamples} and ${s.shownAfterTickSamples} for ${s.shown} frames shown`);
  }
  return out;
}

/** The display controller's counts (workloads.scanout). */
export interface ScanoutCounts {
  readonly refreshes: number;
  /** Page flips asked for by the backend: latched at a vblank, let go unshown (after the last refresh), or waiting for the next vblank. */
  readonly flipsAsked: number;
  readonly flipsLatched: number;
  readonly flipsDropped: number;
  readonly flipsWaiting: number;
  /** Vblanks that latched a frame, and the frame-latency samples. */
  readonly shown: number;
  readonly latencySamples: number;
  /** Refreshes that read the front buffer, their time samples, the torn and overrun among them. */
  readonly scanned: number;
  readonly scanTimeSamples: number;
  readonly torn: number;
  readonly underruns: number;
  /** The front buffers' sizes summed over the refreshes scanned. */
  readonly bytesScanned: number;
  readonly reader: FrameReaderStats;
}

export function scanoutInvariants(s: ScanoutCounts): string[] {
  const out: string[] = [];
  if (s.flipsAsked !== s.flipsLatched + s.flipsDropped + s.flipsWaiting) {
    out.push(`flips: ${s.flipsAsked} asked != ${s.flipsLatched} latched + ${s.flipsDropped} dropped + ${s.flipsWaiting} waiting`);
  }
  // A vblank shows a frame only if it latched a flip; each flip is latched at one vblank.
  if (s.shown > s.flipsLatched || s.latencySamples !== s.shown) out.push(`${s.shown} frames shown of ${s.flipsLatched} flips latched, ${s.latencySamples} latency samples`);
  if (s.scanned > s.refreshes || s.scanTimeSamples !== s.scanned) out.push(`${s.scanned} refreshes scanned of ${s.refreshes}, ${s.scanTimeSamples} scan-time samples`);
  if (s.torn > s.scanned || s.underruns > s.scanned) out.push(`${s.torn} torn and ${s.underruns} underrun refreshes > ${s.scanned} scanned`);
  return [...out, ...framesRead('refreshes scanned', s.scanned, s.bytesScanned, s.reader)];
}

/** The encoder's counts (workloads.encoder). */
export interface EncoderCounts {
  /** Frames the backend handed over: encoded, being read (holding the fetch), or waiting for it. */
  readonly handed: number;
  readonly encoded: number;
  readonly reading: number;
  readonly waiting: number;
  readonly late: number;
  readonly torn: number;
  /** Samples of frame latency and of read time, one per frame encoded each. */
  readonly latencySamples: number;
  readonly readTimeSamples: number;
  /** The encoded frames' sizes summed. */
  readonly bytesEncoded: number;
  readonly reader: FrameReaderStats;
}

export function encoderInvariants(s: EncoderCounts): string[] {
  const out: string[] = [];
  if (s.handed !== s.encoded + s.reading + s.waiting) out.push(`frames: ${s.handed} handed over != ${s.encoded} encoded + ${s.reading} being read + ${s.waiting} waiting`);
  if (s.latencySamples !== s.encoded || s.readTimeSamples !== s.encoded) out.push(`samples: ${s.latencySamples} latency and ${s.readTimeSamples} read time for ${s.encoded} frames encoded`);
  if (s.late > s.encoded || s.torn > s.encoded) out.push(`${s.late} late and ${s.torn} torn frames > ${s.encoded} encoded`);
  return [...out, ...framesRead('frames encoded', s.encoded, s.bytesEncoded, s.reader)];
}

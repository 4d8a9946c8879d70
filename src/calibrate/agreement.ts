/**
 * Where two of a host's files measure the same thing, how far apart they are.
 *
 * pcie-bench's size sweep (bw_dma_sz_sweep.csv: curves bw_rd, bw_wr) moves
 * transfers of every size over one small window (8 KiB); its window sweeps
 * (bw_dma_win_sweep_*: curves win_<op>_<size>) move 64-512 B transfers the
 * same way (random addresses, host cache warm) over windows from 4 KiB up.
 * The window sweep's points either side of the size sweep's window (4 KiB and
 * 16 KiB) bracket it, and nothing in the host tells windows that small apart:
 * no IOTLB or cache reach ends below 16 KiB, and on every Xeon E5 host the
 * two files agree there within 1.2% (validate:hw). How far the size sweep's
 * point is from the mean of the two, as a fraction of that mean, is what a
 * model that matched the one file exactly would be off by on the other at
 * those windows: a floor beside the repeats' spread (repeats.ts), and one
 * that also shows on hosts that measured each point once.
 */
import type { Curve, CurvePoint } from './curves.js';

export interface FileAgreement {
  /** The window curve (win_<op>_<size>) whose small windows the size sweep's point is set against. */
  curve: string;
  /** The size sweep's measurement at that size, and its window (B). */
  sizeSweep: number;
  window: number;
  /** The windows of the window sweep it is set against (B): those either side of `window`, or `window` alone if it measured that one. */
  windows: number[];
  /** The mean of the window sweep's measurements at `windows`. */
  windowSweep: number;
  /** |sizeSweep − windowSweep| / windowSweep. */
  disagreement: number;
}

/** A window curve's name: its direction (rd, wr) and transfer size. */
const WINDOW_CURVE = /^win_(rd|wr)_(\d+)$/;

/**
 * Each window curve of `curves` (one host's) set against the size sweep's
 * point of its direction and size, where the size sweep measured that size
 * at a window the window curve brackets; curves without such a point are
 * left out.
 */
export function fileAgreement(curves: readonly Curve[]): FileAgreement[] {
  const out: FileAgreement[] = [];
  for (const c of curves) {
    const m = WINDOW_CURVE.exec(c.name);
    if (m === null) continue;
    const size = Number(m[2]);
    const p = curves.find((s) => s.name === `bw_${m[1]}`)?.points.find((q) => q.x === size);
    const window = p?.params.window;
    if (p === undefined || typeof window !== 'number') continue;
    const around = bracket(c.points, window);
    if (around === null) continue;
    const windowSweep = around.reduce((sum, q) => sum + q.measured, 0) / around.length;
    out.push({ curve: c.name, sizeSweep: p.measured, window, windows: around.map((q) => q.x), windowSweep, disagreement: Math.abs(p.measured - windowSweep) / windowSweep });
  }
  return out;
}

/** The point at window `w`, or the nearest either side of it; null if `w` is outside the points' windows. */
function bracket(points: readonly CurvePoint[], w: number): CurvePoint[] | null {
  const at = points.find((q) => q.x === w);
  if (at !== undefined) return [at];
  let below: CurvePoint | undefined, above: CurvePoint | undefined;
  for (const q of points) {
    if (q.x < w && (below === undefined || q.x > below.x)) below = q;
    if (q.x > w && (above === undefined || q.x < above.x)) above = q;
  }
  return below === undefined || above === undefined ? null : [below, above];
}

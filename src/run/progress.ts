import { performance } from 'node:perf_hooks';

/** How often, at most, a non-terminal stream gets a line: every tenth of the work. */
const PLAIN_LINE_STEPS = 10;
/**
 * The share of the work done before an ETA is shown: the rate of the first
 * runs says little of the rest when runs differ (the quick start's first
 * runs are its slowest), so the first line said "ETA 49 min" for a 2-minute job.
 */
const ETA_AFTER = 0.1;
const BAR_WIDTH = 28;

/**
 * Sweep progress on stderr: a redrawn bar (runs done, rate, ETA) on a
 * terminal, a plain line per tenth of the work otherwise (CI logs, batch
 * jobs). What is counted is named by `unit` (runs; validate:hw counts
 * curves). Wall-clock time is used here only, never in an output file.
 */
export class Progress {
  private done = 0;
  private lastStep = -1;
  private readonly t0 = performance.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream | null = process.stderr,
    private readonly unit = 'runs',
  ) {}

  tick(failed: boolean): void {
    this.done++;
    if (!this.stream) return;
    const elapsed = (performance.now() - this.t0) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-9);
    const eta = this.done >= ETA_AFTER * this.total ? `  ETA ${formatSeconds((this.total - this.done) / rate)}` : '';
    const stats = `${this.done}/${this.total} ${this.unit}  ${rate.toFixed(1)} ${this.unit}/s${eta}${failed ? '  (a run failed)' : ''}`;
    if (this.stream.isTTY) {
      const filled = Math.round((this.done / this.total) * BAR_WIDTH);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${stats}\x1b[K`);
      if (this.done === this.total) this.stream.write('\n');
      return;
    }
    const step = Math.floor((this.done / this.total) * PLAIN_LINE_STEPS);
    if (step !== this.lastStep || this.done === this.total) {
      this.lastStep = step;
      this.stream.write(`${this.label}: ${stats}\n`);
    }
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

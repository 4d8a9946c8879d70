/**
 * Time spent in named phases of a protocol flow (export, import, teardown;
 * map, unmap, ...): a process runs each step through `time`, which adds the
 * simulated time the step took, and the number of operations it handled, to
 * its phase. Per-operation figures are then ps / ops.
 */
import type { ProcessBody } from '../sim/process.js';
import type { Simulation } from '../sim/simulation.js';

export class PhaseTimer<K extends string> {
  private readonly totalPs = new Map<K, number>();
  private readonly totalOps = new Map<K, number>();

  constructor(private readonly sim: Simulation) {}

  /** Runs `body` (a step of the flow), adding its duration and `ops` to `phase`; returns the step's value. */
  *time<T>(phase: K, body: ProcessBody<T>, ops = 1): ProcessBody<T> {
    const t0 = this.sim.now;
    const r = yield* body;
    this.totalPs.set(phase, (this.totalPs.get(phase) ?? 0) + this.sim.now - t0);
    this.totalOps.set(phase, (this.totalOps.get(phase) ?? 0) + ops);
    return r;
  }

  /** Picoseconds spent in `phase` (0 if it never ran). */
  ps(phase: K): number {
    return this.totalPs.get(phase) ?? 0;
  }

  /** Operations `phase` handled. */
  ops(phase: K): number {
    return this.totalOps.get(phase) ?? 0;
  }

  /** Picoseconds per operation of `phase`, or null if it handled none. */
  psPerOp(phase: K): number | null {
    const n = this.ops(phase);
    return n > 0 ? this.ps(phase) / n : null;
  }
}

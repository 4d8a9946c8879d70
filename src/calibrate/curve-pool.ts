/**
 * Simulates measured curves on several threads: the calling thread and
 * `jobs - 1` workers (run/batch-pool.ts), started once and kept for every
 * call, so a fit's evaluations, one after the other, pay a worker's start
 * once. A task is a whole curve or, split, each stretch of a curve's points
 * that share one run (a distribution's percentiles); its points run on one
 * thread, in order, as CurveSimulator.simulate runs them, and every run is
 * deterministic, so the curves come out the same whatever the number of
 * threads or the order tasks finish in. A point the model refuses (a user
 * error: its file's line) is told as the first such, by curve and point
 * order, once every task is done, on whichever thread it ran: an error does
 * not cross threads as itself.
 */
import { BatchPool } from '../run/batch-pool.js';
import type { Progress } from '../run/progress.js';
import type { PresetOverrides } from '../scenario/loader.js';
import { UserError } from '../scenario/errors.js';
import type { Curve } from './curves.js';
import { CurveSimulator, type SimulatedCurve } from './simulate.js';

/** A curve (or a stretch of one) to simulate, with preset values replaced (a fit's candidate). */
export interface CurveTask {
  curve: Curve;
  overrides: PresetOverrides;
}

/** What a thread sends back for a task: its simulated values and failures (the curve itself stays where it was), or the message of the user error that refused it. */
export type CurveResult = Omit<SimulatedCurve, 'curve'> | { refused: string };

export function simulateCurveTask(sim: CurveSimulator, task: CurveTask): CurveResult {
  try {
    const { simulated, failures } = sim.simulate(task.curve, task.overrides);
    return { simulated, failures };
  } catch (e) {
    if (e instanceof UserError) return { refused: e.message };
    throw e;
  }
}

/** A curve's stretches of consecutive points that share one run (the same setup), as curves of their own. */
function stretches(curve: Curve, overrides: PresetOverrides): Curve[] {
  const out: Curve[] = [];
  let last = '';
  for (const p of curve.points) {
    const key = CurveSimulator.setupKey(curve.scenario, p.params, overrides);
    if (out.length === 0 || key !== last) out.push({ ...curve, points: [] });
    out[out.length - 1]!.points.push(p);
    last = key;
  }
  return out;
}

export class CurveSimulations {
  /**
   * Started at the first call: a command refusing its input before any run
   * starts no thread, and no more threads start than that call has tasks (a
   * fit's every call has as many).
   */
  private pool: BatchPool<CurveTask, CurveResult> | null = null;

  constructor(private readonly sim: CurveSimulator, private readonly jobs: number) {}

  /**
   * The curves simulated, in the order given. `split`: each curve's stretches
   * are tasks of their own (few curves of many points: a fit); else a task a
   * curve, `progress` told of each.
   */
  async simulate(items: readonly { curve: Curve; overrides?: PresetOverrides }[], o: { split: boolean; progress?: Progress }): Promise<SimulatedCurve[]> {
    const pieces = items.map(({ curve, overrides = {} }) => (o.split ? stretches(curve, overrides) : [curve]).map((c) => ({ curve: c, overrides })));
    const tasks = pieces.flat();
    this.pool ??= new BatchPool<CurveTask, CurveResult>(Math.min(this.jobs, tasks.length), new URL('./curve-worker.js', import.meta.url), null, (task) => simulateCurveTask(this.sim, task));
    const results = await this.pool.run(tasks, (_, r) => o.progress?.tick('refused' in r || r.failures !== null));
    let next = 0;
    return items.map(({ curve }, k) => {
      const merged: SimulatedCurve = { curve, simulated: [], failures: null };
      for (let n = pieces[k]!.length; n > 0; n--) {
        const r = results[next++]!;
        if ('refused' in r) throw new UserError(r.refused);
        merged.simulated.push(...r.simulated);
        if (r.failures !== null) merged.failures = { points: (merged.failures?.points ?? 0) + r.failures.points, first: merged.failures?.first ?? r.failures.first };
      }
      return merged;
    });
  }

  /** Lets the workers end. */
  close(): void {
    this.pool?.close();
  }
}

/** `use` with curve simulations on `jobs` threads, whose workers end however `use` ends. */
export async function withCurveSimulations<T>(sim: CurveSimulator, jobs: number, use: (sims: CurveSimulations) => Promise<T>): Promise<T> {
  const sims = new CurveSimulations(sim, jobs);
  try {
    return await use(sims);
  } finally {
    sims.close();
  }
}

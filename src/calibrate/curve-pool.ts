/**
 * Simulates many measured curves on a pool of threads (run/pool.ts): the
 * calling thread and `jobs - 1` workers each take the next curve the moment
 * they are free. A curve's points run on one thread, in order, as
 * CurveSimulator.simulate runs them, and every run is deterministic, so the
 * curves come out the same whatever the number of threads or the order they
 * finish in. A point the model refuses (a user error: its file's line) is
 * told as the first such curve's, by curve order, once every curve is done,
 * on whichever thread it ran: an error does not cross threads as itself.
 */
import { runPool } from '../run/pool.js';
import { Progress } from '../run/progress.js';
import { UserError } from '../scenario/errors.js';
import type { Curve } from './curves.js';
import type { CurveSimulator, SimulatedCurve } from './simulate.js';

export interface CurveTask {
  index: number;
  curve: Curve;
}

/** What a thread sends back for a curve: its simulated values and failures (the curve itself stays where it was), or the message of the user error that refused it. */
export type CurveResult = Omit<SimulatedCurve, 'curve'> | { refused: string };

export function simulateCurveTask(sim: CurveSimulator, task: CurveTask): CurveResult {
  try {
    const { simulated, failures } = sim.simulate(task.curve);
    return { simulated, failures };
  } catch (e) {
    if (e instanceof UserError) return { refused: e.message };
    throw e;
  }
}

/** `curves` simulated on `jobs` threads (this one among them), in the order given; progress on stderr, counted in curves. */
export async function simulateCurves(sim: CurveSimulator, curves: readonly Curve[], jobs: number, label: string): Promise<SimulatedCurve[]> {
  const results: CurveResult[] = new Array(curves.length);
  const progress = new Progress(curves.length, label, process.stderr, 'curves');
  await runPool<CurveTask, CurveResult>({
    jobs,
    worker: new URL('./curve-worker.js', import.meta.url),
    workerData: null,
    local: async (task) => simulateCurveTask(sim, task),
    tasks: curves.map((curve, index) => ({ index, curve })),
    onResult: (task, result) => {
      results[task.index] = result;
      progress.tick('refused' in result || result.failures !== null);
    },
  });
  return curves.map((curve, k) => {
    const r = results[k]!;
    if ('refused' in r) throw new UserError(r.refused);
    return { curve, ...r };
  });
}

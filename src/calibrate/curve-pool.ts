/**
 * Simulates many measured curves on a pool of threads (run/pool.ts): the
 * calling thread and `jobs - 1` workers each take the next curve the moment
 * they are free. A curve's points run on one thread, in order, as
 * CurveSimulator.simulate runs them, and every run is deterministic, so the
 * curves come out the same whatever the number of threads or the order they
 * finish in.
 */
import { runPool } from '../run/pool.js';
import { Progress } from '../run/progress.js';
import type { Curve } from './curves.js';
import type { CurveSimulator, SimulatedCurve } from './simulate.js';

export interface CurveTask {
  index: number;
  curve: Curve;
}

/** What a thread sends back for a curve: its simulated values and failures (the curve itself stays where it was). */
export type CurveResult = Omit<SimulatedCurve, 'curve'>;

export function simulateCurveTask(sim: CurveSimulator, task: CurveTask): CurveResult {
  const { simulated, failures } = sim.simulate(task.curve);
  return { simulated, failures };
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
      progress.tick(result.failures !== null);
    },
  });
  return curves.map((curve, k) => ({ curve, ...results[k]! }));
}

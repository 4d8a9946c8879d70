/**
 * Hand-built report inputs: synthetic runs whose metrics follow simple
 * formulas, so tests know every number a report should show.
 */
import type { ParamValue, ReportParameter, ReportRun, ReportStudy } from '../../src/report/model.js';

export interface RunSpec {
  point: number;
  replication: number;
  parameters: Record<string, ParamValue>;
  /** Omit for a failed run. */
  metrics?: Record<string, number | null>;
  error?: string;
  categories?: Record<string, string>;
  distributions?: ReportRun['distributions'];
  attribution?: ReportRun['attribution'];
  series?: ReportRun['series'];
}

export function run(spec: RunSpec): ReportRun {
  const failed = spec.metrics === undefined;
  return {
    id: `p${String(spec.point).padStart(4, '0')}-r${spec.replication}`,
    point: spec.point,
    replication: spec.replication,
    seed: 1000 + 10 * spec.point + spec.replication,
    parameters: spec.parameters,
    status: failed ? 'failed' : 'ok',
    error: failed ? spec.error ?? 'failed' : null,
    metrics: spec.metrics ?? {},
    ...(spec.categories ? { categories: spec.categories } : {}),
    distributions: spec.distributions ?? {},
    attribution: spec.attribution ?? [],
    series: spec.series ?? {},
  };
}

export function study(overrides: Partial<ReportStudy> & { runs: ReportRun[]; parameters: ReportParameter[] }): ReportStudy {
  return {
    title: overrides.scenario?.name ?? 'synthetic',
    scenario: { name: 'synthetic', description: 'A study built by hand for tests.', file: 'synthetic.json', hash: 'feedface' },
    pciesim: '0.1.0',
    seed: 1,
    replications: 1,
    metrics: { latency_ns: { unit: 'ns', description: 'Transfer latency' }, throughput_gbps: { unit: 'GB/s', description: 'Payload throughput' } },
    plots: [],
    ...overrides,
  };
}

/**
 * A two-parameter sweep (scheme × size) with `replications` runs per point.
 * Latency grows with size and differs per scheme; replication r adds r ns,
 * so every point has the same known spread. Runs listed in `failing` fail.
 */
export function sweepStudy(options: { replications: number; failing?: string[]; withExtras?: boolean }): ReportStudy {
  const schemes = ['grant-copy', 'zero-copy'];
  const sizes = [4096, 65536];
  const runs: ReportRun[] = [];
  let point = 0;
  for (const scheme of schemes) {
    for (const size of sizes) {
      for (let r = 0; r < options.replications; r++) {
        const parameters = { scheme, size, frames: 60 };
        const id = `p${String(point).padStart(4, '0')}-r${r}`;
        const latency = (scheme === 'zero-copy' ? 2 : 5) * size / 1024 + r;
        if (options.failing?.includes(id)) {
          runs.push(run({ point, replication: r, parameters, error: `grant table exhausted at ${id}` }));
          continue;
        }
        runs.push(run({
          point, replication: r, parameters,
          metrics: { 'latency_ns.p50': latency, 'latency_ns.p99': 2 * latency, 'latency_ns.count': 100, throughput_gbps: size / latency },
          ...(options.withExtras ? {
            distributions: { latency_ns: { unit: 'ns', points: [[0, latency / 2], [0.5, latency], [0.99, 2 * latency], [1, 3 * latency]] } },
            attribution: [['hypercall', 1000 * size], ['iommu', 500 * size + r]],
            series: { throughput_gbps: [0, 1, 2, 3].map((i) => ({ time_ps: i * 1_000_000, value: size / latency + i })) },
          } : {}),
        }));
      }
      point++;
    }
  }
  return study({
    replications: options.replications,
    parameters: [
      { name: 'size', description: 'Buffer size', unit: 'B', values: sizes },
      { name: 'scheme', description: 'dma-buf sharing scheme', unit: null, values: schemes },
      { name: 'frames', description: 'Frames shared', unit: null, values: [60] },
    ],
    runs,
  });
}

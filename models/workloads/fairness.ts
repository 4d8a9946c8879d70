/**
 * workloads.fairness: how evenly several components got a shared resource.
 * It reads one scalar metric of each named component at the end of the run
 * (e.g. the throughput_gbps of endpoints behind one switch) and reports the
 * total, the smallest and largest share, and Jain's fairness index
 * (sum x)^2 / (n sum x^2): 1 when all are equal, 1/n when one takes all
 * (R. Jain, D. Chiu, W. Hawe, DEC-TR-301, 1984).
 */
import { z } from 'zod';
import type { Component, ComponentContext, ComponentType, MetricValue, StatDecl } from '../../src/scenario/registry.js';

const params = z.strictObject({
  of: z.array(z.string()).min(2).describe('The components compared, by instance name'),
  metric: z.string().describe('The scalar metric each of them reports, e.g. "throughput_gbps"'),
});
type Params = z.output<typeof params>;

const stats: readonly StatDecl[] = [
  { name: 'total', unit: 'metric', description: 'Sum of the metric over the components' },
  { name: 'min_share', unit: 'metric', description: 'Smallest value among the components' },
  { name: 'max_share', unit: 'metric', description: 'Largest value among the components' },
  { name: 'jain_index', unit: 'fraction', description: "Jain's fairness index: 1 = equal shares, 1/n = one takes all" },
];

class Fairness implements Component {
  constructor(private readonly ctx: ComponentContext, private readonly p: Params) {}

  metrics(): Record<string, MetricValue> {
    const xs = this.p.of.map((name) => {
      const v = this.ctx.peer(name).metrics?.()[this.p.metric];
      if (typeof v !== 'number') throw new Error(`${this.ctx.name}: ${name} reports no scalar metric "${this.p.metric}"`);
      return v;
    });
    const sum = xs.reduce((a, x) => a + x, 0);
    const squares = xs.reduce((a, x) => a + x * x, 0);
    return {
      total: sum,
      min_share: Math.min(...xs),
      max_share: Math.max(...xs),
      jain_index: squares > 0 ? (sum * sum) / (xs.length * squares) : null,
    };
  }
}

export const fairness: ComponentType<Params> = {
  type: 'workloads.fairness',
  description: "Total, min, max and Jain's fairness index of one metric over several components (e.g. endpoints sharing a link)",
  params,
  stats,
  create: (ctx, p) => new Fairness(ctx, p),
};

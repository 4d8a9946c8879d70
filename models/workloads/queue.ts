import { z } from 'zod';
import { defineComponent, type Component, type ComponentContext } from '../../src/scenario/registry.js';
import { duration } from '../../src/scenario/units.js';
import { Resource } from '../../src/sim/resource.js';
import { PS_PER_NS, PS_PER_US } from '../../src/sim/time.js';
import { Histogram } from '../../src/stats/histogram.js';
import { Attribution } from '../../src/stats/attribution.js';
import { WindowedCounter } from '../../src/stats/windows.js';
import type { TraceChannel } from '../../src/trace/channel.js';
import { distribution } from '../../src/stats/distribution.js';

/**
 * The demo workload: an open queueing station (M/G/c). Requests arrive as a
 * Poisson stream, wait for one of `servers` identical servers, and hold it
 * for a lognormal service time. It exercises every part of the engine
 * (processes, a resource, random streams, statistics) with a closed form to
 * check against: for c = 1 and cv = 1 it is M/M/1, mean sojourn 1/(mu - lambda).
 */
const params = z.strictObject({
  arrivalsPerUs: z.number().positive().describe('Mean arrival rate, requests per microsecond'),
  servers: z.number().int().min(1).describe('Number of identical servers'),
  serviceTime: duration().describe('Mean service time, e.g. "200 ns"'),
  serviceCv: z.number().nonnegative().default(1).describe('Coefficient of variation of the service time (lognormal); 0 = constant'),
  requests: z.number().int().positive().default(100_000).describe('Stop generating after this many arrivals'),
  throughputWindow: duration().refine((ps) => ps > 0, { message: 'expected a duration above 0' }).default(20_000_000).describe('Width of the windows throughput over time is counted in'),
});

type QueueParams = z.infer<typeof params>;

class QueueStation implements Component {
  private readonly servers: Resource;
  private readonly sojourn = new Histogram();
  private readonly waiting = new Histogram();
  private readonly ledger = new Attribution();
  private readonly done: WindowedCounter;
  /** One row per finished request: latency is its sojourn, a its wait for a server (ps). */
  private readonly trace: TraceChannel | null;
  private completed = 0;
  /** Requests that arrived, and that left (warm-up ones included): the rest are waiting or in service. */
  private arrived = 0;
  private left = 0;
  private firstCounted = -1;
  private lastDone = 0;

  constructor(private readonly ctx: ComponentContext, private readonly p: QueueParams) {
    this.servers = new Resource(ctx.sim, p.servers, `${ctx.name}/servers`);
    this.done = new WindowedCounter(p.throughputWindow);
    this.trace = ctx.tracer.channel(ctx.name, 'request');
  }

  start(): void {
    const { sim } = this.ctx;
    const arrivals = this.ctx.rng('arrivals');
    const service = this.ctx.rng('service');
    const meanGap = PS_PER_US / this.p.arrivalsPerUs;
    const self = this;
    sim.process(function* () {
      for (let i = 0; i < self.p.requests; i++) {
        yield Math.round(arrivals.exponential(meanGap));
        const hold = Math.round(service.lognormalMeanCv(self.p.serviceTime, self.p.serviceCv));
        sim.process(self.request(i, hold), 'request');
      }
    }(), `${this.ctx.name}/source`);
  }

  private *request(id: number, hold: number) {
    const { sim } = this.ctx;
    const arrived = sim.now;
    this.arrived++;
    yield this.servers.request();
    const started = sim.now;
    yield hold;
    this.servers.release();
    this.left++;
    this.done.add(sim.now);
    if (this.trace !== null) this.trace.record(sim.now, id, 0, sim.now - arrived, started - arrived, hold);
    if (arrived < this.ctx.warmup) return;
    if (this.firstCounted < 0) this.firstCounted = arrived;
    this.completed++;
    this.lastDone = sim.now;
    this.sojourn.add((sim.now - arrived) / PS_PER_NS);
    this.waiting.add((started - arrived) / PS_PER_NS);
    this.ledger.span().charge('waiting for a server', started - arrived).charge('in service', sim.now - started).end();
  }

  /** Every request that arrived has left, waits for a server or holds one; those counted past the warm-up are sampled once each. */
  invariants(): string[] {
    const out: string[] = [];
    const { used, queued } = this.servers;
    if (this.arrived !== this.left + used + queued) out.push(`requests: ${this.arrived} arrived != ${this.left} left + ${used} in service + ${queued} waiting`);
    if (this.completed > this.left || this.sojourn.count !== this.completed || this.waiting.count !== this.completed) {
      out.push(`${this.completed} counted of ${this.left} that left, ${this.sojourn.count} sojourn and ${this.waiting.count} wait samples`);
    }
    return out;
  }

  attribution(): Attribution {
    return this.ledger;
  }

  series() {
    return { throughput_per_us: this.done.rows().map((w): [number, number] => [w.start_ps, (w.count / (w.end_ps - w.start_ps)) * PS_PER_US]) };
  }

  metrics() {
    const span = this.lastDone - Math.max(this.firstCounted, 0);
    return {
      completed: this.completed,
      throughput_per_us: span > 0 ? (this.completed / span) * PS_PER_US : null,
      utilization: this.servers.utilization(),
      sojourn_ns: distribution(this.sojourn),
      wait_ns: distribution(this.waiting),
    };
  }
}

export const queueStation = defineComponent({
  type: 'workloads.queue',
  description: 'Demo workload: Poisson arrivals to c servers with lognormal service times (M/G/c)',
  params,
  stats: [
    { name: 'completed', unit: 'requests', description: 'Requests finished after the warm-up' },
    { name: 'throughput_per_us', unit: 'requests/us', description: 'Completions per microsecond' },
    { name: 'utilization', unit: 'fraction', description: 'Mean fraction of servers busy' },
    { name: 'sojourn_ns', unit: 'ns', description: 'Arrival to completion', kind: 'distribution' },
    { name: 'wait_ns', unit: 'ns', description: 'Arrival to start of service', kind: 'distribution' },
  ],
  traceKinds: [{ kind: 'request', description: 'One row per finished request: latency = its sojourn, a = its wait for a server (ps)' }],
  create: (ctx, p) => new QueueStation(ctx, p),
});

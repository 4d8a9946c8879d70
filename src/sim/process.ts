import { SimEvent, type Waiter } from './event.js';
import type { Simulation } from './simulation.js';

/**
 * What a process may yield: a delay in picoseconds, or any SimEvent
 * (a signal, a timeout, another process, a resource grant, all-of / any-of).
 * The value sent back into the generator is the event's value; a failed
 * event is thrown into the generator, where `try` can handle it.
 */
export type Yieldable = number | SimEvent<any>;
export type ProcessBody<R = unknown> = Generator<Yieldable, R, any>;

export interface ProcessOptions {
  /**
   * A service loop that waits for work as long as the system exists (a
   * backend's request loop, a ring's response reader): waiting when nothing
   * is left to happen is its normal end, not a deadlock
   * (Simulation.unfinishedProcesses leaves it out).
   */
  daemon?: boolean;
}

/**
 * A generator-driven process (SimPy's model): protocol code reads like the
 * kernel code it models, one step after another. The process is itself an
 * event that succeeds with the generator's return value, so processes can
 * wait for each other.
 */
export class Process<R = unknown> extends SimEvent<R> implements Waiter {
  private sendValue: unknown = undefined;
  private sendError: unknown = undefined;
  /** @internal Neighbours in the simulation's list of unfinished processes (Simulation.processStarted). */
  olderUnfinished: Process<any> | null = null;
  newerUnfinished: Process<any> | null = null;

  constructor(sim: Simulation, private readonly body: ProcessBody<R>, readonly name: string, options: ProcessOptions = {}) {
    super(sim);
    if (options.daemon !== true) sim.processStarted(this);
    sim.schedule(0, stepProcess, this, 0);
  }

  /** @internal The event it yielded has been processed: go on with its value, or its error thrown in. */
  resume(ev: SimEvent<any>): void {
    this.sendValue = ev.value;
    this.sendError = ev.error;
    this.step();
  }

  /** @internal */
  step(): void {
    let r: IteratorResult<Yieldable, R>;
    try {
      const err = this.sendError;
      const value = this.sendValue;
      this.sendError = undefined;
      this.sendValue = undefined;
      r = err !== undefined ? this.body.throw(err) : this.body.next(value);
    } catch (e) {
      // Nobody can handle a failure that nobody waits for: surface the model bug.
      if (!this.hasWaiters) throw e;
      this.sim.processEnded(this);
      this.fail(e);
      return;
    }
    if (r.done) {
      this.sim.processEnded(this);
      this.succeed(r.value);
      return;
    }
    const y = r.value;
    if (typeof y === 'number') {
      this.sim.schedule(y, stepProcess, this, 0);
    } else if (y instanceof SimEvent) {
      y.wait(this);
    } else {
      this.sendError = new TypeError(`process '${this.name}' yielded ${String(y)}: yield a delay in ps or a SimEvent`);
      this.sim.schedule(0, stepProcess, this, 0);
    }
  }
}

function stepProcess(p: Process<any>): void {
  p.step();
}

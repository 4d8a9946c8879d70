import type { Simulation } from './simulation.js';

export type Callback<T> = (ev: SimEvent<T>) => void;

/**
 * The one primitive everything composes from (as in SimPy): an event that is
 * triggered once, with a value or an error, and then runs its callbacks in
 * the scheduler's order. Timeouts, signals, process completion, resource
 * grants and all-of / any-of conditions are all SimEvents, so a process can
 * wait on any of them the same way.
 */
export class SimEvent<T = unknown> {
  value: T | undefined = undefined;
  error: unknown = undefined;
  /** Set when succeed/fail is called. */
  triggered = false;
  /** Set when callbacks have run (the scheduler reached the trigger). */
  processed = false;
  private callbacks: Callback<T>[] = [];

  constructor(readonly sim: Simulation) {}

  /** Whether anything waits for this event (a failure nobody waits for is a model bug). */
  get hasWaiters(): boolean {
    return this.callbacks.length > 0;
  }

  get ok(): boolean {
    return this.error === undefined;
  }

  succeed(value?: T): this {
    this.trigger();
    this.value = value;
    this.sim.schedule(0, processEvent, this, 0);
    return this;
  }

  fail(error: unknown): this {
    this.trigger();
    this.error = error ?? new Error('event failed');
    this.sim.schedule(0, processEvent, this, 0);
    return this;
  }

  /** Runs `cb` when the event is processed (at once, in scheduler order, if it already was). */
  then(cb: Callback<T>): void {
    if (this.processed) this.sim.schedule(0, runLateCallback, { ev: this, cb }, 0);
    else this.callbacks.push(cb);
  }

  private trigger(): void {
    if (this.triggered) throw new Error('event triggered twice');
    this.triggered = true;
  }

  /** @internal */
  runCallbacks(): void {
    this.processed = true;
    const cbs = this.callbacks;
    this.callbacks = [];
    for (let i = 0; i < cbs.length; i++) cbs[i]!(this);
  }
}

function processEvent(ev: SimEvent<any>): void {
  ev.runCallbacks();
}

function runLateCallback(x: { ev: SimEvent<any>; cb: Callback<any> }): void {
  x.cb(x.ev);
}

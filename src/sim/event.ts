import type { Simulation } from './simulation.js';

export type Callback<T> = (ev: SimEvent<T>) => void;

/**
 * What an event resumes when it is processed, besides a callback: a process
 * waiting on it (Process.resume), so a process needs no closure of its own.
 */
export interface Waiter {
  resume(ev: SimEvent<any>): void;
}

type Waiting<T> = Callback<T> | Waiter;

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
  /**
   * Who waits, in the order they began to: the first apart, the others in
   * `rest`, made only for a second (most events have one waiter: an array
   * for each, and a new one each time the waiters ran, were most of what a
   * process-driven run allocated).
   */
  private first: Waiting<T> | null = null;
  private rest: Waiting<T>[] | null = null;

  constructor(readonly sim: Simulation) {}

  /** Whether anything waits for this event (a failure nobody waits for is a model bug). */
  get hasWaiters(): boolean {
    return this.first !== null;
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
    this.wait(cb);
  }

  /** @internal then() for a callback or a Waiter (a process). */
  wait(w: Waiting<T>): void {
    if (this.processed) this.sim.schedule(0, runLate, { ev: this, w }, 0);
    else if (this.first === null) this.first = w;
    else if (this.rest === null) this.rest = [w];
    else this.rest.push(w);
  }

  private trigger(): void {
    if (this.triggered) throw new Error('event triggered twice');
    this.triggered = true;
  }

  /** @internal */
  runCallbacks(): void {
    this.processed = true;
    const first = this.first, rest = this.rest;
    this.first = null;
    this.rest = null;
    if (first !== null) resume(first, this);
    if (rest !== null) for (let i = 0; i < rest.length; i++) resume(rest[i]!, this);
  }
}

function resume<T>(w: Waiting<T>, ev: SimEvent<T>): void {
  if (typeof w === 'function') w(ev);
  else w.resume(ev);
}

function processEvent(ev: SimEvent<any>): void {
  ev.runCallbacks();
}

function runLate(x: { ev: SimEvent<any>; w: Waiting<any> }): void {
  resume(x.w, x.ev);
}

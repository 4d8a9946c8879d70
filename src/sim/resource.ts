import { SimEvent } from './event.js';
import { Fifo } from './fifo.js';
import type { ProcessBody } from './process.js';
import type { Simulation } from './simulation.js';
import type { Time } from './time.js';

/**
 * A counted resource with FIFO waiters: vCPUs, DMA tags, hypercall slots.
 * It keeps the time-integral of units in use, so utilisation comes for free.
 */
export class Resource {
  private inUse = 0;
  private readonly waiters = new Fifo<SimEvent<void>>();
  private busyIntegral = 0;
  private lastChange = 0;
  private readonly createdAt: Time;

  constructor(readonly sim: Simulation, readonly capacity: number, readonly name = 'resource') {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`${name}: capacity must be a positive integer, got ${capacity}`);
    this.createdAt = sim.now;
    this.lastChange = sim.now;
  }

  get used(): number {
    return this.inUse;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** An event that succeeds when one unit is granted to the caller. */
  request(): SimEvent<void> {
    const ev = new SimEvent<void>(this.sim);
    if (this.inUse < this.capacity) {
      this.account(1);
      ev.succeed();
    } else {
      this.waiters.push(ev);
    }
    return ev;
  }

  /** Returns one unit; the longest waiter gets it. */
  release(): void {
    if (this.inUse === 0) throw new Error(`${this.name}: release() without a matching request()`);
    const next = this.waiters.shift();
    if (next) next.succeed();
    else this.account(-1);
  }

  /** Holds one unit for `duration`: `yield* cpu.use(cost)`. */
  *use(duration: Time): ProcessBody<void> {
    yield this.request();
    try {
      yield duration;
    } finally {
      this.release();
    }
  }

  /** Mean fraction of capacity in use since creation. */
  utilization(): number {
    const span = this.sim.now - this.createdAt;
    if (span <= 0) return 0;
    const integral = this.busyIntegral + this.inUse * (this.sim.now - this.lastChange);
    return integral / (span * this.capacity);
  }

  private account(delta: number): void {
    this.busyIntegral += this.inUse * (this.sim.now - this.lastChange);
    this.lastChange = this.sim.now;
    this.inUse += delta;
  }
}

/** A bounded FIFO store of items (a queue between producer and consumer processes). */
export class Store<T> {
  private readonly items = new Fifo<T>();
  private readonly getters = new Fifo<SimEvent<T>>();
  private readonly putters = new Fifo<{ ev: SimEvent<void>; item: T }>();

  constructor(readonly sim: Simulation, readonly capacity = Infinity, readonly name = 'store') {
    if (!(capacity >= 1)) throw new RangeError(`${name}: capacity must be at least 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length;
  }

  /** Succeeds once the item is in the store (at once unless the store is full). */
  put(item: T): SimEvent<void> {
    const ev = new SimEvent<void>(this.sim);
    const getter = this.getters.shift();
    if (getter) {
      getter.succeed(item);
      ev.succeed();
    } else if (this.items.length < this.capacity) {
      this.items.push(item);
      ev.succeed();
    } else {
      this.putters.push({ ev, item });
    }
    return ev;
  }

  /** Puts without waiting; false (and nothing stored) when full. */
  tryPut(item: T): boolean {
    const getter = this.getters.shift();
    if (getter) { getter.succeed(item); return true; }
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Succeeds with the oldest item, waiting for one if the store is empty. */
  get(): SimEvent<T> {
    const ev = new SimEvent<T>(this.sim);
    if (this.items.length > 0) {
      ev.succeed(this.items.shift()!);
      const putter = this.putters.shift();
      if (putter) { this.items.push(putter.item); putter.ev.succeed(); }
    } else {
      this.getters.push(ev);
    }
    return ev;
  }
}

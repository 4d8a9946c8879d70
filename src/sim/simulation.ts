import { SimEvent } from './event.js';
import { EventQueue, type Handler } from './event-queue.js';
import { Fingerprint } from './fingerprint.js';
import { Process, type ProcessBody, type ProcessOptions } from './process.js';
import { RandomStream, streamKey } from './random.js';
import { MAX_TIME, TimeOverflowError, type Time } from './time.js';

export type { Handler } from './event-queue.js';

export interface SimulationOptions {
  /** The scenario seed; with the stream name and the replication it decides every random number. */
  seed?: number | string;
  replication?: number;
  /** Hash the executed (time, kind) sequence (see Fingerprint). Costs a map lookup per event. */
  fingerprint?: boolean;
  initialQueueCapacity?: number;
}

export interface RunOptions {
  /** Run events at times <= until, then leave the clock at `until`. */
  until?: Time;
  /** Checked after every event; the run stops when it returns true. */
  stopWhen?: () => boolean;
  /** Stop after this many events in this call. */
  maxEvents?: number;
}

export type StopReason = 'empty' | 'until' | 'stopped' | 'maxEvents';

export interface RunResult {
  reason: StopReason;
  now: Time;
  events: number;
}

/** An event id is its insertion sequence number. */
export type EventId = number;

/**
 * The discrete-event kernel. Hot packet paths schedule plain callbacks
 * (`schedule(delay, fn, target, arg)`); protocol flows run as generator
 * processes (`process(function* () {...})`). Both go through one queue
 * ordered by (time, insertion sequence).
 */
export class Simulation {
  now: Time = 0;
  readonly seed: number | string;
  readonly replication: number;
  private seq = 0;
  private readonly queue: EventQueue;
  private readonly cancelled = new Set<number>();
  private stopRequested = false;
  /** The latest time given to extendTo(). */
  private silentUntil = 0;
  private executed = 0;
  private readonly fp: Fingerprint | undefined;
  private readonly streams = new Map<string, RandomStream>();
  /**
   * Processes started and not yet returned, daemons aside, in start order:
   * a list through the processes' own links (a Set's add and delete, and its
   * table growing, cost a process-driven run more than its events did).
   */
  private oldestUnfinished: Process<any> | null = null;
  private newestUnfinished: Process<any> | null = null;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 0;
    this.replication = options.replication ?? 0;
    this.fp = options.fingerprint ? new Fingerprint() : undefined;
    this.queue = new EventQueue(options.initialQueueCapacity);
  }

  /** Events executed so far. */
  get eventCount(): number {
    return this.executed;
  }

  /** Events waiting in the queue, cancelled ones included until they surface. */
  get pending(): number {
    return this.queue.size;
  }

  /** Calls `fn(target, arg)` after `delay` picoseconds (a non-negative integer). */
  schedule<T>(delay: Time, fn: Handler<T>, target: T, arg = 0): EventId {
    const t = this.now + delay;
    if (!(delay >= 0 && t <= MAX_TIME && Math.floor(delay) === delay)) badDelay(this.now, delay);
    const id = this.seq++;
    // push() in two halves so the time is never boxed (see EventQueue.stageTime).
    this.queue.stageTime(t);
    this.queue.pushStaged(id, fn, target, arg);
    return id;
  }

  /** Calls `fn(target, arg)` at absolute time `time` (not in the past). */
  at<T>(time: Time, fn: Handler<T>, target: T, arg = 0): EventId {
    return this.schedule(time - this.now, fn, target, arg);
  }

  /** Cancels a pending event. Lazy: the entry stays queued and is skipped when it surfaces. */
  cancel(id: EventId): void {
    if (id >= 0 && id < this.seq) this.cancelled.add(id);
  }

  /**
   * Something happens at `t` (now or later) that no event marks: a model
   * did ahead, dated `t`, what an event then would have done (a root complex
   * hands a request to memory as it crosses). A run that empties the queue
   * ends no sooner than the latest such `t`, as it would have with the
   * events.
   */
  extendTo(t: Time): void {
    if (t > this.silentUntil) this.silentUntil = t;
  }

  /** Asks the running loop to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  run(options: RunOptions = {}): RunResult {
    const until = options.until ?? MAX_TIME;
    if (until < this.now) throw new RangeError(`run(until=${until}) is before the current time ${this.now}`);
    this.stopRequested = false;
    let n: number;
    let reason: StopReason;
    if (options.until === undefined && options.maxEvents === undefined && options.stopWhen === undefined && this.fp === undefined) {
      n = this.runToEnd();
      reason = this.stopRequested ? 'stopped' : 'empty';
    } else {
      const stopWhen = options.stopWhen;
      const maxEvents = options.maxEvents ?? Infinity;
      const q = this.queue, cancelled = this.cancelled, fp = this.fp;
      n = 0;
      reason = 'empty';
      // Pop first, then look at the time: peeking would complete the removal
      // that pop() defers (EventQueue.pop), which the next schedule() would
      // otherwise fold into its own sift. The one event past `until` goes back.
      while (q.size > 0) {
        if (n >= maxEvents) { reason = 'maxEvents'; break; }
        q.pop();
        if (q.outTime > until) { q.unpop(); reason = 'until'; break; }
        if (cancelled.size !== 0 && cancelled.delete(q.outSeq)) continue;
        const fn = q.outFn;
        this.now = q.outTime;
        if (fp !== undefined) fp.mix(this.now, fp.kindId(fn));
        n++;
        fn(q.outTarget, q.outArg);
        if (this.stopRequested || (stopWhen !== undefined && stopWhen())) { reason = 'stopped'; break; }
      }
      if (reason === 'until' || (reason === 'empty' && options.until !== undefined)) {
        this.now = until;
        reason = 'until';
      }
    }
    if (reason === 'empty' && this.silentUntil > this.now) this.now = this.silentUntil;
    this.executed += n;
    return { reason, now: this.now, events: n };
  }

  /**
   * The loop of a plain `run()`: no until, maxEvents, stopWhen or fingerprint,
   * so only emptiness, cancellation and stop() are checked per event. Kept
   * apart from the general loop in run() so neither pays for the other's
   * checks. PHOLD bench P=1: +1.5% (10.42 -> 10.58 M/s, best of 8).
   */
  private runToEnd(): number {
    const q = this.queue, cancelled = this.cancelled;
    let n = 0;
    while (q.size > 0) {
      q.pop();
      if (cancelled.size !== 0 && cancelled.delete(q.outSeq)) continue;
      const fn = q.outFn;
      this.now = q.outTime;
      n++;
      fn(q.outTarget, q.outArg);
      if (this.stopRequested) break;
    }
    return n;
  }

  /** The named random stream of this run (created on first use, then the same object). */
  rng(name: string): RandomStream {
    let r = this.streams.get(name);
    if (r === undefined) {
      r = new RandomStream(streamKey(this.seed, name, this.replication));
      this.streams.set(name, r);
    }
    return r;
  }

  /** Starts a generator process at the current time. */
  process<R>(body: ProcessBody<R>, name = 'process', options: ProcessOptions = {}): Process<R> {
    return new Process(this, body, name, options);
  }

  /** @internal Process's constructor: a process that is not a daemon has started. */
  processStarted(p: Process<any>): void {
    const newest = this.newestUnfinished;
    p.olderUnfinished = newest;
    if (newest === null) this.oldestUnfinished = p;
    else newest.newerUnfinished = p;
    this.newestUnfinished = p;
  }

  /** @internal Process.step: a process has returned (or failed); a daemon was never counted. */
  processEnded(p: Process<any>): void {
    // A daemon was never listed: it is neither an end of the list nor linked to a neighbour.
    if (p !== this.oldestUnfinished && p.olderUnfinished === null) return;
    const older = p.olderUnfinished, newer = p.newerUnfinished;
    if (older === null) this.oldestUnfinished = newer;
    else older.newerUnfinished = newer;
    if (newer === null) this.newestUnfinished = older;
    else newer.olderUnfinished = older;
    p.olderUnfinished = p.newerUnfinished = null;
  }

  /**
   * The names of the processes that have started and not returned, daemons
   * (ProcessOptions.daemon) aside, oldest first. After a run that ended
   * because nothing was left to happen, each of them waits for something
   * that can no longer come: a deadlock.
   */
  unfinishedProcesses(): string[] {
    const names: string[] = [];
    for (let p = this.oldestUnfinished; p !== null; p = p.newerUnfinished) names.push(p.name);
    return names;
  }

  /** A one-shot signal: someone calls succeed(value) and every waiter resumes. */
  signal<T = void>(): SimEvent<T> {
    return new SimEvent<T>(this);
  }

  /** An event that succeeds with `value` after `delay`. */
  timeout<T = void>(delay: Time, value?: T): SimEvent<T> {
    const ev = new SimEvent<T>(this);
    this.schedule(delay, fireTimeout, ev as SimEvent<unknown>, 0);
    if (value !== undefined) ev.value = value;
    return ev;
  }

  /** Succeeds with every value (in order) once all succeed; fails with the first failure. */
  allOf<T>(events: readonly SimEvent<T>[]): SimEvent<T[]> {
    const all = new SimEvent<T[]>(this);
    const values = new Array<T>(events.length);
    let left = events.length;
    if (left === 0) return all.succeed(values);
    events.forEach((ev, i) => ev.then((e) => {
      if (all.triggered) return;
      if (!e.ok) { all.fail(e.error); return; }
      values[i] = e.value as T;
      if (--left === 0) all.succeed(values);
    }));
    return all;
  }

  /** Succeeds with the index and value of the first event to succeed (fails if it failed). */
  anyOf<T>(events: readonly SimEvent<T>[]): SimEvent<{ index: number; value: T }> {
    const any = new SimEvent<{ index: number; value: T }>(this);
    if (events.length === 0) throw new RangeError('anyOf() of no events would never fire');
    events.forEach((ev, index) => ev.then((e) => {
      if (any.triggered) return;
      if (!e.ok) any.fail(e.error);
      else any.succeed({ index, value: e.value as T });
    }));
    return any;
  }

  /** Hash of the executed (time, kind) sequence; needs `fingerprint: true`. */
  fingerprint(): string {
    if (this.fp === undefined) throw new Error('this simulation was created without { fingerprint: true }');
    return this.fp.digest();
  }
}

function fireTimeout(ev: SimEvent<unknown>): void {
  ev.succeed(ev.value);
}

function badDelay(now: Time, delay: number): never {
  if (Number.isFinite(delay) && delay >= 0 && Math.floor(delay) === delay) throw new TimeOverflowError('event time', now + delay);
  throw new RangeError(`cannot schedule after ${delay} ps: a delay is a non-negative integer number of picoseconds (use the helpers in sim/time)`);
}

/**
 * Simulated time is an integer number of picoseconds held in a JS number.
 * Integers are exact up to 2^53 ps (about 2.5 simulated hours); anything past
 * that would silently lose precision, so it is an error instead.
 *
 * Every conversion from physical units to picoseconds happens in this file,
 * so rounding is done the same way everywhere.
 */

export type Time = number;

export const MAX_TIME: Time = Number.MAX_SAFE_INTEGER;

export class TimeOverflowError extends Error {
  constructor(what: string, value: number) {
    super(`simulated time overflow: ${what} = ${value} ps is past 2^53 ps (about 2.5 simulated hours); ` +
      `shorten the run or coarsen the model`);
    this.name = 'TimeOverflowError';
  }
}

/**
 * Math.round without its branch: V8 (Node 20, x64) compiles Math.round to a
 * compare-and-branch that a random fraction mispredicts half the time
 * (~6 ns a call); this costs ~2 ns. Equal to Math.round for every number,
 * except that it gives +0 where Math.round gives -0 (on [-0.5, -0]):
 * `value - f` is exact unless -1 < value < 0, where it may round, but
 * rounding is monotonic and 0.5 is a double, so the test against 0.5 is
 * still exact; ties go up, as in Math.round.
 */
export function roundHalfUp(value: number): number {
  const f = Math.floor(value);
  return f + +(value - f >= 0.5);
}

/** Rounds a duration in picoseconds to an integer and checks it is representable. */
export function toPs(value: number, what = 'duration'): Time {
  const t = roundHalfUp(value);
  if (!(t >= 0) || t > MAX_TIME) {
    if (Number.isNaN(value)) throw new RangeError(`${what} is NaN`);
    if (t < 0) throw new RangeError(`${what} is negative (${value} ps)`);
    throw new TimeOverflowError(what, value);
  }
  return t;
}

export const PS_PER_NS = 1e3;
export const PS_PER_US = 1e6;
export const PS_PER_MS = 1e9;
export const PS_PER_S = 1e12;

export const ps = (x: number): Time => toPs(x);
export const ns = (x: number): Time => toPs(x * PS_PER_NS);
export const us = (x: number): Time => toPs(x * PS_PER_US);
export const ms = (x: number): Time => toPs(x * PS_PER_MS);
export const s = (x: number): Time => toPs(x * PS_PER_S);

export const toNs = (t: Time): number => t / PS_PER_NS;
export const toUs = (t: Time): number => t / PS_PER_US;
export const toMs = (t: Time): number => t / PS_PER_MS;
export const toS = (t: Time): number => t / PS_PER_S;

/** A clock of a given frequency: models count cycles, the clock turns them into picoseconds. */
export interface Clock {
  readonly ghz: number;
  /** Period in picoseconds (not rounded: rounding happens once, on the total). */
  readonly periodPs: number;
  cycles(n: number): Time;
}

export function clock(ghz: number): Clock {
  if (!(ghz > 0) || !Number.isFinite(ghz)) throw new RangeError(`clock frequency must be a positive number of GHz, got ${ghz}`);
  const periodPs = 1e3 / ghz;
  return { ghz, periodPs, cycles: (n: number) => toPs(n * periodPs, `${n} cycles at ${ghz} GHz`) };
}

/**
 * Time to move `bytes` at `gbytesPerSecond` GB/s (decimal gigabytes), in picoseconds.
 * 1 GB/s moves one byte per nanosecond, i.e. 1000 ps per byte.
 */
export function transferTime(bytes: number, gbytesPerSecond: number): Time {
  if (!(gbytesPerSecond > 0)) throw new RangeError(`bandwidth must be positive, got ${gbytesPerSecond} GB/s`);
  return toPs((bytes * PS_PER_NS) / gbytesPerSecond, `${bytes} bytes at ${gbytesPerSecond} GB/s`);
}

/** Formats a time for humans: picks the unit that gives 1–999 before the point. */
export function formatTime(t: Time): string {
  const a = Math.abs(t);
  if (a >= PS_PER_S) return `${(t / PS_PER_S).toPrecision(4)} s`;
  if (a >= PS_PER_MS) return `${(t / PS_PER_MS).toPrecision(4)} ms`;
  if (a >= PS_PER_US) return `${(t / PS_PER_US).toPrecision(4)} µs`;
  if (a >= PS_PER_NS) return `${(t / PS_PER_NS).toPrecision(4)} ns`;
  return `${t} ps`;
}

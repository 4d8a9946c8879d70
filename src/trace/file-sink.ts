/**
 * Sequential writes to a file descriptor that let the simulation run while
 * the disk catches up.
 *
 * A large trace is disk-bound: writing it with `fs.writeSync` stalls the
 * simulation for every batch, and the two costs add up. The simulation loop
 * is synchronous, so async fs calls would never see their completions; instead
 * the bytes are copied into a ring of shared-memory slots that a worker
 * thread (file-sink-worker.ts) writes out in order, and the two overlap. The
 * simulation blocks only when every slot is still waiting for the disk, which
 * also bounds memory.
 *
 * Small outputs never pay for a thread: until `backgroundAfterBytes` have
 * been written, writes go straight to the file. Either way the file receives
 * the same bytes in the same order.
 */
import * as fs from 'node:fs';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';

/** Below this, a thread costs more than it saves (about eight 64Ki-row batches). */
export const DEFAULT_BACKGROUND_AFTER_BYTES = 32 * 1024 * 1024;
const SLOT_BYTES = 4 * 1024 * 1024;
const SLOTS = 4;

/** Control words (Int32, in shared memory) between the sink and its worker. */
export const CTL = {
  /** Slots handed to the worker so far. */
  submitted: 0,
  /** Slots the worker has finished with (written, or skipped after a failure or discard). */
  completed: 1,
  /** Bumped on every submission and on stop, so a waiting worker never misses either. */
  wake: 2,
  /** STOP_* below. */
  stop: 3,
  /** Non-zero once a write failed; the message arrives on the error port. */
  failed: 4,
  /** Byte length of each slot's contents, one word per slot. */
  lengths: 5,
} as const;
export const STOP_NONE = 0;
export const STOP_AFTER_PENDING = 1;
export const STOP_DISCARD = 2;

export interface FileSinkWorkerData {
  fd: number;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
  errors: MessagePort;
}

export class FileSink {
  private written = 0;
  private background: Background | null = null;

  constructor(private readonly fd: number, private readonly backgroundAfterBytes = DEFAULT_BACKGROUND_AFTER_BYTES) {}

  write(bytes: Uint8Array): void {
    if (this.background === null && this.written + bytes.byteLength > this.backgroundAfterBytes) {
      this.background = new Background(this.fd);
    }
    if (this.background === null) writeAll(this.fd, bytes);
    else this.background.write(bytes);
    this.written += bytes.byteLength;
  }

  /** Returns once every byte is in the file; throws if any write failed. */
  finish(): void {
    this.background?.stop(STOP_AFTER_PENDING);
  }

  /** Drops unwritten bytes; on return nothing will touch the descriptor again, so it may be closed. */
  discard(): void {
    this.background?.stop(STOP_DISCARD);
  }
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
}

class Background {
  private readonly control = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (CTL.lengths + SLOTS)));
  private readonly data = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  private readonly errors: MessagePort;
  private submitted = 0;
  /** Bytes in the slot being filled. */
  private fill = 0;
  private stopped = false;
  private failure: string | undefined;

  constructor(fd: number) {
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    const workerData: FileSinkWorkerData = { fd, control: this.control.buffer as SharedArrayBuffer, data: this.data.buffer as SharedArrayBuffer, slots: SLOTS, slotBytes: SLOT_BYTES, errors: port2 };
    const worker = new Worker(new URL('./file-sink-worker.js', import.meta.url), { workerData, transferList: [port2] });
    // The worker only ever waits on shared memory; it must not keep the process alive.
    worker.unref();
  }

  write(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.byteLength) {
      const n = Math.min(SLOT_BYTES - this.fill, bytes.byteLength - offset);
      this.data.set(bytes.subarray(offset, offset + n), this.slot() * SLOT_BYTES + this.fill);
      this.fill += n;
      offset += n;
      if (this.fill === SLOT_BYTES) this.submit();
    }
  }

  /** Ends the thread's work; on return it will not touch the descriptor again. Throws a write failure only when keeping the bytes. */
  stop(how: typeof STOP_AFTER_PENDING | typeof STOP_DISCARD): void {
    if (this.stopped) return;
    this.stopped = true;
    if (how === STOP_AFTER_PENDING) this.enqueue();
    Atomics.store(this.control, CTL.stop, how);
    this.wake();
    this.waitUntilPending(0);
    try {
      if (how === STOP_AFTER_PENDING) this.throwIfFailed();
    } finally {
      this.errors.close();
    }
  }

  private slot(): number {
    return this.submitted % SLOTS;
  }

  private submit(): void {
    this.throwIfFailed();
    this.enqueue();
    // The next slot is free once at most SLOTS - 1 submissions are still in flight.
    this.waitUntilPending(SLOTS - 1);
  }

  /** Hands the slot being filled to the worker. */
  private enqueue(): void {
    if (this.fill === 0) return;
    Atomics.store(this.control, CTL.lengths + this.slot(), this.fill);
    Atomics.store(this.control, CTL.submitted, ++this.submitted);
    this.wake();
    this.fill = 0;
  }

  private wake(): void {
    Atomics.add(this.control, CTL.wake, 1);
    Atomics.notify(this.control, CTL.wake);
  }

  private waitUntilPending(most: number): void {
    for (;;) {
      const completed = Atomics.load(this.control, CTL.completed);
      if (this.submitted - completed <= most) return;
      Atomics.wait(this.control, CTL.completed, completed);
    }
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.control, CTL.failed) === 0) return;
    this.failure ??= receiveMessageOnPort(this.errors)?.message as string | undefined;
    throw new Error(`trace: writing the file failed: ${this.failure ?? 'unknown error'}`);
  }
}

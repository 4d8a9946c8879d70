/**
 * The thread behind FileSink: writes submitted slots to the file, in order,
 * and marks each one completed so the simulation thread can refill it.
 * Everything it needs arrives in workerData; it talks back only through the
 * shared control words, plus one message if a write fails.
 */
import { workerData } from 'node:worker_threads';
import { CTL, type FileSinkWorkerData, STOP_DISCARD, STOP_NONE, writeAll } from './file-sink.js';

const { fd, control, data, slots, slotBytes, errors } = workerData as FileSinkWorkerData;
const ctl = new Int32Array(control);
const bytes = new Uint8Array(data);

let done = 0;
for (;;) {
  // Read `wake` before looking at the conditions, so a submission or stop that
  // lands in between changes it and the wait returns at once.
  const wake = Atomics.load(ctl, CTL.wake);
  if (Atomics.load(ctl, CTL.submitted) === done) {
    if (Atomics.load(ctl, CTL.stop) !== STOP_NONE) break;
    Atomics.wait(ctl, CTL.wake, wake);
    continue;
  }
  const slot = done % slots;
  // After a failure or a discard the remaining slots are skipped, but still completed, so nobody waits forever.
  if (Atomics.load(ctl, CTL.failed) === 0 && Atomics.load(ctl, CTL.stop) !== STOP_DISCARD) {
    try {
      writeAll(fd, bytes.subarray(slot * slotBytes, slot * slotBytes + Atomics.load(ctl, CTL.lengths + slot)));
    } catch (e) {
      errors.postMessage((e as Error).message);
      Atomics.store(ctl, CTL.failed, 1);
    }
  }
  Atomics.store(ctl, CTL.completed, ++done);
  Atomics.notify(ctl, CTL.completed);
}
errors.close();

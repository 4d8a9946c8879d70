/**
 * AheadLog (models/pcie/ahead-log.ts): which rows a reading at `now` leaves
 * out, and that the ring keeps every row still to come however many there are.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AheadLog } from '../../../models/pcie/ahead-log.js';

/** Pushes rows at times `times` (made at `now`), column 1 = the row's index; returns the log. */
function filled(times: number[], now: number, capacity = 4): AheadLog {
  const log = new AheadLog(2, capacity);
  times.forEach((t, i) => {
    const r = log.push(t, now); // before reading rows: a push may replace them
    log.rows[r + 1] = i;
  });
  return log;
}

test('after() counts the newest rows whose time is after now; newest(k) finds them, newest first', () => {
  const log = filled([10, 20, 20, 30], 0);
  assert.is(log.after(5), 4);
  assert.is(log.after(20), 1);
  assert.is(log.after(30), 0);
  assert.is(log.rows[log.newest(0) + 1], 3);
  assert.is(log.rows[log.newest(3) + 1], 0);
  // oldestAfter(now): the row a reading at now reports, the oldest still to come; -1 when none is.
  assert.is(log.rows[log.oldestAfter(5) + 1], 0);
  assert.is(log.rows[log.oldestAfter(10) + 1], 1, 'a row at now has happened');
  assert.is(log.rows[log.oldestAfter(25) + 1], 3);
  assert.is(log.oldestAfter(30), -1);
});

test('a full ring overwrites rows already past, and grows rather than lose one still to come', () => {
  // Made at 100: rows at 10..40 are past, so the ring of 4 keeps only the newest four.
  const past = filled([10, 20, 30, 40, 200, 300], 100);
  assert.is(past.rows.length, 8);
  assert.is(past.after(100), 2);
  assert.is(past.rows[past.newest(1) + 1], 4);
  // Made at 0: every row is still to come, so all six are kept, in order.
  const ahead = filled([10, 20, 30, 40, 50, 60], 0);
  assert.is(ahead.after(0), 6);
  for (let k = 0; k < 6; k++) assert.is(ahead.rows[ahead.newest(k) + 1], 5 - k);
  assert.is(ahead.after(35), 3);
});

test('refuses columns or a capacity it cannot use', () => {
  assert.throws(() => new AheadLog(0), /columns/);
  assert.throws(() => new AheadLog(2, 3), /power of two/);
});

test.run();

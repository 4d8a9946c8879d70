/**
 * RowQueue (models/pcie/tlp-queue.ts): rows come out in the order they went
 * in, across the ring's wrap and its growth.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RowQueue } from '../../../models/pcie/tlp-queue.js';

test('rows come out first in, first out, through wraps and growth, each with its own columns', () => {
  const q = new RowQueue(2, 2);
  let next = 0, out = 0;
  // Push three, take two, repeatedly: the ring wraps, then grows from 2 rows to 4 and 8.
  for (let round = 0; round < 5; round++) {
    for (let k = 0; k < 3; k++, next++) {
      const slot = q.push();
      q.set(slot, 0, next);
      q.set(slot, 1, -next);
    }
    for (let k = 0; k < q.size; k++) assert.is(q.at(k, 0), out + k);
    for (let k = 0; k < 2; k++, out++) {
      assert.is(q.head(0), out);
      assert.is(q.head(1), -out);
      q.shift();
    }
  }
  assert.is(q.size, next - out);
});

test('refuses columns or a capacity it cannot use', () => {
  assert.throws(() => new RowQueue(0), /columns/);
  assert.throws(() => new RowQueue(1, 6), /power of two/);
});

test.run();

/** The reservation's hazard detection: a read is torn exactly when a write overlaps it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DmaResv } from '../../models/dmabuf/dma-resv.js';

test('reads before, after and around writes', () => {
  const r = new DmaResv();
  const clean = r.beginRead();
  assert.is(r.endRead(clean), false, 'no write at all');
  r.beginWrite();
  const during = r.beginRead();
  r.endWrite();
  assert.is(r.endRead(during), true, 'started while a write was in progress');
  const after = r.beginRead();
  assert.is(r.endRead(after), false, 'after the fence signalled');
  const around = r.beginRead();
  r.beginWrite();
  r.endWrite();
  assert.is(r.endRead(around), true, 'a write began and ended inside the read');
  const two = r.beginRead();
  const one = r.beginRead();
  assert.is(r.endRead(one), false);
  r.beginWrite();
  assert.is(r.endRead(two), true, 'each reader judged on its own');
  r.endWrite();
  assert.throws(() => r.endWrite(), /never began/);
});

test.run();

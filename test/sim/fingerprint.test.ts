/**
 * The fingerprint's kind ids: 1, 2, 3, ... in order of first appearance,
 * however many kinds a run has (the first few are found by comparison, the
 * rest in a Map; the ids must not depend on which).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fingerprint } from '../../src/sim/fingerprint.js';

test('kind ids count from 1 in order of first appearance, past the compared few as before them', () => {
  const kinds = Array.from({ length: 30 }, (_, i) => () => i);
  const fp = new Fingerprint();
  // First appearances interleaved with repeats of earlier kinds.
  for (let i = 0; i < kinds.length; i++) {
    assert.is(fp.kindId(kinds[i]), i + 1);
    assert.is(fp.kindId(kinds[i >> 1]), (i >> 1) + 1);
  }
  for (let i = kinds.length - 1; i >= 0; i--) assert.is(fp.kindId(kinds[i]), i + 1);
  // Any value is a kind, compared by identity.
  assert.is(fp.kindId('x'), 31);
  assert.is(fp.kindId(kinds[3]), 4);
});

test('the digest is that of the (time, id) sequence', () => {
  const kinds = Array.from({ length: 12 }, (_, i) => ({ i }));
  const byKind = new Fingerprint(), byId = new Fingerprint();
  const ids = new Map<unknown, number>();
  for (let k = 0; k < 500; k++) {
    const kind = kinds[(k * 7) % kinds.length]!, time = k * 1_000_003 + 2 ** 33;
    if (!ids.has(kind)) ids.set(kind, ids.size + 1);
    byKind.mix(time, byKind.kindId(kind));
    byId.mix(time, ids.get(kind)!);
  }
  assert.is(byKind.digest(), byId.digest());
});

test.run();

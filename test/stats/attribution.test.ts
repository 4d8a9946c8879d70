import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Attribution } from '../../src/stats/index.js';

test('charges add up per component; the breakdown is sorted by name with exact fractions', () => {
  const a = new Attribution();
  a.charge('link', 1000).charge('dram', 500).charge('link', 1500).charge('iommu', 2000);
  assert.is(a.get('link'), 2500);
  assert.is(a.get('never charged'), 0);
  assert.is(a.total(), 5000);
  assert.equal(a.breakdown(), [
    { component: 'dram', ps: 500, fraction: 0.1 },
    { component: 'iommu', ps: 2000, fraction: 0.4 },
    { component: 'link', ps: 2500, fraction: 0.5 },
  ]);
});

test('order is by code unit, whatever the locale or the order of charges', () => {
  const a = new Attribution(), b = new Attribution();
  const names = ['ring', 'Ring', 'ring2', 'é', 'e', '_x', '10', '9'];
  names.forEach((n, i) => a.charge(n, i + 1));
  [...names].reverse().forEach((n) => b.charge(n, names.indexOf(n) + 1));
  const expected = ['10', '9', 'Ring', '_x', 'e', 'ring', 'ring2', 'é'];
  assert.equal(a.breakdown().map((r) => r.component), expected);
  assert.equal(b.breakdown(), a.breakdown());
  assert.is(JSON.stringify(b), JSON.stringify(a));
});

test('an empty or all-zero ledger has fraction 0, not NaN', () => {
  assert.equal(new Attribution().breakdown(), []);
  assert.is(new Attribution().total(), 0);
  assert.equal(new Attribution().charge('ring', 0).breakdown(), [{ component: 'ring', ps: 0, fraction: 0 }]);
});

test('a span charges the ledger at once and returns the transaction latency', () => {
  const a = new Attribution();
  const span = a.span();
  span.charge('hypercall', 300).charge('ring', 200);
  assert.is(span.elapsed, 500);
  assert.is(a.get('hypercall'), 300, 'time spent is in the ledger before the span ends');
  assert.is(a.transactions, 0);
  assert.is(span.end(), 500);
  assert.is(a.transactions, 1);
  assert.throws(() => span.charge('ring', 1), /after the span ended/);
  assert.throws(() => span.end(), /ended twice/);
  assert.is(a.get('ring'), 200);
  // Spans interleave, as concurrent transactions do.
  const s1 = a.span(), s2 = a.span();
  s1.charge('link', 10);
  s2.charge('link', 20);
  s1.charge('dram', 5);
  assert.equal([s1.end(), s2.end()], [15, 20]);
  assert.is(a.transactions, 3);
  assert.is(a.get('link'), 30);
});

test('perTransaction averages over ended spans; scale leaves the original alone', () => {
  const a = new Attribution();
  for (const [wait, service] of [[0, 100], [50, 100], [100, 400]]) a.span().charge('wait', wait!).charge('service', service!).end();
  const avg = a.perTransaction();
  assert.equal(avg.breakdown(), [
    { component: 'service', ps: 200, fraction: 0.8 },
    { component: 'wait', ps: 50, fraction: 0.2 },
  ]);
  assert.is(avg.transactions, 3);
  assert.is(a.get('service'), 600);
  assert.equal(a.scale(2).toJSON(), { transactions: 3, charges: [['service', 1200], ['wait', 300]] });
  assert.throws(() => new Attribution().charge('x', 1).perTransaction(), /no transaction/);
  assert.throws(() => a.scale(-1), /scale factor/);
  assert.throws(() => a.scale(Infinity), /scale factor/);
});

test('merge adds charges and transactions, in any order, to the same result', () => {
  const parts = [new Attribution(), new Attribution(), new Attribution()];
  parts[0]!.span().charge('link', 100).charge('switch', 40).end();
  parts[1]!.span().charge('dram', 70).end();
  parts[1]!.span().charge('link', 30).end();
  parts[2]!.charge('iommu', 9); // charged outside any span: time, but no transaction
  const forward = new Attribution().merge(parts[0]!).merge(parts[1]!).merge(parts[2]!);
  const backward = new Attribution().merge(parts[2]!).merge(parts[1]!).merge(parts[0]!);
  assert.equal(forward.toJSON(), { transactions: 3, charges: [['dram', 70], ['iommu', 9], ['link', 130], ['switch', 40]] });
  assert.is(JSON.stringify(backward), JSON.stringify(forward));
  assert.is(parts[0]!.get('link'), 100, 'merge does not change its argument');
});

test('toJSON / fromJSON round-trip, and corrupt JSON is refused', () => {
  const a = new Attribution();
  a.span().charge('ring', 250).charge('event-channel', 1000).end();
  const text = JSON.stringify(a);
  assert.is(text, '{"transactions":1,"charges":[["event-channel",1000],["ring",250]]}');
  const restored = Attribution.fromJSON(JSON.parse(text));
  assert.is(JSON.stringify(restored), text);
  assert.is(restored.transactions, 1);
  restored.span().charge('ring', 50).end();
  assert.is(restored.get('ring'), 300, 'a restored ledger keeps working');
  assert.throws(() => Attribution.fromJSON({ transactions: -1, charges: [] }), /transactions/);
  assert.throws(() => Attribution.fromJSON({ transactions: 0, charges: [['ring', -5]] }), />= 0/);
  assert.throws(() => Attribution.fromJSON({ transactions: 0, charges: [['ring', 1], ['ring', 2]] }), /listed twice/);
  assert.throws(() => Attribution.fromJSON({ transactions: 0, charges: [['ring']] as unknown as [string, number][] }), /\[component, ps\]/);
  assert.throws(() => Attribution.fromJSON({ transactions: 0 } as never), /charges must be an array/);
});

test('bad charges are refused', () => {
  const a = new Attribution();
  assert.throws(() => a.charge('ring', -1), />= 0/);
  assert.throws(() => a.charge('ring', NaN), />= 0/);
  assert.throws(() => a.charge('ring', Infinity), />= 0/);
  assert.throws(() => a.charge('', 1), /non-empty/);
  assert.equal(a.breakdown(), [], 'a refused charge leaves no trace');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { estimate, meanAttribution, metricSamples, pooledDistribution } from '../../src/report/replications.js';
import { run } from './fixtures.js';

const parameters = { size: 1 };

test('estimate: Student-t interval for n >= 2, the value alone for n = 1, nulls for none', () => {
  assert.equal(estimate([]), { n: 0, mean: null, halfWidth: null, low: null, high: null });
  assert.equal(estimate([7]), { n: 1, mean: 7, halfWidth: null, low: null, high: null });
  const e = estimate([10, 12, 14]);
  // t(0.975, 2) = 0.95 / sqrt(2 · 0.975 · 0.025), sd = 2, n = 3.
  const halfWidth = (0.95 / Math.sqrt(2 * 0.975 * 0.025)) * 2 / Math.sqrt(3);
  assert.is(e.n, 3);
  assert.is(e.mean, 12);
  assert.ok(Math.abs(e.halfWidth! - halfWidth) < 1e-9);
  assert.ok(Math.abs(e.low! - (12 - halfWidth)) < 1e-9 && Math.abs(e.high! - (12 + halfWidth)) < 1e-9);
  assert.equal(estimate([3, 3]), { n: 2, mean: 3, halfWidth: 0, low: 3, high: 3 });
});

test('samples leave out failed runs, nulls and non-finite values', () => {
  const runs = [
    run({ point: 0, replication: 0, parameters, metrics: { m: 1 } }),
    run({ point: 0, replication: 1, parameters, metrics: { m: null } }),
    run({ point: 0, replication: 2, parameters, metrics: { m: NaN } }),
    run({ point: 0, replication: 3, parameters }),
    run({ point: 0, replication: 4, parameters, metrics: { m: 5 } }),
  ];
  assert.equal(metricSamples(runs, 'm'), [1, 5]);
  assert.equal(metricSamples(runs, 'other'), []);
});

test('distributions pool by averaging values at shared fractions, else take the first replication', () => {
  const dist = (points: [number, number][]) => ({ d: { unit: 'ns', points } });
  const shared = [
    run({ point: 0, replication: 0, parameters, metrics: {}, distributions: dist([[0, 1], [0.5, 2], [1, 4]]) }),
    run({ point: 0, replication: 1, parameters, metrics: {}, distributions: dist([[0, 3], [0.5, 4], [1, 8]]) }),
    run({ point: 0, replication: 2, parameters }),
  ];
  assert.equal(pooledDistribution(shared, 'd'), [[0, 2], [0.5, 3], [1, 6]]);
  const differing = [
    run({ point: 0, replication: 0, parameters, metrics: {}, distributions: dist([[0, 1], [1, 4]]) }),
    run({ point: 0, replication: 1, parameters, metrics: {}, distributions: dist([[0, 3], [0.5, 4], [1, 8]]) }),
  ];
  assert.equal(pooledDistribution(differing, 'd'), [[0, 1], [1, 4]]);
  assert.is(pooledDistribution(shared, 'missing'), null);
});

test('attribution averages over attributing runs; a component a replication lacks counts as zero', () => {
  const runs = [
    run({ point: 0, replication: 0, parameters, metrics: {}, attribution: [['iommu', 10], ['link', 20]] }),
    run({ point: 0, replication: 1, parameters, metrics: {}, attribution: [['link', 40]] }),
    run({ point: 0, replication: 2, parameters }),
  ];
  assert.equal(meanAttribution(runs), [['iommu', 5], ['link', 30]]);
  assert.equal(meanAttribution([runs[2]!]), []);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Histogram, CDF_FRACTIONS, DEFAULT_RELATIVE_ACCURACY } from '../../src/stats/index.js';
import { exactQuantile, mulberry32 } from './prng.js';

/** Floating-point slack on the relative bound: log/exp rounding near bucket edges, not sketch error. */
const ROUNDING_SLACK = 1e-9;
const SAMPLES = 20_000;

type Generator = (random: () => number) => number;
const distributions: Record<string, Generator> = {
  // Latencies in integer ps from 1 ns to 10 ms, spread evenly over the decades.
  'log-uniform integer ps': (r) => Math.round(10 ** (3 + 7 * r())),
  'exponential, mean 500 ns': (r) => -500_000 * Math.log(1 - r()),
  // Heavy tail, as queueing behind a congested switch port produces.
  'pareto alpha 1.2': (r) => 1000 / (1 - r()) ** (1 / 1.2),
  // Bimodal: an IOTLB hit at ~200 ns or a page walk at ~2 us.
  'bimodal hit/miss': (r) => (r() < 0.9 ? 200_000 : 2_000_000) + Math.floor(r() * 1000),
};

function quantileGrid(): number[] {
  const qs: number[] = [];
  for (let k = 0; k <= 1000; k++) qs.push(k / 1000);
  qs.push(0.9995, 0.9999);
  return qs;
}

for (const [name, draw] of Object.entries(distributions)) {
  for (const a of [DEFAULT_RELATIVE_ACCURACY, 0.05, 0.001]) {
    test(`quantiles within relative accuracy ${a}: ${name}`, () => {
      const random = mulberry32(0xC0FFEE);
      const h = new Histogram({ relativeAccuracy: a });
      const values: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const x = draw(random);
        values.push(x);
        h.add(x);
      }
      assert.is(h.relativeAccuracy, a);
      values.sort((x, y) => x - y);
      let worst = 0;
      for (const q of quantileGrid()) {
        const exact = exactQuantile(values, q);
        const err = Math.abs(h.quantile(q) - exact) / exact;
        if (err > worst) worst = err;
        assert.ok(err <= a * (1 + ROUNDING_SLACK), `q=${q}: got ${h.quantile(q)}, exact ${exact}, error ${err} > ${a}`);
      }
      // The bound is tight, not vacuous: the sketch does use most of its error budget somewhere.
      assert.ok(worst > a / 4, `worst error ${worst} suspiciously small for a=${a}`);
    });
  }
}

test('count, sum, mean, min and max are exact', () => {
  const h = new Histogram();
  const random = mulberry32(7);
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < 5000; i++) {
    const x = 1 + Math.floor(random() * 1e6);
    const c = 1 + (i % 3);
    h.add(x, c);
    sum += x * c;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  let expectedCount = 0;
  for (let i = 0; i < 5000; i++) expectedCount += 1 + (i % 3);
  assert.is(h.count, expectedCount);
  assert.is(h.sum, sum);
  assert.is(h.mean, sum / expectedCount);
  assert.is(h.min, min);
  assert.is(h.max, max);
  assert.is(h.quantile(0), min);
  assert.is(h.quantile(1), max);
});

test('zero and values below minValue go to an exact zero bucket', () => {
  const h = new Histogram({ minValue: 1 });
  for (let i = 0; i < 30; i++) h.add(0);
  h.add(0.25, 10); // below minValue: counted as zero
  for (let i = 0; i < 60; i++) h.add(1000);
  assert.is(h.count, 100);
  assert.is(h.min, 0);
  assert.is(h.sum, 2.5 + 60_000);
  assert.is(h.quantile(0.3), 0);
  assert.is(h.quantile(0.39), 0); // rank floor(0.39·99) = 38 < 40 values in the zero bucket
  assert.ok(Math.abs(h.quantile(0.5) - 1000) <= 1000 * h.relativeAccuracy);
  const cdf = h.cdf();
  assert.equal(cdf[0], { value: 0, fraction: 0.4 });
  assert.is(cdf[cdf.length - 1]!.fraction, 1);
});

test('a histogram holding only sub-minimum values reports within [min, max]', () => {
  const h = new Histogram();
  h.add(1e-12).add(3e-12);
  assert.is(h.quantile(0.5), 1e-12); // zero bucket reports 0, clamped up to the exact min
  assert.ok(h.quantile(0.5) >= h.min && h.quantile(0.5) <= h.max);
});

test('quantiles() gives p50, p90, p99, p999', () => {
  const h = new Histogram();
  for (let i = 1; i <= 10_000; i++) h.add(i);
  const q = h.quantiles();
  assert.equal(Object.keys(q), ['p50', 'p90', 'p99', 'p999']);
  assert.is(q.p50, h.quantile(0.5));
  assert.is(q.p999, h.quantile(0.999));
  for (const [key, exact] of [['p50', 5000], ['p90', 9000], ['p99', 9900], ['p999', 9990]] as const) {
    assert.ok(Math.abs(q[key] - exact) / exact <= 0.01 * (1 + ROUNDING_SLACK), `${key}=${q[key]} vs ${exact}`);
  }
});

test('merge equals adding everything to one histogram', () => {
  const random = mulberry32(42);
  const all = new Histogram();
  const parts = [new Histogram(), new Histogram(), new Histogram()];
  for (let i = 0; i < 30_000; i++) {
    // Integer values, so sums are exact in any order and the JSON must match byte for byte.
    const x = i % 17 === 0 ? 0 : Math.floor(10 ** (2 + 8 * random()));
    all.add(x);
    // Uneven split: part 2 only sees large values, so merging must grow the store on both sides.
    parts[x > 1e8 ? 2 : i % 2]!.add(x);
  }
  const merged = new Histogram().merge(parts[1]!).merge(parts[2]!).merge(parts[0]!).merge(new Histogram());
  assert.is(JSON.stringify(merged), JSON.stringify(all));
  for (const q of quantileGrid()) assert.is(merged.quantile(q), all.quantile(q));
});

test('a few values repeating count as the same values in any order, across merges that move the store', () => {
  // add()'s shortcut for the values added lately keeps their slots in the store; a merge of values far
  // outside it reallocates the store and moves every slot, so their next adds must not use the old ones.
  const random = mulberry32(7);
  const inOrder = new Histogram(), all: number[] = [];
  let run = 1000;
  for (let i = 0; i < 4000; i++) {
    if (random() < 0.05) run = Math.floor(10 ** (1 + 9 * random()));
    const x = random() < 0.01 ? 0 : run + (i % 3);
    inOrder.add(x).add(x);
    all.push(x, x);
    if (random() < 0.02) {
      const far = Math.floor(10 ** (12 * random()));
      inOrder.merge(new Histogram().add(far));
      all.push(far);
    }
  }
  const sorted = new Histogram();
  for (const x of all.sort((a, b) => a - b)) sorted.add(x);
  assert.is(JSON.stringify(inOrder), JSON.stringify(sorted));
  assert.is(inOrder.count, all.length);
});

test('merge refuses histograms with different accuracy', () => {
  assert.throws(() => new Histogram({ relativeAccuracy: 0.01 }).merge(new Histogram({ relativeAccuracy: 0.02 })), /different settings/);
  assert.throws(() => new Histogram({ minValue: 1 }).merge(new Histogram({ minValue: 2 })), /different settings/);
});

test('memory is bounded by the value range, not the sample count', () => {
  const random = mulberry32(3);
  const h = new Histogram();
  const range = 1e3; // values in [1e3, 1e6]
  for (let i = 0; i < 10_000; i++) h.add(1e3 * range ** random());
  const afterTenThousand = h.storageSize;
  for (let i = 0; i < 1_000_000; i++) h.add(1e3 * range ** random());
  assert.is(h.storageSize, afterTenThousand);
  // Values spanning a ratio r touch at most log_gamma(r) + 2 buckets; the documented bound is 1.5 per bucket + 64.
  const bucketsSpanned = Math.log(range) / Math.log(h.gamma) + 2;
  assert.ok(h.storageSize <= 1.5 * bucketsSpanned + 64, `storage ${h.storageSize} for ${bucketsSpanned} buckets`);
  // Even the whole double range, from minValue to the largest double, stays within the same bound (a few MB).
  const wide = new Histogram().add(1e-9).add(Number.MAX_VALUE);
  const wideBuckets = Math.log(Number.MAX_VALUE / 1e-9) / Math.log(wide.gamma) + 2;
  assert.ok(wide.storageSize <= 1.5 * wideBuckets + 64, `wide storage ${wide.storageSize} for ${wideBuckets} buckets`);
  assert.is(wide.quantile(1), Number.MAX_VALUE);
});

test('a steadily widening range reallocates the store only geometrically often', () => {
  // Worst case for growth: every value is a new maximum. Each reallocation leaves at least
  // max(32, B/4) free slots on the growing side (B = buckets in use), so from 1 to 1e6
  // (about 13,800 buckets at the default 0.1%) it takes at most 4 steps of 32 and then log_1.25(13,800 / 128) < 21.
  const h = new Histogram();
  let reallocations = 0, size = h.storageSize;
  for (let x = 1; x <= 1e6; x++) {
    h.add(x);
    if (h.storageSize !== size) { reallocations++; size = h.storageSize; }
  }
  assert.ok(reallocations <= 1 + 4 + 21, `${reallocations} reallocations`);
  assert.ok(h.storageSize <= 1.5 * (Math.log(1e6) / Math.log(h.gamma) + 2) + 64, `storage ${h.storageSize}`);
});

test('cdfPoints() gives ascending [fraction, value] pairs at the standard ladder', () => {
  assert.equal([...CDF_FRACTIONS], [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1]);
  const random = mulberry32(21);
  const h = new Histogram();
  const values: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const x = 1 + Math.floor(-1e6 * Math.log(1 - random()));
    values.push(x);
    h.add(x);
  }
  values.sort((x, y) => x - y);
  const points = h.cdfPoints();
  assert.equal(points.map(([f]) => f), [...CDF_FRACTIONS]);
  for (let k = 1; k < points.length; k++) assert.ok(points[k]![1] >= points[k - 1]![1], 'values never descend');
  assert.equal(points[0], [0, values[0]]);
  assert.equal(points[points.length - 1], [1, values[values.length - 1]]);
  for (const [f, v] of points) {
    const exact = exactQuantile(values, f);
    assert.ok(Math.abs(v - exact) <= h.relativeAccuracy * exact * (1 + ROUNDING_SLACK), `F⁻¹(${f}) = ${v}, exact ${exact}`);
  }
  // A custom ladder; and the ladder must ascend within [0, 1].
  assert.equal(h.cdfPoints([0.5, 1]), [[0.5, h.quantile(0.5)], [1, h.max]]);
  assert.throws(() => h.cdfPoints([0.5, 0.5]), /ascend/);
  assert.throws(() => h.cdfPoints([0, 1.5]), /ascend/);
  assert.equal(new Histogram().cdfPoints(), []);
});

test('cdf() gives one point per value when clamping makes buckets coincide', () => {
  // With minValue 1 and a = 0.5 (gamma = 3), 1 lands in bucket 0, reported as 2·3⁰/4 = 0.5: below the
  // exact min 0.75, so it clamps to 0.75, the same value as the zero bucket (0 clamped up to 0.75).
  const h = new Histogram({ relativeAccuracy: 0.5, minValue: 1 });
  // 2.5 lands in bucket ceil(log₃ 2.5) = 1, reported as 2·3¹/4 = 1.5.
  h.add(0.75).add(1).add(1).add(2.5);
  const cdf = h.cdf();
  assert.is(cdf.length, 2);
  assert.equal(cdf[0], { value: 0.75, fraction: 0.75 });
  assert.ok(Math.abs(cdf[1]!.value - 1.5) < 1e-12, `${cdf[1]!.value}`); // computed through exp(): last-bit rounding
  assert.is(cdf[1]!.fraction, 1);
});

test('cdf() is a monotone step function ending at 1', () => {
  const random = mulberry32(11);
  const h = new Histogram();
  for (let i = 0; i < 10_000; i++) h.add(Math.floor(-1e6 * Math.log(1 - random())));
  const cdf = h.cdf();
  assert.ok(cdf.length > 10);
  for (let i = 1; i < cdf.length; i++) {
    assert.ok(cdf[i]!.value > cdf[i - 1]!.value, 'values ascend');
    assert.ok(cdf[i]!.fraction > cdf[i - 1]!.fraction, 'fractions ascend');
  }
  assert.is(cdf[cdf.length - 1]!.fraction, 1);
  assert.ok(cdf[0]!.value >= h.min && cdf[cdf.length - 1]!.value <= h.max);
  assert.equal(new Histogram().cdf(), []);
});

test('cdf(points) brackets the exact CDF within the relative accuracy', () => {
  const random = mulberry32(12);
  const h = new Histogram();
  const values: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const x = 1 + Math.floor(-1e6 * Math.log(1 - random()));
    values.push(x);
    h.add(x);
  }
  values.sort((x, y) => x - y);
  const fractionAtOrBelow = (v: number) => values.filter((x) => x <= v).length / values.length;
  const a = h.relativeAccuracy;
  const points = [0, 1, 10, 1e3, 1e4, 1e5, 3e5, 1e6, 2e6, 5e6, 1e7, 1e9];
  const cdf = h.cdf(points);
  assert.equal(cdf.map((p) => p.value), points);
  for (const { value, fraction } of cdf) {
    const lower = fractionAtOrBelow(value / (1 + a) * (1 - ROUNDING_SLACK));
    const upper = fractionAtOrBelow(value / (1 - a) * (1 + ROUNDING_SLACK));
    assert.ok(fraction >= lower && fraction <= upper, `F(${value}) = ${fraction} outside [${lower}, ${upper}]`);
  }
  assert.is(cdf[0]!.fraction, 0);
  assert.is(cdf[cdf.length - 1]!.fraction, 1);
  assert.ok(Number.isNaN(new Histogram().cdf([1])[0]!.fraction));
});

test('toJSON is deterministic and fromJSON restores the histogram', () => {
  const random = mulberry32(99);
  const values: number[] = [];
  for (let i = 0; i < 5000; i++) values.push(Math.floor(10 ** (1 + 6 * random())));
  values.push(0, 0);
  const forward = new Histogram(), backward = new Histogram();
  for (const x of values) forward.add(x);
  for (let i = values.length - 1; i >= 0; i--) backward.add(values[i]!);
  const text = JSON.stringify(forward);
  assert.is(JSON.stringify(backward), text, 'insertion order must not change the output');
  const restored = Histogram.fromJSON(JSON.parse(text));
  assert.is(JSON.stringify(restored), text);
  for (const q of quantileGrid()) assert.is(restored.quantile(q), forward.quantile(q));
  assert.is(restored.count, forward.count);
  assert.is(restored.min, forward.min);
  // A restored histogram keeps working.
  restored.add(1e9);
  assert.is(restored.max, 1e9);
});

test('empty histogram: NaN statistics, null in JSON, round-trips', () => {
  const h = new Histogram();
  assert.is(h.count, 0);
  assert.ok(Number.isNaN(h.mean) && Number.isNaN(h.min) && Number.isNaN(h.max) && Number.isNaN(h.quantile(0.5)));
  const json = h.toJSON();
  assert.is(json.min, null);
  assert.equal(json.counts, []);
  assert.is(JSON.stringify(Histogram.fromJSON(json)), JSON.stringify(json));
});

test('fromJSON rejects counts that do not add up', () => {
  const json = new Histogram().add(5).add(50).toJSON();
  assert.throws(() => Histogram.fromJSON({ ...json, count: 3 }), /count 3/);
  assert.throws(() => Histogram.fromJSON({ ...json, counts: [-1] }), /non-negative/);
});

test('bad input is refused', () => {
  const h = new Histogram();
  assert.throws(() => h.add(-1), /finite and >= 0/);
  assert.throws(() => h.add(NaN), /finite and >= 0/);
  assert.throws(() => h.add(Infinity), /finite and >= 0/);
  assert.throws(() => h.add(1, 1.5), /non-negative integer/);
  assert.throws(() => h.quantile(1.01), /\[0, 1\]/);
  assert.throws(() => new Histogram({ relativeAccuracy: 0 }), /relativeAccuracy/);
  assert.throws(() => new Histogram({ relativeAccuracy: 1 }), /relativeAccuracy/);
  assert.throws(() => new Histogram({ minValue: 0 }), /minValue/);
});

test.run();

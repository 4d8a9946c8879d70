import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import { Simulation, PS_PER_US, RandomStream } from '../../src/sim/index.js';

const draw = (sim: Simulation, name: string, n = 5) => Array.from({ length: n }, () => sim.rng(name).random());

test('a stream is reproducible from (seed, name, replication)', () => {
  assert.equal(draw(new Simulation({ seed: 7 }), 'xen/hypercall-jitter'), draw(new Simulation({ seed: 7 }), 'xen/hypercall-jitter'));
});

test('streams differ by seed, by name and by replication', () => {
  const base = draw(new Simulation({ seed: 7 }), 'a');
  assert.not.equal(base, draw(new Simulation({ seed: 8 }), 'a'));
  assert.not.equal(base, draw(new Simulation({ seed: 7 }), 'b'));
  assert.not.equal(base, draw(new Simulation({ seed: 7, replication: 1 }), 'a'));
});

test('drawing from one stream never changes another', () => {
  const s1 = new Simulation({ seed: 3 });
  const s2 = new Simulation({ seed: 3 });
  draw(s1, 'noise', 1000);
  assert.equal(draw(s1, 'signal'), draw(s2, 'signal'));
});

test('a stream draws exactly the numbers of seedrandom.alea with the same key, so no result changed when the step moved inline', () => {
  // Keys as the kernel makes them (numeric and string seeds, names, replications) and odd ones (empty, non-ASCII,
  // long); for each, 20,000 draws in a row.
  const keys = ['', 'x', 'é∂ß', 'k'.repeat(300)];
  for (let i = 0; i < 60; i++) keys.push(`pciesim|${i % 3 === 0 ? i * 7919 : `seed-${i}`}|${['phold', 'xen/hypercall-jitter', 'a'][i % 3]}|${i % 4}`);
  for (const key of keys) {
    const ours = new RandomStream(key), theirs = seedrandom.alea(key);
    for (let j = 0; j < 20_000; j++) {
      const a = ours.random(), b = theirs();
      if (!Object.is(a, b)) assert.unreachable(`key ${JSON.stringify(key)}, draw ${j}: ${a} vs ${b}`);
    }
  }
  // The derived draws read the same numbers: one more stream through every distribution.
  const r = new RandomStream('pciesim|1|dist|0'), u = seedrandom.alea('pciesim|1|dist|0');
  assert.is(r.uniform(2, 4), 2 + 2 * u());
  assert.is(r.int(1, 6), 1 + Math.floor(6 * u()));
  assert.is(r.exponential(5), -5 * Math.log(1 - u()));
  assert.is(r.choice(['x', 'y', 'z']), ['x', 'y', 'z'][Math.floor(3 * u())]);
});

test('distributions have the right ranges and means', () => {
  const r = new Simulation({ seed: 1 }).rng('dist');
  const n = 200_000;
  let sumU = 0, sumE = 0, sumN = 0, minN = Infinity, maxN = -Infinity, sumL = 0;
  const ints = new Set<number>();
  for (let i = 0; i < n; i++) {
    const u = r.uniform(2, 4); assert.ok(u >= 2 && u < 4); sumU += u;
    const k = r.int(1, 6); ints.add(k);
    sumE += r.exponential(5);
    const x = r.normal(10, 2, 7, 13); minN = Math.min(minN, x); maxN = Math.max(maxN, x); sumN += x;
    sumL += r.lognormalMeanCv(3, 0.5);
  }
  assert.equal([...ints].sort(), [1, 2, 3, 4, 5, 6]);
  assert.ok(Math.abs(sumU / n - 3) < 0.01);
  assert.ok(Math.abs(sumE / n - 5) < 0.05);
  assert.ok(minN >= 7 && maxN <= 13, 'normal is clamped');
  assert.ok(Math.abs(sumN / n - 10) < 0.02);
  assert.ok(Math.abs(sumL / n - 3) < 0.03);
  const picks = new Set(Array.from({ length: 100 }, () => r.choice(['x', 'y', 'z'])));
  assert.is(picks.size, 3);
});

test('fingerprint: the same run gives the same hash; a different order does not', () => {
  const phold = (seed: number, swap = false) => {
    const sim = new Simulation({ seed, fingerprint: true });
    const rng = sim.rng('phold');
    let left = 20_000;
    const a = (_: null, lp: number) => { if (--left > 0) sim.schedule(Math.round(rng.exponential(PS_PER_US)), lp % 2 ? a : b, null, rng.int(0, 99)); };
    const b = (_: null, lp: number) => a(null, lp + 1);
    for (let i = 0; i < 100; i++) sim.schedule(Math.round(rng.exponential(PS_PER_US)), swap && i === 0 ? b : a, null, i);
    sim.run();
    return sim.fingerprint();
  };
  assert.is(phold(1), phold(1));
  assert.is.not(phold(1), phold(2));
  assert.is.not(phold(1), phold(1, true));
  assert.match(phold(1), /^[0-9a-f]{16}$/);
});

test.run();

/**
 * The demo study's reading from queueing theory, not from the model: tags
 * are the servers of an M/G/c station, a read's round trip the service
 * (demo-read-tags preset: mean 550 ns, cv 0.1). Saturated, c tags complete
 * c / 550 ns reads (16 tags: 29.1 a µs); lightly loaded, every read finds a
 * free tag, so a read takes its round trip, throughput is the offered load
 * and the tags busy are load × round trip / c (Little's law).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { near, runStudy, studyBody } from './study.js';

const ROUND_TRIP_US = 0.55, CV = 0.1, REQUESTS = 20_000;

test('16 tags at twice their capacity complete 16 / 550 ns = 29.1 reads a µs', () => {
  // Counted from the first arrival (no warm-up), so the backlog built before a warm-up ends does not count against the span.
  const body = studyBody('demo-read-tags');
  delete body.run.warmup;
  const { m } = runStudy('demo-read-tags', { tags: 16, load: 60, requests: REQUESTS }, { body });
  // The mean of 20,000 round trips with cv 0.1 is within 3 × 0.1 / √20,000 = 0.2 % of 550 ns; the first
  // tags' wait for the first arrivals (16 arrivals at 60 a µs: 0.27 µs of a 690 µs run) another 0.04 %.
  near(m['reads.throughput_per_us'], 16 / ROUND_TRIP_US, 0.005, 'saturated throughput');
  assert.ok(m['reads.utilization'] > 0.995, `tags busy ${m['reads.utilization']}`);
});

test('64 tags at 5 reads a µs: no read waits, a read takes its round trip, Little\'s law gives the tags busy', () => {
  const { m } = runStudy('demo-read-tags', { tags: 64, load: 5, requests: REQUESTS });
  // 2.75 tags busy on average of 64: the chance all 64 are busy (Erlang C) is below 1e-40.
  assert.is(m['reads.wait_ns'].max, 0);
  // Sample mean of ~20,000 lognormal round trips: 3σ = 3 × 0.1 × 550 / √20,000 = 1.2 ns.
  const sigmaNs = CV * ROUND_TRIP_US * 1000 / Math.sqrt(m['reads.completed']);
  assert.ok(Math.abs(m['reads.sojourn_ns'].mean - ROUND_TRIP_US * 1000) < 3 * sigmaNs, `mean ${m['reads.sojourn_ns'].mean} ns`);
  // Poisson arrivals: the span of n arrivals has relative spread 1/√n = 0.7 %; 3σ = 2.1 %.
  const poisson = 3 / Math.sqrt(m['reads.completed']);
  near(m['reads.throughput_per_us'], 5, poisson, 'throughput');
  near(m['reads.utilization'], 5 * ROUND_TRIP_US / 64, poisson + 3 * CV / Math.sqrt(m['reads.completed']), 'tags busy');
});

test.run();

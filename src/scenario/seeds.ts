import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import type { Scalar } from './schema.js';

/** Seeds are kept below 2^48 so they stay exact integers in JS and in Arrow's Float64/Int64 columns. */
const SEED_HEX_DIGITS = 12;

/**
 * A sweep run's seed: a hash of (scenario seed, every parameter value,
 * replication). It does not depend on which worker, shard or position ran
 * it, so any split of a sweep gives the same numbers.
 */
export function deriveRunSeed(scenarioSeed: number, parameters: Record<string, Scalar>, replication: number): number {
  return parseInt(sha256Hex(canonicalJson({ parameters, replication, seed: scenarioSeed })).slice(0, SEED_HEX_DIGITS), 16);
}

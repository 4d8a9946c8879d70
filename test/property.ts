/**
 * fast-check, configured for this suite: a fixed seed, so a property test
 * draws the same cases on every run and machine (the suite stays
 * deterministic; a failure names the seed and the shrunk case to replay).
 * PCIESIM_PROPERTY_SEED explores other cases by hand.
 */
import fc from 'fast-check';

const SEED = Number(process.env.PCIESIM_PROPERTY_SEED ?? 20181210);

/** Asserts `property` on `numRuns` generated cases (fixed seed); throws the shrunk counterexample. */
export function holds<T>(property: fc.IProperty<T>, numRuns = 200): void {
  fc.assert(property, { seed: SEED, numRuns });
}

export { fc };

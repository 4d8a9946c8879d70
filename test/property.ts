/**
 * fast-check, configured for this suite: a fixed seed, so a property test
 * draws the same cases on every run and machine (the suite stays
 * deterministic; a failure names the seed and the shrunk case to replay).
 * PCIESIM_PROPERTY_SEED explores other cases by hand.
 */
import fc from 'fast-check';

const SEED = Number(process.env.PCIESIM_PROPERTY_SEED ?? 20181210);
// fast-check's default size caps every generated array at 10 items whatever its maxLength; histories need to be
// long enough to fill caches and exhaust tables, so the maxLength each test gives is the bound.
fc.configureGlobal({ baseSize: 'large' });

/** Asserts `property` on `numRuns` generated cases (fixed seed); throws the shrunk counterexample. */
export function holds<T>(property: fc.IProperty<T>, numRuns = 200): void {
  fc.assert(property, { seed: SEED, numRuns });
}

export { fc };

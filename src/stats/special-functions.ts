/**
 * The special functions the Student t distribution needs: log-gamma and the
 * regularized incomplete beta function. Written here rather than taken from a
 * package so that every machine computes the same digits (no dependency
 * version can change a confidence interval in a committed report).
 */

/**
 * Lanczos approximation, g = 7, nine coefficients (the widely published set,
 * e.g. Press et al. / Godfrey): relative error below 1e-15 for x >= 0.5.
 */
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, got ${x}`);
  // Reflection Γ(x)Γ(1−x) = π / sin(πx) keeps the Lanczos sum in the range where it is accurate.
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS_COEFFICIENTS[0];
  for (let k = 1; k < LANCZOS_COEFFICIENTS.length; k++) series += LANCZOS_COEFFICIENTS[k]! / (z + k);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** Continued-fraction terms stop once they change the result by less than this (about machine epsilon). */
const CONTINUED_FRACTION_EPSILON = 1e-16;
/** Lentz's method converges in O(sqrt(max(a, b))) terms; this is far beyond what df <= 1e6 needs. */
const CONTINUED_FRACTION_MAX_TERMS = 10_000;
/** Stand-in for zero in Lentz's method, so a zero denominator cannot divide by zero. */
const LENTZ_TINY = 1e-300;

/**
 * The regularized incomplete beta function I_x(a, b).
 *
 * `xc` is 1 − x; callers that know it more accurately than `1 - x` (for the
 * t distribution, t²/(df + t²) when x = df/(df + t²) is near 1) pass it, so
 * the tail probability keeps its relative precision.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number, xc = 1 - x): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs x in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (xc === 0) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(xc);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only for x < (a + 1)/(a + b + 2); past that, use the symmetry
  // I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(xc, b, a)) / b;
}

/** The continued fraction for I_x(a, b), evaluated by the modified Lentz method (Press et al., §6.4). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CONTINUED_FRACTION_MAX_TERMS; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + aa / c; if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d; if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + aa / c; if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < CONTINUED_FRACTION_EPSILON) return h;
  }
  throw new Error(`incomplete beta continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}

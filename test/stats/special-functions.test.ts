import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lnGamma, regularizedIncompleteBeta } from '../../src/stats/special-functions.js';

const close = (got: number, want: number, relative: number, what: string) =>
  assert.ok(Math.abs(got - want) <= relative * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

test('lnGamma matches factorials and Γ(½) = √π', () => {
  let factorial = 1;
  for (let n = 1; n <= 30; n++) {
    close(lnGamma(n), Math.log(factorial), 1e-13, `lnGamma(${n})`);
    factorial *= n;
  }
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lnGamma(0.5)');
  // Γ(x + 1) = x·Γ(x), also through the reflection branch (x < ½).
  for (const x of [1e-3, 0.1, 0.3, 0.7, 2.5, 17.25, 150.5]) {
    close(lnGamma(x + 1), Math.log(x) + lnGamma(x), 1e-13, `recurrence at ${x}`);
  }
  assert.throws(() => lnGamma(0), /x > 0/);
  assert.throws(() => lnGamma(-1), /x > 0/);
});

test('incomplete beta matches its closed forms', () => {
  for (let k = 1; k < 100; k++) {
    const x = k / 100;
    for (const s of [0.5, 1, 3, 40]) {
      close(regularizedIncompleteBeta(x, s, 1), x ** s, 1e-13, `I_${x}(${s}, 1)`);
      close(regularizedIncompleteBeta(x, 1, s), 1 - (1 - x) ** s, 1e-13, `I_${x}(1, ${s})`);
    }
    close(regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-13, `I_${x}(½, ½)`);
    // I_x(a, b) = 1 − I_{1−x}(b, a).
    close(regularizedIncompleteBeta(x, 2.5, 7), 1 - regularizedIncompleteBeta(1 - x, 7, 2.5), 1e-13, `symmetry at ${x}`);
  }
  assert.is(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.is(regularizedIncompleteBeta(1, 2, 3), 1);
  assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), /a, b > 0/);
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), /x in \[0, 1\]/);
});

test('passing 1 − x exactly keeps what rounding x to 1 would lose', () => {
  // I_x(1, ½) = 1 − (1 − x)^½. With 1 − x = 1e-20, x itself rounds to 1 and the answer would be exactly 1;
  // given the complement, the result is 1 − 1e-10 (to the absolute precision of a double near 1).
  const xc = 1e-20;
  assert.is(regularizedIncompleteBeta(1 - xc, 1, 0.5), 1, 'x alone has lost the complement');
  const withComplement = regularizedIncompleteBeta(1 - xc, 1, 0.5, xc);
  assert.ok(Math.abs(1 - withComplement - 1e-10) < 1e-15, `1 − I = ${1 - withComplement}`);
});

test.run();

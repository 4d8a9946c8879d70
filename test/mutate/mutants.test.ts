import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { declaredEquivalents, mutantsOf } from './mutants.js';

const mutate = (src: string) => mutantsOf(src).map((m) => src.slice(0, m.start) + m.replacement + src.slice(m.end));

test('operators, booleans and integers are mutated; strings, templates and comments are not', () => {
  const src = [
    'const a = b < c && !d; // x < y && z',
    "const s = 'p + q' + \"r - s\";",
    'const t = `n ${k === 1 ? `${m >= 2}` : "x > y"} <`; /* i++ */',
    'if (flag === true) n += 2;',
  ].join('\n');
  assert.equal(mutantsOf(src).map((m) => `${m.line}:${m.what}`), [
    '1:< → <=', '1:&& → ||', '1:! → (removed)',
    '2:+ → -',
    '3:=== → !==', '3:1 → 0', '3:>= → >', '3:2 → 3',
    '4:=== → !==', '4:true → false', '4:+= → -=', '4:2 → 3',
  ]);
  assert.is(mutate(src)[2], src.replace('!d', 'd'));
});

test('longest punctuators first: arrows, spreads and shifts are whole tokens', () => {
  assert.equal(mutantsOf('f = (...a) => a >>> 1 >= b >> 2').map((m) => m.what), ['1 → 0', '>= → >', '>> → <<', '2 → 3']);
});

test('a declared equivalent names exactly one mutant by the text around it and its change; a stale entry is an error', () => {
  const src = 'if (a < b) x = c < d;\nif (e)\n    y = f(1);';
  const ms = mutantsOf(src);
  const entry = (near: string, what: string) => ({ target: 't', near, what, why: 'w' });
  assert.equal([...declaredEquivalents(src, ms, [entry('c < d', '< → <=')]).keys()], [ms.findIndex((m) => m.start === src.indexOf('c < d') + 2)]);
  assert.throws(() => declaredEquivalents(src, ms, [entry('a < b) x = c < d', '< → <=')]), /2 mutants match, not 1/);
  assert.throws(() => declaredEquivalents(src, ms, [entry('c < d', '< → >')]), /0 mutants match/);
  assert.throws(() => declaredEquivalents(src, ms, [entry('e < f', '< → <=')]), /not in the module/);
  assert.throws(() => declaredEquivalents(src, ms, [entry(' < ', '< → <=')]), /more than once/);
  // White space in `near` matches any white space: the built module's line breaks need not be copied.
  assert.equal([...declaredEquivalents(src, ms, [entry('if (e) y = f(1)', '1 → 0')]).keys()], [ms.length - 1]);
});

test.run();

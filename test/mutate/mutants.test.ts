import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mutantsOf } from './mutants.js';

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

test.run();

/** The sweep's progress lines on a stream that is not a terminal (CI logs, `npm start` piped). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress } from '../../src/run/progress.js';

function lines(total: number, failedAt = -1): string[] {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
  const p = new Progress(total, 'study', stream);
  for (let k = 0; k < total; k++) p.tick(k === failedAt);
  return out;
}

test('a line per tenth of the runs, the last one at the end', () => {
  const out = lines(40);
  assert.is(out.length, 11, out.join(''));
  assert.ok(out.every((l) => l.startsWith('study: ') && l.endsWith('\n')));
  assert.match(out[10]!, /^study: 40\/40 runs /);
});

test('no ETA before a tenth of the runs is done: the first runs\' rate says little of the rest', () => {
  const out = lines(40);
  assert.match(out[0]!, /^study: 1\/40 runs  [\d.]+ runs\/s\n$/);
  assert.ok(out.slice(1).every((l) => / ETA /.test(l)), out.join(''));
});

test('what is counted is named: validate:hw counts curves', () => {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
  const p = new Progress(20, 'validate:hw', stream, 'curves');
  p.tick(false);
  assert.match(out[0]!, /^validate:hw: 1\/20 curves  [\d.]+ curves\/s\n$/);
});

test('a failed run is said on its line', () => {
  assert.match(lines(10, 4)[4]!, '(a run failed)');
});

test.run();

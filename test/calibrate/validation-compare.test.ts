/**
 * validate:hw --compare: two validations' points.csv compared, host by host
 * and curve by curve, as the README's tables show them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareValidations, readValidation } from '../../src/calibrate/validation-compare.js';
import { UserError } from '../../src/scenario/errors.js';

const HEADER = 'platform,host,curve,series,x,unit,measured,repeats,simulated,error_pct';

/** A points.csv from rows of [platform, host, curve, series, x, error_pct ('' where the point did not run)]. */
function points(file: string, rows: [string, string, string, string, number, string][]) {
  const lines = rows.map(([platform, host, curve, series, x, error]) => {
    const simulated = error === '' ? '' : String(40 * (1 + Number(error) / 100));
    return `${platform},${host},${curve},${series},${x},Gb/s,40,,${simulated},${error}`;
  });
  return readValidation(file, [HEADER, ...lines].join('\n') + '\n');
}

/** The markdown table rows that follow a line containing `heading`. */
function tableAfter(lines: string[], heading: string): string[] {
  const start = lines.findIndex((l) => l.includes(heading));
  assert.ok(start >= 0, `no "${heading}" in:\n${lines.join('\n')}`);
  const rows: string[] = [];
  for (let i = start + 4; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!);
  return rows;
}

test('the cells that moved, to 0.1%, with before and after; the others counted; each host\'s mean over the curves both runs have; the points that moved most', () => {
  const before = points('before/points.csv', [
    ['pa', 'host-a', 'bw_rd', '', 64, '10'], ['pa', 'host-a', 'bw_rd', '', 512, '-20'],
    ['pa', 'host-a', 'ho_rd', '64', 0, '1'], ['pa', 'host-a', 'ho_rd', '128', 0, '-1'],
    ['pb', 'host-b', 'bw_rd', '', 64, '5'], ['pb', 'host-b', 'bw_rd', '', 512, '5.02'],
    ['pc', 'host-c', 'bw_rd', '', 64, '3'],
  ]);
  const after = points('after/points.csv', [
    ['pa', 'host-a', 'bw_rd', '', 64, '10'], ['pa', 'host-a', 'bw_rd', '', 512, '-10'],
    ['pa', 'host-a', 'ho_rd', '64', 0, '-1'], ['pa', 'host-a', 'ho_rd', '128', 0, '1'],
    ['pb', 'host-b', 'bw_rd', '', 64, '5'], ['pb', 'host-b', 'bw_rd', '', 512, '4.98'],
    ['pb', 'host-b', 'lat_rd', '', 64, '2'],
  ]);
  const lines = compareValidations(before, after);
  assert.is(lines[0], 'Against before/points.csv (2 hosts in both runs):');
  // host-a's ho_rd changes sign at both points but not in size; host-b's bw_rd moves by less than 0.1%.
  assert.equal(tableAfter(lines, 'that moved'), ['| pa | bw_rd | 15.0% | 10.0% |']);
  assert.match(lines.join('\n'), 'the other 2 did not move');
  // host-b's mean leaves out lat_rd, which only this run has.
  assert.equal(tableAfter(lines, 'mean over the curves both runs have'), ['| pa | 8.0% | 5.5% |', '| pb | 5.0% | 5.0% |']);
  // By how far the simulation moved: bw_rd 512 B 10 points, ho_rd's two points 2 each (the same |error|), host-b's 512 B 0.04; unmoved points not listed.
  assert.equal(tableAfter(lines, 'moved most'), [
    '| pa | bw_rd | — | 512 | 40 Gb/s | -20.0% | -10.0% |', '| pa | ho_rd | 64 | 0 | 40 Gb/s | +1.0% | -1.0% |',
    '| pa | ho_rd | 128 | 0 | 40 Gb/s | -1.0% | +1.0% |', '| pb | bw_rd | — | 512 | 40 Gb/s | +5.0% | +5.0% |',
  ]);
  assert.equal(lines.slice(lines.indexOf('Only in this run, not compared:') + 1), ['- pb: lat_rd', '', 'The earlier run has 1 host that this one does not (left out by --host or --curve, or gone).']);
});

test('a point that did not run counts in neither run; a curve with none that ran shows —; a platform two hosts share names each host\'s folder too', () => {
  const before = points('a.csv', [['p', 'h1', 'bw_rd', '', 64, '10'], ['p', 'h1', 'bw_rd', '', 512, ''], ['p', 'h2', 'bw_wr', '', 64, '']]);
  const after = points('b.csv', [['p', 'h1', 'bw_rd', '', 64, '10'], ['p', 'h1', 'bw_rd', '', 512, '30'], ['p', 'h2', 'bw_wr', '', 64, '4']]);
  const lines = compareValidations(before, after);
  assert.equal(tableAfter(lines, 'that moved'), ['| p (h1) | bw_rd | 10.0% | 20.0% |', '| p (h2) | bw_wr | — | 4.0% |']);
  assert.ok(!lines.some((l) => l.includes('moved most')), 'no point ran in both with different errors');
  const same = compareValidations(before, before);
  assert.match(same.join('\n'), "No host's curve moved (to 0.1%; 2 compared).");
});

test('a file that is not a validation\'s points.csv: its name, line and what was expected', () => {
  const refused = (text: string): string => {
    try {
      readValidation('x/README.md', text);
    } catch (e) {
      assert.instance(e, UserError);
      return (e as Error).message;
    }
    throw new Error(`accepted: ${text}`);
  };
  assert.match(refused('# Simulated against measured\n\n| a | b |\n'), `x/README.md: line 1: not a points.csv that validate:hw writes (no column "platform", "host", "curve", "series", "x", "unit", "measured", "error_pct"): expected the header ${HEADER}`);
  assert.match(refused(`${HEADER}\np,h,bw_rd,,64,Gb/s,forty,,40,0\n`), 'x/README.md: line 2: column "measured": expected a number, got "forty"');
  assert.match(refused(`${HEADER}\np,h,bw_rd,,64,Gb/s,40,,40\n`), 'x/README.md: line 2: expected 10 fields');
});

test.run();

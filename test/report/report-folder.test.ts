import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { replaceFolder } from '../../src/report/report-folder.js';
import { tempDir } from '../helpers.js';

const listing = (dir: string): string[] => fs.readdirSync(dir).sort();

test('creates the folder, then replaces it as a whole', () => {
  const root = tempDir();
  const dir = path.join(root, 'sweep', 'report');
  replaceFolder(dir, new Map([['index.html', 'one'], ['a.svg', '<svg/>']]));
  assert.equal(listing(dir), ['a.svg', 'index.html']);
  replaceFolder(dir, new Map<string, string | Uint8Array>([['index.html', 'two'], ['b.png', new Uint8Array([1, 2])]]));
  assert.equal(listing(dir), ['b.png', 'index.html'], 'files of the previous report are gone');
  assert.is(fs.readFileSync(path.join(dir, 'index.html'), 'utf8'), 'two');
  assert.equal(listing(path.dirname(dir)), ['report'], 'no staging or backup folder left');
});

test('refuses to replace a folder holding anything a report does not write', () => {
  const root = tempDir();
  fs.writeFileSync(path.join(root, 'thesis.tex'), 'precious');
  assert.throws(() => replaceFolder(root, new Map([['index.html', 'x']])), /refusing to replace .*thesis\.tex/);
  assert.is(fs.readFileSync(path.join(root, 'thesis.tex'), 'utf8'), 'precious');
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), 'x');
  fs.mkdirSync(path.join(root, 'sub', 'nested'));
  assert.throws(() => replaceFolder(path.join(root, 'sub'), new Map([['index.html', 'y']])), /nested/);
  const file = path.join(root, 'plain');
  fs.writeFileSync(file, '');
  assert.throws(() => replaceFolder(file, new Map([['index.html', 'y']])), /not a folder/);
});

test('refuses file names a report never writes', () => {
  const dir = path.join(tempDir(), 'report');
  assert.throws(() => replaceFolder(dir, new Map([['../escape.svg', 'x']])), /not a report file name/);
  assert.not.ok(fs.existsSync(dir));
});

test.run();

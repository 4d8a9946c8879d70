import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSink } from '../../src/trace/file-sink.js';
import { tempDir } from '../helpers.js';

/** More than the background ring holds (4 slots of 4 MiB), so the writer must wait for the disk at least once. */
const CHUNKS = 40;
const CHUNK = 1 << 20;

function chunk(i: number): Uint8Array {
  return new Uint8Array(CHUNK).fill(i & 0xff);
}

test('the background thread writes every byte, in order', () => {
  const file = path.join(tempDir(), 'out.bin');
  const fd = fs.openSync(file, 'w');
  const sink = new FileSink(fd, 3 * CHUNK + 5);
  sink.write(new Uint8Array([1, 2, 3]));
  for (let i = 0; i < CHUNKS; i++) sink.write(chunk(i));
  sink.finish();
  fs.closeSync(fd);
  const bytes = fs.readFileSync(file);
  assert.is(bytes.byteLength, 3 + CHUNKS * CHUNK);
  assert.equal([...bytes.subarray(0, 3)], [1, 2, 3]);
  for (let i = 0; i < CHUNKS; i++) assert.is(bytes[3 + i * CHUNK + CHUNK - 1], i & 0xff, `chunk ${i}`);
});

test('a failed background write surfaces as an error, and nothing hangs', () => {
  const file = path.join(tempDir(), 'read-only.bin');
  fs.writeFileSync(file, '');
  const fd = fs.openSync(file, 'r');
  const sink = new FileSink(fd, 0);
  assert.throws(() => {
    for (let i = 0; i < CHUNKS; i++) sink.write(chunk(i));
    sink.finish();
  }, /writing the file failed: EBADF/);
  sink.discard();
  fs.closeSync(fd);
});

test('discard returns promptly with writes pending', () => {
  const fd = fs.openSync(path.join(tempDir(), 'out.bin'), 'w');
  const sink = new FileSink(fd, 0);
  for (let i = 0; i < CHUNKS; i++) sink.write(chunk(i));
  sink.discard();
  sink.discard();
  fs.closeSync(fd);
});

test.run();

/**
 * TLP sizes and splitting rules. Every expected value is worked out here by
 * hand from the PCIe Base Spec rules (r6.3; same sections in r5.0): §2.2.4.1
 * (32-bit format below 4 GiB), §2.2.7 (no request crosses 4 KiB), §2.3.1.1
 * (Read Completion Boundary, with the spec's own worked examples).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  headerBytes, tlpBytes, payloadWireBytes, splitWrite, splitRead, splitCompletions,
  writeTlpCount, readRequestCount, completionCount, readCompletionCount,
  type TlpPiece,
} from '../../../models/pcie/tlp.js';

const GiB4 = 2 ** 32;
const pieces = (ps: TlpPiece[]) => ps.map((p) => [p.addr, p.length]);

/** uvu's assert.throws takes a predicate (a class would be called as a function and always pass). */
const isRangeError = (e: unknown) => e instanceof RangeError;

test('header sizes: 3 DW below 4 GiB, 4 DW at or above, 3 DW completions, 4 DW messages', () => {
  assert.is(headerBytes('MWr', 0x1000), 3 * 4);
  assert.is(headerBytes('MRd', GiB4 - 4), 3 * 4, 'a 64-bit capable requester must still use 3 DW below 4 GiB');
  assert.is(headerBytes('MWr', GiB4), 4 * 4);
  assert.is(headerBytes('MRd', GiB4 + 0x1000), 4 * 4);
  assert.is(headerBytes('Cpl'), 3 * 4);
  assert.is(headerBytes('CplD', GiB4 + 64), 3 * 4, 'completions are 3 DW whatever the address');
  assert.is(headerBytes('Msg'), 4 * 4);
  assert.is(headerBytes('MsgD'), 4 * 4);
});

test('TLP bytes: header + DW-padded payload + ECRC; reads and Cpl carry no payload', () => {
  assert.is(tlpBytes('MWr', GiB4, 256), 16 + 256);
  assert.is(tlpBytes('MWr', GiB4, 256, { ecrc: true }), 16 + 256 + 4);
  assert.is(tlpBytes('MWr', 0x100, 128), 12 + 128);
  assert.is(tlpBytes('MRd', GiB4, 512), 16, 'a read request has no payload');
  assert.is(tlpBytes('MRd', 0, 512, { ecrc: true }), 12 + 4);
  assert.is(tlpBytes('CplD', 0x40, 64), 12 + 64);
  assert.is(tlpBytes('Cpl', 0, 0), 12);
  assert.is(tlpBytes('MsgD', 0, 8), 16 + 8);
});

test('payload counts whole DWs: 10 bytes at 0x3 touch DWs 0x0..0xF', () => {
  // bytes 0x3..0xC lie in the DWs starting at 0x0, 0x4, 0x8 and 0xC: 4 DWs.
  assert.is(payloadWireBytes(0x3, 10), 4 * 4);
  assert.is(tlpBytes('MWr', 0x3, 10), 12 + 16);
  assert.is(payloadWireBytes(0x4, 8), 8);
  assert.is(payloadWireBytes(0x4, 0), 0);
});

test('splitWrite: 128 bytes at 0xFC0, MPS 256 -> two TLPs of 64 (4 KiB boundary at 0x1000)', () => {
  const ps = splitWrite(0xfc0, 128, 256);
  assert.equal(pieces(ps), [[0xfc0, 64], [0x1000, 64]]);
  assert.equal(ps.map((p) => p.tlpBytes), [12 + 64, 12 + 64]);
  assert.equal(ps.map((p) => p.headerBytes), [12, 12]);
});

test('splitWrite: aligned 1 KiB at MPS 256 -> four full TLPs; 64-bit header above 4 GiB', () => {
  const ps = splitWrite(GiB4, 1024, 256, { ecrc: true });
  assert.equal(pieces(ps), [[GiB4, 256], [GiB4 + 256, 256], [GiB4 + 512, 256], [GiB4 + 768, 256]]);
  assert.equal(ps.map((p) => p.tlpBytes), [276, 276, 276, 276]); // 16 + 256 + 4
});

test('splitWrite: an unaligned start costs an extra TLP (512 bytes at 0x40, MPS 256 -> 192 + 256 + 64)', () => {
  // first TLP runs to the next MPS-aligned address 0x100: 0x100 - 0x40 = 192 bytes;
  // then 0x100..0x200 (256), then the remaining 512 - 192 - 256 = 64.
  assert.equal(pieces(splitWrite(0x40, 512, 256)), [[0x40, 192], [0x100, 256], [0x200, 64]]);
  assert.is(writeTlpCount(0x40, 512, 256), 3);
  assert.is(writeTlpCount(0x0, 512, 256), 2);
});

test('splitWrite: MPS 4096 still stops at each 4 KiB boundary', () => {
  assert.equal(pieces(splitWrite(0xf00, 0x200, 4096)), [[0xf00, 0x100], [0x1000, 0x100]]);
  assert.equal(pieces(splitWrite(0x2000, 8192, 4096)), [[0x2000, 4096], [0x3000, 4096]]);
});

test('splitWrite: zero bytes -> no TLP', () => {
  assert.equal(splitWrite(0x1234, 0, 256), []);
  assert.is(writeTlpCount(0x1234, 0, 256), 0);
});

test('splitRead: MRRS-sized requests, none crossing 4 KiB; headers only', () => {
  const ps = splitRead(0x800, 4096, 512);
  assert.is(ps.length, 4096 / 512);
  assert.equal(ps.map((p) => p.length), [512, 512, 512, 512, 512, 512, 512, 512]);
  assert.equal(ps.map((p) => p.tlpBytes), [12, 12, 12, 12, 12, 12, 12, 12]);
  // 1 KiB from 0xF80 with MRRS 4096: the 4 KiB boundary at 0x1000 splits it into 128 + 896.
  assert.equal(pieces(splitRead(0xf80, 1024, 4096)), [[0xf80, 128], [0x1000, 896]]);
  assert.is(readRequestCount(0xf80, 1024, 4096), 2);
  assert.equal(splitRead(GiB4, 256, 128, { ecrc: true }).map((p) => p.tlpBytes), [16 + 4, 16 + 4]);
});

test('completions, spec §2.3.1.1 example 3: 256 bytes at 0x10020, RCB 64', () => {
  // 'rcb' mode: one completion per 64-byte aligned block:
  // 0x10020..0x10040 (32), three full blocks (64 each), 0x10100..0x10120 (32).
  assert.equal(splitCompletions(0x10020, 256, 256, 64, 'rcb').map((p) => p.length), [32, 64, 64, 64, 32]);
  assert.is(completionCount(0x10020, 256, 256, 64, 'rcb'), 5);
  // 'mps' mode, MPS 128: the first completion may carry DWs 0x10020..0x1009F (128 bytes),
  // so it ends at the last RCB boundary within that, 0x10080: 0x60 = 96 bytes;
  // then 0x10080..0x10100 (128), then 32. The spec lists "96, 128, 32" as legal.
  const mps128 = splitCompletions(0x10020, 256, 128, 64, 'mps');
  assert.equal(pieces(mps128), [[0x10020, 96], [0x10080, 128], [0x10100, 32]]);
  assert.equal(mps128.map((p) => p.tlpBytes), [12 + 96, 12 + 128, 12 + 32]);
  assert.is(completionCount(0x10020, 256, 128, 64, 'mps'), 3);
  // 'mps' mode, MPS 256: the whole 256 bytes fit in one completion (spec: "256").
  assert.equal(splitCompletions(0x10020, 256, 256, 64, 'mps').map((p) => p.length), [256]);
});

test('completions, spec §2.3.1.1 example 2: 192 bytes at 0x10000, RCB 128 -> 128 + 64', () => {
  assert.equal(splitCompletions(0x10000, 192, 128, 128, 'rcb').map((p) => p.length), [128, 64]);
  assert.equal(splitCompletions(0x10000, 192, 128, 128, 'mps').map((p) => p.length), [128, 64]);
  assert.equal(splitCompletions(0x10000, 192, 256, 128, 'mps').map((p) => p.length), [192]);
});

test('completions from an unaligned start, MPS 256, RCB 64: 512 bytes at 0x20 -> 224 + 256 + 32', () => {
  // first: DWs from 0x20 may run to 0x20 + 256 = 0x120; last RCB(64) boundary <= 0x120 is 0x100 -> 0xE0 = 224 bytes.
  // then 0x100..0x200 = 256 (MPS), then 0x200..0x220 = 32.
  assert.equal(pieces(splitCompletions(0x20, 512, 256, 64, 'mps')), [[0x20, 224], [0x100, 256], [0x200, 32]]);
  assert.is(completionCount(0x20, 512, 256, 64, 'mps'), 3);
  // aligned: 512 / 256 = 2 completions; in RCB mode 512 / 64 = 8.
  assert.is(completionCount(0x200, 512, 256, 64, 'mps'), 2);
  assert.is(completionCount(0x200, 512, 256, 64, 'rcb'), 8);
});

test('completion payload never exceeds MPS even with a byte-unaligned start', () => {
  // 256 bytes at 0x22 touch DWs 0x20..0x121: 260 bytes, more than MPS 256, so it must split.
  // First completion: from DW 0x20 at most to 0x120, last RCB(64) boundary 0x100 -> 0xDE = 222 bytes; rest 34.
  const ps = splitCompletions(0x22, 256, 256, 64, 'mps');
  assert.equal(pieces(ps), [[0x22, 222], [0x100, 34]]);
  assert.equal(ps.map((p) => p.tlpBytes), [12 + 224, 12 + 36]); // 0x20..0x100 = 224; 0x100..0x124 = 36
});

test('completions for a whole read: 1 MiB aligned, MRRS 512, MPS 256, RCB 64', () => {
  const MiB = 1 << 20;
  assert.is(readCompletionCount(0, MiB, 512, 256, 64, 'mps'), MiB / 256); // 4096
  assert.is(readCompletionCount(0, MiB, 512, 256, 64, 'rcb'), MiB / 64); // 16384
  assert.is(readCompletionCount(0, MiB, 128, 256, 64, 'mps'), MiB / 128, 'MRRS 128 < MPS: one completion per request');
  // 1024 bytes at 0x20: requests [0x20,0x200) 480 B, [0x200,0x400) 512 B, [0x400,0x420) 32 B.
  // completions: 480 B at 0x20 -> 224 + 256 (2); 512 aligned -> 2; 32 -> 1; total 5.
  assert.is(readCompletionCount(0x20, 1024, 512, 256, 64, 'mps'), 2 + 2 + 1);
  // RCB mode: 480/64 rounded over blocks 0x0..0x200 -> 8 (first block partial); 512/64 = 8; 1 -> 17.
  assert.is(readCompletionCount(0x20, 1024, 512, 256, 64, 'rcb'), 8 + 8 + 1);
});

test('split pieces obey the spec rules and the O(1) counts match them (property check on a grid)', () => {
  for (const addr of [0, 4, 0x3c, 0x40, 0xfc0, 0xffc, 0x1234, GiB4 - 0x80]) {
    for (const size of [1, 63, 64, 200, 256, 1000, 4096, 5000]) {
      for (const max of [128, 256, 4096] as const) {
        const w = splitWrite(addr, size, max);
        assert.is(w.reduce((s, p) => s + p.length, 0), size);
        for (const p of w) {
          assert.ok(payloadWireBytes(p.addr, p.length) <= max, 'payload <= MPS');
          assert.is(Math.floor(p.addr / 4096), Math.floor((p.addr + p.length - 1) / 4096), 'no 4 KiB crossing');
        }
        assert.is(writeTlpCount(addr, size, max), w.length);
        assert.is(readCompletionCount(addr, size, 512, max, 64, 'mps'),
          splitRead(addr, size, 512).reduce((s, r) => s + splitCompletions(r.addr, r.length, max, 64, 'mps').length, 0));
        for (const r of splitRead(addr, size, 512)) {
          const cs = splitCompletions(r.addr, r.length, max, 64, 'mps');
          cs.slice(0, -1).forEach((c) => assert.is((c.addr + c.length) % 64, 0, 'non-final completions end on RCB'));
          cs.forEach((c) => assert.ok(payloadWireBytes(c.addr, c.length) <= max, 'completion payload <= MPS'));
        }
      }
    }
  }
});

test('completions byte by byte: every length to 1100 B from DW-aligned and unaligned starts, MPS 128 and 256, both modes: the O(1) counts match the split, no payload over MPS, a whole-DW span of exactly MPS in one completion', () => {
  for (const addr of [0, 1, 2, 3, 0x22, 0x3d, 0xfc0]) {
    for (const mps of [128, 256] as const) {
      for (const mode of ['mps', 'rcb'] as const) {
        for (let size = 1; size <= 1100; size++) {
          const requests = splitRead(addr, size, 512);
          let total = 0;
          for (const r of requests) {
            const cs = splitCompletions(r.addr, r.length, mps, 64, mode);
            assert.is(completionCount(r.addr, r.length, mps, 64, mode), cs.length);
            assert.is(cs.reduce((n, c) => n + c.length, 0), r.length);
            for (const c of cs) assert.ok(payloadWireBytes(c.addr, c.length) <= mps);
            total += cs.length;
          }
          assert.is(readCompletionCount(addr, size, 512, mps, 64, mode), total, `${size} B at ${addr}, MPS ${mps}, ${mode}`);
        }
      }
    }
  }
  // 255 B from 0: DWs 0..256, exactly MPS 256 with the last DW partly used: one completion.
  assert.equal(pieces(splitCompletions(0, 255, 256, 64, 'mps')), [[0, 255]]);
  assert.equal(pieces(splitCompletions(3, 253, 256, 64, 'mps')), [[3, 253]]);
  assert.equal(pieces(splitCompletions(0, 257, 256, 64, 'mps')), [[0, 256], [256, 1]]);
});

test('invalid arguments are rejected with RangeErrors', () => {
  for (const mps of [0, 64, 100, 192, 8192, 256.5, NaN]) {
    assert.throws(() => splitWrite(0, 64, mps), (e: unknown) => e instanceof RangeError && /Max_Payload_Size/.test((e as Error).message));
  }
  assert.throws(() => splitRead(0, 64, 64), (e: unknown) => e instanceof RangeError && /Max_Read_Request_Size/.test((e as Error).message));
  for (const rcb of [32, 256, 0]) {
    assert.throws(() => splitCompletions(0, 64, 256, rcb, 'mps'), (e: unknown) => e instanceof RangeError && /Completion Boundary/.test((e as Error).message));
  }
  assert.throws(() => splitCompletions(0, 64, 256, 64, 'chunks' as never), isRangeError);
  assert.throws(() => splitCompletions(0xfc0, 128, 256, 64, 'mps'), (e: unknown) => e instanceof RangeError && /4 KiB/.test((e as Error).message));
  assert.throws(() => splitCompletions(0, 8192, 256, 64, 'mps'), isRangeError);
  assert.throws(() => splitWrite(-4, 64, 256), isRangeError);
  assert.throws(() => splitWrite(0, 1.5, 256), isRangeError);
  assert.throws(() => splitWrite(2 ** 53, 64, 256), isRangeError);
  assert.throws(() => headerBytes('IORd' as never), isRangeError);
  assert.throws(() => tlpBytes('MWr', 0x2, 4096), isRangeError, 'an unaligned 4096-byte write needs 1025 DWs');
});

test.run();

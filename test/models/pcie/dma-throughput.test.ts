/**
 * Closed-form DMA throughput, each expected value built by hand from:
 *   raw rate  = lanes × GT/s × encoding / 8            (Gen3: 128/130)
 *   TLP share = 1 − SKP − DLLP                         (SKP: 1/375 at Gen3, 4/1538 at Gen1;
 *               DLLP: 2 × (8 bytes / lanes × byte time) / (Ack limit × symbol time))
 *   per TLP   = payload / (payload + header + 8 framing [+ 4 ECRC])
 * Header 12 bytes (3 DW) below 4 GiB, 16 (4 DW) above; completions 12.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  dmaWriteThroughput, dmaReadThroughput, dmaWriteWire, dmaReadWire, tlpTimeFraction,
  type DmaReadConfig, type DmaWriteConfig,
} from '../../../models/pcie/dma-throughput.js';

const close = (actual: number, expected: number, rel = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} != ${expected}`);
const isRangeError = (e: unknown) => e instanceof RangeError;

const MiB = 1 << 20;
const GEN3_X8_RAW = (8 * 8e9 * 128 / 130) / 8; // 7.877 GB/s
// Gen3 x8, MPS 256: Ack and UpdateFC limits 203 symbol times (spec Table 3-12) = 203,000 ps;
// one DLLP = 8 bytes / 8 lanes × 1015.625 ps.
const GEN3_X8_MPS256_SHARE = 1 - 1 / 375 - 2 * 1015.625 / 203000;

const gen3x8: DmaWriteConfig = { gen: 3, width: 8, mps: 256, addr64: true };

test('Gen3 x8 MWr, 256-byte payload, 64-bit addressing: 256/(256+24) of the link, less SKP and DLLPs', () => {
  const expected = GEN3_X8_RAW * GEN3_X8_MPS256_SHARE * 256 / (256 + 16 + 8); // ≈ 7.11 GB/s
  close(dmaWriteThroughput(MiB, gen3x8), expected);
  assert.ok(Math.abs(dmaWriteThroughput(MiB, gen3x8) / 1e9 - 7.1105) < 1e-4);
  const w = dmaWriteWire(MiB, gen3x8);
  assert.equal(w, { tlps: MiB / 256, tlpBytes: (MiB / 256) * (256 + 16), wireBytes: (MiB / 256) * (256 + 16 + 8) });
  close(tlpTimeFraction(3, 8, 256), GEN3_X8_MPS256_SHARE);
});

test('without DLLPs only SKP and framing remain', () => {
  close(dmaWriteThroughput(MiB, { ...gen3x8, dllp: 'none' }), GEN3_X8_RAW * (1 - 1 / 375) * 256 / 280);
});

test('Gen1 x1 MWr, MPS 128, 32-bit: 250 MB/s raw; Ack and UpdateFC every 237 symbol times', () => {
  const raw = 2.5e9 * (8 / 10) / 8;
  const share = 1 - 4 / 1538 - 2 * 8 / 237; // one DLLP = 8 symbol times on one lane
  close(dmaWriteThroughput(64 * 1024, { gen: 1, width: 1, mps: 128, addr64: false }), raw * share * 128 / (128 + 12 + 8));
});

test('ECRC adds 4 bytes per TLP; MPS 512 uses the 182-symbol Ack interval', () => {
  const share = 1 - 1 / 375 - 2 * 1015.625 / 182000;
  const cfg: DmaWriteConfig = { gen: 3, width: 8, mps: 512, addr64: false, ecrc: true };
  close(dmaWriteThroughput(MiB, cfg), GEN3_X8_RAW * share * 512 / (512 + 12 + 4 + 8));
});

test('an unaligned 4 KiB write at offset 0x40 needs 17 TLPs, not 16', () => {
  // 0x40..0x100 (192), 15 × 256 up to 0x1000, then 0x1000..0x1040 (64): 1 + 15 + 1 = 17.
  const cfg: DmaWriteConfig = { ...gen3x8, offset: 0x40 };
  const w = dmaWriteWire(4096, cfg);
  assert.equal(w, { tlps: 17, tlpBytes: 4096 + 17 * 16, wireBytes: 4096 + 17 * (16 + 8) });
  close(dmaWriteThroughput(4096, cfg), 4096 * GEN3_X8_RAW * GEN3_X8_MPS256_SHARE / 4504);
});

const read: DmaReadConfig = { gen: 3, width: 8, mps: 256, addr64: true, mrrs: 512, rcb: 64, rcbMode: 'mps' };

test('Gen3 x8 read, MPS 256, MRRS 512: completions of 256 + 12 + 8 bytes set the pace', () => {
  close(dmaReadThroughput(MiB, read), GEN3_X8_RAW * GEN3_X8_MPS256_SHARE * 256 / (256 + 12 + 8)); // ≈ 7.21 GB/s
  const w = dmaReadWire(MiB, read);
  assert.equal(w.completions, { tlps: MiB / 256, tlpBytes: MiB + (MiB / 256) * 12, wireBytes: MiB + (MiB / 256) * 20 });
  assert.equal(w.requests, { tlps: MiB / 512, tlpBytes: (MiB / 512) * 16, wireBytes: (MiB / 512) * 24 });
});

test('a root complex that completes in 64-byte RCB pieces: 64/(64+20) of the link', () => {
  close(dmaReadThroughput(MiB, { ...read, rcbMode: 'rcb' }), GEN3_X8_RAW * GEN3_X8_MPS256_SHARE * 64 / (64 + 12 + 8)); // ≈ 5.93 GB/s
  close(dmaReadThroughput(MiB, { ...read, rcb: 128, rcbMode: 'rcb' }), GEN3_X8_RAW * GEN3_X8_MPS256_SHARE * 128 / (128 + 20));
});

test('MRRS below MPS: one completion per 128-byte request', () => {
  close(dmaReadThroughput(MiB, { ...read, mrrs: 128 }), GEN3_X8_RAW * GEN3_X8_MPS256_SHARE * 128 / (128 + 20));
});

test('an unaligned read: 1 KiB at 0x20 -> 3 requests, 5 completions', () => {
  // requests 480 + 512 + 32; completions 224 + 256, 256 + 256, 32 (see tlp.test.ts).
  const cfg: DmaReadConfig = { ...read, addr64: false, offset: 0x20 };
  const w = dmaReadWire(1024, cfg);
  assert.is(w.requests.tlps, 3);
  assert.is(w.completions.tlps, 5);
  assert.is(w.completions.wireBytes, 1024 + 5 * (12 + 8));
  close(dmaReadThroughput(1024, cfg), 1024 * GEN3_X8_RAW * GEN3_X8_MPS256_SHARE / 1124);
});

test('Gen6 x16 Flit Mode: 236 TLP bytes per 256-byte FLIT, no per-TLP framing, no separate DLLPs', () => {
  const raw = 16 * 64e9 / 8; // 128 GB/s
  const skp = 40 / (748 * 16 + 40); // Table 4-30: a 40-byte SKP after every 748 FLITs (16 bytes per lane each)
  const gen6: DmaWriteConfig = { gen: 6, width: 16, mps: 256, addr64: true };
  // MWr: 272 TLP bytes per 256 payload bytes; on the wire 272 × 256/236.
  close(dmaWriteThroughput(MiB, gen6), raw * (1 - skp) * (236 / 256) * 256 / 272, 1e-12); // ≈ 110.7 GB/s
  close(dmaWriteWire(MiB, gen6).wireBytes, (MiB / 256) * 272 * 256 / 236, 1e-12);
  // CplD: 268 TLP bytes per 256.
  close(dmaReadThroughput(MiB, { ...gen6, mrrs: 512, rcb: 64, rcbMode: 'mps' }), raw * (1 - skp) * (236 / 256) * 256 / 268, 1e-12);
  close(tlpTimeFraction(6, 16, 256), 1 - skp);
});

test('invalid configurations are RangeErrors', () => {
  assert.throws(() => dmaWriteThroughput(0, gen3x8), isRangeError);
  assert.throws(() => dmaWriteThroughput(1.5, gen3x8), isRangeError);
  assert.throws(() => dmaWriteThroughput(MiB, { ...gen3x8, offset: 4096 }), isRangeError);
  assert.throws(() => dmaWriteThroughput(MiB, { ...gen3x8, gen: 7 as never }), isRangeError);
  assert.throws(() => dmaWriteThroughput(MiB, { ...gen3x8, width: 3 as never }), isRangeError);
  assert.throws(() => dmaWriteThroughput(MiB, { ...gen3x8, mps: 96 as never }), isRangeError);
  assert.throws(() => dmaWriteThroughput(MiB, { ...gen3x8, dllp: 'some' as never }), isRangeError);
  assert.throws(() => dmaReadThroughput(MiB, { ...read, mrrs: 8192 as never }), isRangeError);
  assert.throws(() => dmaReadThroughput(MiB, { ...read, rcb: 32 as never }), isRangeError);
  assert.throws(() => dmaReadThroughput(MiB, { ...read, rcbMode: 'cacheline' as never }), isRangeError);
});

test.run();

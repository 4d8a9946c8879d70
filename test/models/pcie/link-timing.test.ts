/**
 * Link timing against hand arithmetic and against the spec's tables, copied
 * here verbatim (PCIe Base Spec r6.3 Tables 3-10..3-12 Ack latency, 2-52..2-54
 * UpdateFC latency, 4-30 Flit Mode SKP interval; §4.2.8 SKP rules).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  byteTimePs, symbolTimePs, serializationPs, linkBytesPerSecond, transfersPerSecond, encoding, isFlitMode,
  tlpWireTimePs, tlpWireBytes, ackLatencyLimitSymbols, updateFcLatencySymbols,
  skpSchedule, skpOverheadFraction, dllpSchedule, dllpOverheadFraction,
  type PcieGen, type LinkWidth,
} from '../../../models/pcie/link-timing.js';
import { TimeOverflowError } from '../../../src/sim/time.js';

const close = (actual: number, expected: number, rel = 1e-12, msg?: string) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), msg ?? `${actual} != ${expected}`);

/** uvu's assert.throws takes a predicate (a class would be called as a function and always pass). */
const isRangeError = (e: unknown) => e instanceof RangeError;

test('Gen1 8b/10b: 2.5 GT/s is 400 ps a bit, 10 bits a byte: 4 ns per byte per lane', () => {
  assert.is(transfersPerSecond(1), 2.5e9);
  assert.is(encoding(1), '8b/10b');
  assert.is(byteTimePs(1), 10 * 400);
  assert.is(symbolTimePs(1), 4000);
  assert.is(serializationPs(1, 1, 1), 4000);
  assert.is(serializationPs(16, 1, 4), (16 / 4) * 4000);
  assert.is(serializationPs(3, 1, 4), 3000, '3 bytes on 4 lanes: 3/4 of a symbol time');
  assert.is(byteTimePs(2), 10 * 200);
});

test('Gen3 128b/130b: 125 ps a bit; a data byte takes 8 × 130/128 × 125 = 1015.625 ps per lane', () => {
  assert.is(encoding(3), '128b/130b');
  assert.is(byteTimePs(3), (8 * 130 / 128) * 125);
  assert.is(byteTimePs(3), 1015.625);
  assert.is(symbolTimePs(3), 8 * 125, 'spec Symbol Time = 8 UI, sync headers excluded');
  assert.is(byteTimePs(4), 1015.625 / 2);
  assert.is(byteTimePs(5), 1015.625 / 4);
  assert.is(symbolTimePs(5), 250);
  // 280 bytes on x8: 35 bytes per lane × 1015.625 = 35546.875 ps, rounded up.
  assert.is(serializationPs(280, 3, 8), 35547);
  assert.is(serializationPs(0, 3, 8), 0);
});

test('Gen6 1b/1b PAM4: 64 GT/s, 125 ps a byte per lane; a 256-byte FLIT on x16 takes 2 ns', () => {
  assert.is(encoding(6), '1b/1b');
  assert.ok(isFlitMode(6));
  assert.not.ok(isFlitMode(5));
  assert.is(byteTimePs(6), 8 * 1000 / 64);
  assert.is(serializationPs(256, 6, 16), (256 / 16) * 125);
});

test('raw link rates: Gen3 x8 7.877 GB/s, Gen1 x1 250 MB/s, Gen5 x16 63.0 GB/s, Gen6 x16 128 GB/s', () => {
  close(linkBytesPerSecond(3, 8), (8 * 8e9 * 128 / 130) / 8);
  close(linkBytesPerSecond(3, 8), 7.876923076923e9, 1e-12);
  close(linkBytesPerSecond(1, 1), 2.5e9 * 8 / 10 / 8);
  close(linkBytesPerSecond(2, 4), 4 * 5e9 * 8 / 10 / 8);
  close(linkBytesPerSecond(5, 16), (16 * 32e9 * 128 / 130) / 8);
  close(linkBytesPerSecond(6, 16), 16 * 64e9 / 8);
});

test('TLP framing: Non-Flit adds 8 bytes; Flit Mode packs TLP bytes into 236 of every 256', () => {
  // MWr with 256 bytes and a 4 DW header: 272 TLP bytes + 8 framing = 280 on the wire.
  assert.is(tlpWireBytes(272, 3), 280);
  assert.is(tlpWireBytes(272, 1), 280);
  assert.is(tlpWireTimePs(272, 3, 8), 35547); // = serialization of 280 bytes, above
  assert.is(tlpWireTimePs(272, 1, 1), 280 * 4000);
  // Flit Mode: 236 TLP bytes fill exactly one 256-byte FLIT.
  assert.is(tlpWireBytes(236, 6), 256);
  assert.is(tlpWireTimePs(236, 6, 16), 2000);
  // 272 TLP bytes on Gen6 x16: 272 × 256/236 bytes × 125 ps / 16 lanes
  //   = 8,704,000 / 3776 = 2305.08 ps -> 2306.
  assert.is(tlpWireTimePs(272, 6, 16), 2306);
});

test('Ack latency limits equal the spec tables (r6.3 Tables 3-10, 3-11, 3-12)', () => {
  // Table 3-10, 2.5 GT/s (x1 x2 x4 x8 x16) by Rx_MPS_Limit
  const t310: Record<number, number[]> = {
    128: [237, 128, 73, 67, 48], 256: [416, 217, 118, 107, 72], 512: [559, 289, 154, 86, 86],
    1024: [1071, 545, 282, 150, 150], 2048: [2095, 1057, 538, 278, 278], 4096: [4143, 2081, 1050, 534, 534],
  };
  // Table 3-11, 5.0 GT/s
  const t311: Record<number, number[]> = {
    128: [288, 179, 124, 118, 99], 256: [467, 268, 169, 158, 123], 512: [610, 340, 205, 137, 137],
    1024: [1122, 596, 333, 201, 201], 2048: [2146, 1108, 589, 329, 329], 4096: [4194, 2132, 1101, 585, 585],
  };
  // Table 3-12, 8.0 GT/s and higher data rates
  const t312: Record<number, number[]> = {
    128: [333, 224, 169, 163, 144], 256: [512, 313, 214, 203, 168], 512: [655, 385, 250, 182, 182],
    1024: [1167, 641, 378, 246, 246], 2048: [2191, 1153, 634, 374, 374], 4096: [4239, 2177, 1146, 630, 630],
  };
  const widths: LinkWidth[] = [1, 2, 4, 8, 16];
  const tables: Array<[PcieGen, Record<number, number[]>]> = [[1, t310], [2, t311], [3, t312], [4, t312], [5, t312]];
  for (const [gen, table] of tables) {
    for (const [mps, row] of Object.entries(table)) {
      widths.forEach((w, i) => assert.is(ackLatencyLimitSymbols(gen, w, Number(mps)), row[i], `Gen${gen} x${w} MPS ${mps}`));
    }
  }
  // The formula behind them: floor((256 + 28) × 2.5 / 8 + 115) = floor(88.75 + 115) = 203.
  assert.is(ackLatencyLimitSymbols(3, 8, 256), Math.floor((256 + 28) * 2.5 / 8 + 115));
});

test('UpdateFC latency guidelines, x32 column (r6.3 Tables 2-52..2-54)', () => {
  // 2.5 GT/s x32: 33 45 52 84 148 276 (pcie-bench has 248 for MPS 2048: a typo)
  assert.equal([128, 256, 512, 1024, 2048, 4096].map((m) => updateFcLatencySymbols(1, 32, m)), [33, 45, 52, 84, 148, 276]);
  // 5.0 GT/s x32: 84 96 103 135 199 327 (pcie-bench's Ack table has 237 for MPS 4096: a typo)
  assert.equal([128, 256, 512, 1024, 2048, 4096].map((m) => updateFcLatencySymbols(2, 32, m)), [84, 96, 103, 135, 199, 327]);
  // 8.0 GT/s and higher x32: 129 141 148 180 244 372
  assert.equal([128, 256, 512, 1024, 2048, 4096].map((m) => updateFcLatencySymbols(5, 32, m)), [129, 141, 148, 180, 244, 372]);
  assert.is(updateFcLatencySymbols(1, 8, 512), 86);
  assert.throws(() => ackLatencyLimitSymbols(6, 16, 256), (e: unknown) => e instanceof RangeError && /Flit Mode/.test((e as Error).message));
});

test('SKP ordered sets: 4 symbols per 1538 (8b/10b), 1 block per 375 (128b/130b), 40 bytes per N FLITs (Gen6)', () => {
  assert.equal(skpSchedule(1, 8), { periodPs: 1538 * 4000, durationPs: 4 * 4000 });
  assert.is(skpOverheadFraction(2, 1), 4 / 1538);
  // Gen3: a block is 130 bits × 125 ps = 16,250 ps; SKP every 375 blocks.
  assert.equal(skpSchedule(3, 8), { periodPs: 375 * 130 * 125, durationPs: 130 * 125 });
  close(skpOverheadFraction(3, 16), 1 / 375);
  assert.equal(skpSchedule(5, 4), { periodPs: 375 * 130 * 31.25, durationPs: 130 * 31.25 });
  // Gen6 x16: 748 FLITs of 16 bytes per lane, then a 40-byte SKP: (748 × 16 + 40) × 125 ps.
  assert.equal(skpSchedule(6, 16), { periodPs: (748 * 16 + 40) * 125, durationPs: 40 * 125 });
  close(skpOverheadFraction(6, 16), 40 / 12008);
  // Gen6 x1: 46 FLITs of 256 bytes per lane: 40 / (46 × 256 + 40).
  close(skpOverheadFraction(6, 1), 40 / (46 * 256 + 40));
});

test('DLLP overhead: an 8-byte DLLP costs 8/width symbol times per recommended interval', () => {
  // Gen3 x8 MPS 256: DLLP = 8 bytes / 8 lanes × 1015.625 ps = 1015.625 ps;
  // Ack and UpdateFC every 203 symbol times = 203,000 ps each.
  assert.equal(dllpSchedule(3, 8, 256), { ackIntervalPs: 203 * 1000, updateFcIntervalPs: 203 * 1000, dllpPs: 1015.625 });
  close(dllpOverheadFraction(3, 8, 256), 2 * 1015.625 / 203000);
  // Gen1 x1 MPS 128: 8 bytes × 4000 ps = 32,000 ps per DLLP; intervals 237 × 4000 ps.
  close(dllpOverheadFraction(1, 1, 128), 2 * (8 * 4000) / (237 * 4000));
  // Gen1 x16 MPS 128: 8 bytes over 16 lanes = 2000 ps; intervals 48 × 4000 ps.
  close(dllpOverheadFraction(1, 16, 128), 2 * 2000 / (48 * 4000));
  assert.is(dllpOverheadFraction(6, 16, 256), 0, 'Flit Mode: Acks and credits ride in the DLP bytes');
});

test('every generation\'s facts against the spec\'s table: rate, encoding, symbol time, byte time', () => {
  // PCIe Base Spec r6.3 Table 4-1 (rates), §4.2 (encodings); Symbol Time = 10 UI (8b/10b) or 8 UI.
  const table: [PcieGen, number, string, number][] = [
    [1, 2.5e9, '8b/10b', 4000], [2, 5e9, '8b/10b', 2000], [3, 8e9, '128b/130b', 1000],
    [4, 16e9, '128b/130b', 500], [5, 32e9, '128b/130b', 250], [6, 64e9, '1b/1b', 125],
  ];
  for (const [gen, rate, enc, symbol] of table) {
    assert.is(transfersPerSecond(gen), rate, `Gen${gen} rate`);
    assert.is(encoding(gen), enc, `Gen${gen} encoding`);
    assert.is(symbolTimePs(gen), symbol, `Gen${gen} symbol time`);
    const lineBitsPerByte = enc === '8b/10b' ? 10 : enc === '128b/130b' ? 8 * 130 / 128 : 8;
    assert.is(byteTimePs(gen), lineBitsPerByte * 1e12 / rate, `Gen${gen} byte time`);
  }
});

test('Flit Mode SKP interval for every width (r6.3 Table 4-30; x32 extrapolated)', () => {
  const flits: [LinkWidth, number][] = [[1, 46], [2, 93], [4, 187], [8, 374], [16, 748], [32, 1496]];
  for (const [width, n] of flits) {
    const perLane = 256 / width;
    assert.equal(skpSchedule(6, width), { periodPs: (n * perLane + 40) * 125, durationPs: 40 * 125 }, `x${width}`);
  }
});

test('serialization stays exact past 2^53 intermediate products, and overflow is an error', () => {
  // Past 2^53 the rounding up is done in BigInt: one byte more than a whole number of lane-bytes
  // still costs a whole extra byte time (ceil), never rounds down or loses it.
  assert.is(serializationPs(2 ** 41 + 1, 3, 1) - serializationPs(2 ** 41, 3, 1), 1016, 'one more byte: ceil(1015.625)');
  assert.is(serializationPs(2 ** 41 + 8, 3, 8), 2 ** 35 * 8125 + 1016, '2^41 bytes on 8 lanes, plus one byte per lane');
  // 2^41 bytes on Gen3 x1: 2^41 × 8125 / 8 = 2^38 × 8125 ps (the product 2^41 × 8125 is past 2^53).
  assert.is(serializationPs(2 ** 41, 3, 1), 2 ** 38 * 8125);
  assert.throws(() => serializationPs(2 ** 50, 3, 1), (e: unknown) => e instanceof TimeOverflowError);
});

test('invalid generations, widths, sizes and byte counts are RangeErrors', () => {
  assert.throws(() => byteTimePs(7 as PcieGen), (e: unknown) => e instanceof RangeError && /generation/.test((e as Error).message));
  assert.throws(() => linkBytesPerSecond(3, 12 as LinkWidth), (e: unknown) => e instanceof RangeError && /width/.test((e as Error).message));
  assert.throws(() => serializationPs(-1, 3, 8), isRangeError);
  assert.throws(() => serializationPs(1.5, 3, 8), isRangeError);
  assert.throws(() => ackLatencyLimitSymbols(3, 8, 64), isRangeError);
  assert.throws(() => dllpOverheadFraction(3, 8, 300), isRangeError);
});

test.run();

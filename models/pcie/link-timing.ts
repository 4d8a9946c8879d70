/**
 * PCIe link timing: line rate and encoding per generation, the time a number
 * of bytes takes on a link, per-packet framing, and the two link-layer costs
 * that share a link direction with TLPs: DLLPs (Ack, UpdateFC) and SKP
 * ordered sets. Pure functions; the simulated link calls them.
 *
 * Sources. "Spec" is the PCI Express Base Specification r6.3 (text checked);
 * r5.0 table numbers in brackets. "pcie-bench" is the model of Neugebauer et
 * al., "Understanding PCIe performance for end host networking", SIGCOMM
 * 2018 (github.com/pcie-bench/pcie-model, model/pcie.py), which this file
 * follows except where noted.
 *
 * The link as modelled: a direction of a xN link moves N bytes per symbol
 * time, one per lane. Non-Flit Mode packets are whole DWs and start on DW
 * (4-lane) boundaries, so they pack back to back with no lane-alignment loss
 * (the 8b/10b limit of one STP per symbol time only bites for TLPs shorter
 * than the link is wide, x32 reads at most; not modelled). Flit Mode
 * (Gen6 here) packs TLP bytes into the 236 TLP bytes of each 256-byte FLIT.
 *
 * Time: integer picoseconds at the API boundary, rounded UP to the next whole
 * picosecond (a packet has not finished until its last bit has). Rounding
 * happens once per call, so a caller that needs no drift over many packets
 * should time cumulative byte counts (t(n) = serializationPs(total bytes so far))
 * rather than add per-packet times. Periodic schedules (SKP, DLLP) are given
 * unrounded (exact in binary floating point) for the same reason.
 */
import { toPs } from '../../src/sim/time.js';
import { assertMaxPayloadSize } from './tlp.js';

export type PcieGen = 1 | 2 | 3 | 4 | 5 | 6;
export type LinkWidth = 1 | 2 | 4 | 8 | 16 | 32;
export type Encoding = '8b/10b' | '128b/130b' | '1b/1b';

export const PCIE_GENS: readonly PcieGen[] = [1, 2, 3, 4, 5, 6];
export const LINK_WIDTHS: readonly LinkWidth[] = [1, 2, 4, 8, 16, 32];

/** An exact ratio of two integers. */
interface Ratio { readonly num: number; readonly den: number }

interface GenFacts {
  /** Giga-transfers (bits) per second per lane (Spec §4.2; Gen6: 64.0 GT/s with PAM4, 2 bits per UI). */
  readonly gtPerSecond: number;
  readonly encoding: Encoding;
  /** Time of one bit on a lane, in ps: 1000 / GT/s. */
  readonly bitPs: Ratio;
  /** Line bits sent per data bit: 10/8 for 8b/10b, 130/128 for 128b/130b, 1 for 1b/1b (Spec §4.2.1, §4.2.2, §4.2.3). */
  readonly lineBitsPerBit: Ratio;
  /** Spec "Symbol Time" in ps: 10 UI with 8b/10b, 8 UI with 128b/130b; with 1b/1b PAM4 a symbol is 8 bits = 4 UI. */
  readonly symbolTimePs: number;
  /** Flit Mode: mandatory at 64.0 GT/s (Spec Table 4-1); this model uses it for Gen6 only. */
  readonly flit: boolean;
}

const GEN_FACTS: Record<PcieGen, GenFacts> = {
  1: { gtPerSecond: 2.5, encoding: '8b/10b', bitPs: { num: 400, den: 1 }, lineBitsPerBit: { num: 10, den: 8 }, symbolTimePs: 4000, flit: false },
  2: { gtPerSecond: 5, encoding: '8b/10b', bitPs: { num: 200, den: 1 }, lineBitsPerBit: { num: 10, den: 8 }, symbolTimePs: 2000, flit: false },
  3: { gtPerSecond: 8, encoding: '128b/130b', bitPs: { num: 125, den: 1 }, lineBitsPerBit: { num: 130, den: 128 }, symbolTimePs: 1000, flit: false },
  4: { gtPerSecond: 16, encoding: '128b/130b', bitPs: { num: 125, den: 2 }, lineBitsPerBit: { num: 130, den: 128 }, symbolTimePs: 500, flit: false },
  5: { gtPerSecond: 32, encoding: '128b/130b', bitPs: { num: 125, den: 4 }, lineBitsPerBit: { num: 130, den: 128 }, symbolTimePs: 250, flit: false },
  6: { gtPerSecond: 64, encoding: '1b/1b', bitPs: { num: 125, den: 8 }, lineBitsPerBit: { num: 1, den: 1 }, symbolTimePs: 125, flit: true },
};

const BITS_PER_BYTE = 8;

// ---------------------------------------------------------------- framing facts

/**
 * Non-Flit Mode framing added to every TLP. Gen1/2 (8b/10b): STP 1 + sequence
 * number 2 + LCRC 4 + END 1 (Spec §4.2.1.2, §3.6.2.1). Gen3-5 (128b/130b):
 * 4-byte STP token carrying the sequence number + 4-byte LCRC, no END
 * (r5.0 §4.2.2.3, Framing Tokens). Both total 8 bytes (pcie-bench `DLLP_Hdr`).
 */
export const TLP_FRAMING_BYTES = 8;
/**
 * A Non-Flit Mode DLLP on the wire: 6 bytes (4 + 16-bit CRC) framed by
 * SDP + END (8b/10b) or a 2-byte SDP token (128b/130b) (Spec §3.5,
 * r5.0 §4.2.2.3; pcie-bench `Ack_Size`, `FC_Size`).
 */
export const DLLP_BYTES = 8;

/** Flit Mode FLIT layout, Spec §4.2.3 (Flit Mode): bytes 0-235 TLP, 236-241 DLP, 242-249 CRC, 250-255 ECC. */
export const FLIT_BYTES = 256;
export const FLIT_TLP_BYTES = 236;
/** The 6 DLP bytes carry Ack/Nak, flow-control updates and other DLLP content; the "242 of 256" figure is TLP + DLP bytes. */
export const FLIT_DLP_BYTES = 6;
export const FLIT_CRC_BYTES = 8;
export const FLIT_ECC_BYTES = 6;

// ---------------------------------------------------------------- SKP facts

/** 8b/10b SKP ordered set as transmitted: COM + 3 SKP symbols on every lane (Spec §4.2.8.1). */
export const SKP_8B10B_SYMBOLS = 4;
/**
 * 8b/10b: a SKP ordered set is scheduled every 1180 to 1538 symbol times
 * (Spec §4.2.8.4, common clock or SRNS). We take the longest interval, the
 * least overhead, as pcie-bench does (4 symbols per 1538).
 */
export const SKP_8B10B_INTERVAL_SYMBOL_TIMES = 1538;
/** 128b/130b: a transmitted SKP ordered set is 16 symbols, one block per lane (Spec §4.2.8.2). */
export const SKP_128B130B_BLOCKS = 1;
/** 128b/130b: scheduled every 370 to 375 blocks (Spec §4.2.8.4); we take 375, the least overhead. */
export const SKP_128B130B_INTERVAL_BLOCKS = 375;
/** A 128b/130b block: 2-bit sync header + 16 symbols (Spec §4.2.2.1). */
const BLOCK_BITS = 130;
/** 1b/1b: a transmitted SKP ordered set is 40 symbols per lane (Spec §4.2.8.3). */
export const SKP_1B1B_SYMBOLS = 40;
/**
 * Flit Mode with 1b/1b, common clock or SRNS: one SKP ordered set after this
 * many FLITs (Spec Table 4-30). x32 is not in the table (r6.x defines no x32
 * column there); 1496 is our extrapolation (est.), keeping the same ~11968
 * bytes per lane between SKPs as x16 and x8.
 */
const SKP_1B1B_INTERVAL_FLITS: Record<LinkWidth, number> = { 1: 46, 2: 93, 4: 187, 8: 374, 16: 748, 32: 1496 };

// ---------------------------------------------------------------- Ack / UpdateFC facts

/**
 * Ack latency limit and UpdateFC latency guideline, both in symbol times,
 * from the formula of earlier spec revisions (r1.1 §3.5.3.1):
 *   floor((Max_Payload_Size + TLPOverhead) * AckFactor / LinkWidth + InternalDelay)
 * It reproduces every entry of Spec Tables 3-10..3-12 [r5.0 3-7..3-9] (Ack)
 * and 2-52..2-54 [r5.0 2-46..2-48] (UpdateFC, which have the same values and
 * include x32), e.g. 2.5 GT/s x8 MPS 256: floor(284 * 2.5 / 8 + 19) = 107.
 * Table 3-12 and 2-54 apply to "8.0 GT/s and higher", so Gen4 and Gen5 use
 * the Gen3 values. (pcie-bench transcribes these tables with two typos: Ack
 * gen2 x32 4096 = 237 and FC gen1 x32 2048 = 248; the spec has 327 and 148.)
 */
const TLP_OVERHEAD_SYMBOLS = 28;
/** InternalDelay: 19 symbol times at 2.5 GT/s, 70 at 5.0 GT/s, 115 at 8.0 GT/s and up (derived from the tables above). */
const INTERNAL_DELAY_SYMBOLS: Record<1 | 2 | 3 | 4 | 5, number> = { 1: 19, 2: 70, 3: 115, 4: 115, 5: 115 };
/**
 * AckFactor (= UpdateFactor) × 10 by width, for MPS 128/256 and for MPS >= 512,
 * solved from the same tables (e.g. x8: 2.5 then 1.0; x16: 3.0 then 2.0).
 */
const ACK_FACTOR_X10: Record<LinkWidth, { small: number; large: number }> = {
  1: { small: 14, large: 10 },
  2: { small: 14, large: 10 },
  4: { small: 14, large: 10 },
  8: { small: 25, large: 10 },
  16: { small: 30, large: 20 },
  32: { small: 30, large: 20 },
};

// ---------------------------------------------------------------- validation

export function assertGen(gen: number): asserts gen is PcieGen {
  if (!(PCIE_GENS as readonly number[]).includes(gen)) throw new RangeError(`PCIe generation must be one of ${PCIE_GENS.join(', ')}, got ${gen}`);
}

export function assertWidth(width: number): asserts width is LinkWidth {
  if (!(LINK_WIDTHS as readonly number[]).includes(width)) throw new RangeError(`link width must be one of x${LINK_WIDTHS.join(', x')}, got x${width}`);
}

function assertBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`byte count must be a non-negative integer, got ${bytes}`);
}

// ---------------------------------------------------------------- exact arithmetic

/** ceil(a / b) for non-negative integers, exact even when a passes 2^53. */
function ceilDiv(a: number, b: number): number {
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
    // % is exact on safe integers and (a - r) / b divides exactly, so no
    // floating-point rounding can push the quotient across an integer.
    const r = a % b;
    return (a - r) / b + (r === 0 ? 0 : 1);
  }
  const q = (BigInt(a) + BigInt(b) - 1n) / BigInt(b);
  return Number(q);
}

/** Integer product, falling back to BigInt when it passes 2^53 (the result then only feeds ceilDiv's BigInt path). */
function mulExact(a: number, b: number): number | bigint {
  const p = a * b;
  return Number.isSafeInteger(p) ? p : BigInt(a) * BigInt(b);
}

function ceilRatioPs(numerator: number | bigint, denominator: number, what: string): number {
  const q = typeof numerator === 'bigint' ? Number((numerator + BigInt(denominator) - 1n) / BigInt(denominator)) : ceilDiv(numerator, denominator);
  return toPs(q, what);
}

/** Time one byte takes on one lane, in ps, as an exact ratio: 8 bits × line bits per bit × bit time. */
function laneBytePs(gen: PcieGen): Ratio {
  const f = GEN_FACTS[gen];
  return { num: BITS_PER_BYTE * f.lineBitsPerBit.num * f.bitPs.num, den: f.lineBitsPerBit.den * f.bitPs.den };
}

// ---------------------------------------------------------------- generation facts

export function encoding(gen: PcieGen): Encoding {
  assertGen(gen);
  return GEN_FACTS[gen].encoding;
}

/** Raw transfers per second per lane (2.5e9 .. 64e9). */
export function transfersPerSecond(gen: PcieGen): number {
  assertGen(gen);
  return GEN_FACTS[gen].gtPerSecond * 1e9;
}

/** True when the link runs in Flit Mode (Gen6 in this model). */
export function isFlitMode(gen: PcieGen): boolean {
  assertGen(gen);
  return GEN_FACTS[gen].flit;
}

/**
 * The spec's Symbol Time in ps: the time to place one symbol on a lane, 10 UI
 * with 8b/10b and 8 UI with 128b/130b (Spec Terms; §3.6.3.1 timers count in
 * it). Gen1 4000, Gen2 2000, Gen3 1000, Gen4 500, Gen5 250, Gen6 125.
 * It excludes the 128b/130b sync headers: the average time a data byte
 * occupies a lane, sync headers included, is byteTimePs (Gen3: 1015.625).
 */
export function symbolTimePs(gen: PcieGen): number {
  assertGen(gen);
  return GEN_FACTS[gen].symbolTimePs;
}

/**
 * Average time one data byte occupies one lane, in ps, line encoding
 * included (exact in floating point): Gen1 4000, Gen2 2000,
 * Gen3 1015.625 (= 8 bits × 130/128 × 125 ps), Gen4 507.8125,
 * Gen5 253.90625, Gen6 125 (1b/1b; FLIT CRC/ECC are counted as FLIT
 * overhead, not here).
 */
export function byteTimePs(gen: PcieGen): number {
  assertGen(gen);
  const r = laneBytePs(gen);
  return r.num / r.den;
}

/**
 * Raw data rate of a link direction after line encoding, before any packet
 * overhead, in bytes per second: width × GT/s × encoding efficiency / 8.
 * Gen3 x8: 8 × 8e9 × 128/130 / 8 = 7.877e9 B/s.
 */
export function linkBytesPerSecond(gen: PcieGen, width: LinkWidth): number {
  assertGen(gen);
  assertWidth(width);
  const r = laneBytePs(gen);
  return (width * 1e12 * r.den) / r.num;
}

/**
 * Time in ps for `bytes` raw bytes (already framed: a TLP with its framing, a
 * DLLP, a FLIT) on a xN link: ceil(bytes × byteTimePs / width).
 * Gen1 x1: 4000 ps per byte; Gen3 x8: 280 bytes take 35,547 ps (35546.875 rounded up).
 */
export function serializationPs(bytes: number, gen: PcieGen, width: LinkWidth): number {
  assertBytes(bytes);
  assertGen(gen);
  assertWidth(width);
  const r = laneBytePs(gen);
  return ceilRatioPs(mulExact(bytes, r.num), r.den * width, `${bytes} bytes on Gen${gen} x${width}`);
}

/**
 * Link time of one TLP of `tlpBytes` bytes (header + payload + ECRC, as
 * tlp.ts counts it), rounded up to whole ps.
 *  - Non-Flit Mode: the TLP plus its 8 framing bytes.
 *  - Flit Mode: TLP bytes pack back to back into the 236 TLP bytes of each
 *    256-byte FLIT (no per-TLP framing; TLPs may straddle FLITs, Spec
 *    §4.2.3), so a TLP takes its share tlpBytes × 256/236 of FLIT time.
 *    Timing whole FLITs instead gives the same long-run rate.
 */
export function tlpWireTimePs(tlpBytes: number, gen: PcieGen, width: LinkWidth): number {
  assertBytes(tlpBytes);
  assertGen(gen);
  assertWidth(width);
  if (!GEN_FACTS[gen].flit) return serializationPs(tlpBytes + TLP_FRAMING_BYTES, gen, width);
  const r = laneBytePs(gen);
  return ceilRatioPs(mulExact(tlpBytes * FLIT_BYTES, r.num), r.den * width * FLIT_TLP_BYTES, `TLP of ${tlpBytes} bytes on Gen${gen} x${width}`);
}

/**
 * Link bytes one TLP costs, for byte accounting: tlpBytes + 8 framing bytes
 * (Non-Flit Mode) or tlpBytes × 256/236 (Flit Mode, may be fractional).
 */
export function tlpWireBytes(tlpBytes: number, gen: PcieGen): number {
  assertBytes(tlpBytes);
  assertGen(gen);
  return GEN_FACTS[gen].flit ? (tlpBytes * FLIT_BYTES) / FLIT_TLP_BYTES : tlpBytes + TLP_FRAMING_BYTES;
}

// ---------------------------------------------------------------- SKP ordered sets

export interface PeriodicCost {
  /** Time from the start of one occurrence to the start of the next, ps (unrounded). */
  readonly periodPs: number;
  /** Link time each occurrence takes on every lane, ps (unrounded). */
  readonly durationPs: number;
}

/**
 * When the transmitter sends SKP ordered sets (common clock or SRNS; SRIS
 * needs them about 10× as often and is not modelled). SKPs go on all lanes at
 * once, so their cost does not depend on width except in Flit Mode, where the
 * interval is counted in FLITs (Spec Table 4-30).
 *  - 8b/10b: 4 symbols every 1538 symbol times (fraction 4/1538).
 *  - 128b/130b: 1 block every 375 blocks (fraction 1/375). The EDS token and
 *    padding that precede an ordered set in a data stream are not modelled.
 *  - 1b/1b Flit Mode: 40 symbols after every N FLITs (x16: 748).
 */
export function skpSchedule(gen: PcieGen, width: LinkWidth): PeriodicCost {
  assertGen(gen);
  assertWidth(width);
  const f = GEN_FACTS[gen];
  switch (f.encoding) {
    case '8b/10b':
      return { periodPs: SKP_8B10B_INTERVAL_SYMBOL_TIMES * f.symbolTimePs, durationPs: SKP_8B10B_SYMBOLS * f.symbolTimePs };
    case '128b/130b': {
      const blockPs = (BLOCK_BITS * f.bitPs.num) / f.bitPs.den;
      return { periodPs: SKP_128B130B_INTERVAL_BLOCKS * blockPs, durationPs: SKP_128B130B_BLOCKS * blockPs };
    }
    case '1b/1b': {
      const byte = byteTimePs(gen);
      const flitBytesPerLane = FLIT_BYTES / width;
      const durationPs = SKP_1B1B_SYMBOLS * byte;
      return { periodPs: SKP_1B1B_INTERVAL_FLITS[width] * flitBytesPerLane * byte + durationPs, durationPs };
    }
  }
}

/** Fraction of link time spent in SKP ordered sets: Gen1/2 4/1538, Gen3-5 1/375, Gen6 x16 40/12008. */
export function skpOverheadFraction(gen: PcieGen, width: LinkWidth): number {
  const s = skpSchedule(gen, width);
  return s.durationPs / s.periodPs;
}

// ---------------------------------------------------------------- Ack / UpdateFC DLLPs

function assertNonFlit(gen: PcieGen, what: string): asserts gen is 1 | 2 | 3 | 4 | 5 {
  if (GEN_FACTS[gen].flit) {
    throw new RangeError(`${what}: Gen${gen} runs in Flit Mode, where Ack/Nak and flow-control updates ride in every FLIT's DLP bytes; there is no DLLP latency table`);
  }
}

/**
 * The spec's Ack Latency Limit, in symbol times: the longest a receiver may
 * hold an Ack while TLPs keep arriving (Spec §3.6.3.1, Tables 3-10..3-12).
 * `mps` is the receiver's Rx_MPS_Limit. Gen3 x8 MPS 256: 203.
 */
export function ackLatencyLimitSymbols(gen: PcieGen, width: LinkWidth, mps: number): number {
  assertGen(gen);
  assertWidth(width);
  assertMaxPayloadSize(mps);
  assertNonFlit(gen, 'Ack latency limit');
  const factor = ACK_FACTOR_X10[width];
  const factorX10 = mps <= 256 ? factor.small : factor.large;
  return Math.floor(((mps + TLP_OVERHEAD_SYMBOLS) * factorX10) / (10 * width)) + INTERNAL_DELAY_SYMBOLS[gen];
}

/**
 * The spec's recommended maximum UpdateFC transmission latency, in symbol
 * times (Spec §2.6.1.2 implementation note, Tables 2-52..2-54). Same values
 * as the Ack latency limit.
 */
export function updateFcLatencySymbols(gen: PcieGen, width: LinkWidth, mps: number): number {
  return ackLatencyLimitSymbols(gen, width, mps);
}

/**
 * The DLLP stream the model puts on each direction of a busy Non-Flit Mode
 * link: one Ack DLLP per Ack latency limit and one UpdateFC DLLP per UpdateFC
 * latency guideline, each 8 bytes (pcie-bench's assumption: both directions
 * carry TLPs, so each carries the other's Acks and credit updates).
 * A simulated link matches the closed form when it schedules these on a fixed
 * grid (the next one `intervalPs` after the previous one was due, not after it
 * was sent); the spec allows sending them more often.
 */
export interface DllpSchedule {
  readonly ackIntervalPs: number;
  readonly updateFcIntervalPs: number;
  /** Link time of one DLLP on this width, ps (unrounded). */
  readonly dllpPs: number;
}

export function dllpSchedule(gen: PcieGen, width: LinkWidth, mps: number): DllpSchedule {
  const ack = ackLatencyLimitSymbols(gen, width, mps);
  const fc = updateFcLatencySymbols(gen, width, mps);
  const sym = GEN_FACTS[gen].symbolTimePs;
  return { ackIntervalPs: ack * sym, updateFcIntervalPs: fc * sym, dllpPs: (DLLP_BYTES * byteTimePs(gen)) / width };
}

/**
 * Fraction of link time taken by the Ack and UpdateFC DLLPs of dllpSchedule.
 * Each interval is in symbol times of ONE lane, during which the xN link moves
 * N bytes per symbol time, so an 8-byte DLLP costs 8/N symbol times:
 *   (8 × byteTime / N) / (ackLimit × symbolTime) + (same for UpdateFC).
 * Gen3 x8 MPS 256: 2 × 1015.625 / 203000 = 1.0006 %.
 * pcie-bench deducts 8/ackLimit + 8/fcLimit instead (7.9 % for Gen3 x8 MPS
 * 256), which counts the interval as if it were bytes; we follow the spec's
 * units. Flit Mode: 0 (Ack/Nak and credit updates ride in the DLP bytes,
 * already counted in the FLIT overhead).
 */
export function dllpOverheadFraction(gen: PcieGen, width: LinkWidth, mps: number): number {
  assertGen(gen);
  if (GEN_FACTS[gen].flit) {
    assertWidth(width);
    assertMaxPayloadSize(mps);
    return 0;
  }
  const s = dllpSchedule(gen, width, mps);
  return s.dllpPs / s.ackIntervalPs + s.dllpPs / s.updateFcIntervalPs;
}

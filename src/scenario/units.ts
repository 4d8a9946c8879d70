import { z } from 'zod';
import { PS_PER_MS, PS_PER_NS, PS_PER_S, PS_PER_US, toPs } from '../sim/time.js';
import { isPowerOfTwo } from '../util/power-of-two.js';

/**
 * Quantities in scenario files, presets and `--set`: sizes, durations and
 * rates are accepted in the same forms everywhere, as a plain number (bytes,
 * picoseconds for a component's duration, GB/s) or a string with a unit
 * ("4 KiB", "250 ns", "7.1 GB/s"). Parsing happens here once, so every model
 * receives integer bytes, integer picoseconds and decimal GB/s.
 *
 * Sizes: B; binary KiB, MiB, GiB, TiB (1024^n); SI kB, MB, GB, TB (1000^n).
 * "KB" is refused: it means 1000 or 1024 depending on who wrote it.
 * Durations: ps, ns, us (or µs), ms, s. Rates: GB/s, MB/s, TB/s in bytes
 * (10^9 bytes/s = 1 GB/s) and Gb/s, Mb/s in bits (8 bits a byte).
 */

export type QuantityKind = 'size' | 'duration' | 'rate';

const TIME_UNITS: Record<string, number> = { ps: 1, ns: PS_PER_NS, us: PS_PER_US, 'µs': PS_PER_US, ms: PS_PER_MS, s: PS_PER_S };
const SIZE_UNITS: Record<string, number> = {
  B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
};
/** In GB/s (decimal bytes). */
const RATE_UNITS: Record<string, number> = { 'MB/s': 1e-3, 'GB/s': 1, 'TB/s': 1e3, 'Mb/s': 1e-3 / 8, 'Gb/s': 1 / 8 };
const AMBIGUOUS: Record<string, string> = { KB: 'write KiB (1024 bytes) or kB (1000 bytes)' };

const UNITS: Record<QuantityKind, Record<string, number>> = { size: SIZE_UNITS, duration: TIME_UNITS, rate: RATE_UNITS };
/** The unit a quantity parameter's values are stored in, when the scenario does not say. */
export const CANONICAL_UNIT: Record<QuantityKind, string> = { size: 'B', duration: 'ns', rate: 'GB/s' };
const EXAMPLES: Record<QuantityKind, string> = { size: '"64 B", "4 KiB", "2 MiB"', duration: '"250 ns", "1.5 us", "10 ms"', rate: '"7.1 GB/s", "100 Gb/s"' };

const QUANTITY = /^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ]+(?:\/s)?)\s*$/;

/** A quantity's value in `unit` (a unit of its kind), or a reason it is not one. */
export function parseQuantityIn(text: string, kind: QuantityKind, unit: string): number | { problem: string } {
  const m = QUANTITY.exec(text);
  const examples = `expected a ${kind} such as ${EXAMPLES[kind]}`;
  if (!m) return { problem: `${examples}, got ${JSON.stringify(text)}` };
  if (AMBIGUOUS[m[2]!]) return { problem: `"${m[2]}" is ambiguous: ${AMBIGUOUS[m[2]!]}` };
  const scale = UNITS[kind][m[2]!], to = UNITS[kind][unit];
  if (scale === undefined) return { problem: `${examples}; "${m[2]}" is not a unit of ${kind} (${Object.keys(UNITS[kind]).join(', ')})` };
  return (Number(m[1]) * scale) / to!;
}

/** The kind of quantity a unit measures (B → size, ns → duration, GB/s → rate), if it is one. */
export function kindOfUnit(unit: string): QuantityKind | undefined {
  for (const kind of ['size', 'duration', 'rate'] as const) if (unit in UNITS[kind]) return kind;
  return undefined;
}

/** The unit a quantity string is written in ("4 KiB" → KiB), if it is one. */
export function unitOfText(text: string): string | undefined {
  return QUANTITY.exec(text)?.[2];
}

/** The kind of quantity a string with a unit is ("4 KiB" → size), if it is one. */
export function kindOfText(text: string): QuantityKind | undefined {
  const unit = unitOfText(text);
  return unit === undefined ? undefined : kindOfUnit(unit);
}

/** A number in `unit` written as a quantity string a component's schema parses back exactly ("4096 B"). */
export function quantityText(value: number, unit: string): string {
  return `${value} ${unit}`;
}

/** A duration: "1.5 us", "250 ns", or a number of picoseconds. Becomes integer ps. */
export const duration = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ps = typeof v === 'number' ? v : parseQuantityIn(v, 'duration', 'ps');
    if (typeof ps !== 'number' || !Number.isFinite(ps) || ps < 0) {
      ctx.addIssue({ code: 'custom', message: typeof ps === 'number' ? `expected a non-negative duration, got ${JSON.stringify(v)}` : ps.problem });
      return z.NEVER;
    }
    return toPs(ps);
  }).meta({ pciesimQuantity: 'duration' });

/** A size: "4 KiB", "2 MiB", "64 B", or a number of bytes. Becomes an integer byte count. */
export const byteSize = () =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
    const b = typeof v === 'number' ? v : parseQuantityIn(v, 'size', 'B');
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0) {
      ctx.addIssue({ code: 'custom', message: typeof b === 'number' ? `expected a whole, non-negative number of bytes, got ${JSON.stringify(v)}` : b.problem });
      return z.NEVER;
    }
    return b;
  }).meta({ pciesimQuantity: 'size' });

/** A size that must be above zero (a transfer, a buffer, a block); `what` names it in the error ("expected a positive alignment"). */
export const positiveByteSize = (what = 'size') => byteSize().refine((b) => b > 0, `expected a positive ${what}`);

/**
 * A memory page: "4 KiB", "64 KiB" or a number of bytes; a power of two of
 * at least 4 KiB (the smallest page x86 and Arm have, and Xen's
 * XEN_PAGE_SIZE, the size of a grant, whatever the guest's own pages).
 */
export const pageSize = () =>
  byteSize().refine((b) => b >= MIN_PAGE_BYTES && isPowerOfTwo(b), { message: `expected a power of two of at least ${MIN_PAGE_BYTES} bytes (a page: 4 KiB, 16 KiB, 64 KiB)` });

/** An address an IOMMU maps from: "4 GiB", or a number of bytes; a multiple of 4 KiB, the IOMMU's smallest page. */
export const pageAlignedAddress = () =>
  byteSize().refine((b) => b % MIN_PAGE_BYTES === 0, { message: `expected a multiple of ${MIN_PAGE_BYTES} bytes: the IOMMU maps whole 4 KiB pages` });

const MIN_PAGE_BYTES = 4096;

/** A rate: "7.1 GB/s", "100 Gb/s", or a number of GB/s (10^9 bytes per second). Becomes a positive number of GB/s. */
export const rate = () =>
  z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
    const r = typeof v === 'number' ? v : parseQuantityIn(v, 'rate', 'GB/s');
    if (typeof r !== 'number' || !(r > 0) || !Number.isFinite(r)) {
      ctx.addIssue({ code: 'custom', message: typeof r === 'number' ? `expected a positive rate, got ${JSON.stringify(v)}` : r.problem });
      return z.NEVER;
    }
    return r;
  }).meta({ pciesimQuantity: 'rate' });

export function formatBytes(b: number): string {
  for (const [unit, scale] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (b >= scale && b % scale === 0) return `${b / scale} ${unit}`;
  }
  return `${b} B`;
}

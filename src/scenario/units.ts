import { z } from 'zod';
import { PS_PER_MS, PS_PER_NS, PS_PER_S, PS_PER_US, toPs } from '../sim/time.js';

/**
 * Scenario files may write durations and sizes with units ("250 ns",
 * "64 KiB") or as plain numbers (picoseconds, bytes). Parsing happens here
 * once, so every model receives integer picoseconds and bytes.
 */

const TIME_UNITS: Record<string, number> = { ps: 1, ns: PS_PER_NS, us: PS_PER_US, 'µs': PS_PER_US, ms: PS_PER_MS, s: PS_PER_S };
const SIZE_UNITS: Record<string, number> = {
  B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
};

const QUANTITY = /^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ]+)\s*$/;

function parseQuantity(text: string, units: Record<string, number>): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const scale = units[m[2]!];
  return scale === undefined ? undefined : Number(m[1]) * scale;
}

/** A duration: "1.5 us", "250 ns", or a number of picoseconds. Becomes integer ps. */
export const duration = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ps = typeof v === 'number' ? v : parseQuantity(v, TIME_UNITS);
    if (ps === undefined || !Number.isFinite(ps)) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "250 ns", "1.5 us", "10 ms" or a number of picoseconds, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return toPs(ps);
  });

/** A size: "4 KiB", "2 MiB", "64 B", or a number of bytes. Becomes an integer byte count. */
export const byteSize = () =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
    const b = typeof v === 'number' ? v : parseQuantity(v, SIZE_UNITS);
    if (b === undefined || !Number.isInteger(b)) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as "64 B", "4 KiB", "2 MiB" or a whole number of bytes, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return b;
  });

export function formatBytes(b: number): string {
  for (const [unit, scale] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (b >= scale && b % scale === 0) return `${b / scale} ${unit}`;
  }
  return `${b} B`;
}

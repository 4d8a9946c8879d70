/** Exact for every safe integer (a bitwise test would truncate to 32 bits: BARs reach 2^34 and beyond). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

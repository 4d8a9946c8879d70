/** The packet-path benchmarks' `--name=value` flags (bench:fabric, bench:ab). */

/** The value of `--name=value` in `args`, or undefined if it is not there. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** The whole number `--name=N` gives, at least `min` (0 or 1); `fallback` if the flag is not there. */
export function wholeFlag(args: readonly string[], name: string, fallback: number, min: 0 | 1): number {
  const text = flagValue(args, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a ${min === 1 ? 'positive ' : ''}whole number, got ${text}`);
  return n;
}

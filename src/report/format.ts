/**
 * Number formatting for report tables. Written by hand rather than with
 * `toLocaleString`/`Intl`, whose output depends on the machine's locale and
 * ICU build: the same results must give the same bytes everywhere.
 */

/** Shown for a missing value: a failed run, or a metric the run did not record. */
export const MISSING = '—';

const BINARY_UNITS = [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const;

/** A size in bytes as people write it: 4 KiB, 64 KiB, 2 MiB when it is a whole number of the unit; else in bytes (1,500 B). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  return `${formatNumber(bytes)} B`;
}

const SIGNIFICANT_DIGITS = 3;
/** Below this magnitude sig3 switches to exponent form, which stays short and readable. */
const SMALLEST_PLAIN_MAGNITUDE = 1e-3;
/** At or above this magnitude sig3 switches to exponent form instead of printing a long run of zeros. */
const LARGEST_PLAIN_MAGNITUDE = 1e15;

/** Groups the integer digits of a plain decimal string in thousands: 1234567.5 → 1,234,567.5. */
function groupThousands(decimal: string): string {
  const negative = decimal.startsWith('-');
  const unsigned = negative ? decimal.slice(1) : decimal;
  const point = unsigned.indexOf('.');
  const whole = point < 0 ? unsigned : unsigned.slice(0, point);
  const fraction = point < 0 ? '' : unsigned.slice(point);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? '-' : '') + grouped + fraction;
}

/** Three significant digits, plain for everyday magnitudes: 0.00123, 12.3, 1,230, 1,230,000. */
function formatSig3(v: number): string {
  const magnitude = Math.abs(v);
  if (v === 0) return '0';
  if (magnitude < SMALLEST_PLAIN_MAGNITUDE || magnitude >= LARGEST_PLAIN_MAGNITUDE) {
    return v.toExponential(SIGNIFICANT_DIGITS - 1);
  }
  const exponent = Math.floor(Math.log10(magnitude));
  const decimals = Math.max(0, SIGNIFICANT_DIGITS - 1 - exponent);
  const rounded = Number(v.toPrecision(SIGNIFICANT_DIGITS));
  return groupThousands(rounded.toFixed(decimals));
}

/** Formats a number for a table: integers exactly with thousands separators, others to three significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return Number.isInteger(value) ? groupThousands(value.toFixed(0)) : formatSig3(value);
}

/** The half-width is shown to two significant digits, and the mean to the same decimal place. */
const HALF_WIDTH_SIGNIFICANT_DIGITS = 2;
/** Past this many decimals the plain form gets unreadable, so both numbers fall back to sig3. */
const MAX_ESTIMATE_DECIMALS = 6;

/**
 * "mean ± half-width" for a table cell: 551.3 ± 4.2. A mean without a
 * half-width (a single run) is shown alone; a missing mean is MISSING.
 */
export function formatEstimate(mean: number | null, halfWidth: number | null): string {
  if (mean === null || !Number.isFinite(mean)) return MISSING;
  if (halfWidth === null || !Number.isFinite(halfWidth)) return formatNumber(mean);
  // Replications that all agree (a deterministic run) have no spread to show: the value alone.
  if (halfWidth === 0) return formatNumber(mean);
  const decimals = Math.max(0, HALF_WIDTH_SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(halfWidth)));
  if (decimals > MAX_ESTIMATE_DECIMALS || Math.abs(mean) >= LARGEST_PLAIN_MAGNITUDE) {
    return `${formatSig3(mean)} ± ${formatSig3(halfWidth)}`;
  }
  return `${groupThousands(mean.toFixed(decimals))} ± ${groupThousands(halfWidth.toFixed(decimals))}`;
}

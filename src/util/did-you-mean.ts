/**
 * "did you mean ...?" for a misspelt name: the known names closest to it by
 * edit distance, when one is close enough to be the likely intent.
 */

/** Levenshtein distance (insertions, deletions, substitutions), two rows of memory. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known names closest to `name`, best first (at most three): those
 * within a third of the name's length in edits, or that contain it or are
 * contained in it (a column asked for as "throughput" when it is
 * "dma.throughput_gbytes_per_s").
 */
export function closestNames(name: string, known: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const scored = known.map((k) => {
    const kl = k.toLowerCase();
    const d = editDistance(lower, kl);
    const contains = kl.includes(lower) || lower.includes(kl);
    return { k, d, ok: d <= Math.max(2, Math.floor(name.length / 3)) || (contains && lower.length >= 3) };
  }).filter((s) => s.ok);
  scored.sort((x, y) => x.d - y.d || (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  return scored.slice(0, 3).map((s) => s.k);
}

/** " (did you mean "a" or "b"?)", or "" when nothing is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const c = closestNames(name, known);
  if (c.length === 0) return '';
  return ` (did you mean ${c.map((x) => `"${x}"`).join(c.length === 2 ? ' or ' : ', ')}?)`;
}

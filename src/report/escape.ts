/**
 * HTML escaping. Every string that reaches index.html from a scenario (names,
 * parameters, captions, table cells) goes through here: a scenario is data
 * from someone else and must never become markup.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `&<>"'`, so the result is safe both as element text and inside a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Keeps file names well under every filesystem's 255-byte limit, with room for suffixes and extensions. */
const MAX_SLUG_LENGTH = 80;

/**
 * Turns any string into a safe fragment id or file stem: lower-case letters,
 * digits, `.`, `_` and `-` only, never empty, never starting with a dot (so
 * no hidden files and no `..`).
 */
export function slug(text: string, fallback = 'item'): string {
  const s = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^[-.]+|[-.]+$/g, '');
  return s === '' ? fallback : s;
}

/** Makes `slug`s unique in first-seen order by appending -2, -3, …, so the same input always gives the same names. */
export class UniqueSlugs {
  private readonly used = new Set<string>();

  take(text: string, fallback?: string): string {
    const base = slug(text, fallback);
    let candidate = base;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${base}-${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

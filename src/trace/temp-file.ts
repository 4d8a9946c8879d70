/**
 * The temp-file half of atomic output: write beside the destination, then
 * rename over it; on failure, delete the temp file.
 */
import * as fs from 'node:fs';

/**
 * Temp name beside the destination, an FNV-1a hash of the destination and of
 * what is being written (the run's provenance, the source file), never of the
 * clock or the pid, so redoing the same output reuses — and overwrites — the
 * same temp file instead of piling up leftovers.
 */
export function tempPathFor(path: string, source: string): string {
  let h = FNV_OFFSET;
  const key = `${path}\0${source}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return `${path}.tmp-${(h >>> 0).toString(16).padStart(HASH_HEX_DIGITS, '0')}`;
}
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const HASH_HEX_DIGITS = 8;

/** Deletes a file if it is there; used to leave nothing half-written behind. */
export function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (e) {
    // ENOTDIR: a part of the path is a file, so there is no such file either (and the caller's own error says why).
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
  }
}

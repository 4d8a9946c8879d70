/**
 * Conservation checks of displif's bookkeeping (dmabuf.displif), true at any
 * moment of a run (between any two events: a run may stop at `until` or
 * `maxEvents` with frames in flight): every buffer exported or imported is
 * torn down or still shared, and what is shared is still granted and mapped
 * in Xen's tables; every request displif counts went onto its ring and every
 * response it counts came off the backend; no frame is flipped before it is
 * asked for or answered before it is flipped; the buffers free for the
 * frontend are each free once, never the one on screen. Displif returns them
 * from `invariants()`, so a run that loses a buffer, a grant or a flip fails
 * (a model bug).
 */

/** What displif counts, and what it holds now (Displif.bookkeeping()). */
export interface DisplifBookkeeping {
  /** Buffers in rotation (0 until the buffers are allocated). */
  readonly buffers: number;
  readonly pages: number;
  /** Reuse 'after-flip': the frontend renders only into buffers on the free list. */
  readonly afterFlip: boolean;
  /** Buffers exported (granted) and imported (mapped) so far; teardowns begun (each unmaps one import and ends one export). */
  readonly exports: number;
  readonly imports: number;
  readonly teardowns: number;
  /** Buffers exported, and imported, now (not torn down or being torn down). */
  readonly liveExports: number;
  readonly liveImports: number;
  /** Refs of the exported buffers their granter no longer grants to the other side. */
  readonly refsNotGranted: number;
  /** Imported buffers holding other than one mapping per page, or a mapping Xen no longer has. */
  readonly importsNotMapped: number;
  /** Per-frame sharing: buffers on the free list still exported or imported (a teardown skipped). */
  readonly freeButShared: readonly number[];
  /** Requests the frontend sent on the displif ring, by kind; responses the backend sent; responses the frontend took in. */
  readonly flipRequests: number;
  readonly createRequests: number;
  readonly flipped: number;
  readonly createsServed: number;
  readonly flipsAnswered: number;
  readonly createsAnswered: number;
  /** The displif ring's own counts (null before it is connected). */
  readonly ring: { readonly requestsPushed: number; readonly responsesPushed: number } | null;
  /** The remote-sync ring's: the backend asks one CPU-access op at a time and waits for its answer. */
  readonly syncRing: { readonly requestsPushed: number; readonly responsesTaken: number } | null;
  /** Buffers free for the frontend, oldest first; the one the backend shows (-1: none yet). */
  readonly free: readonly number[];
  readonly onScreen: number;
  /** Buffers the frontend took off the free list, and the backend put back ('after-flip'). */
  readonly taken: number;
  readonly returned: number;
}

export function displifInvariants(s: DisplifBookkeeping): string[] {
  const out: string[] = [];
  if (s.exports !== s.teardowns + s.liveExports) out.push(`buffers exported: ${s.exports} != ${s.teardowns} torn down + ${s.liveExports} shared now`);
  if (s.imports !== s.teardowns + s.liveImports) out.push(`buffers imported: ${s.imports} != ${s.teardowns} torn down + ${s.liveImports} mapped now`);
  if (s.refsNotGranted > 0) out.push(`refs of the shared buffers no longer granted: ${s.refsNotGranted}`);
  if (s.importsNotMapped > 0) out.push(`imported buffers not holding their ${s.pages} mappings: ${s.importsNotMapped}`);
  if (s.freeButShared.length > 0) out.push(`buffers ${s.freeButShared.join(', ')} free but still shared (per-frame sharing tears a buffer down before freeing it)`);
  if (s.ring !== null) {
    if (s.ring.requestsPushed !== s.flipRequests + s.createRequests) {
      out.push(`ring requests: ${s.flipRequests} flips + ${s.createRequests} creates sent != ${s.ring.requestsPushed} pushed on the ring`);
    }
    if (s.ring.responsesPushed !== s.flipped + s.createsServed) {
      out.push(`ring responses: ${s.flipped} flipped + ${s.createsServed} creates served != ${s.ring.responsesPushed} pushed on the ring`);
    }
  }
  if (s.flipsAnswered > s.flipped || s.flipped > s.flipRequests) out.push(`flips: ${s.flipRequests} requested, ${s.flipped} flipped, ${s.flipsAnswered} answered`);
  if (s.createsAnswered > s.createsServed || s.createsServed > s.createRequests) {
    out.push(`creates: ${s.createRequests} requested, ${s.createsServed} served, ${s.createsAnswered} answered`);
  }
  if (s.syncRing !== null) {
    const outstanding = s.syncRing.requestsPushed - s.syncRing.responsesTaken;
    // The backend waits for each op's answer before asking the next: at most one outstanding.
    if (outstanding < 0 || outstanding > 1) out.push(`remote sync: ${s.syncRing.requestsPushed} ops asked, ${s.syncRing.responsesTaken} answered`);
  }
  if (s.afterFlip) {
    const seen = new Set<number>();
    const bad = s.free.filter((b) => {
      const dup = seen.has(b);
      seen.add(b);
      return dup || !Number.isInteger(b) || b < 0 || b >= s.buffers || b === s.onScreen;
    });
    if (bad.length > 0) out.push(`free buffers [${s.free.join(', ')}]: ${bad.join(', ')} twice, out of range or on screen`);
    if (s.free.length + s.taken - s.returned !== s.buffers) {
      out.push(`buffers: ${s.free.length} free + ${s.taken} taken - ${s.returned} returned != ${s.buffers} in rotation`);
    }
  }
  return out;
}

/**
 * A domain's grant table (Xen public/grant_table.h) and a mapping domain's
 * maptrack: the data structures only; what operations on them cost is
 * gnttab.ts's business.
 *
 *  - v1 entries are 8 bytes (512 per 4 KiB frame); v2 entries 16 bytes (256
 *    per frame) plus a 2-byte status word each, in status frames of their
 *    own. The first 8 entries are reserved (GNTTAB_NR_RESERVED_ENTRIES).
 *  - The table starts with `initialFrames` frames and grows one frame at a
 *    time (a hypercall) up to `maxFrames` (Xen's default 64; SOURCES.md).
 *  - Free entries form a LIFO list, as Linux's gnttab free list does.
 *  - A full table or maptrack is a result, not an exception: callers get
 *    NO_REF / false and the protocol decides what to do.
 */

export type GrantVersion = 1 | 2;

/** Entries Xen reserves at the start of every table (GNTTAB_NR_RESERVED_ENTRIES). */
export const RESERVED_ENTRIES = 8;
/** Bytes of a v1 / v2 grant entry (grant_entry_v1_t, grant_entry_v2_t). */
export const ENTRY_BYTES: Record<GrantVersion, number> = { 1: 8, 2: 16 };
/** Bytes of a v2 status word (grant_status_t). */
export const V2_STATUS_BYTES = 2;

/** No entry: the table is full (even after growing to its maximum). */
export const NO_REF = -1;

export interface GrantOutcome {
  ref: number;
  /** Frames the table grew by to find the entry (each one a hypercall). */
  grewFrames: number;
}

export class GrantTable {
  readonly entriesPerFrame: number;
  readonly capacity: number;
  private framesNow: number;
  /** Per entry: granted-to domain (-1 = free), read-only flag, times currently mapped. */
  private readonly grantee: Int32Array;
  private readonly readOnly: Uint8Array;
  private readonly mapCount: Int32Array;
  /** Free entries of the frames present, as a stack (top = next handed out). */
  private readonly free: Int32Array;
  private nFree = 0;
  private inUse = 0;
  private highWater = 0;
  /** Entries ever granted, and ever ended. */
  private grantedTotal = 0;
  private endedTotal = 0;

  constructor(readonly version: GrantVersion, readonly maxFrames: number, initialFrames: number, readonly pageBytes: number) {
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new RangeError(`maxFrames must be a positive integer, got ${maxFrames}`);
    if (!Number.isInteger(initialFrames) || initialFrames < 1 || initialFrames > maxFrames) throw new RangeError(`initialFrames must be 1..maxFrames (${maxFrames}), got ${initialFrames}`);
    this.entriesPerFrame = pageBytes / ENTRY_BYTES[version];
    this.capacity = maxFrames * this.entriesPerFrame;
    this.grantee = new Int32Array(this.capacity).fill(-1);
    this.readOnly = new Uint8Array(this.capacity);
    this.mapCount = new Int32Array(this.capacity);
    this.free = new Int32Array(this.capacity);
    this.framesNow = 0;
    this.addFrames(initialFrames);
  }

  /** Frames the table has now. */
  get frames(): number {
    return this.framesNow;
  }

  /** Entries granted and not yet ended. */
  get used(): number {
    return this.inUse;
  }

  /** The most entries in use at once. */
  get peakUsed(): number {
    return this.highWater;
  }

  /** Entries a domain can ever grant: all but the reserved ones. */
  get usable(): number {
    return this.capacity - RESERVED_ENTRIES;
  }

  /** Memory the table takes: its frames, and for v2 the status frames. */
  get bytes(): number {
    const table = this.framesNow * this.pageBytes;
    if (this.version === 1) return table;
    const statusBytes = this.framesNow * this.entriesPerFrame * V2_STATUS_BYTES;
    return table + Math.ceil(statusBytes / this.pageBytes) * this.pageBytes;
  }

  /** Entries that could still be granted: free ones now plus those of the frames the table may still add. */
  get available(): number {
    return this.nFree + (this.maxFrames - this.framesNow) * this.entriesPerFrame;
  }

  /** Grants `domid` access to one page; grows the table if it must. NO_REF if full at maxFrames. */
  grant(domid: number, readOnly: boolean): GrantOutcome {
    let grew = 0;
    while (this.nFree === 0) {
      if (this.framesNow === this.maxFrames) return { ref: NO_REF, grewFrames: grew };
      this.addFrames(1);
      grew++;
    }
    const ref = this.free[--this.nFree]!;
    this.grantee[ref] = domid;
    this.readOnly[ref] = readOnly ? 1 : 0;
    this.inUse++;
    this.grantedTotal++;
    this.highWater = Math.max(this.highWater, this.inUse);
    return { ref, grewFrames: grew };
  }

  /** Is `ref` granted to `domid` (for write access, not read-only)? Reserved, absent and free entries have no grantee; a ref outside the table reads undefined. */
  grantedTo(ref: number, domid: number, write: boolean): boolean {
    return this.grantee[ref] === domid && (!write || this.readOnly[ref] === 0);
  }

  mapped(ref: number): number {
    return this.mapCount[ref]!;
  }

  noteMapped(ref: number, delta: 1 | -1): void {
    this.mapCount[ref]! += delta;
  }

  /**
   * Ends foreign access: the entry is free again. 'busy' if the grantee
   * still maps it (Linux then defers the free; the caller decides).
   */
  end(ref: number): 'ok' | 'busy' | 'bad-ref' {
    if (ref < RESERVED_ENTRIES || ref >= this.framesNow * this.entriesPerFrame || this.grantee[ref] === -1) return 'bad-ref';
    if (this.mapCount[ref]! > 0) return 'busy';
    this.grantee[ref] = -1;
    this.free[this.nFree++] = ref;
    this.inUse--;
    this.endedTotal++;
    return 'ok';
  }

  /** Entries ever granted and ever ended (each grant and each end writes the entry). */
  get writes(): { granted: number; ended: number } {
    return { granted: this.grantedTotal, ended: this.endedTotal };
  }

  /** Mappings of this table's entries held by grantees now. */
  get mappings(): number {
    return this.mapCount.reduce((n, m) => n + m, 0);
  }

  /**
   * The table's own bookkeeping: each present entry past the reserved ones
   * is granted or on the free list, once; the counts agree with the
   * entries; only granted entries are mapped, never a negative number of
   * times. Messages name what is off (empty when all hold).
   */
  invariants(): string[] {
    const out: string[] = [];
    const present = this.framesNow * this.entriesPerFrame;
    let granted = 0;
    for (let ref = 0; ref < this.capacity; ref++) {
      if (this.grantee[ref] !== -1) {
        granted++;
        if (ref < RESERVED_ENTRIES || ref >= present) out.push(`entry ${ref} is granted but reserved or past the table's ${this.framesNow} frames`);
      } else if (this.mapCount[ref] !== 0) out.push(`entry ${ref} is free but mapped ${this.mapCount[ref]} times`);
      if (this.mapCount[ref]! < 0) out.push(`entry ${ref} is mapped ${this.mapCount[ref]} times`);
    }
    const onFreeList = new Set<number>();
    for (let i = 0; i < this.nFree; i++) {
      const ref = this.free[i]!;
      if (onFreeList.has(ref) || this.grantee[ref] !== -1) out.push(`entry ${ref} is on the free list twice, or while granted`);
      onFreeList.add(ref);
    }
    if (granted !== this.inUse || this.inUse !== this.grantedTotal - this.endedTotal) {
      out.push(`${granted} entries granted, ${this.inUse} counted in use, ${this.grantedTotal} grants - ${this.endedTotal} ends`);
    }
    if (this.nFree + this.inUse !== Math.max(0, present - RESERVED_ENTRIES)) out.push(`${this.nFree} free + ${this.inUse} in use != ${present} entries present - ${RESERVED_ENTRIES} reserved`);
    if (this.framesNow > this.maxFrames || this.highWater < this.inUse) out.push(`${this.framesNow} of ${this.maxFrames} frames, peak ${this.highWater} < ${this.inUse} in use`);
    return out;
  }

  private addFrames(n: number): void {
    const first = this.framesNow * this.entriesPerFrame;
    this.framesNow += n;
    const end = this.framesNow * this.entriesPerFrame;
    // Pushed high to low so the lowest free entry is handed out first.
    for (let ref = end - 1; ref >= Math.max(first, RESERVED_ENTRIES); ref--) this.free[this.nFree++] = ref;
  }
}

/** The mapping side's table of its foreign mappings; Xen's limit is 262,144 (SOURCES.md). */
export class Maptrack {
  private inUse = 0;
  private highWater = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.inUse;
  }

  get peakUsed(): number {
    return this.highWater;
  }

  /** Takes one handle; false if the maptrack is full. */
  take(): boolean {
    if (this.inUse >= this.limit) return false;
    this.inUse++;
    this.highWater = Math.max(this.highWater, this.inUse);
    return true;
  }

  put(): void {
    if (this.inUse === 0) throw new Error('model bug: maptrack handle returned twice');
    this.inUse--;
  }
}

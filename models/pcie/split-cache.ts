/**
 * Hot-path helpers the PCIe blocks share to cut transfers into TLPs: a
 * memo of tlp.ts's split functions (SplitCache), so a stream that cuts the
 * same shape over and over splits it once, and the DW-padded size of a
 * payload (paddedBytes), without the checks tlp.ts makes.
 */
import { DW_MASK } from './fabric.js';
import { DW_BYTES, REQUEST_BOUNDARY_BYTES, type TlpPiece } from './tlp.js';

/** The TLPs of one split, relative to its start address: piece k is [start + offset[k], + length[k]) with bytes[k] TLP bytes. */
export interface SplitPieces {
  readonly count: number;
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly bytes: Int32Array;
}

/** Entries a SplitCache keeps before it starts over (a workload of random sizes and offsets would otherwise grow it without bound). */
const SPLIT_CACHE_ENTRIES = 4096;
/** SplitCache's front: 2^RECENT_BITS slots, and the multiplier of its hash (2^32 over the golden ratio). */
const RECENT_BITS = 6, RECENT_SLOTS = 1 << RECENT_BITS, FIB_HASH = 0x9e3779b1;
/** At and above 4 GiB memory requests carry a 4 DW header (tlp.ts ADDRESS_32BIT_LIMIT). */
const ADDRESS_64BIT = 2 ** 32;

/**
 * Memoizes one of tlp.ts's split functions (splitWrite, splitRead,
 * splitCompletions) for ranges that do not cross a 4 KiB boundary. Such a
 * split depends only on the start's offset within its 4 KiB page (every
 * cut is at a multiple of MPS, MRRS or RCB, all powers of two <= 4 KiB; DW
 * padding depends on the offset too), the length, and whether the address
 * is at or above 4 GiB (header size). A page never straddles 4 GiB, so the
 * cache calls the split function on a representative address with the same
 * three properties and keeps the pieces relative to the start: a sequential
 * DMA stream splits each shape once, not once per page.
 */
export class SplitCache {
  private readonly cache = new Map<number, SplitPieces>();
  /**
   * A direct-mapped front to the Map, by a hash of the key: a stream cycles
   * through a few shapes (reads of MRRS at each offset in a page), and a
   * completer asks once per read request.
   */
  private readonly recentKeys = new Float64Array(RECENT_SLOTS).fill(-1);
  private readonly recent: (SplitPieces | undefined)[] = new Array<SplitPieces | undefined>(RECENT_SLOTS).fill(undefined);

  constructor(private readonly split: (addr: number, length: number) => TlpPiece[]) {}

  /** The split of [addr, addr + length), which must lie within one 4 KiB page. */
  get(addr: number, length: number): SplitPieces {
    const high = addr >= ADDRESS_64BIT ? 1 : 0;
    const offset = addr & (REQUEST_BOUNDARY_BYTES - 1); // addr % 4096 without fmod (see fabric.ts DW_MASK)
    const key = ((high * REQUEST_BOUNDARY_BYTES + offset) * (REQUEST_BOUNDARY_BYTES + 1)) + length;
    // key < 2^26 (two 4 KiB pages of offsets by 4097 lengths): the top bits of a Fibonacci hash spread it over the slots.
    const slot = Math.imul(key, FIB_HASH) >>> (32 - RECENT_BITS);
    if (this.recentKeys[slot] === key) return this.recent[slot]!;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      if (offset + length > REQUEST_BOUNDARY_BYTES) throw new Error(`model bug: SplitCache asked for ${length} bytes at 0x${addr.toString(16)}, across a 4 KiB boundary`);
      const start = high * ADDRESS_64BIT + offset;
      const pieces = this.split(start, length);
      const n = pieces.length;
      hit = { count: n, offset: new Int32Array(n), length: new Int32Array(n), bytes: new Int32Array(n) };
      for (let k = 0; k < n; k++) {
        const p = pieces[k]!;
        hit.offset[k] = p.addr - start;
        hit.length[k] = p.length;
        hit.bytes[k] = p.tlpBytes;
      }
      if (this.cache.size >= SPLIT_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(key, hit);
    }
    this.recentKeys[slot] = key;
    this.recent[slot] = hit;
    return hit;
  }
}

/** Bytes of `length` at `addr` as a TLP payload: whole DWs (tlp.ts payloadWireBytes, without its argument checks). */
export function paddedBytes(addr: number, length: number): number {
  if (length === 0) return 0;
  // & DW_MASK is % DW_BYTES without a call to fmod for addresses past 2^32 (see fabric.ts DW_MASK).
  const first = addr - (addr & DW_MASK);
  const end = addr + length;
  return end + ((DW_BYTES - (end & DW_MASK)) & DW_MASK) - first;
}

/**
 * Transaction Layer Packets: header sizes, payload sizes on the wire, and the
 * rules that cut a DMA transfer into TLPs (writes by Max_Payload_Size, reads by
 * Max_Read_Request_Size, read completions by Max_Payload_Size and the Read
 * Completion Boundary).
 *
 * Pure functions and constants only. Per-TLP link framing (STP, sequence
 * number, LCRC, END, or FLIT packing) belongs to the link, see link-timing.ts.
 *
 * Spec references are to the PCI Express Base Specification r6.3 (text
 * checked); the same rules carry the same section numbers in r5.0 unless noted.
 *
 * Addresses are byte addresses held in JS numbers, so they must be safe
 * integers (below 2^53, i.e. 8 PiB); that covers every simulated memory map.
 */
import { isPowerOfTwo } from '../../src/util/power-of-two.js';

/** The TLP types the fabric models use. */
export type TlpType = 'MRd' | 'MWr' | 'Cpl' | 'CplD' | 'Msg' | 'MsgD';

/** A double word: TLP headers and payloads are counted in DWs (§2.2.1.1, Length field). */
export const DW_BYTES = 4;
/** 3 DW header: memory requests with a 32-bit address, completions (§2.2.1.1 Table 2-2; FM: Table 2-5). */
export const HEADER_3DW_BYTES = 3 * DW_BYTES;
/** 4 DW header: memory requests with a 64-bit address, all messages (§2.2.1.1 Table 2-3; FM: Table 2-5). */
export const HEADER_4DW_BYTES = 4 * DW_BYTES;
/** Optional end-to-end CRC, the TLP Digest: one DW at the end of the TLP (§2.2.3, TD bit). */
export const ECRC_BYTES = DW_BYTES;
/**
 * Requests to addresses below 4 GiB must use the 32-bit (3 DW) format; a
 * 64-bit format request below 4 GiB is not specified (§2.2.4.1).
 */
export const ADDRESS_32BIT_LIMIT = 2 ** 32;
/** Requests must not cross a 4 KiB boundary (§2.2.7, Memory Request rules). */
export const REQUEST_BOUNDARY_BYTES = 4096;

/** Legal Max_Payload_Size and Max_Read_Request_Size values (Device Control register, §7.5.3.4). */
export const TRANSFER_SIZES = [128, 256, 512, 1024, 2048, 4096] as const;
export type TransferSize = (typeof TRANSFER_SIZES)[number];
/** Read Completion Boundary: 64 or 128 bytes for a Root Port (Link Control RCB bit), 128 for others (§2.3.1.1). */
export const READ_COMPLETION_BOUNDARIES = [64, 128] as const;
export type ReadCompletionBoundary = (typeof READ_COMPLETION_BOUNDARIES)[number];

/**
 * How a completer splits one read request into completions.
 *  - 'mps': as much data as Max_Payload_Size allows per completion; every
 *    completion but the last ends on an RCB boundary (§2.3.1.1 permits this).
 *  - 'rcb': one completion per RCB-aligned block, which some root complexes
 *    do (pcie-bench model: `rcb_chunks`); it costs a header per 64 or 128 B.
 */
export type CompletionMode = 'mps' | 'rcb';

/** One TLP of a split transfer. */
export interface TlpPiece {
  /** Byte address of the first byte this TLP writes, reads or returns. */
  readonly addr: number;
  /** Bytes the TLP writes, requests or returns (what the user asked for). */
  readonly length: number;
  /** Header bytes (12 or 16). */
  readonly headerBytes: number;
  /**
   * Whole TLP as the transaction layer hands it to the link: header, payload
   * padded to whole DWs, ECRC if enabled. An MRd carries no payload.
   * Link framing is added by link-timing.ts (`tlpWireTimePs`).
   */
  readonly tlpBytes: number;
}

export interface TlpOptions {
  /** Append the 4-byte ECRC digest to every TLP (§2.2.3). Default false. */
  readonly ecrc?: boolean;
}

// ---------------------------------------------------------------- validation

function assertTransferSize(value: number, name: string): asserts value is TransferSize {
  if (!isPowerOfTwo(value) || value < TRANSFER_SIZES[0] || value > TRANSFER_SIZES[TRANSFER_SIZES.length - 1]) {
    throw new RangeError(`${name} must be one of ${TRANSFER_SIZES.join(', ')} bytes (PCIe Base Spec §7.5.3.4), got ${value}`);
  }
}

/** Max_Payload_Size: a power of two from 128 to 4096 bytes. */
export function assertMaxPayloadSize(mps: number): asserts mps is TransferSize {
  assertTransferSize(mps, 'Max_Payload_Size (MPS)');
}

/** Max_Read_Request_Size: a power of two from 128 to 4096 bytes. */
export function assertMaxReadRequestSize(mrrs: number): asserts mrrs is TransferSize {
  assertTransferSize(mrrs, 'Max_Read_Request_Size (MRRS)');
}

/** Read Completion Boundary: 64 or 128 bytes. */
export function assertReadCompletionBoundary(rcb: number): asserts rcb is ReadCompletionBoundary {
  if (rcb !== 64 && rcb !== 128) {
    throw new RangeError(`Read Completion Boundary (RCB) must be 64 or 128 bytes (PCIe Base Spec §2.3.1.1), got ${rcb}`);
  }
}

export function assertCompletionMode(mode: string): asserts mode is CompletionMode {
  if (mode !== 'mps' && mode !== 'rcb') throw new RangeError(`completion mode must be 'mps' or 'rcb', got ${JSON.stringify(mode)}`);
}

function assertAddress(addr: number): void {
  if (!Number.isSafeInteger(addr) || addr < 0) {
    throw new RangeError(`address must be a non-negative integer below 2^53, got ${addr}`);
  }
}

function assertSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`${what} must be a non-negative integer number of bytes, got ${size}`);
}

function assertRange(addr: number, size: number, what: string): void {
  assertAddress(addr);
  assertSize(size, what);
  if (!Number.isSafeInteger(addr + size)) throw new RangeError(`address ${addr} + ${what} ${size} is past 2^53`);
}

// ---------------------------------------------------------------- sizes

/** True if TLPs of this type carry a data payload. */
export function carriesData(type: TlpType): boolean {
  return type === 'MWr' || type === 'CplD' || type === 'MsgD';
}

/**
 * Header size in bytes. Memory requests use 3 DW below 4 GiB and 4 DW at or
 * above it, whatever the requester's addressing capability (§2.2.4.1);
 * completions are 3 DW; messages are 4 DW. Flit Mode header bases have the
 * same sizes for these types (Table 2-5); optional Flit Mode OHC words (needed
 * for partial byte enables, PASID, ...) are not modelled.
 */
export function headerBytes(type: TlpType, addr = 0): number {
  switch (type) {
    case 'MRd':
    case 'MWr':
      assertAddress(addr);
      return addr < ADDRESS_32BIT_LIMIT ? HEADER_3DW_BYTES : HEADER_4DW_BYTES;
    case 'Cpl':
    case 'CplD':
      return HEADER_3DW_BYTES;
    case 'Msg':
    case 'MsgD':
      return HEADER_4DW_BYTES;
    default:
      throw new RangeError(`unknown TLP type ${JSON.stringify(type)}`);
  }
}

/**
 * Payload bytes on the wire for `length` bytes starting at `addr`: the Length
 * field counts whole DWs, so a transfer that starts or ends inside a DW carries
 * the whole DW (byte enables mark the unused bytes) (§2.2.1.1, §2.3.1.1).
 */
export function payloadWireBytes(addr: number, length: number): number {
  assertRange(addr, length, 'length');
  if (length === 0) return 0;
  const first = addr - (addr % DW_BYTES);
  const end = addr + length;
  const last = end + ((DW_BYTES - (end % DW_BYTES)) % DW_BYTES);
  return last - first;
}

/** Bytes of one whole TLP (header + DW-padded payload + optional ECRC), before link framing. */
export function tlpBytes(type: TlpType, addr: number, length: number, opts: TlpOptions = {}): number {
  const header = headerBytes(type, addr);
  const payload = carriesData(type) ? payloadWireBytes(addr, length) : 0;
  if (carriesData(type) && payload > REQUEST_BOUNDARY_BYTES) {
    throw new RangeError(`a TLP carries at most 1024 DW (4096 bytes) of payload; ${length} bytes at ${addr} need ${payload}`);
  }
  return header + payload + (opts.ecrc ? ECRC_BYTES : 0);
}

// ---------------------------------------------------------------- splitting

/**
 * Cuts [addr, addr + size) at every multiple of `block`. Since `block` is a
 * power of two no larger than 4096, its multiples include every 4 KiB
 * boundary, so no piece crosses one. An unaligned start costs one extra piece,
 * as it does on DMA engines that align their bursts.
 */
function splitAligned(addr: number, size: number, block: number): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  const end = addr + size;
  let a = addr;
  while (a < end) {
    const next = Math.min(end, (Math.floor(a / block) + 1) * block);
    pieces.push([a, next - a]);
    a = next;
  }
  return pieces;
}

/** Number of pieces splitAligned would return, without building them. */
function alignedPieceCount(addr: number, size: number, block: number): number {
  if (size === 0) return 0;
  return Math.floor((addr + size - 1) / block) - Math.floor(addr / block) + 1;
}

/**
 * A DMA write as Memory Write TLPs: each carries at most MPS bytes (§2.2.2)
 * and none crosses a 4 KiB boundary (§2.2.7). Like most DMA engines, the first
 * TLP runs to the next MPS-aligned address and the rest are MPS-sized and
 * MPS-aligned, so an unaligned start costs one extra TLP.
 */
export function splitWrite(addr: number, size: number, mps: number, opts: TlpOptions = {}): TlpPiece[] {
  assertMaxPayloadSize(mps);
  assertRange(addr, size, 'write size');
  return splitAligned(addr, size, mps).map(([a, n]) => ({
    addr: a, length: n, headerBytes: headerBytes('MWr', a), tlpBytes: tlpBytes('MWr', a, n, opts),
  }));
}

/** Number of MWr TLPs splitWrite returns: the MPS-aligned blocks the range touches. */
export function writeTlpCount(addr: number, size: number, mps: number): number {
  assertMaxPayloadSize(mps);
  assertRange(addr, size, 'write size');
  return alignedPieceCount(addr, size, mps);
}

/**
 * A DMA read as Memory Read requests: each asks for at most MRRS bytes
 * (§7.5.3.4) and none crosses a 4 KiB boundary (§2.2.7). Requests are cut at
 * MRRS-aligned addresses, the same policy as splitWrite. A request carries no
 * payload: its tlpBytes is its header (plus ECRC).
 */
export function splitRead(addr: number, size: number, mrrs: number, opts: TlpOptions = {}): TlpPiece[] {
  assertMaxReadRequestSize(mrrs);
  assertRange(addr, size, 'read size');
  return splitAligned(addr, size, mrrs).map(([a, n]) => ({
    addr: a, length: n, headerBytes: headerBytes('MRd', a), tlpBytes: tlpBytes('MRd', a, n, opts),
  }));
}

/** Number of MRd requests splitRead returns. */
export function readRequestCount(addr: number, size: number, mrrs: number): number {
  assertMaxReadRequestSize(mrrs);
  assertRange(addr, size, 'read size');
  return alignedPieceCount(addr, size, mrrs);
}

function assertOneRequest(addr: number, length: number): void {
  assertRange(addr, length, 'read request length');
  if (length > REQUEST_BOUNDARY_BYTES) throw new RangeError(`one read request asks for at most 4096 bytes, got ${length}`);
  if (length > 0 && Math.floor(addr / REQUEST_BOUNDARY_BYTES) !== Math.floor((addr + length - 1) / REQUEST_BOUNDARY_BYTES)) {
    throw new RangeError(`a read request must not cross a 4 KiB boundary (PCIe Base Spec §2.2.7): ${length} bytes at 0x${addr.toString(16)}`);
  }
}

/**
 * End of the next completion in 'mps' mode, starting at `a`: the whole rest
 * if its DW-padded payload fits in MPS, otherwise the last RCB boundary that
 * keeps the payload within MPS. Because the completion's payload starts at
 * the DW holding `a`, the limit is measured from that DW.
 */
function nextMpsCompletionEnd(a: number, end: number, mps: number, rcb: number): number {
  const dwStart = a - (a % DW_BYTES);
  const dwEnd = end + ((DW_BYTES - (end % DW_BYTES)) % DW_BYTES);
  if (dwEnd - dwStart <= mps) return end;
  // mps is a multiple of rcb, and the first RCB boundary above `a` is at most
  // rcb bytes past dwStart, so this boundary lies strictly after `a`.
  return Math.floor((dwStart + mps) / rcb) * rcb;
}

/**
 * Completions with data returned for ONE read request of `length` bytes at
 * `addr` (which must not cross 4 KiB). §2.3.1.1: the first completion ends at
 * the end of the request or at an RCB multiple; completions in between are
 * whole multiples of RCB; the last one ends the request.
 *  - 'mps': each completion carries as much as MPS allows and ends on an RCB
 *    boundary (from an unaligned start, the first completion is shorter).
 *  - 'rcb': one completion per RCB-aligned block.
 */
export function splitCompletions(addr: number, length: number, mps: number, rcb: number, mode: CompletionMode, opts: TlpOptions = {}): TlpPiece[] {
  assertMaxPayloadSize(mps);
  assertReadCompletionBoundary(rcb);
  assertCompletionMode(mode);
  assertOneRequest(addr, length);
  const raw = mode === 'rcb' ? splitAligned(addr, length, rcb) : (() => {
    const out: Array<[number, number]> = [];
    const end = addr + length;
    for (let a = addr; a < end;) {
      const next = nextMpsCompletionEnd(a, end, mps, rcb);
      out.push([a, next - a]);
      a = next;
    }
    return out;
  })();
  return raw.map(([a, n]) => ({
    addr: a, length: n, headerBytes: headerBytes('CplD', a), tlpBytes: tlpBytes('CplD', a, n, opts),
  }));
}

/** Number of completions splitCompletions returns, in constant time. */
export function completionCount(addr: number, length: number, mps: number, rcb: number, mode: CompletionMode): number {
  assertMaxPayloadSize(mps);
  assertReadCompletionBoundary(rcb);
  assertCompletionMode(mode);
  assertOneRequest(addr, length);
  if (length === 0) return 0;
  if (mode === 'rcb') return alignedPieceCount(addr, length, rcb);
  const end = addr + length;
  const firstEnd = nextMpsCompletionEnd(addr, end, mps, rcb);
  if (firstEnd === end) return 1;
  // From an RCB-aligned start every further completion but the last carries
  // exactly MPS bytes (MPS is a multiple of RCB), so the rest divide evenly.
  const dwEnd = end + ((DW_BYTES - (end % DW_BYTES)) % DW_BYTES);
  return 1 + Math.ceil((dwEnd - firstEnd) / mps);
}

/**
 * Total completions for a whole DMA read of `size` bytes at `addr`, split into
 * requests as splitRead does, in constant time: the first request, the
 * identical MRRS-aligned middle ones, and the last.
 */
export function readCompletionCount(addr: number, size: number, mrrs: number, mps: number, rcb: number, mode: CompletionMode): number {
  assertMaxReadRequestSize(mrrs);
  assertMaxPayloadSize(mps);
  assertReadCompletionBoundary(rcb);
  assertCompletionMode(mode);
  assertRange(addr, size, 'read size');
  if (size === 0) return 0;
  const end = addr + size;
  const firstEnd = Math.min(end, (Math.floor(addr / mrrs) + 1) * mrrs);
  let total = completionCount(addr, firstEnd - addr, mps, rcb, mode);
  if (firstEnd === end) return total;
  const lastStart = Math.max(firstEnd, Math.floor((end - 1) / mrrs) * mrrs);
  const middle = (lastStart - firstEnd) / mrrs;
  if (middle > 0) total += middle * completionCount(firstEnd, mrrs, mps, rcb, mode);
  return total + completionCount(lastStart, end - lastStart, mps, rcb, mode);
}

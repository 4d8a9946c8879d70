/**
 * Closed-form, link-limited throughput of a DMA write or read over one PCIe
 * link: the number the simulated link must reproduce (within 1 %) when it
 * moves the same transfer with the same configuration.
 *
 * It is the pcie-bench model (Neugebauer et al., SIGCOMM 2018;
 * github.com/pcie-bench/pcie-model, model/mem_bw.py `write`/`read` on top of
 * model/pcie.py `TLP_bw`) with three changes, each explained where it is made:
 *  1. DLLP overhead in the spec's units (link-timing.ts dllpOverheadFraction);
 *  2. TLP counts follow the exact splitting rules of tlp.ts (unaligned starts,
 *     4 KiB boundaries, DW padding) rather than ceil(size / MPS);
 *  3. Flit Mode (Gen6) counts 236 TLP bytes per 256-byte FLIT, not 242.
 *
 *   throughput = size × linkRate × (1 − skp − dllp) / wireBytes(busiest direction)
 *
 * linkRate   raw bytes/s after line encoding (linkBytesPerSecond).
 * skp        fraction of time in SKP ordered sets (skpOverheadFraction).
 * dllp       fraction of time in Ack + UpdateFC DLLPs at the spec's
 *            recommended intervals (dllpOverheadFraction), or 0 with dllp: 'none'.
 * wireBytes  Non-Flit: Σ over TLPs of (header + DW-padded payload + ECRC + 8
 *            framing bytes). Flit: Σ (header + payload + ECRC) × 256/236.
 *
 * What it leaves out, on purpose: read latency (tags, completion credits,
 * Little's law) — this is the link bound; the device, root complex and memory
 * models add the rest. Both link directions are assumed to have the same
 * generation and width.
 */
import {
  ECRC_BYTES, HEADER_3DW_BYTES, HEADER_4DW_BYTES,
  assertMaxPayloadSize, assertMaxReadRequestSize, assertReadCompletionBoundary, assertCompletionMode,
  readCompletionCount, readRequestCount, writeTlpCount, payloadWireBytes,
  type CompletionMode, type ReadCompletionBoundary, type TransferSize,
} from './tlp.js';
import {
  TLP_FRAMING_BYTES, assertGen, assertWidth, dllpOverheadFraction, isFlitMode, linkBytesPerSecond, skpOverheadFraction, tlpWireBytes,
  type LinkWidth, type PcieGen,
} from './link-timing.js';

/**
 * Which DLLPs share the data direction.
 *  - 'recommended' (default): one Ack and one UpdateFC per the spec's
 *    recommended interval, as pcie-bench assumes (both directions busy).
 *  - 'none': no DLLPs at all — an upper bound, or a one-way write whose
 *    reverse direction carries the Acks.
 */
export type DllpPolicy = 'recommended' | 'none';

export interface DmaWriteConfig {
  readonly gen: PcieGen;
  readonly width: LinkWidth;
  readonly mps: TransferSize;
  /** The buffer lies at or above 4 GiB, so every request uses a 4 DW header (§2.2.4.1). */
  readonly addr64: boolean;
  /** ECRC on every TLP (4 bytes each). Default false. */
  readonly ecrc?: boolean;
  /** Start address modulo 4 KiB (alignment of the transfer). Default 0. */
  readonly offset?: number;
  readonly dllp?: DllpPolicy;
}

export interface DmaReadConfig extends DmaWriteConfig {
  readonly mrrs: TransferSize;
  readonly rcb: ReadCompletionBoundary;
  /** How the completer splits each request (tlp.ts CompletionMode). */
  readonly rcbMode: CompletionMode;
}

/** Wire accounting of a DMA write: what the data direction carries. */
export interface WriteWire {
  readonly tlps: number;
  /** Σ TLP bytes (header + DW-padded payload + ECRC), before link framing. */
  readonly tlpBytes: number;
  /** Σ link bytes: tlpBytes + framing (Non-Flit) or tlpBytes × 256/236 (Flit). */
  readonly wireBytes: number;
}

/** Wire accounting of a DMA read, per direction. */
export interface ReadWire {
  readonly requests: WriteWire;
  readonly completions: WriteWire;
}

const DEFAULT_POLICY: DllpPolicy = 'recommended';

function checkCommon(size: number, cfg: DmaWriteConfig): number {
  assertGen(cfg.gen);
  assertWidth(cfg.width);
  assertMaxPayloadSize(cfg.mps);
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`transfer size must be a positive integer number of bytes, got ${size}`);
  const offset = cfg.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= 4096) throw new RangeError(`offset must be an integer in [0, 4096), got ${offset}`);
  if (cfg.dllp !== undefined && cfg.dllp !== 'recommended' && cfg.dllp !== 'none') {
    throw new RangeError(`dllp policy must be 'recommended' or 'none', got ${JSON.stringify(cfg.dllp)}`);
  }
  return offset;
}

/**
 * The header of every memory request of the transfer. No request straddles
 * 4 GiB (that would cross 4 KiB), so one flag describes them all.
 */
function requestHeaderBytes(addr64: boolean): number {
  return addr64 ? HEADER_4DW_BYTES : HEADER_3DW_BYTES;
}

function wire(tlps: number, payloadBytes: number, perTlpBytes: number, gen: PcieGen): WriteWire {
  const tlpBytes = payloadBytes + tlps * perTlpBytes;
  // Non-Flit Mode frames each TLP; Flit Mode scales all TLP bytes by 256/236.
  const wireBytes = isFlitMode(gen) ? tlpWireBytes(tlpBytes, gen) : tlpBytes + tlps * TLP_FRAMING_BYTES;
  return { tlps, tlpBytes, wireBytes };
}

/**
 * Fraction of a link direction's time left for TLPs: 1 − skp − dllp
 * (pcie-bench `TLP_bw` / raw, with the DLLP term in the spec's units).
 */
export function tlpTimeFraction(gen: PcieGen, width: LinkWidth, mps: number, dllp: DllpPolicy = DEFAULT_POLICY): number {
  assertMaxPayloadSize(mps);
  const d = dllp === 'none' ? 0 : dllpOverheadFraction(gen, width, mps);
  return 1 - skpOverheadFraction(gen, width) - d;
}

/** Link bytes of a DMA write of `size` bytes: MWr TLPs split by MPS (tlp.ts splitWrite). */
export function dmaWriteWire(size: number, cfg: DmaWriteConfig): WriteWire {
  const offset = checkCommon(size, cfg);
  const tlps = writeTlpCount(offset, size, cfg.mps);
  const perTlp = requestHeaderBytes(cfg.addr64) + (cfg.ecrc ? ECRC_BYTES : 0);
  return wire(tlps, payloadWireBytes(offset, size), perTlp, cfg.gen);
}

/**
 * Effective throughput of a DMA write, in payload bytes per second:
 *   size × linkRate × tlpTimeFraction / wireBytes.
 * Gen3 x8, MPS 256, 64-bit, aligned: 256 / (256 + 16 + 8) of 7.877 GB/s,
 * less 1/375 for SKP and 1.0006 % for DLLPs.
 */
export function dmaWriteThroughput(size: number, cfg: DmaWriteConfig): number {
  const w = dmaWriteWire(size, cfg);
  const rate = linkBytesPerSecond(cfg.gen, cfg.width) * tlpTimeFraction(cfg.gen, cfg.width, cfg.mps, cfg.dllp ?? DEFAULT_POLICY);
  return (size * rate) / w.wireBytes;
}

/**
 * Link bytes of a DMA read of `size` bytes: MRd requests split by MRRS on the
 * requester's transmit direction; CplD completions (3 DW header) split by MPS
 * and RCB on the way back (tlp.ts splitRead, splitCompletions).
 */
export function dmaReadWire(size: number, cfg: DmaReadConfig): ReadWire {
  const offset = checkCommon(size, cfg);
  assertMaxReadRequestSize(cfg.mrrs);
  assertReadCompletionBoundary(cfg.rcb);
  assertCompletionMode(cfg.rcbMode);
  const ecrc = cfg.ecrc ? ECRC_BYTES : 0;
  const requestCount = readRequestCount(offset, size, cfg.mrrs);
  const completionTlps = readCompletionCount(offset, size, cfg.mrrs, cfg.mps, cfg.rcb, cfg.rcbMode);
  return {
    requests: wire(requestCount, 0, requestHeaderBytes(cfg.addr64) + ecrc, cfg.gen),
    // Interior completion boundaries are RCB multiples (DW-aligned), so the
    // completions' DW-padded payloads add up to the padding of the whole range.
    completions: wire(completionTlps, payloadWireBytes(offset, size), HEADER_3DW_BYTES + ecrc, cfg.gen),
  };
}

/**
 * Effective throughput of a DMA read, in payload bytes per second: the data
 * comes back in completions, the requests go out on the other direction, and
 * whichever direction needs more link time per transfer sets the pace
 * (pcie-bench mem_bw.read):
 *   size × linkRate × tlpTimeFraction / max(completion wireBytes, request wireBytes).
 * Requests only bind for tiny MRRS with ECRC on very narrow links; normally
 * the completion direction does.
 */
export function dmaReadThroughput(size: number, cfg: DmaReadConfig): number {
  const w = dmaReadWire(size, cfg);
  const rate = linkBytesPerSecond(cfg.gen, cfg.width) * tlpTimeFraction(cfg.gen, cfg.width, cfg.mps, cfg.dllp ?? DEFAULT_POLICY);
  return (size * rate) / Math.max(w.completions.wireBytes, w.requests.wireBytes);
}

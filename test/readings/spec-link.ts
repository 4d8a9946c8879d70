/**
 * The link bound of a stream of equal TLPs, written from the spec's numbers
 * (not the model's helpers), for the readings' throughput figures:
 *
 *   raw    = lanes × GT/s × 128/130 / 8 bytes/s                    (128b/130b, Gen3 to Gen5)
 *   share  = 1 − 1/375 − 2 × DLLP time / Ack limit                 (SKP: one block per 375, §4.2.8.4;
 *            one Ack and one UpdateFC of 8 bytes per Ack latency limit, Table 3-12)
 *   bound  = raw × share × payload / (payload + header + 8)         (8 bytes of framing per TLP)
 *
 * Times are in Gen3 units; at Gen4 and Gen5 the symbol and byte times halve
 * together, so the share is the same and only raw scales.
 */
const GEN3_SYMBOL_PS = 1000;
/** One byte on one lane at Gen3: 8 bits × 125 ps × 130/128. */
const GEN3_LANE_BYTE_PS = 8 * 125 * 130 / 128;
/** Ack latency limit at 8.0 GT/s and up, MPS 256, in symbol times (PCIe r3.0 Table 3-12; UpdateFC's Table 2-54 has the same). */
const ACK_LIMIT_MPS256: Record<number, number> = { 4: 214, 8: 203, 16: 168 };
/** STP and LCRC around every TLP at 128b/130b. */
export const FRAMING = 8;
/** TLP headers: a memory request above 4 GiB has 4 DW, below 3 DW; a completion 3 DW. */
export const HEADER = { mem64: 16, mem32: 12, completion: 12 } as const;

type Gen = 3 | 4 | 5;
type Lanes = 4 | 8 | 16;

/** The share of a busy link's wire time left to TLPs at MPS 256: what SKP ordered sets and one Ack and one UpdateFC per Ack latency limit leave. */
export function tlpShare(lanes: Lanes): number {
  const dllp = (8 / lanes) * GEN3_LANE_BYTE_PS;
  return 1 - 1 / 375 - (2 * dllp) / (ACK_LIMIT_MPS256[lanes]! * GEN3_SYMBOL_PS);
}

/** Wire bytes/s left to TLPs (framing included) on a link of `lanes` at generation `gen`, MPS 256: raw × share. */
export function tlpWireRate(gen: Gen, lanes: Lanes): number {
  const raw = lanes * 8e9 * 2 ** (gen - 3) * (128 / 130) / 8;
  return raw * tlpShare(lanes);
}

/** Nanoseconds one TLP of `bytes` on the wire (framing included) takes on an idle link: its bytes striped over the lanes. */
export function tlpWireNs(gen: Gen, lanes: Lanes, bytes: number): number {
  return (bytes / lanes) * GEN3_LANE_BYTE_PS / 2 ** (gen - 3) / 1000;
}

/** Payload bytes/s of a stream of TLPs of `payload` bytes with `header` bytes of header. */
export function linkBound(gen: Gen, lanes: Lanes, payload: number, header: number): number {
  return tlpWireRate(gen, lanes) * payload / (payload + header + FRAMING);
}

export const GB = 1e9;

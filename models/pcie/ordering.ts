/**
 * PCIe transaction ordering between credit classes, shared by the link's
 * transmit queues and the switch's egress queues so both order TLPs alike.
 */
import { CREDIT_CLASS_COUNT } from './credits.js';
import type { TlpQueue } from './tlp-queue.js';

/**
 * May a TLP of class `later` be sent before an older one of class `earlier`?
 * MAY_PASS[later × 3 + earlier], classes P, NP, Cpl, from the Ordering Rules
 * Summary (Spec §2.4.1; r5.0 Table 2-40) for TLPs without RO/IDO: "Yes" for a
 * posted request passing a non-posted one (A3, A4) and a completion passing a
 * non-posted request (D3, D4); "No" for anything passing a posted request
 * (B2a, D2a) and a completion passing one with the same transaction ID (D5b).
 * Of the permitted "Y/N" cells we take A5a (posted passes completion) as Yes,
 * so a completion blocked on credits never holds back writes, and the rest
 * (B3-B5, D5a) as No.
 */
export const MAY_PASS = new Uint8Array([
  // earlier: P  NP Cpl
  /* P   */ 0, 1, 1,
  /* NP  */ 0, 0, 0,
  /* Cpl */ 0, 1, 0,
]);

/**
 * May the head of class `cls` (age stamp `seq`) go before every older head of
 * the other classes? `queues[base + c]` is class c's queue, whose column
 * `seqCol` holds the age stamps (smaller is older).
 */
export function passesOlderHeads(queues: readonly TlpQueue[], base: number, cls: number, seq: number, seqCol: number): boolean {
  for (let y = 0; y < CREDIT_CLASS_COUNT; y++) {
    const o = queues[base + y]!;
    if (y !== cls && o.size !== 0 && o.head(seqCol) < seq && MAY_PASS[cls * CREDIT_CLASS_COUNT + y] === 0) return false;
  }
  return true;
}

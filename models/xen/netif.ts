/**
 * The PV network protocol as data (Xen public/io/netif.h, Linux
 * drivers/net/xen-netfront.c and drivers/net/xen-netback), no time: the
 * rings' entries, and how many slots a transmitted packet takes and which
 * grant operations netback issues for it under each way of reaching the
 * guest's pages (a received packet of up to a page takes one slot and one
 * grant copy, or a memcpy into a premapped page).
 *
 *  - 'copy': every slot's bytes are grant-copied into dom0 (GNTTABOP_copy),
 *    as netback's transmit path did before Linux 3.15 and its receive path
 *    still does;
 *  - 'map': Linux netback since 3.15 ("xen-netback: Introduce TX grant
 *    mapping"): the first XEN_NETBACK_TX_COPY_LEN bytes (the headers) are
 *    grant-copied into the skb's linear area, the rest of the packet is
 *    mapped page by page (GNTTABOP_map_grant_ref) and unmapped once the
 *    stack frees the skb;
 *  - 'premapped': the guest's buffers were granted and mapped once, in
 *    advance (Xen docs/misc/netif-staging-grants.pandoc, the Linux
 *    "use gref mappings for Tx requests" commits): netback memcpys the
 *    headers and uses the rest in place; no grant operation per packet.
 */
import { RING_HEADER_BYTES, ringSlots } from './ring.js';

/** Ways netback reaches a transmitted packet's pages. */
export const NETIF_GRANT_MODES = ['copy', 'map', 'premapped'] as const;
export type NetifGrantMode = (typeof NETIF_GRANT_MODES)[number];

/**
 * Bytes of a transmit ring entry: the union of struct netif_tx_request
 * (gref 4, offset 2, flags 2, id 2, size 2) and struct netif_tx_response
 * (id 2, status 2) (Xen public/io/netif.h): 12. With the 64-byte ring header
 * a page holds 256 (NET_TX_RING_SIZE).
 */
export const NETIF_TX_SLOT_BYTES = 12;

/**
 * Bytes of a receive ring entry: struct netif_rx_request (id 2, pad 2,
 * gref 4) and struct netif_rx_response (id 2, offset 2, flags 2, status 2)
 * are 8 each (Xen public/io/netif.h): 256 to a page (NET_RX_RING_SIZE).
 */
export const NETIF_RX_SLOT_BYTES = 8;

/**
 * Grant refs netfront takes off the guest's free entries for each queue as
 * it sets the queue up (Linux xen-netfront.c xennet_init_queue:
 * gnttab_alloc_grant_references of NET_TX_RING_SIZE, then of
 * NET_RX_RING_SIZE): one for every slot of both rings, whichever way the
 * traffic goes. A queue whose refs do not fit does not come up (-ENOMEM,
 * "can't alloc tx grant refs"); one that came up never runs out (a claim
 * from the reservation cannot fail).
 */
export function netfrontReservedRefs(pageBytes: number): number {
  return ringSlots(pageBytes, RING_HEADER_BYTES, NETIF_TX_SLOT_BYTES) + ringSlots(pageBytes, RING_HEADER_BYTES, NETIF_RX_SLOT_BYTES);
}

/** A receive buffer is one XEN_PAGE_SIZE page (4096 on every architecture, Linux include/xen/page.h): the largest packet one rx slot takes. */
export const NETIF_RX_BUFFER_BYTES = 4096;

/** Linux drivers/net/xen-netfront.c: RX_COPY_THRESHOLD, bytes of a received packet netfront copies into the skb's linear area. */
export const NETFRONT_RX_COPY_THRESHOLD = 256;

/** Linux drivers/net/xen-netback/rx.c: COPY_BATCH_SIZE, grant-copy ops per GNTTABOP_copy on the receive path (and RX_BATCH_SIZE, packets per pass, is 64 too). */
export const NETBACK_RX_COPY_BATCH = 64;

/** Linux drivers/net/xen-netback/common.h: XEN_NETBACK_TX_COPY_LEN, the header bytes grant-copied into the skb's linear area. */
export const NETBACK_TX_COPY_LEN = 128;

/** Linux drivers/net/xen-netback/interface.c: XENVIF_NAPI_WEIGHT, packets per NAPI poll of one queue. */
export const NETBACK_NAPI_WEIGHT = 64;

/**
 * Largest frame without segmentation offload: a 1500-byte MTU plus the
 * 14-byte Ethernet header. A larger packet is a GSO packet, which netfront
 * describes with one extra ring slot (XEN_NETIF_EXTRA_TYPE_GSO) holding no data.
 */
export const ETHERNET_FRAME_BYTES = 1514;

/** What one transmitted packet costs the ring and netback's grant operations. */
export interface NetifTxPacket {
  /** Ring slots: one per page of data, plus the GSO extra-info slot of a large packet. */
  slots: number;
  /** Pages of data (each a granted page and a data slot). */
  pages: number;
  /** Bytes of each page of data, in order. */
  pageBytes: number[];
  /** Bytes of each GNTTABOP_copy op netback issues for the packet. */
  copies: number[];
  /** GNTTABOP_map_grant_ref ops (and, later, unmap ops). */
  maps: number;
  /** Bytes netback memcpys from a premapped page into the skb's linear area. */
  memcpyBytes: number;
}

/**
 * The slots and grant operations of a `bytes`-byte packet laid out from the
 * start of page-sized buffers, as netfront splits an skb at page boundaries
 * (xennet_make_txreqs): one data slot per page.
 */
export function netifTxPacket(bytes: number, pageBytes: number, mode: NetifGrantMode): NetifTxPacket {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError(`packet bytes must be a positive integer, got ${bytes}`);
  if (!Number.isInteger(pageBytes) || pageBytes < 1) throw new RangeError(`page bytes must be a positive integer, got ${pageBytes}`);
  const pages = Math.ceil(bytes / pageBytes);
  const perPage = Array.from({ length: pages }, (_, i) => Math.min(pageBytes, bytes - i * pageBytes));
  const slots = pages + (bytes > ETHERNET_FRAME_BYTES ? 1 : 0);
  const header = Math.min(NETBACK_TX_COPY_LEN, bytes);
  switch (mode) {
    case 'copy':
      return { slots, pages, pageBytes: perPage, copies: perPage, maps: 0, memcpyBytes: 0 };
    case 'map':
      // The first page is mapped too when it holds more than the copied header (xenvif_tx_build_gops).
      return { slots, pages, pageBytes: perPage, copies: [header], maps: pages - 1 + (perPage[0]! > header ? 1 : 0), memcpyBytes: 0 };
    case 'premapped':
      return { slots, pages, pageBytes: perPage, copies: [], maps: 0, memcpyBytes: header };
  }
}

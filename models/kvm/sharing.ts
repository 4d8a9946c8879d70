/**
 * KVM's ways for a guest's buffer to reach the host as a dma-buf, for
 * contrast with Xen's grants (SOURCES.md, KVM for contrast):
 *
 *  - udmabuf: the host (the VMM) turns the guest's memfd pages into a
 *    dma-buf with one ioctl, UDMABUF_CREATE_LIST of 24-byte items (memfd,
 *    offset, size), one per contiguous run of pages; it pins every page and
 *    builds the scatter-gather table. No grants, no hypercall per page. The
 *    list holds at most `udmabufListLimit` items and the buffer
 *    `udmabufSizeLimit` bytes (defaults 1024 and 64 MiB): past them the
 *    ioctl fails (EINVAL / ENOMEM), an outcome the caller sees.
 *  - virtio-gpu blob resource: the guest sends one command listing its
 *    pages as 16-byte virtio_gpu_mem_entry (address, length) per contiguous
 *    segment, kicks the virtqueue (one exit), the host takes the entries in
 *    and answers with one interrupt. RESOURCE_UNREF is one more command;
 *    unpinning costs per page what pinning did (an estimate).
 *
 * Both are plain timed steps on the caller (a process yields them); they
 * charge the run's attribution under "kvm-*" categories. The host keeps
 * each udmabuf it made, with its pinned pages, until the unref of the blob
 * it backs releases it, so its counts can be checked (conservation.ts).
 */
import type { ProcessBody } from '../../src/sim/index.js';
import type { Attribution } from '../../src/stats/attribution.js';
import { exitPs, type KvmCosts } from './costs.js';

/** struct udmabuf_create_item: memfd (4), pad (4), offset (8), size (8). */
export const UDMABUF_ITEM_BYTES = 24;
/** struct virtio_gpu_mem_entry: addr (8), length (4), padding (4). */
export const VIRTIO_GPU_MEM_ENTRY_BYTES = 16;

export const UDMABUF = 'kvm-udmabuf';
export const VIRTQUEUE = 'kvm-virtqueue';
export const VIRTIO_GPU_HOST = 'kvm-virtio-gpu';
export const INTERRUPT = 'kvm-interrupt';

/** A udmabuf made: its id, which the unref of the blob it backs gives back. */
export type UdmabufResult = { ok: true; udmabuf: number } | { ok: false; errno: 'EINVAL' | 'ENOMEM'; reason: string };

export interface KvmShareCounts {
  udmabufs: number;
  udmabufFailures: number;
  /** udmabufs released (by the unref of the blob each backs). */
  udmabufsReleased: number;
  /** Pages pinned by the udmabufs made, and unpinned as they were released. */
  pagesPinned: number;
  pagesUnpinned: number;
  exits: number;
  interrupts: number;
  /** virtio-gpu commands sent (RESOURCE_CREATE_BLOB and RESOURCE_UNREF), and the blobs they created and released. */
  blobCommands: number;
  blobsCreated: number;
  blobsReleased: number;
  memEntries: number;
}

export class KvmSharing {
  private readonly n: KvmShareCounts = {
    udmabufs: 0, udmabufFailures: 0, udmabufsReleased: 0, pagesPinned: 0, pagesUnpinned: 0, exits: 0, interrupts: 0,
    blobCommands: 0, blobsCreated: 0, blobsReleased: 0, memEntries: 0,
  };
  /** The udmabufs made and not released: id → pages pinned. */
  private readonly live = new Map<number, number>();
  private nextUdmabuf = 1;

  constructor(readonly costs: KvmCosts, private readonly attribution: Attribution) {}

  counts(): KvmShareCounts {
    return { ...this.n };
  }

  /** Is the udmabuf `id` made and not released? */
  isLive(id: number): boolean {
    return this.live.has(id);
  }

  /** The pages each live udmabuf pins. */
  livePages(): number[] {
    return [...this.live.values()];
  }

  /** UDMABUF_CREATE_LIST of `pages` pages in `segments` contiguous runs (one item each), on the host. */
  *udmabufCreate(pages: number, segments: number): ProcessBody<UdmabufResult> {
    const c = this.costs;
    if (segments > c.udmabufListLimit) {
      this.n.udmabufFailures++;
      return { ok: false, errno: 'EINVAL', reason: `${segments} items > list_limit ${c.udmabufListLimit}` };
    }
    if (pages * c.pageBytes > c.udmabufSizeLimit) {
      this.n.udmabufFailures++;
      return { ok: false, errno: 'ENOMEM', reason: `${pages * c.pageBytes} bytes > size_limit ${c.udmabufSizeLimit}` };
    }
    const t = c.ioctl + pages * (c.pinPerPage + c.sgPerPage);
    this.attribution.charge(UDMABUF, t);
    this.n.udmabufs++;
    this.n.pagesPinned += pages;
    const udmabuf = this.nextUdmabuf++;
    this.live.set(udmabuf, pages);
    yield t;
    return { ok: true, udmabuf };
  }

  /** RESOURCE_UNREF of a blob backed by the udmabuf `udmabuf`: one command (kick, host, interrupt), the udmabuf released and its pages unpinned. */
  *blobUnref(udmabuf: number): ProcessBody<void> {
    const c = this.costs;
    const pages = this.live.get(udmabuf);
    if (pages === undefined) throw new Error(`model bug: RESOURCE_UNREF of a blob backed by udmabuf ${udmabuf}, which is not live`);
    this.live.delete(udmabuf);
    this.n.udmabufsReleased++;
    this.n.pagesUnpinned += pages;
    this.n.blobsReleased++;
    const kick = exitPs(c), host = c.commandBase + pages * c.pinPerPage;
    this.attribution.charge(VIRTQUEUE, kick).charge(VIRTIO_GPU_HOST, host).charge(INTERRUPT, c.interrupt);
    this.n.blobCommands++;
    this.n.exits++;
    this.n.interrupts++;
    yield kick + host + c.interrupt;
  }

  /** A virtio-gpu RESOURCE_CREATE_BLOB with `segments` memory entries: guest writes, kick, host, interrupt. */
  *blobCreate(segments: number): ProcessBody<void> {
    const c = this.costs;
    const guest = segments * c.entryWrite, kick = exitPs(c), host = c.commandBase + segments * c.hostPerEntry;
    this.attribution.charge(VIRTQUEUE, guest + kick).charge(VIRTIO_GPU_HOST, host).charge(INTERRUPT, c.interrupt);
    this.n.blobCommands++;
    this.n.blobsCreated++;
    this.n.memEntries += segments;
    this.n.exits++;
    this.n.interrupts++;
    yield guest + kick + host + c.interrupt;
  }
}

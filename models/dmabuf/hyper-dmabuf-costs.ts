/**
 * What the hyper_dmabuf driver's own steps cost (hyper-dmabuf.ts), part of
 * a dmabuf.hyper-dmabuf's parameters. Hypercalls, grant operations, event
 * channels, rings and xenstore are the hypervisor's (models/xen/costs.ts,
 * channel-costs.ts); these are only what happens inside the guest kernels:
 * the dma-buf framework and the exporting driver's callbacks, the driver's
 * message handling, and the protocol's polling limits.
 *
 * Sources. The polling interval and limit, the event-queue depth and the
 * deferred end-of-access timer are read from code (SOURCES.md
 * "hyper_dmabuf protocol (RFC v2, 2018)"; the RFC's
 * backends/xen/hyper_dmabuf_xen_comm.c and hyper_dmabuf_event.c; Linux
 * drivers/xen/grant-table.c). Every other default is an estimate: no
 * published figure was found. Each one's comment gives the range worth
 * sweeping and why.
 */
import { z } from 'zod';
import { duration } from '../../src/scenario/units.js';
import { PS_PER_NS, PS_PER_S, PS_PER_US } from '../../src/sim/time.js';

export const hyperDmabufCostParams = z.strictObject({
  // From code: xen_be_send_req sleeps usleep_range(100, 120) between checks
  // of the response (and of a full ring). The lower bound is the default; the
  // 20 us of slack is pollJitter.
  pollInterval: duration().default(100 * PS_PER_US).describe(
    'A waiting sender sleeps this long between checks for its response or for a free ring slot (RFC: usleep_range(100, 120), lower bound)'),
  // 0 makes every sleep exactly pollInterval; 20 us reproduces usleep_range's
  // 100-120 us window, drawn from a named random stream (deterministic).
  pollJitter: duration().default(0).describe(
    'Extra sleep per poll drawn uniformly from [0, pollJitter] on a named random stream (0: fixed interval; 20 us: the RFC\'s 100-120 us window)'),
  // From code: `int timeout = 1000;` for the full-ring wait and again for the
  // response wait; past it the send fails (-EBUSY for the response).
  pollLimit: z.number().int().min(1).default(1000).describe(
    'Sleeps a sender makes waiting for a response (or for a free slot) before it gives up with -EBUSY (RFC: 1000)'),
  // From code: hyper_dmabuf_event.c MAX_DEPTH_EVENT_QUEUE; a full queue drops its oldest event.
  eventQueueDepth: z.number().int().min(1).default(32).describe(
    'NEW_IMPORT events the importer keeps for readers; a new one past this drops the oldest (RFC: 32)'),

  // Estimate, 0.3-3 us: syscall entry and exit, the ioctl dispatch and the
  // copy_from_user / copy_to_user of its argument struct.
  syscall: duration().default(1 * PS_PER_US).describe(
    'One ioctl or read on /dev/hyper_dmabuf: entry, dispatch, argument copies (est., 0.3-3 us)'),
  // Estimate, 0.1-1 us: fdget and a reference on the dma-buf's file.
  dmabufGet: duration().default(300 * PS_PER_NS).describe(
    'dma_buf_get: the fd to a dma-buf reference (est., 0.1-1 us)'),
  // Estimate, 0.5-20 us: the exporting driver's attach callback (i915,
  // amdgpu: an allocation and bookkeeping; more if it must migrate the BO).
  dmabufAttach: duration().default(2 * PS_PER_US).describe(
    'dma_buf_attach: the exporting driver\'s attach callback (est., 0.5-20 us)'),
  // Estimate, 1-50 us fixed plus 10-500 ns per page: map_dma_buf builds an
  // sg_table and DMA-maps it (with an IOMMU, SOURCES.md: dma_map_sg of
  // 8 x 4 KiB about 1.4 us, i.e. ~175 ns a page).
  mapAttachment: duration().default(5 * PS_PER_US).describe(
    'dma_buf_map_attachment, fixed part: the exporting driver\'s map_dma_buf (est., 1-50 us)'),
  mapAttachmentPerPage: duration().default(50 * PS_PER_NS).describe(
    'dma_buf_map_attachment, per page: one sg entry built and DMA-mapped (est., 10-500 ns; ~175 ns with an IOMMU)'),
  // Estimate, 5-100 ns: hyper_dmabuf_ext_pgs walks the sg_table into a page array.
  extractPagesPerPage: duration().default(20 * PS_PER_NS).describe(
    'Extracting one page from the sg_table into the page array to share (est., 5-100 ns)'),
  // Estimate, 100 ns-1 us: alloc_page plus clearing 4 KiB at ~10 GB/s
  // (~400 ns); only the exporter-only design allocates its own buffer.
  allocPerPage: duration().default(250 * PS_PER_NS).describe(
    'Exporter-only design: allocating and clearing one page of the driver-owned buffer (est., 100 ns-1 us)'),
  // Estimate, 0.3-5 us: hyper_dmabuf_msg_parse in the ring's interrupt
  // handler: a hash lookup by buffer id, a kmalloc, queue_work.
  msgParse: duration().default(1 * PS_PER_US).describe(
    'Handling one request taken off the ring (hyper_dmabuf_msg_parse): lookup, allocation, dispatch (est., 0.3-5 us)'),
  // Estimate, 2-100 us: EXPORT is finished on a workqueue; a kworker must be
  // woken and scheduled on the importer (more on a loaded guest).
  workqueueLatency: duration().default(10 * PS_PER_US).describe(
    'From queue_work in the handler to the worker running (EXPORT registration) (est., 2-100 us)'),
  // Estimate, 0.3-5 us: kcalloc of the imported entry and its private data,
  // the copy, the hash insert and the NEW_IMPORT event.
  registerImport: duration().default(1 * PS_PER_US).describe(
    'The worker registering an imported buffer and queueing its NEW_IMPORT event (est., 0.3-5 us)'),
  // Estimate, 0.3-5 us fixed plus 10-100 ns per page: sg_alloc_table and one
  // sg_set_page per page (hyper_dmabuf_create_sgt).
  sgTable: duration().default(1 * PS_PER_US).describe(
    'Building an sg_table from mapped pages, fixed part (est., 0.3-5 us)'),
  sgTablePerPage: duration().default(30 * PS_PER_NS).describe(
    'Building an sg_table, per page (est., 10-100 ns)'),
  // Estimate, 2-20 us: dma_buf_export (an anon inode file, the dma_buf) and dma_buf_fd (fd install).
  exportDmabuf: duration().default(5 * PS_PER_US).describe(
    'dma_buf_export + dma_buf_fd: a new local dma-buf and its file descriptor (est., 2-20 us)'),
  // Estimate, 0.2-10 us: the importer's own dma_buf_ops callback before any
  // remote sync (bookkeeping; 'map' also builds an sg_table per page).
  localOp: duration().default(1 * PS_PER_US).describe(
    'One dma-buf op on the importer\'s local buffer, its own work (map adds an sg_table per page) (est., 0.2-10 us)'),
  // Estimate, 0.5-50 us: the exporter replaying detach/unmap/release/CPU
  // access/kmap/vmap on the original buffer (the driver's callbacks); attach
  // and map are replayed at dmabufAttach and mapAttachment costs.
  replayOp: duration().default(3 * PS_PER_US).describe(
    'Exporter replaying one op other than attach or map on the original dma-buf (remote sync) (est., 0.5-50 us)'),
  // Estimate, 1-50 us: unmap the attachment, detach, put the dma-buf (or free
  // the driver-owned pages) after foreign access ended.
  releaseSource: duration().default(5 * PS_PER_US).describe(
    'Exporter releasing the original buffer once the share is over: unmap attachment, detach, put (est., 1-50 us)'),
  // Estimate, 0.1-2 us: the query ioctl looks the id up in a local hash list.
  queryLookup: duration().default(500 * PS_PER_NS).describe(
    'The query ioctl\'s lookup and answer, besides the syscall (est., 0.1-2 us)'),
  // From code: Linux gnttab_add_deferred / gnttab_handle_deferred re-arm
  // their timer at jiffies + HZ for refs still mapped by the peer.
  deferredEndRetry: duration().default(1 * PS_PER_S).describe(
    'A grant ref still mapped by the peer when access is ended is retried this often (Linux deferred list: jiffies + HZ = 1 s)'),
  // From code: deferred entries start with warn_delay = 60 tries before Linux
  // reports them still pending; the model stops there and counts the refs as
  // leaked, so a run whose peer never unmaps still ends.
  deferredEndTries: z.number().int().min(0).default(60).describe(
    'Retries of a deferred end of access before its refs are counted as leaked (Linux warns after 60)'),
});
export type HyperDmabufCosts = z.output<typeof hyperDmabufCostParams>;

/** The defaults, parsed (integer ps). */
export function defaultHyperDmabufCosts(): HyperDmabufCosts {
  return hyperDmabufCostParams.parse({});
}

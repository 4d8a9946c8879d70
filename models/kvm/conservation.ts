/**
 * Conservation checks of a KVM host's sharing bookkeeping (sharing.ts),
 * true at any moment of a run: every udmabuf made is released or live;
 * the pages pinned and not unpinned are those of the live udmabufs; every
 * virtio-gpu blob command created a blob or released one, and no more were
 * released than created. KvmHost returns them from `invariants()`, so a run
 * that loses a udmabuf or a pin fails (a model bug).
 */
import type { KvmShareCounts } from './sharing.js';

export function kvmSharingInvariants(c: KvmShareCounts, livePages: readonly number[]): string[] {
  const out: string[] = [];
  if (c.udmabufs !== c.udmabufsReleased + livePages.length) {
    out.push(`udmabufs: ${c.udmabufs} made != ${c.udmabufsReleased} released + ${livePages.length} live`);
  }
  const held = livePages.reduce((a, p) => a + p, 0);
  if (c.pagesPinned - c.pagesUnpinned !== held) {
    out.push(`pinned pages: ${c.pagesPinned} pinned - ${c.pagesUnpinned} unpinned != ${held} held by the ${livePages.length} live udmabufs`);
  }
  if (c.blobCommands !== c.blobsCreated + c.blobsReleased || c.blobsReleased > c.blobsCreated) {
    out.push(`blob resources: ${c.blobCommands} commands, ${c.blobsCreated} created, ${c.blobsReleased} released`);
  }
  return out;
}

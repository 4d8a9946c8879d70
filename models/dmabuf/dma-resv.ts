/**
 * A dma-buf's reservation object (Linux dma_resv) reduced to what decides a
 * hazard: whether a write to the buffer (its exclusive fence unsignalled)
 * overlaps a read of it. Inside one kernel, consumers wait on the fences
 * (implicit sync) and no read overlaps a write. Across Xen domains no
 * fence travels with a shared buffer (the 2018 discussion: hyper_dmabuf's
 * remote sync, displif's page-flip event), so a consumer in another domain
 * may read a buffer its producer is still writing: a torn frame. The
 * protocols decide whether that can happen; this object only detects it.
 *
 * A read is torn when a write was in progress when it started, or a write
 * started before it ended. Detection is exact for any number of readers
 * and writers: a read remembers how many writes had started.
 */
export interface ReadToken {
  readonly writesAtStart: number;
  readonly dirtyAtStart: boolean;
}

export class DmaResv {
  private writing = 0;
  private writesStarted = 0;

  /** A producer starts writing: its exclusive fence is unsignalled until endWrite. */
  beginWrite(): void {
    this.writing++;
    this.writesStarted++;
  }

  /** The producer's exclusive fence signals. */
  endWrite(): void {
    if (this.writing === 0) throw new Error('model bug: a write ended that never began');
    this.writing--;
  }

  beginRead(): ReadToken {
    return { writesAtStart: this.writesStarted, dirtyAtStart: this.writing > 0 };
  }

  /** True if the read overlapped a write: what it read may mix two frames. */
  endRead(t: ReadToken): boolean {
    return t.dirtyAtStart || this.writesStarted !== t.writesAtStart;
  }
}

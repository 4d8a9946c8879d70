/**
 * memory.dram: a memory device as its owner sees it: the DRAM behind a root
 * complex, or the memory behind an endpoint's BAR (GDDR on a GPU, stolen
 * system memory on an APU). It sets the timing (pcie/memory.ts Memory:
 * latency after a transfer slot on one bandwidth shared by reads and writes,
 * cold-cache and remote-socket penalties, which reads the DRAM itself serves,
 * the warm cache's reach (llcBytes over the reads' workingSet), refresh stalls); the owner maps it at an address
 * range (the root complex's memoryBase/memorySize, the endpoint's BAR) and
 * serves TLPs from it.
 *
 * Left out: what Memory leaves out (banks, rows, which lines the cache holds).
 */
import { defineComponent, type ComponentContext, type MetricValue } from '../../src/scenario/registry.js';
import type { AddressRange } from '../pcie/fabric.js';
import { Memory, memoryStats, memoryTimingParams, type MemoryTiming } from '../pcie/memory.js';
import { memoryInvariants } from '../pcie/conservation.js';
import { ledger, MEMORY_LATENCY, MEMORY_QUEUE, MEMORY_TRANSFER } from '../pcie/attribution.js';
import { Attribution } from '../../src/stats/attribution.js';

/** What slots that take a memory ask for (root complex `memory`, endpoint `bar`). */
export const MEMORY = 'memory';

export class MemoryDevice {
  private model: Memory | null = null;

  constructor(private readonly ctx: ComponentContext, readonly timing: MemoryTiming) {}

  /** The memory mapped at `range`, made on the owner's first call (an owner maps its memory once). */
  at(range: AddressRange): Memory {
    if (this.model === null) this.model = new Memory(this.ctx.sim, { ...this.timing, base: range.base, size: range.size }, this.ctx.name);
    else if (this.model.range.base !== range.base || this.model.range.size !== range.size) throw new Error(`model bug: ${this.ctx.name} mapped at two ranges`);
    return this.model;
  }

  /** Each access's wait for the bandwidth and its transfer slot; each read's latency after it, cache misses and refresh stalls included. */
  attribution(): Attribution {
    if (this.model === null) return new Attribution();
    const s = this.model.stats();
    return ledger([[MEMORY_QUEUE, s.queuePs], [MEMORY_TRANSFER, s.transferPs], [MEMORY_LATENCY, s.reads * this.model.readLatencyPs + s.llcMissPs + s.refreshStallPs]]);
  }

  invariants(): string[] {
    return this.model === null ? [] : memoryInvariants(this.model.stats(), this.model.psPerByte);
  }

  metrics(): Record<string, MetricValue> {
    if (this.model === null) return Object.fromEntries(memoryStats.map((s) => [s.name, null]));
    return this.model.metrics();
  }
}

export const dram = defineComponent({
  type: 'memory.dram',
  description: 'A memory device (host DRAM, or the memory behind a BAR): latency, bandwidth shared by reads and writes, cold-cache and remote-socket penalties, which reads the DRAM serves, refresh stalls; its owner maps it at an address range',
  provides: [MEMORY],
  params: memoryTimingParams,
  stats: memoryStats,
  create: (ctx, p) => new MemoryDevice(ctx, p),
});

/**
 * Where a PCIe transaction's time goes, by layer and hop: the categories the
 * fabric's components charge (stats/attribution.ts), each from counters the
 * component keeps anyway, read once at the end of a run (nothing is added
 * to the per-TLP path).
 *
 * What a charge is: the time TLPs spent in that place, summed over every
 * TLP. For a transaction of one TLP each way (a small read) the charges add
 * up to its latency; for a transfer of many TLPs that overlap (pipelined
 * through links, switch and memory) they add up to more than its latency,
 * and the split says where its TLPs spent their time, not a critical path.
 * Workloads count their transactions (transfers, refreshes) so a report
 * shows the time per transaction.
 */
import { Attribution } from '../../src/stats/attribution.js';

/** The categories, one per layer and hop. */
export const LINK_SERIALIZATION = 'link-serialization';
export const LINK_PROPAGATION = 'link-propagation';
export const SWITCH_LATENCY = 'switch';
export const SWITCH_QUEUE = 'switch-queue';
export const ROOT_COMPLEX_TRAVERSAL = 'root-complex';
export const IOMMU_WALK = 'iommu-walk';
export const IOMMU_WALKER_WAIT = 'iommu-walker-wait';
export const MEMORY_TRANSFER = 'memory-transfer';
export const MEMORY_QUEUE = 'memory-queue';
export const MEMORY_LATENCY = 'memory-latency';
export const DEVICE_ISSUE = 'device-issue';

/** A ledger with no charges that counts `n` transactions: what a workload adds, so the fabric's charges divide per transaction. */
export function transactions(n: number): Attribution {
  const a = new Attribution();
  a.countTransaction(n);
  return a;
}

/** A ledger of the given charges (zero charges left out, so a breakdown lists only what happened). */
export function ledger(charges: readonly (readonly [string, number])[]): Attribution {
  const a = new Attribution();
  // Whole ps: counters such as a memory's busy time add fractional slots.
  for (const [category, ps] of charges) if (ps > 0) a.charge(category, Math.round(ps));
  return a;
}

/**
 * The IOMMU's parameters (an iommu.generic's, with its identityMap). No
 * value has a default here: a preset gives each with its source or as an
 * estimate (models/presets/iommu-xeon-e5.json).
 *
 * Times are picoseconds once parsed (durations accept "250 ns", "10 ms").
 * Cache sizes are entries; an entry count of 0 turns that cache off (every
 * lookup in it misses), which is how a sweep asks "what if there were none".
 * The cross-field rule (ways must divide entries) is iotlbShapeIssues, which
 * iommu.generic refines its extension of this schema with; the schema itself
 * stays a plain object, so it can be extended (the caches' constructors check
 * the rule again for a caller that builds an Iommu directly).
 */
import { z } from 'zod';
import { duration } from '../../src/scenario/units.js';
import { isPowerOfTwo } from '../../src/util/power-of-two.js';


const entries = (what: string) => z.number().int().min(0).describe(what);
const ways = (what: string) => z.number().int().min(1).describe(what);

export const iommuParams = z.strictObject({
  levels: z.union([z.literal(4), z.literal(5)])
    .describe('Page-table levels of a domain: 4 (48-bit IOVA) or 5 (57-bit), VT-d second-level paging'),

  iotlb4kEntries: entries('IOTLB entries for 4 KiB pages'),
  iotlb4kWays: ways('Associativity of the 4 KiB IOTLB (ways per set; equal to the entries, or more, = fully associative)'),
  iotlb2mEntries: entries('IOTLB entries for 2 MiB pages'),
  iotlb2mWays: ways('Associativity of the 2 MiB IOTLB'),
  iotlb1gEntries: entries('IOTLB entries for 1 GiB pages'),
  iotlb1gWays: ways('Associativity of the 1 GiB IOTLB'),
  superpageFill: z.enum(['superpage', '4k'])
    .describe("How a walk that ends at a 2 MiB or 1 GiB page fills the IOTLB: 'superpage', one entry for the whole page (in that size's IOTLB); '4k', only the 4 KiB piece the request fell in (an IOTLB without superpage entries): then misses to one superpage wait for each other's walk, since the IOMMU holds misses by the page-table entry they fetch and the one fill serves only the first"),

  superpageMissWindow: z.number().int().min(1).optional()
    .describe("superpageFill '4k': how many of the oldest waiting misses the IOMMU looks at; a miss held behind a walk of its superpage holds back the misses after it beyond these. Absent = 1 (misses start in the order they came)"),

  l2IotlbEntries: entries('Second-level IOTLB for 4 KiB translations, looked up on a first-level (iotlb4k) miss before any walk and filled by every walk that ends at a 4 KiB translation. Absent or 0 = none').optional(),
  l2IotlbWays: ways('Associativity of the second-level IOTLB (ways per set; the entries or more = fully associative). Absent = fully associative').optional(),
  l2IotlbHitLatency: duration().optional()
    .describe('A first-level miss that hits the second-level IOTLB: the lookup, on a page walker (no page-table read), added to the translation. Absent = 0'),
  l2IotlbReadHeld: duration().optional()
    .describe('A DMA read served by the second-level IOTLB keeps its walker this much past the lookup; writes, posted, do not. Absent = 0'),

  pscPml5Entries: entries('Paging-structure cache of PML5 entries (used by 5-level domains only)'),
  pscPml4Entries: entries('Paging-structure cache of PML4 entries'),
  pscPdptEntries: entries('Paging-structure cache of PDPT entries (each spares the walk the PML4 level and above)'),
  pscPdEntries: entries('Paging-structure cache of PD entries (each leaves a 4 KiB walk one read)'),

  walkReadLatency: duration().describe('One page-table read as the IOMMU sees it; a walk costs reads × this'),
  pageWalkers: z.number().int().min(1)
    .describe('Page walks the IOMMU runs at once: a miss that finds them all busy waits for the first to finish'),
  walkerHeldPerReadLine: duration().optional()
    .describe('For a DMA read that misses, the walker stays held past its walk for this much per 64-byte line the read fetches (the translation and the memory read one occupancy); writes, posted, do not hold it. Absent = 0'),
  walkerHeldPerWalk: duration().optional()
    .describe("A walker stays held this long past every walk it finishes (its fills of the IOTLB and paging-structure caches) before it takes the next miss; the translation is not delayed by it (with superpageFill '4k', a miss waiting for a walk of its superpage waits for this too). Absent = 0"),
  hitLatency: duration().describe('An IOTLB lookup, added to every translation the IOMMU does (hit or miss)'),
  flushCost: duration().describe('One IOTLB invalidation, submitted and waited for'),

  mapPerCall: duration().describe('dma_map_sg / dma_map_page fixed software cost per call (IOVA allocation, locking)'),
  mapPerPage: duration().describe('dma_map_sg software cost per page-table entry written'),
  unmapPerCall: duration().describe('dma_unmap_sg fixed software cost per call, the invalidation apart'),
  unmapPerPage: duration().describe('dma_unmap_sg software cost per page-table entry cleared'),

  mode: z.enum(['strict', 'deferred'])
    .describe("'strict': every unmap invalidates at once and waits; 'deferred': Linux's lazy mode, unmaps queue and are invalidated in batches"),
  flushQueueSize: z.number().int().min(2).refine(isPowerOfTwo, { message: 'expected a power of two (Linux indexes the ring with a mask)' })
    .describe('Slots of the per-CPU flush queue ring (deferred mode); as in Linux one slot stays empty, so it holds size - 1 unmaps'),
  flushTimeout: duration().describe('Deferred mode: the flush timer, armed by the first queued unmap'),

  ats: z.boolean().describe('Devices use PCIe ATS: a device-side translation cache consulted before the IOMMU'),
  atsEntries: entries("Entries of a device's ATS translation cache (fully associative)"),
  atsMissLatency: duration().describe('ATS translation request round trip over the link, beyond the IOMMU lookup itself'),
  atsInvalidation: duration().describe('Device-TLB invalidation of ATS devices, added to an invalidation that reaches them'),
});
export type IommuParams = z.output<typeof iommuParams>;
/** What the schema accepts: any subset, durations as ps or with a unit. */
export type IommuParamsInput = z.input<typeof iommuParams>;

/** Ways beyond the entries mean fully associative (so a sweep of sizes can keep one associativity). */
export function effectiveWays(ways: number, entries: number): number {
  return Math.min(ways, Math.max(1, entries));
}

/** Each set-associative cache's ways, as [entries field, ways field]; an absent L2 ways field is fully associative. */
const WAYS_OF: readonly (readonly [keyof IommuParams, keyof IommuParams])[] = [
  ['iotlb4kEntries', 'iotlb4kWays'], ['iotlb2mEntries', 'iotlb2mWays'], ['iotlb1gEntries', 'iotlb1gWays'], ['l2IotlbEntries', 'l2IotlbWays'],
];

/** A refinement: every set-associative cache's ways divide its entries into whole sets (after effectiveWays). */
export function iotlbShapeIssues(p: IommuParams, ctx: z.RefinementCtx): void {
  for (const [entriesKey, waysKey] of WAYS_OF) {
    const entries = (p[entriesKey] as number | undefined) ?? 0, ways = p[waysKey] as number | undefined;
    if (ways === undefined) continue;
    const w = effectiveWays(ways, entries);
    if (entries % w !== 0) ctx.addIssue({ code: 'custom', path: [waysKey], message: `${ways} ways do not divide the ${entries} entries of ${entriesKey} into whole sets` });
  }
}

/**
 * Conservation checks of the IOMMU's bookkeeping, true at any moment of a
 * run: every translation ended one way (ATS hit, IOTLB hit, walk, fault);
 * every one that reached the IOTLB looked it up once; walks, stale hits and
 * unmapped pages never outnumber what they come from; the IOTLB holds no
 * more than its entries. IommuUnit returns them from `invariants()`, so a
 * run whose IOMMU loses count fails (a model bug).
 */
import type { Iotlb } from './iotlb.js';
import type { IommuStats } from './iommu.js';

export function iommuInvariants(s: IommuStats, iotlb: Iotlb): string[] {
  const out: string[] = [];
  const ended = s.atsHits + s.iotlbHits + s.iotlbMisses + s.faults;
  if (s.translations !== ended) {
    out.push(`translations: ${s.translations} != ${s.atsHits} ATS hits + ${s.iotlbHits} IOTLB hits + ${s.iotlbMisses} walked misses + ${s.faults} faults`);
  }
  // Every translation but ATS hits and requesters with no domain looks the IOTLB up once.
  if (iotlb.lookups !== s.translations - s.atsHits - s.contextFaults) {
    out.push(`IOTLB lookups: ${iotlb.lookups} != ${s.translations} translations - ${s.atsHits} ATS hits - ${s.contextFaults} without a domain`);
  }
  if (s.atsHits + s.atsMisses > s.translations) out.push(`${s.atsHits + s.atsMisses} ATS lookups > ${s.translations} translations`);
  // A walk ends in a miss filled, or (nested) in a fault of its second stage.
  if (s.walks < s.iotlbMisses || s.walks - s.iotlbMisses > s.faults - s.contextFaults || s.nestedWalks > s.walks) {
    out.push(`walks: ${s.walks} (${s.nestedWalks} nested) for ${s.iotlbMisses} misses and ${s.faults - s.contextFaults} mapping faults`);
  }
  if (s.contextFaults > s.faults) out.push(`${s.contextFaults} context faults > ${s.faults} faults`);
  if (s.staleHits > s.atsHits + s.iotlbHits) out.push(`${s.staleHits} stale hits > ${s.atsHits + s.iotlbHits} hits`);
  if (s.unmapPages > s.mapPages || s.unmaps > s.maps) out.push(`unmapped ${s.unmapPages} pages in ${s.unmaps} calls, mapped ${s.mapPages} in ${s.maps}`);
  const capacity = iotlb.caches.reduce((n, c) => n + c.entries, 0);
  if (iotlb.size < 0 || iotlb.size > capacity) out.push(`IOTLB holds ${iotlb.size} entries of ${capacity}`);
  if (s.invalidations !== s.strictFlushes + s.queueFullFlushes + s.timerFlushes) out.push(`invalidations ${s.invalidations} != strict + queue-full + timer flushes`);
  return out;
}

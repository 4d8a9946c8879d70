/**
 * What the hypervisor's operations cost: the "xen.*" parameter group that
 * every Xen component includes (presets of type "xen.platform" set it, e.g.
 * models/presets/xen-x86.json, where each value's source or estimate is
 * given). Defaults are the x86 preset's values; a test checks they agree.
 *
 * Times are picoseconds once parsed (durations accept "1.2 us"); the
 * hypercall round trip is in CPU cycles, as the measurements give it.
 */
import { z } from 'zod';
import { byteSize, duration } from '../../src/scenario/units.js';
import { PS_PER_NS, PS_PER_US, type Time } from '../../src/sim/time.js';
import { prefixedShape, takePrefixed } from '../pcie/sections.js';

/** Preset type of the Xen cost group. */
export const XEN_PLATFORM = 'xen.platform';
/** The key prefix of the group in a component's flat parameters. */
export const XEN = 'xen';

export const xenCostParams = z.strictObject({
  cpuGHz: z.number().positive().default(2.1).describe('CPU clock of the host, GHz: converts cycle counts to time'),
  hypercallCycles: z.number().nonnegative().default(1230).describe('Hypercall round trip (entry, dispatch, exit) in CPU cycles, without the operation itself'),
  preemptAfter: duration().default(1000 * PS_PER_US).describe('A batch hypercall running this long is preempted and continued: one more entry/exit (0 = never)'),
  grantWrite: duration().default(20 * PS_PER_NS).describe('One grant entry written or cleared in the granting domain\'s own table (no hypercall)'),
  tableGrowPerFrame: duration().default(2 * PS_PER_US).describe('Hypercall work to add one grant frame when the table must grow'),
  initialFrames: z.number().int().min(1).default(1).describe('Grant frames a domain starts with; the table grows one frame at a time up to maxFrames'),
  mapPerOp: duration().default(500 * PS_PER_NS).describe('GNTTABOP_map_grant_ref work per op inside the hypervisor'),
  unmapPerOp: duration().default(300 * PS_PER_NS).describe('GNTTABOP_unmap_grant_ref work per op, flushes apart'),
  flushEvery: z.number().int().min(1).default(32).describe('Unmap ops per TLB + IOTLB flush'),
  tlbFlush: duration().default(500 * PS_PER_NS).describe('Local TLB flush on the unmapping vCPU'),
  iotlbFlush: duration().default(800 * PS_PER_NS).describe('IOMMU IOTLB invalidation, waited for'),
  ipi: duration().default(1500 * PS_PER_NS).describe('A TLB-shootdown IPI on one other vCPU of the mapping domain: delivery, handler, acknowledgement'),
  ipiSendPerTarget: duration().default(100 * PS_PER_NS).describe('The unmapping vCPU sending one shootdown IPI (one APIC write per target vCPU)'),
  copyPerOp: duration().default(400 * PS_PER_NS).describe('GNTTABOP_copy work per op, the copy itself apart'),
  copyBandwidth: z.number().positive().default(10).describe('Bytes the hypervisor copies per ns (GB/s) in GNTTABOP_copy'),
  pageBytes: byteSize().default(4096).describe('Page (and grant) size, bytes'),
});
export type XenCosts = z.output<typeof xenCostParams>;

/** The group as flat "xen.<param>" fields, to spread into a component's parameter schema. */
export const xenCostShape = prefixedShape(XEN, xenCostParams);

/** The parsed group out of a component's flat parameters. */
export function xenCostsOf(flat: Record<string, unknown>): XenCosts {
  return takePrefixed(flat, XEN) as XenCosts;
}

/** One hypercall round trip, ps. */
export function hypercallPs(c: XenCosts): Time {
  return Math.round((c.hypercallCycles / c.cpuGHz) * PS_PER_NS);
}

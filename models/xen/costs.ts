/**
 * What the hypervisor's operations cost: part of a xen.hypervisor's
 * parameters (platform.ts). No value has a default here: a preset gives
 * each with its source or as an estimate (models/presets/xen-x86.json).
 *
 * Times are picoseconds once parsed (durations accept "1.2 us"); the
 * hypercall round trip is in CPU cycles, as the measurements give it.
 */
import { z } from 'zod';
import { duration, pageSize } from '../../src/scenario/units.js';
import { PS_PER_NS, type Time } from '../../src/sim/time.js';

export const xenCostParams = z.strictObject({
  arch: z.enum(['x86', 'arm']).describe("The host's architecture: how TLBs are invalidated after a grant unmap (x86: IPIs; Arm: broadcast TLBI)"),
  cpuGHz: z.number().positive().describe('CPU clock of the host, GHz: converts cycle counts to time'),
  hypercallCycles: z.number().nonnegative().describe('Hypercall round trip (entry, dispatch, exit) in CPU cycles, without the operation itself'),
  preemptAfter: duration().describe('A batch hypercall running this long is preempted and continued: one more entry/exit (0 = never)'),
  grantWrite: duration().describe('One grant entry written or cleared in the granting domain\'s own table (no hypercall)'),
  tableGrowPerFrame: duration().describe('Hypercall work to add one grant frame when the table must grow'),
  initialFrames: z.number().int().min(1).describe('Grant frames a domain starts with; the table grows one frame at a time up to maxFrames'),
  mapPerOp: duration().describe('GNTTABOP_map_grant_ref work per op inside the hypervisor'),
  unmapPerOp: duration().describe('GNTTABOP_unmap_grant_ref work per op, flushes apart'),
  flushEvery: z.number().int().min(1).describe('x86 PV mapping domain: unmap ops per TLB shootdown (GNTTAB_UNMAP_BATCH_SIZE)'),
  tlbFlush: duration().describe('Local TLB flush on the unmapping vCPU'),
  iotlbFlush: duration().describe('IOMMU IOTLB invalidation of one page, waited for (once per grant unmapped from an IOMMU-synced domain)'),
  iommuMapPerPage: duration().describe("Xen writing (or clearing) one IOMMU page-table entry for a grant mapped into a domain whose IOMMU context it keeps in sync"),
  tlbiBroadcast: duration().optional().describe('Arm: one broadcast TLB invalidation (TLBI VMALLS12E1IS) and its barrier, per page unmapped'),
  ipi: duration().describe('A TLB-shootdown IPI on one other vCPU of the mapping domain: delivery, handler, acknowledgement'),
  ipiSendPerTarget: duration().describe('The unmapping vCPU sending one shootdown IPI (one APIC write per target vCPU)'),
  copyPerOp: duration().describe('GNTTABOP_copy work per op, the copy itself apart'),
  copyBandwidth: z.number().positive().describe('Bytes the hypervisor copies per ns (GB/s) in GNTTABOP_copy'),
  pageBytes: pageSize().describe('Page (and grant) size, bytes'),
});
export type XenCosts = z.output<typeof xenCostParams>;

/** An Arm platform must say what its broadcast TLB invalidation costs. */
export function armNeedsTlbi(p: { arch: string; tlbiBroadcast?: number | undefined }, ctx: z.RefinementCtx): void {
  if (p.arch === 'arm' && p.tlbiBroadcast === undefined) ctx.addIssue({ code: 'custom', path: ['tlbiBroadcast'], message: 'required on Arm (arch "arm")' });
}

/** One hypercall round trip, ps. */
export function hypercallPs(c: XenCosts): Time {
  return Math.round((c.hypercallCycles / c.cpuGHz) * PS_PER_NS);
}

/**
 * What KVM's buffer-sharing paths cost: the "kvm.*" parameter group
 * (presets of type "kvm.platform", e.g. models/presets/kvm-x86.json, where
 * each value's source or estimate is given; defaults are that preset's).
 */
import { z } from 'zod';
import { duration } from '../../src/scenario/units.js';
import { PS_PER_NS, PS_PER_US, type Time } from '../../src/sim/time.js';
import { prefixedShape, takePrefixed } from '../pcie/sections.js';

export const KVM_PLATFORM = 'kvm.platform';
export const KVM = 'kvm';

export const kvmCostParams = z.strictObject({
  cpuGHz: z.number().positive().default(2.1).describe('CPU clock of the host, GHz: converts cycle counts to time'),
  exitCycles: z.number().nonnegative().default(1300).describe('A guest exit to the host and back (hypercall or MMIO kick), CPU cycles'),
  ioctl: duration().default(5 * PS_PER_US).describe('Fixed cost of the UDMABUF_CREATE(_LIST) ioctl: syscall, file and dma-buf setup'),
  pinPerPage: duration().default(100 * PS_PER_NS).describe('Pinning one memfd page (folio lookup and reference) while building a udmabuf'),
  sgPerPage: duration().default(20 * PS_PER_NS).describe('One page into the dma-buf\'s scatter-gather table'),
  udmabufListLimit: z.number().int().min(1).default(1024).describe('Items one UDMABUF_CREATE_LIST may carry (udmabuf list_limit module parameter)'),
  udmabufSizeLimit: z.number().int().min(1).default(64 * 1024 * 1024).describe('Largest udmabuf, bytes (udmabuf size_limit_mb module parameter, in bytes)'),
  entryWrite: duration().default(10 * PS_PER_NS).describe('The guest writing one 16-byte virtio_gpu_mem_entry into the command'),
  hostPerEntry: duration().default(50 * PS_PER_NS).describe('The host (virglrenderer / the device model) taking in one memory entry'),
  commandBase: duration().default(10 * PS_PER_US).describe('The host handling one virtio-gpu command beyond its entries: dequeue, dispatch, resource setup'),
  interrupt: duration().default(2 * PS_PER_US).describe('Injecting the completion interrupt into the guest and its handler running'),
  pageBytes: z.number().int().min(1).default(4096).describe('Page size, bytes'),
});
export type KvmCosts = z.output<typeof kvmCostParams>;

export const kvmCostShape = prefixedShape(KVM, kvmCostParams);

export function kvmCostsOf(flat: Record<string, unknown>): KvmCosts {
  return takePrefixed(flat, KVM) as KvmCosts;
}

export function exitPs(c: KvmCosts): Time {
  return Math.round((c.exitCycles / c.cpuGHz) * PS_PER_NS);
}

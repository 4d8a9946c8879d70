/**
 * What KVM's buffer-sharing paths cost: the parameters of a kvm.host (no
 * defaults here: a preset gives each value with its source or as an
 * estimate, e.g. models/presets/kvm-x86.json).
 */
import { z } from 'zod';
import { duration, pageSize } from '../../src/scenario/units.js';
import { PS_PER_NS, type Time } from '../../src/sim/time.js';

export const kvmCostParams = z.strictObject({
  cpuGHz: z.number().positive().describe('CPU clock of the host, GHz: converts cycle counts to time'),
  exitCycles: z.number().nonnegative().describe('A guest exit to the host and back (hypercall or MMIO kick), CPU cycles'),
  ioctl: duration().describe('Fixed cost of the UDMABUF_CREATE(_LIST) ioctl: syscall, file and dma-buf setup'),
  pinPerPage: duration().describe('Pinning one memfd page (folio lookup and reference) while building a udmabuf'),
  sgPerPage: duration().describe('One page into the dma-buf\'s scatter-gather table'),
  udmabufListLimit: z.number().int().min(1).describe('Items one UDMABUF_CREATE_LIST may carry (udmabuf list_limit module parameter)'),
  udmabufSizeLimit: z.number().int().min(1).describe('Largest udmabuf, bytes (udmabuf size_limit_mb module parameter, in bytes)'),
  entryWrite: duration().describe('The guest writing one 16-byte virtio_gpu_mem_entry into the command'),
  hostPerEntry: duration().describe('The host (virglrenderer / the device model) taking in one memory entry'),
  commandBase: duration().describe('The host handling one virtio-gpu command beyond its entries: dequeue, dispatch, resource setup'),
  interrupt: duration().describe('Injecting the completion interrupt into the guest and its handler running'),
  pageBytes: pageSize().describe('Page size, bytes'),
});
export type KvmCosts = z.output<typeof kvmCostParams>;

export function exitPs(c: KvmCosts): Time {
  return Math.round((c.exitCycles / c.cpuGHz) * PS_PER_NS);
}

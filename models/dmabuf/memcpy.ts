/**
 * A CPU copying a buffer (memcpy on one vCPU): the baseline every zero-copy
 * design is measured against. Its rate is an estimate: one core's streaming
 * copy between DRAM buffers is 2-15 GB/s on current x86 and Arm servers,
 * depending on the core, the memory channels and whether non-temporal stores
 * are used; 5 GB/s is the middle of it. Declared once so every copy in a
 * study runs at the same rate unless a scenario sets its own.
 */
import { rate } from '../../src/scenario/units.js';

/** The parameter a component that copies buffers declares: `what` says which copy. */
export const memcpyBandwidth = (what: string) => rate().default(5).describe(`${what}: one vCPU's memcpy (est., 2-15 GB/s)`);

/**
 * The Xen per-step costs the reading tests add up by hand, read from the
 * xen-x86 preset (so a refitted preset moves the expected sums with it), and
 * the few sums every Xen reading is built of. Written from the protocol's
 * steps (Xen common/grant_table.c, Linux drivers/xen/grant-table.c), not
 * from the model's code:
 *   a hypercall       its round trip (RT: cycles at the clock), plus its work;
 *                     work past `preemptAfter` is continued, one more RT per period begun after the first
 *   a TLB shootdown   an IPI sent to each other vCPU of the mapper (one APIC write each), then the
 *                     longer of the local flush and the IPI's handling
 *   unmap             its hypercall; a PV mapper then one shootdown per `flushEvery` ops, an HVM
 *                     one (its p2m changes page by page) one per page
 *   a grant table     v1 entries of 8 bytes, the first 8 reserved; it starts with `initialFrames`
 *                     and each frame added is a hypercall of `tableGrowPerFrame`
 * Times are in ns (floats); the model keeps integer ps and rounds only the
 * round trip (0.3 ps a call), which the tests' tolerances cover.
 */
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { xenPlatformParams } from '../../models/xen/platform.js';

export const x = presetParams(xenPlatformParams, 'xen-x86');
export const NS = 1000; // ps
export const ns = (ps: number): number => ps / NS;
/** One hypercall round trip, ns. */
export const RT = x.hypercallCycles / x.cpuGHz;

/** One hypercall of `workNs`: its round trips (one per preemption period of work begun) and the work. */
export const callNs = (workNs: number): number => RT * Math.max(1, Math.ceil(workNs * NS / x.preemptAfter)) + workNs;
/** One TLB shootdown by a mapper with `vcpus` vCPUs. */
export const shootdownNs = (vcpus: number): number =>
  ((vcpus - 1) * x.ipiSendPerTarget + Math.max(x.tlbFlush, vcpus > 1 ? x.ipi : 0)) / NS;
/** Unmapping `ops` grants in one call by a PV mapper (dom0): a shootdown per `flushEvery` ops. */
export const pvUnmapNs = (ops: number, vcpus: number): number => callNs(ops * ns(x.unmapPerOp)) + Math.ceil(ops / x.flushEvery) * shootdownNs(vcpus);
/** The same by an HVM mapper: a shootdown per page. */
export const hvmUnmapNs = (ops: number, vcpus: number): number => callNs(ops * ns(x.unmapPerOp)) + ops * shootdownNs(vcpus);
/** Mapping `ops` grants in one call. */
export const mapNs = (ops: number): number => callNs(ops * ns(x.mapPerOp));

/** v1 grant entries are 8 bytes (Xen public/grant_table.h grant_entry_v1); the first 8 are reserved. */
const V1_ENTRY_BYTES = 8;
export const RESERVED_ENTRIES = 8;
export const ENTRIES_PER_FRAME = x.pageBytes / V1_ENTRY_BYTES;
/** Grant frames a v1 table needs to hold `entries` in use. */
export const grantFrames = (entries: number): number => Math.max(x.initialFrames, Math.ceil((RESERVED_ENTRIES + entries) / ENTRIES_PER_FRAME));
/** Growing a table from `from` to `to` frames: one hypercall a frame. */
export const growNs = (from: number, to: number): number => Math.max(0, to - from) * callNs(ns(x.tableGrowPerFrame));

export const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} against ${expected} derived`);

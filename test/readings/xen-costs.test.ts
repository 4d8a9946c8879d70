/**
 * The Xen studies' per-op costs and counts, summed by hand from the
 * protocol's steps and the xen-x86 preset's per-step costs (the inputs; the
 * sums are written here, not taken from the model):
 *   a hypercall       RT = 1,230 cycles at 2.1 GHz = 585.7 ns, plus its work;
 *                     work past 1 ms is continued, one more RT per ms begun after the first
 *   map / unmap       500 / 300 ns an op
 *   unmap's flushes   one shootdown per 32 ops: an IPI sent to each other vCPU of
 *                     dom0 (100 ns each), then the longer of the local flush (500 ns)
 *                     and the IPI's handling (1.5 µs)
 *   grant, end access 20 ns an entry, on the granter's vCPU
 * Each step waits for the one before, so times add. The only rounding is
 * the round trip's to whole picoseconds (0.3 ps a call, a few dozen calls):
 * times in µs are held to 0.1 ns, per-op times in ns to 0.001 ns.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { presetParams } from '../preset-params.js';
import { kvmCostParams } from '../../models/kvm/costs.js';
import { callNs, close, ns, pvUnmapNs, RT, shootdownNs, x } from './xen-sums.js';
import { runStudy } from './study.js';

test('hypercall-costs, per-use grants in batches of 64: map, unmap (by dom0\'s vCPUs) and a whole use per page', () => {
  const B = 64;
  for (const vcpus of [1, 4, 16]) {
    const m = runStudy('hypercall-costs', { batch: B, vcpus }).m;
    // 1 vCPU: no IPI, 325 ns; 4: three IPIs, 365 ns; 16: fifteen, 403 ns (the reading's figures).
    close(m['rounds.unmap_per_op_ns'], pvUnmapNs(B, vcpus) / B, 1e-3, `unmap per op, ${vcpus} vCPUs`);
    close(m['rounds.map_per_op_ns'], callNs(B * ns(x.mapPerOp)) / B, 1e-3, 'map per op');
    // Grant, map, unmap, end: 0.91 µs a page with 4 vCPUs.
    const round = B * ns(x.grantWrite) + callNs(B * ns(x.mapPerOp)) + pvUnmapNs(B, vcpus) + B * ns(x.grantWrite);
    close(m['rounds.round_per_op_ns'], round / B, 1e-3, 'a use per page');
  }
});

test('hypercall-costs: a page used alone costs 3.8 µs; with persistent grants the one grant and map spread over the 8 uses (66 ns); grant copy 1.02 µs', () => {
  const one = runStudy('hypercall-costs', { batch: 1 }).m;
  close(one['rounds.round_per_op_ns'], 2 * ns(x.grantWrite) + callNs(ns(x.mapPerOp)) + pvUnmapNs(1, 4), 1e-3, 'batch of 1');
  const persistent = runStudy('hypercall-costs', { batch: 64, grants: 'persistent', rounds: 8 }).m;
  close(persistent['rounds.round_per_op_ns'], (64 * ns(x.grantWrite) + callNs(64 * ns(x.mapPerOp))) / (8 * 64), 1e-3, 'persistent');
  assert.is(persistent['xen.hypercalls'], 1);
  const copy = runStudy('hypercall-costs', { batch: 64, mode: 'copy' }).m;
  // A copy op: its work plus a page at the hypervisor's copy bandwidth (bytes per ns).
  const copyOpNs = ns(x.copyPerOp) + x.pageBytes / x.copyBandwidth;
  close(copy['rounds.round_per_op_ns'], (2 * 64 * ns(x.grantWrite) + callNs(64 * copyOpNs)) / 64, 1e-3, 'grant copy');
});

/**
 * gref-schemes, a 4K frame (8,100 pages) from a guest to dom0 (4 vCPUs). The metadata: the directory's
 * D = ⌈8100 / 1023⌉ = 8 pages; multi-level's top page and L2 = ⌈8100 / 1024⌉ = 8 second-level pages.
 */
const N = 8100, D = 8, L2 = 8, V = 4;

test('gref-schemes, 4K frame: hypercalls of a whole share, counted op by op (25 multi-level, 37 directory, 57 flat)', () => {
  // Every share: the ring's event channel (alloc_unbound, bind_interdomain); the guest's grant table growing
  // from 1 frame to ⌈(8 reserved + entries) / 512⌉ = 16 (one hypercall a frame); the hand-over, one notify each
  // way per ring-full of requests (a 4 KiB ring of 64-byte slots holds 32; flat: 579 requests of 14 refs,
  // 19 ring-fulls; the others: one request); the teardown's one unmap of the data.
  const common = (entries: number, requests: number) => 2 + (Math.ceil((8 + entries) / 512) - 1) + 2 * Math.ceil(requests / 32) + 1;
  const imports = {
    flat: 1, // one batched map
    directory: 2 * D + 1, // each directory page mapped and unmapped in turn, then the data
    multilevel: 5, // top map and unmap, L2 map, data map, L2 unmap
  };
  const expected = {
    flat: common(N, Math.ceil(N / 14)) + imports.flat,
    directory: common(N + D, 1) + imports.directory,
    multilevel: common(N + L2 + 1, 1) + imports.multilevel,
  };
  assert.equal(expected, { flat: 57, directory: 37, multilevel: 25 });
  for (const scheme of ['flat', 'directory', 'multilevel'] as const) {
    const m = runStudy('gref-schemes', { scheme, pages: N }).m;
    assert.is(m['xen.hypercalls'], expected[scheme], scheme);
    assert.is(m['share.import_hypercalls'], imports[scheme], `${scheme} import`);
  }
});

test('gref-schemes, 4K frame: import latency step by step (4.05, 4.08 and 4.07 ms), and the teardown', () => {
  const mapNs = ns(x.mapPerOp), unmapOpNs = ns(x.unmapPerOp);
  const data = callNs(N * mapNs); // 4.05 ms of work: preempted and continued four times
  const metaPage = callNs(mapNs) + pvUnmapNs(1, V); // map one page, read it, unmap it (one shootdown)
  const expected = {
    flat: data,
    directory: D * metaPage + data,
    multilevel: metaPage + callNs(L2 * mapNs) + data + callNs(L2 * unmapOpNs) + shootdownNs(V),
  };
  for (const scheme of ['flat', 'directory', 'multilevel'] as const) {
    const m = runStudy('gref-schemes', { scheme, pages: N }).m;
    close(m['share.import_latency_us'], expected[scheme] / 1000, 1e-4, `${scheme} import (µs)`);
    if (scheme !== 'multilevel') continue;
    // dom0 unmaps the data (2.43 ms of work, continued twice; 254 shootdowns), then the guest ends access to every entry.
    close(m['share.teardown_latency_us'], (pvUnmapNs(N, V) + (N + L2 + 1) * ns(x.grantWrite)) / 1000, 1e-4, 'multi-level teardown (µs)');
  }
});

test('xen-vs-kvm: the crossing between 16 and 32 scattered pages (Xen flat 18.8 against KVM 20.5 µs at 16; 27.4 against 23.4 at 32)', () => {
  // Xen, flat: the guest grants N entries, hands ⌈N / 14⌉ requests over in one ring-full (each copied into
  // the ring, out, its response in and out: 86 ns each; a notify each way: a round trip, the event's
  // delivery 3 µs and the upcall 1 µs); dom0 maps them in one call.
  const handOver = (requests: number) => 4 * requests * ns(x.ringCopyPerMessage) + 2 * (RT + ns(x.eventDelivery) + ns(x.upcall));
  const xenShare = (n: number) => n * ns(x.grantWrite) + handOver(Math.ceil(n / 14)) + callNs(n * ns(x.mapPerOp));
  // KVM: the guest writes one blob entry a page, kicks the host (an exit: 1,300 cycles at 2.1 GHz), the host
  // runs the command (10 µs + 50 ns an entry) and interrupts; then udmabuf's ioctl pins and lists each page.
  const k = presetParams(kvmCostParams, 'kvm-x86');
  const kvmShare = (n: number) => ns(n * k.entryWrite) + k.exitCycles / k.cpuGHz + ns(k.commandBase + n * k.hostPerEntry + k.interrupt) + ns(k.ioctl + n * (k.pinPerPage + k.sgPerPage));
  for (const n of [16, 32]) {
    close(runStudy('xen-vs-kvm', { scheme: 'flat', pages: n }).m.share_latency_us, xenShare(n) / 1000, 1e-4, `Xen flat, ${n} pages (µs)`);
    close(runStudy('xen-vs-kvm', { scheme: 'kvm-udmabuf', pages: n }).m.share_latency_us, kvmShare(n) / 1000, 1e-4, `KVM, ${n} pages (µs)`);
  }
  assert.ok(xenShare(16) < kvmShare(16) && kvmShare(32) < xenShare(32), 'the crossing is where the reading puts it');
});

test.run();

/**
 * The gref layouts at and around every boundary, against counts made
 * without the model's arithmetic: a directory page holds 1023 refs, a
 * multi-level second-level page 1024, a flat request 14, so the pages or
 * requests needed are the smallest count whose capacity reaches N (counted
 * up, not divided). Buffers of exactly a scheme's limit are shared; one page
 * more is refused, as an outcome.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { GrantOps } from '../../models/xen/gnttab.js';
import { Hypervisor } from '../../models/xen/hypervisor.js';
import { xenPlatformParams } from '../../models/xen/platform.js';
import { exportBuffer, importBuffer, layout, teardown, type ExportResult, type LimitsMode, type SchemeName } from '../../models/dmabuf/gref-schemes.js';
import { presetParams } from '../preset-params.js';
import { fc, holds } from '../property.js';

/** The fewest containers of `per` that hold `n` items, counted up one container at a time. */
function containersFor(n: number, per: number): number {
  let c = 0;
  while (c * per < n) c++;
  return c;
}

/** Sizes on both sides of every multiple of 1023, 1024 and 14 up to 12 pages of refs, plus any size at all. */
const size = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom(1023, 1024, 14), fc.integer({ min: -1, max: 1 })).map(([k, per, d]) => k * per + d),
  fc.integer({ min: 1, max: 12_500 }),
);

test('every layout field matches the counted closed form, on and around each boundary', () => {
  holds(fc.property(size, fc.constantFrom<LimitsMode>('design', 'as-written'), (n, mode) => {
    const d = containersFor(n, 1023), l2 = containersFor(n, 1024), requests = containersFor(n, 14);
    const flat = layout('flat', n, mode), dir = layout('directory', n, mode), ml = layout('multilevel', n, mode);
    assert.equal([flat.metadataPages, flat.grantEntries, flat.dependentMapSteps, flat.importHypercalls, flat.messages, flat.messageBytes],
      [0, n, 1, 1, requests, requests * 128], `flat ${n}`);
    assert.equal([dir.metadataPages, dir.metadataAllocatedPages, dir.grantEntries, dir.dependentMapSteps, dir.importHypercalls, dir.messages, dir.messageBytes],
      [d, d, n + d, d + 1, 2 * d + 1, 1, 128], `directory ${n}`);
    assert.equal([ml.metadataPages, ml.grantEntries, ml.dependentMapSteps, ml.importHypercalls, ml.messages, ml.messageBytes],
      [1 + l2, n + 1 + l2, 3, 5, 1, 2 * 268], `multilevel ${n}`);
    // As written: an order-1 block for the top page and an order-L block for L second-level pages.
    assert.is(ml.metadataAllocatedPages, mode === 'as-written' ? 2 + 2 ** l2 : 1 + l2, `multilevel ${n} allocated`);
  }), 500);
});

test('the boundaries by hand: 1023 refs fill one directory page, 1024 one second-level page', () => {
  const pages = (s: SchemeName, n: number) => layout(s, n, 'design').metadataPages;
  assert.equal([1022, 1023, 1024, 2046, 2047].map((n) => pages('directory', n)), [1, 1, 2, 2, 3]);
  assert.equal([1023, 1024, 1025, 2048, 2049].map((n) => pages('multilevel', n)), [2, 2, 3, 3, 4]);
  assert.equal([13, 14, 15, 28, 29].map((n) => layout('flat', n, 'design').messages), [1, 1, 2, 2, 3]);
  assert.throws(() => layout('flat', 0, 'design'), /positive whole number of pages, got 0/);
  assert.throws(() => layout('directory', 1.5, 'design'), /got 1.5/);
});

/** Exports `pages` from a guest whose grant table can hold them all; the export's outcome. */
function exportOnly(scheme: SchemeName, pages: number, limits: LimitsMode): ExportResult {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenPlatformParams, 'xen-x86'));
  const ops = new GrantOps(xen);
  const guest = xen.createDomain('guest', { kind: 'hvm', vcpus: 1, grantVersion: 1, maxGrantFrames: 4096, maptrackLimit: 262_144 });
  const dom0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: 1, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
  const p = sim.process(exportBuffer(ops, guest, dom0, scheme, pages, limits));
  sim.run();
  return p.value as ExportResult;
}

test("a buffer of exactly a scheme's page limit is shared; one page more is refused as too large", () => {
  // Limits worked out from the sources, not read from the model: xen-zcopy's kcalloc of 32-byte map ops within
  // KMALLOC_MAX_SIZE (4 MiB) holds 131,072; hyper_dmabuf's order-L block is at most order 10, so 10 second-level
  // pages of 1024 refs; as designed, its top page addresses 1024 second-level pages of 1024.
  const limits: [SchemeName, LimitsMode, number][] = [['flat', 'as-written', 4 * 2 ** 20 / 32], ['multilevel', 'as-written', 10 * 1024], ['multilevel', 'design', 1024 * 1024]];
  for (const [scheme, mode, max] of limits) {
    assert.is(layout(scheme, 1, mode).maxPages, max, `${scheme} ${mode}`);
    const at = exportOnly(scheme, max, mode);
    assert.ok(at.ok, `${scheme} ${mode}: exactly ${max} pages refused: ${at.ok ? '' : at.detail}`);
    if (at.ok) assert.is(at.buffer.dataRefs.length, max);
    const over = exportOnly(scheme, max + 1, mode);
    assert.equal(over.ok ? 'shared' : over.failure, 'too-large-for-scheme', `${scheme} ${mode}: ${max + 1} pages`);
  }
  for (const mode of ['design', 'as-written'] as const) assert.is(layout('directory', 1, mode).maxPages, Infinity);
  assert.is(layout('flat', 1, 'design').maxPages, Infinity);
});

test('the simulated share at each boundary uses exactly the counted entries, maps and hypercalls, and tears down clean', () => {
  for (const scheme of ['directory', 'multilevel'] as const) {
    for (const n of [1022, 1023, 1024, 1025, 2046, 2047, 2048, 2049]) {
      const sim = new Simulation();
      const xen = new Hypervisor(sim, presetParams(xenPlatformParams, 'xen-x86'));
      const ops = new GrantOps(xen);
      const guest = xen.createDomain('guest', { kind: 'hvm', vcpus: 2, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
      const dom0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: 4, grantVersion: 1, maxGrantFrames: 64, maptrackLimit: 262_144 });
      const seen: number[] = [];
      sim.process((function* (): ProcessBody<void> {
        const e = yield* exportBuffer(ops, guest, dom0, scheme, n, 'design');
        if (!e.ok) throw new Error(e.detail);
        const before = xen.counts().hypercalls, mapsBefore = ops.counts().mapOps;
        const i = yield* importBuffer(ops, dom0, guest, e.buffer);
        if (!i.ok) throw new Error(i.detail);
        seen.push(guest.grants.used, xen.counts().hypercalls - before, ops.counts().mapOps - mapsBefore);
        yield* teardown(ops, dom0, guest, e.buffer, i.mappings);
      })());
      sim.run();
      const meta = scheme === 'directory' ? containersFor(n, 1023) : 1 + containersFor(n, 1024);
      // Directory: each page mapped and unmapped in turn, then one batch. Multi-level: top map, top unmap, L2 batch, data batch, L2 unmap.
      const hypercalls = scheme === 'directory' ? 2 * meta + 1 : 5;
      assert.equal(seen, [n + meta, hypercalls, n + meta], `${scheme} ${n}: entries, hypercalls, map ops`);
      assert.equal([guest.grants.used, dom0.maptrack.used], [0, 0], `${scheme} ${n}: torn down`);
    }
  }
});

test.run();

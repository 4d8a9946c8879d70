/**
 * The gref schemes' flows step by step, without the CLI: which refs each side
 * grants (and whether writable), the order of the importer's maps and unmaps,
 * every refusal's words, a mapping domain running out of maptrack at each
 * step, and the flat scheme's requests handed over through a ring of 32
 * slots. Expected values come from the protocols (displif.h, the
 * hyper_dmabuf RFC) and hand counts, not from the layouts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { GrantOps, type GrantMapping, type MapResult } from '../../models/xen/gnttab.js';
import { Hypervisor, type Domain } from '../../models/xen/hypervisor.js';
import { xenPlatformParams } from '../../models/xen/platform.js';
import { EventChannels } from '../../models/xen/event-channel.js';
import { connectRing } from '../../models/xen/ring.js';
import {
  exportBackendAllocated, exportBuffer, handOver, importBuffer, layout, teardown,
  type ExportResult, type ImportResult, type LimitsMode, type SchemeName,
} from '../../models/dmabuf/gref-schemes.js';
import { presetParams } from '../preset-params.js';
import { fc, holds } from '../property.js';

/** GrantOps that also writes down each map and unmap it is asked for, in order. */
class RecordingOps extends GrantOps {
  readonly log: string[] = [];
  override *map(mapper: Domain, granter: Domain, refs: readonly number[], readOnly: boolean, frames?: readonly number[]): ProcessBody<MapResult> {
    this.log.push(`map ${readOnly ? 'ro' : 'rw'} ${refs.join(',')}`);
    return yield* super.map(mapper, granter, refs, readOnly, frames);
  }
  override *unmap(mapper: Domain, mappings: readonly GrantMapping[]): ProcessBody<void> {
    this.log.push(`unmap ${mappings.map((m) => m.ref).join(',')}`);
    yield* super.unmap(mapper, mappings);
  }
}

/** A guest and dom0; `guestFrames` v1 grant frames hold 512 entries each, the first 8 reserved. */
function pair(o: { guestFrames?: number; dom0Frames?: number; guestMaptrack?: number; dom0Maptrack?: number } = {}) {
  const sim = new Simulation();
  const xen = new Hypervisor(sim, presetParams(xenPlatformParams, 'xen-x86'));
  const ops = new RecordingOps(xen);
  const guest = xen.createDomain('guest', { kind: 'hvm', vcpus: 2, grantVersion: 1, maxGrantFrames: o.guestFrames ?? 64, maptrackLimit: o.guestMaptrack ?? 262_144 });
  const dom0 = xen.createDomain('dom0', { kind: 'dom0', vcpus: 4, grantVersion: 1, maxGrantFrames: o.dom0Frames ?? 64, maptrackLimit: o.dom0Maptrack ?? 262_144 });
  /** Runs `body` to its end; its value. */
  const run = <T>(body: ProcessBody<T>): T => {
    const p = sim.process(body);
    sim.run();
    assert.ok(p.triggered, 'the flow ran to its end');
    return p.value as T;
  };
  return { sim, xen, ops, guest, dom0, run };
}

const ok = <T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> => {
  if (!r.ok) throw new Error(`refused: ${(r as unknown as { detail: string }).detail}`);
  return r as Extract<T, { ok: true }>;
};

test('the exporter grants data and metadata read-only to the importer; the importer maps them as the scheme says, in order', () => {
  for (const scheme of ['flat', 'directory', 'multilevel'] as const) {
    const { ops, guest, dom0, run } = pair();
    const n = 2049;
    const e = ok(run(exportBuffer(ops, guest, dom0, scheme, n, 'design')));
    const { dataRefs: data, metadataRefs: meta } = e.buffer;
    // Directory: ceil(2049 / 1023) = 3 pages; multi-level: a top page and ceil(2049 / 1024) = 3 second-level pages.
    assert.equal([data.length, meta.length], [n, { flat: 0, directory: 3, multilevel: 4 }[scheme]], scheme);
    for (const ref of [...data, ...meta]) {
      assert.ok(guest.grants.grantedTo(ref, dom0.id, false), `${scheme}: ref ${ref} readable by dom0`);
      assert.not.ok(guest.grants.grantedTo(ref, dom0.id, true), `${scheme}: ref ${ref} not writable by dom0`);
    }
    const i = ok(run(importBuffer(ops, dom0, guest, e.buffer)));
    assert.is(i.mappings.length, n);
    const ro = (refs: readonly number[]) => `map ro ${refs.join(',')}`;
    const expected = {
      flat: [ro(data)],
      // One directory page at a time (each names the next), then the data in one batch.
      directory: [...meta.flatMap((r) => [ro([r]), `unmap ${r}`]), ro(data)],
      // Top page alone, then the second level in a batch, the data in a batch, the second level unmapped.
      multilevel: [ro([meta[0]!]), `unmap ${meta[0]}`, ro(meta.slice(1)), ro(data), `unmap ${meta.slice(1).join(',')}`],
    }[scheme];
    assert.equal(ops.log, expected, scheme);
    assert.is(run(teardown(ops, dom0, guest, e.buffer, i.mappings)), 0, `${scheme}: every ref ended`);
    assert.equal([guest.grants.used, dom0.maptrack.used], [0, 0], `${scheme}: torn down`);
  }
});

test("displif's be_alloc: the frontend's directory writable by the backend, which maps each page once; the data read-only to the frontend", () => {
  const { ops, guest, dom0, run } = pair();
  const n = 2047; // ceil(2047 / 1023) = 3 directory pages
  const e = ok(run(exportBackendAllocated(ops, dom0, guest, n, 'design')));
  const { dataRefs: data, metadataRefs: dir } = e.buffer;
  assert.equal([e.buffer.metadataGrantedBy, dir.length, data.length, guest.grants.used, dom0.grants.used], ['importer', 3, n, 3, n]);
  for (const ref of dir) assert.ok(guest.grants.grantedTo(ref, dom0.id, true), `directory ref ${ref} writable by the backend`);
  for (const ref of data) {
    assert.ok(dom0.grants.grantedTo(ref, guest.id, false), `data ref ${ref} readable by the frontend`);
    assert.not.ok(dom0.grants.grantedTo(ref, guest.id, true), `data ref ${ref} not writable by the frontend`);
  }
  assert.equal(ops.log, dir.flatMap((r) => [`map rw ${r}`, `unmap ${r}`]), 'the backend walks the directory one page at a time');
  ops.log.length = 0;
  // The frontend granted the directory itself: it reads it without mapping, and maps the data in one batch.
  const i = ok(run(importBuffer(ops, guest, dom0, e.buffer)));
  assert.equal(ops.log, [`map ro ${data.join(',')}`]);
  assert.is(run(teardown(ops, guest, dom0, e.buffer, i.mappings)), 0, 'every ref ended');
  assert.equal([guest.grants.used, dom0.grants.used, guest.maptrack.used, dom0.maptrack.used], [0, 0, 0, 0]);
});

test('a teardown returns the refs it could not end: those still mapped stay granted (their end deferred)', () => {
  // The exporter's data and metadata: a data page left mapped (its unmap withheld).
  const a = pair();
  const e = ok(a.run(exportBuffer(a.ops, a.guest, a.dom0, 'directory', 100, 'design')));
  const i = ok(a.run(importBuffer(a.ops, a.dom0, a.guest, e.buffer)));
  assert.is(a.run(teardown(a.ops, a.dom0, a.guest, e.buffer, i.mappings.slice(1))), 1);
  assert.is(a.guest.grants.used, 1);
  // be_alloc: a data page of the backend's and a directory page of the frontend's, each still mapped.
  const b = pair();
  const f = ok(b.run(exportBackendAllocated(b.ops, b.dom0, b.guest, 100, 'design')));
  const j = ok(b.run(importBuffer(b.ops, b.guest, b.dom0, f.buffer)));
  b.run(b.ops.map(b.dom0, b.guest, [f.buffer.metadataRefs[0]!], false));
  assert.is(b.run(teardown(b.ops, b.guest, b.dom0, f.buffer, j.mappings.slice(1))), 2);
  assert.equal([b.dom0.grants.used, b.guest.grants.used], [1, 1]);
});

test('a table with exactly the entries needed is enough; one entry short is refused, naming the table, before anything is granted', () => {
  // One v1 frame: 4096 / 8 = 512 entries, 8 reserved: 504 usable.
  for (const [scheme, fits] of [['flat', 504], ['directory', 503], ['multilevel', 502]] as const) {
    const at = pair({ guestFrames: 1 });
    assert.ok(at.run(exportBuffer(at.ops, at.guest, at.dom0, scheme, fits, 'design')).ok, `${scheme} ${fits}`);
    const over = pair({ guestFrames: 1 });
    assert.equal(over.run(exportBuffer(over.ops, over.guest, over.dom0, scheme, fits + 1, 'design')),
      { ok: false, failure: 'grant-table-full', detail: 'guest: 505 grant entries needed, 504 available' }, `${scheme} ${fits + 1}`);
    assert.is(over.guest.grants.used, 0);
  }
  // be_alloc: the frontend holds the directory, the backend the data; each table checked.
  const back = pair({ dom0Frames: 1 });
  assert.equal(back.run(exportBackendAllocated(back.ops, back.dom0, back.guest, 505, 'design')),
    { ok: false, failure: 'grant-table-full', detail: 'dom0: 505 grant entries needed, 504 available' });
  const fits = pair({ dom0Frames: 1 });
  assert.ok(fits.run(exportBackendAllocated(fits.ops, fits.dom0, fits.guest, 504, 'design')).ok, 'be_alloc of 504 pages');
});

test('a buffer past the scheme\'s limit is refused with the reason: the scheme\'s bound, or the order of the second-level allocation', () => {
  const refuse = (scheme: SchemeName, pages: number, limits: LimitsMode): ExportResult => {
    const { ops, guest, dom0, run } = pair({ guestFrames: 4096 });
    return run(exportBuffer(ops, guest, dom0, scheme, pages, limits));
  };
  const tooLarge = (detail: string) => ({ ok: false, failure: 'too-large-for-scheme', detail });
  assert.equal(refuse('flat', 131_073, 'as-written'), tooLarge('131073 pages: the flat scheme addresses at most 131072 (as-written limits)'));
  assert.equal(refuse('multilevel', 1_048_577, 'design'), tooLarge('1048577 pages: the multilevel scheme addresses at most 1048576 (design limits)'));
  // 10,241 pages need 11 second-level pages of 1024 refs; hyper_dmabuf asks for an order-11 block.
  assert.equal(refuse('multilevel', 10_241, 'as-written'), tooLarge('10241 pages: its 11 second-level pages are an allocation of order 11, past the largest (10)'));
  assert.equal(layout('flat', 5, 'design').metadataAllocatedPages, 0, 'the flat scheme allocates no metadata pages');
});

test('a mapping domain out of maptrack: the step that ran out fails, naming its pages and how many ops failed, and unmaps what it did map', () => {
  const importWith = (scheme: SchemeName, n: number, maptrack: number): ImportResult => {
    const { ops, guest, dom0, run } = pair({ dom0Maptrack: maptrack });
    const e = ok(run(exportBuffer(ops, guest, dom0, scheme, n, 'design')));
    const r = run(importBuffer(ops, dom0, guest, e.buffer));
    if (!r.ok) {
      assert.is(dom0.maptrack.used, 0, `${scheme}: a failed import holds no mapping`);
      assert.is(ops.counts().mapOps - ops.counts().mapFailures, ops.counts().unmapOps, `${scheme}: every page mapped is unmapped`);
    }
    return r;
  };
  const failed = (detail: string) => ({ ok: false, failure: 'map-failed', detail });
  // Room for one mapping: the top page maps (and is unmapped); of 2 second-level pages (1025 refs) one fails, the other is unmapped.
  assert.equal(importWith('multilevel', 1025, 1), failed('second-level pages: 1 ops failed'));
  // Room for 2: top, then both second-level pages; all 1025 data pages fail.
  assert.equal(importWith('multilevel', 1025, 2), failed('data pages: 1025 ops failed'));
  // Room for 10: the directory pages map one at a time; 10 of 20 data pages map, and are unmapped.
  assert.equal(importWith('directory', 20, 10), failed('data pages: 10 ops failed'));
  assert.equal(importWith('flat', 20, 19), failed('data pages: 1 ops failed'));
  assert.ok(importWith('flat', 20, 20).ok, 'exactly enough maptrack');
  // be_alloc's backend needs one handle: it unmaps each directory page before mapping the next.
  const { ops, guest, dom0, run } = pair({ dom0Maptrack: 1 });
  assert.ok(run(exportBackendAllocated(ops, dom0, guest, 3000, 'design')).ok, 'one handle walks three directory pages');
});

test('a directory or top page the importer may not map fails the import at that page', () => {
  // The exporter ends access to the metadata before the import: the first metadata map finds a bad ref.
  for (const [scheme, detail] of [['directory', 'directory page: 1 ops failed'], ['multilevel', 'top page: 1 ops failed']] as const) {
    const { ops, guest, dom0, run } = pair();
    const e = ok(run(exportBuffer(ops, guest, dom0, scheme, 100, 'design')));
    run(ops.endAccess(guest, e.buffer.metadataRefs));
    assert.equal(run(importBuffer(ops, dom0, guest, e.buffer)), { ok: false, failure: 'map-failed', detail }, scheme);
  }
  // be_alloc: the frontend ends access to its directory before the backend walks it.
  const { ops, guest, dom0, run } = pair();
  class Revoking extends RecordingOps {
    override *grantAccess(dom: Domain, peer: Domain, pages: number, readOnly: boolean): ProcessBody<number[]> {
      const refs = yield* super.grantAccess(dom, peer, pages, readOnly);
      if (dom === guest) yield* super.endAccess(dom, refs);
      return refs;
    }
  }
  const revoking = new Revoking(ops.xen);
  assert.equal(run(exportBackendAllocated(revoking, dom0, guest, 100, 'design')), { ok: false, failure: 'map-failed', detail: 'directory page: 1 ops failed' });
});

test('handing the flat requests over a 32-slot ring: every request sent, answered and taken, whatever the count', () => {
  // A 64-byte message ring on a 4 KiB page: (4096 - 64) / 64 = 63 fit, rounded down to a power of two: 32 slots.
  holds(fc.property(fc.integer({ min: 1, max: 100 }), (requests) => {
    const { sim, xen, ops, guest, dom0, run } = pair();
    const channels = new EventChannels(xen, presetParams(xenPlatformParams, 'xen-x86'));
    const ring = run(connectRing(channels, guest, dom0, 64));
    if (typeof ring === 'number') throw new Error('no ring');
    assert.is(ring.ring.size, 32);
    const e = ok(run(exportBuffer(ops, guest, dom0, 'flat', 14 * requests, 'design')));
    run(handOver(ring, e.buffer));
    const c = ring.ring.counts();
    assert.equal([c.requestsPushed, c.requestsTaken, c.responsesPushed, c.responsesTaken, c.fullRejects], [requests, requests, requests, requests, 0]);
    // The back end stopped after the last answer: a later request is left for whoever serves the ring next.
    run(ring.sendRequests([null]));
    sim.run();
    assert.is(ring.ring.counts().requestsTaken, requests, 'no back end left serving the ring');
  }), 40);
});

test.run();

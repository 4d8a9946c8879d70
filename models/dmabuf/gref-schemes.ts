/**
 * The three ways to hand a buffer of N pages from one Xen domain to another
 * as grant references (REFERENCES.md, "The three gref schemes"), behind one
 * interface so a study can swap them:
 *
 *  - flat (xen-zcopy): N refs passed as an array through the backend's
 *    ioctl; no metadata pages; the importer maps all N in one batch.
 *  - directory (displif, sndif): a linked list of directory pages, each a
 *    4-byte next-page ref and 1023 data refs: D = ceil(N / 1023) pages. The
 *    importer knows only the first; it maps each directory page in turn to
 *    learn the next (D dependent single-page maps, each unmapped after
 *    reading), then maps the N data pages in one batch.
 *  - multilevel (hyper_dmabuf): a top page of up to 1024 refs to
 *    second-level pages of 1024 refs each: 1 + ceil(N / 1024) metadata
 *    pages, at most 1024 × 1024 data pages (4 GiB). The importer maps the
 *    top page, unmaps it, maps all second-level pages in one batch, maps the
 *    N data pages in one batch, unmaps the second-level pages: 5 grant
 *    hypercalls, 3 of them dependent maps.
 *
 * `layout` is the closed form (what the tests check the flows against);
 * `exportBuffer` / `importBuffer` / `teardown` are the timed flows on the
 * grant operations, which count what they do. Message exchange (the
 * display request, hyper_dmabuf's EXPORT) is the protocols' business: the
 * layout gives its size.
 */
import type { ProcessBody } from '../../src/sim/index.js';
import { GNTST, type GrantMapping, type GrantOps } from '../xen/gnttab.js';
import { NO_REF } from '../xen/grant-table.js';
import type { Domain } from '../xen/hypervisor.js';

export type SchemeName = 'flat' | 'directory' | 'multilevel';
export const SCHEMES: readonly SchemeName[] = ['flat', 'directory', 'multilevel'];

/** A grant reference is a uint32_t (grant_ref_t). */
export const GREF_BYTES = 4;
/** displif/sndif directory page: a next-page gref, then refs to the end of the page (xen/interface/io/displif.h). */
export const DIRECTORY_REFS_PER_PAGE = 1023;
/** hyper_dmabuf: a 4 KiB page of 4-byte refs. */
export const MULTILEVEL_REFS_PER_PAGE = 1024;
/** displif requests and responses are 64 bytes (REFERENCES.md). */
export const DISPLIF_MESSAGE_BYTES = 64;
/** hyper_dmabuf messages are 268 bytes (REFERENCES.md). */
export const HYPER_DMABUF_MESSAGE_BYTES = 268;

export interface SchemeLayout {
  scheme: SchemeName;
  pages: number;
  /** Pages of refs shared besides the data. */
  metadataPages: number;
  /** Grant entries the exporter uses: data plus metadata pages. */
  grantEntries: number;
  /** Map hypercalls the importer must issue one after another (each needs the previous one's result). */
  dependentMapSteps: number;
  /** Grant hypercalls of an import (maps and unmaps). */
  importHypercalls: number;
  /** Bytes of the messages the scheme itself sends (flat: none; the refs go through an ioctl). */
  messageBytes: number;
  /** The largest buffer the scheme can address, pages (Infinity: unbounded). */
  maxPages: number;
}

/**
 * The flat scheme's largest ref array: xen-zcopy copies it from user space
 * in one kernel allocation; KMALLOC_MAX_SIZE is 4 MiB on x86 (order-10
 * pages), 1,048,576 refs of 4 bytes. An estimate of where the ioctl gives up.
 */
export const DEFAULT_FLAT_MAX_REFS = 1_048_576;

export interface SchemeLimits {
  /** Largest ref array the flat scheme's ioctl accepts. */
  flatMaxRefs: number;
}

export function layout(scheme: SchemeName, pages: number, limits: SchemeLimits): SchemeLayout {
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`a buffer has a positive whole number of pages, got ${pages}`);
  switch (scheme) {
    case 'flat':
      return { scheme, pages, metadataPages: 0, grantEntries: pages, dependentMapSteps: 1, importHypercalls: 1, messageBytes: 0, maxPages: limits.flatMaxRefs };
    case 'directory': {
      const d = Math.ceil(pages / DIRECTORY_REFS_PER_PAGE);
      // Each directory page: map, read, unmap; then the data in one batch.
      return { scheme, pages, metadataPages: d, grantEntries: pages + d, dependentMapSteps: d + 1, importHypercalls: 2 * d + 1, messageBytes: 2 * DISPLIF_MESSAGE_BYTES, maxPages: Infinity };
    }
    case 'multilevel': {
      const l2 = Math.ceil(pages / MULTILEVEL_REFS_PER_PAGE);
      // Map top, unmap top, map L2 (batch), map data (batch), unmap L2 (batch).
      return { scheme, pages, metadataPages: 1 + l2, grantEntries: pages + l2 + 1, dependentMapSteps: 3, importHypercalls: 5, messageBytes: 2 * HYPER_DMABUF_MESSAGE_BYTES, maxPages: MULTILEVEL_REFS_PER_PAGE * MULTILEVEL_REFS_PER_PAGE };
    }
  }
}

/** What the exporter shared: the data refs and the metadata refs (the first of which the importer is told). */
export interface ExportedBuffer {
  layout: SchemeLayout;
  dataRefs: number[];
  metadataRefs: number[];
  /** The machine address of each data page, when the exporter says (an importer with an IOMMU context maps them there). */
  dataFrames?: readonly number[];
}

/** Why a buffer could not be shared: an outcome, reported, not a crash. */
export type ShareFailure = 'too-large-for-scheme' | 'grant-table-full' | 'map-failed';

export type ExportResult = { ok: true; buffer: ExportedBuffer } | { ok: false; failure: ShareFailure; detail: string };
export type ImportResult = { ok: true; mappings: GrantMapping[] } | { ok: false; failure: ShareFailure; detail: string };

/**
 * The exporter grants the data pages and the metadata pages to the importer
 * (read-only: the importer reads refs and data) and fills the metadata
 * pages with refs. A buffer the scheme cannot address, or whose refs the
 * grant table cannot all hold, fails before anything is granted.
 */
export function* exportBuffer(ops: GrantOps, exporter: Domain, importer: Domain, scheme: SchemeName, pages: number, limits: SchemeLimits,
  frames?: readonly number[]): ProcessBody<ExportResult> {
  const l = layout(scheme, pages, limits);
  if (pages > l.maxPages) return { ok: false, failure: 'too-large-for-scheme', detail: `${pages} pages > ${l.maxPages} the ${scheme} scheme can address` };
  // Linux reserves all the refs first (gnttab_alloc_grant_references) and fails with -ENOSPC if they do not fit.
  if (l.grantEntries > exporter.grants.available) {
    return { ok: false, failure: 'grant-table-full', detail: `${l.grantEntries} grant entries needed, ${exporter.grants.available} available` };
  }
  const refs = yield* ops.grantAccess(exporter, importer, l.grantEntries, true);
  if (refs.includes(NO_REF)) throw new Error('model bug: refs ran out after the reservation');
  return { ok: true, buffer: { layout: l, dataRefs: refs.slice(0, pages), metadataRefs: refs.slice(pages), ...(frames ? { dataFrames: frames } : {}) } };
}

/** The importer maps the buffer, following the scheme's metadata. */
export function* importBuffer(ops: GrantOps, importer: Domain, exporter: Domain, b: ExportedBuffer): ProcessBody<ImportResult> {
  const fail = (what: string, statuses: readonly number[]): ImportResult =>
    ({ ok: false, failure: 'map-failed', detail: `${what}: ${statuses.filter((s) => s !== GNTST.okay).length} ops failed` });
  const meta = b.metadataRefs;
  switch (b.layout.scheme) {
    case 'flat':
      break;
    case 'directory':
      // One page at a time: the next directory page's ref is only known once this one is mapped.
      for (const ref of meta) {
        const r = yield* ops.map(importer, exporter, [ref], true);
        if (r.mappings.length !== 1) return fail('directory page', r.statuses);
        yield* ops.unmap(importer, r.mappings);
      }
      break;
    case 'multilevel': {
      const top = yield* ops.map(importer, exporter, [meta[0]!], true);
      if (top.mappings.length !== 1) return fail('top page', top.statuses);
      yield* ops.unmap(importer, top.mappings);
      const l2 = yield* ops.map(importer, exporter, meta.slice(1), true);
      if (l2.mappings.length !== meta.length - 1) return fail('second-level pages', l2.statuses);
      const data = yield* ops.map(importer, exporter, b.dataRefs, true, b.dataFrames);
      yield* ops.unmap(importer, l2.mappings);
      return data.mappings.length === b.dataRefs.length ? { ok: true, mappings: data.mappings } : fail('data pages', data.statuses);
    }
  }
  const data = yield* ops.map(importer, exporter, b.dataRefs, true, b.dataFrames);
  return data.mappings.length === b.dataRefs.length ? { ok: true, mappings: data.mappings } : fail('data pages', data.statuses);
}

/** The importer unmaps the data pages; the exporter ends foreign access to every ref. */
export function* teardown(ops: GrantOps, importer: Domain, exporter: Domain, b: ExportedBuffer, mappings: readonly GrantMapping[]): ProcessBody<void> {
  yield* ops.unmap(importer, mappings);
  yield* ops.endAccess(exporter, [...b.dataRefs, ...b.metadataRefs]);
}

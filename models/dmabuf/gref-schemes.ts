/**
 * The three ways to hand a buffer of N pages from one Xen domain to another
 * as grant references (SOURCES.md, "The three gref schemes"), behind one
 * interface so a protocol can swap them:
 *
 *  - flat: N refs in an array. In the 2018 discussion no protocol carries a
 *    flat array between domains: displ_be in dom0 walks displif's directory
 *    (through gntdev) and hands xen-zcopy's DRM_XEN_ZCOPY_DUMB_FROM_REFS the
 *    flat array it read, which is the directory scheme's import below. A
 *    flat scheme across VMs needs a transport, so here the refs travel in
 *    64-byte ring requests, 14 refs each after the 8-byte request header
 *    (displif's xendispl_req layout), every request answered; the importer
 *    then maps all N in one batch.
 *  - directory (displif, sndif): a linked list of directory pages, each a
 *    4-byte next-page ref and 1023 data refs: D = ceil(N / 1023) pages. The
 *    importer knows only the first; it maps each directory page in turn to
 *    learn the next (D dependent single-page maps, each unmapped after
 *    reading), then maps the N data pages in one batch. With displif's
 *    be_alloc the roles of the directory swap (`exportBackendAllocated`).
 *  - multilevel (hyper_dmabuf): a top page of up to 1024 refs to
 *    second-level pages of 1024 refs each: 1 + ceil(N / 1024) metadata
 *    pages, at most 1024 × 1024 data pages (4 GiB). The importer maps the
 *    top page, unmaps it, maps all second-level pages in one batch, maps the
 *    N data pages in one batch, unmaps the second-level pages: 5 grant
 *    hypercalls, 3 of them dependent maps.
 *
 * An import whose batch maps only in part (the importer's maptrack full, a
 * ref the exporter no longer grants) unmaps what that batch did map, in one
 * more unmap, and fails: hyper_dmabuf's error_cleanup_data and
 * error_cleanup_lvl2 unmap the pages mapped so far, gntdev (displ_be's and
 * the flat importer's path) every handle it got. Left out: hyper_dmabuf's
 * cleanup records handles only up to the first failed op (its status loop
 * stops there), so a page mapped after it stays mapped, a leak; here every
 * page the batch mapped is unmapped. A full maptrack fails the last ops
 * only, where the two agree.
 *
 * Limits come in two modes. 'design': what the scheme's format can address.
 * 'as-written': what the 2018 code allocates. The hyper_dmabuf RFC takes its
 * second-level table from `__get_free_pages(GFP_KERNEL, n_lvl2_grefs)`, an
 * order given a page count, so it allocates 2^L contiguous pages for L
 * second-level pages (plus an order-1 block for the top page) and fails past
 * the buddy allocator's largest order; xen-zcopy allocates its map ops with
 * one kcalloc, capped at KMALLOC_MAX_SIZE.
 *
 * `layout` is the closed form (what the tests check the flows against);
 * `exportBuffer` / `handOver` / `importBuffer` / `teardown` are the timed
 * flows on the grant operations and rings, which count what they do.
 */
import { type ProcessBody } from '../../src/sim/index.js';
import { GNTST, type GrantMapping, type GrantOps, type MapResult } from '../xen/gnttab.js';
import { NO_REF } from '../xen/grant-table.js';
import type { Domain } from '../xen/hypervisor.js';
import type { XenRing } from '../xen/ring.js';

export type SchemeName = 'flat' | 'directory' | 'multilevel';
export const SCHEMES: readonly SchemeName[] = ['flat', 'directory', 'multilevel'];

/** Whose limits bind: the scheme's format ('design') or the 2018 code's allocations ('as-written'). */
export type LimitsMode = 'design' | 'as-written';
export const LIMITS_MODES: readonly LimitsMode[] = ['design', 'as-written'];

/** A grant reference is a uint32_t (grant_ref_t). */
export const GREF_BYTES = 4;
/** displif/sndif directory page: a next-page gref, then refs to the end of the page (xen/interface/io/displif.h). */
export const DIRECTORY_REFS_PER_PAGE = 1023;
/** hyper_dmabuf: a 4 KiB page of 4-byte refs. */
export const MULTILEVEL_REFS_PER_PAGE = 1024;
/** displif requests and responses are 64 bytes (SOURCES.md). */
export const DISPLIF_MESSAGE_BYTES = 64;
/** displif's request header: id (2 bytes), operation (1), reserved (5); the operation's fields follow (displif.h struct xendispl_req). */
export const DISPLIF_REQUEST_HEADER_BYTES = 8;
/** Refs one flat-scheme request carries: the request's body filled with grant_ref_t. */
export const FLAT_REFS_PER_MESSAGE = (DISPLIF_MESSAGE_BYTES - DISPLIF_REQUEST_HEADER_BYTES) / GREF_BYTES;
/** hyper_dmabuf messages are 268 bytes (SOURCES.md). */
export const HYPER_DMABUF_MESSAGE_BYTES = 268;
/**
 * The largest block Linux's buddy allocator hands out is order MAX_ORDER - 1,
 * 10 on x86 in 2018 (MAX_ORDER 11): 1,024 contiguous pages, 4 MiB. It bounds
 * __get_free_pages and, through KMALLOC_MAX_SIZE, kmalloc and kcalloc.
 */
export const MAX_PAGE_ORDER = 10;
/** KMALLOC_MAX_SIZE with 4 KiB pages: 2^MAX_PAGE_ORDER pages. */
export const KMALLOC_MAX_BYTES = 2 ** MAX_PAGE_ORDER * 4096;
/** sizeof(struct gnttab_map_grant_ref): host_addr, flags, ref, dom, status, handle, dev_bus_addr (Xen public/grant_table.h). */
export const MAP_GRANT_REF_BYTES = 32;
/** The hyper_dmabuf RFC's top page comes from __get_free_pages(GFP_KERNEL, 1): an order-1 block. */
const MULTILEVEL_TOP_ORDER = 1;

export interface SchemeLayout {
  scheme: SchemeName;
  pages: number;
  /** Pages of refs shared besides the data. */
  metadataPages: number;
  /** Pages the exporter allocates for them (as written, the RFC allocates 2^L + 2 for L + 1). */
  metadataAllocatedPages: number;
  /** Grant entries the exporter uses: data plus metadata pages. */
  grantEntries: number;
  /** Map hypercalls the importer must issue one after another (each needs the previous one's result). */
  dependentMapSteps: number;
  /** Grant hypercalls of an import (maps and unmaps). */
  importHypercalls: number;
  /** Requests the exporter sends to hand the buffer over (the flat scheme: one per 14 refs), each answered. */
  messages: number;
  /** Bytes of one of them. */
  messageSize: number;
  /** Bytes of those requests and their responses. */
  messageBytes: number;
  /** The largest buffer the scheme can address, pages (Infinity: unbounded). */
  maxPages: number;
}

/** The flat scheme as written: xen-zcopy's one kcalloc of map ops. */
const FLAT_AS_WRITTEN_MAX_REFS = KMALLOC_MAX_BYTES / MAP_GRANT_REF_BYTES;

export function layout(scheme: SchemeName, pages: number, limits: LimitsMode): SchemeLayout {
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`a buffer has a positive whole number of pages, got ${pages}`);
  const asWritten = limits === 'as-written';
  switch (scheme) {
    case 'flat': {
      const messages = Math.ceil(pages / FLAT_REFS_PER_MESSAGE);
      return {
        scheme, pages, metadataPages: 0, metadataAllocatedPages: 0, grantEntries: pages, dependentMapSteps: 1, importHypercalls: 1,
        messages, messageSize: DISPLIF_MESSAGE_BYTES, messageBytes: 2 * messages * DISPLIF_MESSAGE_BYTES,
        maxPages: asWritten ? FLAT_AS_WRITTEN_MAX_REFS : Infinity,
      };
    }
    case 'directory': {
      const d = Math.ceil(pages / DIRECTORY_REFS_PER_PAGE);
      // Each directory page: map, read, unmap; then the data in one batch.
      return {
        scheme, pages, metadataPages: d, metadataAllocatedPages: d, grantEntries: pages + d, dependentMapSteps: d + 1, importHypercalls: 2 * d + 1,
        messages: 1, messageSize: DISPLIF_MESSAGE_BYTES, messageBytes: 2 * DISPLIF_MESSAGE_BYTES, maxPages: Infinity,
      };
    }
    case 'multilevel': {
      const l2 = Math.ceil(pages / MULTILEVEL_REFS_PER_PAGE);
      // Map top, unmap top, map L2 (batch), map data (batch), unmap L2 (batch).
      return {
        scheme, pages, metadataPages: 1 + l2, grantEntries: pages + l2 + 1, dependentMapSteps: 3, importHypercalls: 5,
        metadataAllocatedPages: asWritten ? 2 ** MULTILEVEL_TOP_ORDER + 2 ** l2 : 1 + l2,
        messages: 1, messageSize: HYPER_DMABUF_MESSAGE_BYTES, messageBytes: 2 * HYPER_DMABUF_MESSAGE_BYTES,
        // As written, the order is the page count: past MAX_PAGE_ORDER second-level pages the allocation fails.
        maxPages: MULTILEVEL_REFS_PER_PAGE * (asWritten ? MAX_PAGE_ORDER : MULTILEVEL_REFS_PER_PAGE),
      };
    }
  }
}

/** What the exporter shared: the data refs and the metadata refs (the first of which the importer is told). */
export interface ExportedBuffer {
  layout: SchemeLayout;
  dataRefs: number[];
  metadataRefs: number[];
  /** Who granted the metadata pages: the exporter, or with displif's be_alloc the importer, which then reads them as its own memory. */
  metadataGrantedBy: 'exporter' | 'importer';
  /** The machine address of each data page, when the exporter says (an importer with an IOMMU context maps them there). */
  dataFrames?: readonly number[];
}

/** Why a buffer could not be shared: an outcome, reported, not a crash. */
export type ShareFailure = 'too-large-for-scheme' | 'grant-table-full' | 'map-failed';

export type ExportResult = { ok: true; buffer: ExportedBuffer } | { ok: false; failure: ShareFailure; detail: string };
export type ImportResult = { ok: true; mappings: GrantMapping[] } | { ok: false; failure: ShareFailure; detail: string };

const mapFailed = (what: string, statuses: readonly number[]): { ok: false; failure: ShareFailure; detail: string } =>
  ({ ok: false, failure: 'map-failed', detail: `${what}: ${statuses.filter((s) => s !== GNTST.okay).length} ops failed` });

/** The refusals checked before anything is granted: a buffer the scheme cannot address, refs a grant table cannot all hold. */
function refusal(l: SchemeLayout, limits: LimitsMode, tables: readonly [Domain, number][]): ExportResult | null {
  if (l.pages > l.maxPages) {
    const why = l.scheme === 'multilevel' && limits === 'as-written'
      ? `its ${Math.ceil(l.pages / MULTILEVEL_REFS_PER_PAGE)} second-level pages are an allocation of order ${Math.ceil(l.pages / MULTILEVEL_REFS_PER_PAGE)}, past the largest (${MAX_PAGE_ORDER})`
      : `the ${l.scheme} scheme addresses at most ${l.maxPages} (${limits} limits)`;
    return { ok: false, failure: 'too-large-for-scheme', detail: `${l.pages} pages: ${why}` };
  }
  // Linux reserves all the refs first (gnttab_alloc_grant_references) and fails with -ENOSPC if they do not fit.
  for (const [dom, entries] of tables) {
    if (entries > dom.grants.available) {
      return { ok: false, failure: 'grant-table-full', detail: `${dom.name}: ${entries} grant entries needed, ${dom.grants.available} available` };
    }
  }
  return null;
}

function* grantAll(ops: GrantOps, owner: Domain, peer: Domain, pages: number, readOnly: boolean): ProcessBody<number[]> {
  const refs = yield* ops.grantAccess(owner, peer, pages, readOnly);
  if (refs.includes(NO_REF)) throw new Error('model bug: refs ran out after the reservation');
  return refs;
}

/**
 * The exporter grants the data pages and the metadata pages to the importer
 * (read-only: the importer reads refs and data) and fills the metadata
 * pages with refs. A buffer the scheme cannot address, or whose refs the
 * grant table cannot all hold, fails before anything is granted.
 */
export function* exportBuffer(ops: GrantOps, exporter: Domain, importer: Domain, scheme: SchemeName, pages: number, limits: LimitsMode,
  frames?: readonly number[]): ProcessBody<ExportResult> {
  const l = layout(scheme, pages, limits);
  const refused = refusal(l, limits, [[exporter, l.grantEntries]]);
  if (refused) return refused;
  const refs = yield* grantAll(ops, exporter, importer, l.grantEntries, true);
  return { ok: true, buffer: { layout: l, dataRefs: refs.slice(0, pages), metadataRefs: refs.slice(pages), metadataGrantedBy: 'exporter', ...(frames ? { dataFrames: frames } : {}) } };
}

/**
 * displif's be_alloc (XENDISPL_DBUF_FLG_REQ_ALLOC, displif.h): the frontend
 * allocates the directory pages, links them and grants them writable to the
 * backend; the backend allocates the buffer, walks the directory (each page
 * mapped to learn the next), grants its data pages to the frontend and
 * writes their refs into the directory. The frontend reads the refs from
 * its own pages and maps the data in one batch (importBuffer).
 */
export function* exportBackendAllocated(ops: GrantOps, backend: Domain, frontend: Domain, pages: number, limits: LimitsMode,
  frames?: readonly number[]): ProcessBody<ExportResult> {
  const l = layout('directory', pages, limits);
  const refused = refusal(l, limits, [[frontend, l.metadataPages], [backend, pages]]);
  if (refused) return refused;
  const directory = yield* grantAll(ops, frontend, backend, l.metadataPages, false);
  for (const ref of directory) {
    const r = yield* ops.map(backend, frontend, [ref], false);
    if (r.mappings.length !== 1) return mapFailed('directory page', r.statuses);
    yield* ops.unmap(backend, r.mappings);
  }
  const data = yield* grantAll(ops, backend, frontend, pages, true);
  return { ok: true, buffer: { layout: l, dataRefs: data, metadataRefs: directory, metadataGrantedBy: 'importer', ...(frames ? { dataFrames: frames } : {}) } };
}

/**
 * The exporter hands the buffer over on `ring` (the exporter at its front,
 * the importer at its back): the scheme's requests, each answered. The
 * front fills the free slots and sleeps until responses come; the back
 * takes what is published, answers it and sleeps until notified (ring.h's
 * notification suppression decides which pushes notify). Returns when the
 * last response is taken.
 */
export function* handOver(ring: XenRing, b: ExportedBuffer): ProcessBody<void> {
  const total = b.layout.messages;
  ring.channels.xen.sim.process(answerAll(ring, total), `${ring.back.dom.name}/hand-over`);
  let sent = 0, answered = 0;
  while (answered < total) {
    // With no room this sends nothing: no copy, no publish, no notification.
    sent += yield* ring.sendRequests(new Array<null>(Math.min(total - sent, ring.ring.freeRequests())).fill(null));
    yield* ring.awaitResponses();
    answered += (yield* ring.takeResponses()).length;
  }
}

function* answerAll(ring: XenRing, total: number): ProcessBody<void> {
  for (let answered = 0; answered < total;) {
    yield* ring.awaitRequests();
    const reqs = yield* ring.takeRequests();
    yield* ring.sendResponses(reqs);
    answered += reqs.length;
  }
}

/** The importer maps the buffer, following the scheme's metadata (a directory it granted itself it reads without mapping). */
export function* importBuffer(ops: GrantOps, importer: Domain, exporter: Domain, b: ExportedBuffer): ProcessBody<ImportResult> {
  const meta = b.metadataRefs;
  switch (b.metadataGrantedBy === 'importer' ? 'flat' : b.layout.scheme) {
    case 'flat':
      break;
    case 'directory':
      // One page at a time: the next directory page's ref is only known once this one is mapped.
      for (const ref of meta) {
        const r = yield* ops.map(importer, exporter, [ref], true);
        if (r.mappings.length !== 1) return yield* mapFailedUndone(ops, importer, 'directory page', r);
        yield* ops.unmap(importer, r.mappings);
      }
      break;
    case 'multilevel': {
      const top = yield* ops.map(importer, exporter, [meta[0]!], true);
      if (top.mappings.length !== 1) return yield* mapFailedUndone(ops, importer, 'top page', top);
      yield* ops.unmap(importer, top.mappings);
      const l2 = yield* ops.map(importer, exporter, meta.slice(1), true);
      if (l2.mappings.length !== meta.length - 1) return yield* mapFailedUndone(ops, importer, 'second-level pages', l2);
      const data = yield* ops.map(importer, exporter, b.dataRefs, true, b.dataFrames);
      yield* ops.unmap(importer, l2.mappings);
      return data.mappings.length === b.dataRefs.length ? { ok: true, mappings: data.mappings } : yield* mapFailedUndone(ops, importer, 'data pages', data);
    }
  }
  const data = yield* ops.map(importer, exporter, b.dataRefs, true, b.dataFrames);
  return data.mappings.length === b.dataRefs.length ? { ok: true, mappings: data.mappings } : yield* mapFailedUndone(ops, importer, 'data pages', data);
}

/** A batch of `what` that mapped only in part: the importer unmaps what it did map (see the header), and the import fails. */
function* mapFailedUndone(ops: GrantOps, importer: Domain, what: string, r: MapResult): ProcessBody<ImportResult> {
  if (r.mappings.length > 0) yield* ops.unmap(importer, r.mappings);
  return mapFailed(what, r.statuses);
}

/**
 * The importer unmaps the data pages; whoever granted each ref ends foreign
 * access to it. Returns the refs it could not end (still mapped elsewhere).
 */
export function* teardown(ops: GrantOps, importer: Domain, exporter: Domain, b: ExportedBuffer, mappings: readonly GrantMapping[]): ProcessBody<number> {
  yield* ops.unmap(importer, mappings);
  if (b.metadataGrantedBy === 'importer') {
    const busy = yield* ops.endAccess(exporter, b.dataRefs);
    return busy + (yield* ops.endAccess(importer, b.metadataRefs));
  }
  return yield* ops.endAccess(exporter, [...b.dataRefs, ...b.metadataRefs]);
}

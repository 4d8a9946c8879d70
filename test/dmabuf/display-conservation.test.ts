/**
 * The conservation checks of the display pipeline (dmabuf.displif,
 * workloads.renderer, .scanout, .encoder and their frame reader): they hold
 * on the shipped studies' systems, at the end of a run and at checkpoints
 * through it (frames, flips and reads in flight), and each catches its
 * count off by one, with its message. Also a display refused when the
 * buffers it reads have no frames (it used to scan them out as whole frames
 * of nothing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { buildScenario } from '../../src/run/single.js';
import { Simulation } from '../../src/sim/index.js';
import { DISABLED_TRACER } from '../../src/trace/index.js';
import type { Component } from '../../src/scenario/registry.js';
import type { Displif } from '../../models/dmabuf/displif.js';
import type { FrameReader } from '../../models/workloads/frame-reader.js';
import { frameReaderInvariants } from '../../models/workloads/display-conservation.js';
import { ROOT, invariantsWithCountOff as off, runDocInProcess } from '../helpers.js';

const PAGE = 4096;
const PAGES_1080P = 2025;
const lib = await loadModelLibrary();

/** A component with its private state open to the test (the counts corrupted on purpose). */
type Open = Component & Record<string, any>;

/** A shipped study's system, built on a simulation of its own (not run yet). */
function build(name: string, sets: Record<string, string | number | boolean>) {
  const at = path.join(ROOT, 'scenarios', `${name}.json`);
  const sc = resolveScenario(parseScenario(at, fs.readFileSync(at, 'utf8')), sets, lib);
  const sim = new Simulation({ seed: 1, replication: 0 });
  const instances = buildScenario(sc, sim, DISABLED_TRACER);
  return { sim, instances, get: (n: string) => instances.get(n) as Open };
}

/** Every instance's broken checks, by name. */
function broken(instances: Map<string, Component>): string[] {
  return [...instances].flatMap(([name, inst]) => (inst.invariants?.() ?? []).map((m) => `${name}: ${m}`));
}

/**
 * Runs the system to its end, checking every instance's invariants every
 * `step` events on the way (the run could stop there: at `until` or
 * `maxEvents`); `seen` is told of each checkpoint, to find work in flight.
 */
function runChecked(s: ReturnType<typeof build>, step: number, seen: () => void = () => {}): void {
  for (;;) {
    const r = s.sim.run({ maxEvents: step });
    assert.equal(broken(s.instances), [], `at ${s.sim.now} ps, event ${s.sim.eventCount}`);
    seen();
    if (r.reason !== 'maxEvents') return;
  }
}

test('the shipped display studies hold their checks through the run: frontend and backend allocation, per-frame and share-once, copy, immediate reuse, remote sync', () => {
  // Besides the configurations the tests below take apart (each run checked on the way too).
  const runs: [string, Record<string, string | number | boolean>, number][] = [
    ['display-frames', { frames: 4, allocation: 'backend', sharing: 'share-once', remoteSync: true }, 7],
    ['display-frames', { frames: 6, sharing: 'share-once', buffers: 3, scheme: 'multilevel' }, 7],
    ['vm-display-pipeline', { frames: 3, sharing: 'per-frame', dom0IommuView: 'own-memory' }, 9973],
    ['vm-display-pipeline', { frames: 3, transfer: 'copy', reuse: 'immediate', renderTime: '5 ms' }, 9973],
    ['vm-video-encode', { frames: 3, sharing: 'per-frame', transfer: 'copy' }, 9973],
  ];
  for (const [name, sets, step] of runs) {
    const s = build(name, sets);
    runChecked(s, step);
    assert.ok(s.get('displif').metrics!().frames_flipped as number > 0, `${name} ${JSON.stringify(sets)} flipped frames`);
  }
});

test('displif, per-frame sharing: buffers exported = torn down + shared, flips requested >= flipped >= answered, free buffers once each; each count off is caught', () => {
  const s = build('display-frames', { frames: 6 });
  let inFlight = false;
  runChecked(s, 53, () => {
    const b = (s.get('displif') as unknown as Displif).bookkeeping();
    inFlight ||= b.flipRequests > b.flipsAnswered && b.liveExports > 1;
  });
  assert.ok(inFlight, 'a checkpoint with a flip in flight and two buffers shared');
  const d = s.get('displif');
  const b = (d as unknown as Displif).bookkeeping();
  // Six frames in two buffers, each shared anew and torn down once the next is on screen: the last one is still shared.
  assert.equal([b.exports, b.imports, b.teardowns, b.liveExports, b.liveImports], [6, 6, 5, 1, 1]);
  assert.equal([b.flipRequests, b.flipped, b.flipsAnswered, b.ring!.requestsPushed, b.ring!.responsesPushed], [6, 6, 6, 6, 6]);
  assert.equal([b.free, b.onScreen, b.taken, b.returned], [[0], 1, 6, 5]);
  assert.equal(d.invariants!(), []);

  assert.equal(off(d, d, 'exports'), ['buffers exported: 7 != 5 torn down + 1 shared now']);
  assert.equal(off(d, d, 'imports'), ['buffers imported: 7 != 5 torn down + 1 mapped now']);
  assert.equal(off(d, d, 'flipRequests'), ['ring requests: 7 flips + 0 creates sent != 6 pushed on the ring']);
  // A response on the ring that displif did not count (its ring's count, SharedRing's private `n`).
  assert.equal(off(d, d.flips.ring.n, 'responsesPushed'), ['ring responses: 6 flipped + 0 creates served != 7 pushed on the ring']);
  assert.equal(off(d, d, 'flipsAnswered'), ['flips: 6 requested, 6 flipped, 7 answered']);
  assert.equal(off(d, d, 'returned'), ['buffers: 1 free + 6 taken - 6 returned != 2 in rotation']);
  // The free buffer taken for the one on screen: the renderer would draw into what is displayed.
  assert.equal(off(d, d, 'onScreen', -1), ['free buffers [0]: 0 twice, out of range or on screen']);
  // The free buffer left shared: its teardown skipped (counted as shared, so only the free list shows it).
  d.exported[0] = d.exported[1];
  d.exports++;
  assert.equal(d.invariants!(), ['buffers 0 free but still shared (per-frame sharing tears a buffer down before freeing it)']);
  d.exported[0] = null;
  d.exports--;
  assert.equal(d.invariants!(), []);
  // Behind displif's back, in Xen's tables: a directory page's grant ended, a data page unmapped.
  const live = d.exported[1];
  assert.is(d.exporter.grants.end(live.metadataRefs[0]), 'ok', 'the directory pages are unmapped once imported');
  assert.equal(d.invariants!(), ['refs of the shared buffers no longer granted: 1']);
  const mapping = d.imported[1][0];
  mapping.granter.grants.noteMapped(mapping.ref, -1);
  assert.equal(d.invariants!(), ['refs of the shared buffers no longer granted: 1', `imported buffers not holding their ${PAGES_1080P} mappings: 1`]);
});

test('displif, backend allocation with remote sync: creates requested >= served >= answered, one sync op outstanding at most; each count off is caught', () => {
  const s = build('display-frames', { frames: 4, allocation: 'backend', remoteSync: true });
  runChecked(s, 997);
  const d = s.get('displif');
  const b = (d as unknown as Displif).bookkeeping();
  assert.equal([b.createRequests, b.createsServed, b.createsAnswered, b.flipped, b.ring!.requestsPushed], [4, 4, 4, 4, 8]);
  assert.equal([b.syncRing!.requestsPushed, b.syncRing!.responsesTaken], [8, 8], 'begin and end per frame');
  assert.equal(d.invariants!(), []);
  assert.equal(off(d, d, 'createsAnswered'), ['creates: 4 requested, 4 served, 5 answered']);
  assert.equal(off(d, d, 'createRequests'), ['ring requests: 4 flips + 5 creates sent != 8 pushed on the ring']);
  assert.equal(off(d, d, 'createsServed'), ['ring responses: 4 flipped + 5 creates served != 8 pushed on the ring', 'creates: 4 requested, 5 served, 4 answered']);
  assert.equal(off(d, d.sync.ring.n, 'responsesTaken'), ['remote sync: 8 ops asked, 9 answered']);
});

test('renderer: no frame shown that was not started, each sampled once; each count off is caught', () => {
  const s = build('display-frames', { frames: 6 });
  s.sim.run();
  const r = s.get('display');
  assert.equal([r.started, r.skipped, r.shown, r.late], [6, 0, 6, 0]);
  assert.equal(r.invariants!(), []);
  assert.equal(off(r, r, 'skipped'), ['frames: 6 started + 1 skipped > 6 in the run']);
  assert.equal(off(r, r, 'started', -1), ['frames: 6 shown > 5 started']);
  assert.equal(off(r, r, 'late', 7), ['7 late frames > 6 shown']);
  r.latency.add(1);
  assert.equal(r.invariants!(), ['latency samples: 7 and 6 for 6 frames shown']);
});

test('scanout: flips latched, dropped or waiting; every refresh one whole read of the front buffer, descriptors done or outstanding; each count off is caught', () => {
  const s = build('vm-display-pipeline', { frames: 4 });
  let reading = false;
  runChecked(s, 1999, () => {
    const st = (s.get('display').reader as FrameReader).stats();
    reading ||= st.outstanding > 0 && st.pendingBytes > 0;
  });
  assert.ok(reading, 'a checkpoint in the middle of a scan-out');
  const d = s.get('display');
  // Four flips: three latched at the vblanks of the four refreshes (the first shows nothing yet), the last after them.
  assert.equal([d.flipsAsked, d.flipsLatched, d.flipsDropped, d.shown, d.scanned], [4, 3, 1, 3, 3]);
  const frame = PAGES_1080P * PAGE, read = 3 * frame;
  assert.equal(d.invariants!(), []);
  assert.equal(off(d, d, 'flipsDropped'), ['flips: 4 asked != 3 latched + 2 dropped + 0 waiting']);
  assert.equal(off(d, d, 'torn', 4), ['4 torn and 0 underrun refreshes > 3 scanned']);
  assert.equal(off(d, d, 'bytesScanned', PAGE), [`${read + PAGE} bytes in the refreshes scanned != ${read} read`]);
  assert.equal(off(d, d, 'scanned'), ['4 refreshes scanned of 4, 3 scan-time samples', '4 refreshes scanned != 3 reads done']);
  const reader = d.reader as Record<string, any>;
  assert.equal(off(d, reader, 'completed'), [`descriptors: ${3 * PAGES_1080P} submitted != ${3 * PAGES_1080P + 1} done + 0 outstanding`]);
  assert.equal(off(d, reader, 'outstanding'), [
    `descriptors: ${3 * PAGES_1080P} submitted != ${3 * PAGES_1080P} done + 1 outstanding`,
    'no read in progress, yet 1 descriptors outstanding and 0 of 0 bytes to submit',
  ]);
  assert.equal(off(d, reader, 'readsDone'), ['3 refreshes scanned != 4 reads done', 'reads: 3 started, 4 done']);
  // More descriptors out than the reader keeps, in the middle of a read whose counts otherwise balance.
  const st = (d.reader as FrameReader).stats(), over = st.inFlight + 1;
  assert.equal(frameReaderInvariants({ ...st, readsStarted: st.readsStarted + 1, descriptorsDone: st.descriptorsDone - over, outstanding: over }), [`${over} descriptors outstanding, at most ${st.inFlight} allowed`]);
  assert.equal(off(d, reader, 'bytesRead', PAGE), [`bytes: ${read + PAGE} submitted != ${read} of the reads done + 0 of the read in progress`]);
  d.latency.add(1);
  assert.equal(d.invariants!(), ['3 frames shown of 3 flips latched, 4 latency samples']);
});

test('encoder: frames handed over = encoded + being read + waiting, each read whole; each count off is caught', () => {
  const s = build('vm-video-encode', { frames: 4 });
  let reading = false;
  runChecked(s, 1999, () => { reading ||= s.get('encoder').fetch.used === 1; });
  assert.ok(reading, 'a checkpoint with a frame being read');
  const e = s.get('encoder');
  assert.equal([e.handed, e.encoded, e.late, e.torn], [4, 4, 0, 0]);
  const read = 4 * PAGES_1080P * PAGE;
  assert.equal(e.invariants!(), []);
  assert.equal(off(e, e, 'handed'), ['frames: 5 handed over != 4 encoded + 0 being read + 0 waiting']);
  assert.equal(off(e, e, 'late', 5), ['5 late and 0 torn frames > 4 encoded']);
  assert.equal(off(e, e, 'bytesEncoded', PAGE), [`${read + PAGE} bytes in the frames encoded != ${read} read`]);
  assert.equal(off(e, e.reader, 'readsDone', -1), ['4 frames encoded != 3 reads done']);
  e.readTime.add(1);
  assert.equal(e.invariants!(), ['samples: 4 latency and 5 read time for 4 frames encoded']);
});

test('a display reading buffers from a domain with no RAM configured is refused before the run (exit 2, the instance named), whoever allocated them, not scanned out as nothing', async () => {
  // dom0 without RAM (and so without the GPU passed through): its copies of the frames would have no frames.
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', 'vm-display-pipeline.json'), 'utf8'));
  const dom0 = doc.components.find((c: { name: string }) => c.name === 'dom0');
  for (const k of ['memoryBase', 'memorySize', 'passthrough', 'iommuView']) delete dom0.params[k];
  // The backend's copies, and the backend's own buffers (be_alloc: the scenario has no parameter for it, so its displif is edited).
  const backendAllocated = structuredClone(doc);
  backendAllocated.components.find((c: { name: string }) => c.name === 'displif').params.allocation = 'backend';
  for (const [d, sets] of [[doc, ['--set', 'transfer=copy']], [backendAllocated, []]] as const) {
    const r = await runDocInProcess('no-ram.json', d, ['--set', 'frames=3', ...sets]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /components\[\d+\] \(displif, dmabuf\.displif\): the display reads its buffers from dom0's RAM \(transfer '(copy|zero-copy)', allocation '(frontend|backend)'\): give dom0 memoryBase and memorySize/);
    assert.is(r.stdout, '', 'nothing written for a refused scenario');
  }
  // Zero-copy from the guest's buffers, the display reads the guest's own frames: that runs.
  const zero = JSON.parse((await runDocInProcess('no-ram.json', doc, ['--set', 'frames=3'])).stdout);
  assert.is(zero.status, 'ok', zero.error);
});

test.run();

/** KVM's udmabuf and virtio-gpu blob paths: limits as outcomes, exact times and counts. */
import { test } from 'uvu';
import { presetParams } from '../preset-params.js';
import * as assert from 'uvu/assert';
import { Simulation, type ProcessBody } from '../../src/sim/index.js';
import { Attribution } from '../../src/stats/attribution.js';
import { exitPs, kvmCostParams } from '../../models/kvm/costs.js';
import { INTERRUPT, KvmSharing, VIRTIO_GPU_HOST, VIRTQUEUE } from '../../models/kvm/sharing.js';

function world() {
  const sim = new Simulation();
  const attribution = new Attribution();
  const kvm = new KvmSharing(presetParams(kvmCostParams, 'kvm-x86'), attribution);
  const run = <T>(body: ProcessBody<T>): T => { const p = sim.process(body); sim.run(); return p.value as T; };
  return { sim, kvm, attribution, run };
}

test('udmabuf: one ioctl, every page pinned and put in the sg table, no exit; the time is exact', () => {
  const { sim, kvm, attribution, run } = world();
  assert.equal(run(kvm.udmabufCreate(2025, 3)), { ok: true, udmabuf: 1 });
  const c = kvm.costs;
  assert.is(sim.now, c.ioctl + 2025 * (c.pinPerPage + c.sgPerPage));
  assert.equal(kvm.counts(), {
    udmabufs: 1, udmabufFailures: 0, udmabufsReleased: 0, pagesPinned: 2025, pagesUnpinned: 0, exits: 0, interrupts: 0,
    blobCommands: 0, blobsCreated: 0, blobsReleased: 0, memEntries: 0,
  });
  assert.equal(kvm.livePages(), [2025], 'live, its pages pinned');
  assert.is(attribution.total(), sim.now);
});

test('udmabuf limits are outcomes: more than 1024 items, or more than 64 MiB', () => {
  const { sim, kvm, run } = world();
  const items = run(kvm.udmabufCreate(2048, 1025));
  assert.is(items.ok, false);
  assert.ok(!items.ok && items.errno === 'EINVAL');
  const big = run(kvm.udmabufCreate(64 * 256 + 1, 1));
  assert.ok(!big.ok && big.errno === 'ENOMEM');
  assert.ok(run(kvm.udmabufCreate(64 * 256, 1)).ok, 'exactly 64 MiB fits');
  assert.is(kvm.counts().udmabufFailures, 2);
  assert.is(sim.now, kvm.costs.ioctl + 64 * 256 * (kvm.costs.pinPerPage + kvm.costs.sgPerPage), 'failed calls cost nothing here');
});

test('a virtio-gpu blob: entries written, one kick (exit), the host, one interrupt', () => {
  const { sim, kvm, run } = world();
  run(kvm.blobCreate(8));
  const c = kvm.costs;
  assert.is(sim.now, 8 * c.entryWrite + exitPs(c) + c.commandBase + 8 * c.hostPerEntry + c.interrupt);
  assert.is(exitPs(c), Math.round((1300 / 2.1) * 1000));
  const n = kvm.counts();
  assert.equal([n.exits, n.interrupts, n.blobCommands, n.memEntries], [1, 1, 1, 8]);
});

test('a blob\'s unref: one command (kick, the host unpinning every page, interrupt), each part in its category; exactly 1024 items fit a udmabuf list', () => {
  const { sim, kvm, attribution, run } = world();
  const made = run(kvm.udmabufCreate(2025, 3));
  assert.ok(made.ok);
  const t0 = sim.now, before = attribution.get(VIRTIO_GPU_HOST);
  run(kvm.blobUnref(made.udmabuf));
  const c = kvm.costs;
  assert.is(sim.now - t0, exitPs(c) + c.commandBase + 2025 * c.pinPerPage + c.interrupt);
  assert.equal([attribution.get(VIRTQUEUE), attribution.get(VIRTIO_GPU_HOST) - before, attribution.get(INTERRUPT)], [exitPs(c), c.commandBase + 2025 * c.pinPerPage, c.interrupt]);
  const n = kvm.counts();
  assert.equal([n.exits, n.interrupts, n.blobCommands, n.memEntries], [1, 1, 1, 0]);
  assert.equal([n.udmabufsReleased, n.pagesUnpinned, n.blobsReleased, kvm.isLive(made.udmabuf)], [1, 2025, 1, false], 'the udmabuf released, its pages unpinned');
  assert.throws(() => run(kvm.blobUnref(made.udmabuf)), /udmabuf 1, which is not live/, 'released once');
  assert.ok(run(kvm.udmabufCreate(1024, 1024)).ok, 'list_limit items are allowed');
  const big = run(kvm.udmabufCreate(64 * 256 + 1, 1));
  assert.ok(!big.ok && big.reason === `${(64 * 256 + 1) * 4096} bytes > size_limit ${64 * 2 ** 20}`, JSON.stringify(big));
});

test.run();

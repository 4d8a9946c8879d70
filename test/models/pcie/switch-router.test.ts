/**
 * The routing table a switch (and later the root complex) looks TLPs up in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tlp } from '../../../models/pcie/fabric.js';
import { NO_PORT, NO_ROUTES, RoutingTable } from '../../../models/pcie/router.js';

const MiB = 1 << 20;

function table() {
  return new RoutingTable([
    null, // upstream: never routed to by table
    { ranges: [{ base: 0x1000_0000, size: MiB }], requesterIds: [0x100] },
    { ranges: [{ base: 0x2000_0000, size: MiB }, { base: 2 ** 40, size: 64 * MiB }], requesterIds: [0x200, 0x201] },
    NO_ROUTES,
  ]);
}

test('addresses: the port whose range holds them, edges included; NO_PORT elsewhere', () => {
  const t = table();
  assert.is(t.portCount, 4);
  assert.is(t.portForAddress(0x1000_0000), 1);
  assert.is(t.portForAddress(0x1000_0000 + MiB - 1), 1);
  assert.is(t.portForAddress(0x1000_0000 + MiB), NO_PORT);
  assert.is(t.portForAddress(0x0fff_ffff), NO_PORT);
  assert.is(t.portForAddress(0), NO_PORT);
  assert.is(t.portForAddress(0x2000_0040), 2);
  assert.is(t.portForAddress(2 ** 40 + 12345), 2);
  assert.is(t.portForAddress(2 ** 40 + 64 * MiB), NO_PORT);
  assert.is(t.portForAddress(2 ** 52), NO_PORT);
});

test('requester IDs route completions; requests route by address, messages by nobody', () => {
  const t = table();
  assert.is(t.portForRequester(0x100), 1);
  assert.is(t.portForRequester(0x201), 2);
  assert.is(t.portForRequester(0x300), NO_PORT);
  const tlp = (type: ConstructorParameters<typeof Tlp>[0], addr: number, requester: number) => new Tlp(type, addr, 0, 0, requester, 0, 0, 0);
  assert.is(t.portFor(tlp('MWr', 0x2000_0000, 0x100)), 2, 'a write goes by its address, not its requester');
  assert.is(t.portFor(tlp('MRd', 0x1000_0000, 0x200)), 1);
  assert.is(t.portFor(tlp('CplD', 0x2000_0000, 0x100)), 1, 'a completion goes by its requester, not its address');
  assert.is(t.portFor(tlp('Cpl', 0, 0x201)), 2);
  assert.is(t.portFor(tlp('Msg', 0x1000_0000, 0x100)), NO_PORT);
});

test('one port may list adjacent or overlapping ranges in any order; two ports may not overlap or share an ID', () => {
  const t = new RoutingTable([{ ranges: [{ base: 300, size: 100 }, { base: 100, size: 200 }, { base: 150, size: 10 }], requesterIds: [] }]);
  for (const a of [100, 299, 300, 399]) assert.is(t.portForAddress(a), 0, `address ${a}`);
  assert.is(t.portForAddress(400), NO_PORT);
  assert.throws(() => new RoutingTable([
    { ranges: [{ base: 0, size: 100 }], requesterIds: [] },
    { ranges: [{ base: 99, size: 1 }], requesterIds: [] },
  ]), /overlap.*port 0.*port 1/);
  assert.throws(() => new RoutingTable([
    { ranges: [{ base: 0, size: 1000 }], requesterIds: [] },
    { ranges: [{ base: 2000, size: 10 }], requesterIds: [] },
    { ranges: [{ base: 10, size: 5 }], requesterIds: [] },
  ]), /overlap/);
  // Adjacent ranges of two ports are fine.
  const adj = new RoutingTable([{ ranges: [{ base: 0, size: 100 }], requesterIds: [] }, { ranges: [{ base: 100, size: 100 }], requesterIds: [] }]);
  assert.equal([99, 100].map((a) => adj.portForAddress(a)), [0, 1]);
  assert.throws(() => new RoutingTable([{ ranges: [], requesterIds: [7] }, { ranges: [], requesterIds: [7] }]), /requester ID 7/);
  assert.throws(() => new RoutingTable([{ ranges: [{ base: 0, size: 0 }], requesterIds: [] }]), RangeError);
  assert.throws(() => new RoutingTable([{ ranges: [{ base: -1, size: 4 }], requesterIds: [] }]), RangeError);
});

test('many ranges given out of order: every address routes to its port (first and last byte), the gaps between to none; requester ID 0 (the host bridge\'s own, 00:00.0) is an ID like any', () => {
  // Four ports, three ranges each, 0x1000 apart with a gap of 0x100 between neighbours, listed in a scrambled order.
  const ranges = Array.from({ length: 12 }, (_, k) => ({ port: (k * 7) % 4, base: 0x10000 + ((k * 5) % 12) * 0x1000, size: 0xf00 }));
  const ports = [0, 1, 2, 3].map((p) => ({ ranges: ranges.filter((r) => r.port === p).map(({ base, size }) => ({ base, size })).reverse(), requesterIds: p === 0 ? [0] : [p * 8] }));
  const t = new RoutingTable(ports);
  for (const r of ranges) {
    assert.is(t.portForAddress(r.base), r.port, `0x${r.base.toString(16)}`);
    assert.is(t.portForAddress(r.base + r.size - 1), r.port);
    assert.is(t.portForAddress(r.base + r.size), NO_PORT, 'the gap after it');
  }
  assert.is(t.portForAddress(0x10000 - 1), NO_PORT);
  assert.is(t.portForRequester(0), 0);
  assert.throws(() => new RoutingTable([{ ranges: [], requesterIds: [-1] }]), /requester ID must be a non-negative integer/);
  assert.throws(() => new RoutingTable([{ ranges: [], requesterIds: [1.5] }]), /requester ID must be a non-negative integer/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLspci } from '../../models/pcie/import/lspci-text.js';
import { buildPciTree, shortBdf, type PortNode, type SwitchNode } from '../../models/pcie/import/pci-tree.js';
import { fixture } from './fixtures.js';

function treeOf(name: Parameters<typeof fixture>[0]) {
  const { file, text } = fixture(name);
  return buildPciTree(parseLspci(file, text));
}

const ports = (ps: PortNode[]) => ps.map((p) => shortBdf(p.fn));

test('one switch: a root complex with one root port, the switch below it with two downstream ports, an endpoint on each', () => {
  const t = treeOf('one-switch');
  assert.is(t.rootComplexes.length, 1);
  const rc = t.rootComplexes[0]!;
  assert.equal([rc.domain, rc.bus, rc.hostBridges.map(shortBdf), ports(rc.rootPorts)], [0, 0, ['00:00.0'], ['00:03.0']]);
  const sw = rc.rootPorts[0]!.below!.node as SwitchNode;
  assert.is(sw.kind, 'switch');
  assert.equal([shortBdf(sw.upstream), ports(sw.downstreamPorts)], ['01:00.0', ['02:08.0', '02:10.0']]);
  assert.equal(sw.downstreamPorts.map((p) => p.below!.node.kind === 'endpoint' && shortBdf(p.below!.node.fn)), ['03:00.0', '04:00.0']);
  assert.equal(rc.rootPorts[0]!.below!.link, { gen: 3, width: 16, capableGen: 3, capableWidth: 16 });
  assert.equal(sw.downstreamPorts[0]!.below!.link, { gen: 3, width: 4, capableGen: 3, capableWidth: 4 }, 'a Gen4 x4 drive behind a Gen3 x16 port: Gen3 x4 is all both can do');
  assert.equal(t.leftOut.map((l) => [shortBdf(l.fn), l.reason]), [['00:00.0', 'integrated in the root complex (no link)']]);
  assert.is(t.hidden.length, 0);
});

test('two sockets: one root complex per root bus with root ports; the uncore bus is left out; a second function folds into the first', () => {
  const t = treeOf('two-sockets');
  assert.equal(t.rootComplexes.map((rc) => [rc.bus, ports(rc.rootPorts)]), [[0x00, ['00:02.0']], [0x80, ['80:02.0', '80:03.0']]]);
  assert.equal(t.rootComplexes[1]!.hostBridges, [], 'no host bridge function on bus 80');
  const nic = t.rootComplexes[0]!.rootPorts[0]!.below!.node;
  assert.equal(nic.kind === 'endpoint' && [shortBdf(nic.fn), nic.folded.map(shortBdf)], ['02:00.0', ['02:00.1']]);
  assert.equal(t.leftOut.map((l) => [shortBdf(l.fn), l.reason]), [
    ['00:00.0', 'integrated in the root complex (no link)'],
    ['7f:08.0', 'integrated in the root complex (a root bus without root ports)'],
  ]);
  assert.equal(t.rootComplexes[0]!.rootPorts[0]!.below!.link, { gen: 3, width: 8, capableGen: 3, capableWidth: 8 }, 'x8 card in an x16 slot: x8 is all both can do');
});

test('access denied: port types inferred from the bus numbers (root port, switch upstream and downstream ports), links unknown', () => {
  const t = treeOf('access-denied');
  assert.is(t.hidden.length, 7);
  const rc = t.rootComplexes[0]!;
  assert.equal(ports(rc.rootPorts), ['00:03.0']);
  const sw = rc.rootPorts[0]!.below!.node as SwitchNode;
  assert.equal([sw.kind, shortBdf(sw.upstream), ports(sw.downstreamPorts)], ['switch', '01:00.0', ['02:08.0', '02:10.0']]);
  assert.equal(rc.rootPorts[0]!.below!.link, { gen: undefined, width: undefined, capableGen: undefined, capableWidth: undefined });
});

test('down-trained: the link keeps LnkSta and the most both ends support', () => {
  const t = treeOf('down-trained');
  const rc = t.rootComplexes[0]!;
  assert.equal(rc.hostBridges.map(shortBdf), ['00:00.0', '00:01.0']);
  assert.equal(rc.rootPorts.map((p) => p.below!.link), [
    { gen: 3, width: 8, capableGen: 4, capableWidth: 16 },
    { gen: 4, width: 4, capableGen: 4, capableWidth: 4 },
  ]);
});

test('conventional PCI is left out (behind a PCIe-to-PCI bridge, or a PCI bridge on the root bus), and so is a switch that leads to nothing else', () => {
  const text = `00:1c.0 PCI bridge: Example Root Port
	Bus: primary=00, secondary=01, subordinate=04, sec-latency=0
	Capabilities: [40] Express (v2) Root Port (Slot+), MSI 00
01:00.0 PCI bridge: Example Switch Upstream
	Bus: primary=01, secondary=02, subordinate=04, sec-latency=0
	Capabilities: [70] Express (v2) Upstream Port, MSI 00
02:00.0 PCI bridge: Example Switch Downstream
	Bus: primary=02, secondary=03, subordinate=04, sec-latency=0
	Capabilities: [70] Express (v2) Downstream Port (Slot-), MSI 00
03:00.0 PCI bridge: Example PCIe-PCI Bridge
	Bus: primary=03, secondary=04, subordinate=04, sec-latency=0
	Capabilities: [70] Express (v2) PCI-Express to PCI/PCI-X Bridge, MSI 00
04:00.0 VGA compatible controller: Example BMC Graphics
	Region 0: Memory at 90000000 (32-bit, prefetchable) [size=16M]
00:1e.0 PCI bridge: Example PCI Bridge (prog-if 01 [Subtractive decode])
	Bus: primary=00, secondary=05, subordinate=05, sec-latency=32
	Capabilities: [50] Subsystem: Example Device 0001
05:01.0 Multimedia audio controller: Example Sound Card
	Region 0: I/O ports at d000 [size=32]
`;
  const t = buildPciTree(parseLspci('bmc.txt', text));
  assert.equal(ports(t.rootComplexes[0]!.rootPorts), ['00:1c.0'], 'a bridge without an Express capability is no root port');
  assert.is(t.rootComplexes[0]!.rootPorts[0]!.below, undefined);
  assert.equal(t.leftOut.map((l) => [shortBdf(l.fn), l.reason]), [
    ['00:1e.0', 'a bridge on a root bus that is not a PCIe root port (conventional PCI)'],
    ['01:00.0', 'a switch port with no PCIe endpoint below the switch'],
    ['02:00.0', 'a switch port with no PCIe endpoint below the switch'],
    ['03:00.0', 'conventional PCI behind a PCIe-to-PCI bridge'],
    ['04:00.0', 'behind 03:00.0: conventional PCI behind a PCIe-to-PCI bridge'],
    ['05:01.0', 'behind 00:1e.0: a bridge on a root bus that is not a PCIe root port (conventional PCI)'],
  ]);
});

test.run();

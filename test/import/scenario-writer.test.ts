import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { UserError } from '../../src/scenario/errors.js';
import { validateScenario } from '../../src/cli/cmd-validate.js';
import { lspciImporter, presetLookup } from '../../models/pcie/import/lspci-importer.js';
import { parseLspci } from '../../models/pcie/import/lspci-text.js';
import { buildPciTree } from '../../models/pcie/import/pci-tree.js';
import { presetRules } from '../../models/pcie/import/preset-rules.js';
import { endpointName, writeScenario } from '../../models/pcie/import/scenario-writer.js';
import { fixture } from './fixtures.js';

const lib = await loadModelLibrary();
const GiB = 1024 ** 3;

type Scenario = { components: any[]; links: any[]; parameters: Record<string, any>; [k: string]: any };

function importText(file: string, text: string, options: Record<string, string> = {}) {
  const r = lspciImporter.run({ file, text, name: 'machine', options }, lib);
  return { ...r, scenario: r.scenario as Scenario };
}
const importFixture = (name: Parameters<typeof fixture>[0], options: Record<string, string> = {}) => {
  const { file, text } = fixture(name);
  return importText(file, text, options);
};
const component = (s: Scenario, name: string) => {
  const c = s.components.find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name} in ${s.components.map((x) => x.name).join(', ')}`);
  return c;
};
const linkTo = (s: Scenario, child: string) => s.links.find((l) => l.b === `${child}.up`);
/** Validates as `pciesim validate` does, every sweep point included; throws on a problem. */
const validate = (s: Scenario, sets: Record<string, string> = {}) => validateScenario(parseScenario('machine.json', JSON.stringify(s)), sets, lib);

function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.instance(e, UserError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

test('one switch: root complex, switch and endpoints with their presets, requester IDs, BARs, MPS/MRRS and links', () => {
  const { scenario: s } = importFixture('one-switch');
  assert.equal(component(s, 'rc-00'), { name: 'rc-00', type: 'pcie.root-complex', preset: 'xeon-e5-v4', params: { rootPorts: 1, mps: 256 } });
  assert.equal(component(s, 'switch-01-00-0'), { name: 'switch-01-00-0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 3, maxPayloadSize: 2048, acsRedirect: true } });
  assert.equal(component(s, 'nvme-03-00-0'), {
    name: 'nvme-03-00-0', type: 'pcie.endpoint', preset: 'generic-endpoint',
    params: { requesterId: (3 << 8) | (0 << 3) | 0, mps: 256, barBase: 0xdf000000, barSize: 32 * 1024 },
    slots: { dma: { params: { mrrs: 512 } } },
  });
  assert.equal(component(s, 'nvidia-04-00-0').preset, 'gpu-like');
  assert.equal(component(s, 'nvidia-04-00-0').params, { requesterId: 4 << 8, mps: 256, barBase: 0x3b800000000, barSize: 16 * GiB }, 'the 16 GiB BAR 1, not the 16 MiB BAR 0');
  assert.equal(component(s, 'nvidia-04-00-0').slots.dma.params.mrrs, 512);
  assert.equal(s.links.map((l) => [l.a, l.b, l.params.gen, l.params.width]), [
    ['rc-00.rp0', 'switch-01-00-0.up', 3, 16],
    ['switch-01-00-0.dp0', 'nvme-03-00-0.up', 3, 4],
    ['switch-01-00-0.dp1', 'nvidia-04-00-0.up', 3, 16],
  ]);
  validate(s);
});

test('one switch: the P2P study goes from the drive to the GPU below the ACS-redirecting switch, or bounces through memory', () => {
  const { scenario: s, summary } = importFixture('one-switch');
  const p2p = component(s, 'p2p');
  assert.equal(p2p.params.routes, { acs: { from: 'nvme-03-00-0', to: 'nvidia-04-00-0' }, bounce: { from: 'nvme-03-00-0', to: 'nvidia-04-00-0' } });
  assert.equal(s.parameters.path.values, ['acs', 'bounce']);
  assert.equal(s.sweep.grid, { path: ['acs', 'bounce'], op: ['read', 'write'] });
  assert.is(p2p.params.bounceBase, lib.presets.get('xeon-e5-v4')!.values['memoryBase']!.value, "host memory is the preset's");
  assert.ok(summary.some((l) => l.includes('nvme-03-00-0 → nvidia-04-00-0')));
});

test('ACS redirect on at some downstream ports of a switch only: the switch is modelled redirecting, and a warning names the ports that have it', () => {
  const { file, text } = fixture('one-switch');
  // The GPU's downstream port (02:10.0, the second ACSCtl of a switch port) with redirect off; the drive's keeps it.
  const lines = text.split('\n');
  const gpuPortAcs = lines.findIndex((l, i) => l.includes('ACSCtl:') && lines.slice(0, i).some((p) => p.startsWith('02:10.0')));
  lines[gpuPortAcs] = lines[gpuPortAcs]!.replace('ReqRedir+ CmpltRedir+', 'ReqRedir- CmpltRedir-');
  const { scenario: s, warnings } = importText(file, lines.join('\n'));
  assert.is(component(s, 'switch-01-00-0').params.acsRedirect, true);
  assert.ok(warnings.some((w) => w.includes('switch-01-00-0: ACS redirect is on at 02:08.0 only; the model has one setting per switch: on')), warnings.join('\n'));
  validate(s);
});

test('no two endpoints below one root complex with a memory BAR at the far end: no P2P study, a warning says what to add', () => {
  const { file, text } = fixture('one-switch');
  // The drive and the GPU without their memory BARs: neither can be a P2P target.
  const { scenario: s, warnings } = importText(file, text.split('\n').filter((l) => !/^\tRegion \d: Memory at/.test(l)).join('\n'));
  assert.not.ok(s.components.some((c) => c.name === 'p2p'), 'no P2P workload');
  assert.ok(warnings.some((w) => w.startsWith('no two endpoints below one root complex, one of them with a memory BAR: the scenario has no P2P study')), warnings.join('\n'));
  validate(s);
});

test('two sockets: a root complex per socket, named by its root bus, presets matched by name; functions of one device fold into one endpoint', () => {
  const { scenario: s, warnings } = importFixture('two-sockets');
  assert.equal(s.components.filter((c) => c.type === 'pcie.root-complex').map((c) => [c.name, c.preset, c.params.rootPorts]), [['rc-00', 'xeon-e5-v4', 1], ['rc-80', 'xeon-e5-v4', 2]]);
  assert.equal(s.components.filter((c) => c.type === 'pcie.endpoint').map((c) => c.name), ['mlx5_core-02-00-0', 'nvidia-81-00-0', 'nvme-82-00-0']);
  assert.equal([linkTo(s, 'nvidia-81-00-0').a, linkTo(s, 'nvme-82-00-0').a], ['rc-80.rp0', 'rc-80.rp1']);
  assert.equal(component(s, 'p2p').params.routes.rootcomplex, { from: 'nvme-82-00-0', to: 'nvidia-81-00-0' }, 'the socket with two endpoints; the largest BAR is the target');
  assert.not.ok(warnings.some((w) => /down-trained|access denied/.test(w)));
  validate(s);
});

test('--p2p names the pair by instance name or BDF; a pair across sockets, an unknown name or a target without BAR is refused', () => {
  const { scenario: s } = importFixture('two-sockets', { p2p: '81:00.0,nvme-82-00-0' });
  assert.equal(component(s, 'p2p').params.routes.rootcomplex, { from: 'nvidia-81-00-0', to: 'nvme-82-00-0' });
  assert.match(userError(() => importFixture('two-sockets', { p2p: 'mlx5_core-02-00-0,nvidia-81-00-0' })), /below rc-00 .* below rc-80: the model has no path between root complexes/);
  assert.match(userError(() => importFixture('two-sockets', { p2p: 'gpu0,nvme-82-00-0' })), /"gpu0" is no endpoint of the imported machine; endpoints: mlx5_core-02-00-0 \(02:00\.0\)/);
  assert.match(userError(() => importFixture('two-sockets', { p2p: 'nvme-82-00-0' })), /expected two endpoints/);
  const noBar = fixture('two-sockets').text.replace('\tRegion 0: Memory at c6010000 (64-bit, non-prefetchable) [size=16K]\n', '');
  assert.match(userError(() => importText('nobar.txt', noBar, { p2p: '81:00.0,82:00.0' })), /nvme-82-00-0, the target, has no memory BAR/);
});

test('access denied: hidden values become estimated parameters (gen, width, mps, mrrs), one warning lists them all', () => {
  const { scenario: s, warnings } = importFixture('access-denied');
  const hidden = presetRules().hidden;
  for (const k of ['gen', 'width', 'mps', 'mrrs'] as const) {
    assert.is(s.parameters[k].default, hidden[k].value);
    assert.match(s.parameters[k].description, /^estimate: /);
  }
  assert.ok(s.links.every((l) => l.params.gen === '$gen' && l.params.width === '$width'));
  assert.is(component(s, 'rc-00').params.mps, '$mps');
  assert.is(component(s, 'rc-00').preset, 'xeon-skylake-sp', 'matched by the host bridge\'s name: "Sky Lake-E DMI3 Registers"');
  assert.equal(component(s, 'switch-01-00-0').params, { ports: 3 }, 'no DevCap, no ACS: the preset\'s values');
  assert.equal(component(s, 'nvidia-03-00-0').slots.dma.params.mrrs, '$mrrs');
  const denied = warnings.filter((w) => w.includes('access denied'));
  assert.is(denied.length, 1);
  for (const what of ['7 functions', 'sudo lspci -vvv', 'link generation', 'link width', 'Max_Payload_Size', 'Max_Read_Request_Size', 'ACS redirect', 'port types']) assert.ok(denied[0]!.includes(what), what);
  validate(s);
  validate(s, { gen: '4', width: '16', mps: '128' });
});

test('a down-trained link is reported with what both ends could do; the link runs at what it trained to', () => {
  const { scenario: s, warnings } = importFixture('down-trained');
  const down = warnings.filter((w) => w.startsWith('down-trained'));
  assert.is(down.length, 1);
  assert.match(down[0]!, /amdgpu-01-00-0 runs at Gen3 x8 where both ends support Gen4 x16/);
  assert.not.match(down[0]!, /nvme/);
  assert.equal(linkTo(s, 'amdgpu-01-00-0').params, { gen: 3, width: 8 });
  assert.equal([component(s, 'rc-00').preset, component(s, 'rc-00').params.mps], ['amd-zen', 512]);
  assert.equal(component(s, 'amdgpu-01-00-0').preset, 'gpu-like');
  validate(s);
});

test('Max_Payload_Size differing below a root complex: the smallest, with a warning; --mps chooses; a switch limits --mps', () => {
  const text = fixture('two-sockets').text;
  const last = text.lastIndexOf('MaxPayload 256 bytes, MaxReadReq 512 bytes');
  const mixed = text.slice(0, last) + 'MaxPayload 128 bytes, MaxReadReq 512 bytes' + text.slice(last + 'MaxPayload 256 bytes, MaxReadReq 512 bytes'.length);
  const a = importText('mixed.txt', mixed);
  assert.equal([component(a.scenario, 'rc-80').params.mps, component(a.scenario, 'nvidia-81-00-0').params.mps, component(a.scenario, 'rc-00').params.mps], [128, 128, 256]);
  assert.ok(a.warnings.some((w) => w.startsWith('rc-80: Max_Payload_Size differs below it (128 B at 82:00.0; 256 B at 80:02.0, 81:00.0, 80:03.0)')));
  const b = importText('mixed.txt', mixed, { mps: '256' });
  assert.equal([component(b.scenario, 'rc-80').params.mps, component(b.scenario, 'nvme-82-00-0').params.mps], [256, 256]);
  validate(b.scenario);
  assert.match(userError(() => importFixture('one-switch', { mps: '4096' })), /--mps 4096: switch switch-01-00-0 .* supports at most 2048 bytes/);
  assert.match(userError(() => importFixture('one-switch', { mps: '300' })), /--mps 300: expected one of 128, 256/);
});

test("a BAR inside the preset's host memory window moves host memory past it", () => {
  const text = fixture('two-sockets').text.replace('Memory at c6010000 (64-bit, non-prefetchable) [size=16K]', 'Memory at 400000000 (64-bit, non-prefetchable) [size=16K]');
  const { scenario: s, warnings } = importText('low-bar.txt', text);
  // The BAR at 16 GiB lies in [4 GiB, 68 GiB); the next GiB boundary past it is 17 GiB.
  assert.is(component(s, 'rc-80').params.memoryBase, 17 * GiB);
  assert.is(component(s, 'p2p').params.bounceBase, 17 * GiB);
  assert.is(component(s, 'rc-00').params.memoryBase, undefined, 'the other socket keeps the preset\'s window');
  assert.ok(warnings.some((w) => w.startsWith('rc-80: a BAR lies in preset xeon-e5-v4\'s host memory')));
  validate(s);
});

test('presets: a calibrated one where the library has it, else the generic one with a warning; an unknown platform gets generic-chipset', () => {
  const { text } = fixture('one-switch');
  const nfp = text.replace('Samsung Electronics Co Ltd NVMe SSD Controller PM173X [144d:a824]', 'Netronome Systems, Inc. Device [19ee:6000]');
  const tree = buildPciTree(parseLspci('nfp.txt', nfp));
  const base = presetLookup(lib.presets);
  const write = (has: (n: string) => boolean) => writeScenario(tree, { name: 'm', source: 'nfp.txt', rules: presetRules(), presets: { ...base, has } });
  const withPreset = write((n) => n === 'nfp6000' || base.has(n));
  assert.is((withPreset.scenario.components as any[]).find((c) => c.name === 'nvme-03-00-0').preset, 'nfp6000');
  assert.not.ok(withPreset.warnings.some((w) => w.includes('nvme-03-00-0')));
  const without = write((n) => n !== 'nfp6000' && base.has(n));
  assert.is((without.scenario.components as any[]).find((c) => c.name === 'nvme-03-00-0').preset, 'generic-endpoint');
  assert.ok(without.warnings[0]!.includes('nvme-03-00-0: 03:00.0 "Netronome Systems, Inc. Device" [19ee:6000] is Netronome NFP-6000, but there is no preset "nfp6000" yet: generic-endpoint used'));

  const unknown = fixture('down-trained').text.replace('Starship/Matisse Root Complex [1022:1480]', 'Future Root Complex [1022:9999]');
  const u = importText('future.txt', unknown);
  assert.is(component(u.scenario, 'rc-00').preset, 'generic-chipset');
  assert.ok(u.warnings[0]!.includes('rc-00: 00:00.0 "Advanced Micro Devices, Inc. [AMD] Future Root Complex" [1022:9999] is not in pciesim\'s table'));
});

test('endpoint names: driver, else slot, else class; then the BDF, with the domain outside domain 0', () => {
  const [f] = parseLspci('x.txt', fixture('one-switch').text).filter((x) => x.bdf === '0000:03:00.0');
  assert.is(endpointName(f!), 'nvme-03-00-0');
  assert.is(endpointName({ ...f!, driver: undefined }), 'slot5-03-00-0');
  assert.is(endpointName({ ...f!, driver: undefined, slot: undefined }), 'non-volatile-memory-03-00-0');
  assert.is(endpointName({ ...f!, driver: 'nfp-pciebench', address: { ...f!.address, domain: 0x10000 } }), 'nfp-pciebench-10000-03-00-0');
});

test('a machine without root ports (a flat virtual machine bus) is refused: nothing to simulate', () => {
  const flat = '00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] (rev 02)\n\tControl: I/O- Mem-\n00:03.0 Ethernet controller: Red Hat, Inc. Virtio network device\n\tRegion 0: Memory at febf0000 (32-bit, non-prefetchable) [size=4K]\n';
  assert.match(userError(() => importText('vm.txt', flat)), /vm\.txt: no PCIe root port found/);
});

test('the same input gives the same scenario, byte for byte', () => {
  assert.is(JSON.stringify(importFixture('one-switch').scenario), JSON.stringify(importFixture('one-switch').scenario));
});

test('the description: what the machine is on its first line, then one line per root complex and endpoint, the study last', () => {
  const { scenario: s } = importFixture('two-sockets');
  const lines = (s.description as string).split('\n');
  assert.match(lines[0]!, /^This machine as lspci saw it/);
  assert.ok(lines.some((l) => l.startsWith('rc-00: root bus 0000:00')) && lines.some((l) => l.startsWith('rc-80: root bus 0000:80')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('nvme-82-00-0 = 82:00.0')));
  assert.match(lines.at(-1)!, /^P2P study: /);
});

test.run();

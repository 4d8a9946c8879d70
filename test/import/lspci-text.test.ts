import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLspci, type PciFunction } from '../../models/pcie/import/lspci-text.js';
import { UserError } from '../../src/scenario/errors.js';
import { fixture } from './fixtures.js';

const GiB = 1024 ** 3, MiB = 1024 ** 2, KiB = 1024;

function byBdf(fns: PciFunction[], bdf: string): PciFunction {
  const f = fns.find((x) => x.bdf === bdf);
  if (!f) throw new Error(`no ${bdf}`);
  return f;
}

test('a function header gives address, class, names and -nn IDs; revision and prog-if are dropped', () => {
  const { file, text } = fixture('one-switch');
  const fns = parseLspci(file, text);
  assert.equal(fns.map((f) => f.bdf), ['0000:00:00.0', '0000:00:03.0', '0000:01:00.0', '0000:02:08.0', '0000:02:10.0', '0000:03:00.0', '0000:04:00.0']);
  const gpu = byBdf(fns, '0000:04:00.0');
  assert.equal([gpu.className, gpu.classCode, gpu.vendorId, gpu.deviceId], ['3D controller', '0302', '10de', '1db4']);
  assert.is(gpu.description, 'NVIDIA Corporation GV100GL [Tesla V100 PCIe 16GB]');
  const nvme = byBdf(fns, '0000:03:00.0');
  assert.is(nvme.description, 'Samsung Electronics Co Ltd NVMe SSD Controller PM173X', '(prog-if 02 [NVM Express]) removed');
  assert.equal([nvme.driver, nvme.slot, nvme.line], ['nvme', '5', 68]);
});

test('BARs: size with its suffix, 64-bit, prefetchable; I/O ports; the expansion ROM is not a BAR', () => {
  const { file, text } = fixture('down-trained');
  const gpu = byBdf(parseLspci(file, text), '0000:01:00.0');
  assert.equal(gpu.bars.map((b) => [b.index, b.kind, b.base, b.size, b.is64bit, b.prefetchable]), [
    [0, 'memory', 0x7800000000, 16 * GiB, true, true],
    [2, 'memory', 0x7c00000000, 256 * MiB, true, true],
    [4, 'io', 0xe000, 256, false, false],
    [5, 'memory', 0xfcc00000, 1 * MiB, false, false],
  ]);
  const nvme = byBdf(parseLspci(...Object.values(fixture('one-switch')) as [string, string]), '0000:03:00.0');
  assert.equal(nvme.bars.map((b) => [b.index, b.size]), [[0, 32 * KiB]], 'Expansion ROM at ... [size=64K] left out');
});

test('the Express capability: port type, DevCap and DevCtl payload sizes, LnkCap and LnkSta as generation and width', () => {
  const { file, text } = fixture('one-switch');
  const fns = parseLspci(file, text);
  assert.equal(byBdf(fns, '0000:00:03.0').express, {
    portType: 'root-port', mpsSupported: 256, mps: 256, mrrs: 128,
    linkCapability: { gen: 3, width: 16 }, linkStatus: { gen: 3, width: 16 },
  });
  assert.is(byBdf(fns, '0000:01:00.0').express!.portType, 'upstream-port');
  assert.is(byBdf(fns, '0000:01:00.0').express!.mpsSupported, 2048);
  const dp = byBdf(fns, '0000:02:08.0');
  assert.equal([dp.express!.portType, dp.express!.linkStatus], ['downstream-port', { gen: 3, width: 4 }], '"Width x4 (downgraded)"');
  const nvme = byBdf(fns, '0000:03:00.0').express!;
  assert.equal([nvme.portType, nvme.mps, nvme.mrrs, nvme.linkCapability, nvme.linkStatus], ['endpoint', 256, 512, { gen: 4, width: 4 }, { gen: 3, width: 4 }]);
  assert.equal(byBdf(fns, '0000:00:00.0').express!.linkStatus, { gen: undefined, width: 0 }, '"Speed unknown, Width x0"');
});

test('older lspci (DevCtl: Report errors ...) and a Legacy Endpoint read the same way', () => {
  const fns = parseLspci(...Object.values(fixture('two-sockets')) as [string, string]);
  assert.equal(byBdf(fns, '0000:02:00.0').express!.mrrs, 4096);
  assert.equal(byBdf(fns, '0000:80:03.0').express!.linkStatus, { gen: 3, width: 4 });
  const amd = parseLspci(...Object.values(fixture('down-trained')) as [string, string]);
  assert.equal(byBdf(amd, '0000:01:00.0').express!.portType, 'legacy-endpoint');
});

test('ACS: the control bits of the ACS capability', () => {
  const fns = parseLspci(...Object.values(fixture('one-switch')) as [string, string]);
  assert.equal(byBdf(fns, '0000:02:08.0').acs, { requestRedirect: true, completionRedirect: true, egressControl: false });
  assert.equal(byBdf(fns, '0000:00:03.0').acs, { requestRedirect: false, completionRedirect: false, egressControl: false });
  assert.is(byBdf(fns, '0000:03:00.0').acs, undefined);
});

test('bus numbers of a bridge; none for an endpoint', () => {
  const fns = parseLspci(...Object.values(fixture('one-switch')) as [string, string]);
  assert.equal(byBdf(fns, '0000:00:03.0').busRange, { primary: 0, secondary: 1, subordinate: 4 });
  assert.is(byBdf(fns, '0000:04:00.0').busRange, undefined);
});

test('without root: capabilities hidden, header values (bus numbers, BARs, driver) still read', () => {
  const fns = parseLspci(...Object.values(fixture('access-denied')) as [string, string]);
  assert.ok(fns.every((f) => f.capabilitiesHidden));
  assert.ok(fns.every((f) => f.express === undefined && f.acs === undefined));
  const gpu = byBdf(fns, '0000:03:00.0');
  assert.equal([gpu.driver, gpu.bars.length, gpu.bars[1]!.size], ['nvidia', 2, 16 * GiB]);
  assert.equal(byBdf(fns, '0000:01:00.0').busRange, { primary: 1, secondary: 2, subordinate: 4 });
});

test('a domain in the address (-D, or a second PCI segment); tabs turned into spaces read the same', () => {
  const { file, text } = fixture('two-sockets');
  const withDomain = text.replace(/^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7] )/gm, '0001:$1');
  const fns = parseLspci(file, withDomain);
  assert.ok(fns.every((f) => f.address.domain === 1 && f.bdf.startsWith('0001:')));
  const spaced = parseLspci(file, text.replace(/\t/g, '    '));
  const tabbed = parseLspci(file, text);
  assert.equal(spaced.map((f) => [f.bdf, f.express, f.bars, f.busRange]), tabbed.map((f) => [f.bdf, f.express, f.bars, f.busRange]));
});

function refusal(file: string, text: string): string {
  try {
    parseLspci(file, text);
  } catch (e) {
    assert.instance(e, UserError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

test('text that is not lspci -vvv output is refused with a message naming the file', () => {
  const { file, text } = fixture('not-lspci');
  assert.match(refusal(file, text), /not-lspci\.txt: not the output of lspci -vvv: no line like/);
  assert.match(refusal('empty.txt', ''), /^empty\.txt: not the output of lspci -vvv/);
  assert.match(refusal('x.bin', 'ELF\u0000\u0001'), /x\.bin: .*binary file/);
  assert.match(refusal('tree.txt', '-[0000:00]-+-00.0  Intel Corporation Host bridge\n           +-01.0-[01]----00.0  NVIDIA Corporation\n'), /tree\.txt: .*lspci -t.*sudo lspci -vvv/);
  const headersOnly = fixture('two-sockets').text.split('\n').filter((l) => /^\S/.test(l)).join('\n');
  assert.match(refusal('short.txt', headersOnly), /short\.txt: .*none of the details lspci -vvv prints/);
});

test.run();

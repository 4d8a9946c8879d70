/**
 * pcie-bench's host folders: what a folder's name says (processor, machine,
 * sockets, IOMMU pages), the platform preset it names, which hosts the
 * presets were fitted on and which a folder beside them predicts, and the
 * NFP's MPS read off a host's lspci. validate:hw runs a host it was not
 * fitted on, from generated measurements, in its own table.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CALIBRATION_HOSTS, nfpMaxPayload, overSmallWindow, parseHostName, platformOf, presentHosts } from '../../src/calibrate/hosts.js';
import type { Curve } from '../../src/calibrate/curves.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { readScenario } from '../../src/scenario/loader.js';
import { scenarioPath } from '../../src/cli/context.js';
import { assertSameFiles, ROOT, tempDir } from '../helpers.js';

const P = 'nfp6000-1.2GHz_';

test('a folder name read: processor, machine (after "_" or "-"), the sockets of device, buffer and driver, and the IOMMU pages', () => {
  assert.equal(parseHostName(`${P}hsw-Xeon-E5-2637v3_supermicro`), { uarch: 'hsw', cpu: 'E5-2637v3', machine: 'supermicro', sockets: null, pageSize: null });
  assert.equal(parseHostName(`${P}bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s1-iommu-nosp`), { uarch: 'bdw', cpu: 'E5-2630v4', machine: 'dell-t430', sockets: [0, 1, 1], pageSize: '4k' });
  assert.equal(parseHostName(`${P}snb-Xeon-E5-2630_dell-t620-iommu`), { uarch: 'snb', cpu: 'E5-2630', machine: 'dell-t620', sockets: null, pageSize: '2m' });
  assert.is(parseHostName('README.md'), null);
  assert.is(parseHostName(`${P}hsw-Opteron-6376_x`), null);
  assert.is(parseHostName(`nfp4000-1.2GHz_hsw-Xeon-E5-2637v3_supermicro`), null);
});

test('the platform a host names: the processor, then where the buffer is (nothing, -remote, or the sockets), then the IOMMU', () => {
  const platform = (name: string) => platformOf(parseHostName(P + name)!);
  assert.is(platform('ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0'), 'nfp6000-xeon-e5-2620v2');
  assert.is(platform('ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1-iommu'), 'nfp6000-xeon-e5-2620v2-remote-iommu');
  assert.is(platform('ib-Xeon-E5-2620v2_dell-t620-s1-s0-s0'), 'nfp6000-xeon-e5-2620v2-remote', 'the device on the second socket, buffer and driver on the first');
  assert.is(platform('bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s1'), 'nfp6000-xeon-e5-2630v4-s0-s0-s1');
  assert.is(platform('bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s0-iommu-nosp'), 'nfp6000-xeon-e5-2630v4-s0-s1-s0-iommu-nosp');
  assert.is(platform('hsw-Xeon-E3-1226v3_fujitsu-tx1310'), 'nfp6000-xeon-e3-1226v3');
});

test('every calibration host names a platform preset the pcie-bench scenarios take, once each, with its IOMMU pages', async () => {
  const lib = await loadModelLibrary();
  const platforms = ['dma-bandwidth', 'iommu-window'].map((s) => readScenario(scenarioPath(s)).body.parameters.platform!.values!);
  assert.is(CALIBRATION_HOSTS.length, 18);
  assert.is(new Set(CALIBRATION_HOSTS.map((h) => h.platform)).size, 18);
  for (const h of CALIBRATION_HOSTS) {
    assert.ok(lib.presets.get(h.platform), h.platform);
    for (const values of platforms) assert.ok(values.includes(h.platform), `${h.platform} in the scenarios' platforms`);
    const iommu = lib.presets.get(h.platform)!.slots.iommu;
    assert.is(iommu?.enabled === true ? iommu.params?.identityMap : null, h.pageSize, h.platform);
  }
});

test('the Xeon E5-2620 v3, held back: a platform for every placement and IOMMU the calibration hosts were measured in, each the fitted Haswell-EP host\'s where nothing else is said', async () => {
  const lib = await loadModelLibrary();
  const platforms = readScenario(scenarioPath('iommu-window')).body.parameters.platform!.values!;
  for (const placement of ['', '-remote', '-s0-s0-s1', '-s0-s1-s0']) {
    for (const iommu of placement === '' || placement === '-remote' ? ['', '-iommu', '-iommu-nosp'] : ['']) {
      const p = lib.presets.get(`nfp6000-xeon-e5-2620v3${placement}${iommu}`);
      assert.ok(p, `${placement}${iommu}`);
      assert.ok(platforms.includes(p!.name));
      assert.ok(p!.chain.includes('nfp6000-xeon-e5-2637v3'), p!.name);
      assert.match(p!.description, /^Predicted, not fitted/);
    }
  }
  const local = lib.presets.get('nfp6000-xeon-e5-2620v3')!, fitted = lib.presets.get('nfp6000-xeon-e5-2637v3')!;
  assert.equal(Object.fromEntries(Object.entries(local.values).map(([k, v]) => [k, v.value])), Object.fromEntries(Object.entries(fitted.values).map(([k, v]) => [k, v.value])));
  assert.equal(local.slots, fitted.slots);
  assert.is(lib.presets.get('nfp6000-xeon-e5-2620v3-remote')!.slots.memory!.params!.socket, 'remote');
});

/** A generated lspci -vvv: a bridge, then the NFP with its capabilities (MaxPayload 512) and control (`mps`), then another device. */
function lspci(mps: number): string {
  return [
    '00:02.0 PCI bridge: Intel Corporation Xeon E5/Core i7 IIO PCI Express Root Port 2a (rev 07)',
    '\t\tDevCtl:\tReport errors: Correctable- Non-Fatal- Fatal- Unsupported-',
    '\t\t\tMaxPayload 256 bytes, MaxReadReq 128 bytes',
    '03:00.0 Ethernet controller: Netronome Systems, Inc. Device 6000',
    '\tCapabilities: [80] Express (v2) Endpoint, MSI 00',
    '\t\tDevCap:\tMaxPayload 512 bytes, PhantFunc 0, Latency L0s <1us, L1 <1us',
    '\t\tDevCtl:\tReport errors: Correctable+ Non-Fatal+ Fatal+ Unsupported-',
    `\t\t\tMaxPayload ${mps} bytes, MaxReadReq 512 bytes`,
    '04:00.0 VGA compatible controller: Matrox Electronics Systems Ltd. G200eR2',
    '\t\t\tMaxPayload 128 bytes, MaxReadReq 4096 bytes',
    '',
  ].join('\n');
}

test("the Xeon E3's two runs, which differ only in the IOMMU, measure alike every curve over pcie-bench's 8 KiB window, and no window sweep", () => {
  const curve = (windows: (number | undefined)[]): Curve => ({
    name: 'c', title: 'c', scenario: 's', metric: 'm', scale: 1, unit: '', xLabel: 'x',
    points: windows.map((window, x) => ({ x, measured: 1, origin: 'o', params: window === undefined ? {} : { window } as Record<string, number> })),
  });
  assert.ok(overSmallWindow(curve([8192, 8192])), 'by size or offset: every point over 8 KiB');
  assert.not.ok(overSmallWindow(curve([4096, 8192, 262144])), 'a window sweep reaches past it');
  assert.not.ok(overSmallWindow(curve([8192, undefined])), 'a point with no window is not known to be alike');
  assert.not.ok(overSmallWindow(curve([])), 'nor a curve with no points');
  const e3 = CALIBRATION_HOSTS.filter((h) => h.folder.includes('E3-1226v3'));
  assert.is(e3.length, 2);
  for (const h of e3) assert.is(h.sameMachine?.alike, overSmallWindow, h.folder);
});

test('the NFP\'s MPS off a host\'s lspci: its Device Control, not its capabilities nor another device\'s; null without the file or the device', () => {
  const dir = tempDir('pciesim-lspci-');
  fs.writeFileSync(path.join(dir, 'sys-lspci.txt'), lspci(128));
  assert.is(nfpMaxPayload(dir), 128);
  fs.writeFileSync(path.join(dir, 'sys-lspci.txt'), lspci(256));
  assert.is(nfpMaxPayload(dir), 256);
  fs.writeFileSync(path.join(dir, 'sys-lspci.txt'), lspci(128).replace('Netronome Systems, Inc.', 'Intel Corporation'));
  assert.is(nfpMaxPayload(dir), null);
  assert.is(nfpMaxPayload(path.join(dir, 'absent')), null);
});

/** A host folder with generated measurements: two DMA read sizes of bw_dma_sz_sweep.csv, and its lspci. */
function hostFolder(dir: string, name: string, mps = 256): void {
  const f = path.join(dir, name);
  fs.mkdirSync(f);
  fs.writeFileSync(path.join(f, 'bw_dma_sz_sweep.csv'), [
    'Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s',
    'BW_DMA_RD,Rand,HWarm,0,0,8192,64,0,0,0,0,28.0,0',
    'BW_DMA_RD,Rand,HWarm,0,0,8192,512,0,0,0,0,50.0,0',
  ].join('\n') + '\n');
  fs.writeFileSync(path.join(f, 'sys-lspci.txt'), lspci(mps));
}

/** Runs validate:hw as `npm run validate:hw` does, on the pcie-bench folders in `bench`. */
function validateHw(bench: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'calibrate', 'validate-hw.js'), ...args], { encoding: 'utf8', env: { ...process.env, PCIESIM_PCIE_BENCH: bench } });
}

test('the hosts present: calibration hosts first, then every other pcie-bench folder, by name, predicted, with its own MPS and a Xeon E3\'s repeats', () => {
  const dir = tempDir('pciesim-hosts-');
  hostFolder(dir, `${P}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0`);
  hostFolder(dir, `${P}hsw-Xeon-E5-2620v3_lab-s0-s1-s1-iommu-nosp`);
  hostFolder(dir, `${P}hsw-Xeon-E3-1240v3_desk`, 128);
  fs.mkdirSync(path.join(dir, 'notes'));
  fs.writeFileSync(path.join(dir, `${P}hsw-Xeon-E5-2699v3_file`), '');
  const hosts = presentHosts(dir);
  assert.equal(hosts.map((h) => [h.folder, h.platform, h.predicted]), [
    [`${P}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0`, 'nfp6000-xeon-e5-2620v2', false],
    [`${P}hsw-Xeon-E3-1240v3_desk`, 'nfp6000-xeon-e3-1240v3', true],
    [`${P}hsw-Xeon-E5-2620v3_lab-s0-s1-s1-iommu-nosp`, 'nfp6000-xeon-e5-2620v3-remote-iommu-nosp', true],
  ]);
  assert.equal(hosts[1]!.params, { mps: 128 });
  assert.equal(hosts[1]!.repeats, { cacheStates: true });
  assert.equal(hosts[2]!.params, { mps: 256 }, 'its lspci\'s MPS, whatever it is');
  assert.is(hosts[2]!.repeats, undefined);
  assert.is(hosts[2]!.pageSize, '4k');
  assert.equal(presentHosts(dir, 'E5-2620').map((h) => h.platform), ['nfp6000-xeon-e5-2620v2', 'nfp6000-xeon-e5-2620v3-remote-iommu-nosp']);
  assert.equal(presentHosts(path.join(dir, 'absent')), []);
});

test('validate:hw: a host the presets were not fitted on runs on the platform its name gives, in a table of its own; one with no such platform, or without measurements, is named and skipped', () => {
  const dir = tempDir('pciesim-hosts-'), out = tempDir('pciesim-hw-');
  hostFolder(dir, `${P}hsw-Xeon-E5-2620v3_lab`);
  hostFolder(dir, `${P}hsw-Xeon-E5-2699v3_lab`);
  fs.mkdirSync(path.join(dir, `${P}hsw-Xeon-E5-2620v3_empty`));
  const r = validateHw(dir, '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, `${P}hsw-Xeon-E5-2699v3_lab: no platform preset nfp6000-xeon-e5-2699v3 among the scenarios' platforms: skipped`);
  assert.match(r.stdout, `${P}hsw-Xeon-E5-2620v3_empty: no bw_dma_sz_sweep.csv: not a pcie-bench host folder: skipped`);
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(readme, 'Hosts the presets were not fitted on');
  const row = readme.split('\n').find((l) => l.startsWith(`| nfp6000-xeon-e5-2620v3 (${P}hsw-Xeon-E5-2620v3_lab) |`));
  assert.ok(row, readme.slice(0, 800));
  assert.match(row!, /\| \d+\.\d% \| \d+\.\d% \|$/, 'bw_rd and the mean');
  assert.ok(fs.existsSync(path.join(out, `${P}hsw-Xeon-E5-2620v3_lab-bw_rd.svg`)));
  assert.not.match(readme, 'E5-2699v3');
});

test('validate:hw points.csv: a row a point, placed by curve, series and x, its error what its measured and simulated values give', () => {
  const dir = tempDir('pciesim-hosts-'), out = tempDir('pciesim-hw-');
  const host = `${P}hsw-Xeon-E5-2620v3_lab`;
  hostFolder(dir, host);
  // Reads by host offset: two transfer sizes at the same offsets, so only the series tells their points apart.
  fs.writeFileSync(path.join(dir, host, 'bw_dma_off_rd.csv'), [
    'Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s',
    ...[[64, 0, 30.0], [64, 8, 26.0], [128, 0, 43.0], [128, 8, 33.0]].map(([size, ho, bw]) => `BW_DMA_RD,Seq,HWarm,${ho},0,8192,${size},0,0,0,0,${bw},0`),
  ].join('\n') + '\n');
  const r = validateHw(dir, '--out', out);
  assert.is(r.status, 0, r.stderr);
  const [header, ...rows] = fs.readFileSync(path.join(out, 'points.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  assert.equal(header, ['platform', 'host', 'curve', 'series', 'x', 'unit', 'measured', 'repeats', 'simulated', 'error_pct']);
  for (const row of rows) {
    assert.equal(row.slice(0, 2), ['nfp6000-xeon-e5-2620v3', host], row.join(','));
    const [measured, simulated, error] = [row[6], row[8], row[9]].map(Number) as [number, number, number];
    assert.ok(simulated > 0 && Math.abs((100 * (simulated - measured)) / measured - error) < 0.01, row.join(','));
  }
  const of = (curve: string) => rows.filter((row) => row[2] === curve).map((row) => [row[3], row[4], row[6]]);
  assert.equal(of('bw_rd'), [['', '64', '28'], ['', '512', '50']], 'a curve of one line: no series');
  assert.equal(of('ho_rd').sort(), [['128', '0', '43'], ['128', '8', '33'], ['64', '0', '30'], ['64', '8', '26']], 'the offset curve\'s points, one per transfer size and offset');
  // The host's section opens with the points missed by most: every point here (fewer than the table's twelve), largest |error| first.
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('points the simulation misses by most:'));
  const listed = table.split('\n').slice(4, 4 + rows.length).map((l) => l.split('|').map((c) => c.trim()));
  assert.is(listed.length, rows.length, table.slice(0, 600));
  const errors = listed.map((c) => Math.abs(Number(c[7]!.replace('%', ''))));
  assert.ok(errors.every((e, k) => k === 0 || e <= errors[k - 1]!), errors.join(' '));
  const largest = Math.max(...rows.map((row) => Math.abs(Number(row[9]))));
  assert.ok(Math.abs(errors[0]! - largest) < 0.06, `${errors[0]} against ${largest}`);
  // --curve: those curves only, each point as in the whole run; a name no host's curve has is told with those there are.
  const only = tempDir('pciesim-hw-');
  const one = validateHw(dir, '--out', only, '--curve', 'ho_rd');
  assert.is(one.status, 0, one.stderr);
  const all = fs.readFileSync(path.join(out, 'points.csv'), 'utf8').trim().split('\n');
  assert.equal(fs.readFileSync(path.join(only, 'points.csv'), 'utf8').trim().split('\n'), all.filter((l, k) => k === 0 || l.split(',')[2] === 'ho_rd'));
  const unknown = validateHw(dir, '--out', tempDir('pciesim-hw-'), '--curve', 'ho_rd,lat_rd');
  assert.is(unknown.status, 2, unknown.stderr);
  assert.match(unknown.stderr, /^validate:hw: --curve ho_rd,lat_rd: no curve lat_rd \(the hosts' curves: bw_rd, ho_rd, [a-z_, ]+\)\n$/);
});

test('validate:hw --jobs: the same files from one thread as from several; a mistake in the options is one line, exit code 2', () => {
  const dir = tempDir('pciesim-hosts-');
  hostFolder(dir, `${P}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0`);
  hostFolder(dir, `${P}hsw-Xeon-E5-2620v3_lab`);
  const run = (...args: string[]) => validateHw(dir, ...args);
  const outs = ['1', '3'].map((jobs) => {
    const out = tempDir('pciesim-hw-');
    const r = run('--jobs', jobs, '--out', out);
    assert.is(r.status, 0, r.stderr);
    return out;
  });
  const files = assertSameFiles(outs[0]!, outs[1]!);
  assert.ok(files.includes('points.csv') && files.includes('README.md'), files.join(' '));
  for (const [args, says] of [[['--jobs', '0'], '--jobs 0: expected a whole number'], [['--bogus'], "Unknown option '--bogus'"]] as const) {
    const r = run(...args);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, `validate:hw: ${says}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const help = run('--help');
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: npm run validate:hw -- \[--host SUBSTRING\] \[--curve NAME\[,NAME\.\.\.\]\] \[--out DIR\] \[--jobs N\] \[--compare DIR\]/);
  // A point the model refuses (a transfer larger than its window), on whichever thread it runs: its file and line, the same either way.
  fs.appendFileSync(path.join(dir, `${P}hsw-Xeon-E5-2620v3_lab`, 'bw_dma_sz_sweep.csv'), 'BW_DMA_RD,Rand,HWarm,0,0,8192,16384,0,0,0,0,50.0,0\n');
  const refused = ['1', '3'].map((jobs) => run('--jobs', jobs, '--out', tempDir('pciesim-hw-')));
  const told = refused.map((r) => {
    assert.is(r.status, 2, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack');
    return r.stderr.slice(r.stderr.indexOf('validate:hw: /'));
  });
  assert.match(told[0]!, /^validate:hw: .*bw_dma_sz_sweep\.csv: line 4: .*must fit in the window/);
  assert.is(told[1], told[0]);
});

test('validate:hw --compare: what moved since an earlier run, read from its folder though this run writes there; comparison.md only beside the run that made one', () => {
  const dir = tempDir('pciesim-hosts-'), out = tempDir('pciesim-hw-');
  const host = `${P}hsw-Xeon-E5-2620v3_lab`;
  hostFolder(dir, host);
  const run = (o: string, ...args: string[]) => validateHw(dir, '--out', o, ...args);
  /** The host's bw_rd error as the README's table shows it. */
  const shown = () => fs.readFileSync(path.join(out, 'README.md'), 'utf8').split('\n').find((l) => l.startsWith(`| nfp6000-xeon-e5-2620v3 (${host}) |`))!.split('|')[2]!.trim();
  assert.is(run(out).status, 0);
  const before = shown();
  // The host's 512-byte reads measured slower: the same simulation misses them by more.
  const sweep = path.join(dir, host, 'bw_dma_sz_sweep.csv');
  fs.writeFileSync(sweep, fs.readFileSync(sweep, 'utf8').replace(',512,0,0,0,0,50.0,', ',512,0,0,0,0,40.0,'));
  const r = run(out, '--compare', out);
  assert.is(r.status, 0, r.stderr);
  const after = shown();
  assert.is.not(after, before);
  const moved = `| nfp6000-xeon-e5-2620v3 | bw_rd | ${before} | ${after} |`;
  assert.match(r.stdout, moved);
  assert.match(r.stdout, /\| nfp6000-xeon-e5-2620v3 \| bw_rd \| — \| 512 \| 40 Gb\/s \| [+-]\d+\.\d% \| [+-]\d+\.\d% \|/, 'the point that moved');
  assert.match(fs.readFileSync(path.join(out, 'comparison.md'), 'utf8'), moved);
  // The earlier run's points.csv named itself does as well as its folder.
  const copy = path.join(tempDir('pciesim-hw-'), 'earlier.csv');
  fs.copyFileSync(path.join(out, 'points.csv'), copy);
  const byFile = run(tempDir('pciesim-hw-'), '--compare', copy);
  assert.is(byFile.status, 0, byFile.stderr);
  assert.match(byFile.stdout, `Against ${copy} (1 host in both runs):`);
  assert.match(byFile.stdout, "No host's curve moved (to 0.1%; 1 compared).");
  assert.is(run(out).status, 0);
  assert.not.ok(fs.existsSync(path.join(out, 'comparison.md')), 'no comparison left from the run before');
  const empty = tempDir('pciesim-hw-'), fresh = tempDir('pciesim-hw-');
  const bad = run(fresh, '--compare', empty);
  assert.is(bad.status, 2, bad.stderr);
  assert.is(bad.stderr, `validate:hw: --compare ${empty}: no points.csv in it (expected a folder validate:hw wrote)\n`);
  assert.equal(fs.readdirSync(fresh), [], 'nothing written');
});

test('validate:hw --host: a host no folder holds is named, with how many folders there are; with none at all, where it looked', () => {
  const dir = tempDir('pciesim-hosts-'), out = tempDir('pciesim-hw-');
  hostFolder(dir, `${P}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0`);
  const run = (bench: string) => validateHw(bench, '--host', 'E5-2620v3', '--out', out);
  const held = run(dir);
  assert.is(held.status, 0, held.stderr);
  assert.match(held.stdout, /the one host folder in .* does not contain "E5-2620v3": skipped/);
  const none = run(path.join(dir, 'absent'));
  assert.is(none.status, 0, none.stderr);
  assert.match(none.stdout, 'no pcie-bench measurements found');
  assert.equal(fs.readdirSync(out), [], 'nothing written');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliInProcess, metricsOf, runJsonInProcess, tempDir } from '../helpers.js';
import { fixture } from '../import/fixtures.js';

/** `pciesim import lspci` of a fixture: through the real command line, or with `inProcess` its function in this process. */
async function importTo(name: Parameters<typeof fixture>[0], how: 'real' | 'inProcess' = 'real') {
  const out = path.join(tempDir(), 'my-machine.json');
  const args = ['import', 'lspci', fixture(name).file, '--out', out];
  return { out, r: how === 'real' ? cli(args) : await cliInProcess(args) };
}

test('import lspci writes a scenario that validates and runs: a P2P transfer between two of the machine\'s endpoints', async () => {
  const { out, r } = await importTo('one-switch');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'nvme-03-00-0 = 03:00.0');
  assert.match(r.stdout, `wrote ${out}`);
  assert.match(r.stderr, /^warning: presets standing in/m);
  const s = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(s.name, 'my-machine', 'named after the --out file');
  assert.equal(fs.readdirSync(path.dirname(out)), ['my-machine.json'], 'no temporary file left');
  const v = await cliInProcess(['validate', out]);
  assert.is(v.code, 0, v.stderr);
  const m = metricsOf(await runJsonInProcess(out));
  assert.is(m['p2p.transfers_done'], 100);
  assert.is(m['p2p.transfers_failed'], 0);
  // Below a switch with ACS redirect on, on a host bridge Linux does not whitelist (drivers/pci/p2pdma.c).
  assert.is(m['p2p.linux_p2p_class'], 'not-supported');
  assert.ok(m['nvme-03-00-0-link.up_tlps'] > 0, 'the drive pushes its writes up its own link');
  assert.ok(m['switch-01-00-0.acs_redirected'] > 0, 'and the switch sends them up to the root complex');
});

test('on a Zen host the pair through the root complex is one Linux allows; bounced through memory, both links carry it', async () => {
  const { out, r } = await importTo('down-trained', 'inProcess');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /down-trained link .*\n {2}amdgpu-01-00-0 runs at Gen3 x8 where both ends support Gen4 x16/);
  const direct = metricsOf(await runJsonInProcess(out, { op: 'read' }));
  assert.is(direct['p2p.linux_p2p_class'], 'thru-host-bridge');
  assert.is(direct['p2p.transfers_done'], 100);
  const bounce = metricsOf(await runJsonInProcess(out, { path: 'bounce' }));
  assert.ok(bounce['amdgpu-01-00-0-link.up_tlps'] > 0, 'the GPU reads the bounce buffer from host memory');
});

test('access denied: the warning says to run as root; the estimates are parameters a user can --set', async () => {
  const { out, r } = await importTo('access-denied', 'inProcess');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /access denied.*sudo lspci -vvv/);
  const v = await cliInProcess(['validate', out, '--set', 'gen=4', '--set', 'width=16']);
  assert.is(v.code, 0, v.stderr);
});

test('not lspci output: exit 2, a message naming the file, no stack trace, nothing written', async () => {
  const { out, r } = await importTo('not-lspci');
  assert.is(r.code, 2);
  assert.match(r.stderr, /not-lspci\.txt: not the output of lspci -vvv/);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.not.ok(fs.existsSync(out));
});

test('an existing output file is left as it was when the import fails', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'keep.json');
  fs.writeFileSync(out, 'old');
  const r = await cliInProcess(['import', 'lspci', fixture('two-sockets').file, '--out', out, '--p2p', 'mlx5_core-02-00-0,nvidia-81-00-0']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /no path between root complexes/);
  assert.is(fs.readFileSync(out, 'utf8'), 'old');
  assert.equal(fs.readdirSync(dir), ['keep.json']);
});

test('usage mistakes exit 2: a missing file, an unknown format, no --out, a bad option value', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'm.json');
  const missing = cli(['import', 'lspci', path.join(dir, 'nope.txt'), '--out', out]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /nope\.txt: cannot read the file \(no such file\)/);
  const format = await cliInProcess(['import', 'dmidecode', fixture('one-switch').file, '--out', out]);
  assert.is(format.code, 2);
  assert.match(format.stderr, /unknown format "dmidecode": the model library imports lspci/);
  const noOut = await cliInProcess(['import', 'lspci', fixture('one-switch').file]);
  assert.is(noOut.code, 2);
  assert.match(noOut.stderr, /expected --out/);
  const mps = await cliInProcess(['import', 'lspci', fixture('one-switch').file, '--out', out, '--mps', '100']);
  assert.is(mps.code, 2);
  assert.match(mps.stderr, /--mps 100: expected one of 128/);
  assert.equal(fs.readdirSync(dir), []);
});

test('help lists the formats, and a format\'s own options', async () => {
  const all = cli(['import', '--help']);
  assert.is(all.code, 0);
  assert.match(all.stdout, /Formats:\n {2}lspci {2}/);
  const lspci = await cliInProcess(['import', 'lspci', '--help']);
  assert.match(lspci.stdout, /--p2p FROM,TO/);
  assert.match(lspci.stdout, /access denied/);
  assert.match(cli(['--help']).stdout, /\n {2}import /);
});

test.run();

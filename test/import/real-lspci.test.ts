/**
 * The lspci -vvv outputs of the machines pcie-bench measured, read from
 * ../shared/data/pcie-bench/<machine>/sys-lspci.txt next to the repository
 * when that folder is there (it is not part of the repository); skipped
 * otherwise. What is checked is derived from each file by the simple
 * reading below, not by the importer's own parser.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cliInProcess, metricsOf, ROOT, runJsonInProcess, tempDir } from '../helpers.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { validateScenario } from '../../src/cli/cmd-validate.js';
import { lspciImporter } from '../../models/pcie/import/lspci-importer.js';

const DATA = path.join(ROOT, '..', 'shared', 'data', 'pcie-bench');
const files = fs.existsSync(DATA)
  ? fs.readdirSync(DATA).sort().map((d) => path.join(DATA, d, 'sys-lspci.txt')).filter((f) => fs.existsSync(f))
  : [];
const when = files.length > 0 ? test : test.skip;
const lib = files.length > 0 ? await loadModelLibrary() : undefined;

const GEN: Record<string, number> = { '2.5': 1, '5': 2, '8': 3, '16': 4 };

/** Each function's header and its indented lines. */
function blocks(text: string): { bus: number; device: number; fn: number; header: string; body: string }[] {
  return text.split(/\n(?=[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] )/).map((b) => {
    const m = /^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) /.exec(b)!;
    return { bus: parseInt(m[1]!, 16), device: parseInt(m[2]!, 16), fn: Number(m[3]), header: b.split('\n')[0]!, body: b };
  });
}

when('every real lspci output imports into a scenario that passes validate, with one root complex per root bus holding root ports', () => {
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const r = lspciImporter.run({ file, text, name: 'machine', options: {} }, lib!);
    const s = r.scenario as { components: { name: string; type: string; params: Record<string, any> }[]; links: { b: string; params: Record<string, any> }[] };
    validateScenario(parseScenario(`${file}.json`, JSON.stringify(s)), {}, lib!);
    const rootBuses = new Set(blocks(text).filter((b) => /Express \(v\d\) Root Port/.test(b.body) && /\tBus: primary=/.test(b.body)).map((b) => b.bus));
    assert.is(s.components.filter((c) => c.type === 'pcie.root-complex').length, rootBuses.size, file);
  }
});

when('each Netronome card is an endpoint with its requester ID and the generation and width of its LnkSta', () => {
  let seen = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const s = lspciImporter.run({ file, text, name: 'machine', options: {} }, lib!).scenario as { components: { name: string; params: Record<string, any> }[]; links: { b: string; params: Record<string, any> }[] };
    for (const b of blocks(text).filter((x) => x.header.includes('Netronome'))) {
      const lnk = /LnkSta:\s+Speed ([\d.]+)GT\/s[^,]*, Width x(\d+)/.exec(b.body);
      if (!lnk || lnk[2] === '0') continue;
      const id = (b.bus << 8) | (b.device << 3) | b.fn;
      const ep = s.components.find((c) => c.params.requesterId === id && c.name.endsWith(`-${b.header.slice(0, 7).replace(/[:.]/g, '-')}`));
      assert.ok(ep, `${file}: ${b.header}`);
      const link = s.links.find((l) => l.b === `${ep!.name}.up`)!;
      assert.equal([link.params.gen, link.params.width], [GEN[lnk[1]!], Number(lnk[2])], `${file}: ${b.header}`);
      seen++;
    }
  }
  assert.ok(seen > 0, 'the pcie-bench machines each hold a Netronome card');
});

when('one real machine, imported through the command line, runs its P2P study', async () => {
  const out = path.join(tempDir(), 'machine.json');
  const r = await cliInProcess(['import', 'lspci', files[0]!, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const m = metricsOf(await runJsonInProcess(out));
  assert.is(m['p2p.transfers_done'], 100);
});

test.run();

/**
 * `pciesim import lspci`: the output of `lspci -vvv` read (lspci-text.ts),
 * built into a PCI hierarchy (pci-tree.ts) and written as a scenario
 * (scenario-writer.ts) with presets from pci-presets.json.
 */
import path from 'node:path';
import type { Importer } from '../../../src/scenario/importer.js';
import { UserError } from '../../../src/scenario/errors.js';
import type { PresetLibrary } from '../../../src/scenario/presets.js';
import { parseLspci } from './lspci-text.js';
import { buildPciTree } from './pci-tree.js';
import { presetRules } from './preset-rules.js';
import { writeScenario, type PresetLookup } from './scenario-writer.js';
import { TRANSFER_SIZES } from '../tlp.js';


export function presetLookup(presets: PresetLibrary): PresetLookup {
  return {
    has: (name) => presets.get(name) !== undefined,
    value: (preset, param) => presets.get(preset)?.values[param]?.value,
    fillsSlot: (preset, slot) => presets.get(preset)?.slots[slot] !== undefined,
  };
}

function p2pOption(v: string | undefined): [string, string] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts.some((s) => s === '')) throw new UserError(`--p2p ${v}: expected two endpoints, initiator first: FROM,TO (instance names or BDFs such as 03:00.0)`);
  return [parts[0]!, parts[1]!];
}

function mpsOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(TRANSFER_SIZES as readonly number[]).includes(n)) throw new UserError(`--mps ${v}: expected one of ${TRANSFER_SIZES.join(', ')} (bytes, the Max_Payload_Size encodings)`);
  return n;
}

export const lspciImporter: Importer = {
  summary: 'a machine\'s PCIe topology from the output of `lspci -vvv`',
  help: `Reads what \`sudo lspci -vvv\` prints (add -nn for vendor:device IDs, which match presets
more reliably than names; -D for domains). Root complexes come from the root buses
(one per host bridge: two sockets give two), switches from their upstream and
downstream ports, endpoints with their largest memory BAR, links with the generation
and width of LnkSta (a link trained below what both ends' LnkCap allow is reported),
Max_Payload_Size and Max_Read_Request_Size from DevCtl, ACS redirect from the ACS
capability, requester IDs from bus/device/function. Endpoints are named after their
driver (else slot, else class) and BDF, e.g. nvme-01-00-0.

Run without root, lspci hides the capabilities ("Capabilities: <access denied>"):
link generation and width, MPS and MRRS then become scenario parameters (gen, width,
mps, mrrs) with estimated defaults, and a warning lists them.

The scenario also carries a P2P study between two endpoints below one root complex
(workloads.p2p-transfer): directly, as the topology connects them, or bounced through host
memory. Sweep it (pciesim sweep), or run one point (pciesim run --set op=read).
`,
  options: [
    { name: 'p2p', value: 'FROM,TO', description: 'initiator and target of the P2P study (names or BDFs, e.g. 01:00.0,03:00.0); default: the largest BAR is the target' },
    { name: 'mps', value: 'BYTES', description: 'Max_Payload_Size for every root complex, instead of the smallest one set below it' },
  ],
  run(req, lib) {
    const tree = buildPciTree(parseLspci(req.file, req.text));
    const p2p = p2pOption(req.options.p2p);
    const mps = mpsOption(req.options.mps);
    return writeScenario(tree, {
      name: req.name,
      source: path.basename(req.file),
      rules: presetRules(),
      presets: presetLookup(lib.presets),
      ...(p2p ? { p2p } : {}),
      ...(mps !== undefined ? { mps } : {}),
    });
  },
};

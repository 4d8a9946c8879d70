import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

/**
 * Small lspci -vvv texts written for these tests (test/import/lspci/):
 *  - one-switch: a Xeon E5 v4 root port, a PEX8796 switch with ACS redirect
 *    on, an NVMe drive and an NVIDIA GPU below it (lspci -vvv -nn, as root);
 *  - two-sockets: a Xeon E5 v4 pair, root buses 00 and 80, a two-function NIC,
 *    an uncore bus 7f (lspci -vvv, names only);
 *  - access-denied: a Skylake-SP root port, a PEX 8747 switch and two GPUs as
 *    lspci shows them without root;
 *  - down-trained: an AMD Zen 2 root complex, a GPU trained at Gen3 x8 in a
 *    Gen4 x16 slot, an NVMe drive (-nn);
 *  - not-lspci: a few lines of dmesg.
 */
export const FIXTURES = path.join(ROOT, 'test', 'import', 'lspci');

export function fixture(name: 'one-switch' | 'two-sockets' | 'access-denied' | 'down-trained' | 'not-lspci'): { file: string; text: string } {
  const file = path.join(FIXTURES, `${name}.txt`);
  return { file, text: fs.readFileSync(file, 'utf8') };
}

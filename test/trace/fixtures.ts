/** Shared inputs for the trace tests. */
import fs from 'node:fs';
import type { TraceProvenance } from '../../src/trace/index.js';

export const PROVENANCE: TraceProvenance = {
  scenario: 'p2p-through-switch',
  scenarioHash: 'sha256:0123abcd',
  parameters: { 'link.gen': 4, 'iommu.enabled': true, 'workload.size': '4 MiB' },
  seed: 42,
  replication: 3,
  pciesimVersion: '0.1.0',
};

/** Files in a folder, to check nothing (not even a temp file) was left behind. */
export function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

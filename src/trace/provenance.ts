/**
 * Where a trace came from, stored as schema metadata so a `trace.arrow` found
 * on its own still says which run produced it. Only inputs of the run appear
 * here, never the wall clock or the host, so the same run gives the same bytes.
 */
import { canonicalJson } from '../util/canonical-json.js';

export interface TraceProvenance {
  scenario: string;
  scenarioHash: string;
  parameters: Readonly<Record<string, number | string | boolean>>;
  seed: number;
  replication: number;
  pciesimVersion: string;
}

/** Schema metadata keys, also read back by the Chrome export. */
export const PROVENANCE_KEY = {
  scenario: 'pciesim.scenario',
  scenarioHash: 'pciesim.scenario_hash',
  parameters: 'pciesim.parameters',
  seed: 'pciesim.seed',
  replication: 'pciesim.replication',
  pciesimVersion: 'pciesim.version',
} as const;

export function provenanceMetadata(p: TraceProvenance): Record<string, string> {
  return {
    [PROVENANCE_KEY.scenario]: p.scenario,
    [PROVENANCE_KEY.scenarioHash]: p.scenarioHash,
    [PROVENANCE_KEY.parameters]: canonicalJson(p.parameters),
    [PROVENANCE_KEY.seed]: String(p.seed),
    [PROVENANCE_KEY.replication]: String(p.replication),
    [PROVENANCE_KEY.pciesimVersion]: p.pciesimVersion,
  };
}

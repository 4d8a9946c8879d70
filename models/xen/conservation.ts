/**
 * Conservation checks of the grant tables and maptracks of one hypervisor,
 * true at any moment of a run: each table's own bookkeeping holds; every
 * mapping a domain holds is a maptrack handle of the mapper and a map count
 * of the granter's entry, and a map op that succeeded and was not unmapped;
 * every grant and end of access the operations wrote is in a table.
 * XenHost returns them from `invariants()`, so a run that loses a grant or
 * a mapping fails (a model bug).
 */
import type { GrantOpCounts } from './gnttab.js';
import type { Domain } from './hypervisor.js';

export function grantInvariants(domains: readonly Domain[], ops: GrantOpCounts): string[] {
  const out: string[] = [];
  let handles = 0, mapped = 0, writes = 0;
  for (const d of domains) {
    for (const m of d.grants.invariants()) out.push(`${d.name}'s grant table: ${m}`);
    if (d.maptrack.used > d.maptrack.limit || d.maptrack.used < 0) out.push(`${d.name}'s maptrack: ${d.maptrack.used} handles of ${d.maptrack.limit}`);
    handles += d.maptrack.used;
    mapped += d.grants.mappings;
    const w = d.grants.writes;
    writes += w.granted + w.ended;
  }
  const live = ops.mapOps - ops.mapFailures - ops.unmapOps;
  if (handles !== mapped || mapped !== live) {
    out.push(`mappings: ${handles} maptrack handles held, ${mapped} mapped grant entries, ${ops.mapOps} map ops - ${ops.mapFailures} failed - ${ops.unmapOps} unmapped = ${live}`);
  }
  if (writes !== ops.grantWrites) out.push(`grant entry writes: ${ops.grantWrites} by the grant operations, ${writes} in the tables`);
  return out;
}

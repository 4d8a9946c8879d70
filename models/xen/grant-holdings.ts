/**
 * What one user of the grant operations (a workload) holds of them: the
 * refs a granter granted a grantee and the user has not ended, and the
 * mappings the grantee made of them and has not unmapped, with counts of
 * each, so the user's bookkeeping can be checked at any moment of a run
 * against itself and against the grant tables. The hypervisor's checks
 * (conservation.ts) see the tables whole; these see one user's part of
 * them: a ref it stopped tracking while still granted (an end of access
 * deferred because the page was still mapped, then forgotten), or a ref or
 * mapping it holds that was ended or unmapped behind its back.
 *
 * A ref or a mapping is let go as the call that ends or unmaps it starts
 * (the tables change then, before the call's time passes); an end of
 * access is under way until its call returns how many refs it could not
 * end.
 */
import type { GrantMapping } from './gnttab.js';
import { NO_REF } from './grant-table.js';
import type { Domain } from './hypervisor.js';

/** A user's grant counts: refs granted, ended and under way, mappings made and unmapped, and those held now. */
export interface GrantHoldingCounts {
  granted: number;
  ended: number;
  ending: number;
  heldRefs: number;
  mapped: number;
  unmapped: number;
  heldMappings: number;
  /** Held refs the granter's table no longer grants the grantee, and held mappings whose entry is not mapped (as often). */
  refsNotGranted: number;
  mappingsNotMapped: number;
}

/**
 * Everything the user granted was ended, is being ended, or is held;
 * everything it mapped was unmapped or is held; what it holds is still
 * granted, and mapped, in the granter's table.
 */
export function grantHoldingInvariants(c: GrantHoldingCounts): string[] {
  const out: string[] = [];
  if (c.granted !== c.ended + c.ending + c.heldRefs) out.push(`grants: ${c.granted} made != ${c.ended} ended + ${c.ending} being ended + ${c.heldRefs} held`);
  if (c.mapped !== c.unmapped + c.heldMappings) out.push(`mappings: ${c.mapped} made != ${c.unmapped} unmapped + ${c.heldMappings} held`);
  if (c.refsNotGranted !== 0) out.push(`${c.refsNotGranted} of ${c.heldRefs} held refs no longer granted`);
  if (c.mappingsNotMapped !== 0) out.push(`${c.mappingsNotMapped} of ${c.heldMappings} held mappings not mapped in the granter's table`);
  return out;
}

/** How many of `refs` the granter's table no longer grants the grantee (a held ref ended, or its entry reused, behind its holder's back). */
export function refsNoLongerGranted(granter: Domain, grantee: Domain, refs: Iterable<number>): number {
  let n = 0;
  for (const r of refs) if (!granter.grants.grantedTo(r, grantee.id, false)) n++;
  return n;
}

export class GrantHoldings {
  private readonly refs = new Set<number>();
  private readonly mappings = new Set<GrantMapping>();
  private readonly n = { granted: 0, ended: 0, ending: 0, mapped: 0, unmapped: 0 };

  constructor(readonly granter: Domain, readonly grantee: Domain) {}

  /** Refs the granter granted the grantee, now held (NO_REF, a page its full table could not take, is none). */
  hold(refs: readonly number[]): void {
    for (const r of refs) {
      if (r === NO_REF) continue;
      this.refs.add(r);
      this.n.granted++;
    }
  }

  /** Mappings the grantee made of the granter's refs, now held. */
  holdMappings(mappings: readonly GrantMapping[]): void {
    for (const m of mappings) this.mappings.add(m);
    this.n.mapped += mappings.length;
  }

  /** Lets go of mappings as their unmap starts. */
  unmapping(mappings: readonly GrantMapping[]): void {
    for (const m of mappings) this.mappings.delete(m);
    this.n.unmapped += mappings.length;
  }

  /** Lets go of refs as their end of access starts; returns how many, for `ended`. */
  ending(refs: readonly number[]): number {
    let k = 0;
    for (const r of refs) if (r !== NO_REF && this.refs.delete(r)) k++;
    this.n.ending += k;
    return k;
  }

  /** The end of access of `k` refs returned: `busy` of them could not be ended (still mapped; Linux defers those). */
  ended(k: number, busy: number): void {
    this.n.ending -= k;
    this.n.ended += k - busy;
  }

  counts(): GrantHoldingCounts {
    const refsNotGranted = refsNoLongerGranted(this.granter, this.grantee, this.refs);
    let mappingsNotMapped = 0;
    const perRef = new Map<number, number>();
    for (const m of this.mappings) perRef.set(m.ref, (perRef.get(m.ref) ?? 0) + 1);
    for (const [ref, k] of perRef) if (this.granter.grants.mapped(ref) < k) mappingsNotMapped += k;
    return { ...this.n, heldRefs: this.refs.size, heldMappings: this.mappings.size, refsNotGranted, mappingsNotMapped };
  }

  invariants(): string[] {
    return grantHoldingInvariants(this.counts());
  }
}

/**
 * The grant refusals of workloads.netif's setup and stream, as outcomes
 * (netif.ts header): netfront's grants that did not all fit, and a
 * premapped pool netback could not map whole.
 */
import type { ProcessBody } from '../../src/sim/index.js';
import { NO_REF } from '../xen/grant-table.js';
import type { NetifStream } from './netif.js';

/**
 * Whether netfront could grant every one of `refs`. If not (only when
 * another component took the entries netfront reserved: netif.ts header) it
 * ends the ones it did, and the vif stops ('grant-table-full').
 */
export function* grantedAll(s: NetifStream, refs: readonly number[]): ProcessBody<boolean> {
  if (!refs.includes(NO_REF)) return true;
  yield* s.host.grants.endAccess(s.guest, refs);
  s.fail('grant-table-full');
  return false;
}

/**
 * Premapped: netback maps a queue's pool (XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING).
 * A pool it cannot map whole (dom0's maptrack full) is unmapped again and
 * the vif stays down ('map-failed'): false.
 */
export function* mapPool(s: NetifStream, pool: readonly number[], readOnly: boolean): ProcessBody<boolean> {
  const { host, guest, dom0 } = s;
  const mapped = yield* host.grants.map(dom0, guest, pool, readOnly);
  if (mapped.mappings.length === pool.length) return true;
  if (mapped.mappings.length > 0) yield* host.grants.unmap(dom0, mapped.mappings);
  s.fail('map-failed');
  return false;
}

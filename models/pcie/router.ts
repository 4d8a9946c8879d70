/**
 * The routing table of a PCIe router, a switch or a root complex: which of
 * its ports claims a TLP, from what lies behind each port (fabric.ts
 * PortRoutes). Requests (MRd, MWr) route by address to the port whose ranges
 * hold it (PCIe Base Spec §2.2.4.1, address routing); completions route by
 * requester ID to the port whose functions include it (§2.2.4.2, ID routing).
 *
 * The table only answers "who claims this". What happens to a TLP nobody
 * claims is the router's policy, not the table's: a switch sends it out of its
 * upstream port (or, if it came in there, treats it as unsupported); a root
 * complex may send it to memory or fail it. Ports a router never routes *to*
 * by table (a switch's upstream port) are given as null and claim nothing.
 *
 * Messages (Msg, MsgD) use routing types this table does not model
 * (route-to-root-complex, broadcast, local, by ID or address in the message
 * header, which Tlp does not carry); no port claims them, so the router's
 * default applies, which for a switch is "towards the root complex".
 *
 * Lookups are the hot path: address ranges are kept sorted in typed arrays
 * and found by binary search; requester IDs in a Map. Neither allocates.
 */
import type { AddressRange, PortRoutes, Tlp } from './fabric.js';

/** No port claims the TLP. */
export const NO_PORT = -1;

/** A port with nothing behind it (or one the table never routes to). */
export const NO_ROUTES: PortRoutes = Object.freeze({ ranges: Object.freeze([]), requesterIds: Object.freeze([]) });

interface PortRange { base: number; end: number; port: number }

function describeRange(r: PortRange): string {
  return `[0x${r.base.toString(16)}, 0x${r.end.toString(16)})`;
}

export class RoutingTable {
  readonly portCount: number;
  /** Claimed address ranges, sorted by base, disjoint: [bases[k], ends[k]) belongs to rangePorts[k]. */
  private readonly bases: Float64Array;
  private readonly ends: Float64Array;
  private readonly rangePorts: Int32Array;
  private readonly byRequester = new Map<number, number>();
  /** One-entry cache of portForRequester (the table never changes after construction). */
  private lastRequester = NaN;
  private lastRequesterPort = NO_PORT;

  /**
   * `ports[p]` is what lies behind port p, or null for a port the table never
   * routes to. Throws if two ports claim overlapping addresses or the same
   * requester ID: real enumeration never assigns them so, and a topology that
   * does is a configuration error, not something to simulate.
   */
  constructor(ports: readonly (PortRoutes | null)[]) {
    this.portCount = ports.length;
    const ranges: PortRange[] = [];
    ports.forEach((routes, port) => {
      if (routes === null) return;
      for (const r of routes.ranges) ranges.push(checkedRange(r, port));
      for (const id of routes.requesterIds) {
        if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`port ${port}: requester ID must be a non-negative integer, got ${id}`);
        const other = this.byRequester.get(id);
        if (other !== undefined && other !== port) throw new RangeError(`requester ID ${id} is claimed by ports ${other} and ${port}`);
        this.byRequester.set(id, port);
      }
    });
    const merged = mergeRanges(ranges);
    this.bases = Float64Array.from(merged, (r) => r.base);
    this.ends = Float64Array.from(merged, (r) => r.end);
    this.rangePorts = Int32Array.from(merged, (r) => r.port);
  }

  /** The port whose ranges hold `addr`, or NO_PORT. */
  portForAddress(addr: number): number {
    const bases = this.bases;
    // Last range whose base is <= addr.
    let lo = 0, hi = bases.length - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (bases[mid]! <= addr) { k = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return k >= 0 && addr < this.ends[k]! ? this.rangePorts[k]! : NO_PORT;
  }

  /** The port whose functions include requester `id`, or NO_PORT. */
  portForRequester(id: number): number {
    // A one-entry cache: a stream of completions goes to one requester (two Map lookups per read through a switch).
    if (id !== this.lastRequester) {
      this.lastRequester = id;
      this.lastRequesterPort = this.byRequester.get(id) ?? NO_PORT;
    }
    return this.lastRequesterPort;
  }

  /** The port that claims `tlp`: requests by address, completions by requester ID, messages by nobody (NO_PORT). */
  portFor(tlp: Tlp): number {
    switch (tlp.type) {
      case 'MRd': case 'MWr': return this.portForAddress(tlp.addr);
      case 'Cpl': case 'CplD': return this.portForRequester(tlp.requester);
      case 'Msg': case 'MsgD': return NO_PORT;
    }
  }
}

function checkedRange(r: AddressRange, port: number): PortRange {
  if (!Number.isSafeInteger(r.base) || r.base < 0 || !Number.isSafeInteger(r.size) || r.size <= 0 || !Number.isSafeInteger(r.base + r.size)) {
    throw new RangeError(`port ${port}: an address range needs a non-negative integer base and a positive size below 2^53, got base ${r.base} size ${r.size}`);
  }
  return { base: r.base, end: r.base + r.size, port };
}

/**
 * Sorts the ranges and joins overlapping or adjacent ranges of one port (a
 * port may list its BARs in any order); throws if ranges of two ports overlap.
 */
function mergeRanges(ranges: PortRange[]): PortRange[] {
  ranges.sort((x, y) => x.base - y.base || x.port - y.port);
  const out: PortRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && r.base < last.end && r.port !== last.port) {
      throw new RangeError(`address ranges overlap: ${describeRange(last)} of port ${last.port} and ${describeRange(r)} of port ${r.port}`);
    }
    if (last !== undefined && r.base <= last.end && r.port === last.port) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

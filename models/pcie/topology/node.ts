/**
 * What the PCIe element components (pcie.root-complex, pcie.switch,
 * pcie.endpoint) share so that pcie.link can join any two of them, and the
 * walks over a scenario's topology their checks use.
 *
 * Ports have one of two kinds: a downstream port (a root port, a switch's
 * downstream port) faces away from the root complex; an upstream port (a
 * switch's, an endpoint's) faces it. A link joins one of each, so a
 * topology is a tree hanging from root ports, and "upstream" is well defined
 * everywhere in it.
 *
 * Build order: links register themselves with both ends when they are
 * created (plug); in the connect phase each element builds its model,
 * asking the elements below it for their routes (a switch's routing table
 * and a root port's are fixed when built); then each link builds the Link
 * between the two built ends.
 */
import type { Component, PortDecl, TopologyIssue, TopologyNode, TopologyView } from '../../../src/scenario/registry.js';
import type { AddressRange, PortRoutes, TlpReceiver } from '../fabric.js';
import type { Link, LinkEnd } from '../link.js';

export const DOWNSTREAM_PORT = 'pcie.downstream';
export const UPSTREAM_PORT = 'pcie.upstream';
/** The one upstream port of a switch or an endpoint. */
export const UP = 'up';

/**
 * The roles of PCIe elements: the interfaces their types provide (the
 * built-in types are named after them). Topology checks ask a node's role,
 * never its type name, so another switch or endpoint model fits in.
 */
export const ROOT_COMPLEX = 'pcie.root-complex';
export const SWITCH = 'pcie.switch';
export const ENDPOINT = 'pcie.endpoint';

/** What a PCIe element type declares of an instance (ComponentType.facts), for topology checks. */
export interface PcieFacts {
  /** Max_Payload_Size it uses (a switch: the largest it supports). */
  mps: number;
  ecrc: boolean;
  /** An endpoint's requester ID. */
  requesterId?: number;
  /** Address ranges it claims below a root complex (an endpoint's BARs). */
  bars: AddressRange[];
  /** A root complex's host memory. */
  memory?: AddressRange;
  /** A switch whose ACS redirects peer requests upstream. */
  acsRedirect?: boolean;
}

export function pcieFacts(node: TopologyNode): PcieFacts {
  return node.facts as PcieFacts;
}

export function upstreamPortDecl(what: string): PortDecl {
  return { name: UP, kind: UPSTREAM_PORT, required: true, description: `${what}'s upstream port, towards the root complex` };
}

/** A PCIe element at run time, as pcie.link and the elements above it see it. */
export interface PcieElement extends Component {
  /** ROOT_COMPLEX, SWITCH or ENDPOINT: what the element is to its neighbours. */
  readonly role: string;
  /** Max_Payload_Size the element uses on its links (a switch: the largest it supports). */
  readonly mps: number;
  readonly ecrc: boolean;
  /** The element above, on the far end of the "up" link (null for a root complex, or before links are made). */
  readonly parent: PcieElement | null;
  /** A link has been declared on `port`, reaching `far` at `farPort` (called when links are created). */
  plug(port: string, far: PcieElement, farPort: string): void;
  /** What lies below the element, for the routing tables above it (not for a root complex). */
  routesBelow(): PortRoutes;
  /** Builds the model once (the connect phase; a link may ask first). */
  build(): void;
  /** The receiver and credits of `port`, to build a link with (after build). */
  linkEnd(port: string): LinkEnd;
  /** `port` is end `end` of `link`: send through the direction leaving it. */
  attach(port: string, link: Link, end: 'a' | 'b'): void;
  /** `port` sends through `egress`, a connection that is not a PCIe link (pcie.integrated); only root complexes and endpoints have it. */
  attachDirect?(port: string, egress: TlpReceiver): void;
}

/** The routes of several ports merged: what a switch's upstream side or a root port sees below it. */
export function mergeRoutes(all: readonly PortRoutes[]): PortRoutes {
  return { ranges: all.flatMap((r) => r.ranges), requesterIds: all.flatMap((r) => r.requesterIds) };
}

// ---------------------------------------------------------------- topology walks (load time)

/** The far end of a node's link on `port`, if linked. */
export function farEnd(node: TopologyNode, port: string): { node: TopologyNode; port: string } | undefined {
  return node.links.find((l) => l.port === port)?.far;
}

/**
 * The chain from `node` up to a root complex: the nodes above it, nearest
 * first, the root complex last. `loop` is set if the chain comes back to a
 * node it passed; `root` is undefined if it ends elsewhere.
 */
export function upwardChain(node: TopologyNode): { above: TopologyNode[]; root?: TopologyNode; loop?: boolean } {
  const above: TopologyNode[] = [];
  const seen = new Set<TopologyNode>([node]);
  let at = node;
  for (;;) {
    const up = farEnd(at, UP);
    if (up === undefined) return { above };
    if (seen.has(up.node)) return { above: [...above, up.node], loop: true };
    above.push(up.node);
    if (up.node.provides(ROOT_COMPLEX)) return { above, root: up.node };
    seen.add(up.node);
    at = up.node;
  }
}

/** Every endpoint below `node` (depth first, scenario order), following only downward links. */
export function endpointsBelow(node: TopologyNode, view: TopologyView, seen = new Set<TopologyNode>()): TopologyNode[] {
  if (seen.has(node)) return [];
  seen.add(node);
  const out: TopologyNode[] = [];
  for (const l of node.links) {
    if (l.port === UP) continue;
    const child = l.far.node;
    if (child.provides(ENDPOINT)) out.push(child);
    else out.push(...endpointsBelow(child, view, seen));
  }
  return out;
}

function describeChain(node: TopologyNode, above: TopologyNode[]): string {
  return [node, ...above].map((n) => n.name).join(' → ');
}

/** The root complex a switch or an endpoint hangs from, or the issue that it hangs from none. */
export function rootAbove(self: TopologyNode): { root: TopologyNode; above: TopologyNode[] } | TopologyIssue {
  const chain = upwardChain(self);
  if (chain.loop) return { path: self.path, message: `its upstream links go round in a loop (${describeChain(self, chain.above)}), so no root complex reaches it` };
  if (chain.root === undefined) return { path: self.path, message: `no root complex above it: ${describeChain(self, chain.above)} ends at a port linked to nothing` };
  return { root: chain.root, above: chain.above };
}

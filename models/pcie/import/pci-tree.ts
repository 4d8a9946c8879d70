/**
 * The PCIe hierarchy of a machine, built from its PCI functions
 * (lspci-text.ts): root complexes with their root ports, switches, endpoints,
 * and the link below each downstream port.
 *
 * - A root bus is a bus no bridge's [secondary, subordinate] range covers.
 *   Each root bus with a root port on it is one root complex (one host
 *   bridge: two sockets give two, as do several PCI domains). Buses without
 *   root ports (e.g. a Xeon's uncore bus 7f) hold only functions integrated
 *   in the root complex.
 * - A root port's or switch downstream port's secondary bus holds what its
 *   link reaches: a switch (an upstream port whose secondary bus holds the
 *   downstream ports, PCIe Base Spec §1.3.3) or a device. Several functions
 *   of one device (or SR-IOV virtual functions) share its link: the lowest
 *   function stands for them, the others are folded into it.
 * - Left out, with the reason: functions integrated in a root complex (no
 *   link), conventional PCI behind a PCIe-to-PCI bridge, functions on a
 *   switch's internal bus that are not downstream ports, and a switch with
 *   no endpoint below it (e.g. one that leads only to a BMC's conventional
 *   PCI graphics): it would carry no traffic.
 *
 * Port types come from the Express capability; when lspci could not read
 * it (no root), a bridge on a root bus is taken for a root port and one
 * below a port for a switch upstream port if bridges hang from it, else for
 * a PCIe-to-PCI bridge.
 */
import type { LinkState, PciFunction } from './lspci-text.js';

export interface PciLink {
  /** Trained generation and width (LnkSta); undefined where lspci showed none (no root, or "Speed unknown"). */
  gen: number | undefined;
  width: number | undefined;
  /** The most both ends support (the smaller of their LnkCap), when both are known. */
  capableGen: number | undefined;
  capableWidth: number | undefined;
}

export interface EndpointNode {
  kind: 'endpoint';
  fn: PciFunction;
  /** Other functions on the same link (further functions, virtual functions), folded into this one. */
  folded: PciFunction[];
}

export interface SwitchNode {
  kind: 'switch';
  upstream: PciFunction;
  downstreamPorts: PortNode[];
}

/** A downstream-facing port (root port or switch downstream port) and what its link reaches. */
export interface PortNode {
  fn: PciFunction;
  below: { node: EndpointNode | SwitchNode; link: PciLink } | undefined;
}

export interface RootComplexNode {
  domain: number;
  bus: number;
  /** Host bridge functions on the root bus (class 0600), if lspci lists any. */
  hostBridges: PciFunction[];
  rootPorts: PortNode[];
}

export interface LeftOut {
  fn: PciFunction;
  reason: string;
}

export interface PciTree {
  rootComplexes: RootComplexNode[];
  leftOut: LeftOut[];
  /** Functions whose capabilities lspci could not read (run without root). */
  hidden: PciFunction[];
}

const HOST_BRIDGE_CLASS = '0600';

const key = (domain: number, bus: number) => `${domain}:${bus}`;

function byAddress(a: PciFunction, b: PciFunction): number {
  const x = a.address, y = b.address;
  return x.domain - y.domain || x.bus - y.bus || x.device - y.device || x.fn - y.fn;
}

export function isHostBridge(f: PciFunction): boolean {
  return f.classCode === HOST_BRIDGE_CLASS || f.className === 'Host bridge';
}

export function buildPciTree(functions: readonly PciFunction[]): PciTree {
  const sorted = [...functions].sort(byAddress);
  const onBus = new Map<string, PciFunction[]>();
  for (const f of sorted) {
    const k = key(f.address.domain, f.address.bus);
    if (!onBus.has(k)) onBus.set(k, []);
    onBus.get(k)!.push(f);
  }
  const bridges = sorted.filter((f) => f.busRange !== undefined);
  const behindBridge = (domain: number, bus: number) =>
    bridges.some((b) => b.address.domain === domain && bus >= b.busRange!.secondary && bus <= b.busRange!.subordinate);
  const leftOut: LeftOut[] = [];
  const placed = new Set<PciFunction>();
  const children = (port: PciFunction) => onBus.get(key(port.address.domain, port.busRange!.secondary)) ?? [];

  const leaveOut = (fns: readonly PciFunction[], reason: string) => {
    for (const f of fns) {
      if (placed.has(f)) continue;
      placed.add(f);
      leftOut.push({ fn: f, reason });
    }
  };
  /** A bridge and everything below it, left out (conventional PCI, an empty bridge). */
  const leaveOutSubtree = (bridge: PciFunction, reason: string) => {
    leaveOut([bridge], reason);
    for (const c of children(bridge)) {
      if (c.busRange) leaveOutSubtree(c, `behind ${shortBdf(bridge)}: ${reason}`);
      else leaveOut([c], `behind ${shortBdf(bridge)}: ${reason}`);
    }
  };

  const portNode = (port: PciFunction): PortNode => {
    placed.add(port);
    const below = children(port);
    const bridgesBelow = below.filter((c) => c.busRange !== undefined);
    const devices = below.filter((c) => c.busRange === undefined);
    const up = bridgesBelow.find((b) => isSwitchUpstream(b, children(b)));
    for (const b of bridgesBelow) {
      if (b !== up) leaveOutSubtree(b, b.express === undefined || b.express.portType === 'pcie-to-pci-bridge' ? 'conventional PCI behind a PCIe-to-PCI bridge' : 'a second bridge on one link');
    }
    if (up) {
      leaveOut(devices, `shares the link of switch ${shortBdf(up)}`);
      const sw = switchNode(up);
      if (hasEndpoint(sw)) return { fn: port, below: { node: sw, link: linkBetween(port, up) } };
      // It would carry no traffic, and its Max_Payload_Size would still bind the whole hierarchy.
      for (const f of switchFunctions(sw)) leftOut.push({ fn: f, reason: 'a switch port with no PCIe endpoint below the switch' });
      return { fn: port, below: undefined };
    }
    if (devices.length === 0) return { fn: port, below: undefined };
    const [first, ...rest] = devices;
    placed.add(first!);
    for (const r of rest) placed.add(r);
    return { fn: port, below: { node: { kind: 'endpoint', fn: first!, folded: rest }, link: linkBetween(port, first!) } };
  };

  const switchNode = (up: PciFunction): SwitchNode => {
    placed.add(up);
    const internal = children(up);
    const ports = internal.filter((c) => c.busRange !== undefined && isPortType(c, 'downstream-port'));
    leaveOut(internal.filter((c) => !ports.includes(c)), `on switch ${shortBdf(up)}'s internal bus, not a downstream port`);
    return { kind: 'switch', upstream: up, downstreamPorts: ports.map(portNode) };
  };

  const rootComplexes: RootComplexNode[] = [];
  for (const [k, fns] of onBus) {
    const { domain, bus } = fns[0]!.address;
    if (behindBridge(domain, bus)) continue;
    const rootPorts = fns.filter((f) => f.busRange !== undefined && isPortType(f, 'root-port'));
    for (const b of fns.filter((f) => f.busRange !== undefined && !rootPorts.includes(f))) leaveOutSubtree(b, 'a bridge on a root bus that is not a PCIe root port (conventional PCI)');
    if (rootPorts.length === 0) {
      leaveOut(fns, 'integrated in the root complex (a root bus without root ports)');
      continue;
    }
    rootComplexes.push({ domain, bus, hostBridges: fns.filter(isHostBridge), rootPorts: rootPorts.map(portNode) });
    leaveOut(onBus.get(k)!.filter((f) => !placed.has(f)), 'integrated in the root complex (no link)');
  }
  // Anything not reached (a bus no bridge leads to, below a bridge that was left out) is already recorded; catch the rest.
  leaveOut(sorted.filter((f) => !placed.has(f)), 'on a bus no root port leads to');
  return { rootComplexes, leftOut: leftOut.sort((a, b) => byAddress(a.fn, b.fn)), hidden: sorted.filter((f) => f.capabilitiesHidden) };
}

function hasEndpoint(s: SwitchNode): boolean {
  return s.downstreamPorts.some((p) => p.below !== undefined && (p.below.node.kind === 'endpoint' || hasEndpoint(p.below.node)));
}

/** The switch's ports, and those of switches below it. */
function switchFunctions(s: SwitchNode): PciFunction[] {
  return [s.upstream, ...s.downstreamPorts.flatMap((p) => [p.fn, ...(p.below?.node.kind === 'switch' ? switchFunctions(p.below.node) : [])])];
}

/**
 * A switch upstream port: by its Express capability, or (capabilities
 * hidden) a bridge with bridges below it; a PCIe-to-PCI bridge has devices.
 */
function isSwitchUpstream(b: PciFunction, below: readonly PciFunction[]): boolean {
  if (!b.capabilitiesHidden) return b.express?.portType === 'upstream-port';
  return below.some((c) => c.busRange !== undefined);
}

/**
 * A bridge of this PCIe port type; with its capabilities hidden, taken to be
 * one (where it sits says what it is). A bridge whose capabilities lspci
 * read but that has no Express capability is a conventional PCI bridge.
 */
function isPortType(b: PciFunction, type: 'root-port' | 'downstream-port'): boolean {
  return b.capabilitiesHidden ? true : b.express?.portType === type;
}

/** The link between a downstream port and the function that faces it; the port's LnkSta, else the far end's. */
function linkBetween(port: PciFunction, far: PciFunction): PciLink {
  const pe = port.express, fe = far.express;
  const status = usable(pe?.linkStatus) ?? usable(fe?.linkStatus);
  const caps = [pe?.linkCapability, fe?.linkCapability];
  const both = caps.every((c) => c !== undefined && c.gen !== undefined);
  return {
    gen: status?.gen,
    width: status?.width,
    capableGen: both ? Math.min(...caps.map((c) => c!.gen!)) : undefined,
    capableWidth: both ? Math.min(...caps.map((c) => c!.width)) : undefined,
  };
}

/** A status that describes a trained link (a known speed, at least one lane). */
function usable(s: LinkState | undefined): LinkState | undefined {
  return s !== undefined && s.gen !== undefined && s.width > 0 ? s : undefined;
}

/** "03:00.0", or "0001:03:00.0" outside domain 0: what users type. */
export function shortBdf(f: PciFunction): string {
  return f.address.domain === 0 ? f.bdf.slice(5) : f.bdf;
}


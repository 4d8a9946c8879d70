/**
 * Reads the text `lspci -vvv` prints (optionally with -nn for numeric IDs,
 * -D for domains) into one record per PCI function: address, class,
 * vendor/device, driver, slot, BARs, bus numbers of a bridge, and from the
 * PCI Express capability its port type, Max_Payload_Size, Max_Read_Request
 * _Size, link capability and status, and from the ACS capability its
 * control bits. Nothing PCIe-topological happens here (pci-tree.ts builds
 * the hierarchy); this file only knows lspci's output format (pciutils
 * ls-caps.c, ls-kernel.c).
 *
 * Without root, lspci prints `Capabilities: <access denied>` instead of the
 * capability list (config space beyond the first 64 bytes is root-only);
 * such a function is marked `capabilitiesHidden`, and everything the
 * capabilities carry stays undefined.
 *
 * Indentation: lspci indents with tabs (depth 1 for the function's lines,
 * 2 for a capability's fields, 3 for a field's continuation lines). A copy
 * whose tabs became spaces is read with the smallest indent as one level.
 */
import { UserError } from '../../../src/scenario/errors.js';

export interface PciAddress {
  domain: number;
  bus: number;
  device: number;
  fn: number;
}

export interface Bar {
  /** BAR number (Region N). */
  index: number;
  /** Bus address, when assigned and below 2^53 (JS numbers hold it exactly). */
  base: number | undefined;
  size: number;
  kind: 'memory' | 'io';
  prefetchable: boolean;
  is64bit: boolean;
  disabled: boolean;
}

export type ExpressPortType =
  | 'root-port' | 'upstream-port' | 'downstream-port' | 'endpoint' | 'legacy-endpoint'
  | 'integrated-endpoint' | 'event-collector' | 'pcie-to-pci-bridge' | 'pci-to-pcie-bridge' | 'unknown';

export interface LinkState {
  /** PCIe generation from the speed (2.5 GT/s = Gen1 ... 64 GT/s = Gen6); undefined for "Speed unknown". */
  gen: number | undefined;
  width: number;
}

export interface ExpressCapability {
  portType: ExpressPortType;
  /** DevCap: the largest Max_Payload_Size the function supports. */
  mpsSupported?: number;
  /** DevCtl: the Max_Payload_Size set. */
  mps?: number;
  /** DevCtl: the Max_Read_Request_Size set. */
  mrrs?: number;
  linkCapability?: LinkState;
  linkStatus?: LinkState;
}

export interface AcsControl {
  requestRedirect: boolean;
  completionRedirect: boolean;
  egressControl: boolean;
}

export interface PciFunction {
  address: PciAddress;
  /** "0000:03:00.0" */
  bdf: string;
  /** Line of the function's header in the file (1-based), for messages. */
  line: number;
  className: string;
  /** Four hex digits, from -nn output ("[0200]") or a class lspci could not name. */
  classCode: string | undefined;
  /** Vendor and device names as lspci prints them, revision and prog-if removed. */
  description: string;
  vendorId: string | undefined;
  deviceId: string | undefined;
  driver: string | undefined;
  slot: string | undefined;
  /** A bridge's bus numbers (type 1 header); undefined for anything else. */
  busRange: { primary: number; secondary: number; subordinate: number } | undefined;
  bars: Bar[];
  express: ExpressCapability | undefined;
  acs: AcsControl | undefined;
  /** `Capabilities: <access denied>`: lspci ran without root. */
  capabilitiesHidden: boolean;
}

/** "00:1f.2 SATA controller: ..." or "0000:00:1f.2 ..." (with -D or a domain other than 0). */
const HEADER = /^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\s+(.*)$/;
/** `lspci -t` draws the tree with these; it carries no capabilities. */
const TREE_OUTPUT = /^[-+|\\ ]*-\[[0-9a-fA-F]{4}:[0-9a-fA-F]{2}\]-/;

const GT_PER_S_TO_GEN: Readonly<Record<string, number>> = { '2.5': 1, '5': 2, '8': 3, '16': 4, '32': 5, '64': 6 };
const SIZE_SUFFIX: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

const EXPRESS_TYPES: readonly [RegExp, ExpressPortType][] = [
  [/^Root Port/, 'root-port'],
  [/^Upstream Port/, 'upstream-port'],
  [/^Downstream Port/, 'downstream-port'],
  [/^Legacy Endpoint/, 'legacy-endpoint'],
  [/^Endpoint/, 'endpoint'],
  [/^Root Complex Integrated Endpoint/, 'integrated-endpoint'],
  [/^Root Complex Event Collector/, 'event-collector'],
  [/^PCI-Express to PCI/, 'pcie-to-pci-bridge'],
  [/^PCI\/PCI-X to PCI-Express/, 'pci-to-pcie-bridge'],
];

/** One indented line below a function's header. */
interface BodyLine { depth: number; text: string; line: number }

/**
 * The functions in `text`, in file order. Throws a UserError naming `file`
 * when the text is not `lspci -vvv` output.
 */
export function parseLspci(file: string, text: string): PciFunction[] {
  if (text.includes('\u0000')) throw notLspci(file, 'it is a binary file');
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const unit = indentUnit(lines);
  const out: PciFunction[] = [];
  let header: { m: RegExpExecArray; line: number } | undefined;
  let body: BodyLine[] = [];
  const flush = () => {
    if (header) out.push(readFunction(header.m, header.line, body));
  };
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const m = /^\S/.test(raw) ? HEADER.exec(raw) : null;
    if (m) {
      flush();
      header = { m, line: i + 1 };
      body = [];
    } else if (header && /^\s/.test(raw)) {
      body.push({ depth: depthOf(raw, unit), text: raw.trim(), line: i + 1 });
    }
  });
  flush();
  if (out.length === 0) {
    if (lines.some((l) => TREE_OUTPUT.test(l))) throw notLspci(file, 'this is the tree `lspci -t` draws, without the details pciesim reads; give the output of `sudo lspci -vvv`');
    throw notLspci(file, 'no line like "00:1f.2 SATA controller: ..." that starts a PCI function');
  }
  if (out.every((f) => f.busRange === undefined && f.bars.length === 0 && f.express === undefined && !f.capabilitiesHidden)) {
    throw notLspci(file, 'it lists PCI functions but none of the details lspci -vvv prints (Bus:, Region, Capabilities); run `sudo lspci -vvv`');
  }
  return out;
}

function notLspci(file: string, why: string): UserError {
  return new UserError(`${file}: not the output of lspci -vvv: ${why}`);
}

/** The smallest indentation in spaces, if the file is indented with spaces at all (tabs count one level each). */
function indentUnit(lines: readonly string[]): number {
  let unit = Infinity;
  for (const l of lines) {
    const m = /^( +)\S/.exec(l);
    if (m) unit = Math.min(unit, m[1]!.length);
  }
  return Number.isFinite(unit) ? unit : 1;
}

function depthOf(raw: string, unit: number): number {
  const tabs = /^\t*/.exec(raw)![0].length;
  if (tabs > 0) return tabs;
  const spaces = /^ */.exec(raw)![0].length;
  return Math.max(1, Math.round(spaces / unit));
}

function hex(s: string): number {
  return Number.parseInt(s, 16);
}

function readFunction(m: RegExpExecArray, line: number, body: readonly BodyLine[]): PciFunction {
  const address: PciAddress = { domain: m[1] ? hex(m[1]) : 0, bus: hex(m[2]!), device: hex(m[3]!), fn: Number(m[4]) };
  const f: PciFunction = {
    address,
    bdf: formatBdf(address),
    line,
    ...readHeaderText(m[5]!),
    driver: undefined,
    slot: undefined,
    busRange: undefined,
    bars: [],
    express: undefined,
    acs: undefined,
    capabilitiesHidden: false,
  };
  // A capability's block: its header line (depth 1) and its fields (depth 2, continued deeper).
  let cap: { title: string; fields: Map<string, string> } | undefined;
  let field: string | undefined;
  const endCapability = () => {
    if (cap) readCapability(f, cap.title, cap.fields);
    cap = undefined;
    field = undefined;
  };
  for (const b of body) {
    if (b.depth <= 1) {
      endCapability();
      const capMatch = /^Capabilities:\s*(.*)$/.exec(b.text);
      if (capMatch) {
        if (/<access denied>/.test(capMatch[1]!)) f.capabilitiesHidden = true;
        else cap = { title: capMatch[1]!.replace(/^\[[0-9a-fA-F]+(?: v\d+)?\]\s*/, ''), fields: new Map() };
        continue;
      }
      readFunctionLine(f, b.text);
      continue;
    }
    if (!cap) continue;
    const fm = /^([A-Za-z0-9]+):\s*(.*)$/.exec(b.text);
    if (b.depth === 2 && fm) {
      field = fm[1]!;
      cap.fields.set(field, fm[2]!);
    } else if (field !== undefined) {
      cap.fields.set(field, `${cap.fields.get(field)} ${b.text}`);
    }
  }
  endCapability();
  return f;
}

export function formatBdf(a: PciAddress): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.device, 2)}.${a.fn}`;
}

/** "Ethernet controller [0200]: Netronome Systems, Inc. Device [19ee:6000] (rev 10)" */
function readHeaderText(rest: string): Pick<PciFunction, 'className' | 'classCode' | 'description' | 'vendorId' | 'deviceId'> {
  const colon = rest.indexOf(': ');
  const classPart = colon < 0 ? rest : rest.slice(0, colon);
  let name = colon < 0 ? '' : rest.slice(colon + 2);
  const cls = /^(.*?)\s*\[([0-9a-fA-F]{4})\]$/.exec(classPart);
  // Trailing "(prog-if ...)" and "(rev ..)" in either order, then the "[vendor:device]" of -nn.
  for (;;) {
    const stripped = name.replace(/\s*\((?:prog-if [^()]*(?:\[[^\]]*\])?|rev [0-9a-fA-F]+)\)\s*$/, '');
    if (stripped === name) break;
    name = stripped;
  }
  const ids = /\s*\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]$/.exec(name);
  if (ids) name = name.slice(0, ids.index);
  return {
    className: cls ? cls[1]! : classPart,
    classCode: cls ? cls[2]!.toLowerCase() : undefined,
    description: name.trim(),
    vendorId: ids ? ids[1]!.toLowerCase() : undefined,
    deviceId: ids ? ids[2]!.toLowerCase() : undefined,
  };
}

/** A depth-1 line: bus numbers, a BAR, the driver, the slot. */
function readFunctionLine(f: PciFunction, text: string): void {
  let m: RegExpExecArray | null;
  if ((m = /^Bus: primary=([0-9a-fA-F]+), secondary=([0-9a-fA-F]+), subordinate=([0-9a-fA-F]+)/.exec(text))) {
    f.busRange = { primary: hex(m[1]!), secondary: hex(m[2]!), subordinate: hex(m[3]!) };
  } else if ((m = /^Region (\d+): (Memory at|I\/O ports at) (\S+)(?: \(([^)]*)\))?(.*)$/.exec(text))) {
    const bar = readBar(Number(m[1]), m[2] === 'Memory at' ? 'memory' : 'io', m[3]!, m[4] ?? '', m[5] ?? '');
    if (bar) f.bars.push(bar);
  } else if ((m = /^Kernel driver in use: (\S+)/.exec(text))) {
    f.driver = m[1]!;
  } else if ((m = /^Physical Slot: (.+)$/.exec(text))) {
    f.slot = m[1]!.trim();
  }
}

/** "Region 0: Memory at e0000000 (64-bit, prefetchable) [size=128M]"; a BAR without a size is left out. */
function readBar(index: number, kind: Bar['kind'], at: string, flags: string, tail: string): Bar | undefined {
  const size = /\[size=(\d+)([KMGT]?)\]/.exec(tail);
  if (!size) return undefined;
  const base = /^[0-9a-fA-F]+$/.test(at) ? BigInt(`0x${at}`) : undefined;
  return {
    index,
    base: base !== undefined && base <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(base) : undefined,
    size: Number(size[1]) * SIZE_SUFFIX[size[2]!]!,
    kind,
    prefetchable: kind === 'memory' && /(^|, )prefetchable/.test(flags),
    is64bit: /64-bit/.test(flags),
    disabled: /\[disabled\]/.test(tail),
  };
}

function readCapability(f: PciFunction, title: string, fields: ReadonlyMap<string, string>): void {
  const express = /^Express (?:\(v\d+\) )?(.*)$/.exec(title);
  if (express) {
    const portType = EXPRESS_TYPES.find(([re]) => re.test(express[1]!))?.[1] ?? 'unknown';
    const devCap = fields.get('DevCap');
    const devCtl = fields.get('DevCtl');
    const ctl = devCtl ? /MaxPayload (\d+) bytes, MaxReadReq (\d+) bytes/.exec(devCtl) : null;
    const cap = devCap ? /MaxPayload (\d+) bytes/.exec(devCap) : null;
    f.express = {
      portType,
      ...(cap ? { mpsSupported: Number(cap[1]) } : {}),
      ...(ctl ? { mps: Number(ctl[1]), mrrs: Number(ctl[2]) } : {}),
      ...optionalLink('linkCapability', fields.get('LnkCap')),
      ...optionalLink('linkStatus', fields.get('LnkSta')),
    };
    return;
  }
  if (/^Access Control Services/.test(title)) {
    const ctl = fields.get('ACSCtl');
    if (ctl === undefined) return;
    const on = (flag: string) => new RegExp(`\\b${flag}\\+`).test(ctl);
    f.acs = { requestRedirect: on('ReqRedir'), completionRedirect: on('CmpltRedir'), egressControl: on('EgressCtrl') };
  }
}

function optionalLink<K extends 'linkCapability' | 'linkStatus'>(key: K, text: string | undefined): Partial<Record<K, LinkState>> {
  if (text === undefined) return {};
  const width = /Width x(\d+)/.exec(text);
  if (!width) return {};
  const speed = /Speed ([\d.]+)GT\/s/.exec(text);
  return { [key]: { gen: speed ? GT_PER_S_TO_GEN[speed[1]!] : undefined, width: Number(width[1]) } } as Partial<Record<K, LinkState>>;
}

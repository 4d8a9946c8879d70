/**
 * A machine's PCI tree (pci-tree.ts) written as a pciesim scenario: the
 * component types of today's PCIe topology (pcie.root-complex with
 * rootPorts, pcie.switch, pcie.endpoint, pcie.link with gen and width; see
 * README "Topologies"), presets chosen by preset-rules.ts, and a P2P study
 * (workloads.p2p-transfer) between two of the machine's endpoints.
 *
 * This is the one place that knows how a scenario spells a topology; when
 * the component model changes (e.g. a root complex's memory becoming a
 * slot), only this file follows.
 *
 * What the model has one of where a machine may have several: one BAR per
 * endpoint (the largest memory BAR; the others are named in the
 * description), one Max_Payload_Size per root complex (the smallest set
 * below it, as Linux's pcie_bus_safe would choose, unless --mps says
 * otherwise), one ACS setting per switch. Host memory is not in lspci: the
 * root complex preset's window is kept unless a BAR lies in it.
 */
import { byteSize, formatBytes } from '../../../src/scenario/units.js';
import { LINK_WIDTHS } from '../link-timing.js';
import { isPowerOfTwo } from '../../../src/util/power-of-two.js';
import { UserError } from '../../../src/scenario/errors.js';
import type { Bar, PciFunction } from './lspci-text.js';
import { shortBdf, type EndpointNode, type PciLink, type PciTree, type PortNode, type RootComplexNode, type SwitchNode } from './pci-tree.js';
import { choosePreset, describe, type HiddenDefault, type PresetRules } from './preset-rules.js';

/** What the writer needs to know of the model library's presets. */
export interface PresetLookup {
  has(name: string): boolean;
  /** A preset's plain value for a parameter, undefined if it sets none. */
  value(preset: string, param: string): unknown;
  /** True if the preset fills the slot. */
  fillsSlot(preset: string, slot: string): boolean;
}

export interface WriterOptions {
  /** The scenario's name. */
  name: string;
  /** What the tree was read from (a file name, for the description). */
  source: string;
  rules: PresetRules;
  presets: PresetLookup;
  /** The two endpoints of the P2P study (instance names or BDFs), initiator first; default: chosen here. */
  p2p?: readonly [string, string];
  /** Max_Payload_Size for every root complex, instead of the smallest one set below it. */
  mps?: number;
}

export interface WrittenScenario {
  scenario: Record<string, unknown>;
  warnings: string[];
  summary: string[];
}

/** Host memory moved out of the way of BARs starts on a GiB boundary: aligned for 2 MiB IOMMU pages, and readable. */
const HOST_MEMORY_ALIGN_BYTES = 1024 ** 3;
const P2P_NAME = 'p2p';
/** The memory behind a BAR whose device preset has none. */
const GENERIC_BAR_MEMORY = 'generic-device-memory';
const LINK = 'pcie.link';

// ---------------------------------------------------------------- names

/** "03-00-0", with the domain in front outside domain 0: unique per function. */
function bdfSuffix(f: PciFunction): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  const a = f.address;
  return `${a.domain === 0 ? '' : `${a.domain.toString(16).padStart(4, '0')}-`}${h(a.bus)}-${h(a.device)}-${a.fn}`;
}

/** Letters, digits, "_" and "-", starting with a letter or "_" (the scenario's instance names). */
function instanceName(raw: string): string {
  const s = raw.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
  return /^[A-Za-z_]/.test(s) ? s : `pci-${s}`;
}

/** What a user recognises: the driver, else the slot, else the class; then the BDF. */
export function endpointName(f: PciFunction): string {
  const label = f.driver ?? (f.slot !== undefined ? `slot${f.slot}` : f.className.split(/\s+/).slice(0, 2).join('-').toLowerCase());
  return instanceName(`${label}-${bdfSuffix(f)}`);
}

const switchName = (s: SwitchNode) => `switch-${bdfSuffix(s.upstream)}`;
const rootComplexName = (rc: RootComplexNode, domains: number) =>
  domains > 1 || rc.domain !== 0 ? `rc-${rc.domain.toString(16).padStart(4, '0')}-${rc.bus.toString(16).padStart(2, '0')}` : `rc-${rc.bus.toString(16).padStart(2, '0')}`;

// ---------------------------------------------------------------- the writer

interface PlacedEndpoint {
  node: EndpointNode;
  name: string;
  rc: string;
  /** Switches above it, nearest first (names), then its root complex. */
  above: string[];
  bar: Bar | undefined;
}

export function writeScenario(tree: PciTree, o: WriterOptions): WrittenScenario {
  if (tree.rootComplexes.length === 0) throw new UserError(`${o.source}: no PCIe root port found: every function sits on a root bus (integrated devices, or a virtual machine's flat bus); nothing to simulate`);
  const w = new Writer(tree, o);
  return w.write();
}

class Writer {
  private readonly components: Record<string, unknown>[] = [];
  private readonly links: Record<string, unknown>[] = [];
  private readonly parameters: Record<string, unknown> = {};
  private readonly warnings: string[] = [];
  private readonly caveats: string[] = [];
  private readonly estimated = new Set<string>();
  private readonly downTrained: string[] = [];
  private readonly endpoints: PlacedEndpoint[] = [];
  private readonly switchAcs = new Map<string, boolean>();
  /** One line per element, with its depth in the tree, for the description and the summary. */
  private readonly lines: { depth: number; text: string }[] = [];
  private readonly memoryBase = new Map<string, number>();

  constructor(private readonly tree: PciTree, private readonly o: WriterOptions) {}

  write(): WrittenScenario {
    const domains = new Set(this.tree.rootComplexes.map((rc) => rc.domain)).size;
    for (const rc of this.tree.rootComplexes) this.rootComplex(rc, rootComplexName(rc, domains));
    const study = this.p2pStudy();
    this.collectWarnings();
    const scenario: Record<string, unknown> = {
      name: this.o.name,
      description: this.description(study),
      seed: 1,
      parameters: this.parameters,
      components: study ? [...this.components, study.component] : this.components,
      links: this.links,
    };
    if (study) {
      scenario.sweep = { grid: { path: study.paths, op: ['read', 'write'] }, replications: 1 };
      scenario.report = {
        plots: [{ metric: `${P2P_NAME}.throughput_gbytes_per_s`, x: 'path', series: 'op', title: `P2P throughput ${study.from} → ${study.to} (GB/s)` }],
        tables: [{ title: 'P2P throughput (GB/s): direct or bounced through host memory', metric: `${P2P_NAME}.throughput_gbytes_per_s`, rows: 'op', columns: 'path', best: 'max' }],
      };
    }
    return { scenario, warnings: this.warnings, summary: this.summary(study) };
  }

  // ---- elements

  private rootComplex(rc: RootComplexNode, name: string): void {
    const choice = choosePreset(this.o.rules.rootComplexes, this.o.rules.fallback.rootComplex, [...rc.hostBridges, ...rc.rootPorts.map((p) => p.fn)], (n) => this.o.presets.has(n));
    if (choice.caveat) this.caveats.push(`${name}: ${choice.caveat}`);
    const mps = this.rootComplexMps(rc, name);
    const params: Record<string, unknown> = { rootPorts: rc.rootPorts.length, mps, ...choice.params };
    this.components.push({ name, type: 'pcie.root-complex', preset: choice.preset, params });
    const bdf = rc.domain.toString(16).padStart(4, '0') + ':' + rc.bus.toString(16).padStart(2, '0');
    this.lines.push({ depth: 0, text: `${name}: root bus ${bdf}${rc.hostBridges[0] ? `, host bridge ${describe(rc.hostBridges[0])}` : ''}, preset ${choice.preset}; ` +
      rc.rootPorts.map((p, k) => `rp${k} = ${shortBdf(p.fn)}`).join(', ') });
    rc.rootPorts.forEach((p, k) => this.below(p, `${name}.rp${k}`, mps, name, []));
    const base = this.placeHostMemory(name, choice.preset, params);
    this.memoryBase.set(name, base);
  }

  /** What hangs from a downstream port, and the link to it. */
  private below(port: PortNode, portRef: string, mps: number | string, rc: string, above: string[]): void {
    if (port.below === undefined) return;
    const { node, link } = port.below;
    // The link first, so links read top-down in the file.
    const child = node.kind === 'switch' ? switchName(node) : endpointName(node.fn);
    this.links.push({ name: `${child}-link`, type: LINK, preset: 'pcie-link', a: portRef, b: `${child}.up`, params: this.linkParams(link, child) });
    if (node.kind === 'switch') this.switchElement(node, mps, rc, above);
    else this.endpoint(node, mps, rc, above);
  }

  private switchElement(s: SwitchNode, mps: number | string, rc: string, above: string[]): void {
    const name = switchName(s);
    const choice = choosePreset(this.o.rules.switches, this.o.rules.fallback.switch, [s.upstream], (n) => this.o.presets.has(n));
    if (choice.caveat) this.caveats.push(`${name}: ${choice.caveat}`);
    const params: Record<string, unknown> = { ports: s.downstreamPorts.length + 1, ...choice.params };
    const supported = s.upstream.express?.mpsSupported;
    if (supported !== undefined) params.maxPayloadSize = supported;
    if (this.o.mps !== undefined && supported !== undefined && supported < this.o.mps) {
      throw new UserError(`--mps ${this.o.mps}: switch ${name} (${describe(s.upstream)}) supports at most ${supported} bytes`);
    }
    const acs = this.acsRedirect(s, name);
    if (acs !== undefined) params.acsRedirect = acs;
    this.switchAcs.set(name, acs ?? false);
    this.components.push({ name, type: 'pcie.switch', preset: choice.preset, params });
    this.lines.push({ depth: above.length + 1, text: `${name}: ${describe(s.upstream)}, preset ${choice.preset}; ` + s.downstreamPorts.map((p, k) => `dp${k} = ${shortBdf(p.fn)}`).join(', ') });
    s.downstreamPorts.forEach((p, k) => this.below(p, `${name}.dp${k}`, mps, rc, [name, ...above]));
  }

  private endpoint(e: EndpointNode, mps: number | string, rc: string, above: string[]): void {
    const f = e.fn;
    const name = endpointName(f);
    const preset = choosePreset(this.o.rules.endpoints, this.o.rules.fallback.endpoint, [f], (n) => this.o.presets.has(n));
    if (preset.caveat) this.caveats.push(`${name}: ${preset.caveat}`);
    const a = f.address;
    const params: Record<string, unknown> = { requesterId: (a.bus << 8) | (a.device << 3) | a.fn, mps, ...preset.params };
    const slots: Record<string, unknown> = { dma: { params: { mrrs: f.express?.mrrs ?? this.hidden('mrrs') } } };
    const bar = modelledBar(f.bars);
    if (bar) {
      params.barBase = bar.base;
      params.barSize = bar.size;
      // A device whose preset has no memory behind a BAR gets the generic estimate.
      if (!this.o.presets.fillsSlot(preset.preset, 'bar')) slots.bar = { type: 'memory.dram', preset: GENERIC_BAR_MEMORY };
    }
    this.components.push({ name, type: 'pcie.endpoint', preset: preset.preset, params, slots });
    this.endpoints.push({ node: e, name, rc, above: [...above, rc], bar });
    const others = f.bars.filter((b) => b !== bar).map(formatBar);
    this.lines.push({ depth: above.length + 1, text: `${name} = ${describe(f)}, preset ${preset.preset}` + (bar ? `; BAR ${bar.index} ${formatBar(bar)} modelled` : '; no memory BAR') +
      (others.length ? `; also ${others.join(', ')}` : '') + (e.folded.length ? `; shares its link with ${e.folded.map(shortBdf).join(', ')}` : '') });
  }

  private linkParams(link: PciLink, child: string): Record<string, unknown> {
    const width = link.width === undefined ? undefined : LINK_WIDTHS.filter((x) => x <= link.width!).pop();
    if (link.width !== undefined && width !== link.width) this.warnings.push(`${child}-link: x${link.width} is not a width the link model takes; x${width} used`);
    if (link.gen !== undefined && link.width !== undefined && link.capableGen !== undefined && link.capableWidth !== undefined &&
      (link.gen < link.capableGen || link.width < link.capableWidth)) {
      this.downTrained.push(`${child} runs at Gen${link.gen} x${link.width} where both ends support Gen${link.capableGen} x${link.capableWidth}`);
    }
    return { gen: link.gen ?? this.hidden('gen'), width: width ?? this.hidden('width') };
  }

  // ---- values the model takes one of

  /**
   * The smallest Max_Payload_Size set on a linked root port or anything below
   * one (or --mps); with nothing linked, the smallest set on its root ports.
   */
  private rootComplexMps(rc: RootComplexNode, name: string): number | string {
    const linked = new Map<number, string[]>();
    let switchLimit = Infinity;
    const note = (f: PciFunction, into: Map<number, string[]>) => {
      const v = f.express?.mps;
      if (v !== undefined) into.set(v, [...(into.get(v) ?? []), shortBdf(f)]);
    };
    const walk = (p: PortNode) => {
      if (p.below === undefined) return;
      note(p.fn, linked);
      const n = p.below.node;
      if (n.kind === 'endpoint') note(n.fn, linked);
      else {
        note(n.upstream, linked);
        switchLimit = Math.min(switchLimit, n.upstream.express?.mpsSupported ?? Infinity);
        n.downstreamPorts.forEach(walk);
      }
    };
    rc.rootPorts.forEach(walk);
    if (this.o.mps !== undefined) return this.o.mps;
    const ports = new Map<number, string[]>();
    for (const p of rc.rootPorts) note(p.fn, ports);
    const seen = linked.size > 0 ? linked : ports;
    if (seen.size === 0) return this.hidden('mps');
    const values = [...seen.keys()].sort((x, y) => x - y);
    if (values.length > 1 && seen === linked) {
      const larger = values.filter((v) => v <= switchLimit).pop()!;
      this.warnings.push(`${name}: Max_Payload_Size differs below it (${values.map((v) => `${v} B at ${seen.get(v)!.join(', ')}`).join('; ')}); ` +
        `the model takes one per root complex: ${values[0]} B, the smallest` +
        (larger > values[0]! ? ` (import with --mps ${larger} to model the larger)` : ` (a switch below supports no more than ${switchLimit} B)`));
    }
    return values[0]!;
  }

  /** ACS P2P redirect as Linux reads it (drivers/pci/p2pdma.c: Request, Completion Redirect or Egress Control set). */
  private acsRedirect(s: SwitchNode, name: string): boolean | undefined {
    const known = s.downstreamPorts.filter((p) => !p.fn.capabilitiesHidden);
    if (known.length === 0 && s.downstreamPorts.length > 0) {
      this.estimated.add('ACS redirect of switches (taken as off)');
      return undefined;
    }
    const on = known.filter((p) => p.fn.acs && (p.fn.acs.requestRedirect || p.fn.acs.completionRedirect || p.fn.acs.egressControl));
    if (on.length > 0 && on.length < known.length) {
      this.warnings.push(`${name}: ACS redirect is on at ${on.map((p) => shortBdf(p.fn)).join(', ')} only; the model has one setting per switch: on`);
    }
    return on.length > 0;
  }

  /** A value lspci did not show: a scenario parameter with the estimate as its default. */
  private hidden(what: HiddenDefault): string {
    const d = this.o.rules.hidden[what];
    if (!(what in this.parameters)) {
      this.parameters[what] = { default: d.value, description: `${d.source} (plausible ${d.range[0]}-${d.range[1]}); --set it to what the machine has` };
    }
    this.estimated.add({ gen: 'link generation', width: 'link width', mps: 'Max_Payload_Size', mrrs: 'Max_Read_Request_Size' }[what] + ` (parameter ${what}, default ${d.value})`);
    return `$${what}`;
  }

  /**
   * The root complex preset's host memory window, unless a BAR below lies in
   * it: then the first GiB-aligned window of the same size clear of every BAR.
   */
  private placeHostMemory(rc: string, preset: string, params: Record<string, unknown>): number {
    const base = byteSize().parse(this.o.presets.value(preset, 'memoryBase'));
    const size = byteSize().parse(this.o.presets.value(preset, 'memorySize'));
    const bars = this.endpoints.filter((e) => e.rc === rc && e.bar).map((e) => e.bar!);
    const clear = (b: number) => bars.every((x) => x.base! + x.size <= b || x.base! >= b + size);
    if (clear(base)) return base;
    const align = (x: number) => Math.ceil(x / HOST_MEMORY_ALIGN_BYTES) * HOST_MEMORY_ALIGN_BYTES;
    const moved = bars.map((x) => align(x.base! + x.size)).filter((b) => b > base).sort((x, y) => x - y).find(clear)!;
    params.memoryBase = moved;
    this.warnings.push(`${rc}: a BAR lies in preset ${preset}'s host memory [${hexAddr(base)}, ${hexAddr(base + size)}); host memory placed at ${hexAddr(moved)} instead (lspci does not show where RAM is)`);
    return moved;
  }

  // ---- the P2P study

  private p2pStudy(): { component: Record<string, unknown>; from: string; to: string; paths: string[] } | undefined {
    const pair = this.o.p2p ? this.namedPair(this.o.p2p) : this.defaultPair();
    if (pair === undefined) {
      this.warnings.push('no two endpoints below one root complex, one of them with a memory BAR: the scenario has no P2P study (add a workloads.p2p-transfer by hand, see scenarios/p2p-paths.json)');
      return undefined;
    }
    const [from, to] = pair;
    const common = from.above.find((n) => to.above.includes(n))!;
    const kind = common === from.rc ? 'rootcomplex' : this.switchAcs.get(common) ? 'acs' : 'switch';
    const study = this.o.rules.p2pStudy;
    const size = Math.min(study.size.value, to.bar!.size);
    this.parameters.path = { default: kind, values: [kind, 'bounce'], description: `${kind === 'rootcomplex' ? 'Through the root complex' : kind === 'acs' ? 'Up to the root complex by ACS redirect and back' : 'Below switch ' + common}, as the topology connects them, or bounced through host memory (two DMA transfers)` };
    this.parameters.op = { default: 'write', values: ['read', 'write'], description: `write: ${from.name} pushes into ${to.name}'s BAR; read: it pulls from it` };
    this.parameters.size = { default: size, unit: 'B', description: `Bytes per transfer (${study.size.source})` };
    this.parameters.transfers = { default: study.transfers.value, description: `Transfers per run (${study.transfers.source})` };
    const route = { from: from.name, to: to.name };
    return {
      from: from.name, to: to.name, paths: [kind, 'bounce'],
      component: {
        name: P2P_NAME, type: 'workloads.p2p-transfer',
        params: { path: '$path', op: '$op', size: '$size', transfers: '$transfers', bounceBase: this.memoryBase.get(from.rc), routes: { [kind]: route, bounce: route } },
      },
    };
  }

  /** The initiator and target the user named (instance names or BDFs). */
  private namedPair([a, b]: readonly [string, string]): [PlacedEndpoint, PlacedEndpoint] {
    const find = (s: string) => {
      const e = this.endpoints.find((x) => x.name === s || x.node.fn.bdf === s || shortBdf(x.node.fn) === s);
      if (!e) throw new UserError(`--p2p: "${s}" is no endpoint of the imported machine; endpoints: ${this.endpoints.map((x) => `${x.name} (${shortBdf(x.node.fn)})`).join(', ')}`);
      return e;
    };
    const from = find(a), to = find(b);
    if (from === to) throw new UserError(`--p2p: "${a}" and "${b}" are the same endpoint`);
    if (from.rc !== to.rc) throw new UserError(`--p2p: ${from.name} is below ${from.rc} and ${to.name} below ${to.rc}: the model has no path between root complexes (QPI/UPI/Infinity Fabric are not modelled)`);
    if (!to.bar) throw new UserError(`--p2p: ${to.name}, the target, has no memory BAR to transfer to`);
    return [from, to];
  }

  /** Below the first root complex that has one: the endpoint with the largest BAR as target, the first other endpoint as initiator. */
  private defaultPair(): [PlacedEndpoint, PlacedEndpoint] | undefined {
    for (const rc of new Set(this.endpoints.map((e) => e.rc))) {
      const here = this.endpoints.filter((e) => e.rc === rc);
      const targets = here.filter((e) => e.bar).sort((x, y) => y.bar!.size - x.bar!.size);
      const to = targets[0];
      const from = here.find((e) => e !== to);
      if (to && from) return [from, to];
    }
    return undefined;
  }

  // ---- what the user reads

  private collectWarnings(): void {
    if (this.caveats.length) this.warnings.unshift(`presets standing in for what pciesim has no figures for (their values are estimates):${this.caveats.map((c) => `\n  ${c}`).join('')}`);
    if (this.downTrained.length) this.warnings.push(`down-trained link${this.downTrained.length > 1 ? 's' : ''} (check the slot, riser or seating):${this.downTrained.map((d) => `\n  ${d}`).join('')}`);
    const hidden = this.tree.hidden;
    if (hidden.length > 0 || this.estimated.size > 0) {
      const who = hidden.length > 0 ? `lspci could not read the capabilities of ${hidden.length} function${hidden.length > 1 ? 's' : ''} ("Capabilities: <access denied>": run it as root, sudo lspci -vvv)` : 'lspci showed no value for some (output of lspci -v rather than -vvv, or a link it could not read)';
      const inferred = hidden.some((f) => f.busRange !== undefined) ? ['port types (inferred from the bus numbers)'] : [];
      this.warnings.push(`${who}; estimated instead: ${[...this.estimated, ...inferred].join(', ')}`);
    }
  }

  /** One line per element (reports show the first as the lead and the rest as a list). */
  private description(study: { from: string; to: string } | undefined): string {
    const left = this.tree.leftOut.length;
    return [
      `This machine as lspci saw it (imported by pciesim import lspci from ${this.o.source}).`,
      ...this.lines.map((l) => `${l.text}.`),
      left ? `Left out: ${left} function${left > 1 ? 's' : ''} without a PCIe link of their own (integrated in a root complex, conventional PCI, or sharing a modelled function's link).` : '',
      study ? `P2P study: ${study.from} to ${study.to}'s BAR, directly or bounced through host memory; sweep it, or --set path, op, size.` : '',
    ].filter((s) => s !== '').join('\n');
  }

  private summary(study: { from: string; to: string; paths: string[] } | undefined): string[] {
    const count = (type: string) => this.components.filter((c) => c.type === type).length;
    return [
      `${count('pcie.root-complex')} root complex(es), ${count('pcie.switch')} switch(es), ${count('pcie.endpoint')} endpoint(s), ${this.links.length} link(s); ${this.tree.leftOut.length} function(s) left out (no PCIe link of their own)`,
      ...this.lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`),
      study ? `P2P study: ${study.from} → ${study.to}, path ${study.paths.join(' or ')}` : 'no P2P study',
    ];
  }
}

/** The endpoint's largest memory BAR with an address (a prefetchable one on a tie): the one the model gives it. */
function modelledBar(bars: readonly Bar[]): Bar | undefined {
  const usable = bars.filter((b) => b.kind === 'memory' && b.base !== undefined && isPowerOfTwo(b.size) && b.base % b.size === 0);
  return usable.sort((x, y) => y.size - x.size || Number(y.prefetchable) - Number(x.prefetchable) || x.index - y.index)[0];
}

function formatBar(b: Bar): string {
  const kind = b.kind === 'io' ? 'I/O' : `${b.is64bit ? '64-bit' : '32-bit'}${b.prefetchable ? ' prefetchable' : ''}`;
  return `${formatBytes(b.size)} ${kind}${b.base !== undefined ? ` at ${hexAddr(b.base)}` : ''}`;
}

function hexAddr(x: number): string {
  return `0x${x.toString(16)}`;
}

/**
 * The DMA-path study component: one endpoint's DMA engine on a link to a
 * root complex and host memory (root-complex.ts buildDmaPath), driven by a
 * closed-loop stream of equal transfers, all reads or all writes.
 *
 * Parameters are the DMA path's flat "<section>.<param>" keys (as presets
 * such as pcie-gen3x8-xeon-e5 give them; every field of every section is
 * listed with its description and default) plus the workload: op,
 * transferSize, transfers, inFlight, pattern, window, alignment.
 *
 * It reports the simulated throughput next to the closed-form, link-bound
 * throughput of dma-throughput.ts for the same configuration, so a report
 * shows where the model departs from the formula: small reads, bound by the
 * transfers in flight over the issue latency plus the round trip (Little's
 * law); any size, when the engine's descriptor rate (issueInterval) is
 * slower than a transfer's link time; short runs, by the first transfer's
 * latency. Otherwise the link sets the pace and the two agree.
 *
 * Left out on purpose:
 *  - attribution (link / root complex / memory / device per transfer): the
 *    path's components do not stamp per-TLP residence times, and splitting
 *    a transfer whose TLPs overlap across components needs that; a ledger
 *    built from guesses would be fake, so none is reported;
 *  - run.warmup: the engine's statistics cover the whole run (a closed loop
 *    of equal transfers has no transient worth cutting beyond the first
 *    round trip, which `transfers` amortises).
 */
import { z } from 'zod';
import type { Component, ComponentContext, ComponentType, MetricValue, StatDecl } from '../../src/scenario/registry.js';
import { byteSize, duration } from '../../src/scenario/units.js';
import { PS_PER_S } from '../../src/sim/time.js';
import { distribution } from '../../src/run/metrics.js';
import { WindowedCounter } from '../../src/stats/windows.js';
import { Histogram } from '../../src/stats/histogram.js';
import { DmaStream, PAGE_BYTES, SPEC_DEFAULT_TAGS, dmaWorkloadShape, type DescriptorListener, type DmaWorkloadParams } from '../pcie/dma-engine.js';
import { dmaReadThroughput, dmaWriteThroughput } from '../pcie/dma-throughput.js';
import { endpointParams } from '../pcie/endpoint.js';
import { prefixedShape, takePrefixed } from '../pcie/sections.js';
import { dmaEngineInvariants, linkDirectionInvariants } from '../pcie/conservation.js';
import { Iommu, iommuColumnDecls, iommuColumns } from '../iommu/iommu.js';
import { iommuParams, type IommuParams } from '../iommu/params.js';
import type { LinkWidth, PcieGen } from '../pcie/link-timing.js';
import { memoryParams } from '../pcie/memory.js';
import { buildDmaPath, dmaPathLinkParams, rootComplexParams, type DmaPath, type DmaPathParams } from '../pcie/root-complex.js';
import { ADDRESS_32BIT_LIMIT, type CompletionMode, type ReadCompletionBoundary, type TransferSize } from '../pcie/tlp.js';

// ---------------------------------------------------------------- parameters

/** The IOMMU parameter group's key prefix, and its page sizes by name. */
const IOMMU = 'iommu';
const PAGE_BYTES_BY_NAME = { '4k': 4096, '2m': 2 * 1024 * 1024 } as const;

/** Descriptors that are reads, by op. */
const READ_FRACTION = { read: 1, write: 0, readwrite: 0.5 } as const;

/** Decimal GB/s, as dma-throughput.ts and the memory model use: 1 GB/s = 10^9 bytes/s. */
const BYTES_PER_GB = 1e9;

/**
 * Transfers per run when a scenario does not say: enough that the first
 * round trip and the last transfer's drain are well under 1 % of a
 * link-bound run at every size from 64 B up.
 */
export const DEFAULT_TRANSFERS = 1000;
/**
 * Descriptors kept in flight by default: one per read tag of an engine
 * without Extended Tags (SPEC_DEFAULT_TAGS), so small reads can use every tag.
 */
export const DEFAULT_IN_FLIGHT = SPEC_DEFAULT_TAGS;
/**
 * The address window the transfers walk, from memory.base. The memory model
 * has no footprint-dependent cache, so the window changes no timing; 64 MiB
 * holds a thousand 64 KiB transfers.
 */
export const DEFAULT_WINDOW_BYTES = 64 * 1024 * 1024;
/** Windows the throughput series is cut into when `throughputWindow` is not given (a readable line plot). */
export const DEFAULT_SERIES_WINDOWS = 100;

/** Endpoint keys that belong to the endpoint's built-in generator: this component drives the engine itself. */
const ENDPOINT_WORKLOAD_KEYS = new Set(Object.keys(dmaWorkloadShape));

/** The DMA path's sections, their full schemas (with cross-field checks), and the fields this component exposes. */
const SECTIONS = {
  endpoint: endpointParams,
  link: dmaPathLinkParams,
  rootComplex: rootComplexParams,
  memory: memoryParams,
} as const;
type Section = keyof typeof SECTIONS;
const SECTION_NAMES = Object.keys(SECTIONS) as Section[];

/** Every section field as a flat "<section>.<param>" zod field, but the endpoint's own generator's (shared with other DMA-path workloads). */
export function dmaPathFlatShape(): Record<string, z.ZodType> {
  const all = SECTION_NAMES.flatMap((section) => Object.entries(prefixedShape(section, SECTIONS[section])));
  return Object.fromEntries(all.filter(([k]) => !(k.startsWith('endpoint.') && ENDPOINT_WORKLOAD_KEYS.has(k.slice('endpoint.'.length)))));
}

const workloadShape = {
  op: z.enum(['read', 'write', 'readwrite']).describe("'read' (MRd out, CplD back), 'write' (posted MWr) or 'readwrite' (each transfer a read or a write, even odds)"),
  transferSize: byteSize().refine((b) => b > 0, { message: 'expected a positive size' }).describe('Bytes per transfer (one DMA descriptor), e.g. "4 KiB"'),
  transfers: z.number().int().positive().default(DEFAULT_TRANSFERS).describe('Transfers in all'),
  inFlight: z.number().int().min(1).default(DEFAULT_IN_FLIGHT).describe('Descriptors kept submitted and not done (closed loop)'),
  pattern: z.enum(['sequential', 'random']).default('sequential').describe("'sequential' walks the window and wraps; 'random' picks aligned addresses in it"),
  window: byteSize().default(DEFAULT_WINDOW_BYTES).describe('Bytes of memory, from memory.base, the transfers address'),
  alignment: byteSize().default(PAGE_BYTES).describe("Alignment of 'random' addresses (default 4 KiB)"),
  throughputWindow: duration().optional().describe(`Width of the windows of the throughput series (default: the run cut into ${DEFAULT_SERIES_WINDOWS})`),
  iommu: z.enum(['off', 'on']).default('off').describe("'on': the root complex translates every request through an IOMMU (iommu.* parameters), the window identity-mapped"),
  pageSize: z.enum(['4k', '2m']).default('4k').describe('IOMMU page size of the window mapping'),
  ...prefixedShape(IOMMU, iommuParams),
};
type Workload = z.output<z.ZodObject<typeof workloadShape>>;
/** The parsed parameters: the workload fields and the flat path keys. */
export type DmaPathStudyParams = Workload & Record<string, unknown>;

/** The flat values regrouped into the sections buildDmaPath takes (no re-parsing: fields are parsed already). */
function regroup(flat: Record<string, unknown>): Record<Section, Record<string, unknown>> {
  return Object.fromEntries(SECTION_NAMES.map((section) => [section, takePrefixed(flat, section)])) as Record<Section, Record<string, unknown>>;
}

/**
 * The flat fields, then cross-field checks. The checks run only once every
 * field parsed, so a bad field is reported once, by its own schema, and
 * nothing is checked against half-parsed values.
 */
const params = z.strictObject({ ...dmaPathFlatShape(), ...workloadShape }).superRefine((parsed, ctx) => {
  const flat = parsed as Record<string, unknown>;
  const sections = regroup(flat);
  // Cross-field checks of each section (e.g. p2pReadBandwidth required when throttled), reported at their flat keys.
  for (const section of SECTION_NAMES) {
    const r = (SECTIONS[section] as z.ZodType).safeParse(sections[section]);
    if (r.success) continue;
    for (const issue of r.error.issues) {
      const [head, ...rest] = issue.path;
      ctx.addIssue({ code: 'custom', path: [head === undefined ? section : `${section}.${String(head)}`, ...rest], message: issue.message });
    }
  }
  const w = flat as unknown as Workload;
  if (flat['endpoint.mps'] !== flat['rootComplex.mps']) {
    ctx.addIssue({ code: 'custom', path: ['rootComplex.mps'], message: `must equal endpoint.mps (${String(flat['endpoint.mps'])}): one Max_Payload_Size per link` });
  }
  const memSize = flat['memory.size'] as number;
  if (w.window > memSize) ctx.addIssue({ code: 'custom', path: ['window'], message: `the window (${w.window} B) must lie inside the memory (memory.size ${memSize} B)` });
  if (w.transferSize > w.window) ctx.addIssue({ code: 'custom', path: ['transferSize'], message: `a transfer (${w.transferSize} B) must fit in the window (${w.window} B)` });
  if (w.alignment <= 0) ctx.addIssue({ code: 'custom', path: ['alignment'], message: 'expected a positive alignment' });
}, { when: (payload) => payload.issues.length === 0 });

// ---------------------------------------------------------------- statistics

const stats: readonly StatDecl[] = [
  { name: 'throughput_gbps', unit: 'GB/s', description: 'Payload bytes moved / (first submission to last transfer done), 1 GB/s = 10^9 B/s' },
  { name: 'expected_gbps', unit: 'GB/s', description: 'Closed-form link-bound throughput for the same transfer and link (dma-throughput.ts, pcie-bench model); null for readwrite, which has no closed form there' },
  { name: 'latency_ns', unit: 'ns', description: 'Transfer latency: submission to done (write: last TLP on the wire; read: last completion), queueing behind the other transfers in flight included', kind: 'distribution' },
  { name: 'transfers_done', unit: 'transfers', description: 'Transfers finished, failed ones included' },
  { name: 'transfers_failed', unit: 'transfers', description: 'Transfers with a read request that timed out' },
  { name: 'completion_timeouts', unit: 'requests', description: 'Read requests abandoned after the completion timeout' },
  { name: 'tlps_upstream', unit: 'TLPs', description: 'TLPs sent endpoint → root complex (MRd, MWr)' },
  { name: 'tlps_downstream', unit: 'TLPs', description: 'TLPs sent root complex → endpoint (CplD)' },
  ...iommuColumnDecls('IOMMU (when on): '),
  { name: 'link_utilization', unit: 'fraction', description: 'Busy fraction (TLPs, DLLPs, SKPs) of the link direction carrying the data: upstream for writes, downstream for reads, the busier of the two for readwrite' },
];

// ---------------------------------------------------------------- the component


class DmaPathStudy implements Component, DescriptorListener {
  private readonly path: DmaPath;
  private readonly sections: DmaPathParams;
  private readonly stream: DmaStream;
  /** Completion time (ps) and bytes of every transfer done, for the throughput series. */
  private readonly doneAt: Float64Array;
  private readonly doneBytes: Float64Array;
  private doneCount = 0;
  private readonly iommu: Iommu | null;

  constructor(private readonly ctx: ComponentContext, private readonly p: DmaPathStudyParams) {
    this.sections = regroup(p) as unknown as DmaPathParams;
    this.path = buildDmaPath(ctx.sim, this.sections, { tracer: ctx.tracer });
    this.iommu = p.iommu === 'on' ? this.attachIommu() : null;
    const workload: DmaWorkloadParams = {
      descriptors: p.transfers,
      descriptorSize: p.transferSize,
      readFraction: READ_FRACTION[p.op],
      addressPattern: p.pattern,
      windowBase: this.sections.memory.base,
      windowSize: p.window,
      alignment: p.alignment,
      outstandingDescriptors: p.inFlight,
    };
    const engine = this.path.endpoint.dma;
    this.stream = new DmaStream(engine, workload, ctx.rng('addresses'), ctx.rng('ops'));
    // The stream made itself the engine's listener; stand in front of it to time each transfer.
    engine.listener = this;
    this.doneAt = new Float64Array(p.transfers);
    this.doneBytes = new Float64Array(p.transfers);
  }

  start(): void {
    this.stream.start();
  }

  /** An IOMMU on the root complex, the endpoint in a domain of its own, the transfer window identity-mapped in pages of pageSize. */
  private attachIommu(): Iommu {
    const p = this.p;
    const mmu = new Iommu(this.ctx.sim, takePrefixed(p, IOMMU) as IommuParams, `${this.ctx.name}/iommu`);
    const domain = mmu.createDomain();
    mmu.attach(this.sections.endpoint.requesterId, domain);
    const page = PAGE_BYTES_BY_NAME[p.pageSize];
    const base = this.sections.memory.base;
    if (base % page !== 0) throw new Error(`${this.ctx.name}: memory.base must be ${p.pageSize}-aligned to map the window in ${p.pageSize} pages`);
    mmu.map(domain, base, base, Math.ceil(p.window / page) * page, page);
    this.path.rootComplex.translate = mmu.translate;
    return mmu;
  }

  descriptorDone(_id: number, ok: boolean): void {
    const i = this.doneCount++;
    this.doneAt[i] = this.ctx.sim.now;
    this.doneBytes[i] = ok ? this.p.transferSize : 0;
    this.stream.descriptorDone();
  }

  /** The closed-form link-bound throughput, bytes/s, for this transfer size and link (first transfer's 4 KiB offset). */
  private expected(): number {
    const { endpoint, link, rootComplex, memory } = this.sections;
    const base = {
      gen: link.gen as PcieGen,
      width: link.width as LinkWidth,
      mps: endpoint.mps as TransferSize,
      addr64: memory.base >= ADDRESS_32BIT_LIMIT,
      ecrc: endpoint.ecrc,
      offset: memory.base % PAGE_BYTES,
      dllp: link.dllp,
    };
    const size = this.p.transferSize;
    return this.p.op === 'write'
      ? dmaWriteThroughput(size, base)
      : dmaReadThroughput(size, { ...base, mrrs: endpoint.mrrs as TransferSize, rcb: rootComplex.rcb as ReadCompletionBoundary, rcbMode: rootComplex.completionMode as CompletionMode });
  }

  /** The direction carrying the data (a mix: the busier one). */
  private dataUtilization(): number {
    const up = this.path.link.aToB.stats().utilization, down = this.path.link.bToA.stats().utilization;
    return this.p.op === 'write' ? up : this.p.op === 'read' ? down : Math.max(up, down);
  }

  metrics(): Record<string, MetricValue> {
    const engine = this.path.endpoint.dma;
    const s = engine.stats();
    return {
      throughput_gbps: s.throughput / BYTES_PER_GB,
      expected_gbps: this.p.op === 'readwrite' ? null : this.expected() / BYTES_PER_GB,
      // The engine's histograms are in ns already.
      latency_ns: distribution(this.p.op === 'read' ? engine.readLatency : this.p.op === 'write' ? engine.writeLatency : new Histogram().merge(engine.readLatency).merge(engine.writeLatency)),
      transfers_done: s.descriptorsDone,
      transfers_failed: s.descriptorsFailed,
      completion_timeouts: s.completionTimeouts,
      tlps_upstream: this.path.link.aToB.stats().tlpsSent,
      tlps_downstream: this.path.link.bToA.stats().tlpsSent,
      link_utilization: this.dataUtilization(),
      ...iommuColumns(this.iommu),
    };
  }

  invariants(): string[] {
    const link = this.path.link;
    return [
      ...dmaEngineInvariants(this.path.endpoint.dma.stats()),
      ...linkDirectionInvariants('link up', link.aToB.stats()),
      ...linkDirectionInvariants('link down', link.bToA.stats()),
    ];
  }

  series(): Record<string, [number, number][]> {
    const n = this.doneCount;
    if (n === 0) return { throughput_gbps: [] };
    const end = this.doneAt[n - 1]! + 1;
    const width = this.p.throughputWindow ?? Math.max(1, Math.ceil(end / DEFAULT_SERIES_WINDOWS));
    const counter = new WindowedCounter(width);
    for (let i = 0; i < n; i++) counter.add(this.doneAt[i]!, this.doneBytes[i]!);
    return {
      throughput_gbps: counter.rows(end).map((w): [number, number] => [w.start_ps, (w.bytes * PS_PER_S) / (w.end_ps - w.start_ps) / BYTES_PER_GB]),
    };
  }
}

export const dmaPath: ComponentType<DmaPathStudyParams> = {
  type: 'pcie.dma-path',
  description: 'One endpoint DMA engine —link— root complex — host memory, driven by a closed loop of equal reads or writes; simulated vs closed-form throughput',
  params: params as unknown as z.ZodType<DmaPathStudyParams>,
  stats,
  create: (ctx, p) => new DmaPathStudy(ctx, p),
};

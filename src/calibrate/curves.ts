/**
 * Measured curves and how to simulate them: each point is a measured value
 * and the scenario parameters that reproduce its setup. pcie-bench's host
 * folders (Neugebauer et al., SIGCOMM 2018) give throughput by transfer size
 * (reads, writes, alternating), unloaded read latency by size, and throughput
 * by window size (the IOMMU's IOTLB reach); the simple format gives any
 * metric of any scenario.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Scalar } from '../scenario/schema.js';
import { UserError } from '../scenario/errors.js';
import { readTextFile } from '../scenario/json-file.js';
import { numberField, parseCsv, requireColumns, type CsvTable } from './csv.js';
import { withRepeats } from './repeats.js';

export interface CurvePoint {
  x: number;
  measured: number;
  /** Scenario parameters that set up this point. */
  params: Record<string, Scalar>;
  /** Where it was measured: "file: line N", for messages. */
  origin: string;
  /** The distribution field this point compares, where it is not the curve's (`p99` of `dma.latency_ns`). */
  field?: string;
  /** Every measurement of this point's setup where it was measured more than once (repeats.ts); `measured` is then their median. */
  repeats?: number[];
  /** Which line of its curve the point is on, where the curve has several (the transfer size of an offset curve): points are matched by series and x. */
  series?: number;
}

/**
 * What a host's measurements repeat. `cacheStates`: pcie-bench's window
 * sweeps run the window set once per host cache state (Cold, DThrash, DWarm,
 * HWarm); on a host without DDIO a DMA takes the same path in every state,
 * so the four runs are repeats of one point (on a DDIO host they differ by
 * design, and only the warm run, HWarm, is taken).
 */
export interface MeasurementRepeats {
  cacheStates?: boolean;
}

export interface Curve {
  /** e.g. "bw_rd": what the error table calls it. */
  name: string;
  title: string;
  scenario: string;
  /** The simulated metric; a distribution's field as `name.p50`. */
  metric: string;
  /** Simulated metric × scale = the measured unit. */
  scale: number;
  unit: string;
  xLabel: string;
  /** The x axis: log2 (sizes and windows double: the default) or linear (offsets). */
  xScale?: 'log2' | 'linear';
  /** What the points' `series` is, where they have one (e.g. "transfer size (B)"). */
  seriesLabel?: string;
  points: CurvePoint[];
}

/** pcie-bench's `BW (GB/s)` column holds gigabits per second (its README); the simulator reports GB/s. */
const BITS_PER_BYTE = 8;
/** pcie-bench's random DMA addresses: each transfer in its own cache-line-aligned slot of the window, never across a 4 KiB boundary (me/utils.c, dma_addr_init). */
const CACHE_LINE = 64;
/** Transfers per simulated throughput point: the first round trip stays below 1% of the run. */
const BANDWIDTH_TRANSFERS = 2000;
/**
 * Transfers pcie-bench keeps in flight in its throughput tests: its NFP-6000
 * firmware (me/Makefile, me/pcie_dma.c) runs DMA workers on eleven MEs of
 * eight contexts each, and each context waits for its one DMA.
 */
const BANDWIDTH_IN_FLIGHT = 88;
/**
 * Transfers per throughput-by-window point, and the first of them left
 * uncounted: pcie-bench's runs are millions of transfers long, so the time
 * the IOTLB takes to fill (its compulsory misses, one after another where
 * they fall in one superpage that the IOTLB holds 4 KiB at a time) is no part of its figures.
 */
const WINDOW_TRANSFERS = 4000;
const WINDOW_WARMUP = 1000;
/** Transfers per unloaded latency-by-window point: random addresses, so enough for a steady median of hits and misses. */
const LATENCY_WINDOW_TRANSFERS = 400;
/** Transfers per unloaded-latency point (one at a time, all alike). */
const LATENCY_TRANSFERS = 50;
/**
 * The clock pcie-bench reads its latencies off (the scenarios' latencyTick):
 * its NFP firmware timestamps each DMA with the microengine's timestamp,
 * which advances every 16 cycles of the 1.2 GHz clock (every cycle count in
 * lat_*.csv is a multiple of 16): 13.333 ns, here to the ps. A latency
 * between two ticks reads as one or the other, so the simulated figures
 * step as the measured ones do.
 */
const NFP_TIMESTAMP_TICK = '13333 ps';
/** The setup of a pcie-bench latency test's point: one transfer at a time, `transfers` of them, read in the NFP's ticks. */
const unloaded = (transfers: number) => ({ inFlight: 1, transfers, latencyTick: NFP_TIMESTAMP_TICK });
/** The setup of a pcie-bench throughput test's point (by size or by offset): its transfers in flight, BANDWIDTH_TRANSFERS of them. */
const LOADED = { transfers: BANDWIDTH_TRANSFERS, inFlight: BANDWIDTH_IN_FLIGHT };
/** The scenario whose `platform` parameter lists the platform presets pcie-bench's curves run on (iommu-window's lists the same). */
export const PLATFORM_SCENARIO = 'dma-bandwidth';
const OPS: Record<string, string> = { BW_DMA_RD: 'read', BW_DMA_WR: 'write', BW_DMA_RW: 'alternating' };
const BW_COLUMN = 'BW (GB/s)';
/** pcie-bench's median latency column. */
const LATENCY_COLUMN = 'Med(ns)';

const slotOf = (size: number) => Math.ceil(size / CACHE_LINE) * CACHE_LINE;

const originOf = (t: CsvTable, r: CsvTable['rows'][number]) => `${t.file}: line ${r.line}`;

/** `point` with the rows `same` of `t` that measure it (its own among them) as its repeats, by their `column` (withRepeats). */
const withRowRepeats = (t: CsvTable, point: CurvePoint, same: CsvTable['rows'], column: string): CurvePoint =>
  withRepeats(point, same.map((o) => numberField(t, o, column)), `${t.file}: lines ${same.map((o) => o.line).join(', ')}`);

function readTable(file: string): CsvTable {
  return parseCsv(file, readTextFile(file, 'measurements'));
}

/** pcie-bench's name for a test's direction, as a curve name part (rd, wr, rw) and as the scenarios' `op`. */
const opParts = (test: string) => {
  const op = OPS[test]!;
  return { op, short: op === 'alternating' ? 'rw' : op === 'read' ? 'rd' : 'wr' };
};

/** Scenario parameters every point of a pcie-bench curve shares: the platform, when one is given. */
const platformParam = (platform: string | undefined): Record<string, Scalar> => (platform === undefined ? {} : { platform });
/** iommu-window's IOMMU parameters for a host run with IOMMU pages of `pageSize` (null: the IOMMU off; its page size is then unused). */
const iommuParams = (pageSize: string | null): Record<string, Scalar> => ({ iommu: pageSize === null ? 'off' : 'on', pageSize: pageSize ?? '4k' });

/** Throughput by size for one direction (bw_dma_sz_sweep.csv's rows of one test, warm host cache). */
function sizeCurve(t: CsvTable, test: string, rows: CsvTable['rows'], platform: string | undefined): Curve {
  const { op, short } = opParts(test);
  return {
    name: `bw_${short}`,
    title: `DMA ${op} throughput by transfer size (Gb/s)`,
    scenario: 'dma-bandwidth', metric: 'dma.throughput_gbytes_per_s', scale: BITS_PER_BYTE, unit: 'Gb/s', xLabel: 'transfer size (B)',
    points: rows.map((r) => {
      const size = numberField(t, r, 'SZ');
      return {
        x: size, measured: numberField(t, r, BW_COLUMN), origin: originOf(t, r),
        params: { ...platformParam(platform), op, size, window: numberField(t, r, 'WinSZ'), pattern: 'random', alignment: slotOf(size), pageCrossing: 'avoid', ...LOADED },
      };
    }),
  };
}

/**
 * Throughput by window at one size (bw_dma_win_sweep_*, warm host cache):
 * the IOTLB reach where the IOMMU is on. `repeats` holds the test's rows of
 * every cache state where they repeat the warm ones (MeasurementRepeats).
 */
function windowCurve(t: CsvTable, test: string, rows: CsvTable['rows'], platform: string | undefined, pageSize: string | null, repeats: CsvTable['rows'] = []): Curve {
  const { op, short } = opParts(test);
  const size = numberField(t, rows[0]!, 'SZ');
  return {
    name: `win_${short}_${size}`, title: `Random ${size}-byte DMA ${op === 'read' ? 'reads' : 'writes'} by window (Gb/s)`,
    scenario: 'iommu-window', metric: 'dma.throughput_gbytes_per_s', scale: BITS_PER_BYTE, unit: 'Gb/s', xLabel: 'window (B)',
    points: rows.map((r) => {
      const window = numberField(t, r, 'WinSZ');
      const point: CurvePoint = {
        x: window, measured: numberField(t, r, BW_COLUMN), origin: originOf(t, r),
        params: { ...platformParam(platform), op, size, window, ...iommuParams(pageSize), inFlight: BANDWIDTH_IN_FLIGHT, transfers: WINDOW_TRANSFERS, warmup: WINDOW_WARMUP },
      };
      return withRowRepeats(t, point, repeats.filter((o) => numberField(t, o, 'WinSZ') === window), BW_COLUMN);
    }),
  };
}

/** pcie-bench's address patterns (its `PAT` column) as the scenarios' `pattern`: its sequential addresses take its slots in turn. */
const PATTERNS: Record<string, string> = { Seq: 'sequential-slots', Rand: 'random' };
/** pcie-bench's offset columns, by what an offset curve varies. */
const OFFSET_KINDS = [
  { column: 'HO', curve: 'ho', what: 'host offset', other: 'DO' },
  { column: 'DO', curve: 'do', what: 'device offset', other: 'HO' },
] as const;

/** pcie-bench's host cache states, by its `Cache` column, as the scenarios' `cache`; the others (DWarm, DThrash: the device-side cache) are left out. */
const CACHE_STATES: Record<string, string> = { HWarm: 'warm', Cold: 'cold' };

/**
 * By offset within a cache line (bw_dma_off_{rd,wr}[_cold].csv: throughput;
 * lat_dma_off_rd.csv: unloaded read latency, median): for each direction
 * and host cache state, one curve by host offset (device offset 0) and one
 * by device offset (host offset 0), a line per transfer size. Each transfer
 * starts `HO` bytes into its slot of the transfer size and host offset
 * rounded up to 64 B (me/utils.c, dma_addr_init) and its data lies `DO`
 * bytes into the NFP's buffer. Both sweeps measure offset 0; there the two
 * rows are repeats of one point. Named `ho_rd`, `do_wr_cold`, `lat_ho_rd`.
 */
function offsetCurves(t: CsvTable, platform: string | undefined): Curve[] {
  const latency = !t.header.includes(BW_COLUMN);
  const value = latency ? LATENCY_COLUMN : BW_COLUMN;
  requireColumns(t, ['Test', 'PAT', 'Cache', 'HO', 'DO', 'WinSZ', 'SZ', value]);
  return Object.keys(latency ? LATENCY_TESTS : OPS).flatMap((test) => Object.entries(CACHE_STATES).flatMap(([state, cache]) => {
    const { op, short } = latency ? LATENCY_TESTS[test]! : opParts(test);
    const rows = t.rows.filter((r) => r.fields.Test === test && r.fields.Cache === state);
    return OFFSET_KINDS.map(({ column, curve, what, other }): Curve => {
      const mine = rows.filter((r) => numberField(t, r, other) === 0);
      const points: CurvePoint[] = [];
      for (const r of mine) {
        const size = numberField(t, r, 'SZ'), offset = numberField(t, r, column), ho = numberField(t, r, 'HO');
        if (points.some((p) => p.series === size && p.x === offset)) continue;
        const pattern = PATTERNS[r.fields.PAT!];
        if (pattern === undefined) throw new UserError(`${originOf(t, r)}: column "PAT": expected one of ${Object.keys(PATTERNS).join(', ')}, got ${JSON.stringify(r.fields.PAT)}`);
        const point: CurvePoint = {
          x: offset, series: size, measured: numberField(t, r, value), origin: originOf(t, r),
          params: {
            ...platformParam(platform), op, size, window: numberField(t, r, 'WinSZ'), pattern, alignment: slotOf(size + ho), pageCrossing: 'avoid',
            hostOffset: ho, deviceOffset: numberField(t, r, 'DO'), ...(cache === 'cold' ? { cache } : {}),
            ...(latency ? unloaded(LATENCY_TRANSFERS) : LOADED),
          },
        };
        points.push(withRowRepeats(t, point, mine.filter((o) => numberField(t, o, 'SZ') === size && numberField(t, o, column) === offset), value));
      }
      const axes = { xLabel: `${what} (B)`, xScale: 'linear' as const, seriesLabel: 'transfer size (B)', points };
      const [suffix, coldly] = cache === 'cold' ? ['_cold', ', cold host cache'] : ['', ''];
      return latency
        ? { name: `lat_${curve}_${short}${suffix}`, title: `Unloaded ${LATENCY_TESTS[test]!.what} by ${what}${coldly}, median (ns)`, scenario: 'dma-bandwidth', metric: 'dma.latency_ns.p50', scale: 1, unit: 'ns', ...axes }
        : {
          name: `${curve}_${short}${suffix}`, title: `DMA ${op === 'read' ? 'reads' : 'writes'} by ${what}${coldly} (Gb/s)`,
          scenario: 'dma-bandwidth', metric: 'dma.throughput_gbytes_per_s', scale: BITS_PER_BYTE, unit: 'Gb/s', ...axes,
        };
    });
  }));
}

/**
 * pcie-bench's DMA latency tests: LAT_DMA_RD (a read) and LAT_DMA_WRRD (a
 * write, then, once its done signal is in, a read of the same bytes:
 * me/pcie_dma.c dma_lat), as the curves by window name them (`curve`) and
 * the others (`short`: lat_rd, lat_ho_wrrd), the dma-stream op that does
 * the same, and what the titles call it.
 */
const LATENCY_TESTS: Record<string, { curve: string; short: string; op: string; what: string }> = {
  LAT_DMA_RD: { curve: 'lat_win', short: 'rd', op: 'read', what: 'DMA read latency' },
  LAT_DMA_WRRD: { curve: 'lat_wrrd', short: 'wrrd', op: 'write-read', what: 'DMA write-then-read latency' },
};

/**
 * Unloaded random 64-byte DMA latency by window, median, with the host
 * cache warm and cold (lat_dma_sweep_rd_rnd_64.csv: reads, the cold-cache
 * and remote-socket penalties, and the IOTLB miss where the IOMMU is on;
 * lat_dma_sweep_wrrd_rnd_64.csv: a write and then a read of the same bytes).
 */
function latencyWindowCurves(t: CsvTable, platform: string | undefined, pageSize: string | null): Curve[] {
  const test = t.rows[0]?.fields.Test ?? 'LAT_DMA_RD';
  const kind = LATENCY_TESTS[test];
  if (kind === undefined) throw new UserError(`${t.file}: latency by window of test ${test}: expected one of ${Object.keys(LATENCY_TESTS).join(', ')}`);
  return Object.entries(CACHE_STATES).map(([column, cache]) => {
    const rows = t.rows.filter((r) => r.fields.Test === test && r.fields.Cache === column);
    return {
      name: `${kind.curve}_${cache}`, title: `Unloaded random 64-byte ${kind.what} by window, ${cache} host cache, median (ns)`,
      scenario: 'iommu-window', metric: 'dma.latency_ns.p50', scale: 1, unit: 'ns', xLabel: 'window (B)',
      points: rows.map((r) => ({
        x: numberField(t, r, 'WinSZ'), measured: numberField(t, r, LATENCY_COLUMN), origin: originOf(t, r),
        params: {
          ...platformParam(platform), op: kind.op, size: numberField(t, r, 'SZ'), window: numberField(t, r, 'WinSZ'), cache,
          ...iommuParams(pageSize), ...unloaded(LATENCY_WINDOW_TRANSFERS),
        },
      })),
    };
  });
}

/**
 * pcie-bench's lat_dma_details_cdf.csv holds one CDF section per run of its
 * run_lat_details (python/nfp_pciebench.py), each starting at fraction 0, in
 * this order: LAT_DMA_RD then LAT_DMA_WRRD; 64 then 2048 B; an 8 KiB then a
 * 64 MiB window; host cache cold then warm. The curves take the first two:
 * 64-byte reads over 8 KiB, cold and warm.
 */
const DETAILS_SECTIONS = 16;
const DETAILS_CURVES: readonly { section: number; cache: string }[] = [{ section: 0, cache: 'cold' }, { section: 1, cache: 'warm' }];
/** Percentiles a latency distribution curve compares, as distribution fields (p01 = 1%, p999 = 99.9%). */
const DIST_PERCENTILES = ['p01', 'p05', 'p10', 'p50', 'p90', 'p95', 'p99', 'p995', 'p999'];
/** Transfers per simulated distribution: the 99.9th percentile from 20 samples above it. */
const DISTRIBUTION_TRANSFERS = 20_000;

/** The fraction a percentile field names: p01 0.01, p50 0.5, p999 0.999. */
export const percentileFraction = (field: string) => Number(`0.${field.slice(1)}`);

/**
 * The 64-byte read latency distribution, 8 KiB window, host cache cold and
 * warm (lat_dma_details_cdf.csv): its percentiles p1 to p99.9 (the smallest
 * latency whose CDF reaches the fraction), simulated unloaded one at a time.
 */
function distributionCurves(t: CsvTable, platform: string | undefined, pageSize: string | null): Curve[] {
  requireColumns(t, ['ns', 'cdf']);
  const sections: CsvTable['rows'][] = [];
  for (const r of t.rows) {
    if (numberField(t, r, 'cdf') === 0) sections.push([]);
    sections.at(-1)?.push(r);
  }
  if (sections.length !== DETAILS_SECTIONS) throw new UserError(`${t.file}: expected pcie-bench's ${DETAILS_SECTIONS} CDF sections (each from fraction 0), found ${sections.length}`);
  return DETAILS_CURVES.map(({ section, cache }) => {
    const rows = sections[section]!;
    return {
      name: `lat_dist_${cache}`, title: `Unloaded random 64-byte DMA read latency distribution, 8 KiB window, ${cache} host cache (ns by percentile)`,
      scenario: 'iommu-window', metric: 'dma.latency_ns', scale: 1, unit: 'ns', xLabel: 'percentile',
      points: DIST_PERCENTILES.map((field) => {
        const q = percentileFraction(field);
        const r = rows.find((row) => numberField(t, row, 'cdf') >= q) ?? rows.at(-1)!;
        return {
          x: 100 * q, measured: numberField(t, r, 'ns'), origin: originOf(t, r), field,
          params: {
            ...platformParam(platform), op: 'read', size: 64, window: 8192, cache,
            ...iommuParams(pageSize), ...unloaded(DISTRIBUTION_TRANSFERS),
          },
        };
      }),
    };
  });
}

/**
 * Unloaded DMA latency by size, median, of a read (LAT_DMA_RD: `lat_rd`) and
 * of a write and then a read of the same bytes (LAT_DMA_WRRD: `lat_wrrd`):
 * lat_dma_sizes.csv, 4 B to 2 KiB; lat_dma_sizes_byte_inc.csv, sizes one
 * byte apart (240-271 and 1008-1039 B: where each 8-byte word, 64-byte line
 * and completion starts to cost), as `lat_rd_bytes` and `lat_wrrd_bytes`,
 * told apart by its sizes.
 */
function latencySizeCurves(t: CsvTable, platform: string | undefined): Curve[] {
  requireColumns(t, ['Test', 'WinSZ', 'SZ', LATENCY_COLUMN]);
  return Object.entries(LATENCY_TESTS).map(([test, { short, op, what }]) => {
    const rows = t.rows.filter((r) => r.fields.Test === test);
    const sizes = rows.map((r) => numberField(t, r, 'SZ'));
    const byByte = sizes.some((size, k) => k > 0 && size === sizes[k - 1]! + 1);
    return {
      name: `lat_${short}${byByte ? '_bytes' : ''}`, title: `Unloaded ${what} by size${byByte ? ', byte by byte' : ''}, median (ns)`,
      scenario: 'dma-bandwidth', metric: 'dma.latency_ns.p50', scale: 1, unit: 'ns', xLabel: 'transfer size (B)', ...(byByte ? { xScale: 'linear' as const } : {}),
      points: rows.map((r, k) => ({
        x: sizes[k]!, measured: numberField(t, r, LATENCY_COLUMN), origin: originOf(t, r),
        params: { ...platformParam(platform), op, size: sizes[k]!, window: numberField(t, r, 'WinSZ'), pattern: 'sequential', ...unloaded(LATENCY_TRANSFERS) },
      })),
    };
  });
}

/**
 * The curves of one pcie-bench file, told apart by its columns and rows: by
 * offset where the host or device offset varies (throughput or latency, host
 * cache warm and cold); else latency (a `Med(ns)` column: LAT_DMA_RD and LAT_DMA_WRRD rows,
 * by window where only the window varies, else by size) or throughput
 * (`BW (GB/s)`: per test, warm host cache, by window where only the window
 * varies, else by size). Rows of other tests (the command interface) are
 * left out, and so are the cold-cache rows of the files by size.
 */
export function pcieBenchTableCurves(t: CsvTable, platform: string | undefined, pageSize: string | null, repeats: MeasurementRepeats = {}): Curve[] {
  if (t.header.includes('cdf') && !t.header.includes('Test')) return distributionCurves(t, platform, pageSize);
  if (varies(t.rows, 'HO') || varies(t.rows, 'DO')) return offsetCurves(t, platform).filter((c) => c.points.length > 0);
  const curves = !t.header.includes(LATENCY_COLUMN) ? throughputCurves(t, platform, pageSize, repeats)
    : varies(t.rows, 'WinSZ') && !varies(t.rows, 'SZ') ? latencyWindowCurves(t, platform, pageSize) : latencySizeCurves(t, platform);
  const kept = curves.filter((c) => c.points.length > 0);
  if (kept.length === 0) {
    throw new UserError(`${t.file}: no rows to simulate: expected warm-cache (Cache HWarm) DMA throughput (Test ${Object.keys(OPS).join(', ')}) or DMA latency (Test ${Object.keys(LATENCY_TESTS).join(', ')})`);
  }
  return kept;
}

/** Whether `column` takes more than one value over `rows`. */
const varies = (rows: CsvTable['rows'], column: string) => new Set(rows.map((r) => r.fields[column])).size > 1;

function throughputCurves(t: CsvTable, platform: string | undefined, pageSize: string | null, repeats: MeasurementRepeats): Curve[] {
  requireColumns(t, ['Test', 'Cache', 'WinSZ', 'SZ', BW_COLUMN]);
  return Object.keys(OPS).flatMap((test) => {
    const rows = t.rows.filter((r) => r.fields.Test === test && r.fields.Cache === 'HWarm');
    if (rows.length === 0) return [];
    const allStates = repeats.cacheStates === true ? t.rows.filter((r) => r.fields.Test === test) : [];
    return [varies(rows, 'WinSZ') && !varies(rows, 'SZ') ? windowCurve(t, test, rows, platform, pageSize, allStates) : sizeCurve(t, test, rows, platform)];
  });
}

/** Whether a table is in pcie-bench's format (its `Test` column and a throughput or latency column, or a latency CDF). */
export function isPcieBenchTable(t: CsvTable): boolean {
  return (t.header.includes('Test') && (t.header.includes(BW_COLUMN) || t.header.includes(LATENCY_COLUMN))) || ['cycles', 'ns', 'cdf'].every((c) => t.header.includes(c));
}

const HOST_FILES = ['bw_dma_sz_sweep.csv', 'bw_dma_off_rd.csv', 'bw_dma_off_wr.csv', 'bw_dma_off_rd_cold.csv', 'bw_dma_off_wr_cold.csv', 'lat_dma_sizes.csv', 'lat_dma_sizes_byte_inc.csv', 'lat_dma_off_rd.csv', 'lat_dma_off_wrrd.csv', 'lat_dma_sweep_rd_rnd_64.csv', 'lat_dma_sweep_wrrd_rnd_64.csv', 'lat_dma_details_cdf.csv', ...['rd', 'wr'].flatMap((op) => [64, 128, 256, 512].map((size) => `bw_dma_win_sweep_${op}_rnd_${size}.csv`))];

/**
 * Every curve of one pcie-bench host folder, simulated on `platform` (IOMMU
 * pages: `pageSize`, or off); `hostParams` are scenario parameters every
 * point of the host runs with (the link as the host configured it, e.g. its
 * Max_Payload_Size where it is not the scenarios' default); `repeats`, which
 * of its rows measure the same point again (compared at their median).
 */
export function pcieBenchCurves(folder: string, platform: string, pageSize: string | null, hostParams: Record<string, Scalar> = {}, repeats: MeasurementRepeats = {}): Curve[] {
  if (!fs.existsSync(path.join(folder, HOST_FILES[0]!))) throw new UserError(`${folder}: no ${HOST_FILES[0]}: not a pcie-bench host folder`);
  return withHostParams(HOST_FILES.filter((f) => fs.existsSync(path.join(folder, f)))
    .flatMap((f) => pcieBenchTableCurves(readTable(path.join(folder, f)), platform, pageSize, repeats)), hostParams);
}

/** `curves` with `hostParams` set on every point (they win over what the point derived from its file). */
function withHostParams(curves: Curve[], hostParams: Record<string, Scalar>): Curve[] {
  if (Object.keys(hostParams).length === 0) return curves;
  return curves.map((c) => ({ ...c, points: c.points.map((p) => ({ ...p, params: { ...p.params, ...hostParams } })) }));
}

/**
 * The curves of a measurements file in either format: pcie-bench's (one of
 * its CSV files, simulated on `platform`, every point with `hostParams`,
 * repeats as `repeats` says, as pcieBenchCurves) or the simple one below.
 */
export function measuredCurves(file: string, platform: string | undefined, pageSize: string | null, hostParams: Record<string, Scalar> = {}, repeats: MeasurementRepeats = {}): Curve[] {
  const t = readTable(file);
  if (isPcieBenchTable(t)) return withHostParams(pcieBenchTableCurves(t, platform, pageSize, repeats), hostParams);
  if (t.header.includes('scenario')) return simpleCurves(t);
  throw new UserError(`${file}: line 1: neither pcie-bench's format (columns Test, SZ, WinSZ and ${BW_COLUMN} or ${LATENCY_COLUMN}) nor the simple one (columns scenario, metric, x, measured); its first line is ${JSON.stringify(t.header.join(',').slice(0, 80))}`);
}

/**
 * The simple format: a CSV with columns `scenario,metric,x,measured` and one
 * column per scenario parameter a point sets (empty: the scenario's default).
 * Rows with the same scenario and metric form one curve; x is what it is
 * plotted against.
 */
export function simpleCurves(t: CsvTable): Curve[] {
  const file = t.file;
  requireColumns(t, ['scenario', 'metric', 'x', 'measured']);
  const fixed = new Set(['scenario', 'metric', 'x', 'measured']);
  const byKey = new Map<string, Curve>();
  for (const r of t.rows) {
    const scenario = r.fields.scenario!, metric = r.fields.metric!;
    if (scenario === '') throw new UserError(`${file}: line ${r.line}: column "scenario": expected a scenario name`);
    if (!/^[\w.-]+\.[\w.]+$/.test(metric)) throw new UserError(`${file}: line ${r.line}: column "metric": expected <instance>.<stat>[.p50], got ${JSON.stringify(metric)}`);
    const key = `${scenario} ${metric}`;
    let c = byKey.get(key);
    if (!c) {
      c = { name: `${scenario}:${metric}`, title: `${metric} (${scenario})`, scenario, metric, scale: 1, unit: '', xLabel: 'x', points: [] };
      byKey.set(key, c);
    }
    const params: Record<string, Scalar> = {};
    for (const h of t.header) {
      const v = r.fields[h]!;
      if (fixed.has(h) || v === '') continue;
      const n = Number(v);
      params[h] = Number.isFinite(n) ? n : v;
    }
    const measured = numberField(t, r, 'measured');
    if (!(measured > 0)) throw new UserError(`${file}: line ${r.line}: column "measured": expected a positive number (errors are relative), got ${measured}`);
    c.points.push({ x: numberField(t, r, 'x'), measured, params, origin: originOf(t, r) });
  }
  if (byKey.size === 0) throw new UserError(`${file}: no data rows`);
  return [...byKey.values()];
}

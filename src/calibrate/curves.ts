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
import { numberField, parseCsv, requireColumns, type CsvTable } from './csv.js';

export interface CurvePoint {
  x: number;
  measured: number;
  /** Scenario parameters that set up this point. */
  params: Record<string, Scalar>;
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
  points: CurvePoint[];
}

/** pcie-bench's `BW (GB/s)` column holds gigabits per second (its README); the simulator reports GB/s. */
const BITS_PER_BYTE = 8;
/** pcie-bench's random DMA addresses: each transfer in its own cache-line-aligned slot of the window. */
const CACHE_LINE = 64;
/** Transfers per simulated throughput point: the first round trip stays below 1% of the run. */
const BANDWIDTH_TRANSFERS = 2000;
/** Transfers per unloaded-latency point (one at a time, all alike). */
const LATENCY_TRANSFERS = 50;
const OPS: Record<string, string> = { BW_DMA_RD: 'read', BW_DMA_WR: 'write', BW_DMA_RW: 'readwrite' };

const slotOf = (size: number) => Math.ceil(size / CACHE_LINE) * CACHE_LINE;

function readTable(file: string): CsvTable {
  return parseCsv(file, fs.readFileSync(file, 'utf8'));
}

/** Throughput by size for reads, writes and alternating read/write (bw_dma_sz_sweep.csv, warm host cache). */
function sizeSweep(folder: string, platform: string): Curve[] {
  const t = readTable(path.join(folder, 'bw_dma_sz_sweep.csv'));
  requireColumns(t, ['Test', 'Cache', 'WinSZ', 'SZ', 'BW (GB/s)']);
  return Object.entries(OPS).map(([test, op]) => ({
    name: `bw_${op === 'readwrite' ? 'rw' : op === 'read' ? 'rd' : 'wr'}`,
    title: `DMA ${op} throughput by transfer size (Gb/s)`,
    scenario: 'dma-bandwidth', metric: 'dma.throughput_gbytes_per_s', scale: BITS_PER_BYTE, unit: 'Gb/s', xLabel: 'transfer size (B)',
    points: t.rows.filter((r) => r.fields.Test === test && r.fields.Cache === 'HWarm').map((r) => {
      const size = numberField(t, r, 'SZ');
      return {
        x: size, measured: numberField(t, r, 'BW (GB/s)'),
        params: { platform, op, size, window: numberField(t, r, 'WinSZ'), pattern: 'random', alignment: slotOf(size), transfers: BANDWIDTH_TRANSFERS },
      };
    }),
  }));
}

/** Unloaded DMA read latency by size, median (lat_dma_sizes.csv). */
function latencySweep(folder: string, platform: string): Curve[] {
  const t = readTable(path.join(folder, 'lat_dma_sizes.csv'));
  requireColumns(t, ['Test', 'WinSZ', 'SZ', 'Med(ns)']);
  return [{
    name: 'lat_rd', title: 'Unloaded DMA read latency by size, median (ns)',
    scenario: 'dma-bandwidth', metric: 'dma.latency_ns.p50', scale: 1, unit: 'ns', xLabel: 'transfer size (B)',
    points: t.rows.filter((r) => r.fields.Test === 'LAT_DMA_RD').map((r) => {
      const size = numberField(t, r, 'SZ');
      return {
        x: size, measured: numberField(t, r, 'Med(ns)'),
        params: { platform, op: 'read', size, window: numberField(t, r, 'WinSZ'), pattern: 'sequential', inFlight: 1, transfers: LATENCY_TRANSFERS },
      };
    }),
  }];
}

/** Throughput by window at 64-512 B (bw_dma_win_sweep_*), warm host cache: the IOTLB reach where the IOMMU is on. */
function windowSweep(folder: string, platform: string, pageSize: string | null): Curve[] {
  const out: Curve[] = [];
  for (const op of ['rd', 'wr']) {
    for (const size of [64, 128, 256, 512]) {
      const file = path.join(folder, `bw_dma_win_sweep_${op}_rnd_${size}.csv`);
      if (!fs.existsSync(file)) continue;
      const t = readTable(file);
      requireColumns(t, ['Cache', 'WinSZ', 'SZ', 'BW (GB/s)']);
      out.push({
        name: `win_${op}_${size}`, title: `Random ${size}-byte DMA ${op === 'rd' ? 'reads' : 'writes'} by window (Gb/s)`,
        scenario: 'iommu-window', metric: 'dma.throughput_gbytes_per_s', scale: BITS_PER_BYTE, unit: 'Gb/s', xLabel: 'window (B)',
        points: t.rows.filter((r) => r.fields.Cache === 'HWarm').map((r) => ({
          x: numberField(t, r, 'WinSZ'), measured: numberField(t, r, 'BW (GB/s)'),
          params: { platform, op: op === 'rd' ? 'read' : 'write', size, window: numberField(t, r, 'WinSZ'), iommu: pageSize === null ? 'off' : 'on', pageSize: pageSize ?? '4k' },
        })),
      });
    }
  }
  return out;
}

/** Every curve of one pcie-bench host folder, simulated on `platform` (IOMMU pages: `pageSize`, or off). */
export function pcieBenchCurves(folder: string, platform: string, pageSize: string | null): Curve[] {
  if (!fs.existsSync(path.join(folder, 'bw_dma_sz_sweep.csv'))) throw new UserError(`${folder}: no bw_dma_sz_sweep.csv: not a pcie-bench host folder`);
  return [...sizeSweep(folder, platform), ...latencySweep(folder, platform), ...windowSweep(folder, platform, pageSize)];
}

/**
 * The simple format: a CSV with columns `scenario,metric,x,measured` and one
 * column per scenario parameter a point sets (empty: the scenario's default).
 * Rows with the same scenario and metric form one curve; x is what it is
 * plotted against.
 */
export function simpleCurves(file: string): Curve[] {
  const t = readTable(file);
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
    c.points.push({ x: numberField(t, r, 'x'), measured, params });
  }
  if (byKey.size === 0) throw new UserError(`${file}: no data rows`);
  return [...byKey.values()];
}

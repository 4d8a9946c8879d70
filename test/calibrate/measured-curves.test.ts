/**
 * Reading measurements: a pcie-bench file is known by its columns and rows
 * (latency, throughput by size, throughput by window), its throughput kept
 * in Gb/s with the simulated GB/s scaled by 8 bits a byte; the simple format
 * groups rows by scenario and metric, an empty cell leaving the scenario's
 * default. Every point says which file and line it came from.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { measuredCurves } from '../../src/calibrate/curves.js';
import { curvePlot } from '../../src/calibrate/svg-plot.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('pciesim-measured-');
const write = (name: string, lines: string[]) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
};
const BW_HEADER = 'Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s';
const LAT_HEADER = 'Test,PAT,Cache,HO,DO,WinSZ,SZ,Med(ns)';

test('pcie-bench latency: the LAT_DMA_RD rows\' medians, one transfer in flight, on the platform given', () => {
  const file = write('lat.csv', [
    LAT_HEADER,
    'LAT_DMA_RD,Seq,HWarm,0,0,8192,64,547.5',
    'LAT_CMD_RD,Seq,HWarm,0,0,8192,64,400',
    'LAT_DMA_RD,Seq,HWarm,0,0,8192,2048,1133.3',
  ]);
  const [c, ...rest] = measuredCurves(file, 'nfp6000-xeon-e5-2630v4', null);
  assert.is(rest.length, 0);
  assert.is(c!.metric, 'dma.latency_ns.p50');
  assert.is(c!.scale, 1);
  assert.equal(c!.points.map((p) => [p.x, p.measured, p.origin]), [[64, 547.5, `${file}: line 2`], [2048, 1133.3, `${file}: line 4`]]);
  assert.equal(c!.points[0]!.params, { platform: 'nfp6000-xeon-e5-2630v4', op: 'read', size: 64, window: 8192, pattern: 'sequential', inFlight: 1, transfers: 50, latencyTick: '13333 ps' });
});

test('pcie-bench latency by window: one curve per host cache state (warm, cold), unloaded, through the IOMMU scenario', () => {
  const file = write('lat-win.csv', [
    LAT_HEADER,
    'LAT_DMA_RD,Rand,HWarm,0,0,8192,64,560',
    'LAT_DMA_RD,Rand,HWarm,0,0,4194304,64,840',
    'LAT_DMA_RD,Rand,DWarm,0,0,8192,64,533',
    'LAT_DMA_RD,Rand,Cold,0,0,8192,64,600',
    'LAT_DMA_RD,Rand,Cold,0,0,4194304,64,880',
  ]);
  const curves = measuredCurves(file, 'p', '4k');
  assert.equal(curves.map((c) => c.name), ['lat_win_warm', 'lat_win_cold']);
  const [warm, cold] = curves;
  assert.is(warm!.scenario, 'iommu-window');
  assert.is(warm!.metric, 'dma.latency_ns.p50');
  assert.equal(warm!.points.map((p) => [p.x, p.measured]), [[8192, 560], [4194304, 840]], 'the device-side cache rows (DWarm) are left out');
  assert.equal(cold!.points.map((p) => p.measured), [600, 880]);
  assert.equal(cold!.points[1]!.params, { platform: 'p', op: 'read', size: 64, window: 4194304, cache: 'cold', iommu: 'on', pageSize: '4k', inFlight: 1, transfers: 400, latencyTick: '13333 ps' });
});

test('pcie-bench write-then-read latency by window (LAT_DMA_WRRD): the same curves, a write and then a read of the same bytes', () => {
  const file = write('lat-wrrd.csv', [
    LAT_HEADER,
    'LAT_DMA_WRRD,Rand,HWarm,0,0,8192,64,773',
    'LAT_DMA_WRRD,Rand,HWarm,0,0,4194304,64,973',
    'LAT_DMA_WRRD,Rand,Cold,0,0,8192,64,780',
    'LAT_DMA_WRRD,Rand,Cold,0,0,4194304,64,987',
  ]);
  const curves = measuredCurves(file, 'p', null);
  assert.equal(curves.map((c) => c.name), ['lat_wrrd_warm', 'lat_wrrd_cold']);
  assert.equal(curves.map((c) => c.points.map((p) => p.measured)), [[773, 973], [780, 987]]);
  assert.equal(curves[0]!.points[0]!.params, { platform: 'p', op: 'write-read', size: 64, window: 8192, cache: 'warm', iommu: 'off', pageSize: '4k', inFlight: 1, transfers: 400, latencyTick: '13333 ps' });
  const other = write('lat-other.csv', [LAT_HEADER, 'LAT_CMD_RD,Rand,HWarm,0,0,8192,64,500', 'LAT_CMD_RD,Rand,HWarm,0,0,16384,64,500']);
  assert.throws(() => measuredCurves(other, 'p', null), /LAT_CMD_RD: expected one of LAT_DMA_RD, LAT_DMA_WRRD/);
});

test('pcie-bench latency distribution: the first two of its 16 CDF sections (64-byte reads, 8 KiB, cold then warm), each percentile the first latency whose CDF reaches it', () => {
  // Section k: 100 + k ns for the first 94% of reads, 300 + k up to 99.5%, 900 + k the rest.
  const section = (k: number) => [`${96 + k},${100 + k},0`, `${96 + k},${100 + k},0.94`, `${300 + k},${300 + k},0.995`, `${900 + k},${900 + k},1`];
  const file = write('cdf.csv', ['cycles,ns,cdf', ...Array.from({ length: 16 }, (_, k) => section(k)).flat()]);
  const curves = measuredCurves(file, 'nfp6000-xeon-e5-2630v4', '4k');
  assert.equal(curves.map((c) => c.name), ['lat_dist_cold', 'lat_dist_warm']);
  const [cold, warm] = curves;
  assert.is(cold!.metric, 'dma.latency_ns');
  assert.equal(cold!.points.map((p) => [p.x, p.field, p.measured]), [
    [1, 'p01', 100], [5, 'p05', 100], [10, 'p10', 100], [50, 'p50', 100], [90, 'p90', 100],
    [95, 'p95', 300], [99, 'p99', 300], [99.5, 'p995', 300], [99.9, 'p999', 900],
  ]);
  assert.equal(warm!.points.map((p) => p.measured), [101, 101, 101, 101, 101, 301, 301, 301, 901]);
  assert.equal(warm!.points[0]!.params, { platform: 'nfp6000-xeon-e5-2630v4', op: 'read', size: 64, window: 8192, cache: 'warm', iommu: 'on', pageSize: '4k', inFlight: 1, transfers: 20_000, latencyTick: '13333 ps' });
  assert.is(cold!.points[8]!.origin, `${file}: line 5`);
  const short = write('cdf-short.csv', ['cycles,ns,cdf', ...section(0), ...section(1)]);
  assert.throws(() => measuredCurves(short, undefined, null), /expected pcie-bench's 16 CDF sections .* found 2/);
});

test('pcie-bench throughput by size: one curve per direction, warm rows only, Gb/s against GB/s × 8', () => {
  const file = write('sz.csv', [
    BW_HEADER,
    'BW_DMA_RD,Rand,HWarm,0,0,8192,64,1,1,1,1,31.9,1',
    'BW_DMA_RD,Rand,HWarm,0,0,8192,130,1,1,1,1,35.0,1',
    'BW_DMA_RD,Rand,Cold,0,0,8192,64,1,1,1,1,20.0,1',
    'BW_DMA_WR,Rand,HWarm,0,0,8192,64,1,1,1,1,24.3,1',
    'BW_DMA_WR,Rand,HWarm,0,0,8192,128,1,1,1,1,42.4,1',
    'BW_DMA_RW,Rand,HWarm,0,0,8192,64,1,1,1,1,23.1,1',
  ]);
  const curves = measuredCurves(file, undefined, null);
  assert.equal(curves.map((c) => c.name), ['bw_rd', 'bw_wr', 'bw_rw']);
  // pcie-bench's firmware alternates by transaction number: write, read, write, ...
  assert.is(curves[2]!.points[0]!.params.op, 'alternating');
  const rd = curves[0]!;
  assert.is(rd.scale, 8, '1 GB/s simulated is 8 Gb/s measured');
  assert.is(rd.unit, 'Gb/s');
  assert.equal(rd.points.map((p) => p.measured), [31.9, 35.0]);
  // Random addresses in cache-line slots: a 130-byte transfer takes three lines; no platform given, none set;
  // one transfer in flight per worker context of pcie-bench's firmware (11 MEs × 8 contexts).
  assert.equal(rd.points[1]!.params, { op: 'read', size: 130, window: 8192, pattern: 'random', alignment: 192, pageCrossing: 'avoid', transfers: 2000, inFlight: 11 * 8 });
});

test('pcie-bench throughput by offset: per direction a curve by host offset and one by device offset, a line per size, each transfer in its slot as the firmware places it', () => {
  const file = write('off.csv', [
    BW_HEADER,
    'BW_DMA_RD,Seq,HWarm,0,0,8192,64,1,1,1,1,30.0,1',
    'BW_DMA_RD,Seq,HWarm,1,0,8192,64,1,1,1,1,26.1,1',
    'BW_DMA_RD,Seq,HWarm,0,0,8192,407,1,1,1,1,44.0,1',
    'BW_DMA_RD,Seq,HWarm,63,0,8192,407,1,1,1,1,45.2,1',
    'BW_DMA_RD,Seq,HWarm,0,0,8192,64,1,1,1,1,29.0,1',
    'BW_DMA_RD,Seq,HWarm,0,1,8192,64,1,1,1,1,12.6,1',
    'BW_DMA_RD,Seq,Cold,0,1,8192,64,1,1,1,1,9.9,1',
  ]);
  const curves = measuredCurves(file, 'p', null);
  assert.equal(curves.map((c) => c.name), ['ho_rd', 'do_rd', 'do_rd_cold'], 'the cold rows a curve of their own, none by host offset');
  const [ho, dev, cold] = curves;
  assert.equal(cold!.points.map((p) => [p.series, p.x, p.measured, p.params.cache]), [[64, 1, 9.9, 'cold']]);
  assert.is(cold!.title, 'DMA reads by device offset, cold host cache (Gb/s)');
  assert.ok(!('cache' in dev!.points[0]!.params), 'warm: the scenario\'s default, as before the cold curves');
  assert.is(ho!.xScale, 'linear');
  assert.equal(ho!.points.map((p) => [p.series, p.x]), [[64, 0], [64, 1], [407, 0], [407, 63]]);
  // Offset 0 is in both sweeps: its two rows are repeats of one point, in both curves.
  assert.equal(ho!.points[0]!.repeats, [30, 29]);
  assert.is(ho!.points[0]!.measured, 29.5);
  // 407 B 63 bytes into a slot of 470 rounded up to 64: sequential slots of 512, none across a 4 KiB boundary.
  assert.equal(ho!.points[3]!.params, {
    platform: 'p', op: 'read', size: 407, window: 8192, pattern: 'sequential-slots', alignment: 512, pageCrossing: 'avoid', hostOffset: 63, deviceOffset: 0, transfers: 2000, inFlight: 11 * 8,
  });
  assert.equal(dev!.points.map((p) => [p.series, p.x, p.measured]), [[64, 0, 29.5], [407, 0, 44], [64, 1, 12.6]]);
  assert.is(dev!.points[2]!.params.deviceOffset, 1);
  assert.is(dev!.points[2]!.params.hostOffset, 0);
  // Plotted a line per size, each point marked; a curve of one line has no markers.
  const simulated = { curve: ho!, simulated: ho!.points.map((p) => p.measured), failures: null };
  const svg = curvePlot(simulated, ho!.title);
  assert.is(svg.match(/<polyline/g)?.length, 4, 'measured and simulated, two sizes each');
  assert.is(svg.match(/<circle/g)?.length, 8);
  // Each measured line named at its right end, with the series' unit, and the legend says what the lines are.
  assert.equal([...svg.matchAll(/>(\d+ B)<\/text>/g)].map((m) => m[1]).sort(), ['407 B', '64 B']);
  assert.ok(svg.includes('lines: transfer size (B)'));
  assert.is(curvePlot({ ...simulated, curve: { ...ho!, points: ho!.points.map((p) => ({ ...p, series: undefined })) } }, 't').match(/<circle/g), null);
});

test('pcie-bench latency by offset (lat_dma_off_rd.csv, lat_dma_off_wrrd.csv): the medians by host and by device offset, a line per size, one transfer at a time in its slot', () => {
  const file = write('lat-off.csv', [
    LAT_HEADER,
    'LAT_DMA_RD,Seq,HWarm,0,0,8192,64,546.7',
    'LAT_DMA_RD,Seq,HWarm,1,0,8192,64,573.3',
    'LAT_DMA_RD,Seq,HWarm,0,3,8192,64,560',
    'LAT_DMA_WRRD,Seq,HWarm,0,3,8192,64,800',
  ]);
  const curves = measuredCurves(file, 'p', null);
  assert.equal(curves.map((c) => [c.name, c.metric, c.unit]), [['lat_ho_rd', 'dma.latency_ns.p50', 'ns'], ['lat_do_rd', 'dma.latency_ns.p50', 'ns'], ['lat_do_wrrd', 'dma.latency_ns.p50', 'ns']]);
  assert.equal(curves[0]!.points.map((p) => [p.series, p.x, p.measured]), [[64, 0, 546.7], [64, 1, 573.3]]);
  assert.equal(curves[1]!.points.map((p) => [p.x, p.measured]), [[0, 546.7], [3, 560]], 'the write-then-read row a curve of its own');
  assert.equal(curves[2]!.points.map((p) => [p.x, p.measured, p.params.op]), [[3, 800, 'write-read']]);
  assert.is(curves[2]!.title, 'Unloaded DMA write-then-read latency by device offset, median (ns)');
  assert.equal(curves[0]!.points[1]!.params, {
    platform: 'p', op: 'read', size: 64, window: 8192, pattern: 'sequential-slots', alignment: 128, pageCrossing: 'avoid', hostOffset: 1, deviceOffset: 0, inFlight: 1, transfers: 50, latencyTick: '13333 ps',
  });
});

test('pcie-bench latency by size (lat_dma_sizes.csv) and byte by byte (lat_dma_sizes_byte_inc.csv, told by sizes one byte apart): a curve each of the reads and of the write-then-reads', () => {
  const rows = (sizes: number[]) => [LAT_HEADER, ...sizes.map((s) => `LAT_DMA_RD,Seq,HWarm,0,0,8192,${s},${600 + s}`)];
  const [bytes] = measuredCurves(write('lat-bytes.csv', rows([247, 248, 249, 1016])), 'p', null);
  assert.is(bytes!.name, 'lat_rd_bytes');
  assert.is(bytes!.xScale, 'linear');
  assert.equal(bytes!.points.map((p) => [p.x, p.measured, p.params.size]), [[247, 847, 247], [248, 848, 248], [249, 849, 249], [1016, 1616, 1016]]);
  assert.is(measuredCurves(write('lat-sizes.csv', rows([4, 8, 16])), 'p', null)[0]!.name, 'lat_rd', 'sizes apart by more: the latency by size');
  const both = measuredCurves(write('lat-both.csv', [...rows([4, 8]), 'LAT_DMA_WRRD,Seq,HWarm,0,0,8192,4,746.7', 'LAT_DMA_WRRD,Seq,HWarm,0,0,8192,8,760']), 'p', null);
  assert.equal(both.map((c) => [c.name, c.title]), [['lat_rd', 'Unloaded DMA read latency by size, median (ns)'], ['lat_wrrd', 'Unloaded DMA write-then-read latency by size, median (ns)']]);
  assert.equal(both[1]!.points.map((p) => [p.x, p.measured, p.params.op]), [[4, 746.7, 'write-read'], [8, 760, 'write-read']]);
});

test('pcie-bench throughput by window: the IOMMU scenario, translated in the host\'s page size or not at all', () => {
  const lines = [BW_HEADER, ...[4096, 1048576, 67108864].map((w) => `BW_DMA_WR,Rand,HWarm,0,0,${w},256,1,1,1,1,40,1`)];
  const file = write('win.csv', lines);
  const [on] = measuredCurves(file, 'p', '4k');
  assert.is(on!.name, 'win_wr_256');
  assert.is(on!.scenario, 'iommu-window');
  assert.equal(on!.points.map((p) => p.x), [4096, 1048576, 67108864]);
  // The first quarter of the transfers left uncounted: pcie-bench's runs of millions never see the IOTLB fill.
  assert.equal(on!.points[0]!.params, { platform: 'p', op: 'write', size: 256, window: 4096, iommu: 'on', pageSize: '4k', inFlight: 11 * 8, transfers: 4000, warmup: 1000 });
  assert.is(measuredCurves(file, 'p', null)[0]!.points[0]!.params.iommu, 'off');
});

test('pcie-bench curves with a host\'s own settings: every point carries them, over what the file gave; none given, none set', () => {
  const file = write('host.csv', [BW_HEADER, 'BW_DMA_WR,Rand,HWarm,0,0,8192,256,1,1,1,1,34.1,1', 'BW_DMA_RD,Rand,HWarm,0,0,8192,64,1,1,1,1,23.0,1']);
  const curves = measuredCurves(file, 'p', null, { mps: 128, window: 4096 });
  assert.equal(curves.map((c) => c.points.map((p) => [p.params.mps, p.params.window, p.params.size])), [[[128, 4096, 64]], [[128, 4096, 256]]]);
  assert.ok(measuredCurves(file, 'p', null).every((c) => c.points.every((p) => !('mps' in p.params))));
});

test('the simple format: one curve per scenario and metric, parameters from the other columns, empty ones left to the scenario', () => {
  const file = write('simple.csv', [
    'scenario,metric,x,measured,op,size,inFlight',
    'dma-bandwidth,dma.latency_ns.p50,64,550,read,64,1',
    'dma-bandwidth,dma.throughput_gbytes_per_s,256,6.6,write,256,',
    'dma-bandwidth,dma.latency_ns.p50,512,700,read,512,1',
  ]);
  const curves = measuredCurves(file, undefined, null);
  assert.equal(curves.map((c) => [c.metric, c.points.length]), [['dma.latency_ns.p50', 2], ['dma.throughput_gbytes_per_s', 1]]);
  assert.equal(curves[1]!.points[0]!.params, { op: 'write', size: 256 });
  assert.is(curves[1]!.scale, 1, 'the simple format is in pciesim\'s own units');
});

test.run();

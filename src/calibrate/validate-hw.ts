/**
 * `npm run validate:hw`: runs every calibration host whose pcie-bench folder
 * is present (hosts.ts) on its platform preset and writes, per host and
 * curve, the mean absolute relative error of the simulation against the
 * measurement, to reports/hw-validation/: README.md (the error table and
 * every point), one measured-vs-simulated SVG per host and curve. Without the
 * data (a user's machine) it says so and exits 0.
 *
 * Options: --host SUBSTRING (only hosts whose folder contains it), --out DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelLibrary } from '../scenario/library.js';
import { PACKAGE_ROOT } from '../cli/context.js';
import { CALIBRATION_HOSTS, hostFolder, pcieBenchDir } from './hosts.js';
import { pcieBenchCurves } from './curves.js';
import { CurveSimulator, meanAbsoluteError, type SimulatedCurve } from './simulate.js';
import { curvePlot } from './svg-plot.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const pct = (e: number | null) => (e === null ? '—' : `${(100 * e).toFixed(1)}%`);

/** The points of a simulated curve as a markdown table. */
export function pointsTable(s: SimulatedCurve): string[] {
  const rows = [`| ${s.curve.xLabel} | measured (${s.curve.unit}) | simulated | error |`, '|---:|---:|---:|---:|'];
  s.curve.points.forEach((p, i) => {
    const v = s.simulated[i];
    rows.push(`| ${p.x} | ${p.measured.toFixed(1)} | ${v == null ? '—' : v.toFixed(1)} | ${v == null ? '—' : pct((v - p.measured) / p.measured)} |`);
  });
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string' }, out: { type: 'string' } } });
  const dir = pcieBenchDir();
  const hosts = CALIBRATION_HOSTS.filter((h) => values.host === undefined || h.folder.includes(values.host));
  const present = hosts.flatMap((h) => { const f = hostFolder(h, dir); return f ? [{ ...h, path: f }] : []; });
  if (present.length === 0) {
    console.log(`validate:hw: no pcie-bench measurements found (looked in ${path.relative(process.cwd(), dir) || '.'}; set PCIESIM_PCIE_BENCH to their folder): skipped`);
    return;
  }
  const out = values.out ?? path.join(PACKAGE_ROOT, 'reports', 'hw-validation');
  fs.mkdirSync(out, { recursive: true });
  const sim = new CurveSimulator(await loadModelLibrary());
  const summary: string[] = [];
  const details: string[] = [];
  const curveNames: string[] = [];
  const table = new Map<string, Map<string, number | null>>();
  for (const h of present) {
    const errors = new Map<string, number | null>();
    table.set(h.platform, errors);
    details.push(`## ${h.platform}`, '', `pcie-bench host \`${h.folder}\`.`, '');
    for (const curve of pcieBenchCurves(h.path, h.platform, h.pageSize, h.params)) {
      const s = sim.simulate(curve);
      const e = meanAbsoluteError(s);
      errors.set(curve.name, e);
      if (!curveNames.includes(curve.name)) curveNames.push(curve.name);
      const svg = `${h.platform}-${curve.name}.svg`;
      writeFileAtomic(path.join(out, svg), curvePlot(s, `${h.platform}: ${curve.title}`));
      details.push(`### ${curve.name}: ${curve.title}: mean absolute error ${pct(e)}`, '', `![${curve.name}](${svg})`, '', ...pointsTable(s), '');
      console.log(`${h.platform.padEnd(42)} ${curve.name.padEnd(12)} ${pct(e)}`);
    }
  }
  summary.push('| platform | ' + curveNames.join(' | ') + ' | mean |', '|---|' + curveNames.map(() => '---:').join('|') + '|---:|');
  for (const [platform, errors] of table) {
    const es = curveNames.map((c) => errors.get(c) ?? null);
    const ok = es.filter((e): e is number => e !== null);
    summary.push(`| ${platform} | ${es.map(pct).join(' | ')} | ${pct(ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null)} |`);
  }
  const text = ['# Simulated against measured: pcie-bench calibration hosts', '',
    'Mean absolute relative error of each curve (|simulated − measured| / measured, averaged over the curve\'s points). ' +
    'Curves: bw_rd/bw_wr/bw_rw throughput by transfer size (8 KiB window, random, warm); lat_rd unloaded read latency by size (median); lat_win_warm/lat_win_cold unloaded random 64-byte read latency by window, host cache warm or cold (median); ' +
    'win_<op>_<size> throughput by window (warm), through the IOMMU on the -iommu hosts. Produced by `npm run validate:hw`.', '',
    ...summary, '', ...details].join('\n') + '\n';
  writeFileAtomic(path.join(out, 'README.md'), text);
  console.log(`\n${summary.join('\n')}\n\nwrote ${path.relative(process.cwd(), path.join(out, 'README.md'))}`);
}

await main();

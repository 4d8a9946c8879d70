import path from 'node:path';
import type { ReportRun, ReportStudy } from '../report/model.js';
import { UserError } from '../scenario/errors.js';
import { displayUnit } from '../scenario/stat-units.js';
import { isDistribution } from '../stats/distribution.js';
import { runsOfManifest } from './plan.js';
import { manifestOfResults, readResultsFile, RUN_COLUMNS } from './results-file.js';
import { readRunSummary, SWEEP_FILES } from './sweep.js';
import { readSensitivity } from './sensitivity.js';
import fs from 'node:fs';

/**
 * A sweep folder as a report study. results.arrow is the source of truth
 * (metrics, status, seeds) and carries the manifest; the per-run summaries,
 * when present, add what a flat table cannot hold: CDFs, the attribution
 * ledger and time series.
 */
export function studyOfSweep(dir: string): ReportStudy {
  const file = path.join(dir, SWEEP_FILES.results);
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no ${SWEEP_FILES.results} here; run "pciesim sweep" (or "pciesim merge") into this folder first`);
  const table = readResultsFile(file);
  const manifest = manifestOfResults(table, file);
  const planned = new Map(runsOfManifest(manifest).map((r) => [r.id, r]));
  const paramNames = new Set(manifest.parameters.map((p) => p.name));
  const metricColumns = table.schema.fields.map((f) => f.name)
    .filter((n) => !paramNames.has(n) && !(RUN_COLUMNS as readonly string[]).includes(n));

  const runs: ReportRun[] = [];
  for (const row of table) {
    const r = row.toJSON() as Record<string, unknown>;
    const id = String(r.run);
    const plan = planned.get(id);
    const summary = plan ? readRunSummary(dir, plan) : null;
    const metrics: Record<string, number | null> = {};
    const categories: Record<string, string> = {};
    for (const m of metricColumns) {
      const v = r[m];
      metrics[m] = typeof v === 'number' ? v : null;
      if (typeof v === 'string') categories[m] = v;
    }
    const distributions: ReportRun['distributions'] = {};
    for (const [name, v] of Object.entries(summary?.metrics ?? {})) {
      if (isDistribution(v) && v.cdf.length) distributions[name] = { unit: displayUnit(manifest.metrics[`${name}.p50`]?.unit ?? ''), points: v.cdf };
    }
    const transactions = summary?.attribution.transactions ?? 0;
    runs.push({
      id, point: Number(r.point), replication: Number(r.replication), seed: Number(r.seed),
      parameters: Object.fromEntries(manifest.parameters.map((p) => [p.name, r[p.name] as number | string | boolean])),
      status: r.status === 'ok' ? 'ok' : 'failed',
      error: (r.error as string | null) ?? null,
      metrics,
      categories,
      distributions,
      // Per transaction, so runs of different lengths compare.
      attribution: transactions > 0 ? summary!.attribution.charges.map(([c, ps]): [string, number] => [c, ps / transactions]) : [],
      series: Object.fromEntries(Object.entries(summary?.series ?? {}).map(([k, pts]) => [k, pts.map(([time_ps, value]) => ({ time_ps, value }))])),
    });
  }
  return {
    title: manifest.report.title ?? manifest.scenario.name,
    scenario: { ...manifest.scenario, description: manifest.scenario.description || null },
    pciesim: manifest.pciesim,
    seed: manifest.seed,
    replications: manifest.replications,
    parameters: manifest.parameters,
    // Units as people write them (µs, not us) on every axis, header and sentence.
    metrics: Object.fromEntries(Object.entries(manifest.metrics).map(([k, m]) => [k, { ...m, unit: displayUnit(m.unit) }])),
    plots: manifest.report.plots,
    // Sweeps written before tables existed have none.
    tables: manifest.report.tables ?? [],
    runs,
    sensitivity: readSensitivity(dir),
  };
}

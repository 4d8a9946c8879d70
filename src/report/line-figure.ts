/**
 * Metric against a swept parameter, one line per variant, each point the mean
 * over replications with its Student-t confidence band.
 */
import type { Figure, MissingFigure } from './figure.js';
import { compareBySweepOrder, gridPoints, parameterValue, sweptParameters, variantLabel, type GridPoint } from './grid.js';
import { metricUnit, withUnit } from './metric-columns.js';
import type { ParamValue, PlotRequest, ReportStudy } from './model.js';
import { CONFIDENCE_LEVEL, estimate, metricSamples } from './replications.js';
import { lineSpec, type Cell, type Row } from './specs.js';
import { missingReason } from './outcome.js';

/** Points without a value named in a caption before it says "and N more". */
const MAX_LISTED_GAPS = 6;

/** The parameters that tell the lines apart: the requested series first, then every other swept parameter but x. */
function lineVariants(study: ReportStudy, x: string, series: string | undefined, fixed: Record<string, unknown>): string[] {
  const names = series !== undefined && series !== x ? [series] : [];
  for (const p of sweptParameters(study)) if (p.name !== x && !names.includes(p.name) && !(p.name in fixed)) names.push(p.name);
  return names;
}

function cellOf(value: ParamValue | undefined): Cell {
  if (value === undefined) return null;
  return typeof value === 'boolean' ? String(value) : value;
}

interface LinePoint { first: GridPoint; x: ParamValue | undefined; variant: string; runs: GridPoint['runs'] }

export function lineFigure(study: ReportStudy, request: PlotRequest): Figure | MissingFigure {
  const title = request.title ?? `${request.metric} vs ${request.x}`;
  const variants = lineVariants(study, request.x, request.series, request.where ?? {});

  // Points that agree on x and variant share one mean; with every swept parameter named that is one grid point each.
  const byKey = new Map<string, LinePoint>();
  const where = Object.entries(request.where ?? {});
  const slice = where.map(([k, v]) => `${k} = ${parameterValue(study, k, v)}`).join(', ');
  const runs = study.runs.filter((r) => where.every(([name, value]) => r.parameters[name] === value));
  for (const point of gridPoints(runs)) {
    const x = point.parameters[request.x];
    const variant = variantLabel(study, point.parameters, variants);
    const key = JSON.stringify([x ?? null, variant]);
    const existing = byKey.get(key);
    if (existing) existing.runs = existing.runs.concat(point.runs);
    else byKey.set(key, { first: point, x, variant, runs: point.runs });
  }
  // Variant-major order gives legend colours in sweep order; x order within keeps an ordinal axis in sweep order.
  const order = compareBySweepOrder(study, [...variants, request.x]);
  const linePoints = [...byKey.values()].sort((a, b) => order(a.first, b.first));

  const rows: Row[] = linePoints.map((p) => {
    const e = estimate(metricSamples(p.runs, request.metric));
    const row: Row = { x: cellOf(p.x), mean: e.mean, ci_low: e.low, ci_high: e.high, n: e.n };
    if (variants.length > 0) row['variant'] = p.variant;
    return row;
  });
  if (!rows.some((r) => r['x'] !== null && r['mean'] !== null)) {
    return { title, reason: `no successful run${where.length ? ` with ${slice}` : ''} has both parameter ${request.x} and metric ${request.metric}` };
  }

  const hasBand = rows.some((r) => r['ci_low'] !== null);
  const singleRun = rows.some((r) => r['n'] === 1);
  const xUnit = study.parameters.find((p) => p.name === request.x)?.unit ?? null;
  const spec = lineSpec({
    title,
    rows,
    x: 'x',
    y: 'mean',
    ...(variants.length > 0 ? { series: 'variant', seriesTitle: variants.join(', ') } : {}),
    ...(hasBand ? { ciLow: 'ci_low', ciHigh: 'ci_high' } : {}),
    logX: request.logX ?? false,
    logY: request.logY ?? false,
    // Sizes in bytes are labelled in KiB and MiB on the axis itself (specs.ts), so the title carries no unit.
    xTitle: xUnit === 'B' ? request.x : withUnit(request.x, xUnit),
    xBytes: xUnit === 'B',
    yTitle: withUnit(request.metric, metricUnit(study, request.metric)),
  });
  // Points without a value, grouped by what their runs reported instead (a refusal's outcome, a failure).
  const gaps = new Map<string, string[]>();
  linePoints.forEach((p, i) => {
    if (rows[i]!['mean'] !== null) return;
    const why = missingReason(p.runs);
    if (why === null) return;
    const at = `${request.x} ${parameterValue(study, request.x, p.x)}${variants.length > 0 ? ` (${p.variant})` : ''}`;
    gaps.set(why, [...(gaps.get(why) ?? []), at]);
  });
  const gapText = [...gaps].map(([why, at]) =>
    ` No point where the runs reported ${why}: ${at.slice(0, MAX_LISTED_GAPS).join(', ')}${at.length > MAX_LISTED_GAPS ? `, and ${at.length - MAX_LISTED_GAPS} more` : ''}.`).join('');
  const caption = [
    `Mean of ${request.metric} over the replications of each grid point`,
    hasBand ? ` with its ${CONFIDENCE_LEVEL * 100}% Student-t confidence band` : '',
    singleRun ? (hasBand ? '; points from a single run have no band' : '; one run per point, so no confidence band') : '',
    '.',
    where.length ? ` Only the runs with ${slice}.` : '',
    study.runs.some((r) => r.status === 'failed') ? ' Failed runs are left out.' : '',
    gapText,
  ].join('');
  return { name: `${request.metric} vs ${request.x}${where.length ? ` where ${slice}` : ''}`, title, caption, spec };
}

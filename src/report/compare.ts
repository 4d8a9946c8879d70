/**
 * Side by side: sweeps of one scenario (a baseline and a change, two
 * platforms, two model versions) as one study whose runs carry the folder
 * they came from as a parameter, `input`. Every plot then has a series per
 * input, and a table of differences sets each metric at each grid point
 * against the first input.
 */
import { escapeHtml } from './escape.js';
import { formatNumber, MISSING } from './format.js';
import { compareBySweepOrder, compareCodeUnits, displayValue, gridPoints, sweptParameters } from './grid.js';
import { htmlTable, parameterColumn, type Column } from './html-table.js';
import { headlineMetrics, metricUnit, withUnit } from './metric-columns.js';
import type { ParamValue, ReportParameter, ReportStudy } from './model.js';
import { estimate, metricSamples } from './replications.js';

/** The parameter that tells the inputs apart. */
export const INPUT = 'input';

/** Can these studies be compared point by point: one scenario, the same parameter names? */
export function comparable(studies: readonly ReportStudy[]): boolean {
  if (studies.length < 2) return false;
  const names = (s: ReportStudy) => s.parameters.map((p) => p.name).sort(compareCodeUnits).join('\0');
  return studies.every((s) => s.scenario.name === studies[0]!.scenario.name && names(s) === names(studies[0]!) && !s.parameters.some((p) => p.name === INPUT));
}

/** One study of all inputs' runs, `input` the first parameter; its plots are the first input's, each with a series per input. */
export function comparisonStudy(studies: readonly ReportStudy[], labels: readonly string[]): ReportStudy {
  const first = studies[0]!;
  // A parameter each input holds at one value of its own (the change being compared) tells the inputs
  // apart exactly as `input` does: it is said once in the input's description, not swept again.
  const distinguishing = first.parameters.filter((p) => studies.every((s) => s.parameters.find((q) => q.name === p.name)!.values.length === 1) &&
    new Set(studies.map((s) => JSON.stringify(s.parameters.find((q) => q.name === p.name)!.values[0]))).size > 1);
  const setting = (s: ReportStudy): string => distinguishing.map((p) => `${p.name} = ${displayValue(s.parameters.find((q) => q.name === p.name)!.values[0], p.unit)}`).join(', ');
  const parameters: ReportParameter[] = [
    {
      name: INPUT, unit: null, values: [...labels],
      description: `The sweep folder the runs come from${distinguishing.length ? `: ${studies.map((s, i) => `${labels[i]} (${setting(s)})`).join('; ')}` : ''}`,
    },
    ...first.parameters.filter((p) => !distinguishing.includes(p)).map((p) => {
      // Values in the first input's order, then any only another input swept.
      const values: ParamValue[] = [...p.values];
      for (const s of studies.slice(1)) for (const v of s.parameters.find((q) => q.name === p.name)!.values) if (!values.includes(v)) values.push(v);
      return { ...p, values };
    }),
  ];
  // Grid points are renumbered so the inputs' points never merge: input i's point k becomes i·stride + k.
  const stride = Math.max(...studies.flatMap((s) => s.runs.map((r) => r.point + 1)), 1);
  const runs = studies.flatMap((s, i) => s.runs.map((r) => ({
    ...r, id: `${labels[i]}/${r.id}`, point: i * stride + r.point, parameters: { [INPUT]: labels[i]!, ...r.parameters },
  })));
  const metrics = Object.assign({}, ...studies.map((s) => s.metrics)) as ReportStudy['metrics'];
  const swept = sweptParameters(first);
  const requests = first.plots.length > 0
    ? first.plots
    : headlineMetrics(first.runs).slice(0, MAX_COMPARED_METRICS).flatMap((metric) => (swept[0] ? [{ metric, x: swept[0].name }] : []));
  return {
    ...first,
    title: `Side by side: ${labels.join(' against ')}`,
    scenario: { ...first.scenario, description: `${studies.length} sweeps of ${first.scenario.name}, each a series in every plot (${INPUT}); ` +
      `the differences below set each against ${labels[0]}. Each sweep's own section follows.` },
    parameters,
    metrics,
    plots: requests.map((p) => ({ ...p, series: INPUT })),
    tables: [],
    sensitivity: null,
    runs,
    comparison: { inputs: [...labels], metrics: [...new Set(requests.map((p) => p.metric))] },
  };
}

/** Metrics the differences table and default plots compare when the scenario names none. */
export const MAX_COMPARED_METRICS = 6;

interface ComparedValue { point: string[]; metric: string; b: number | null; v: number | null; d: number | null; share: number | null }

/** Every compared metric at every grid point, in sweep order, for each input after the first against the first. */
function comparedValues(study: ReportStudy, c: NonNullable<ReportStudy['comparison']>) {
  const [base, ...others] = c.inputs;
  const swept = sweptParameters(study).filter((p) => p.name !== INPUT);
  const byPoint = new Map<string, Map<string, ReturnType<typeof gridPoints>[number]>>();
  const order: string[] = [];
  for (const point of gridPoints(study.runs).sort(compareBySweepOrder(study, [...swept.map((p) => p.name), INPUT]))) {
    const key = JSON.stringify(swept.map((p) => point.parameters[p.name] ?? null));
    if (!byPoint.has(key)) { byPoint.set(key, new Map()); order.push(key); }
    byPoint.get(key)!.set(String(point.parameters[INPUT]), point);
  }
  const mean = (key: string, input: string, metric: string): number | null => {
    const point = byPoint.get(key)!.get(input);
    return point ? estimate(metricSamples(point.runs, metric)).mean : null;
  };
  const entries = order.flatMap((key) => c.metrics.map((metric) => {
    const b = mean(key, base!, metric);
    const against = others.map((o) => {
      const v = mean(key, o, metric);
      const d = v !== null && b !== null ? v - b : null;
      return { v, d, share: d === null || b === null || b === 0 ? null : (100 * d) / Math.abs(b) };
    });
    const point = (JSON.parse(key) as ParamValue[]).map((v, k) => displayValue(v, swept[k]!.unit));
    return { point, metric: withUnit(metric, metricUnit(study, metric)), b, against };
  }));
  const valuesOf = (k: number): ComparedValue[] => entries.map((e) => ({ point: e.point, metric: e.metric, b: e.b, ...e.against[k]! }));
  return { base: base!, others, swept, entries, valuesOf };
}

/**
 * Each compared metric at each grid point: the first input's mean, then each
 * other input's mean, its difference and that difference as a share of the
 * first; opened, for each other input, by what moved most (largestDifferences).
 */
export function differencesHtml(study: ReportStudy): string {
  const c = study.comparison;
  if (!c) return '';
  const { base, others, swept, entries, valuesOf } = comparedValues(study, c);
  const columns: Column[] = [
    ...swept.map(parameterColumn),
    { header: 'Metric', kind: 'code' },
    { header: base, kind: 'number' },
    ...others.flatMap((o): Column[] => [{ header: o, kind: 'number' }, { header: `${o} − ${base}`, kind: 'number' }, { header: 'change', kind: 'number' }]),
  ];
  const rows = entries.map((e) => [
    ...e.point, e.metric, cell(e.b),
    ...e.against.flatMap((a) => [cell(a.v), a.d === null ? MISSING : signed(a.d), a.share === null ? MISSING : signed(a.share, '%')]),
  ]);
  return [
    '<h3>Differences</h3>',
    ...others.map((o, k) => largestDifferences(o, base, swept.map(parameterColumn), valuesOf(k))),
    `<p>${escapeHtml(`Mean of each metric over a grid point's successful runs, for ${base} and for each other input, its difference from ${base} and that difference as a share of ${base}; ${MISSING}: no value to compare.`)}</p>`,
    htmlTable(columns, rows),
  ].join('\n');
}

/**
 * For the report's findings: per other input, one sentence saying, per
 * metric, at how many grid points it moved by a notable share and its
 * largest move, where: "fewer against baseline: latency_ns (ns) moved 1% or
 * more at 1 of 2 grid points, most (+20.0%) at size 64 KiB."
 */
export function comparisonFindings(study: ReportStudy): string[] {
  const c = study.comparison;
  if (!c) return [];
  const { base, others, swept, valuesOf } = comparedValues(study, c);
  // A metric no grid point of both inputs reported (the inputs swept different values) says nothing.
  return others.flatMap((o, k) => {
    const parts = ranked(valuesOf(k)).filter((m) => m.compared.length > 0).map(({ metric, compared, notable, largest }) => {
      const where = largest ? `, most (${signed(largest.share!, '%')}) at ${largest.point.map((v, i) => `${swept[i]!.name} ${v}`).join(', ') || 'the one point'}` : '';
      return `${metric} moved ${NOTABLE_CHANGE_PERCENT}% or more at ${notable.length} of ${compared.length} grid points${where}`;
    });
    return parts.length > 0 ? [`${o} against ${base}: ${parts.join('; ')}.`] : [];
  });
}

const cell = (v: number | null): string => (v === null ? MISSING : formatNumber(v));
const signed = (v: number, suffix = ''): string => `${v > 0 ? '+' : ''}${formatNumber(v)}${suffix}`;

/** Values of each metric ranked in the summary of an input's differences. */
export const LARGEST_DIFFERENCES = 5;
/** A relative change below this (%) counts as no change in the summary. */
const NOTABLE_CHANGE_PERCENT = 1;

/**
 * What a reader looks for first: how many of each metric's compared values
 * `other` moves by a notable share, and the largest of those moves, ranked
 * by their share of the first input's value (ties keep sweep order). Ranked
 * per metric, so a metric near zero, whose small moves are large shares,
 * does not crowd out the others.
 */
function largestDifferences(other: string, base: string, pointColumns: Column[], values: ComparedValue[]): string {
  const perMetric = ranked(values);
  const summary = `${other} against ${base}, grid points where a metric differs by ${NOTABLE_CHANGE_PERCENT}% or more: ` +
    `${perMetric.map((m) => `${m.metric} ${m.notable.length} of ${m.compared.length}`).join('; ')}.`;
  const top = perMetric.flatMap((m) => m.top);
  if (top.length === 0) return `<p>${escapeHtml(summary)}</p>`;
  const columns: Column[] = [{ header: 'Metric', kind: 'code' }, ...pointColumns, { header: base, kind: 'number' }, { header: other, kind: 'number' },
    { header: 'change', kind: 'number' }];
  return [
    `<p>${escapeHtml(`${summary} The largest (up to ${LARGEST_DIFFERENCES} a metric), by their share of ${base}'s value:`)}</p>`,
    htmlTable(columns, top.map((e) => [e.metric, ...e.point, cell(e.b), cell(e.v), signed(e.share!, '%')])),
  ].join('\n');
}

/** Per metric (in the order compared): its values with a share, those that moved notably, and the largest of those, largest first (ties keep sweep order). */
function ranked(values: ComparedValue[]) {
  return [...new Set(values.map((e) => e.metric))].map((metric) => {
    const compared = values.filter((e) => e.metric === metric && e.share !== null);
    const notable = compared.filter((e) => Math.abs(e.share!) >= NOTABLE_CHANGE_PERCENT);
    const top = notable.map((e, k) => ({ e, k })).sort((x, y) => Math.abs(y.e.share!) - Math.abs(x.e.share!) || x.k - y.k)
      .slice(0, LARGEST_DIFFERENCES).map(({ e }) => e);
    return { metric, compared, notable, top, largest: top[0] };
  });
}

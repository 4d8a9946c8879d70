/**
 * Which plots a study gets: the metric-vs-parameter plots its scenario asks
 * for (or sensible defaults), then a CDF per latency distribution, a time
 * breakdown when runs attribute time, and a plot per time series. Each kind
 * is capped so a study with many metrics stays a readable page.
 */
import { attributionFigure } from './attribution-figure.js';
import { cdfFigure } from './cdf-figure.js';
import type { Figure, MissingFigure } from './figure.js';
import { compareCodeUnits, everyPoint, representativePoints, sweptParameters } from './grid.js';
import { lineFigure } from './line-figure.js';
import { headlineMetrics } from './metric-columns.js';
import type { PlotRequest, ReportRun, ReportStudy } from './model.js';
import { seriesFigure } from './series-figure.js';
import { colorScheme } from './specs.js';

export const MAX_DEFAULT_LINE_FIGURES = 8;
export const MAX_CDF_FIGURES = 4;
export const MAX_SERIES_FIGURES = 2;
/** Past this many grid points the breakdown shows only the representative slice, so bars stay legible. */
export const MAX_ATTRIBUTION_BARS = 24;

export interface StudyFigures {
  figures: Figure[];
  /** Requested plots with nothing to draw. */
  missing: MissingFigure[];
}

/** Each headline metric against the first swept parameter, one line per value of the second. */
function defaultRequests(study: ReportStudy): PlotRequest[] {
  const [x, series] = sweptParameters(study);
  if (!x) return [];
  return headlineMetrics(study.runs)
    .slice(0, MAX_DEFAULT_LINE_FIGURES)
    .map((metric) => (series ? { metric, x: x.name, series: series.name } : { metric, x: x.name }));
}

function namesOf(runs: readonly ReportRun[], pick: (run: ReportRun) => object): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(pick(run))) names.add(name);
  return [...names].sort(compareCodeUnits);
}

export function studyFigures(study: ReportStudy): StudyFigures {
  const figures: Figure[] = [];
  const missing: MissingFigure[] = [];
  const requested = study.plots.length > 0;
  for (const request of requested ? study.plots : defaultRequests(study)) {
    const figure = lineFigure(study, request);
    if ('spec' in figure) figures.push(figure);
    // A default plot without data is simply not offered; a requested one is reported as missing.
    else if (requested) missing.push(figure);
  }

  const x = study.plots[0]?.x ?? sweptParameters(study)[0]?.name;
  const slice = representativePoints(study, x);
  const add = (figure: Figure | null): void => { if (figure) figures.push(figure); };

  for (const name of namesOf(study.runs, (r) => r.distributions).slice(0, MAX_CDF_FIGURES)) add(cdfFigure(study, name, slice));
  const all = everyPoint(study);
  add(attributionFigure(all.points.length <= MAX_ATTRIBUTION_BARS ? all : slice));
  for (const name of namesOf(study.runs, (r) => r.series).slice(0, MAX_SERIES_FIGURES)) add(seriesFigure(study, name, slice));
  unifyColours(figures);
  return { figures, missing };
}

interface ColourScale { title?: string; scale?: { domain?: unknown[]; scheme?: string }; legend?: unknown }

/** Every colour encoding of a spec (top level and in its layers). */
function colourEncodings(spec: Record<string, unknown>): ColourScale[] {
  const layers = [spec, ...((spec['layer'] as Record<string, unknown>[] | undefined) ?? [])];
  return layers.map((l) => (l['encoding'] as { color?: ColourScale } | undefined)?.color).filter((c): c is ColourScale => c?.scale?.domain !== undefined);
}

/**
 * One colour per series across a study's plots: colour scales with the same
 * legend title share one domain (the values in first-seen order over all the
 * plots), so "grant-copy" is the same colour wherever it appears; each legend
 * still lists only the values its own plot draws.
 */
export function unifyColours(figures: readonly Figure[]): void {
  const domains = new Map<string, unknown[]>();
  for (const f of figures) {
    for (const c of colourEncodings(f.spec)) {
      const domain = domains.get(c.title ?? '') ?? [];
      for (const v of c.scale!.domain!) if (!domain.includes(v)) domain.push(v);
      domains.set(c.title ?? '', domain);
    }
  }
  for (const f of figures) {
    for (const c of colourEncodings(f.spec)) {
      const own = c.scale!.domain!;
      const shared = domains.get(c.title ?? '')!;
      // Same values in the same order: already the shared colours. (Same length alone is not enough: [b, a] would swap them.)
      if (shared.length === own.length && own.every((v, k) => v === shared[k])) continue;
      c.scale = { ...c.scale, domain: shared, scheme: colorScheme(shared.length) };
      if (c.legend !== null) c.legend = { ...(c.legend as object | undefined), values: own };
    }
  }
}

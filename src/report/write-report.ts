/**
 * Writes a report folder: per plot its Vega-Lite spec (`<id>.vl.json`, data
 * inline, keys sorted), `<id>.svg` and `<id>.png`; per study its results
 * (`<study>-results.csv`); and `index.html`, which shows them. The same document always gives byte-identical files.
 */
import { canonicalJson } from '../util/canonical-json.js';
import { UniqueSlugs } from './escape.js';
import { findingsSection } from './findings.js';
import { htmlPage, PAGE_IDS } from './html-page.js';
import { studySection, studyTitle, type PlacedFigure } from './html-study.js';
import { svgImage } from './svg-image.js';
import type { ReportDocument } from './model.js';
import { renderPng, renderSvg } from './render.js';
import { resultGrid, resultsCsv } from './result-grid.js';
import { replaceFolder } from './report-folder.js';
import type { VegaLiteSpec } from './specs.js';
import { studyFigures } from './study-figures.js';

export interface WriteReportOptions {
  /** PNG width in pixels, the height following the plot's aspect ratio. Default: twice the SVG's size. */
  pngWidth?: number;
  /** Receives vega-lite's and vega's warnings. Default: written to stderr. */
  onWarning?: (message: string) => void;
}

export interface WrittenReport {
  /** The folder as given. */
  dir: string;
  /** File names inside it, sorted. */
  files: string[];
  /** How many plots were rendered. */
  plots: number;
  /** Plots a scenario asked for that had nothing to draw, with why ("<study>: <title>: <reason>"). */
  dropped: string[];
}

/**
 * Renders every study of `doc` and replaces `dir` with the result (see
 * report-folder.ts for when an existing folder may be replaced). On any
 * error nothing at `dir` changes.
 */
export async function writeReport(dir: string, doc: ReportDocument, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const ids = new UniqueSlugs();
  for (const id of PAGE_IDS) ids.take(id);
  const planned = doc.studies.map((study) => {
    const id = ids.take(studyTitle(study), 'study');
    const { figures, missing } = studyFigures(study);
    return { study, id, missing, figures: figures.map((figure) => ({ id: ids.take(`${id}-${figure.name}`, 'plot'), figure })) };
  });

  const files = new Map<string, string | Uint8Array>();
  const pngs: Promise<void>[] = [];
  const sections = [];
  try {
    for (const { study, id, missing, figures } of planned) {
      const placed: PlacedFigure[] = [];
      // One plot at a time: vega's id counters are global, and its layout is single-threaded anyway.
      for (const { id: figureId, figure } of figures) {
        const specText = `${canonicalJson(figure.spec, 2)}\n`;
        // Rendered from the written text, so the .svg is exactly what the .vl.json gives.
        const svg = await renderSvg(JSON.parse(specText) as VegaLiteSpec, options.onWarning ? { onWarning: options.onWarning } : {});
        files.set(`${figureId}.vl.json`, specText);
        files.set(`${figureId}.svg`, svg);
        // Rasterised on resvg's own thread while vega lays out the next plot.
        pngs.push(renderPng(svg, options.pngWidth !== undefined ? { width: options.pngWidth } : {})
          .then((png) => { files.set(`${figureId}.png`, png); }));
        placed.push({ id: figureId, figure, image: svgImage(svg, `${figureId}.svg`, figure.title) });
      }
      const grid = resultGrid(study);
      const csvFile = `${id}-results.csv`;
      if (study.runs.length > 0) files.set(csvFile, resultsCsv(grid));
      sections.push({ id, title: studyTitle(study), html: studySection({ study, id, figures: placed, missing, grid, csvFile }) });
    }
  } finally {
    // Settle every rasterisation even when a later plot failed, so none rejects unobserved.
    await Promise.allSettled(pngs);
  }
  await Promise.all(pngs);
  const findings = findingsSection(PAGE_IDS[1], planned);
  if (findings) sections.unshift({ id: PAGE_IDS[1], title: 'Findings', html: findings });
  files.set('index.html', htmlPage(doc.title, sections));

  replaceFolder(dir, files);
  const plots = planned.reduce((sum, p) => sum + p.figures.length, 0);
  const dropped = planned.flatMap((p) => p.missing.map((m) => `${studyTitle(p.study)}: ${m.title}: ${m.reason}`));
  return { dir, files: [...files.keys()].sort(), plots, dropped };
}

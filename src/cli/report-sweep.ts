import path from 'node:path';
import { studyOfSweep } from '../run/report-input.js';

/**
 * Writes the report of one or more sweep folders (one section each) and
 * returns its index.html path. Sweeps of one scenario are also set side by
 * side (compare.ts), first. The report code (vega, vega-lite, resvg) is
 * loaded only here, so commands that write no report start fast.
 */
export async function reportSweep(dirs: readonly string[], outDir: string, title?: string): Promise<string> {
  let studies = dirs.map(studyOfSweep);
  const { writeReport } = await import('../report/write-report.js');
  const { comparable, comparisonStudy } = await import('../report/compare.js');
  if (comparable(studies)) {
    const labels = inputLabels(dirs);
    studies = [comparisonStudy(studies, labels), ...studies.map((s, i) => ({ ...s, title: `${labels[i]}: ${s.title}` }))];
  }
  const { dropped } = await writeReport(outDir, { title: title ?? (studies.length === 1 ? studies[0]!.title : 'pciesim report'), studies });
  // Nothing a scenario asked for goes missing silently.
  for (const d of dropped) process.stderr.write(`pciesim report: no plot for ${d}\n`);
  return path.join(outDir, 'index.html');
}

/** Each folder's name, or its path as given where two folders share a name. */
export function inputLabels(dirs: readonly string[]): string[] {
  const names = dirs.map((d) => path.basename(path.resolve(d)));
  return names.map((n, i) => (names.indexOf(n) === names.lastIndexOf(n) ? n : dirs[i]!.replace(/[\\/]+$/, '')));
}

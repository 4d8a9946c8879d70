import path from 'node:path';
import { studyOfSweep } from '../run/report-input.js';

/**
 * Writes the report of one or more sweep folders (one section each) and
 * returns its index.html path. The report code (vega, vega-lite, resvg) is
 * loaded only here, so commands that write no report start fast.
 */
export async function reportSweep(dirs: readonly string[], outDir: string, title?: string): Promise<string> {
  const studies = dirs.map(studyOfSweep);
  const { writeReport } = await import('../report/write-report.js');
  const { dropped } = await writeReport(outDir, { title: title ?? (studies.length === 1 ? studies[0]!.title : 'pciesim report'), studies });
  // Nothing a scenario asked for goes missing silently.
  for (const d of dropped) process.stderr.write(`pciesim report: no plot for ${d}\n`);
  return path.join(outDir, 'index.html');
}

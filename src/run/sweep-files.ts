/** The files of a sweep folder. */
export const SWEEP_FILES = {
  manifest: 'sweep.json',
  results: 'results.arrow',
  runs: 'runs',
  summary: 'summary.json',
  report: 'report',
} as const;

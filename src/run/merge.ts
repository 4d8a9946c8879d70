import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../scenario/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { canonicalJson } from '../util/canonical-json.js';
import { runsOfManifest, type SweepManifest } from './plan.js';
import { resultsTable, writeResultsFile } from './results-file.js';
import { readSensitivity, writeSensitivity } from './sensitivity.js';
import type { RunSummary } from './single.js';
import { readRunSummary, readSweepFolder, SWEEP_FILES, type SweepFolder } from './sweep.js';

/**
 * Joins the folders of a sharded sweep into one. Every folder must hold the
 * same manifest; together they must hold every run. The merged results.arrow
 * is built by the same code, in the same run order, as a one-machine sweep's,
 * so the bytes are identical.
 */
export function mergeSweeps(dirs: readonly string[], out: string): { manifest: SweepManifest; runs: number } {
  if (dirs.length === 0) throw new UserError('name at least one sweep folder');
  const folders = dirs.map((d) => ({ dir: d, folder: readSweepFolder(d) }));
  const manifest = folders[0]!.folder.manifest;
  for (const { dir, folder } of folders.slice(1)) {
    if (canonicalJson(folder.manifest) !== canonicalJson(manifest)) {
      throw new UserError(`${dir} holds a different sweep from ${folders[0]!.dir} (scenario, parameters, grid or seed differ)`);
    }
  }
  const runs = runsOfManifest(manifest);
  const found = new Map<number, { dir: string; summary: RunSummary }>();
  for (const run of runs) {
    for (const { dir } of folders) {
      const summary = readRunSummary(dir, run);
      if (summary) { found.set(run.index, { dir, summary }); break; }
    }
  }
  const missing = runs.filter((r) => !found.has(r.index));
  if (missing.length) {
    const shards = folders.map((f) => f.folder.shard).filter((s) => s !== null).map((s) => `${s!.index}/${s!.count}`);
    throw new UserError(`${missing.length} of ${runs.length} runs are in none of the folders (first: ${missing[0]!.id}); ` +
      `shards given: ${shards.length ? shards.join(', ') : 'none'}. Finish the missing shards (sweep --shard K/N --resume) and merge again`);
  }
  if (fs.existsSync(out) && fs.readdirSync(out).length) throw new UserError(`--out ${out}: the folder is not empty; choose a new one`);
  for (const run of runs) {
    const { dir } = found.get(run.index)!;
    fs.cpSync(path.join(dir, SWEEP_FILES.runs, run.id), path.join(out, SWEEP_FILES.runs, run.id), { recursive: true });
  }
  const folder: SweepFolder = { manifest, shard: null };
  writeFileAtomic(path.join(out, SWEEP_FILES.manifest), canonicalJson(folder, 2) + '\n');
  writeResultsFile(path.join(out, SWEEP_FILES.results), resultsTable(manifest, runs.map((run) => ({ run, summary: found.get(run.index)!.summary }))));
  // The first shard ran the sensitivity study for the whole sweep.
  const sensitivity = folders.map((f) => readSensitivity(f.dir)).find((t) => t !== null);
  if (sensitivity) writeSensitivity(out, sensitivity);
  return { manifest, runs: runs.length };
}

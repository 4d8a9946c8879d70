/**
 * Replacing a report folder as a whole. The new report is written into a
 * staging sibling and renamed into place, so a report that fails half-way
 * leaves the previous one (or nothing) rather than a mix; each file inside is
 * itself written atomically. Because replacing means deleting, a folder is
 * only replaced when it holds nothing but a report's own files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../scenario/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** The files a report folder may hold; anything else means it is not ours to delete. */
const REPORT_FILE = /^(index\.html|[a-z0-9][a-z0-9._-]*\.(vl\.json|svg|png)|[a-z0-9][a-z0-9._-]*-results\.csv)$/;

function assertReplaceable(dir: string): void {
  const foreign = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !(e.isFile() && REPORT_FILE.test(e.name)));
  if (foreign.length > 0) {
    const names = foreign.slice(0, 3).map((e) => e.name).join(', ');
    // The user's folder, not our bug: said plainly, exit 2, nothing touched.
    throw new UserError(`--out ${dir}: refusing to replace it, it holds ${names}${foreign.length > 3 ? ', …' : ''}, which a report does not write; choose an empty or new folder`);
  }
}

/** Makes `dir` hold exactly `files` (name → content), replacing whatever report was there. */
export function replaceFolder(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  const target = path.resolve(dir);
  if (path.dirname(target) === target) throw new Error(`refusing to write a report over the filesystem root ${target}`);
  for (const name of files.keys()) {
    if (!REPORT_FILE.test(name)) throw new Error(`internal: '${name}' is not a report file name`);
  }
  const exists = fs.existsSync(target);
  if (exists && !fs.statSync(target).isDirectory()) throw new Error(`${target} exists and is not a folder`);
  if (exists) assertReplaceable(target);

  // Named after the target and the process, not time or chance, so a rerun cleans up after a crashed one of the same pid.
  const staging = `${target}.tmp-${process.pid}`;
  const previous = `${target}.old-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(staging, { recursive: true });
    for (const [name, content] of files) writeFileAtomic(path.join(staging, name), content);
    if (exists) {
      fs.rmSync(previous, { recursive: true, force: true });
      fs.renameSync(target, previous);
      try {
        fs.renameSync(staging, target);
      } catch (e) {
        fs.renameSync(previous, target);
        throw e;
      }
      fs.rmSync(previous, { recursive: true, force: true });
    } else {
      fs.renameSync(staging, target);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

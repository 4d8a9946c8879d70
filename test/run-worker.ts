/**
 * One process of the test command (see run.ts): it imports the test files the
 * runner sends, one at a time, runs the suites each file queued with uvu, and
 * sends back the file's counts and output. Files in one process meet as they
 * do under uvu's own command: they share the process, never a folder.
 *
 * uvu's command line works the same way: with UVU_DEFER set, `test.run()`
 * only queues a file's suites in UVU_QUEUE[UVU_INDEX]; here each file gets a
 * fresh queue and its suites run before the next file is imported.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface FileRequest { root: string; file: string }
export interface FileResult { file: string; output: string; total: number; passed: number; skipped: number; failed: number; seconds: number }

/** What uvu's queued suite runner resolves to: errors (or true), tests passed, tests skipped, tests run. */
type SuiteRun = () => Promise<[string | true, number, number, number]>;
const uvuGlobals = globalThis as unknown as { UVU_DEFER: number; UVU_INDEX: number; UVU_QUEUE: unknown[][] };

uvuGlobals.UVU_DEFER = 1;
await import('uvu');

async function runFile({ root, file }: FileRequest): Promise<FileResult> {
  const start = process.hrtime.bigint();
  let output = '';
  const write = process.stdout.write;
  // A file's output, uvu's dots and any test's own lines, goes back with its counts, so files never interleave.
  process.stdout.write = ((chunk: string | Uint8Array) => { output += String(chunk); return true; }) as typeof process.stdout.write;
  let total = 0, passed = 0, skipped = 0, failed = 0;
  try {
    uvuGlobals.UVU_INDEX = 0;
    uvuGlobals.UVU_QUEUE = [[]];
    await import(pathToFileURL(path.join(root, file)).href);
    for (const suite of uvuGlobals.UVU_QUEUE[0] as SuiteRun[]) {
      const [errors, ran, skips, max] = await suite();
      total += max; passed += ran; skipped += skips; failed += max - ran;
      if (errors !== true) output += `\n${errors}\n`;
    }
  } catch (e) {
    // A file that cannot be loaded, or a suite hook that throws, is a failure of its own.
    output += `\n${(e as Error).stack ?? String(e)}\n`;
    failed += 1;
  } finally {
    process.stdout.write = write;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { file, output, total, passed, skipped, failed, seconds };
}

process.on('message', (req: FileRequest) => {
  void runFile(req).then((r) => process.send!(r));
});

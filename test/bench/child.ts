/** A benchmark's child process, run to its end with its output kept (bench:sweep's separate processes, bench:icount's Valgrind runs). */
import { spawn } from 'node:child_process';

export interface ChildRun { code: number | null; stdout: string; stderr: string; pid: number }

/** Runs `command` with `argv`, collecting its stdout and stderr; resolves once it has exited, whatever its exit code. */
export function runChild(command: string, argv: readonly string[]): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
}

/**
 * Self instructions by function in a callgrind profile (`--dump-instr=yes`)
 * of a Node process run with V8's `--perf-basic-prof`: machine code that
 * callgrind cannot name (V8's compiled JavaScript) is named through the
 * perf map V8 wrote for the process (/tmp/perf-PID.map). bench:icount's
 * `--by-function` takes the difference of two such profiles, as it does of
 * the totals, so start-up and most compiling cancel.
 *
 * The callgrind format (valgrind's docs, "Callgrind Format Specification"):
 * `fn=(id) name` names the function the cost lines below belong to (later
 * only `fn=(id)`); with `positions: instr line` a cost line is an
 * instruction address (absolute `0x..`, or relative `+n`/`-n` to the last,
 * or `*` for the same), a line number and the cost; a `calls=` line is
 * followed by one cost line that is the call's inclusive cost, not the
 * caller's own, and is skipped here.
 */
import fs from 'node:fs';

interface PerfSymbol { start: number; end: number; name: string }

/** V8's perf map: `start size name` per line, hex; sorted by start. */
function readPerfMap(file: string): PerfSymbol[] {
  const symbols: PerfSymbol[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m === null) continue;
    const start = parseInt(m[1]!, 16);
    symbols.push({ start, end: start + parseInt(m[2]!, 16), name: shortName(m[3]!) });
  }
  return symbols.sort((a, b) => a.start - b.start);
}

/** `JS:*admit file:///…/dist/models/pcie/switch.js:522:10` -> `*admit switch.js:522` (`*` optimized code, `^` baseline, `~` interpreted). */
function shortName(name: string): string {
  return name.replace(/^(JS|Builtin|BytecodeHandler|Handler|Stub):/, '').replace(/\s+\S*\/([^/\s]+?)(:\d+)(:\d+)?$/, ' $1$2');
}

/** The symbol holding `address`, or null. */
function symbolAt(symbols: readonly PerfSymbol[], address: number): string | null {
  let lo = 0, hi = symbols.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid]!.start <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  const s = symbols[hi];
  return s !== undefined && address < s.end ? s.name : null;
}

/** Self instructions by function name in `callgrindFile`; JIT code named from `perfMapFile`. */
export function instructionsByFunction(callgrindFile: string, perfMapFile: string): Map<string, number> {
  const symbols = readPerfMap(perfMapFile);
  const names = new Map<string, string>();
  const byFunction = new Map<string, number>();
  let fn = '?', address = 0, skipNext = false;
  const nameOf = (spec: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (m === null) return spec;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? '?';
  };
  for (const line of fs.readFileSync(callgrindFile, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) { fn = nameOf(line.slice(3)); continue; }
    // A callee's name is defined where it is first called: keep it for its own fn= lines.
    if (line.startsWith('cfn=')) { nameOf(line.slice(4)); continue; }
    if (line.startsWith('calls=')) { skipNext = true; continue; }
    const c = line.charCodeAt(0);
    const isCost = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42; // digit + - *
    if (!isCost) continue;
    const fields = line.split(' ');
    const at = fields[0]!;
    if (at.startsWith('0x')) address = parseInt(at, 16);
    else if (at[0] === '+') address += Number(at.slice(1));
    else if (at[0] === '-') address -= Number(at.slice(1));
    else if (at !== '*') address = Number(at);
    if (skipNext) { skipNext = false; continue; }
    const cost = Number(fields[2] ?? 0);
    const unnamed = fn === '???' || fn === '?' || fn.startsWith('0x');
    const name = (unnamed ? symbolAt(symbols, address) : null) ?? fn;
    byFunction.set(name, (byFunction.get(name) ?? 0) + cost);
  }
  return byFunction;
}

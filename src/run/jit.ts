/**
 * How V8 compiles a simulation process: a wider inlining budget than its
 * default, set once at the start of every process that runs simulations
 * (the `pciesim` command line, whose sweep workers share the process's
 * flags, and the benchmarks, which measure what it runs).
 *
 * Why: a TLP's way through the fabric is a chain of small methods across
 * the link, switch, root complex, memory and DMA engine, and V8 stops
 * inlining into an optimized function once 920 bytes of bytecode are
 * inlined in all (--max-inlined-bytecode-size-cumulative), so the chain is
 * cut into calls at a point chosen by size, not by heat. With 4000, medians
 * of five interleaved runs of each budget (fabric bench, 2 M TLPs, same
 * build): writes 1.86 -> 2.09 M TLPs/s, reads 1.37 -> 1.49; 2000: 1.99 and
 * 1.41; 3000: 2.04 and 1.43; 6000: 1.99 and 1.41. PHOLD (1,000 LPs, 5 M
 * events, warm): P=1 unchanged (10.2 against 9.7-10.3 M events/s), P=100
 * 6.4 -> 7.4-7.8. The cost is compile time at the start, where the bigger
 * optimized functions take longer to build: a run of 0.15 s (p2p-paths,
 * 216 k events) takes 0.21 s; the quick start's 2,240 runs 110 -> 106 s.
 * Inlining never changes what a run computes (results are byte-identical:
 * the golden runs pin them).
 */
import v8 from 'node:v8';

/** Bytes of bytecode V8 may inline into one optimized function, in all (its default: 920). */
export const INLINED_BYTECODE_BUDGET = 4000;

/**
 * The V8 major versions the budget was measured on (Node 20: V8 11) and
 * those that keep the flag by that name; on another, V8 would print an
 * unknown flag to stderr on every command, so the default is left alone.
 */
const TUNED_V8_MAJORS = [11, 12, 13];

/** Widens V8's inlining budget for this process and the workers it starts; call before any simulation runs. */
export function tuneJit(): void {
  if (!TUNED_V8_MAJORS.includes(Number(process.versions.v8.split('.')[0]))) return;
  v8.setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINED_BYTECODE_BUDGET}`);
}

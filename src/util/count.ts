/** "1 run", "2 runs": a count with its noun, plural unless it is one. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * The one definition of event order: earlier time first, and among equal
 * times, earlier insertion (sequence number) first. Every queue structure
 * orders by this function and nothing else, so swapping the structure can
 * never change a run's results (ns-3 keeps its EventKey apart from its
 * schedulers for the same reason).
 */
export function before(timeA: number, seqA: number, timeB: number, seqB: number): boolean {
  return timeA < timeB || (timeA === timeB && seqA < seqB);
}

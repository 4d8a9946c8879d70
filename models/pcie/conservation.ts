/**
 * Conservation checks of the PCIe models' own bookkeeping, true at any
 * moment of a run: every TLP a block took in is out, held, or counted as
 * discarded; every read request is completed, timed out, or holds a tag;
 * every descriptor is done or in flight; nothing is negative. Components
 * return them from `invariants()`, and the engine fails a run whose checks
 * do not hold (a model bug), so every test that runs a scenario checks them.
 */
import type { DmaEngineStats } from './dma-engine.js';
import type { LinkDirectionStats } from './link.js';
import type { MemoryStats } from './memory.js';
import type { RootComplexStats } from './root-complex.js';
import type { SwitchStats } from './switch.js';

export function dmaEngineInvariants(s: DmaEngineStats): string[] {
  const out: string[] = [];
  if (s.descriptorsSubmitted !== s.descriptorsDone + s.descriptorsInFlight) {
    out.push(`descriptors: ${s.descriptorsSubmitted} submitted != ${s.descriptorsDone} done + ${s.descriptorsInFlight} in flight`);
  }
  if (s.readRequestsIssued !== s.readRequestsCompleted + s.completionTimeouts + s.tagsBusy) {
    out.push(`read requests: ${s.readRequestsIssued} issued != ${s.readRequestsCompleted} completed + ${s.completionTimeouts} timed out + ${s.tagsBusy} holding a tag`);
  }
  if (s.descriptorsFailed > s.descriptorsDone) out.push(`${s.descriptorsFailed} failed descriptors > ${s.descriptorsDone} done`);
  if (s.tagsBusy < 0 || s.completionBufferUsed < 0 || s.transmitQueued < 0) out.push('a tag, buffer or queue count is negative');
  return out;
}

export function linkDirectionInvariants(name: string, s: LinkDirectionStats): string[] {
  const out: string[] = [];
  if (s.tlpsSent !== s.tlpsDelivered + s.inFlight) out.push(`${name}: ${s.tlpsSent} TLPs sent != ${s.tlpsDelivered} delivered + ${s.inFlight} in flight`);
  if (s.queued < 0 || s.inFlight < 0) out.push(`${name}: a queue count is negative`);
  if (!(s.busyPs >= 0) || s.utilization > 1 + 1e-9) out.push(`${name}: busy time ${s.busyPs} ps, utilization ${s.utilization}`);
  return out;
}

/** One direction of a pcie.integrated attachment (topology/integrated.ts): what the north bridge path took in and holds. */
export interface IntegratedDirectionStats {
  /** TLPs the direction took in, and handed to the far end. */
  readonly tlpsIn: number;
  readonly tlpsDelivered: number;
  /** TLPs on their way (taken in, not delivered), and those of them the path has not started carrying (not released to their sender). */
  readonly carrying: number;
  readonly notStarted: number;
}

/**
 * Every TLP a north bridge direction took in was delivered or is on its
 * way; those not started are among those on their way, as a TLP starts
 * no later than it is delivered (and its start was scheduled first).
 */
export function integratedDirectionInvariants(name: string, s: IntegratedDirectionStats): string[] {
  const out: string[] = [];
  if (s.tlpsIn !== s.tlpsDelivered + s.carrying) out.push(`${name}: ${s.tlpsIn} TLPs in != ${s.tlpsDelivered} delivered + ${s.carrying} on their way`);
  if (s.notStarted < 0 || s.notStarted > s.carrying) out.push(`${name}: ${s.notStarted} TLPs not started, of ${s.carrying} on their way`);
  return out;
}

export function switchInvariants(s: SwitchStats): string[] {
  const sum = (f: (p: SwitchStats['ports'][number]) => number) => s.ports.reduce((a, p) => a + f(p), 0);
  const tin = sum((p) => p.tlpsIn), tout = sum((p) => p.tlpsOut), held = sum((p) => p.held);
  const dropped = s.malformed + s.unsupportedRequests + s.unexpectedCompletions;
  return tin === tout + held + dropped ? [] : [`TLPs: ${tin} in != ${tout} out + ${held} held + ${dropped} discarded`];
}

/**
 * Every TLP the root complex took in was routed exactly one way (to memory,
 * to another root port, or discarded, each counted) or is still crossing or
 * translating; every request routed to memory reached it, once.
 */
export function rootComplexInvariants(s: RootComplexStats, memory: MemoryStats): string[] {
  const out: string[] = [];
  const discarded = s.p2pReadsDropped + s.p2pWritesDropped + s.unsupportedRequests + s.unroutableCompletions + s.translationFaults + s.messagesReceived;
  const routed = s.memoryReads + s.memoryWrites + s.p2pForwarded + discarded;
  if (s.tlpsIn !== routed + s.unrouted) {
    out.push(`TLPs: ${s.tlpsIn} in != ${s.memoryReads + s.memoryWrites} to memory + ${s.p2pForwarded} forwarded + ${discarded} discarded + ${s.unrouted} not routed yet`);
  }
  if (memory.reads !== s.memoryReads || memory.writes !== s.memoryWrites) {
    out.push(`memory requests: ${s.memoryReads} reads and ${s.memoryWrites} writes routed to memory, ${memory.reads} and ${memory.writes} reached it`);
  }
  if (s.unrouted < 0 || s.inside < s.unrouted) out.push(`${s.inside} TLPs inside, ${s.unrouted} of them not routed: a count is off`);
  return out;
}

/**
 * The memory's one bandwidth resource: its transfer time is its bytes at its
 * bandwidth, busy time never exceeds that, waits are not negative and the
 * longest is within their sum.
 */
export function memoryInvariants(s: MemoryStats, psPerByte: number): string[] {
  const out: string[] = [];
  const expected = (s.bytesRead + s.bytesWritten) * psPerByte;
  if (Math.abs(s.transferPs - expected) > 1e-9 * Math.max(1, expected)) {
    out.push(`transfer time ${s.transferPs} ps != ${s.bytesRead + s.bytesWritten} bytes at ${psPerByte} ps/byte (${expected} ps)`);
  }
  if (s.busyPs < 0 || s.busyPs > s.transferPs * (1 + 1e-12) || s.utilization < 0 || s.utilization > 1 + 1e-9) {
    out.push(`busy ${s.busyPs} ps of ${s.transferPs} ps transferred, utilization ${s.utilization}`);
  }
  if (s.queuePs < 0 || s.maxQueuePs > s.queuePs) out.push(`waits: total ${s.queuePs} ps, longest ${s.maxQueuePs} ps`);
  if ((s.reads + s.writes > 0) !== (s.firstAccessAt >= 0)) out.push(`${s.reads + s.writes} accesses but first access at ${s.firstAccessAt}`);
  return out;
}

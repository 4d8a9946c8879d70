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

export function switchInvariants(s: SwitchStats): string[] {
  const sum = (f: (p: SwitchStats['ports'][number]) => number) => s.ports.reduce((a, p) => a + f(p), 0);
  const tin = sum((p) => p.tlpsIn), tout = sum((p) => p.tlpsOut), held = sum((p) => p.held);
  const dropped = s.malformed + s.unsupportedRequests + s.unexpectedCompletions;
  return tin === tout + held + dropped ? [] : [`TLPs: ${tin} in != ${tout} out + ${held} held + ${dropped} discarded`];
}

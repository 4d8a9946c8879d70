/**
 * Small TLP sources and sinks for the link tests.
 */
import type { Simulation } from '../../../src/sim/simulation.js';
import type { TraceChannel, Tracer } from '../../../src/trace/channel.js';
import { Tlp, type TlpReceiver, type TlpSender } from '../../../models/pcie/fabric.js';
import type { LinkDirection } from '../../../models/pcie/link.js';
import { tlpBytes, type TlpType } from '../../../models/pcie/tlp.js';
import type { SwitchStats } from '../../../models/pcie/switch.js';

/** At and above 4 GiB memory requests use a 4 DW header (64-bit addressing). */
export const ADDR64 = 2 ** 32;

export function makeTlp(type: TlpType, addr: number, length: number, txn: number, ecrc = false): Tlp {
  return new Tlp(type, addr, length, tlpBytes(type, addr, length, { ecrc }), 0, 0, txn, type === 'CplD' || type === 'Cpl' ? length : 0);
}

/** makeTlp from (or, for a completion, for) requester `requester`: what routing by requester ID needs. */
export function tlpFrom(type: TlpType, addr: number, length: number, requester: number, txn: number): Tlp {
  return new Tlp(type, addr, length, tlpBytes(type, addr, length), requester, 0, txn, type === 'CplD' || type === 'Cpl' ? length : 0);
}

/**
 * Writes `total` bytes as MPS-sized MWr TLPs at 64-bit addresses, keeping
 * `depth` TLPs in the link's transmit queue: it hands over the next one each
 * time the link releases one (starts it on the wire).
 */
export class SaturatingWriter implements TlpSender {
  private next = 0;
  private readonly count: number;

  constructor(private readonly dir: LinkDirection, total: number, private readonly mps: number, private readonly ecrc = false, private readonly depth = 2) {
    this.count = Math.ceil(total / mps);
  }

  start(): void {
    for (let i = 0; i < this.depth; i++) this.push();
  }

  release(): void {
    this.push();
  }

  private push(): void {
    if (this.next >= this.count) return;
    const i = this.next++;
    this.dir.receive(makeTlp('MWr', ADDR64 + i * this.mps, this.mps, i, this.ecrc), this);
  }
}

/** Counts what arrives and frees each TLP at once. */
export class ImmediateSink implements TlpReceiver {
  tlps = 0;
  payload = 0;
  lastArrival = -1;

  constructor(private readonly sim: Simulation) {}

  receive(tlp: Tlp, from: TlpSender): void {
    this.tlps++;
    this.payload += tlp.payloadBytes;
    this.lastArrival = this.sim.now;
    from.release(tlp);
  }
}

export interface Arrival { readonly time: number; readonly tlp: Tlp }

/**
 * Records every arrival and frees each TLP `hold(tlp)` ps after it arrived
 * (never, if hold returns Infinity). Tracks what it holds per credit class, so
 * a test can check the link never overfilled its buffer.
 */
export class HoldingSink implements TlpReceiver {
  readonly arrivals: Arrival[] = [];
  /** Headers and data credits held now, and the most ever held, per class P, NP, Cpl. */
  readonly heldHeaders = [0, 0, 0];
  readonly heldData = [0, 0, 0];
  readonly maxHeaders = [0, 0, 0];
  readonly maxData = [0, 0, 0];
  private from: TlpSender | null = null;

  constructor(private readonly sim: Simulation, private readonly hold: (tlp: Tlp) => number) {}

  receive(tlp: Tlp, from: TlpSender): void {
    this.from = from;
    this.arrivals.push({ time: this.sim.now, tlp });
    const c = classOf(tlp), d = Math.ceil(tlp.payloadBytes / 16);
    this.heldHeaders[c]!++;
    this.heldData[c]! += d;
    this.maxHeaders[c] = Math.max(this.maxHeaders[c]!, this.heldHeaders[c]!);
    this.maxData[c] = Math.max(this.maxData[c]!, this.heldData[c]!);
    const h = this.hold(tlp);
    if (h !== Infinity) this.sim.schedule(h, HoldingSink.free, this, this.arrivals.length - 1);
  }

  private static free(self: HoldingSink, index: number): void {
    const tlp = self.arrivals[index]!.tlp;
    const c = classOf(tlp);
    self.heldHeaders[c]!--;
    self.heldData[c]! -= Math.ceil(tlp.payloadBytes / 16);
    self.from!.release(tlp);
  }
}

/** 0 P, 1 NP, 2 Cpl. */
export function classOf(tlp: Tlp): number {
  return tlp.creditClass === 'P' ? 0 : tlp.creditClass === 'NP' ? 1 : 2;
}

export interface TraceRow { time: number; txn: number; bytes: number; latency: number; a: number; b: number; label: number | undefined }

/** A tracer that keeps every row of every channel in memory. */
export class RecordingTracer implements Tracer {
  readonly rows = new Map<string, TraceRow[]>();
  private readonly labels: string[] = [];

  channel(component: string, kind: string): TraceChannel {
    const rows: TraceRow[] = [];
    this.rows.set(`${component}/${kind}`, rows);
    return { record: (time, txn, bytes, latency, a, b, label) => { rows.push({ time, txn, bytes, latency, a, b, label }); } };
  }

  label(name: string): number {
    const i = this.labels.indexOf(name);
    if (i >= 0) return i;
    this.labels.push(name);
    return this.labels.length - 1;
  }

  labelName(id: number): string | undefined {
    return this.labels[id];
  }
}

/**
 * A switch's statistics but its most held at once, which counts a TLP taken ahead of its arrival from its start
 * on the ingress link (SwitchPortStats.held): what a switch that takes TLPs ahead and one that does not agree on.
 */
export function withoutMostHeld(s: SwitchStats): SwitchStats {
  return { ...s, ports: s.ports.map((p) => ({ ...p, maxHeldHeaders: [], maxHeldData: [] })) };
}

/** The distinct instants at which `sim` runs an event, from now until it has none left (it is run to its end). */
export function eventInstants(sim: Simulation): number[] {
  const instants: number[] = [];
  while (sim.run({ maxEvents: 1 }).events > 0) if (instants[instants.length - 1] !== sim.now) instants.push(sim.now);
  return instants;
}

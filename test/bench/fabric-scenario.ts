/**
 * The packet-path benchmarks' system (bench:fabric, bench:ab): the
 * netfpga-sume endpoint driven by a workloads.dma-stream, a
 * pcie-switch-pex8796 switch with MPS 256, the xeon-e5-v4 root complex and
 * its memory, both links pcie-link Gen3 x8; or, `direct`, the endpoint on
 * the root complex's link. Plain data, so any build of pciesim can parse it.
 */
import type { ModelLibrary } from '../../src/scenario/loader.js';
import { presetValues } from '../../src/scenario/presets.js';
import { readCompletionCount, readRequestCount, writeTlpCount, type CompletionMode } from '../../models/pcie/tlp.js';

export type FabricOp = 'read' | 'write';

export interface FabricOptions {
  /** At least this many TLPs, counted once each. */
  tlps: number;
  /** Bytes a transfer. */
  size: number;
  /** Without the switch. */
  direct: boolean;
}

const LINK = { gen: 3, width: 8 };
/** The endpoint's Max_Payload_Size and its DMA engine's Max_Read_Request_Size and tags, set here so the TLP count is known up front. */
const MPS = 256, MRRS = 512, TAGS = 32;

/** TLPs one transfer of `size` bytes makes (aligned: the window base is page aligned), with the root complex preset's completions. */
function tlpsPerTransfer(lib: ModelLibrary, op: FabricOp, size: number): number {
  const rc = presetValues(lib.presets.get('xeon-e5-v4')!) as { rcb: number; completionMode: CompletionMode };
  return op === 'write'
    ? writeTlpCount(0, size, MPS)
    : readRequestCount(0, size, MRRS) + readCompletionCount(0, size, MRRS, MPS, rc.rcb, rc.completionMode);
}

/** The scenario document: `op` transfers over the path, enough of them for `tlps` TLPs. */
export function fabricScenario(lib: ModelLibrary, op: FabricOp, { tlps, size, direct }: FabricOptions): unknown {
  const endpoint = {
    name: 'ep0', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { mps: MPS },
    slots: { dma: { params: { mrrs: MRRS, tags: TAGS } } },
  };
  // One transfer in flight per tag keeps every tag busy on reads and the link's transmit queue full on writes.
  const stream = {
    name: 'dma', type: 'workloads.dma-stream',
    params: { device: 'ep0', op, transferSize: size, transfers: Math.ceil(tlps / tlpsPerTransfer(lib, op, size)), windowBase: '4 GiB', window: '256 MiB', inFlight: TAGS },
  };
  const root = { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4', params: { mps: MPS } };
  const link = (name: string, a: string, b: string) => ({ name, type: 'pcie.link', preset: 'pcie-link', a, b, params: LINK });
  return direct
    ? { name: 'fabric-direct', components: [root, endpoint, stream], links: [link('link0', 'rc.rp0', 'ep0.up')] }
    : {
      name: 'fabric',
      components: [root, { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 2, maxPayloadSize: MPS } }, endpoint, stream],
      links: [link('uplink', 'rc.rp0', 'sw0.up'), link('link0', 'sw0.dp0', 'ep0.up')],
    };
}

/** TLPs the run moved, each counted once: what the endpoint's link carried both ways. */
export function fabricTlps(metrics: Record<string, unknown>): number {
  return (metrics['link0.up_tlps'] as number) + (metrics['link0.down_tlps'] as number);
}

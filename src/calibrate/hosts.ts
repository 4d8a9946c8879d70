/**
 * The calibration hosts: pcie-bench's measurement folders and the platform
 * preset fitted on each (models/presets/nfp6000-*.json). The data is not
 * part of the project: it is looked for beside it, in
 * ../shared/data/pcie-bench (or where PCIESIM_PCIE_BENCH points), and a
 * host whose folder is absent is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../cli/context.js';
import type { MeasurementRepeats } from './curves.js';

export interface CalibrationHost {
  folder: string;
  platform: string;
  /** IOMMU page size the host maps DMA with, or null with the IOMMU off. */
  pageSize: '4k' | '2m' | null;
  /**
   * Scenario parameters the host's own configuration sets, where it differs
   * from the scenarios' defaults: its link's Max_Payload_Size as lspci shows
   * it (the endpoint's DevCtl; the scenarios default to 256 B).
   */
  params?: { mps: number };
  /** Which of its measurements repeat one point (curves.ts, MeasurementRepeats): the host cache states where it has no DDIO. */
  repeats?: MeasurementRepeats;
  /**
   * Another run on the same machine (its folder) and the curves the
   * difference between the runs leaves alone: their points are further
   * repeats of this run's (validate:hw compares both runs at the median).
   */
  sameMachine?: { folder: string; curves: readonly string[] };
}

const PREFIX = 'nfp6000-1.2GHz_';

/**
 * The Xeon E3 host's link: MPS 128 B (its sys-lspci.txt: the Xeon E3-1200 v3
 * root port's DevCap offers 128 B only; the NFP's DevCtl MaxPayload 128),
 * where every other calibration host runs 256 B.
 */
const E3_LINK = { mps: 128 };
/**
 * The Xeon E3's runs: no DDIO (Intel: DDIO is a feature of the Xeon E5 and
 * E7 v2 families; its 64-byte reads take as long with the host cache warm
 * as cold, lat_dma_sweep_rd_rnd_64.csv), so the window sweeps' four cache
 * states are repeats; its two runs differ only in the IOMMU
 * (sys-kernel-cmdline.txt), which the throughput-by-size curves (8 KiB
 * windows, simulated without it) leave alone.
 */
const E3_REPEATS: MeasurementRepeats = { cacheStates: true };
const E3_SAME_MACHINE_CURVES = ['bw_rd', 'bw_wr', 'bw_rw'];

export const CALIBRATION_HOSTS: readonly CalibrationHost[] = [
  { folder: `${PREFIX}hsw-Xeon-E5-2637v3_supermicro`, platform: 'nfp6000-xeon-e5-2637v3', pageSize: null },
  { folder: `${PREFIX}hsw-Xeon-E5-2637v3_supermicro-iommu-nosp`, platform: 'nfp6000-xeon-e5-2637v3-iommu-nosp', pageSize: '4k' },
  {
    folder: `${PREFIX}hsw-Xeon-E3-1226v3_fujitsu-tx1310`, platform: 'nfp6000-xeon-e3-1226v3', pageSize: null, params: E3_LINK, repeats: E3_REPEATS,
    sameMachine: { folder: `${PREFIX}hsw-Xeon-E3-1226v3_fujitsu-tx1310-iommu-nosp`, curves: E3_SAME_MACHINE_CURVES },
  },
  {
    folder: `${PREFIX}hsw-Xeon-E3-1226v3_fujitsu-tx1310-iommu-nosp`, platform: 'nfp6000-xeon-e3-1226v3-iommu-nosp', pageSize: '4k', params: E3_LINK, repeats: E3_REPEATS,
    sameMachine: { folder: `${PREFIX}hsw-Xeon-E3-1226v3_fujitsu-tx1310`, curves: E3_SAME_MACHINE_CURVES },
  },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s0`, platform: 'nfp6000-xeon-e5-2630v4', pageSize: null },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s0-iommu-nosp`, platform: 'nfp6000-xeon-e5-2630v4-iommu-nosp', pageSize: '4k' },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s1`, platform: 'nfp6000-xeon-e5-2630v4-s0-s0-s1', pageSize: null },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s0`, platform: 'nfp6000-xeon-e5-2630v4-s0-s1-s0', pageSize: null },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s1`, platform: 'nfp6000-xeon-e5-2630v4-remote', pageSize: null },
  { folder: `${PREFIX}bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s1-iommu-nosp`, platform: 'nfp6000-xeon-e5-2630v4-remote-iommu-nosp', pageSize: '4k' },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0`, platform: 'nfp6000-xeon-e5-2620v2', pageSize: null },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0-iommu`, platform: 'nfp6000-xeon-e5-2620v2-iommu', pageSize: '2m' },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0-iommu-nosp`, platform: 'nfp6000-xeon-e5-2620v2-iommu-nosp', pageSize: '4k' },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1`, platform: 'nfp6000-xeon-e5-2620v2-remote', pageSize: null },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1-iommu`, platform: 'nfp6000-xeon-e5-2620v2-remote-iommu', pageSize: '2m' },
  { folder: `${PREFIX}ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1-iommu-nosp`, platform: 'nfp6000-xeon-e5-2620v2-remote-iommu-nosp', pageSize: '4k' },
  { folder: `${PREFIX}snb-Xeon-E5-2630_dell-t620`, platform: 'nfp6000-xeon-e5-2630', pageSize: null },
  { folder: `${PREFIX}snb-Xeon-E5-2630_dell-t620-iommu`, platform: 'nfp6000-xeon-e5-2630-iommu', pageSize: '2m' },
];

/** Where pcie-bench's host folders are: $PCIESIM_PCIE_BENCH, else ../shared/data/pcie-bench beside the package. */
export function pcieBenchDir(): string {
  return process.env.PCIESIM_PCIE_BENCH ?? path.resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'pcie-bench');
}

export function hostFolder(h: CalibrationHost, dir = pcieBenchDir()): string | null {
  const f = path.join(dir, h.folder);
  return fs.existsSync(f) ? f : null;
}

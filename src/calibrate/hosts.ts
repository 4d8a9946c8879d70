/**
 * pcie-bench's host folders: the calibration hosts, each with the platform
 * preset fitted on it (models/presets/nfp6000-*.json), and any other host
 * folder, which the platform preset its name gives predicts (an independent
 * check of the calibration). A folder's name says which platform, by one
 * rule for both (parseHostName, platformOf). The data is not part of the
 * project: it is looked for beside it, in ../shared/data/pcie-bench (or
 * where PCIESIM_PCIE_BENCH points), and a host whose folder is absent is
 * skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../cli/context.js';
import type { Curve, MeasurementRepeats } from './curves.js';

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
   * Another run on the same machine (its folder) and which curves the
   * difference between the runs leaves alone (`alike`): their points are
   * further repeats of this run's (validate:hw compares both runs at the
   * median).
   */
  sameMachine?: { folder: string; alike: (c: Curve) => boolean };
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
 * (sys-kernel-cmdline.txt), which leaves alone every curve over pcie-bench's
 * 8 KiB window (by size, by offset, latency by size and offset, the latency
 * distribution): two pages, far inside the IOTLB's reach (256 KiB).
 */
const E3_REPEATS: MeasurementRepeats = { cacheStates: true };
const SMALL_WINDOW_BYTES = 8192;
/** A curve whose every point is over pcie-bench's 8 KiB window (or less). */
export const overSmallWindow = (c: Curve): boolean =>
  c.points.length > 0 && c.points.every((p) => typeof p.params.window === 'number' && p.params.window <= SMALL_WINDOW_BYTES);

/**
 * What a pcie-bench host folder's name says (its README): the processor's
 * microarchitecture and model, the machine, where the device, the DMA buffer
 * and the driver sit (sockets, when the name says), and how the IOMMU maps
 * DMA: nfp6000-1.2GHz_<uarch>-Xeon-<CPU>[_-]<machine>[-sD-sB-sR][-iommu|-iommu-nosp].
 */
export interface HostName {
  uarch: string;
  /** The processor as pcie-bench names it: E5-2630v4, E3-1226v3, E5-2630. */
  cpu: string;
  machine: string;
  /** Device, buffer and driver socket, or null where the name does not say (one socket, or all on the first). */
  sockets: readonly [number, number, number] | null;
  pageSize: '4k' | '2m' | null;
}

const HOST_NAME = /^nfp6000-1\.2GHz_([a-z]+)-Xeon-(E\d-\d{4}(?:v\d)?)[-_](.+?)(-s\d-s\d-s\d)?(-iommu(?:-nosp)?)?$/;

/** A pcie-bench host folder's name read, or null if it is not one. */
export function parseHostName(folder: string): HostName | null {
  const m = HOST_NAME.exec(folder);
  if (m === null) return null;
  const sockets = m[4] === undefined ? null : m[4].slice(2).split('-s').map(Number) as [number, number, number];
  return { uarch: m[1]!, cpu: m[2]!, machine: m[3]!, sockets, pageSize: m[5] === undefined ? null : m[5] === '-iommu' ? '2m' : '4k' };
}

/**
 * The platform preset a host is named by: nfp6000-xeon-<cpu>, then where the
 * buffer is (nothing when device, buffer and driver share a socket;
 * `-remote` when buffer and driver are on another socket than the device;
 * else the sockets as the folder gives them), then the IOMMU (`-iommu`:
 * 2 MiB superpages, `-iommu-nosp`: 4 KiB pages).
 */
export function platformOf(h: HostName): string {
  const s = h.sockets;
  const placement = s === null || (s[0] === s[1] && s[1] === s[2]) ? '' : s[0] !== s[1] && s[1] === s[2] ? '-remote' : `-s${s.join('-s')}`;
  const iommu = h.pageSize === null ? '' : h.pageSize === '2m' ? '-iommu' : '-iommu-nosp';
  return `nfp6000-xeon-${h.cpu.toLowerCase()}${placement}${iommu}`;
}

/** A host by its folder's name, with the settings of its own that the name does not give. */
function host(name: string, own: Partial<CalibrationHost> = {}): CalibrationHost {
  const folder = PREFIX + name;
  const parsed = parseHostName(folder);
  if (parsed === null) throw new Error(`model bug: ${folder} is not a pcie-bench host folder name`);
  return { folder, platform: platformOf(parsed), pageSize: parsed.pageSize, ...own };
}

const E3 = 'hsw-Xeon-E3-1226v3_fujitsu-tx1310';

/** The hosts the platform presets were fitted on. */
export const CALIBRATION_HOSTS: readonly CalibrationHost[] = [
  host('hsw-Xeon-E5-2637v3_supermicro'),
  host('hsw-Xeon-E5-2637v3_supermicro-iommu-nosp'),
  host(E3, { params: E3_LINK, repeats: E3_REPEATS, sameMachine: { folder: `${PREFIX}${E3}-iommu-nosp`, alike: overSmallWindow } }),
  host(`${E3}-iommu-nosp`, { params: E3_LINK, repeats: E3_REPEATS, sameMachine: { folder: PREFIX + E3, alike: overSmallWindow } }),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s0'),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s0-iommu-nosp'),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s1'),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s0'),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s1'),
  host('bdw-Xeon-E5-2630v4-dell-t430-s0-s1-s1-iommu-nosp'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0-iommu'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s0-s0-iommu-nosp'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1-iommu'),
  host('ib-Xeon-E5-2620v2_dell-t620-s0-s1-s1-iommu-nosp'),
  host('snb-Xeon-E5-2630_dell-t620'),
  host('snb-Xeon-E5-2630_dell-t620-iommu'),
];

/** Where pcie-bench's host folders are: $PCIESIM_PCIE_BENCH, else ../shared/data/pcie-bench beside the package. */
export function pcieBenchDir(): string {
  return process.env.PCIESIM_PCIE_BENCH ?? path.resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'pcie-bench');
}

export function hostFolder(h: CalibrationHost, dir = pcieBenchDir()): string | null {
  const f = path.join(dir, h.folder);
  return fs.existsSync(f) ? f : null;
}

/** A host whose folder is present: where it is, and whether the presets were fitted on it or predict it. */
export interface PresentHost extends CalibrationHost {
  path: string;
  /** Not a calibration host: a pcie-bench host the presets were not fitted on, which its platform preset predicts. */
  predicted: boolean;
}

/**
 * The pcie-bench hosts in `dir` whose folder name contains `only`: the
 * calibration hosts present, then every other folder named as pcie-bench
 * names its hosts (parseHostName), in name order, predicted by the platform
 * preset its name gives (platformOf; validate:hw says so where there is
 * none). What an other host's own files say is taken from them: its MPS from
 * the NFP's Device Control register in sys-lspci.txt, and a Xeon E3 has no
 * DDIO (its window sweeps' cache states repeat, as on the calibration E3).
 */
export function presentHosts(dir: string, only?: string): PresentHost[] {
  const wanted = (folder: string) => only === undefined || folder.includes(only);
  const fitted = new Set(CALIBRATION_HOSTS.map((h) => h.folder));
  const calibration = CALIBRATION_HOSTS.filter((h) => wanted(h.folder)).flatMap((h) => {
    const f = hostFolder(h, dir);
    return f === null ? [] : [{ ...h, path: f, predicted: false }];
  });
  const others = (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []).flatMap((folder): PresentHost[] => {
    const name = parseHostName(folder);
    const f = path.join(dir, folder);
    if (name === null || fitted.has(folder) || !wanted(folder) || !fs.statSync(f).isDirectory()) return [];
    const mps = nfpMaxPayload(f);
    return [{
      folder, path: f, predicted: true, platform: platformOf(name), pageSize: name.pageSize,
      ...(mps !== null ? { params: { mps } } : {}),
      ...(name.cpu.startsWith('E3') ? { repeats: E3_REPEATS } : {}),
    }];
  });
  return [...calibration, ...others];
}

/**
 * The Max_Payload_Size the NFP-6000 (Netronome, 19ee) runs at on a host: its
 * Device Control register as `lspci -vvv` prints it in the host's
 * sys-lspci.txt ("MaxPayload N bytes, MaxReadReq M bytes"; Device
 * Capabilities prints MaxPayload without MaxReadReq). Null without the file
 * or the device.
 */
export function nfpMaxPayload(hostDir: string): number | null {
  const file = path.join(hostDir, 'sys-lspci.txt');
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  const at = text.search(/^\S.*Netronome/m);
  if (at < 0) return null;
  const device = text.slice(at).split(/\n(?=\S)/)[0]!;
  const m = /MaxPayload (\d+) bytes, MaxReadReq/.exec(device);
  return m === null ? null : Number(m[1]);
}

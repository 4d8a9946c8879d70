/**
 * System speed: the system scenarios (a guest's frames through displif to
 * dom0's GPU over PCIe through the IOMMU; the Xen sharing studies) run one
 * configuration each, in-process, as `pciesim run` runs them.
 *   npm run bench:system -- [--only=NAME]
 * Per configuration it prints
 *   <name> simulated=<s> wall=<s> sim/wall=<simulated seconds per wall second> events=<n> events/s=<n> cpu=<s>
 * Wall time is runScenario's (building, running, collecting metrics; the
 * JIT's warm-up lands on the first configuration); resolving the scenario is
 * not in it. `cpu` is the process's CPU time over the same interval, a
 * second figure for a shared machine. The flagship's slowest configuration
 * (4K at 120 fps, triple buffered, per-frame sharing into a strict dom0) is
 * the one to profile: `node --cpu-prof dist/src/cli.js run vm-display-pipeline
 * --set resolution=4k --set fps=120 --set sharing=per-frame --set buffers=3
 * --set dom0IommuView=own-memory --set frames=60`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario, resolveScenario } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { runScenario } from '../../src/run/single.js';
import { ROOT } from '../helpers.js';
import { tuneJit } from '../../src/run/jit.js';

// As the command line runs (src/run/jit.ts).
tuneJit();

interface Config { name: string; scenario: string; sets: Record<string, string | number> }

const CONFIGS: readonly Config[] = [
  { name: 'flagship-1080p60', scenario: 'vm-display-pipeline', sets: { frames: 60 } },
  { name: 'flagship-4k60', scenario: 'vm-display-pipeline', sets: { resolution: '4k', fps: 60, frames: 60 } },
  { name: 'flagship-4k120', scenario: 'vm-display-pipeline', sets: { resolution: '4k', fps: 120, frames: 60 } },
  { name: 'flagship-4k120-strict-per-frame', scenario: 'vm-display-pipeline', sets: { resolution: '4k', fps: 120, frames: 60, sharing: 'per-frame', buffers: 3, dom0IommuView: 'own-memory' } },
  { name: 'encode-4k60', scenario: 'vm-video-encode', sets: { resolution: '4k', fps: 60, frames: 60 } },
  { name: 'display-frames-4k120', scenario: 'display-frames', sets: { resolution: '4k', fps: 120 } },
  { name: 'gref-schemes-4k-directory', scenario: 'gref-schemes', sets: { scheme: 'directory', pages: 8100 } },
  { name: 'hyper-dmabuf-4k', scenario: 'hyper-dmabuf', sets: { pages: 8100 } },
  { name: 'p2p-paths-rootcomplex-read', scenario: 'p2p-paths', sets: { path: 'rootcomplex', op: 'read', platform: 'amd-zen' } },
];

const only = process.argv.slice(2).find((a) => a.startsWith('--only='))?.slice('--only='.length);
const lib = await loadModelLibrary();

for (const c of CONFIGS) {
  if (only !== undefined && c.name !== only) continue;
  const file = path.join(ROOT, 'scenarios', `${c.scenario}.json`);
  const sets = Object.fromEntries(Object.entries(c.sets).map(([k, v]) => [k, String(v)]));
  const resolved = resolveScenario(parseScenario(file, fs.readFileSync(file, 'utf8')), sets, lib);
  const t0 = performance.now(), c0 = process.cpuUsage();
  const r = runScenario(resolved, { seed: 1, replication: 0 });
  const wall = (performance.now() - t0) / 1000, used = process.cpuUsage(c0);
  if (r.status !== 'ok') throw new Error(`${c.name}: the run failed: ${r.error}`);
  const simulated = r.simulated_ps / 1e12;
  console.log(`${c.name.padEnd(34)} simulated=${simulated.toFixed(4)} s wall=${wall.toFixed(3)} s sim/wall=${(simulated / wall).toFixed(4)} ` +
    `events=${r.events} events/s=${Math.round(r.events / wall)} cpu=${((used.user + used.system) / 1e6).toFixed(3)} s`);
}

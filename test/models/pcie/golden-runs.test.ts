/**
 * Equivalence pin for changes to the packet path that must not change what a
 * run computes (issue 16: fewer events per TLP, byte-identical results).
 *
 * What "the same results" means here: everything a run reports except the two
 * figures that count the kernel's work, `events` and `fingerprint` (the hash of
 * every executed event's time and kind: a model that does the same work in
 * fewer events changes both by definition). That is status, error, simulated
 * time, stop reason, every metric, the attribution ledger and every series,
 * and, for the traced run of each case, the bytes of trace.arrow (every row,
 * in order, and the file's metadata). Each case runs twice, untraced and with
 * every trace kind on, and the two summaries must agree as well.
 *
 * The scenarios are written out here rather than read from scenarios/, so a
 * study's edits do not move the pin; they follow the studies that stress
 * links, switches and flow-control credits under contention: switch-fanin
 * (four endpoints through one uplink, narrower than their sum), the fabric
 * bench's path with and without the switch, a switch with small ingress
 * buffers (credit stalls, cut-through and store-and-forward), p2p-paths
 * (switch, ACS redirect, root complex with a throttled pair, bounce),
 * iommu-window and dma-bandwidth (Gen3, Gen5, Gen6 Flit Mode, small MPS).
 *
 * GOLDEN holds, per case, the first 16 hex digits of SHA-256 over the result
 * JSON and over trace.arrow, produced by this file's `--print` mode
 * (`node dist/test/models/pcie/golden-runs.test.js --print`) on the packet
 * path as of commit 1277203, before any attempt to fold events (the trace
 * digests since regenerated once, when the DMA engine's `descriptor` kind
 * added its rows; every result digest stayed). They are not derived
 * values: they only say "as the earlier code computed". If a change is meant
 * to alter results (a model fix), regenerate them in the same commit and say
 * so in its message.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScenario, resolveScenario } from '../../../src/scenario/loader.js';
import { loadModelLibrary } from '../../../src/scenario/library.js';
import { openRunTracer, runScenario, TRACE_FILE, type RunSummary } from '../../../src/run/single.js';

const lib = await loadModelLibrary();
const G4 = 2 ** 32;
const MiB = 2 ** 20;

type Body = Record<string, unknown>;
const link = (name: string, a: string, b: string, params: Body = { gen: 3, width: 8 }): Body =>
  ({ name, type: 'pcie.link', preset: 'pcie-link', a, b, params });

/** switch-fanin: rc —uplink(x`up`)— sw0 — four x8 endpoints, each driven by a dma-stream. */
function fanin(op: string, up: number, transfers: number): Body {
  const components: Body[] = [
    { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4' },
    { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 5, maxPayloadSize: 256 } },
  ];
  const links = [link('uplink', 'rc.rp0', 'sw0.up', { gen: 3, width: up })];
  for (let i = 0; i < 4; i++) {
    components.push({ name: `ep${i}`, type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 0x100 * (i + 1) } });
    components.push({ name: `w${i}`, type: 'workloads.dma-stream', params: { device: `ep${i}`, op, transferSize: 4096, transfers, windowBase: G4 + i * 256 * MiB, window: 256 * MiB, inFlight: 32 } });
    links.push(link(`link${i}`, `sw0.dp${i}`, `ep${i}.up`));
  }
  return { name: 'fanin', components, links };
}

/** The fabric bench's path (test/bench/fabric.ts), with or without the switch; `sw` overrides the switch's parameters. */
function fabric(op: string, direct: boolean, transfers: number, size: number, stream: Body = {}, sw: Body = {}): Body {
  const endpoint = { name: 'ep0', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { mps: 256 }, slots: { dma: { params: { mrrs: 512, tags: 32 } } } };
  const dma = { name: 'dma', type: 'workloads.dma-stream', params: { device: 'ep0', op, transferSize: size, transfers, windowBase: '4 GiB', window: '256 MiB', inFlight: 32, ...stream } };
  const rc = { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4', params: { mps: 256 } };
  const series = { gen: 3, width: 8, throughputSeries: true };
  return direct
    ? { name: 'fabric-direct', components: [rc, endpoint, dma], links: [link('link0', 'rc.rp0', 'ep0.up', series)] }
    : {
      name: 'fabric',
      components: [rc, { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 2, maxPayloadSize: 256, ...sw } }, endpoint, dma],
      links: [link('uplink', 'rc.rp0', 'sw0.up', series), link('link0', 'sw0.dp0', 'ep0.up', series)],
    };
}

/** Small ingress buffers: two posted and two completion TLPs of 256 B, a few reads. */
const SMALL_CREDITS = {
  postedHeaderCredits: 2, postedDataCredits: 32, nonPostedHeaderCredits: 4, nonPostedDataCredits: 0,
  completionHeaderCredits: 2, completionDataCredits: 32,
};

/** p2p-paths at platform xeon-e5-v4 or one-way (amd-zen with a throttled and dropped pair). */
function p2p(platform: 'xeon-e5-v4' | 'one-way', pathName: string, op: string, reverse = false): Body {
  const rc = platform === 'one-way'
    ? { name: 'rc', type: 'pcie.root-complex', preset: 'amd-zen', params: { rootPorts: 3, p2pPairs: [{ from: 'rp2', to: 'rp0', write: 'dropped', read: 'throttled', readBandwidth: 2 }] } }
    : { name: 'rc', type: 'pcie.root-complex', preset: platform, params: { rootPorts: 3 } };
  const bar = { bar: { type: 'memory.dram', preset: 'generic-device-memory' } };
  return {
    name: 'p2p',
    components: [
      rc,
      { name: 'sw0', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 3, maxPayloadSize: 256 } },
      { name: 'sw1', type: 'pcie.switch', preset: 'pcie-switch-pex8796', params: { ports: 3, maxPayloadSize: 256, acsRedirect: true } },
      { name: 'nvme0', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 256, barSize: '16 MiB', barBase: 4026531840 }, slots: bar },
      { name: 'gpu0', type: 'pcie.endpoint', preset: 'gpu-like', params: { requesterId: 512, barBase: 3758096384 } },
      { name: 'nvme1', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { requesterId: 768, barSize: '16 MiB', barBase: 4043309056 }, slots: bar },
      { name: 'gpu1', type: 'pcie.endpoint', preset: 'gpu-like', params: { requesterId: 1024, barBase: 3489660928 } },
      { name: 'gpu2', type: 'pcie.endpoint', preset: 'gpu-like', params: { requesterId: 1280, barBase: 3221225472 } },
      {
        name: 'p2p', type: 'workloads.p2p-transfer', params: {
          path: pathName, op, size: 65536, transfers: 12, bounceBase: 5368709120, reverse,
          routes: { switch: { from: 'nvme0', to: 'gpu0' }, acs: { from: 'nvme1', to: 'gpu1' }, rootcomplex: { from: 'nvme0', to: 'gpu2' }, bounce: { from: 'nvme0', to: 'gpu0' } },
        },
      },
    ],
    links: [
      link('up0', 'rc.rp0', 'sw0.up', { gen: 3, width: 16 }), link('up1', 'rc.rp1', 'sw1.up', { gen: 3, width: 16 }),
      link('gpu2link', 'rc.rp2', 'gpu2.up', { gen: 3, width: 16 }), link('nvme0link', 'sw0.dp0', 'nvme0.up', { gen: 3, width: 16 }),
      link('gpu0link', 'sw0.dp1', 'gpu0.up', { gen: 3, width: 16 }), link('nvme1link', 'sw1.dp0', 'nvme1.up', { gen: 3, width: 16 }),
      link('gpu1link', 'sw1.dp1', 'gpu1.up', { gen: 3, width: 16 }),
    ],
  };
}

/** iommu-window: random transfers through the IOMMU (4 KiB pages) over a 1 MiB window, direct link. */
function iommu(op: string, size: number): Body {
  return {
    name: 'iommu',
    components: [
      { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4', params: { mps: 256, memorySize: '64 MiB' }, slots: { iommu: { type: 'iommu.generic', preset: 'iommu-xeon-e5', params: { identityMap: '4k' } } } },
      { name: 'ep', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { mps: 256 } },
      { name: 'dma', type: 'workloads.dma-stream', params: { device: 'ep', op, transferSize: size, transfers: 600, windowBase: '4 GiB', window: '1 MiB', pattern: 'random', alignment: size } },
    ],
    links: [link('link0', 'rc.rp0', 'ep.up')],
  };
}

/** dma-bandwidth: one endpoint on a direct link of the given generation and width. */
function bandwidth(op: string, gen: number, width: number, mps: number, size: number, pattern = 'sequential'): Body {
  return {
    name: 'bandwidth',
    components: [
      { name: 'rc', type: 'pcie.root-complex', preset: 'xeon-e5-v4', params: { mps } },
      { name: 'ep', type: 'pcie.endpoint', preset: 'netfpga-sume', params: { mps }, slots: { dma: { params: { mrrs: 512 } } } },
      { name: 'dma', type: 'workloads.dma-stream', params: { device: 'ep', op, transferSize: size, transfers: 300, windowBase: '4 GiB', window: '64 MiB', pattern, alignment: 64, inFlight: 32 } },
    ],
    links: [link('link0', 'rc.rp0', 'ep.up', { gen, width, throughputSeries: true })],
  };
}

const CASES: Record<string, Body> = {
  'fanin write x4': fanin('write', 4, 40),
  'fanin read x4': fanin('read', 4, 40),
  'fanin readwrite x4': fanin('readwrite', 4, 40),
  'fanin readwrite x16': fanin('readwrite', 16, 40),
  'fabric write': fabric('write', false, 24, 65536),
  'fabric read': fabric('read', false, 24, 65536),
  'fabric write direct': fabric('write', true, 24, 65536),
  'fabric read direct': fabric('read', true, 24, 65536),
  'fabric readwrite random': fabric('readwrite', false, 300, 3000, { pattern: 'random', alignment: 64, inFlight: 16 }),
  'small credits cut-through': fabric('readwrite', false, 200, 3000, { pattern: 'random', alignment: 64, inFlight: 16 }, SMALL_CREDITS),
  'small credits store-and-forward': fabric('readwrite', false, 200, 3000, { pattern: 'random', alignment: 64, inFlight: 16 }, { ...SMALL_CREDITS, forwarding: 'store-and-forward' }),
  'p2p switch write': p2p('xeon-e5-v4', 'switch', 'write'),
  'p2p switch read': p2p('xeon-e5-v4', 'switch', 'read'),
  'p2p acs read': p2p('xeon-e5-v4', 'acs', 'read'),
  'p2p acs write': p2p('xeon-e5-v4', 'acs', 'write'),
  'p2p rootcomplex read': p2p('xeon-e5-v4', 'rootcomplex', 'read'),
  'p2p bounce write': p2p('xeon-e5-v4', 'bounce', 'write'),
  'p2p one-way read reverse': p2p('one-way', 'rootcomplex', 'read', true),
  'p2p one-way read': p2p('one-way', 'rootcomplex', 'read'),
  'iommu read 64': iommu('read', 64),
  'iommu write 256': iommu('write', 256),
  'bandwidth gen5 x16 read mps128': bandwidth('read', 5, 16, 128, 260),
  'bandwidth gen3 x8 write random': bandwidth('write', 3, 8, 256, 68, 'random'),
  'bandwidth gen6 x4 readwrite': bandwidth('readwrite', 6, 4, 256, 1028),
  'bandwidth gen1 x1 write': bandwidth('write', 1, 1, 128, 512),
};

/** The run's results without the kernel's own counts (events, fingerprint). */
function results(r: RunSummary): string {
  const { status, error, simulated_ps, stop_reason, metrics, attribution, series } = r;
  return JSON.stringify({ status, error, simulated_ps, stop_reason, metrics, attribution, series });
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 16);

async function runCase(name: string, body: Body): Promise<{ results: string; tracedResults: string; trace: Buffer }> {
  const resolved = () => resolveScenario(parseScenario(`${name}.json`, JSON.stringify(body)), {}, lib);
  const req = { seed: 1, replication: 0 };
  const plain = runScenario(resolved(), req);
  const sc = resolved();
  sc.trace = { enabled: true, include: ['*'], exclude: [] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pciesim-golden-'));
  try {
    const tracer = await openRunTracer(sc, req, path.join(dir, TRACE_FILE));
    const traced = runScenario(sc, { ...req, tracer });
    return { results: results(plain), tracedResults: results(traced), trace: fs.readFileSync(path.join(dir, TRACE_FILE)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** [results, trace.arrow] hashes per case; see the file header for how they were produced. */
const GOLDEN: Record<string, [string, string]> = {
  'fanin write x4': ['6a6ef7df74bb8b3b', 'c0f15f2dde590d78'],
  'fanin read x4': ['fb21cb30b5e25262', '732160cd1d2a7518'],
  'fanin readwrite x4': ['5523efe3c3fd2de1', 'db786a177758b147'],
  'fanin readwrite x16': ['f37c0f1851ee5a23', 'c2ec101fdbe649bc'],
  'fabric write': ['b60f5ac3f794e4d2', 'ed76265674d55237'],
  'fabric read': ['315f486d8c494159', '95a8bbe20ae2badd'],
  'fabric write direct': ['f9cb0add09f19d46', '95c017053ea0aa23'],
  'fabric read direct': ['c49822d2f4db377a', '0b9cf23b5ada4c86'],
  'fabric readwrite random': ['84ee85736845cb11', 'd44b27e8028ca1dc'],
  'small credits cut-through': ['cafb8ccea8299de8', 'bb4036aeb878ceac'],
  'small credits store-and-forward': ['aa894bc8664da221', '60553c268b50b18d'],
  'p2p switch write': ['be247224ef1287df', '5afaf40c10768daa'],
  'p2p switch read': ['dfe395e759b051d8', '71dfc26c6111dd54'],
  'p2p acs read': ['15458abe4b5f5400', '2dca954533e3fdc6'],
  'p2p acs write': ['d3af50cedc611493', '7852bafbf90d42e3'],
  'p2p rootcomplex read': ['e4be4eea9258a053', '4befb75049cdee01'],
  'p2p bounce write': ['1ffbdc84a1a8f9d0', '807d8efe2d32b685'],
  'p2p one-way read reverse': ['6890d73b4f5adeff', 'f861fbca841ec76d'],
  'p2p one-way read': ['67ae68ba150a1502', '02719e1c606e62b0'],
  'iommu read 64': ['490db0251da50550', 'a839de4236cfd7dc'],
  'iommu write 256': ['7d0725474364221b', '3f4823d7567d7341'],
  'bandwidth gen5 x16 read mps128': ['7e0ae20685d44378', 'd3b377f6a8bf921f'],
  'bandwidth gen3 x8 write random': ['04a30c59bab9e21c', '0b0c9a6ef1ef52b7'],
  'bandwidth gen6 x4 readwrite': ['00494439b7833d6f', 'd6fc9f70f7787cb6'],
  'bandwidth gen1 x1 write': ['b0a13337aa78d17e', 'd094c2a260a9dabf'],
};

if (process.argv.includes('--print')) {
  for (const [name, body] of Object.entries(CASES)) {
    const r = await runCase(name, body);
    console.log(`  '${name}': ['${sha(r.results)}', '${sha(r.trace)}'],`);
  }
} else {
  for (const [name, body] of Object.entries(CASES)) {
    test(`${name}: the same results and trace as before`, async () => {
      const r = await runCase(name, body);
      assert.ok(JSON.parse(r.results).status === 'ok', r.results.slice(0, 300));
      assert.is(r.tracedResults, r.results, 'tracing changes nothing a run reports');
      assert.equal([sha(r.results), sha(r.trace)], GOLDEN[name]);
    });
  }
  test.run();
}

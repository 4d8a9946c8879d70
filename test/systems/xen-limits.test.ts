/**
 * Every Xen study at the edge of Xen's per-domain limits: each domain of
 * each shipped scenario with a grant table of one frame, or a maptrack of
 * one handle, or (a domain given RAM) 64 KiB of RAM, run small. Real hardware and Xen refuse such work (a full
 * grant table, a full maptrack) and the drivers turn the refusal into an
 * error code; here it must end as a simulated outcome in the results,
 * never as an internal error. (A run of this kind found netback's crash on
 * a full maptrack and a premapped pool used after it failed to map.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runDocInProcess, shippedScenarios, smallSets } from '../helpers.js';
const LIMITS = [['maxGrantFrames', 1], ['maptrackLimit', 1], ['memorySize', '64 KiB']] as const;
/** Studies whose parameters choose between grant paths: each path's variant runs too. */
const VARIANTS: Record<string, string[][]> = {
  'xen-netback.json': [[], ['grants=premapped'], ['packetBytes=9000'], ['direction=rx', 'grants=premapped']],
};

interface LimitRun { scenario: string; variant: string; domain: string; limit: string; outcomes: Record<string, unknown> }

const pick = (metrics: Record<string, unknown>, name: string) => (name in metrics ? { [name]: metrics[name] } : {});

async function runAtLimits(): Promise<LimitRun[]> {
  const runs: LimitRun[] = [];
  for (const { file, doc } of shippedScenarios()) {
    delete doc.$schema;
    const sets = smallSets(doc);
    for (const [i, c] of (doc.components as { name: string; type: string; params?: Record<string, unknown> }[]).entries()) {
      if (c.type !== 'xen.domain') continue;
      for (const [limit, value] of LIMITS) {
        if (limit === 'memorySize' && c.params?.memorySize === undefined) continue;
        for (const variant of VARIANTS[file] ?? [[]]) {
          const d = structuredClone(doc);
          d.components[i].params = { ...d.components[i].params, [limit]: value };
          const r = await runDocInProcess(file, d, [...sets, ...variant.flatMap((v) => ['--set', v])]);
          const what = `${file} ${variant.join(' ')}: ${c.name}.${limit} = ${value}`;
          assert.is(r.code, 0, `${what}: ${r.stderr}`);
          const summary = JSON.parse(r.stdout);
          assert.is(summary.status, 'ok', `${what}: ${summary.error}`);
          const outcomes = Object.fromEntries(Object.entries(summary.metrics as Record<string, unknown>).filter(([m]) => m.endsWith('.outcome')));
          runs.push({ scenario: file, variant: variant.join(' '), domain: c.name, limit, outcomes: { ...outcomes, ...pick(summary.metrics, 'vif.packets_dropped') } });
        }
      }
    }
  }
  return runs;
}

test("every Xen study runs to an outcome with any domain's grant table at one frame or its maptrack at one handle", async () => {
  const runs = await runAtLimits();
  assert.ok(runs.length >= 30, `${runs.length} runs: every Xen scenario's domains`);
  for (const r of runs) {
    for (const [m, v] of Object.entries(r.outcomes)) {
      if (m.endsWith('.outcome')) assert.ok(typeof v === 'string' && v.length > 0, `${r.scenario} ${r.domain}.${r.limit}: ${m} = ${v}`);
    }
  }
  // The refusals are the protocols' own, where the limit binds.
  const outcome = (scenario: string, domain: string, limit: string, metric: string, variant = '') =>
    runs.find((r) => r.scenario === scenario && r.variant === variant && r.domain === domain && r.limit === limit)?.outcomes[metric];
  assert.is(outcome('xen-netback.json', 'guest', 'maxGrantFrames', 'vif.outcome'), 'grant-table-full', "netfront's 512 reserved refs do not fit in one frame");
  assert.is(outcome('xen-netback.json', 'dom0', 'maptrackLimit', 'vif.outcome'), 'ok', '64-byte packets are copied, never mapped');
  assert.is(outcome('xen-netback.json', 'dom0', 'maptrackLimit', 'vif.outcome', 'grants=premapped'), 'map-failed', 'a pool of 256 pages does not map into one handle');
  assert.is(outcome('xen-netback.json', 'dom0', 'maptrackLimit', 'vif.outcome', 'direction=rx grants=premapped'), 'map-failed');
  assert.is(outcome('xen-netback.json', 'dom0', 'maptrackLimit', 'vif.packets_dropped', 'packetBytes=9000'), 50, 'three pages a packet never map into one handle: every packet dropped');
  assert.is(outcome('display-frames.json', 'guest', 'maxGrantFrames', 'displif.outcome'), 'grant-table-full');
  assert.is(outcome('display-frames.json', 'dom0', 'maptrackLimit', 'displif.outcome'), 'map-failed', 'the backend maps the frontend\'s buffer');
  assert.is(outcome('gref-schemes.json', 'importer', 'maptrackLimit', 'share.outcome'), 'map-failed');
  assert.is(outcome('vm-display-pipeline.json', 'guest', 'memorySize', 'displif.outcome'), 'out-of-memory', "the frontend's buffers do not fit in the guest's RAM");
  assert.is(outcome('vm-display-pipeline.json', 'dom0', 'memorySize', 'displif.outcome'), 'ok', 'the frontend allocates the buffers: dom0 only maps them');
  assert.is(outcome('vm-video-encode.json', 'guest', 'memorySize', 'displif.outcome'), 'out-of-memory');
});

test.run();

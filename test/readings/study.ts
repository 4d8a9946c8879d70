/**
 * A shipped study run in-process at one point of its grid: the scenario file
 * as a user has it, parameters set as `--set` would, and optionally edited
 * first (a smaller run, a preset value changed). Metrics are read through
 * statsOf, so a name the run does not report is an error, not undefined.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { parseScenario, resolveScenario, type PresetOverrides } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { runScenario, type RunSummary } from '../../src/run/single.js';
import { ROOT, statsOf } from '../helpers.js';

const lib = await loadModelLibrary();

export type Sets = Record<string, string | number | boolean>;

/** The study's scenario file, parsed, to edit before a run. */
export function studyBody(study: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', `${study}.json`), 'utf8'));
}

/** One run of `study` (or of `body`, an edited copy of it) at `sets`; its summary and its metrics. */
export function runStudy(study: string, sets: Sets = {}, opts: { body?: unknown; presets?: PresetOverrides } = {}): { summary: RunSummary; m: Record<string, any> } {
  const body = opts.body ?? studyBody(study);
  const overrides = Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, String(v)]));
  const sc = resolveScenario(parseScenario(`${study}.json`, JSON.stringify(body)), overrides, lib, '--set', opts.presets ?? {});
  const summary = runScenario(sc, { seed: (body as { seed?: number }).seed ?? 1, replication: 0 });
  assert.is(summary.status, 'ok', summary.error ?? '');
  return { summary, m: statsOf(summary) };
}

/** |actual − expected| within `rel` of expected, with both in the message. */
export function near(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} against ${expected} derived (±${rel * 100}%)`);
}

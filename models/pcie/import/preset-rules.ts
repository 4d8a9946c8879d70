/**
 * Which preset an imported root complex, switch or endpoint gets: the rules
 * of pci-presets.json (each with its source), matched on the PCI
 * vendor:device ID when lspci printed IDs (-nn), else on the name lspci
 * printed. A rule whose preset the model library lacks, and a function no
 * rule matches, fall back to the generic preset of its kind with a warning.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { zodToUserError } from '../../../src/scenario/zod-errors.js';
import type { PciFunction } from './lspci-text.js';
import { shortBdf } from './pci-tree.js';

const sourced = z.strictObject({ value: z.unknown(), source: z.string().min(1) });
const estimate = z.strictObject({ value: z.number(), range: z.tuple([z.number(), z.number()]), source: z.string().min(1) });

const rule = z.strictObject({
  preset: z.string(),
  what: z.string(),
  /** "vvvv:dddd", or "vvvv:*" for every device of a vendor (then `classes` narrows it). */
  ids: z.array(z.string().regex(/^[0-9a-f]{4}:([0-9a-f]{4}|\*)$/)).default([]),
  classes: z.array(z.string().regex(/^[0-9a-f]{4}$/)).optional(),
  /** Regular expressions over "<class name>: <vendor and device name>", for output without IDs. */
  names: z.array(z.string()).default([]),
  approximation: z.string().optional(),
  params: z.record(z.string(), sourced).default({}),
  source: z.string().min(1),
});
export type PresetRule = z.output<typeof rule>;

const rulesFile = z.strictObject({
  description: z.string(),
  rootComplexes: z.array(rule),
  switches: z.array(rule),
  endpoints: z.array(rule),
  fallback: z.strictObject({ rootComplex: z.string(), switch: z.string(), endpoint: z.string() }),
  hidden: z.strictObject({ gen: estimate, width: estimate, mps: estimate, mrrs: estimate }),
  p2pStudy: z.strictObject({ size: sourced.extend({ value: z.number().int().positive() }), transfers: sourced.extend({ value: z.number().int().positive() }) }),
});
export type PresetRules = z.output<typeof rulesFile>;
export type HiddenDefault = keyof PresetRules['hidden'];

/** The rules file, next to this module's source (models/pcie/import/), from dist/models/pcie/import/. */
export const PRESET_RULES_FILE = new URL('../../../../models/pcie/import/pci-presets.json', import.meta.url);

let cached: PresetRules | undefined;
export function presetRules(): PresetRules {
  if (cached) return cached;
  const file = fileURLToPath(PRESET_RULES_FILE);
  const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  const r = rulesFile.safeParse(json);
  if (!r.success) throw zodToUserError(file, [], r.error, json);
  return (cached = r.data);
}

export function ruleMatches(r: PresetRule, f: PciFunction): boolean {
  if (f.vendorId !== undefined && f.deviceId !== undefined) {
    const idHit = r.ids.some((id) => id === `${f.vendorId}:${f.deviceId}` || id === `${f.vendorId}:*`);
    return idHit && (r.classes === undefined || (f.classCode !== undefined && r.classes.includes(f.classCode)));
  }
  const label = `${f.className}: ${f.description}`;
  return r.names.some((n) => new RegExp(n, 'i').test(label));
}

/** What the import decided for one node: the preset, values set on top of it, and why (for the warnings). */
export interface PresetChoice {
  preset: string;
  params: Record<string, unknown>;
  /** The rule that matched, or undefined when the fallback is used. */
  rule: PresetRule | undefined;
  /** Set when the choice is a stand-in: no rule matched, the rule's preset is missing, or the rule is an approximation. */
  caveat: string | undefined;
}

/**
 * The preset for a node whose identity is told by `candidates` (tried in
 * order; e.g. a root complex's host bridges, then its root ports).
 * `hasPreset` says whether the model library has a preset of that name.
 */
export function choosePreset(rules: readonly PresetRule[], fallback: string, candidates: readonly PciFunction[], hasPreset: (name: string) => boolean): PresetChoice {
  for (const f of candidates) {
    const r = rules.find((x) => ruleMatches(x, f));
    if (r === undefined) continue;
    const params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v.value]));
    if (!hasPreset(r.preset)) return { preset: fallback, params: {}, rule: r, caveat: `${describe(f)} is ${r.what}, but there is no preset "${r.preset}" yet: ${fallback} used` };
    return { preset: r.preset, params, rule: r, caveat: r.approximation ? `${describe(f)} is ${r.what}: ${r.approximation}` : undefined };
  }
  const first = candidates[0];
  return { preset: fallback, params: {}, rule: undefined, caveat: first ? `${describe(first)} is not in pciesim's table (models/pcie/import/pci-presets.json): ${fallback} used` : `nothing identifies it: ${fallback} used` };
}

/** `03:00.0 "Netronome Systems, Inc. Device 6000" [19ee:6000]` */
export function describe(f: PciFunction): string {
  return `${shortBdf(f)} "${f.description}"${f.vendorId ? ` [${f.vendorId}:${f.deviceId}]` : ''}`;
}

/**
 * What a component type declares, as text: for `pciesim list types`, the
 * generated tables of the README, and anything else that documents types.
 * Everything here is read from the declarations (the zod schema's fields,
 * slots, ports, statistics, trace kinds, presets); nothing is written twice.
 */
import type { z } from 'zod';
import { declaredRefs } from './refs.js';
import type { ComponentType } from './registry.js';
import type { Preset } from './presets.js';
import { displayUnit } from './stat-units.js';

export interface ParamDoc {
  name: string;
  /** "number", "one of a, b", "size", "duration", "rate", "a xen.domain (reference)", ... */
  kind: string;
  /** The schema's default, if any, as JSON text. */
  default: string | null;
  optional: boolean;
  description: string;
}

type Def = { type: string; innerType?: z.ZodType; defaultValue?: unknown; entries?: Record<string, unknown>; options?: z.ZodType[]; values?: unknown[]; in?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;
const metaOf = (s: z.ZodType) => (s.meta() ?? {}) as Record<string, unknown>;

/** What kind of value a schema takes, in words. */
function kindOf(s: z.ZodType): string {
  const meta = metaOf(s);
  if (typeof meta.pciesimRef === 'string') return `a ${meta.pciesimRef} (instance name)`;
  if (typeof meta.pciesimQuantity === 'string') return meta.pciesimQuantity as string;
  const d = defOf(s);
  switch (d.type) {
    case 'optional': case 'default': case 'nullable': case 'readonly': case 'prefault': return kindOf(d.innerType!);
    case 'pipe': return kindOf(d.in!);
    case 'enum': return `one of ${Object.values(d.entries!).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'literal': return (d.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'union': return d.options!.map(kindOf).join(' | ');
    case 'array': return `list of ${kindOf(d.element!)}`;
    case 'object': return 'object';
    case 'record': return 'object';
    default: return d.type;
  }
}

function defaultOf(s: z.ZodType): { default: string | null; optional: boolean } {
  const d = defOf(s);
  if (d.type === 'default') {
    const v = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    return { default: JSON.stringify(v), optional: true };
  }
  if (d.type === 'optional') return { default: null, optional: true };
  if (d.type === 'pipe') return defaultOf(d.in!);
  return { default: null, optional: false };
}

/** The type's parameters, in declaration order. */
export function paramDocs(t: ComponentType): ParamDoc[] {
  const shape = (t.params as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([name, s]) => ({ name, kind: kindOf(s), ...defaultOf(s), description: s.description ?? '' }));
}

/** The type's references to other instances: field path and what they must be. */
export function refDocs(t: ComponentType): { path: string; iface: string }[] {
  return declaredRefs(t.params);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The component types as a Markdown table: type, what it is, what it provides, its slots, its references, its default preset. */
export function typesMarkdown(types: readonly ComponentType[]): string {
  const rows = types.map((t) => {
    const slots = (t.slots ?? []).map((s) => `${s.name}: ${s.accepts}${s.required ? ' (required)' : ''}`).join('; ') || '—';
    const refs = refDocs(t).map((r) => `${r.path} → ${r.iface}`).join('; ') || '—';
    const provides = [...(t.provides ?? [])].join(', ') || '—';
    const kind = t.joins ? `link ${t.joins[0]} ⇄ ${t.joins[1]}` : 'component';
    return `| \`${t.type}\` | ${kind} | ${cell(t.description)} | ${provides} | ${cell(slots)} | ${cell(refs)} | ${t.defaultPreset ? `\`${t.defaultPreset}\`` : '—'} |`;
  });
  return ['| type | kind | what it is | provides | slots | references | default preset |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** Every declared statistic as a Markdown table: the column `<instance>.<stat>`'s stat part, its unit and meaning, by type. */
export function statsMarkdown(types: readonly ComponentType[]): string {
  const rows = types.flatMap((t) => t.stats.map((s) =>
    `| \`${t.type}\` | \`${s.name}\`${s.kind === 'distribution' ? ' (distribution)' : ''} | ${displayUnit(s.unit) || '—'} | ${cell(s.description)} |`));
  return ['| type | statistic | unit | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The presets as a Markdown table: name, type, base, estimates, what it is. */
export function presetsMarkdown(presets: readonly Preset[], raw: (name: string) => { base?: string | undefined } | undefined): string {
  const rows = presets.map((p) => {
    const own = Object.values(p.values).filter((v) => v.from === p.name);
    const estimates = own.filter((v) => v.estimate).length;
    const base = raw(p.name)?.base;
    return `| \`${p.name}\` | \`${p.type}\` | ${base ? `\`${base}\`` : '—'} | ${own.length} (${estimates} estimated) | ${cell(p.description.split('. ')[0]!.replace(/\.$/, ''))} |`;
  });
  return ['| preset | type | base | values (estimated) | what it is |', '|---|---|---|---|---|', ...rows].join('\n');
}

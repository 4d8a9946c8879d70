/**
 * References: a parameter whose value names another instance of the
 * scenario (gem5's "a SimObject as a parameter"): the domain a device is
 * assigned to, the endpoint a workload drives, the hypervisor a domain runs
 * on. A type declares one with `ref('xen.domain')` in its parameter schema;
 * the loader then checks, before anything runs, that the named instance
 * exists and provides that interface, and says at which field it does not.
 */
import { z } from 'zod';

/** A component instance, or a slot of one: "rc", "rc.iommu". */
export const INSTANCE_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

const REF_META = 'pciesimRef';

/** A parameter naming an instance that provides `iface` (a type name, or an interface such as 'memory'). */
export function ref(iface: string) {
  return z.string().regex(INSTANCE_PATH, 'an instance name such as "gpu0" or "rc.iommu"').meta({ [REF_META]: iface });
}

/** A list of instances that each provide `iface`. */
export function refs(iface: string) {
  return z.array(ref(iface));
}

export interface FoundRef {
  /** Field path inside the params. */
  path: (string | number)[];
  name: string;
  iface: string;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] };

/** Every reference in `value`, an instance's parsed params, found by walking its schema. */
export function findRefs(schema: z.ZodType, value: unknown, path: (string | number)[] = []): FoundRef[] {
  if (value === undefined || value === null) return [];
  const iface = (schema.meta() as Record<string, unknown> | undefined)?.[REF_META];
  if (typeof iface === 'string' && typeof value === 'string') return [{ path, name: value, iface }];
  const def = (schema as unknown as { def: Def }).def;
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'prefault': case 'readonly': case 'nonoptional':
      return findRefs(def.innerType!, value, path);
    case 'pipe':
      return findRefs(def.in!, value, path);
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => findRefs(def.element!, v, [...path, i])) : [];
    case 'object':
      if (typeof value !== 'object') return [];
      return Object.entries(def.shape!).flatMap(([k, s]) => findRefs(s, (value as Record<string, unknown>)[k], [...path, k]));
    case 'union':
      return def.options!.flatMap((o) => findRefs(o, value, path)).filter((r, i, all) => all.findIndex((x) => x.path.join('.') === r.path.join('.')) === i);
    default:
      return [];
  }
}

/** The references a schema declares, as field paths with '[]' for list items: for listings and docs. */
export function declaredRefs(schema: z.ZodType, path: string[] = []): { path: string; iface: string }[] {
  const iface = (schema.meta() as Record<string, unknown> | undefined)?.[REF_META];
  if (typeof iface === 'string') return [{ path: path.join('.'), iface }];
  const def = (schema as unknown as { def: Def }).def;
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'prefault': case 'readonly': case 'nonoptional':
      return declaredRefs(def.innerType!, path);
    case 'pipe':
      return declaredRefs(def.in!, path);
    case 'array':
      return declaredRefs(def.element!, [...path.slice(0, -1), `${path[path.length - 1] ?? ''}[]`]);
    case 'object':
      return Object.entries(def.shape!).flatMap(([k, s]) => declaredRefs(s, [...path, k]));
    default:
      return [];
  }
}

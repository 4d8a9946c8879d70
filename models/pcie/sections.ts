/**
 * Flat "<section>.<param>" parameters: how a component that builds several
 * models exposes their parameters in one flat list, so a preset can set any
 * of them and a scenario's `--set` can override one (presets merge shallowly).
 */
import type { z } from 'zod';

/** The fields of `schema` as "<prefix>.<field>", descriptions prefixed by the section. */
export function prefixedShape(prefix: string, schema: z.ZodType): Record<string, z.ZodType> {
  const shape = (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
  return Object.fromEntries(Object.entries(shape).map(([k, s]) => [`${prefix}.${k}`, s]));
}

/** The "<prefix>.<field>" values of an already-parsed flat object, as { field: value }. */
export function takePrefixed(flat: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) if (k.startsWith(`${prefix}.`) && v !== undefined) out[k.slice(prefix.length + 1)] = v;
  return out;
}

import { z } from 'zod';
import { componentSpec, linkSpec, scenarioSchema } from './schema.js';
import type { Catalog, ComponentType } from './registry.js';

type JsonSchema = Record<string, unknown>;

const PARAMETER_REF: JsonSchema = {
  type: 'string',
  pattern: '^\\$[A-Za-z_][A-Za-z0-9_]*$',
  description: 'A reference to one of the scenario\'s parameters',
};

/**
 * The scenario JSON Schema, for editors: the envelope, with each component's
 * `params` checked against its own type's schema once `type` is known.
 * Any parameter value may also be a "$parameter" reference.
 */
export function scenarioJsonSchema(catalog: Catalog): JsonSchema {
  const root = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const props = root.properties as Record<string, JsonSchema>;
  props.components = { ...props.components, items: instanceSchema(componentSpec, catalog.list().filter((t) => t.joins === undefined), 'Component type') };
  props.links = { ...props.links, items: instanceSchema(linkSpec, catalog.list().filter((t) => t.joins !== undefined), 'Link type') };
  return { ...root, title: 'pciesim scenario' };
}

/** A component's or link's entry, with `params` checked against its type's schema once `type` is known. */
function instanceSchema(spec: z.ZodType, types: ComponentType[], what: string): JsonSchema {
  const base = z.toJSONSchema(spec, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete base.$schema;
  const variants = types.map((t) => {
    const params = z.toJSONSchema(t.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete params.$schema;
    return {
      if: { properties: { type: { const: t.type } }, required: ['type'] },
      then: { properties: { params: allowRefs(params) } },
    };
  });
  return { ...base, properties: { ...(base.properties as object), type: { enum: types.map((t) => t.type), description: what } }, allOf: variants };
}

function allowRefs(schema: JsonSchema): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return schema;
  const out: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(props)) out[k] = { anyOf: [v, PARAMETER_REF], ...(v.description ? { description: v.description } : {}) };
  return { ...schema, properties: out };
}

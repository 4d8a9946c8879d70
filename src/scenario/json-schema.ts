import { z } from 'zod';
import { componentSpec, scenarioSchema } from './schema.js';
import type { Catalog } from './registry.js';

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
  const base = z.toJSONSchema(componentSpec, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete base.$schema;
  const variants = catalog.list().map((t) => {
    const params = z.toJSONSchema(t.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete params.$schema;
    return {
      if: { properties: { type: { const: t.type } }, required: ['type'] },
      then: { properties: { params: allowRefs(params) } },
    };
  });
  const props = root.properties as Record<string, JsonSchema>;
  props.components = {
    ...props.components,
    items: { ...base, properties: { ...(base.properties as object), type: { enum: catalog.names(), description: 'Component type' } }, allOf: variants },
  };
  return { ...root, title: 'pciesim scenario' };
}

function allowRefs(schema: JsonSchema): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return schema;
  const out: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(props)) out[k] = { anyOf: [v, PARAMETER_REF], ...(v.description ? { description: v.description } : {}) };
  return { ...schema, properties: out };
}

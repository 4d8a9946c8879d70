/**
 * Trace kinds are declared by component types (ComponentType.traceKinds), so
 * `pciesim list types` can show them and `validate` can check a scenario's
 * trace patterns. A component asking for a channel of a kind its type does
 * not declare is a model bug, caught the first time it asks.
 */
import type { ComponentType } from '../scenario/registry.js';
import type { ChannelOptions, Tracer } from './channel.js';

/** The tracer a component instance sees: its channels are checked against its type's declared kinds, which also say which are hot. */
export function scopedTracer(tracer: Tracer, instance: string, type: ComponentType): Tracer {
  const kinds = new Map((type.traceKinds ?? []).map((k) => [k.kind, k]));
  return {
    channel(component: string, kind: string, _options?: ChannelOptions) {
      const decl = kinds.get(kind);
      if (!decl) {
        throw new Error(`${instance} (${type.type}) asked for a trace channel of kind "${kind}", which its type does not declare ` +
          `(declared: ${[...kinds.keys()].join(', ') || 'none'})`);
      }
      return tracer.channel(component, kind, { hot: decl.hot ?? false });
    },
    label: (name) => tracer.label(name),
  };
}

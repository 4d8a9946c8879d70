/**
 * The scenario's topology: which ports its links join. The engine checks what
 * holds for any model (each end names a component and a port it offers, the
 * link type joins those port kinds, a port takes one link, required ports are
 * linked), then asks each component and link type for its own checks
 * (ComponentType.checkTopology), all before anything is built, so `pciesim
 * validate` reports a bad topology as it reports a bad field.
 */
import { fieldError, formatPath, UserError } from './errors.js';
import type { ResolvedComponent, ResolvedLink } from './loader.js';
import { typeProvides, type PortDecl, type TopologyLink, type TopologyNode, type TopologyView } from './registry.js';
import { PORT_REF } from './schema.js';

export interface PortRef {
  component: string;
  port: string;
}

/** "sw0.up" → { component: 'sw0', port: 'up' } (the schema has checked the form). */
export function portRef(ref: string): PortRef {
  const m = PORT_REF.exec(ref)!;
  return { component: m[1]!, port: m[2]! };
}

interface MutableNode extends TopologyNode {
  links: TopologyNode['links'][number][];
}

export function checkTopology(file: string, components: ResolvedComponent[], links: ResolvedLink[]): TopologyView {
  const nodes = new Map<string, MutableNode>();
  const ports = new Map<string, PortDecl[]>();
  for (const c of components) {
    const type = c.type;
    nodes.set(c.name, {
      name: c.name, type: type.type, params: c.params, path: c.path, links: [],
      facts: type.facts?.(c.params) ?? {}, provides: (iface) => typeProvides(type, iface),
      filledSlots: c.slots.map((s) => s.name.slice(c.name.length + 1)),
    });
    ports.set(c.name, c.type.ports?.(c.params) ?? []);
  }
  const linkedBy = new Map<string, (string | number)[]>();
  const view: TopologyLink[] = [];
  for (const l of links) {
    const ends = (['a', 'b'] as const).map((side) => {
      const ref = l[side];
      const at = [...l.path, side];
      const node = nodes.get(ref.component);
      if (!node) throw fieldError(file, at, `no component named "${ref.component}"; components: ${[...nodes.keys()].join(', ')}`);
      const offered = ports.get(ref.component)!;
      const decl = offered.find((p) => p.name === ref.port);
      if (!decl) {
        throw fieldError(file, at, `${ref.component} (${node.type}) has no port "${ref.port}"; its ports: ` +
          (offered.length ? offered.map((p) => p.name).join(', ') : '(none)'));
      }
      const key = `${ref.component}.${ref.port}`;
      const other = linkedBy.get(key);
      if (other) throw fieldError(file, at, `port ${key} is already linked by ${formatPath(other)}; a port takes one link`);
      linkedBy.set(key, l.path);
      return { node, port: ref.port, kind: decl.kind };
    });
    const [a, b] = ends as [typeof ends[0], typeof ends[0]];
    const [ka, kb] = l.type.joins!;
    if (!((a.kind === ka && b.kind === kb) || (a.kind === kb && b.kind === ka))) {
      throw fieldError(file, l.path, `a ${l.type.type} joins a ${ka} port to a ${kb} port, but ${a.node.name}.${a.port} is ${a.kind} ` +
        `and ${b.node.name}.${b.port} is ${b.kind}`);
    }
    const link: TopologyLink = { name: l.name, type: l.type.type, params: l.params, path: l.path, a: { node: a.node, port: a.port }, b: { node: b.node, port: b.port } };
    a.node.links.push({ port: a.port, link, far: link.b });
    b.node.links.push({ port: b.port, link, far: link.a });
    view.push(link);
  }
  for (const c of components) {
    for (const p of ports.get(c.name)!) {
      if (p.required && !linkedBy.has(`${c.name}.${p.name}`)) {
        throw fieldError(file, c.path, `port ${c.name}.${p.name} (${p.description}) must be linked; no link names it`);
      }
    }
  }
  const topology: TopologyView = { nodes: [...nodes.values()], links: view, node: (name) => nodes.get(name) };
  const issues: string[] = [];
  components.forEach((c, i) => {
    for (const issue of c.type.checkTopology?.(topology.nodes[i]!, topology) ?? []) issues.push(fieldError(file, issue.path, issue.message).message);
  });
  links.forEach((l, j) => {
    for (const issue of l.type.checkTopology?.(view[j]!, topology) ?? []) issues.push(fieldError(file, issue.path, issue.message).message);
  });
  if (issues.length) throw new UserError([...new Set(issues)].join('\n'));
  return topology;
}

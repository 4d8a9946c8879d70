/**
 * Which (component, kind) pairs a run records.
 *
 * A pattern is `component/kind`, each side a glob where `*` matches any run of
 * characters (dots and slashes included): `"link*\/*"`, `"*\/tlp"`,
 * `"xen.grant/map"`. The split is at the *last* slash, so component names may
 * themselves contain slashes; a pattern without a slash names components only
 * (`"iommu"` means `"iommu/*"`).
 *
 * The rules, in order:
 *   1. a pair matching an `include` is on — include beats exclude, so
 *      `exclude: ["*"], include: ["xen.grant/*"]` traces grants only, and
 *      `include: ["*"]` records everything;
 *   2. a hot kind (declared `hot`: one row per TLP or per page-walk step,
 *      which would swamp a trace) is off unless rule 1 turned it on;
 *   3. a pair matching an `exclude` is off;
 *   4. everything else is on.
 *
 * Models ask once, at setup, and cache the answer, so this is never on a hot path.
 * (In this comment `*\/` stands for `*` then `/`, to keep the comment open.)
 */
export interface TraceSelection {
  include?: readonly string[];
  exclude?: readonly string[];
}

interface Compiled {
  readonly component: RegExp;
  readonly kind: RegExp;
}

const WILDCARD = '*';
const SEPARATOR = '/';

export class SelectionRules {
  private readonly include: Compiled[];
  private readonly exclude: Compiled[];

  constructor(selection: TraceSelection = {}) {
    this.include = (selection.include ?? []).map((p) => compile(p, 'include'));
    this.exclude = (selection.exclude ?? []).map((p) => compile(p, 'exclude'));
  }

  enabled(component: string, kind: string, hot: boolean): boolean {
    for (const p of this.include) if (matches(p, component, kind)) return true;
    if (hot) return false;
    for (const p of this.exclude) if (matches(p, component, kind)) return false;
    return true;
  }
}

/** True if `pattern` selects the (component, kind) pair: for checking a scenario's patterns against what its instances declare. */
export function patternMatches(pattern: string, component: string, kind: string): boolean {
  return matches(compile(pattern, 'include'), component, kind);
}

function matches(p: Compiled, component: string, kind: string): boolean {
  return p.component.test(component) && p.kind.test(kind);
}

function compile(pattern: string, list: string): Compiled {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new TypeError(`trace selection ${list}: patterns must be non-empty strings like "link/*" or "*/tlp", got ${JSON.stringify(pattern)}`);
  }
  const cut = pattern.lastIndexOf(SEPARATOR);
  const component = cut < 0 ? pattern : pattern.slice(0, cut);
  const kind = cut < 0 ? WILDCARD : pattern.slice(cut + 1);
  if (component.length === 0 || kind.length === 0) {
    throw new TypeError(`trace selection ${list}: "${pattern}" has an empty side; write "*" for any component or kind`);
  }
  return { component: glob(component), kind: glob(kind) };
}

function glob(text: string): RegExp {
  const body = text.split(WILDCARD).map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

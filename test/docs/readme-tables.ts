/**
 * The README's generated tables: component types, their statistics and the
 * presets, made from the declarations (`pciesim list --markdown` prints the
 * same), between markers `<!-- generated: NAME -->` and `<!-- end: NAME -->`.
 * `npm run docs` rewrites them; test/docs/readme.test.ts fails when they drift.
 */
import type { ModelLibrary } from '../../src/scenario/loader.js';
import { presetsMarkdown, statsMarkdown, typesMarkdown } from '../../src/scenario/type-docs.js';

export function readmeTables(lib: ModelLibrary): Record<string, string> {
  const types = lib.catalog.list();
  return {
    types: typesMarkdown(types),
    statistics: statsMarkdown(types),
    presets: presetsMarkdown(lib.presets.all(), (n) => lib.presets.file(n)),
  };
}

const section = (name: string) => new RegExp(`(<!-- generated: ${name} -->\\n)[\\s\\S]*?(<!-- end: ${name} -->)`);

/** The README's text of each generated section (undefined where the markers are missing). */
export function readmeSections(readme: string, names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => {
    const m = new RegExp(`<!-- generated: ${n} -->\\n([\\s\\S]*?)<!-- end: ${n} -->`).exec(readme);
    return [n, m?.[1]?.replace(/\n$/, "")];
  }));
}

/** The README with each generated section replaced by `tables`. */
export function updateReadme(readme: string, tables: Record<string, string>): string {
  let out = readme;
  for (const [name, md] of Object.entries(tables)) {
    if (!section(name).test(out)) throw new Error(`README.md has no <!-- generated: ${name} --> … <!-- end: ${name} --> section`);
    out = out.replace(section(name), `$1${md.replace(/\$/g, '$$$$')}\n$2`);
  }
  return out;
}

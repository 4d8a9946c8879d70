/** The mutants of a built module, for test/mutate/run.ts (`npm run mutate`). */

/** Operator → its mutant. */
const SWAP: Record<string, string> = {
  '<': '<=', '<=': '<', '>': '>=', '>=': '>', '===': '!==', '!==': '===', '==': '!=', '!=': '==',
  '+': '-', '-': '+', '*': '/', '/': '*', '%': '*', '&&': '||', '||': '&&', '&': '|', '|': '&',
  '<<': '>>', '>>': '<<', '+=': '-=', '-=': '+=', '++': '--', '--': '++', '!': '',
};
/** Every punctuator JavaScript has, longest first, so `>>>=` is never read as `>` `>` `>=`. */
const PUNCTUATORS = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=',
  '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**'];

export interface Mutant { start: number; end: number; replacement: string; line: number; what: string }

/**
 * Every mutant of `source` (compiled JavaScript), in source order. A small
 * scanner walks the code and skips strings, template literals (their ${}
 * code is scanned), and comments. It knows no regular-expression literals: a
 * target must not contain one (the scan would take it for operators, and its
 * mutants would fail --check or be counted against the tests).
 */
export function mutantsOf(source: string): Mutant[] {
  const out: Mutant[] = [];
  let line = 1;
  const add = (start: number, text: string, replacement: string): void => {
    out.push({ start, end: start + text.length, replacement, line, what: `${text} → ${replacement || '(removed)'}` });
  };
  // Brace depth of each open ${ … } in a template, innermost last.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const n = source.length;
  const skipString = (quote: string): void => {
    for (i++; i < n && source[i] !== quote; i++) if (source[i] === '\\') i++;
    i++;
  };
  /** Scans template text from i (just past ` or }) to its end or the next ${. */
  const skipTemplateText = (): void => {
    for (; i < n; i++) {
      const c = source[i];
      if (c === '\\') { i++; continue; }
      if (c === '\n') line++;
      if (c === '`') { i++; return; }
      if (c === '$' && source[i + 1] === '{') { templates.push(depth); depth++; i += 2; return; }
    }
  };
  while (i < n) {
    const c = source[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (c === '/' && source[i + 1] === '/') { while (i < n && source[i] !== '\n') i++; continue; }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      for (let k = i; k < close; k++) if (source[k] === '\n') line++;
      i = close + 2;
      continue;
    }
    if (c === '"' || c === "'") { skipString(c); continue; }
    if (c === '`') { i++; skipTemplateText(); continue; }
    if (c === '{') { depth++; i++; continue; }
    if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) { templates.pop(); skipTemplateText(); }
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(source.slice(i, i + 64));
    if (word) {
      if (word[0] === 'true') add(i, 'true', 'false');
      else if (word[0] === 'false') add(i, 'false', 'true');
      i += word[0].length;
      continue;
    }
    const num = /^\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?n?/.exec(source.slice(i, i + 64));
    if (num) {
      const text = num[0];
      if (/^\d[\d_]*$/.test(text)) {
        const v = Number(text.replace(/_/g, ''));
        add(i, text, String(v === 1 ? 0 : v + 1));
      }
      i += text.length;
      continue;
    }
    const punct = PUNCTUATORS.find((p) => source.startsWith(p, i)) ?? c;
    const swap = SWAP[punct];
    if (swap !== undefined) add(i, punct, swap);
    i += punct.length;
  }
  return out;
}

/** A mutant no test can kill, with the reason (test/mutate/equivalents.ts). */
export interface Equivalent {
  /** A target of test/mutate/run.ts. */
  target: string;
  /** Text of the built module, found there exactly once, that holds the mutated token; any run of white space in it matches any other. */
  near: string;
  /** The mutation, as a mutant's `what` says it (`< → <=`). */
  what: string;
  why: string;
}

/**
 * The declared equivalents among `mutants` of `source`: for each mutant's
 * index, the entry that names it (its token inside the entry's `near`, its
 * change the entry's `what`). An entry whose `near` is not in the source
 * exactly once, or that names no mutant or more than one, is an error: the
 * list must follow the code it speaks of.
 */
export function declaredEquivalents(source: string, mutants: readonly Mutant[], declared: readonly Equivalent[]): Map<number, Equivalent> {
  const out = new Map<number, Equivalent>();
  for (const e of declared) {
    const words = e.near.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const found = [...source.matchAll(new RegExp(words.join('\\s+'), 'g'))];
    if (found.length !== 1) throw new Error(`equivalent mutant '${e.what}' near '${e.near}': that text is ${found.length ? 'more than once in' : 'not in'} the module`);
    const at = found[0]!.index, end = at + found[0]![0].length;
    const hits = mutants.flatMap((m, i) => (m.start >= at && m.end <= end && m.what === e.what ? [i] : []));
    if (hits.length !== 1) throw new Error(`equivalent mutant '${e.what}' near '${e.near}': ${hits.length} mutants match, not 1`);
    out.set(hits[0]!, e);
  }
  return out;
}

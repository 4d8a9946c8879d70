/**
 * The trace kinds a scenario's instances can record, and a check that each
 * of the scenario's trace patterns selects at least one of them (a pattern
 * that selects nothing is almost always a misspelling).
 */
import { patternMatches } from '../trace/selection.js';
import { closestNames } from '../util/did-you-mean.js';
import { fieldError, UserError } from './errors.js';
import { allInstances, type ResolvedScenario } from './loader.js';

/** "instance/kind" for every kind every instance declares, in name order. */
export function declaredTraceKinds(sc: Pick<ResolvedScenario, 'components' | 'links'>): { component: string; kind: string; hot: boolean; description: string }[] {
  const out = allInstances(sc).flatMap((i) => (i.type.traceKinds ?? []).flatMap((k) =>
    (k.parts ?? ['']).map((part) => ({ component: part ? `${i.name}.${part}` : i.name, kind: k.kind, hot: k.hot ?? false, description: k.description }))));
  return out.sort((a, b) => (a.component < b.component ? -1 : a.component > b.component ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/**
 * Each of the scenario's trace patterns selects a kind it declares. `flag`:
 * the patterns came from that command-line flag (run --trace-include), so
 * a problem names the flag, not a field of the file.
 */
export function checkTraceNames(file: string, sc: ResolvedScenario, flag?: string): void {
  const kinds = declaredTraceKinds(sc);
  const names = kinds.map((k) => `${k.component}/${k.kind}`);
  const problems: string[] = [];
  const where = (list: 'include' | 'exclude', i: number, message: string) =>
    (flag !== undefined && list === 'include' ? `${flag}: ${message}` : fieldError(file, ['trace', list, i], message).message);
  for (const list of ['include', 'exclude'] as const) {
    sc.trace[list].forEach((pattern, i) => {
      let any: boolean;
      try {
        any = kinds.some((k) => patternMatches(pattern, k.component, k.kind));
      } catch (e) {
        problems.push(where(list, i, (e as Error).message.replace(/^trace selection include: /, '')));
        return;
      }
      if (any) return;
      const close = closestNames(pattern, names);
      problems.push(where(list, i, `"${pattern}" selects no trace kind of this scenario` +
        (close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(', ')}?)` : '') +
        `; its kinds: ${names.join(', ') || '(none: no instance of this scenario records a trace)'}`));
    });
  }
  if (problems.length) throw new UserError(problems.join('\n'));
}

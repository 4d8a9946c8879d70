/**
 * Every component parameter at its edge: each numeric parameter of each
 * kind of component the shipped studies build, set to 1 (the least count,
 * size or time most of them take), and each choice and switch to every
 * value it has, in the first study (name order) that builds that kind in
 * that role (its instance name: a guest's RAM is not dom0's), run small. A run must end ok (a refusal the hardware or the protocol makes is
 * an outcome in its metrics), or the scenario must be refused as the
 * user's mistake: at its field, or at the instance a model refused it in as
 * it was built. Never a failed run, a deadlock or a crash. (Sweeps like this
 * found a 4 KiB identity map that could not be built, display buffers past
 * a guest's RAM that crashed the run, and values a model refused as it was
 * built reported as model bugs.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { parseScenario, resolveScenario, allInstances, type ResolvedComponent } from '../../src/scenario/loader.js';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { runScenario } from '../../src/run/single.js';
import { UserError } from '../../src/scenario/errors.js';
import { shippedScenarios, smallSizes } from '../helpers.js';

const lib = await loadModelLibrary();

/** The values a parameter's schema offers to choose from (an enum, a boolean, literals), or null for any other. */
function choices(schema: z.core.$ZodType): unknown[] | null {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, any>;
  switch (def.type) {
    case 'default': case 'optional': case 'nullable': case 'prefault': return choices(def.innerType);
    case 'enum': return Object.values(def.entries);
    case 'boolean': return [true, false];
    case 'literal': return [...def.values];
    case 'union': {
      const all = (def.options as z.core.$ZodType[]).map(choices);
      return all.every((c) => c !== null) ? all.flat() : null;
    }
    default: return null;
  }
}

/** A parameter's edge values: every other choice it has, or 1 for a number. */
function edges(inst: ResolvedComponent, key: string, value: unknown): unknown[] {
  const shape = (inst.type.params as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
  const offered = shape?.[key] === undefined ? null : choices(shape[key]);
  if (offered !== null) return offered.filter((v) => v !== value);
  return typeof value === 'number' && value !== 1 ? [1] : [];
}

test('every component parameter at its edge: each run ends ok, or the scenario is refused at a field or an instance', () => {
  const tried = new Set<string>();
  let runs = 0, refused = 0;
  for (const { file, doc } of shippedScenarios()) {
    const text = JSON.stringify(doc);
    const small = smallSizes(doc);
    const at = `scenarios/${file}`;
    for (const inst of allInstances(resolveScenario(parseScenario(at, text), small, lib))) {
      for (const [key, value] of Object.entries(inst.params as Record<string, unknown>)) {
        for (const edge of edges(inst, key, value)) {
          // Once per kind of component and role in the studies (its instance name: a guest and dom0 differ).
          const combo = `${inst.type.type} ${inst.name}.${key}=${JSON.stringify(edge)}`;
          if (tried.has(combo)) continue;
          tried.add(combo);
          const body = JSON.parse(text);
          let place = body;
          for (const step of inst.path) place = place[step] ??= {};
          place.params = { ...place.params, [key]: edge };
          const what = `${file}: ${combo}`;
          try {
            const summary = runScenario(resolveScenario(parseScenario(at, JSON.stringify(body)), small, lib), { seed: 1, replication: 0 });
            assert.is(summary.status, 'ok', `${what}: ${summary.error}`);
            runs++;
          } catch (e) {
            assert.ok(e instanceof UserError, `${what}: ${e instanceof Error ? e.stack : String(e)}`);
            assert.match(e.message, new RegExp(`^${at}: (components|links)\\[\\d+\\]`), `${what}: a refusal names the file and where in it`);
            refused++;
          }
        }
      }
    }
  }
  assert.ok(runs >= 300 && refused >= 50, `${runs} runs, ${refused} refused: every kind of component the studies build`);
});

test.run();

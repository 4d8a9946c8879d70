/**
 * Every preset of the model library: it loads (its base chain too), fits its
 * type's parameters, fills only slots its type declares with presets of
 * the right kind, gives every value a source, marks estimates with a range,
 * and writes no value twice: not what its base already says, not what
 * another preset of its type says without a base they share, and not a
 * schema default it merely repeats.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { z } from 'zod';
import { loadModelLibrary } from '../../src/scenario/library.js';
import { typeProvides, type ComponentType } from '../../src/scenario/registry.js';
import type { Preset } from '../../src/scenario/presets.js';
import type { SlotFill } from '../../src/scenario/schema.js';

const lib = await loadModelLibrary();
const presets = lib.presets.all();
const typeOf = (p: Preset): ComponentType => {
  const t = lib.catalog.get(p.type) ?? lib.catalog.list().find((x) => x.presetTypes?.includes(p.type));
  assert.ok(t, `${p.name}: type ${p.type} is no component type`);
  return t!;
};
const shapeOf = (t: ComponentType) => (t.params as unknown as { shape: Record<string, z.ZodType> }).shape;
const numeric = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && /^\s*[0-9.]/.test(v));

test('there are presets, and each loads with its base chain', () => {
  assert.ok(presets.length >= 20);
  for (const p of presets) assert.is(p.chain[0], p.name);
});

test('each value is a parameter of its type and parses; slots are declared and filled with the right kind of preset', () => {
  for (const p of presets) {
    const t = typeOf(p), shape = shapeOf(t);
    for (const [k, v] of Object.entries(p.values)) {
      assert.ok(k in shape, `${p.name}: "${k}" is no parameter of ${t.type}`);
      const r = shape[k]!.safeParse(v.value);
      assert.ok(r.success, `${p.name}.${k} = ${JSON.stringify(v.value)} does not parse`);
    }
    const check = (owner: ComponentType, fills: Record<string, SlotFill>, where: string) => {
      for (const [slot, fill] of Object.entries(fills)) {
        const decl = owner.slots?.find((s) => s.name === slot);
        assert.ok(decl, `${where}: ${owner.type} has no slot "${slot}"`);
        const filled = fill.preset ? lib.presets.get(fill.preset) : undefined;
        if (fill.preset) assert.ok(filled, `${where}.${slot}: no preset ${fill.preset}`);
        const type = lib.catalog.get(fill.type ?? filled!.type)!;
        assert.ok(typeProvides(type, decl!.accepts), `${where}.${slot}: ${type.type} is not a ${decl!.accepts}`);
        if (filled) assert.is(filled.type, type.type, `${where}.${slot}: preset ${fill.preset} is for ${filled.type}`);
      }
    };
    check(t, p.slots, p.name);
  }
});

test('every value has a source; an estimate says so, and a numeric one has a plausible range', () => {
  for (const p of presets) {
    for (const [k, v] of Object.entries(p.values)) {
      if (v.from !== p.name) continue;
      assert.ok(v.source.length >= 10, `${p.name}.${k}: a source`);
      if (/^estimate/i.test(v.source)) assert.ok(v.estimate, `${p.name}.${k}: the source says estimate, the value is not marked`);
      if (v.estimate && numeric(v.value)) assert.ok(v.range, `${p.name}.${k}: an estimate needs its range`);
    }
  }
});

test('no value is written twice: not over its base, not beside an unrelated preset of its type, not over a schema default', () => {
  const own = (p: Preset) => Object.entries(p.values).filter(([, v]) => v.from === p.name);
  for (const p of presets) {
    const base = lib.presets.file(p.name)!.base;
    const inherited = base ? lib.presets.get(base)!.values : {};
    const shape = shapeOf(typeOf(p));
    for (const [k, v] of own(p)) {
      const b = inherited[k];
      assert.not.ok(b && JSON.stringify(b.value) === JSON.stringify(v.value) && b.source === v.source, `${p.name}.${k} repeats what ${base} says`);
      const def = (shape[k] as unknown as { def: { type: string; defaultValue?: unknown } }).def;
      // Writing the default back over a base that changed it is no repeat: nothing else gives the preset the default.
      if (def.type === 'default' && !v.estimate && !(b && JSON.stringify(b.value) !== JSON.stringify(def.defaultValue))) {
        assert.is.not(JSON.stringify(v.value), JSON.stringify(def.defaultValue), `${p.name}.${k} repeats the schema's default (which is the one home of a spec value)`);
      }
    }
  }
  for (const p of presets) {
    for (const q of presets) {
      if (q.name <= p.name || q.type !== p.type || p.chain.some((n) => q.chain.includes(n))) continue;
      for (const [k, v] of own(p)) {
        const w = q.values[k];
        assert.not.ok(w && w.from === q.name && JSON.stringify(w.value) === JSON.stringify(v.value) && w.source === v.source,
          `${p.name}.${k} and ${q.name}.${k} say the same thing: it belongs in a base they share`);
      }
    }
  }
});

test.run();

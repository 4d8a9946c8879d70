/**
 * `validate:hw --compare DIR`: how a change to the models or presets moved
 * the calibration, read from two validations' points.csv (the earlier one in
 * DIR, this run's): the mean absolute error of each host and curve that
 * moved, each host's mean over the curves both runs have, and the points
 * whose error moved most. A mechanism tried on one curve shows at once what
 * it did to every other curve and host; SOURCES.md cites its figures
 * ("validate:hw bw_rd 3.4% -> 2.9%") from this table.
 *
 * Both sides are read from points.csv, so both carry its rounding (an error
 * in % with two decimals) alike, and a cell is compared to the 0.1% the
 * README's tables show: it may differ from the table by 0.1 where the mean
 * lies on a rounding edge, never between the two sides of a comparison.
 */
import fs from 'node:fs';
import path from 'node:path';
import { csvHeader, parseCsv, numberField } from './csv.js';
import { VALIDATION_POINTS_HEADER, meanOfPresent, tablePercent } from './calibration-files.js';
import { UserError } from '../scenario/errors.js';

/** The columns of points.csv that a comparison reads. */
const COLUMNS = ['platform', 'host', 'curve', 'series', 'x', 'unit', 'measured', 'error_pct'] as const;

/** One point of a validation: where it lies and its signed error in % (null: it did not run). */
interface ValidatedPoint {
  platform: string;
  host: string;
  curve: string;
  series: string;
  x: string;
  unit: string;
  measured: number;
  errorPct: number | null;
}

/** A validation's points (points.csv), in file order. */
export interface Validation {
  file: string;
  points: ValidatedPoint[];
}

/** Reads a points.csv that validate:hw wrote; a file that is not one is a UserError naming the file, line and column. */
export function readValidation(file: string, text: string): Validation {
  const header = csvHeader(text);
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new UserError(`${file}: line 1: not a points.csv that validate:hw writes (no column ${missing.map((c) => `"${c}"`).join(', ')}): expected the header ${VALIDATION_POINTS_HEADER}`);
  const t = parseCsv(file, text);
  return {
    file,
    points: t.rows.map((row) => {
      const f = row.fields;
      return {
        platform: f.platform!, host: f.host!, curve: f.curve!, series: f.series!, x: f.x!, unit: f.unit!,
        measured: numberField(t, row, 'measured'),
        errorPct: f.error_pct === '' ? null : numberField(t, row, 'error_pct'),
      };
    }),
  };
}

/** Each host's curves' mean absolute error (a fraction; null where no point ran), hosts and curves in file order. */
function curveErrors(v: Validation): Map<string, Map<string, number | null>> {
  const sums = new Map<string, Map<string, { sum: number; n: number }>>();
  for (const p of v.points) {
    const host = sums.get(p.host) ?? sums.set(p.host, new Map()).get(p.host)!;
    const cell = host.get(p.curve) ?? host.set(p.curve, { sum: 0, n: 0 }).get(p.curve)!;
    if (p.errorPct !== null) { cell.sum += Math.abs(p.errorPct) / 100; cell.n++; }
  }
  return new Map([...sums].map(([host, curves]) => [host, new Map([...curves].map(([c, { sum, n }]) => [c, n === 0 ? null : sum / n]))]));
}

/** How many of the points whose error moved most the comparison lists. */
const MOVED_POINTS = 12;

/** A host's label: its platform preset, and its folder too where two hosts share one. */
function hostLabels(before: Validation, after: Validation): (host: string) => string {
  const platformOf = new Map([...before.points, ...after.points].map((p) => [p.host, p.platform]));
  const sharing = new Map<string, number>();
  for (const platform of platformOf.values()) sharing.set(platform, (sharing.get(platform) ?? 0) + 1);
  return (host) => {
    const platform = platformOf.get(host)!;
    return sharing.get(platform)! > 1 ? `${platform} (${host})` : platform;
  };
}

/** The points of both runs whose signed error moved most (where the simulation moved, whichever way), largest first, as table rows. */
function movedPoints(before: Validation, after: Validation, label: (host: string) => string): string[] {
  const key = (p: ValidatedPoint) => `${p.host},${p.curve},${p.series},${p.x}`;
  const earlier = new Map(before.points.map((p) => [key(p), p.errorPct]));
  const shifts = after.points.flatMap((p) => {
    const was = earlier.get(key(p));
    return was === undefined || was === null || p.errorPct === null || was === p.errorPct ? [] : [{ p, was, now: p.errorPct }];
  });
  const signed = (e: number) => `${e > 0 ? '+' : ''}${e.toFixed(1)}%`;
  // Ties keep this run's point order (sort is stable).
  return shifts.sort((x, y) => Math.abs(y.now - y.was) - Math.abs(x.now - x.was)).slice(0, MOVED_POINTS)
    .map(({ p, was, now }) => `| ${label(p.host)} | ${p.curve} | ${p.series || '—'} | ${p.x} | ${p.measured} ${p.unit} | ${signed(was)} | ${signed(now)} |`);
}

/**
 * The comparison as markdown lines: the host and curve cells that moved (to
 * 0.1%), the hosts' means over the curves both runs have, the points whose
 * signed error moved most, the curves only this run has, and how many
 * only the earlier one has (a run of some hosts or curves, --host or
 * --curve, compared with a whole one).
 */
export function compareValidations(before: Validation, after: Validation): string[] {
  const was = curveErrors(before), now = curveErrors(after);
  const label = hostLabels(before, after);
  const hosts = [...now.keys()].filter((h) => was.has(h));
  const moved: string[] = [], means: string[] = [], added: string[] = [];
  let unchanged = 0, earlierOnly = 0;
  for (const host of hosts) {
    const a = was.get(host)!, b = now.get(host)!;
    const shared = [...b.keys()].filter((c) => a.has(c));
    for (const c of shared) {
      if (tablePercent(a.get(c)!) === tablePercent(b.get(c)!)) unchanged++;
      else moved.push(`| ${label(host)} | ${c} | ${tablePercent(a.get(c)!)} | ${tablePercent(b.get(c)!)} |`);
    }
    const mean = (m: Map<string, number | null>) => meanOfPresent(shared.map((c) => m.get(c)!));
    means.push(`| ${label(host)} | ${tablePercent(mean(a))} | ${tablePercent(mean(b))} |`);
    earlierOnly += [...a.keys()].filter((c) => !b.has(c)).length;
    const fresh = [...b.keys()].filter((c) => !a.has(c));
    if (fresh.length > 0) added.push(`- ${label(host)}: ${fresh.join(', ')}`);
  }
  for (const h of now.keys()) if (!was.has(h)) added.push(`- ${label(h)} (${h}): every curve`);
  const hostsGone = [...was.keys()].filter((h) => !now.has(h)).length;
  const left = [...(hostsGone > 0 ? [`${hostsGone} host${hostsGone === 1 ? '' : 's'}`] : []), ...(earlierOnly > 0 ? [`${earlierOnly} curve${earlierOnly === 1 ? '' : 's'} of the hosts in both`] : [])];
  const most = movedPoints(before, after, label);
  return [
    `Against ${before.file} (${hosts.length} host${hosts.length === 1 ? '' : 's'} in both runs):`, '',
    ...(moved.length === 0
      ? [`No host's curve moved (to 0.1%; ${unchanged} compared).`]
      : ['Mean absolute error of each host and curve that moved (to 0.1%), before and after' + (unchanged > 0 ? `; the other ${unchanged} did not move:` : ':'), '',
        '| platform | curve | before | after |', '|---|---|---:|---:|', ...moved]),
    '', 'Each host\'s mean over the curves both runs have:', '', '| platform | before | after |', '|---|---:|---:|', ...means,
    ...(most.length === 0 ? [] : ['', `The ${most.length} point${most.length === 1 ? '' : 's'} whose error moved most (signed errors, before and after):`, '',
      '| platform | curve | series | x | measured | before | after |', '|---|---|---:|---:|---:|---:|---:|', ...most]),
    ...(added.length === 0 ? [] : ['', 'Only in this run, not compared:', ...added]),
    ...(left.length === 0 ? [] : ['', `The earlier run has ${left.join(' and ')} that this one does not (left out by --host or --curve, or gone).`]),
  ];
}

/** `--compare`'s argument read: a folder validate:hw wrote (its points.csv) or a points.csv itself. */
export function readEarlierValidation(arg: string): Validation {
  if (!fs.existsSync(arg)) throw new UserError(`--compare ${arg}: no such file or folder (expected a folder validate:hw wrote, or its points.csv)`);
  const file = fs.statSync(arg).isDirectory() ? path.join(arg, 'points.csv') : arg;
  if (!fs.existsSync(file)) throw new UserError(`--compare ${arg}: no points.csv in it (expected a folder validate:hw wrote)`);
  return readValidation(file, fs.readFileSync(file, 'utf8'));
}

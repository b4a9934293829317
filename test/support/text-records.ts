/**
 * Arbitraries for the properties that hold a fast path of text lines to text-format.ts (the
 * consumer's text-bytes.ts, the producer's text-line.ts): records of every shape, times at the
 * edges of seconds and of what a Date holds, and formats over templates, datefmts, zones,
 * extras and `missing`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';
import { BASIC_FORMAT, DEFAULT_TEMPLATE, resolveTextFormat, type TextFormatOptions } from '../../src/config/text-format-options.js';
import { namesKeys } from '../../src/line/text-format.js';
import { json, jsonWith, key, text, toObject, type RecordInput } from './records.js';

export const PYTHON = '%(asctime)s %(name)s %(levelname)-8s %(message)s';

/** Templates the properties run under: every field, specs of every kind, both styles. */
export const TEMPLATES: readonly Pick<TextFormatOptions, 'template' | 'style'>[] = [
  { template: PYTHON, style: '%' },
  { template: DEFAULT_TEMPLATE, style: '{' },
  { template: BASIC_FORMAT, style: '%' },
  { template: '{asctime}|{created}|{msecs}|{time}|{levelname}|{level}|{levelno}|{name}|{thread}|{threadName}|{process}|{pid}|{hostname}|{message}|{msg}', style: '{' },
  { template: '{name:^12}|{message:>20}|{levelname:.3}|{levelno:05d}|{msecs:03d}|{created:.2f}|{asctime:*^30}|{level:😀<7}', style: '{' },
  { template: '{name!r} {message!r} {message:.5} {name:*^9.4} {hostname:.4} {threadName:>12}', style: '{' },
  { template: '{message} a={a} worker={worker!r} i={i:>6} {i:05d} x={x:.3} {é}', style: '{' },
  { template: '%(asctime)s [%(threadName)s] %(levelno)03d %(message)-20s|%(name)10s %(lineno)d %(i)s %(a)r', style: '%' },
  { template: '%(msecs)03d %(created)f %(message)r %(name).2s %(time)d %(thread)5d%%', style: '%' },
  { template: '→ {name:😀>9}|{message:é^15}|{message:020}|{name:<3}|{time!r}|{levelno!r} {{x}} ☃', style: '{' },
  { template: '%(name)-010s|%(message)30s|%(a)-5s|%(i)08.3f|%(worker)5d', style: '%' },
  { template: '{asctime} {levelname:<8} {name}: {message}', style: '{' },
  { template: '{message} [{asctime}] {levelname}', style: '{' },
];

/** The templates that name no record keys: those producers write text lines for (text-line.ts). */
export const KEYLESS_TEMPLATES = TEMPLATES.filter(({ template, style }) => !namesKeys(resolveTextFormat({ template, style }, 'format')));

export const DATEFMTS = [undefined, 'iso', '%d/%m/%Y %H:%M:%S', '%a %A %b %B %e %I:%M:%S %p %j %y %f %z %Z %w %u %%', '%F %T.%f'];

export const plainKey = fc.oneof(fc.constantFrom('a', 'i', 'x', 'worker', 'lineno', 'é', 'msg', 'level', 'name', 'time'), fc.string({ maxLength: 6 }).filter((k) => k.isWellFormed()));
export const plainJson = jsonWith(plainKey, { maxDepth: 3, maxLength: 4 }).json;
const anyKey = fc.oneof(plainKey, key);
const anyJson = fc.oneof(plainJson, json);

export const times = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 45 }),
  fc.integer({ min: -(2 ** 45), max: 0 }),
  // Near the ends of seconds, and fractions, as records carry them.
  fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }).map((s) => s * 1000 + 999),
  fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }).map((s) => s * 1000),
  fc.double({ min: -1e13, max: 1e13 }),
  fc.double(),
  fc.constantFrom(-0, 0.5, -0.5, -1, -1000.5, 8.64e15, -8.64e15, 8.64e15 - 1000),
);

export const records = fc.record({
  time: times,
  threadId: fc.oneof(fc.constant(0), fc.nat({ max: 3 }), fc.nat()),
  level: fc.oneof(fc.constantFrom(10, 20, 30, 40, 50, 60), fc.nat({ max: 255 })),
  name: fc.option(fc.oneof(fc.constantFrom('api', 'a.b', 'wörker'), text), { nil: undefined }),
  bindings: fc.option(fc.array(fc.tuple(anyKey, anyJson), { maxLength: 3 }).map(toObject), { nil: undefined }),
  msg: fc.option(text, { nil: undefined }),
  args: fc.constant([]),
  fields: fc.option(fc.array(fc.tuple(anyKey, anyJson), { maxLength: 4 }).map(toObject), { nil: undefined }),
});

type Layout = Pick<TextFormatOptions, 'template' | 'style'>;

export interface Choice {
  readonly layout: Layout;
  readonly datefmt: string | undefined;
  readonly utc: boolean;
  readonly extras: 'json' | 'none';
  readonly missing?: string | undefined;
}

/** Formats over `templates`: every datefmt, UTC or local time, both extras, and `missing` texts. */
export function formatsOf(templates: readonly Layout[]): fc.Arbitrary<Choice> {
  return fc.record({
    layout: fc.constantFrom(...templates),
    datefmt: fc.constantFrom(...DATEFMTS),
    utc: fc.boolean(),
    extras: fc.constantFrom('json' as const, 'none' as const),
    missing: fc.constantFrom(undefined, '', 'n/a', 'ünknown 😀'),
  });
}

export function optionsOf(f: Choice): TextFormatOptions {
  return {
    ...f.layout,
    ...(f.datefmt === undefined ? {} : { datefmt: f.datefmt }),
    ...(f.missing === undefined ? {} : { missing: f.missing }),
    utc: f.utc,
    extras: f.extras,
  };
}

/** Records around 2023's DST changes and back to 1800 (offsets of minutes and seconds). */
export const zonedRecords = records.chain((input) =>
  fc
    .oneof(
      fc.integer({ min: 1_678_600_000_000, max: 1_678_700_000_000 }),
      fc.integer({ min: 1_699_100_000_000, max: 1_699_200_000_000 }),
      fc.integer({ min: -5_364_662_400_000, max: 0 }),
    )
    .map((time) => ({ ...input, time })),
);

/**
 * Runs the enclosing describe's tests with TZ set to `zone`, then restores it; `reset` (before
 * and after) drops what was made under the other zone.
 */
export function inTimeZone(zone: string, reset: () => void): void {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env['TZ'];
    process.env['TZ'] = zone;
    reset();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
    reset();
  });
}

/**
 * `base` with plain bindings and fields (well-formed keys, no field shadowing a binding), any
 * message and name, a time a Date holds: what a fast path must take. `keep` filters the
 * bindings and fields first (a fast path with narrower limits).
 */
export function plainRecords(base: RecordInput, keep: (bindings: unknown, fields: unknown) => boolean = () => true): fc.Arbitrary<RecordInput> {
  const members = fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k });
  return fc
    .tuple(members, members, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), fc.integer({ min: 0, max: 2 ** 45 }))
    .filter(([bindings, fields]) => !bindings.some(([k]) => fields.some(([f]) => f === k)) && keep(bindings, fields))
    .map(([bindings, fields, msg, name, time]): RecordInput => ({ ...base, time, name, bindings: toObject(bindings), fields: toObject(fields), msg }));
}

/**
 * The byte renderer against its specification, the general JSON formatter: for every record it
 * takes, its line must be byte for byte the formatter's line; the records it leaves must be the
 * documented ones (printf arguments, errors, a field shadowing a binding, a binding named msg,
 * damage).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/record/decoder.js';
import { JsonLineRenderer, NOT_RENDERED } from '../../../src/line/json-bytes.js';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { BENCH_RECORD, encodeRecord, recordsWithoutPrintf, jsonWith, text, toObject, type RecordInput } from '../../support/records.js';

const context = { pid: 4242, hostname: 'host "one"\n\u2028' };
const format = createJsonFormatter(context);

/** The formatter's line for the record, as bytes. */
function expected(input: RecordInput): string {
  const { source, length } = encodeRecord(input);
  return format(decodeRecord(source, 8, length));
}

/** The renderer's line, or NOT_RENDERED. */
function rendered(input: RecordInput, renderer = new JsonLineRenderer(context)): string | typeof NOT_RENDERED {
  const { source, length } = encodeRecord(input);
  const bytes = renderer.render(source, 8, length);
  return bytes === NOT_RENDERED ? NOT_RENDERED : renderer.output.buffer.toString('utf8', 0, bytes);
}

const base = BENCH_RECORD;

describe('JsonLineRenderer: the lines it writes are the formatter\'s', () => {
  it.each<[string, Partial<RecordInput>]>([
    ['the benchmark record', {}],
    ['a name, no bindings, no fields', { name: 'api', bindings: undefined, fields: undefined }],
    ['no message', { msg: undefined }],
    ['a message that needs every escape', { msg: 'a"b\\c\n\r\t\b\f\0\x1f\x7f\u2028\u2029é😀\ud800' }],
    ['bindings and fields named like our keys', { name: 'n', bindings: { level: 1, time: 2, pid: 3, hostname: 4, name: 5, ok: 7 }, fields: { level: 1, name: 2, msg: 3, ok2: 4 } }],
    ['a field named like a binding that the line skips', { bindings: { level: 1 }, fields: { level: 2 } }],
    ['a msg field when the record has no message', { msg: undefined, fields: { msg: 'from field' } }],
    ['undefined values are left out', { bindings: { a: undefined, b: 1 }, fields: { c: undefined, d: [undefined, null], e: { f: undefined } } }],
    ['numbers: -0, NaN, ±Infinity, floats, int32 edges', { fields: { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 0.1, f: 2 ** 31, g: -(2 ** 31), h: 1e21, i: 5e-324 } }],
    ['bigints', { fields: { a: 0n, b: -12345678901234567890n, c: 2n ** 70n } }],
    ['nested empty and full containers', { fields: { a: {}, b: [], c: { d: [{}, [], { e: 'x' }] } } }],
    ['a fractional and a negative time', { time: 1.5 }],
    ['a negative time', { time: -5 }],
    ['a Map and a Set', { fields: { m: new Map<unknown, unknown>([[1, 'a'], ['1', 'b'], ['z', 1], ['2', 2]]), s: new Set([1, 'x']) } }],
    ['keys with escapes, __proto__ and integers', { fields: toObject([['__proto__', 1], ['a\nb', 2], ['10', 3], ['2', 4]]) }],
  ])('%s', (_, change) => {
    const input = { ...base, ...change };
    expect(rendered(input)).toBe(expected(input));
  });

  it('holds for arbitrary records without printf arguments', () => {
    const records = recordsWithoutPrintf;
    // One renderer for the whole run: its per-thread context cache sees contexts change.
    const renderer = new JsonLineRenderer(context);
    let taken = 0;
    fc.assert(
      fc.property(records, (input) => {
        const line = rendered(input, renderer);
        if (line !== NOT_RENDERED) {
          taken++;
          expect(line).toBe(expected(input));
        }
      }),
      { numRuns: 1000 },
    );
    // Half or more are taken; the rest have a shadowed binding, a msg binding or, mostly, a key
    // with a lone surrogate somewhere (the arbitraries are rich in them; logs are not).
    expect(taken).toBeGreaterThan(400);
  });

  it('takes every record that has plain keys, no errors and no shadowed binding', () => {
    const plainKey = fc.string({ maxLength: 8 }).filter((k) => k.isWellFormed());
    const plainJson = jsonWith(plainKey).json;
    const records = fc
      .tuple(
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.option(text, { nil: undefined }),
      )
      .filter(([bindings, fields]) => !bindings.some(([k]) => k === 'msg' || fields.some(([f]) => f === k)))
      .map(([bindings, fields, msg]): RecordInput => ({ ...base, bindings: toObject(bindings), fields: toObject(fields), msg }));
    fc.assert(
      fc.property(records, (input) => {
        expect(rendered(input)).toBe(expected(input));
      }),
      { numRuns: 300 },
    );
  });
});

describe('JsonLineRenderer: what it leaves to the formatter', () => {
  it.each<[string, Partial<RecordInput>]>([
    ['printf arguments', { msg: 'took %d ms', args: [12] }],
    ['an error field', { fields: { err: new Error('boom') } }],
    ['an error deep in a field', { fields: { a: [{ b: new TypeError('deep') }] } }],
    ['an error in the bindings', { bindings: { e: new Error('bound') } }],
    ['a field shadowing a binding', { bindings: { worker: 1 }, fields: { worker: 2 } }],
    ['a binding named msg, with a message', { bindings: { msg: 'from binding' } }],
    ['a binding named msg, without a message', { bindings: { msg: 'from binding' }, msg: undefined }],
    ['a merging value that is not an object', { fields: { toJSON: () => 'plain' } }],
    ['keys that collide once their lone surrogates are replaced', { fields: toObject([['\ud800', 1], ['\udc00', 2]]) }],
  ])('%s', (_, change) => {
    expect(rendered({ ...base, ...change })).toBe(NOT_RENDERED);
  });

  it('a record cut short at any length', () => {
    const { source, length } = encodeRecord({ ...base, name: 'n', bindings: { a: [1, 'x', { b: 2n }] }, fields: { i: 1, s: 'text' } });
    const renderer = new JsonLineRenderer(context);
    for (let cut = 0; cut < length; cut++) expect(renderer.render(source, 8, cut), `cut at ${cut}`).toBe(NOT_RENDERED);
    expect(renderer.render(source, 8, length + 1)).toBe(NOT_RENDERED);
    expect(renderer.render(source, 8, length)).toBeGreaterThan(0);
  });

  it('keeps rendering correctly when a thread alternates between loggers', () => {
    const renderer = new JsonLineRenderer(context);
    const inputs = [base, { ...base, bindings: { worker: 3 } }, { ...base, name: 'x', bindings: undefined }, base];
    for (const input of [...inputs, ...inputs]) expect(rendered(input, renderer)).toBe(expected(input));
  });
});

/**
 * The producer's JSON lines against their specification: for every call json-line.ts takes,
 * its line is byte for byte what the general JSON formatter writes for the record the encoder
 * would have made of the same call; the calls it refuses are the documented ones, and a refusal
 * never throws. Then the whole way: a backend that asks for lines, real threads, a real file.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/record/decoder.js';
import { createJsonFormatter, renderProcessKeys } from '../../../src/line/json-format.js';
import { connect, createLogBackend } from '../../../dist/src/index.js';
import { JsonLineEncoder, LINE_REFUSED } from '../../../src/producer/json-line.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset } from '../../../src/record/descriptor.js';
import { ANY, compileRedaction, type PathSegment, type Redaction } from '../../../src/record/redact.js';
import { tempDir } from '../../support/log-files.js';
import { logMixedCalls } from '../../support/mixed-calls.js';
import { BENCH_RECORD, encodeRecord, recordsWithoutPrintf, json, jsonWith, key, text, toObject, type Json, type RecordInput } from '../../support/records.js';

const context = { pid: 4242, hostname: 'host "one"\n\u2028é' };
const format = createJsonFormatter(context);
const LIMIT = 1 << 20;

/** The general formatter's line for the same call (encoded with `redaction`, if given). */
function expected(input: RecordInput, redaction?: Redaction): string {
  const { source, length } = encodeRecord(input, 8, redaction);
  return format(decodeRecord(source, 8, length));
}

/** The producer's line, or LINE_REFUSED; its header checked on the way. */
function produced(input: RecordInput, encoder = new JsonLineEncoder(renderProcessKeys(context), input.threadId)): string | typeof LINE_REFUSED {
  const line = encoder.context(input.name, input.bindings as Record<string, unknown> | undefined);
  if (line === undefined) return LINE_REFUSED;
  const bytes = encoder.encode(LIMIT, input.level, input.time, line, input.msg, input.fields, input.args, 0, input.args.length);
  if (bytes === LINE_REFUSED) return LINE_REFUSED;
  const out = new Uint8Array(bytes + 8);
  encoder.write(bytesOver(out), 0, bytes);
  // The line alone, as a line lane takes it (writeLine), at an odd offset: the same bytes.
  const lane = new Uint8Array(bytes + 8);
  encoder.writeLine(bytesOver(lane), 3, bytes - HEADER_BYTES);
  expect(Buffer.from(lane.subarray(3, 3 + bytes - HEADER_BYTES)).equals(Buffer.from(out.subarray(HEADER_BYTES, bytes)))).toBe(true);
  const view = new DataView(out.buffer);
  expect(view.getFloat64(RecordOffset.TIME, true)).toBe(input.time);
  expect(view.getUint32(RecordOffset.THREAD_ID, true)).toBe(input.threadId);
  expect(out[RecordOffset.LEVEL]).toBe(input.level);
  expect(out[RecordOffset.FLAGS]).toBe(Flag.LINE);
  expect(view.getUint16(RecordOffset.ARG_COUNT, true)).toBe(0);
  return Buffer.from(out.buffer, HEADER_BYTES, bytes - HEADER_BYTES).toString('utf8');
}

const base = BENCH_RECORD;

describe('JsonLineEncoder: the lines it writes are the formatter\'s', () => {
  it.each<[string, Partial<RecordInput>]>([
    ['the benchmark record', {}],
    ['a name, no bindings, no fields', { name: 'api', bindings: undefined, fields: undefined }],
    ['no message', { msg: undefined }],
    ['a message that needs every escape', { msg: 'a"b\\c\n\r\t\b\f\0\x1f\x7f\u2028\u2029é😀\ud800 \udc00x\ud83d' }],
    ['bindings and fields named like our keys', { name: 'n', bindings: { level: 1, time: 2, pid: 3, hostname: 4, name: 5, ok: 7 }, fields: { level: 1, name: 2, msg: 3, ok2: 4 } }],
    ['a msg field when the record has no message', { msg: undefined, fields: { msg: 'from field' } }],
    ['a field named like a binding but undefined: the binding stays', { bindings: { a: 1 }, fields: { a: undefined, b: 2 } }],
    ['undefined values are left out', { bindings: { a: undefined, b: 1 }, fields: { c: undefined, d: [undefined, null], e: { f: undefined } } }],
    ['numbers: -0, NaN, ±Infinity, floats, int32 edges', { fields: { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 0.1, f: 2 ** 31, g: -(2 ** 31), h: 1e21, i: 5e-324, j: 2147483647, k: 1000000000 } }],
    ['bigints', { fields: { a: 0n, b: -12345678901234567890n, c: 2n ** 70n } }],
    ['nested empty and full containers', { fields: { a: {}, b: [], c: { d: [{}, [], { e: 'x' }] } } }],
    ['a sparse array', { fields: { a: [1, , 3] } }],
    ['null-prototype objects', { fields: Object.assign(Object.create(null), { a: Object.assign(Object.create(null), { b: 1 }) }) }],
    ['a fractional and a negative time', { time: 1.5 }],
    ['a negative time', { time: -5 }],
    ['keys with escapes, __proto__ and integers', { fields: toObject([['__proto__', 1], ['a\nb', 2], ['10', 3], ['2', 4], ['😀', 5]]) }],
    ['every level', { level: 60 }],
    ['long strings', { msg: 'x'.repeat(5000), fields: { s: 'é'.repeat(3000) } }],
  ])('%s', (_, change) => {
    const input = { ...base, ...change };
    expect(produced(input)).toBe(expected(input));
  });

  it('holds for arbitrary calls without printf arguments', () => {
    const records = recordsWithoutPrintf;
    // One encoder for the whole run: the line start it keeps in place sees loggers, levels and
    // times change, and so does the message ending it keeps.
    const encoder = new JsonLineEncoder(renderProcessKeys(context), 0);
    let taken = 0;
    fc.assert(
      fc.property(records, (input) => {
        const line = produced({ ...input, threadId: 0 }, encoder);
        if (line !== LINE_REFUSED) {
          taken++;
          expect(line).toBe(expected({ ...input, threadId: 0 }));
        }
      }),
      { numRuns: 1000 },
    );
    // Refused: lone surrogates in keys, shadowed bindings, msg bindings, nesting past the limit.
    expect(taken).toBeGreaterThan(400);
  });

  it('holds for long strings, escaped a word at a time: every escape at every offset', () => {
    // Runs of plain ASCII of every length mod 4 between the characters that need care.
    const unit = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('a', 'ab', 'abc', 'abcd', 'x'.repeat(9)) },
      fc.constantFrom('\n', '\0', '\x1f', '\x7f', '"', '\\', '\u2028', '\u2029', '\u2027', '\u202a', '…', '€', 'é', '😀', '\ud800', '\udc00', '\ud83d', '\u00e2'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
    );
    const long = fc.array(unit, { minLength: 8, maxLength: 60 }).map((units) => units.join('')).filter((s) => s.length >= 32);
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    fc.assert(
      fc.property(long, long, fc.boolean(), (a, b, printf) => {
        const error = withOwn(new Error(a), { stack: b }, true);
        const input: RecordInput = printf
          ? { ...base, msg: `${a}%s`, args: [b, error], fields: { s: a } }
          : { ...base, msg: a, fields: { s: b, err: error } };
        const line = produced(input, encoder);
        expect(line).not.toBe(LINE_REFUSED);
        expect(line).toBe(expected(input));
      }),
      { numRuns: 500 },
    );
  });

  it('takes every call with plain keys, no shadowed binding and shallow values', () => {
    const plainKey = fc.string({ maxLength: 8 }).filter((k) => k.isWellFormed());
    const plainJson = jsonWith(plainKey, { maxDepth: 3 }).json;
    const records = fc
      .tuple(
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.option(text, { nil: undefined }),
      )
      .filter(([bindings, fields]) => !bindings.some(([k]) => k === 'msg' || fields.some(([f]) => f === k)))
      .map(([bindings, fields, msg]): RecordInput => ({ ...base, bindings: toObject(bindings), fields: toObject(fields), msg }));
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    fc.assert(
      fc.property(records, (input) => {
        expect(produced(input, encoder)).toBe(expected(input));
      }),
      { numRuns: 300 },
    );
  });

  it('the same message twice, then others: the kept ending is the right one', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    for (const msg of ['a', 'a', 'a', 'b', 'a', 'b', 'b', undefined, 'b', 'c"\n']) {
      const input = { ...base, msg };
      expect(produced(input, encoder)).toBe(expected(input));
    }
  });
});

describe('JsonLineEncoder: printf calls', () => {
  const err = new TypeError('bad "thing"\n');
  it.each<[string, string | undefined, readonly unknown[], object?]>([
    ['the benchmark call', 'job %s took %d ms', ['abc', 12]],
    ['%s of every kind', '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', ['str', 42, -0, 1.5e300, NaN, -Infinity, 123n, true, null, undefined, [1, 'a"', null]]],
    ['%s of an object, escaped twice', '%s', [{ a: 1, b: 'x"\\\n\u2028', c: [undefined], d: undefined }]],
    ['%d of every kind', '%d %d %d %d %d %d %d %d %d %d %d %d %d', [42, 4.5, -0, 123n, '42', '0x10', '', 'abc', '-0', true, null, undefined, [1]]],
    ['%d of an object', '%d', [{ a: 1 }]],
    ['%i', '%i %i %i %i %i %i %i %i %i', [4.7, -4.7, -0.5, '42.9', '1e3', 10n ** 30n, Infinity, true, []]],
    ['%f', '%f %f %f %f %f %f %f %f %f %f', [1.5, -0, '3.5px', '  2.25', 'px', 12n, true, null, undefined, { a: 1 }]],
    ['%j %o %O', '%j %o %O %j %j %j %j', [{ a: [1, 2], b: null }, 's"q', 'line\nbreak', 12n, NaN, undefined, [undefined]]],
    ['%%', '%% 100%% of %s %%s %%%s %s%%', ['x', 'y', 'z']],
    ['missing arguments', '%s and %s %d %j', ['a']],
    ['extra arguments', 'a %s', ['b', 'c', 3, null, 1n, -0, { k: 'v' }, [1]]],
    ['no placeholders', 'no placeholders', ['x', 2]],
    ['unknown and stray %', '%x %c%s 50% %', ['a', 'b']],
    ['an empty template', '', ['a', 'b']],
    ['no template', undefined, [1, 'a', true, null, undefined, 2n, -0, { a: 1 }]],
    ['no template, one argument', undefined, ['only']],
    ['a placeholder at the very end', 'x %', ['a']],
    ['lone surrogates on the edges of pieces', '\ud83d%s\ude00%s%%\ud800', ['\ude00', '\ud83d', '\udfff']],
    ['pairs and escapes in pieces and arguments', 'é😀"\\\n%s\u2028%j', ['😀\u2029\0', { '😀': '\ud800' }]],
    ['a msg field is ours now', 'x %s', ['y'], { msg: 'field', a: 1 }],
    ['fields with printf', 'took %d ms', [5], { i: 1, nested: { a: [1] } }],
    ['an error argument', '%s / %d / %f / %j', [err, err, err, err]],
    ['an error as a left-over argument', 'x', [err]],
    ['a long message', 'x'.repeat(3000) + '%s', ['é'.repeat(3000)]],
  ])('%s', (_, msg, args, fields) => {
    const input: RecordInput = { ...base, msg, args, fields };
    const line = produced(input);
    expect(line).not.toBe(LINE_REFUSED);
    expect(line).toBe(expected(input));
  });

  it('holds for arbitrary templates and arguments', () => {
    const piece = fc.oneof(
      fc.constantFrom('%s', '%d', '%i', '%f', '%j', '%o', '%O', '%%', '%', '%x', '%c', '%%s', ' ', 'ms'),
      text,
    );
    const arg = fc.oneof(
      json,
      fc.constantFrom<unknown>('0x1f', ' 12 ', '3.5px', '-0', '', '1e3', new RangeError('r'), Object.assign(new Error('e'), { code: 'E' })),
    );
    const records = fc.record({
      time: fc.integer({ min: 0, max: 2 ** 45 }),
      level: fc.constantFrom(10, 30, 50),
      name: fc.option(text, { nil: undefined }),
      bindings: fc.option(fc.array(fc.tuple(key, json), { maxLength: 2 }).map(toObject), { nil: undefined }),
      msg: fc.option(fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')), { nil: undefined, freq: 8 }),
      // Three calls of the template with as many arguments, the third one with one fewer.
      args: fc.array(fc.tuple(arg, arg, arg), { minLength: 1, maxLength: 5 }),
      fields: fc.option(fc.array(fc.tuple(key, json), { maxLength: 3 }).map(toObject), { nil: undefined }),
    });
    const encoder = new JsonLineEncoder(renderProcessKeys(context), 0);
    let taken = 0;
    fc.assert(
      fc.property(records, ({ args, ...call }) => {
        // The template kept from the second call on (with as many arguments) fills the third,
        // and not the fourth, with fewer; the plain call between keeps its own ending.
        const calls: (readonly unknown[])[] = [args.map((a) => a[0]), args.map((a) => a[1]), [], args.map((a) => a[2]), args.slice(1).map((a) => a[0])];
        for (const callArgs of calls) {
          const input: RecordInput = { ...call, threadId: 0, args: callArgs };
          const line = produced(input, encoder);
          if (line !== LINE_REFUSED) {
            if (callArgs.length > 0) taken++;
            expect(line).toBe(expected(input));
          }
        }
      }),
      { numRuns: 500 },
    );
    expect(taken).toBeGreaterThan(800);
  });

  it('a kept template and others: each line is its own', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    const calls: [string | undefined, unknown[]][] = [
      ['%s-%d', ['a', 1]], ['%s-%d', ['b', 2]], ['%s-%d', ['c', 3]], ['%s-%d', ['d']], ['%s-%d', ['e', 5, 'x']], ['%s-%d', ['e', 5, 'x']],
      ['%s-%d', ['e', 5, 'y']], ['%s-%d', ['f', 6]], [undefined, ['g']], ['%s-%d', ['h', 8]], ['%%%s', ['i']], ['%%%s', ['j']], ['%%%s', ['k']],
      ['é😀"%j\n', [{ a: '"' }]], ['é😀"%j\n', [{ b: '\\' }]], ['é😀"%j\n', [[1]]], ['%s-%d', [Symbol('refused'), 1]], ['%s-%d', ['l', 9]],
    ];
    for (const [msg, args] of calls) {
      const input = { ...base, msg, args };
      const line = produced(input, encoder);
      if (typeof args[0] === 'symbol') expect(line).toBe(LINE_REFUSED);
      else expect(line).toBe(expected(input));
    }
  });

  it('a template used with and without arguments: the kept ending is the plain message\'s', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    const calls: [string, unknown[]][] = [['a %s', []], ['a %s', []], ['a %s', ['x']], ['a %s', []], ['a %s', ['y']], ['a %s', ['y']], ['a %s', []]];
    for (const [msg, args] of calls) {
      const input = { ...base, msg, args };
      expect(produced(input, encoder)).toBe(expected(input));
    }
  });

  it.each<[string, string | undefined, readonly unknown[]]>([
    ['a symbol argument', '%s', [Symbol('s')]],
    ['a function argument', '%s', [() => 1]],
    ['a symbol for %d', '%d', [Symbol('s')]],
    ['a function for %f', '%f', [function named() {}]],
    ['a Date (toJSON: a string, which %f would parse)', '%f', [new Date(0)]],
    ['a plain object with toJSON for %d', '%d', [{ toJSON: () => 5 }]],
    ['a Map for %s', '%s', [new Map([[1, 2]])]],
    ['a class instance for %d', '%d', [new (class Point { x = 1; })()]],
    ['a left-over symbol', 'x', [Symbol('s')]],
    ['a cycle for %j', '%j', [(() => { const a: Record<string, unknown> = {}; a['a'] = a; return a; })()]],
    ['a getter that throws, for %s', '%s', [Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } })]],
  ])('refuses %s', (_, msg, args) => {
    expect(produced({ ...base, msg, args })).toBe(LINE_REFUSED);
  });
});

/** An Error made `depth` calls down: a real V8 stack of 10 frames, as the benchmark's. */
function errorFrom(depth: number, message = 'connect ECONNREFUSED 127.0.0.1:5432'): Error {
  return depth === 0 ? new Error(message) : errorFrom(depth - 1, message);
}

class CustomError extends Error {
  code = 'E_CUSTOM';
}
const Anonymous = (() => class extends Error {})();

/** `error` with `changes` defined on it as own properties (enumerable unless `hidden`). */
function withOwn<T extends Error>(error: T, changes: Record<string, unknown>, hidden = false): T {
  for (const [k, v] of Object.entries(changes)) Object.defineProperty(error, k, { value: v, enumerable: !hidden, writable: true, configurable: true });
  return error;
}

describe('JsonLineEncoder: errors', () => {
  const system = Object.assign(errorFrom(3), { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432 });
  const noStack = new Error('no stack');
  delete (noStack as { stack?: string }).stack;
  it.each<[string, string | undefined, object | undefined]>([
    ['error({ err }, msg): the benchmark call', 'failed', { err: errorFrom(8) }],
    ['error(err): its message is the line\'s', undefined, { err: errorFrom(2) }],
    ['error(err) with a msg field: the field gives way', undefined, { a: 1, msg: 'field', err: new Error('boom') }],
    ['a msg field before an err that is not an error: kept', undefined, { msg: 'field', err: 'just text' }],
    ['an undefined err and a msg field', undefined, { err: undefined, msg: 'field' }],
    ['an err that is a plain object', undefined, { err: { message: 'plain' } }],
    ['an err that is an array of errors', undefined, { err: [new Error('a')] }],
    ['errors deep in a field', 'm', { a: [{ b: new TypeError('deep') }], c: { d: new RangeError('r') } }],
    ['a system error with its fields', 'failed', { err: system }],
    ['a subclass with a field of its own', undefined, { err: new CustomError('mine') }],
    ['an anonymous subclass: name, not constructor.name', undefined, { err: new Anonymous('anon') }],
    ['a name of its own', undefined, { err: withOwn(new Error('named'), { name: 'Custom' }, true) }],
    ['a constructor that is not a function', undefined, { err: withOwn(new Error('c'), { constructor: { name: 'Fake' } }, true) }],
    ['a constructor without a name and a name that is not a string', undefined, { err: withOwn(new Error('c'), { constructor: Object.defineProperty(function () {}, 'name', { value: '' }), name: 42 }, true) }],
    ['fields named type, message, stack, cause, and an undefined one', 'm', { err: withOwn(new Error('e', { cause: 'because' }), { type: 'mine', message2: 'x', stack2: 'y', u: undefined, n: null }) }],
    ['enumerable message and stack', 'm', { err: withOwn(new Error('e'), { message: 'own', stack: 'own stack' }) }],
    ['no stack', 'm', { err: noStack }],
    ['a stack that is not a string', 'm', { err: withOwn(new Error('e'), { stack: 42 }, true) }],
    ['a stack of escapes and lone surrogates', 'm', { err: withOwn(new Error('e"\n\ud800'), { stack: 'a\tb\u2028"\\\ud83d\ude00\udc00' }, true) }],
    ['causes: an error chain', 'm', { err: new Error('outer', { cause: new TypeError('middle', { cause: new Error('inner') }) }) }],
    ['causes: a string, an object, null, undefined', 'm', { a: new Error('a', { cause: 'text' }), b: new Error('b', { cause: { code: 1, list: [1, 'x'] } }), c: new Error('c', { cause: null }), d: new Error('d', { cause: undefined }) }],
    ['an AggregateError', 'm', { err: new AggregateError([new Error('first'), 'second', { third: 3 }], 'many') }],
    ['an AggregateError without errors', 'm', { err: withOwn(new AggregateError([], 'none'), { errors: undefined }, true) }],
    ['an __proto__ field on an error', 'm', { err: withOwn(new Error('p'), { ['__proto__']: 1 }) }],
    ['an empty message', undefined, { err: new Error() }],
  ])('%s', (_, msg, fields) => {
    const input: RecordInput = { ...base, msg, fields };
    const line = produced(input);
    expect(line).not.toBe(LINE_REFUSED);
    expect(line).toBe(expected(input));
  });

  it('a binding that is an error: the logger gets a line context, and the lines are the formatter\'s', () => {
    const input: RecordInput = { ...base, bindings: { e: new Error('bound', { cause: 1 }) } };
    const line = produced(input);
    expect(line).not.toBe(LINE_REFUSED);
    expect(line).toBe(expected(input));
  });

  it('holds for arbitrary errors: classes, messages, stacks, fields, causes', () => {
    const classes = fc.constantFrom<(message: string) => Error>(
      (m) => new Error(m),
      (m) => new TypeError(m),
      (m) => new RangeError(m),
      (m) => new CustomError(m),
      (m) => new Anonymous(m),
      (m) => errorFrom(5, m),
      (m) => new AggregateError([new Error('inside'), 'text'], m),
    );
    const stack = fc.oneof(
      fc.constant<'real'>('real'),
      fc.constant<'none'>('none'),
      text,
      fc.constantFrom(42, null),
    );
    // Mostly what an error can hold here (well-formed keys, values within the depth limit under
    // an error), sometimes anything.
    const plainKey = fc.string({ maxLength: 8 }).filter((k) => k.isWellFormed());
    const shallow = jsonWith(plainKey, { maxDepth: 2, maxLength: 3 }).json;
    const errorKey = fc.oneof(plainKey, fc.constantFrom('type', 'message', 'stack', 'cause', 'aggregateErrors', 'errors', 'err', 'msg', 'name'));
    const errorField = fc.oneof({ weight: 4, arbitrary: fc.tuple(errorKey, shallow) }, { weight: 1, arbitrary: fc.tuple(key, json) });
    const hiddenField = fc.oneof(
      fc.tuple(fc.constantFrom('name', 'message', 'code'), text),
      fc.tuple(fc.constantFrom('name', 'message', 'code'), shallow),
    );
    type Made = { error: Error } | { json: Json };
    const { error } = fc.letrec<{ error: Made; cause: Made | undefined }>((tie) => ({
      error: fc
        .record({
          make: classes,
          message: text,
          stack,
          fields: fc.array(errorField, { maxLength: 3 }),
          hidden: fc.array(hiddenField, { maxLength: 2 }),
          cause: tie('cause'),
        })
        .map(({ make, message, stack, fields, hidden, cause }): Made => {
          const error = cause === undefined ? make(message) : withOwn(make(message), { cause: 'error' in cause ? cause.error : cause.json }, true);
          if (stack === 'none') delete (error as { stack?: unknown }).stack;
          else if (stack !== 'real') withOwn(error, { stack }, true);
          for (const [k, v] of hidden) withOwn(error, { [k]: v }, true);
          for (const [k, v] of fields) withOwn(error, { [k]: v });
          return { error };
        }),
      cause: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'cause' },
        fc.constant(undefined),
        shallow.map((json): Made => ({ json })),
        tie('error'),
      ),
    }));
    const anError = error.map((made) => ('error' in made ? made.error : new Error('x')));
    const records = fc.record({
      msg: fc.option(text, { nil: undefined }),
      before: fc.array(errorField, { maxLength: 2 }),
      err: anError,
      after: fc.array(errorField, { maxLength: 2 }),
      where: fc.constantFrom('err', 'nested', 'array', 'arg'),
    });
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    let taken = 0;
    fc.assert(
      fc.property(records, ({ msg, before, err, after, where }) => {
        const value = where === 'nested' ? { inner: err } : where === 'array' ? [1, err] : err;
        const fields = Object.assign(toObject(before), where === 'arg' ? {} : { err: value }, toObject(after));
        const input: RecordInput = { ...base, msg, fields, args: where === 'arg' ? [err, err] : [] };
        const line = produced({ ...input, msg: where === 'arg' ? `%s %j${msg ?? ''}` : msg }, encoder);
        if (line !== LINE_REFUSED) {
          taken++;
          expect(line).toBe(expected({ ...input, msg: where === 'arg' ? `%s %j${msg ?? ''}` : msg }));
        }
      }),
      { numRuns: 600 },
    );
    // Refused: a message that is not a string, lone surrogates in keys, depth.
    expect(taken).toBeGreaterThan(300);
  });

  it.each<[string, object]>([
    ['a cause that is the error itself', { err: ((e: Error) => withOwn(e, { cause: e }, true))(new Error('self')) }],
    ['a field that is the error itself', { err: ((e: Error) => withOwn(e, { self: e }))(new Error('self')) }],
    ['a cause chain past the depth limit', { err: new Error('1', { cause: new Error('2', { cause: new Error('3', { cause: new Error('4', { cause: new Error('5', { cause: new Error('6') }) }) }) }) }) }],
    ['a message that is not a string', { err: withOwn(new Error('e'), { message: 42 }, true) }],
    ['a message getter that throws', { err: Object.defineProperty(new Error('e'), 'message', { get: () => { throw new Error('no'); } }) }],
    ['a field getter that throws', { err: Object.defineProperty(new Error('e'), 'x', { enumerable: true, get: () => { throw new Error('no'); } }) }],
    ['a cause getter that throws', { err: Object.defineProperty(new Error('e'), 'cause', { get: () => { throw new Error('no'); } }) }],
    ['a constructor getter that throws', { err: Object.defineProperty(new Error('e'), 'constructor', { get: () => { throw new Error('no'); } }) }],
    ['a Proxy over an error whose get trap throws', { err: new Proxy(new Error('e'), { get: () => { throw new Error('trap'); } }) }],
    ['an AggregateError with an aggregateErrors field of its own', { err: withOwn(new AggregateError([1], 'agg'), { aggregateErrors: 2 }) }],
    ['a Map in an error field', { err: withOwn(new Error('e'), { m: new Map() }) }],
    ['a lone surrogate in an error field key', { err: withOwn(new Error('e'), { '\ud800': 1 }) }],
  ])('refuses %s', (_, fields) => {
    expect(produced({ ...base, msg: undefined, fields })).toBe(LINE_REFUSED);
    expect(produced({ ...base, msg: 'm', fields })).toBe(LINE_REFUSED);
  });
});

describe('JsonLineEncoder: with redaction, the lines are still the formatter\'s', () => {
  // Keys that paths name and values hold, the err object's own among them.
  const KEYS = ['a', 'b', '0', 'err', 'message', 'stack', 'type', 'cause', 'code', 'msg'];
  const writePath = (segments: readonly PathSegment[]): string =>
    segments.map((s, i) => (s === ANY ? (i === 0 ? '*' : '[*]') : /^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  const paths = fc.array(fc.array(fc.oneof(fc.constantFrom(...KEYS), fc.constant(ANY)), { minLength: 1, maxLength: 3 }).map(writePath), { minLength: 1, maxLength: 4 });
  const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(undefined), fc.constant(null));
  const { value } = fc.letrec<{ value: unknown; object: unknown; array: unknown; error: unknown }>((tie) => ({
    value: fc.oneof({ maxDepth: 3, depthIdentifier: 'v' }, leaf, tie('object'), tie('array'), tie('error')),
    object: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 3, selector: ([k]) => k, depthIdentifier: 'v' }).map((e) => toObject(e as [string, Json][])),
    array: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'v' }),
    error: fc
      .tuple(fc.string({ maxLength: 3 }), fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 2, selector: ([k]) => k, depthIdentifier: 'v' }), fc.option(tie('value'), { nil: undefined }))
      .map(([message, fields, cause]) => {
        const error = withOwn(new Error(message), { stack: `Error: ${message}\n    at x` }, true);
        if (cause !== undefined) withOwn(error, { cause }, true);
        for (const [k, v] of fields) if (k !== 'message' && k !== 'stack') withOwn(error, { [k]: v });
        return error;
      }),
  }));
  const object = fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 4, selector: ([k]) => k }).map((e) => toObject(e as [string, Json][]));

  it.each([false, true])('for arbitrary paths, fields, bindings, errors and printf arguments (remove: %s)', (remove) => {
    const records = fc.record({
      paths,
      bindings: fc.option(object, { nil: undefined }),
      fields: fc.option(fc.oneof(object, value.filter((v) => v instanceof Error).map((err) => ({ err }))), { nil: undefined }),
      msg: fc.option(fc.constantFrom('m', 'x %j y', '%s'), { nil: undefined }),
      args: fc.array(value, { maxLength: 2 }),
    });
    let taken = 0;
    fc.assert(
      fc.property(records, ({ paths, bindings, fields, msg, args }) => {
        const redaction = compileRedaction({ paths, censor: 'CENSORED', remove });
        const input: RecordInput = { ...base, bindings, fields: fields as object | undefined, msg, args: msg === undefined ? [] : args };
        const line = produced(input, new JsonLineEncoder(renderProcessKeys(context), input.threadId, redaction));
        if (line === LINE_REFUSED) return;
        taken++;
        expect(line).toBe(expected(input, redaction));
      }),
      { numRuns: 600 },
    );
    expect(taken).toBeGreaterThan(200);
  });
});

describe('JsonLineEncoder: what it leaves to the encoder', () => {
  const deep: Json = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  it.each<[string, Partial<RecordInput>]>([
    ['a Map, a Set, a Date', { fields: { m: new Map([[1, 2]]) } }],
    ['a Set', { fields: { s: new Set([1]) } }],
    ['a Date (toJSON)', { fields: { d: new Date(0) } }],
    ['a class instance', { fields: { c: new (class Point { x = 1; })() } }],
    ['a function', { fields: { f: () => 1 } }],
    ['a symbol', { fields: { s: Symbol('s') } }],
    ['a field shadowing a binding', { bindings: { worker: 1 }, fields: { worker: 2 } }],
    ['nesting past the limit', { fields: deep as object }],
    ['a cycle', { fields: cycle }],
    ['a lone surrogate in a key', { fields: toObject([['\ud800', 1]]) }],
    ['a merging value that is an array', { fields: [1, 2] }],
    ['a merging value with toJSON', { fields: { toJSON: () => 'plain' } }],
    ['a getter that throws', { fields: Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } }) }],
    ['a Proxy whose traps throw', { fields: new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } }) }],
    ['a huge array', { fields: { a: new Array(100_000).fill(0) } }],
  ])('%s', (_, change) => {
    expect(produced({ ...base, ...change })).toBe(LINE_REFUSED);
  });

  it.each<[string, string | undefined, object]>([
    ['a binding named msg', undefined, { msg: 'bound' }],
    ['a binding whose getter throws', 'n', Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } })],
  ])('%s: the logger gets no line context', (_, name, bindings) => {
    expect(new JsonLineEncoder(renderProcessKeys(context), 0).context(name, bindings as Record<string, unknown>)).toBeUndefined();
  });

  it('a line past the limit is refused (room is judged by the worst case of each string)', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), 0);
    const line = encoder.context(undefined, undefined)!;
    const msg = 'x'.repeat(100);
    const bytes = encoder.encode(LIMIT, 30, 1, line, msg, undefined);
    expect(bytes).toBeGreaterThan(100);
    expect(encoder.encode(bytes + 5 * msg.length, 30, 1, line, msg, undefined)).toBe(bytes);
    expect(encoder.encode(bytes - 1, 30, 1, line, msg, undefined)).toBe(LINE_REFUSED);
  });
});

describe('producers write the lines when the backend asks for them', () => {
  let temp: ReturnType<typeof tempDir>;
  let dir: string;
  beforeEach(() => {
    temp = tempDir();
    dir = temp.dir;
  });
  afterEach(() => temp.remove());

  it('asks for lines with JSON sinks only and names that route nothing, not otherwise', async () => {
    const cases: [unknown, boolean][] = [
      [{ file: { path: join(dir, 'a.log') } }, true],
      [{ sinks: [{ type: 'file', path: join(dir, 'b.log') }, { type: 'file', path: join(dir, 'c.log'), level: 'warn' }] }, true],
      [{ sinks: [{ type: 'file', path: join(dir, 'd.log'), formatter: 'text' }] }, false],
      [{ sinks: [{ type: 'file', path: join(dir, 'e.log'), loggers: ['db'] }] }, false],
      [{ file: { path: join(dir, 'f.log') }, loggers: { db: { propagate: false } } }, false],
    ];
    for (const [options, lines] of cases) {
      const backend = await createLogBackend(options as Parameters<typeof createLogBackend>[0]);
      expect(typeof backend.handle.lines === 'string', JSON.stringify(options)).toBe(lines);
      await backend.close();
    }
  });

  it('a getter that logs while a line is written: its record once, before the line, whether the line is taken or refused', async () => {
    const path = join(dir, 'nested.log');
    const backend = await createLogBackend({ file: { path } });
    const log = connect(backend.handle);
    let runs = 0;
    const sneaky = (refused: boolean): object => ({
      get inner(): string {
        runs++;
        log.warn({ from: 'getter' }, 'nested %s', refused ? 'refused' : 'taken');
        return 'outer value';
      },
      ...(refused ? { m: new Map([[1, 2]]) } : {}),
    });
    // A getter that logs only the first time it runs, in a call the line refuses (the Map).
    let first = true;
    const once = {
      get inner(): string {
        if (first) log.warn('only the first run logs');
        first = false;
        return 'v';
      },
      m: new Map([[3, 4]]),
    };
    log.info(sneaky(false), 'outer %s', 'taken');
    log.info(sneaky(true), 'outer %s', 'refused');
    log.info(sneaky(false), 'outer');
    log.info(once, 'once');
    await backend.close();
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1).map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(lines.map((line) => line['msg'])).toEqual([
      'nested taken', 'outer taken', 'nested refused', 'outer refused', 'nested taken', 'outer', 'only the first run logs', 'once',
    ]);
    expect(lines[3]).toMatchObject({ inner: 'outer value', m: { 1: 2 } });
    // The refused call's getter ran twice (the line's walk, then the encoder's); the others once.
    expect(runs).toBe(4);
  });

  it('threads logging into a small ring: every line the formatter would write, each once, in order, with printf, errors and refused calls between', async () => {
    const path = join(dir, 'app.log');
    const backend = await createLogBackend({ file: { path }, bufferSize: '64KiB' });
    await logMixedCalls(backend.handle, 3, 20000);
    const stats = await backend.close();
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(lines).toHaveLength(60000);
    expect(stats.recordsWritten).toBe(60000);
    const next = [0, 0, 0];
    for (const text of lines) {
      const record = JSON.parse(text) as Record<string, unknown>;
      const worker = record['worker'] as number;
      const i = next[worker]!++;
      expect(Object.keys(record).slice(0, 5)).toEqual(['level', 'time', 'pid', 'hostname', 'worker']);
      if (i % 100 === 7) expect((record['err'] as { message: string }).message).toBe(`e${i}`);
      else if (i % 100 === 8) expect(record['msg']).toBe(`printf ${i}`);
      else if (i % 100 === 9) expect(record).toMatchObject({ m: { i }, msg: 'refused' });
      else if (i % 100 === 10) expect(record).toMatchObject({ err: { type: 'Error', message: `only ${i}` }, msg: `only ${i}` });
      else expect(record).toMatchObject({ i, s: `é"\n${i}`, msg: 'processed job' });
    }
    expect(next).toEqual([20000, 20000, 20000]);
  });
});

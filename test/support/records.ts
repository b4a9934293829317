/**
 * Values and records for the codec, renderer and end-to-end property tests: fast-check
 * arbitraries for JSON-ish values with the strings that break things (lone surrogates, NUL,
 * CR/LF, ESC, U+2028, quotes), the model of what the codec makes of them, a canonical text that
 * tells apart what toEqual blurs, and a record laid out as Producer.emit lays it out.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Encoder } from '../../src/record/encoder.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../../src/record/descriptor.js';
import { ErrorValue } from '../../src/record/log-record.js';
import type { Redaction } from '../../src/record/redact.js';

export const BIG_LIMIT = 1 << 20;


const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const special = fc.constantFrom('\0', '\r', '\n', '\u001b', '\u2028', '\u2029', '"', '\\', '%', '\u{1f600}', 'é');
export const text = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.oneof(anyCodePoint, loneSurrogate, special) }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
export const key = fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toJSON', 'hasOwnProperty', '', '0', '10'));

export type Json = undefined | null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

/** Builds an object with an ordinary prototype where every key, `__proto__` included, is own. */
export function toObject(entries: readonly (readonly [string, Json])[]): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const leaf: fc.Arbitrary<Json> = fc.oneof(
  text,
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 0.1, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
);

/** JSON-ish values (and objects) whose object keys come from `keys`. */
export function jsonWith(
  keys: fc.Arbitrary<string>,
  { maxDepth = 5, maxLength = 6 } = {},
): { json: fc.Arbitrary<Json>; object: fc.Arbitrary<{ [key: string]: Json }> } {
  const { json, object } = fc.letrec<{ json: Json; array: Json[]; object: { [key: string]: Json } }>((tie) => ({
    json: fc.oneof({ maxDepth, depthIdentifier: 'json' }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('json'), { maxLength, depthIdentifier: 'json' }),
    object: fc.array(fc.tuple(keys, tie('json')), { maxLength, depthIdentifier: 'json' }).map(toObject),
  }));
  return { json, object };
}

export const { json } = jsonWith(key);

export interface RecordInput {
  readonly time: number;
  readonly threadId: number;
  readonly level: number;
  readonly name: string | undefined;
  readonly bindings: object | undefined;
  readonly msg: string | undefined;
  readonly args: readonly unknown[];
  readonly fields: object | undefined;
}

/**
 * Any record of a call without printf arguments: the time anywhere (fractions, NaN, Infinity
 * too), names, bindings, messages and fields of any text and keys. The JSON fast paths
 * (json-line.ts from the values, json-bytes.ts from the encoding) are held to json-format.ts on it.
 */
export const recordsWithoutPrintf: fc.Arbitrary<RecordInput> = fc.record({
  time: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double()),
  threadId: fc.nat({ max: 3 }),
  level: fc.constantFrom(10, 20, 30, 40, 50, 60),
  name: fc.option(text, { nil: undefined }),
  bindings: fc.option(fc.array(fc.tuple(key, json), { maxLength: 3 }).map(toObject), { nil: undefined }),
  msg: fc.option(text, { nil: undefined }),
  args: fc.constant([]),
  fields: fc.option(fc.array(fc.tuple(key, json), { maxLength: 4 }).map(toObject), { nil: undefined }),
});

/** The benchmark's record, `child({ worker: 2 }).info({ i: 17 }, 'processed job')`: what the table tests vary. */
export const BENCH_RECORD: RecordInput = Object.freeze({
  time: 1_700_000_000_123,
  threadId: 3,
  level: 30,
  name: undefined,
  bindings: { worker: 2 },
  msg: 'processed job',
  args: [],
  fields: { i: 17 },
});

/**
 * Lays out a payload as Producer.emit does: the fixed header, the context (name and bindings,
 * encoded apart as Producer.encodeValues does), then the encoding of msg, args and fields, each
 * encoder with the thread's `redaction` when there is one.
 * Returns the bytes (the payload at `index`, followed by stray bytes) and the payload length.
 */
export function encodeRecord(input: RecordInput, index = 8, redaction?: Redaction): { source: Bytes; length: number } {
  const contextEncoder = new Encoder(redaction);
  contextEncoder.begin(BIG_LIMIT);
  contextEncoder.add(input.name);
  contextEncoder.add(input.bindings);
  const context = new Uint8Array(contextEncoder.byteLength);
  contextEncoder.write(bytesOver(context), 0);

  const encoder = new Encoder(redaction);
  encoder.begin(BIG_LIMIT);
  encoder.add(input.msg);
  for (const arg of input.args) encoder.add(arg);
  if (input.fields !== undefined) encoder.add(input.fields);
  expect(encoder.oversized).toBe(false);

  const length = HEADER_BYTES + context.length + encoder.byteLength;
  // Stray bytes after the payload: a reader that overruns the payload would read them.
  const source = bytesOver(new Uint8Array(index + length + 64).fill(Tag.STRING));
  const { u8, view } = source;
  view.setFloat64(index + RecordOffset.TIME, input.time, true);
  view.setUint32(index + RecordOffset.THREAD_ID, input.threadId, true);
  u8[index + RecordOffset.LEVEL] = input.level;
  u8[index + RecordOffset.FLAGS] = input.fields === undefined ? 0 : Flag.HAS_FIELDS;
  view.setUint16(index + RecordOffset.ARG_COUNT, input.args.length, true);
  u8.set(context, index + RecordOffset.CONTEXT);
  expect(encoder.write(source, index + HEADER_BYTES + context.length)).toBe(index + length);
  return { source, length };
}


/** The documented model of a JSON-ish value after a round trip. */
export function model(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(model);
  if (typeof value === 'object' && value !== null) {
    const out = Object.create(null) as Record<string, unknown>;
    // Keys are UTF-8 too: a lone surrogate in a key becomes U+FFFD (and may then collide).
    for (const k of Object.keys(value)) out[k.toWellFormed()] = model((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * A canonical text for a value, telling apart what toEqual may blur: -0 and 0, NaN, undefined
 * and a missing key, bigint and number, null-prototype objects and others, key order.
 */
export function canon(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      // JSON.stringify writes lone surrogates as \udxxx escapes: they stay visible.
      return JSON.stringify(value);
    case 'boolean':
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
      if (value instanceof ErrorValue) {
        return `Error(${[value.type, value.message, value.stack, value.fields, value.cause].map(canon).join(',')})`;
      }
      const proto = Object.getPrototypeOf(value) === null ? '' : 'proto';
      const entries = Object.keys(value).map((k) => `${JSON.stringify(k)}:${canon((value as Record<string, unknown>)[k])}`);
      return `${proto}{${entries.join(',')}}`;
    }
    default:
      return `<${typeof value}>`;
  }
}

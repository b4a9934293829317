/**
 * Records and values for codec and renderer tests: fast-check arbitraries for JSON-ish values
 * with the strings that break things (lone surrogates, NUL, CR/LF, U+2028, quotes), and a
 * record laid out as Producer.emit lays it out.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Encoder } from '../../src/producer/encoder.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../../src/shared/codec.js';

export const BIG_LIMIT = 1 << 20;


const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const special = fc.constantFrom('\0', '\r', '\n', '\u2028', '\u2029', '"', '\\', '%', '\u{1f600}', 'é');
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

/** JSON-ish values whose object keys come from `keys`. */
export function jsonWith(keys: fc.Arbitrary<string>): fc.Arbitrary<Json> {
  return fc.letrec<{ json: Json; array: Json[]; object: { [key: string]: Json } }>((tie) => ({
    json: fc.oneof({ maxDepth: 5, depthIdentifier: 'json' }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('json'), { maxLength: 6, depthIdentifier: 'json' }),
    object: fc.array(fc.tuple(keys, tie('json')), { maxLength: 6, depthIdentifier: 'json' }).map(toObject),
  })).json;
}

export const json = jsonWith(key);

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
 * Lays out a payload as Producer.emit does: the fixed header, the context (name and bindings,
 * encoded apart as Producer.encodeValues does), then the encoding of msg, args and fields.
 * Returns the bytes (the payload at `index`, followed by stray bytes) and the payload length.
 */
export function encodeRecord(input: RecordInput, index = 8): { source: Bytes; length: number } {
  const contextEncoder = new Encoder();
  contextEncoder.begin(BIG_LIMIT);
  contextEncoder.add(input.name);
  contextEncoder.add(input.bindings);
  const context = new Uint8Array(contextEncoder.byteLength);
  contextEncoder.write(bytesOver(context), 0);

  const encoder = new Encoder();
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


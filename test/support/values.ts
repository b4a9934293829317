/**
 * Random JSON-ish values, the model of what the codec makes of them, and a canonical text that
 * tells apart what toEqual blurs. The same ideas as in codec.test.ts, kept here for the tests
 * that drive the whole producer-ring-consumer path.
 */
import fc from 'fast-check';
import { ErrorValue } from '../../src/shared/record.js';

export type Json = undefined | null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const special = fc.constantFrom('\0', '\r', '\n', '\u001b', '\u2028', '\u2029', '"', '\\', '%', '\u{1f600}', 'é');

export const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: fc.oneof(anyCodePoint, loneSurrogate, special), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
export const key = fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toJSON', 'hasOwnProperty', '', '0', '10'));

/** An object with an ordinary prototype where every key, `__proto__` included, is own. */
export function toObject(entries: readonly (readonly [string, Json])[]): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const leaf: fc.Arbitrary<Json> = fc.oneof(
  text,
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 31, 0.1, Number.MAX_VALUE),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
);

export const { json, object } = fc.letrec<{ json: Json; array: Json[]; object: { [key: string]: Json } }>((tie) => ({
  json: fc.oneof({ maxDepth: 4, depthIdentifier: 'json' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 5, depthIdentifier: 'json' }),
  object: fc.array(fc.tuple(key, tie('json')), { maxLength: 5, depthIdentifier: 'json' }).map(toObject),
}));

/** What a JSON-ish value decodes to: strings well-formed, objects with a null prototype. */
export function model(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(model);
  if (typeof value === 'object' && value !== null) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value)) out[k.toWellFormed()] = model((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** A canonical text: -0, NaN, undefined, bigint vs number, prototypes and key order all show. */
export function canon(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
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

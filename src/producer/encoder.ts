/**
 * Producer-side value encoder. Encoding happens in two passes so that a record can be written
 * straight into the ring: `add()` walks the values once, reading every property exactly once,
 * resolving hostile input (cycles, throwing getters, toJSON, BigInt, symbols) and recording a
 * flat tape of what to write with each string's UTF-8 length; the exact size is then known, the
 * caller claims that many bytes, and `write()` replays the tape into the claimed frame. Replaying
 * a tape, rather than walking the values again, means a getter that changes its answer cannot
 * make the second pass disagree with the first.
 *
 * The tape is reused across calls, so a log call allocates nothing here for strings and numbers.
 */
import { Tag, type Bytes } from '../shared/codec.js';

/** Nesting beyond this is written as '[Object]' / '[Array]'. */
const MAX_DEPTH = 10;
/** Strings shorter than this, when ASCII, are copied by a JS loop: cheaper than a native call. */
const SHORT_STRING = 32;
/** Tape op for a string without a tag byte (object keys, the strings inside ERROR). */
const RAW_STRING = 0x100;

const THREW = Symbol('threw');

export class Encoder {
  #ops: number[] = [];
  #values: unknown[] = [];
  #lengths: number[] = [];
  #count = 0;
  #bytes = 0;
  #limit = 0;
  /** Objects on the path from the root to the value being added: what makes a cycle. */
  readonly #path: object[] = [];

  /** Starts a new tape; `limit` is the most bytes the caller can take. */
  begin(limit: number): void {
    this.#count = 0;
    this.#bytes = 0;
    this.#limit = limit;
  }

  /** Bytes the tape will write. */
  get byteLength(): number {
    return this.#bytes;
  }

  /** True when the values did not fit the limit; the tape is then incomplete and not writable. */
  get oversized(): boolean {
    return this.#bytes > this.#limit;
  }

  add(value: unknown): void {
    this.#add(value, 0);
  }

  /** Replays the tape at `offset` and returns the offset after it. Drops its references. */
  write(target: Bytes, offset: number): number {
    const { u8, view, buffer } = target;
    const ops = this.#ops;
    const values = this.#values;
    const lengths = this.#lengths;
    let at = offset;
    for (let i = 0; i < this.#count; i++) {
      const op = ops[i]!;
      if (op !== RAW_STRING) u8[at++] = op;
      switch (op) {
        case Tag.INT32:
          view.setInt32(at, values[i] as number, true);
          at += 4;
          break;
        case Tag.FLOAT64:
          view.setFloat64(at, values[i] as number, true);
          at += 8;
          break;
        case Tag.ARRAY:
        case Tag.OBJECT:
          view.setUint32(at, lengths[i]!, true);
          at += 4;
          break;
        case Tag.STRING:
        case Tag.BIGINT:
        case RAW_STRING: {
          const text = values[i] as string;
          const length = lengths[i]!;
          view.setUint32(at, length, true);
          at += 4;
          if (length === text.length && length < SHORT_STRING) {
            for (let c = 0; c < length; c++) u8[at + c] = text.charCodeAt(c);
          } else {
            buffer.write(text, at, length, 'utf8');
          }
          at += length;
          values[i] = undefined;
          break;
        }
        default:
          break;
      }
    }
    return at;
  }

  // ---- the walk ------------------------------------------------------------------------------

  #op(op: number, value: unknown, length: number, bytes: number): void {
    const i = this.#count++;
    this.#ops[i] = op;
    this.#values[i] = value;
    this.#lengths[i] = length;
    this.#bytes += bytes;
  }

  #string(op: number, text: string): void {
    // byteLength >= length, so a string longer than the limit cannot fit: skip measuring it.
    const length = text.length > this.#limit ? text.length : Buffer.byteLength(text, 'utf8');
    this.#op(op, text, length, (op === RAW_STRING ? 4 : 5) + length);
  }

  #add(value: unknown, depth: number): void {
    if (this.#bytes > this.#limit) return;
    switch (typeof value) {
      case 'string':
        this.#string(Tag.STRING, value);
        return;
      case 'number':
        if ((value | 0) === value && !Object.is(value, -0)) this.#op(Tag.INT32, value, 0, 5);
        else this.#op(Tag.FLOAT64, value, 0, 9);
        return;
      case 'boolean':
        this.#op(value ? Tag.TRUE : Tag.FALSE, undefined, 0, 1);
        return;
      case 'undefined':
        this.#op(Tag.UNDEFINED, undefined, 0, 1);
        return;
      case 'bigint':
        this.#string(Tag.BIGINT, value.toString());
        return;
      case 'symbol':
        this.#string(Tag.STRING, value.toString());
        return;
      case 'function':
        this.#string(Tag.STRING, `[Function: ${safeName(value)}]`);
        return;
      case 'object':
        if (value === null) this.#op(Tag.NULL, undefined, 0, 1);
        else this.#object(value, depth);
    }
  }

  #object(value: object, depth: number): void {
    const path = this.#path;
    if (path.includes(value)) return this.#string(Tag.STRING, '[Circular]');
    // instanceof and Array.isArray run Proxy traps, which may throw.
    const kind = attempt(() => kindOf(value));
    if (kind === THREW) return this.#string(Tag.STRING, '[Unreadable]');
    if (depth >= MAX_DEPTH) return this.#string(Tag.STRING, kind === 'array' ? '[Array]' : '[Object]');
    path.push(value);
    try {
      switch (kind) {
        case 'error':
          return this.#error(value as Error, depth);
        case 'array':
          return this.#array(value as unknown[], depth);
        case 'map':
          return this.#map(value as Map<unknown, unknown>, depth);
        case 'set':
          return this.#list(attempt(() => [...(value as Set<unknown>)]), depth);
        case 'json':
          return this.#toJSON(value, depth);
        case 'plain':
          return this.#plain(value, depth);
      }
    } finally {
      path.pop();
    }
  }

  #array(array: readonly unknown[], depth: number): void {
    const length = attempt(() => array.length);
    if (length === THREW) return this.#string(Tag.STRING, '[Unreadable]');
    this.#op(Tag.ARRAY, undefined, length, 5);
    // Every item takes at least a byte: a huge (even sparse) array is known oversized at once.
    if (length > this.#limit - this.#bytes) {
      this.#bytes += length;
      return;
    }
    for (let i = 0; i < length && this.#bytes <= this.#limit; i++) this.#add(read(array, i), depth + 1);
  }

  #list(items: unknown[] | typeof THREW, depth: number): void {
    if (items === THREW) return this.#string(Tag.STRING, '[Unreadable]');
    this.#array(items, depth);
  }

  #map(map: Map<unknown, unknown>, depth: number): void {
    const entries = attempt(() => [...map]);
    if (entries === THREW) return this.#string(Tag.STRING, '[Unreadable]');
    this.#op(Tag.OBJECT, undefined, entries.length, 5);
    for (const [key, item] of entries) {
      if (this.#bytes > this.#limit) return;
      this.#string(RAW_STRING, typeof key === 'string' ? key : safeString(key));
      this.#add(item, depth + 1);
    }
  }

  #toJSON(value: object, depth: number): void {
    const json = attempt(() => (value as { toJSON(): unknown }).toJSON());
    // toJSON returning the object itself is caught as a cycle by the path; one returning a
    // fresh object with a toJSON of its own is stopped by the depth limit.
    this.#add(json === THREW ? '[Throws]' : json, depth + 1);
  }

  #plain(value: object, depth: number): void {
    const keys = attempt(() => Object.keys(value));
    if (keys === THREW) return this.#string(Tag.STRING, '[Unreadable]');
    this.#op(Tag.OBJECT, undefined, keys.length, 5);
    for (const key of keys) {
      if (this.#bytes > this.#limit) return;
      this.#string(RAW_STRING, key);
      this.#add(read(value, key), depth + 1);
    }
  }

  #error(error: Error, depth: number): void {
    this.#op(Tag.ERROR, undefined, 0, 1);
    this.#string(RAW_STRING, errorType(error));
    const message = read(error, 'message');
    this.#string(RAW_STRING, typeof message === 'string' ? message : safeString(message));
    const stack = read(error, 'stack');
    this.#add(typeof stack === 'string' ? stack : undefined, depth + 1);
    const keys = attempt(() => Object.keys(error).filter((key) => key !== 'message' && key !== 'stack' && key !== 'cause'));
    // An AggregateError's errors are not enumerable; pino's serializer names them aggregateErrors.
    const aggregated = error instanceof AggregateError ? read(error, 'errors') : undefined;
    const fieldCount = (keys === THREW ? 0 : keys.length) + (aggregated === undefined ? 0 : 1);
    if (fieldCount === 0) {
      this.#op(Tag.UNDEFINED, undefined, 0, 1);
    } else {
      this.#op(Tag.OBJECT, undefined, fieldCount, 5);
      for (const key of keys === THREW ? [] : keys) {
        this.#string(RAW_STRING, key);
        this.#add(read(error, key), depth + 2);
      }
      if (aggregated !== undefined) {
        this.#string(RAW_STRING, 'aggregateErrors');
        this.#add(aggregated, depth + 2);
      }
    }
    this.#add(attempt(() => Object.hasOwn(error, 'cause')) === true ? read(error, 'cause') : undefined, depth + 1);
  }
}

type Kind = 'error' | 'array' | 'map' | 'set' | 'json' | 'plain';

function kindOf(value: object): Kind {
  if (value instanceof Error) return 'error';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'map';
  if (value instanceof Set) return 'set';
  return typeof (value as { toJSON?: unknown }).toJSON === 'function' ? 'json' : 'plain';
}

/** Reads a property that may be a throwing getter or a Proxy trap. */
function read(object: object, key: PropertyKey): unknown {
  const value = attempt(() => (object as Record<PropertyKey, unknown>)[key]);
  return value === THREW ? '[Throws]' : value;
}

function attempt<T>(get: () => T): T | typeof THREW {
  try {
    return get();
  } catch {
    return THREW;
  }
}

function safeString(value: unknown): string {
  const text = attempt(() => String(value));
  return text === THREW ? '[Unprintable]' : text;
}

function safeName(fn: Function): string {
  const name = read(fn, 'name');
  return typeof name === 'string' && name !== '' ? name : 'anonymous';
}

function errorType(error: Error): string {
  const ctor = read(error, 'constructor');
  if (typeof ctor === 'function') {
    const name = read(ctor, 'name');
    if (typeof name === 'string' && name !== '') return name;
  }
  const name = read(error, 'name');
  return typeof name === 'string' ? name : 'Error';
}

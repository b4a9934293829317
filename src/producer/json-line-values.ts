/**
 * The JSON of a log call's values, written as UTF-8 into a line's scratch buffer: what
 * json-format.ts's appendJsonValue writes for the record the encoder would make of them, byte
 * for byte (strings, numbers, booleans, null, bigints, arrays, plain objects and errors, as
 * pino's err object). The line (json-line.ts) and the printf message (json-line-printf.ts)
 * write through one JsonValueWriter, which owns the scratch buffer.
 *
 * What the writer will not write it refuses by throwing REFUSED, which leaves the whole call to
 * the encoder: a value of another kind (a Map, a Date, a class instance, a function...), nesting
 * past MAX_DEPTH, a huge array, a line past its limit. A getter or a Proxy trap may throw too;
 * the line's entry points catch either.
 *
 * Its state is public, for the two modules of the line that write bytes of their own between
 * its calls (a line's start, a kept message ending); the class goes no further than the
 * producer. Plain fields, and methods that V8 inlines: the line costs a few nanoseconds an
 * operation here, so there is no layer between a value and its bytes.
 *
 * Redaction (record/redact.ts) as the encoder does it: each value comes with the matcher's node
 * of its place (undefined where no path leads), and a redacted value is written as the censor or
 * left out, exactly where and as the encoder writes or leaves it out (the property tests in
 * test/unit/producer/json-line.test.ts run with paths too).
 */
import { bytesOver, type Bytes } from '../record/descriptor.js';
import { writeInt32 } from '../line/digits.js';
import { childOf, itemOf, type Redaction, type RedactNode } from '../record/redact.js';
import {
  ESCAPED_BYTES_MAX,
  KEY_REFUSED,
  LONG_STRING,
  writeJsonChars,
  writeLongJsonChars,
} from './json-line-string.js';

/** Thrown inside the walk to leave the call to the encoder. */
export const REFUSED = Symbol('refused');

/** Deeper values are refused; well below the encoder's MAX_DEPTH, whose markers differ from JSON. */
const MAX_DEPTH = 6;
/** Arrays longer than this are refused: the encoder decides about huge ones. */
const MAX_ARRAY = 4096;
const INITIAL_SCRATCH = 4096;

const QUOTE = 0x22;

export class JsonValueWriter {
  /** Own memory, so that the copy into the ring (copy.ts) goes word by word from offset 0. */
  scratch = new Uint8Array(new ArrayBuffer(INITIAL_SCRATCH));
  /** The scratch buffer with its DataView, for the record header and for copy.ts. */
  bytes: Bytes = bytesOver(this.scratch);
  /** Where the next byte goes. */
  at = 0;
  /** The most bytes the line may take: room() refuses past it. */
  limit = 0;
  /** The thread's redaction, whose root is the node of a call's fields and arguments. */
  redaction: Redaction | undefined;

  /** Makes room for `bytes` more, growing the scratch buffer; refuses past the limit. */
  room(bytes: number): void {
    const end = this.at + bytes;
    if (end <= this.scratch.length) {
      if (end > this.limit) throw REFUSED;
      return;
    }
    if (end > this.limit) throw REFUSED;
    let size = this.scratch.length * 2;
    while (size < end) size *= 2;
    const bigger = new Uint8Array(new ArrayBuffer(size));
    bigger.set(this.scratch.subarray(0, this.at));
    this.scratch = bigger;
    this.bytes = bytesOver(bigger);
  }

  /** Bytes already written once (a line's start, a kept message ending or template slice). */
  put(bytes: Uint8Array): void {
    const length = bytes.length;
    this.room(length);
    const scratch = this.scratch;
    let at = this.at;
    // Short runs (a message's ending) by a loop, which costs less than a native call here.
    if (length > 8) {
      scratch.set(bytes, at);
      at += length;
    } else {
      for (let i = 0; i < length; i++) scratch[at++] = bytes[i]!;
    }
    this.at = at;
  }

  /** Text known to be ASCII. */
  ascii(text: string): void {
    const length = text.length;
    this.room(length);
    const scratch = this.scratch;
    let at = this.at;
    for (let i = 0; i < length; i++) scratch[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** An int32 in decimal (digits.ts). */
  int(value: number): void {
    this.room(11);
    this.at = writeInt32(this.scratch, this.at, value);
  }

  /**
   * A JSON string as json-format.ts writes it for the record's string (json-line-string.ts).
   * In a key a lone surrogate is refused.
   */
  string(text: string, key: boolean): void {
    this.room(1);
    this.scratch[this.at++] = QUOTE;
    if (key || text.length < LONG_STRING) this.chars(text, 0, text.length, key);
    else this.long(text);
    this.room(1);
    this.scratch[this.at++] = QUOTE;
  }

  /** What chars() writes for the whole of `text`, which is long, by writeLongJsonChars. */
  long(text: string): void {
    this.room(ESCAPED_BYTES_MAX * text.length);
    this.at = writeLongJsonChars(this.scratch, this.bytes.view, this.at, text);
  }

  /** `text[from..to]` as the characters of a JSON string, without the quotes (writeJsonChars). */
  chars(text: string, from: number, to: number, key = false): void {
    this.room(ESCAPED_BYTES_MAX * (to - from));
    const at = writeJsonChars(this.scratch, this.at, text, from, to, key);
    if (at === KEY_REFUSED) throw REFUSED;
    this.at = at;
  }

  /** `,"key":value`; `node`: the value's own (redact.ts), which is not CENSORED. */
  member(key: string, value: unknown, depth: number, node?: RedactNode): void {
    this.room(1);
    this.scratch[this.at++] = 0x2c;
    this.string(key, true);
    this.room(1);
    this.scratch[this.at++] = 0x3a;
    this.value(value, depth, node);
  }

  /**
   * `,"key":value` of an object whose node is `parent`, redacted as the encoder's #field does
   * it: false, writing nothing, when `remove` leaves it out.
   */
  field(key: string, value: unknown, depth: number, parent: RedactNode | undefined): boolean {
    if (parent === undefined) {
      this.member(key, value, depth);
      return true;
    }
    const node = childOf(parent, key);
    if (node === undefined || !node.censored || value === undefined) {
      this.member(key, value, depth, node);
      return true;
    }
    const { censor, remove } = this.redaction!;
    if (remove) return false;
    this.member(key, censor, depth);
    return true;
  }

  /** The JSON of `value`, `depth` levels down as the encoder counts them (appendJsonValue's). */
  value(value: unknown, depth: number, node?: RedactNode): void {
    switch (typeof value) {
      case 'string':
        return this.string(value, false);
      case 'number':
        if ((value | 0) === value) return this.int(value);
        return this.ascii(Number.isFinite(value) ? String(value) : 'null');
      case 'boolean':
        return this.ascii(value ? 'true' : 'false');
      case 'undefined':
        return this.ascii('null');
      case 'bigint':
        return this.ascii(value.toString());
      case 'object':
        if (value === null) return this.ascii('null');
        if (depth >= MAX_DEPTH) throw REFUSED;
        if (Array.isArray(value)) return this.array(value, depth, node);
        if (isPlain(value)) return this.object(value, depth, node);
        if (value instanceof Error) {
          this.error(value, depth, node);
          return;
        }
        throw REFUSED;
      default:
        throw REFUSED;
    }
  }

  /** An array, as appendArray writes it; a redacted item is the censor, or null with `remove`. */
  array(array: readonly unknown[], depth: number, node: RedactNode | undefined): void {
    const length = array.length;
    if (length > MAX_ARRAY) throw REFUSED;
    this.room(2 + length);
    this.scratch[this.at++] = 0x5b;
    for (let i = 0; i < length; i++) {
      if (i > 0) {
        this.room(1);
        this.scratch[this.at++] = 0x2c;
      }
      const item = array[i];
      const next = node === undefined ? undefined : itemOf(node, i);
      if (next === undefined || !next.censored || item === undefined) this.value(item, depth + 1, next);
      else if (this.redaction!.remove) this.ascii('null');
      else this.string(this.redaction!.censor, false);
    }
    this.room(1);
    this.scratch[this.at++] = 0x5d;
  }

  /**
   * A plain object (isPlain), as appendObject writes it: each member after a comma, and then
   * the first comma made the `{` (or a `{` written when there is no member).
   */
  object(object: object, depth: number, node: RedactNode | undefined): void {
    const record = object as Record<string, unknown>;
    const open = this.at;
    // Own keys in Object.keys order, without its array (see json-line.ts #fields).
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue;
      const value = record[key];
      if (value !== undefined) this.field(key, value, depth + 1, node);
    }
    this.room(2);
    if (this.at === open) this.scratch[this.at++] = 0x7b;
    else this.scratch[open] = 0x7b;
    this.scratch[this.at++] = 0x7d;
  }

  /**
   * pino's err object, as json-format's appendError writes the ErrorValue the encoder makes of
   * `error` (encoder.ts's #error), reading what it reads: `{"type":..,"message":..,"stack":..,
   * <own enumerable fields>,"aggregateErrors":..,"cause":..}`. Depths as the encoder counts
   * them (fields two below the error, the cause one below), so the depth limit here always
   * comes before the encoder's markers. Returns the message (the `err` rule of messageOf).
   *
   * Refused where the encoder would write a marker or a conversion of its own: a message that
   * is not a string, an AggregateError with an own `aggregateErrors` field (the two keys would
   * merge), and whatever throws (the encoder's '[Throws]').
   *
   * Each member is a key of `node` (`err.message`, `err.code`): a redacted type or message is
   * the censor, or with `remove` empty, as the encoder's #errorString writes them.
   */
  error(error: Error, depth: number, node?: RedactNode): string {
    let type = errorType(error);
    let message = error.message;
    if (typeof message !== 'string') throw REFUSED;
    let stack: unknown = error.stack;
    if (node !== undefined) {
      type = this.#errorString(childOf(node, 'type'), type);
      message = this.#errorString(childOf(node, 'message'), message);
      if (typeof stack === 'string' && childOf(node, 'stack')?.censored === true) stack = this.redaction!.remove ? undefined : this.redaction!.censor;
    }
    this.ascii('{"type":');
    this.string(type, false);
    this.ascii(',"message":');
    this.string(message, false);
    // A stack that is not a string is encoded as undefined, and left out.
    if (typeof stack === 'string') {
      this.ascii(',"stack":');
      this.string(stack, false);
    }
    const keys = Object.keys(error);
    const aggregated = error instanceof AggregateError ? (error as AggregateError).errors : undefined;
    if (aggregated !== undefined && keys.includes('aggregateErrors')) throw REFUSED;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // message, stack and cause are not encoded as fields; type is encoded and not written.
      if (key === 'message' || key === 'stack' || key === 'cause' || key === 'type') continue;
      const value = (error as unknown as Record<string, unknown>)[key];
      if (value !== undefined) this.field(key, value, depth + 2, node);
    }
    if (aggregated !== undefined) this.field('aggregateErrors', aggregated, depth + 2, node);
    if (Object.hasOwn(error, 'cause')) {
      const cause = (error as { cause?: unknown }).cause;
      // Written as a member, so that a redacted cause is the censor or left out, as a field is.
      if (cause !== undefined) this.field('cause', cause, depth + 1, node);
    }
    this.room(1);
    this.scratch[this.at++] = 0x7d;
    return message;
  }

  /** `text`, or what stands for it when `node` redacts it (the encoder's #errorString). */
  #errorString(node: RedactNode | undefined, text: string): string {
    if (node === undefined || !node.censored) return text;
    return this.redaction!.remove ? '' : this.redaction!.censor;
  }
}

/**
 * encoder.ts's errorType: the constructor's name, else `name`, else 'Error'. (A read that
 * throws, which the encoder makes '[Throws]', throws here, and the call is refused.)
 */
export function errorType(error: Error): string {
  const ctor: unknown = error.constructor;
  if (typeof ctor === 'function') {
    const name: unknown = ctor.name;
    if (typeof name === 'string' && name !== '') return name;
  }
  const name: unknown = error.name;
  return typeof name === 'string' ? name : 'Error';
}

/** What the encoder writes as an ERROR (encoder.ts kindOf): not an array, not plain, an Error. */
export function isErrorKind(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null && value instanceof Error;
}

/**
 * `Object.prototype.hasOwnProperty`, called on objects that may have no prototype. Inside a
 * for-in over the same object, V8 turns the call into a map check.
 */
export const hasOwn = Object.prototype.hasOwnProperty;

/** A plain object: what the encoder writes as an OBJECT of its own keys, and nothing else does. */
export function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

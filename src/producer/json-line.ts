/**
 * pino's JSON line, written by the producer straight from a log call's values: the record in
 * the ring is then the finished line (Flag.LINE), and the consumer only copies it to the file.
 *
 * Why the producer: rendering a line from the values costs the producer about what encoding
 * the values for later rendering does (one walk, bytes out, either way), while rendering in the
 * consumer costs a second walk over the encoding there. With one consumer thread for many
 * producers, that second walk was the ceiling of the whole design (README, Performance: the
 * drain rate and the CPU per record with and without it). So the backend asks for lines
 * (handle.lines) when every sink writes JSON lines and names do not route; then the producer
 * writes lines for the calls this module takes, and encodes the others as before.
 *
 * json-format.ts is the specification: the line is byte for byte what it writes for the record
 * the encoder would have made of the same call (property tests hold the two together). Taken:
 * - strings, numbers, booleans, null, undefined, bigints, arrays, plain objects (prototype
 *   Object.prototype or null, no toJSON), and errors (`instanceof Error`: pino's err object as
 *   appendError writes it, with the encoder's reads: errorType, message, stack, own enumerable
 *   fields, aggregateErrors, cause); `log.error(err)`'s message is then err.message (messageOf);
 * - printf calls (`info('took %d ms', 12)`, printf.ts's formatMessage): the message is formatted
 *   here, each template slice and argument escaped as the record's strings would be.
 * What is not taken (`LINE_REFUSED`, and the call goes the encoded way):
 * - Maps, Sets, Dates and other toJSON, class instances, functions and symbols, anywhere
 *   (printf arguments included: `%d` of a Date would read its toJSON string);
 * - nesting deeper than MAX_DEPTH, counted as the encoder counts it (which is also how a cycle
 *   ends here, an error's cause chain included);
 * - an error whose message is not a string, or an AggregateError with an own
 *   `aggregateErrors` field;
 * - a key with a lone surrogate (decoding may merge such keys), a field with the key of a
 *   binding (json-format drops the binding), and loggers with a binding named `msg` (kept or
 *   not depending on the message): those never get a LineContext;
 * - a getter that throws, or anything else that throws while the values are read (the encoder
 *   writes '[Throws]' and the like). The encoded way then reads the values again (a getter may
 *   run twice for such a call).
 */
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, type Bytes } from '../shared/codec.js';
import { copyBytes } from '../shared/copy.js';
import { writeInt32 } from '../shared/digits.js';
import { isOurs } from '../shared/json-keys.js';
import { ESCAPED_BYTES_MAX, KEY_REFUSED, LONG_STRING, writeJsonChars, writeLongJsonChars } from './json-line-string.js';

/** What `encode()` returns for a call it leaves to the encoder. */
export const LINE_REFUSED = -1;

/** Deeper values are refused; well below the encoder's MAX_DEPTH, whose markers differ from JSON. */
const MAX_DEPTH = 6;
/** Arrays longer than this are refused: the encoder decides about huge ones. */
const MAX_ARRAY = 4096;
const INITIAL_SCRATCH = 4096;

const NO_ARGS: readonly unknown[] = Object.freeze([]);

const QUOTE = 0x22;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;

/** A logger's name and bindings as the line writes them, made once per logger. */
export interface LineContext {
  /** `,"name":"api","worker":1`: after the process keys, before the fields. */
  readonly bytes: Uint8Array;
  /** The binding keys written, which a field must not repeat. */
  readonly keys: readonly string[];
  readonly hasName: boolean;
}

/** A printf template as #printf keeps it, for calls with `argCount` arguments. */
interface PrintfTemplate {
  readonly template: string;
  readonly argCount: number;
  /** The escaped slices around the placeholders filled (`,"msg":"` starts the first): codes + 1 of them. */
  readonly slices: readonly Uint8Array[];
  /** The codes of the placeholders filled, in order (the first `argCount` placeholders at most). */
  readonly codes: readonly number[];
}

/** Thrown inside the walk to leave the call to the encoder. */
const REFUSED = Symbol('refused');

export class JsonLineEncoder {
  /** Own memory, so that the copy into the ring (copy.ts) goes word by word from offset 0. */
  #scratch = new Uint8Array(new ArrayBuffer(INITIAL_SCRATCH));
  #bytes = bytesOver(this.#scratch);
  #at = 0;
  #limit = 0;
  /** `,"pid":1,"hostname":"h"` as bytes. */
  readonly #processKeys: Uint8Array;
  /** The line start in the scratch buffer from the last call, and what it was made of. */
  #startContext: LineContext | undefined;
  #startLevel = -1;
  #startTime = Number.NaN;
  #startBytes = 0;
  /** The message of the last calls, and `,"msg":"..."}\n` for it (see `#end`). */
  #msg: string | undefined;
  #msgBytes = new Uint8Array(0);
  /** A message seen once: the next call with it keeps its ending. */
  #seen: string | undefined;
  /** The printf template kept (see #printf), and the one seen last, with its argument count. */
  #template: PrintfTemplate | undefined;
  #templateSeen: string | undefined;
  #templateSeenArgs = -1;
  /** From #printfTemplate: where its slices start and end in the scratch buffer, and the codes. */
  readonly #marks: number[] = [];
  readonly #codes: number[] = [];
  #filled = 0;
  readonly #threadId: number;

  constructor(processKeys: string, threadId: number) {
    this.#processKeys = Buffer.from(processKeys, 'utf8');
    this.#threadId = threadId;
  }

  /** Copies the record encoded last, `bytes` long, to `offset` of `target`. */
  write(target: Bytes, offset: number, bytes: number): void {
    copyBytes(this.#bytes, 0, target, offset, bytes);
  }

  /**
   * Renders a logger's name and bindings, or returns undefined when its records cannot be
   * lines (a binding named msg, a value this module refuses).
   */
  context(name: string | undefined, bindings: Readonly<Record<string, unknown>> | undefined): LineContext | undefined {
    const keys: string[] = [];
    const hasName = name !== undefined;
    this.#at = 0;
    this.#limit = Number.MAX_SAFE_INTEGER;
    try {
      if (name !== undefined) {
        this.#ascii(',"name":');
        this.#string(name, false);
      }
      if (bindings !== undefined) {
        for (const key of Object.keys(bindings)) {
          const value = bindings[key];
          if (value === undefined || isOurs(key, hasName, false)) continue;
          if (key === 'msg') return undefined;
          keys.push(key);
          this.#member(key, value, 1);
        }
      }
    } catch {
      // REFUSED, or a getter or Proxy trap that threw: this logger's records are encoded.
      return undefined;
    } finally {
      this.#startContext = undefined;
    }
    return { bytes: this.#scratch.slice(0, this.#at), keys, hasName };
  }

  /**
   * The record of `info(fields, msg, ...args)`, header and line, in the scratch buffer: returns
   * the payload's byte length, at most `limit`, or LINE_REFUSED. `args[argStart..]`, `argCount`
   * of them, are the printf arguments (as many as the encoder would keep).
   */
  encode(
    limit: number,
    level: number,
    time: number,
    context: LineContext,
    msg: string | undefined,
    fields: object | undefined,
    args: readonly unknown[] = NO_ARGS,
    argStart = 0,
    argCount = 0,
  ): number {
    this.#limit = limit;
    try {
      this.#start(context, level, time);
      if (argCount > 0) {
        // A printf call always has a message (formatMessage's, the template filled in).
        if (fields !== undefined) this.#fields(fields, context, true);
        this.#printf(msg, args, argStart, argCount);
      } else if (msg !== undefined || fields === undefined) {
        if (fields !== undefined) this.#fields(fields, context, true);
        this.#end(msg);
      } else {
        // No message: an `err` field that is an error gives it (`log.error(err)`).
        this.#end(this.#fieldsWithErr(fields, context));
      }
      return this.#at;
    } catch {
      // REFUSED, or a getter or Proxy trap that threw: the encoder reads the values its own way.
      return LINE_REFUSED;
    }
  }

  /**
   * The record header, then `{"level":30,"time":1700000000123,"pid":1,"hostname":"h"` and the
   * context: all left in place from the last call when that was of the same logger, level and
   * millisecond, as most calls are.
   */
  #start(context: LineContext, level: number, time: number): void {
    if (context === this.#startContext && level === this.#startLevel && time === this.#startTime) {
      this.#at = this.#startBytes;
      return;
    }
    this.#startContext = undefined;
    const head = this.#bytes.view;
    head.setFloat64(RecordOffset.TIME, time, true);
    head.setUint32(RecordOffset.THREAD_ID, this.#threadId, true);
    head.setUint8(RecordOffset.LEVEL, level);
    head.setUint8(RecordOffset.FLAGS, Flag.LINE);
    head.setUint16(RecordOffset.ARG_COUNT, 0, true);
    this.#at = HEADER_BYTES;
    this.#ascii(`{"level":${level},"time":${Number.isFinite(time) ? String(time) : 'null'}`);
    this.#put(this.#processKeys);
    this.#put(context.bytes);
    this.#startContext = context;
    this.#startLevel = level;
    this.#startTime = time;
    this.#startBytes = this.#at;
  }

  /**
   * `,"msg":"..."}\n`, or `}\n` without a message. Messages are mostly literals, the same string
   * call after call: the ending of one that came twice in a row is kept and copied.
   */
  #end(msg: string | undefined): void {
    if (msg !== undefined && msg === this.#msg) return this.#put(this.#msgBytes);
    const from = this.#at;
    if (msg !== undefined) {
      this.#ascii(',"msg":');
      this.#string(msg, false);
    }
    this.#room(2);
    this.#scratch[this.#at++] = 0x7d;
    this.#scratch[this.#at++] = 0x0a;
    if (msg === undefined) return;
    if (msg === this.#seen) {
      this.#msg = msg;
      this.#msgBytes = this.#scratch.slice(from, this.#at);
    }
    this.#seen = msg;
  }

  /** The merging object's members, as json-format writes fields. */
  #fields(fields: object, context: LineContext, hasMsg: boolean): void {
    if (!isPlain(fields)) throw REFUSED;
    const bound = context.keys;
    const hasName = context.hasName;
    const record = fields as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
      if (bound.length > 0 && bound.includes(key)) throw REFUSED;
      this.#member(key, value, 1);
    }
  }

  /**
   * The fields of a call without a message or arguments: as #fields, except that an own `err`
   * that is an error (what the encoder makes an ErrorValue) makes the line's message its
   * message, and the `msg` key ours (messageOf). `err` is read once, before the others, to know.
   * Returns the message, or undefined when there is none.
   */
  #fieldsWithErr(fields: object, context: LineContext): string | undefined {
    if (!isPlain(fields)) throw REFUSED;
    const bound = context.keys;
    const hasName = context.hasName;
    const record = fields as Record<string, unknown>;
    const keys = Object.keys(record);
    const errAt = keys.indexOf('err');
    const err = errAt < 0 ? undefined : record['err'];
    const hasMsg = isErrorKind(err);
    let message: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = i === errAt ? err : record[key];
      if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
      if (bound.length > 0 && bound.includes(key)) throw REFUSED;
      if (i === errAt && hasMsg) {
        this.#ascii(',"err":');
        message = this.#error(value as Error, 1);
      } else {
        this.#member(key, value, 1);
      }
    }
    return message;
  }

  /** `,"key":value`. */
  #member(key: string, value: unknown, depth: number): void {
    this.#room(1);
    this.#scratch[this.#at++] = 0x2c;
    this.#string(key, true);
    this.#room(1);
    this.#scratch[this.#at++] = 0x3a;
    this.#value(value, depth);
  }

  #value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        return this.#string(value, false);
      case 'number':
        if ((value | 0) === value) return this.#int(value);
        return this.#ascii(Number.isFinite(value) ? String(value) : 'null');
      case 'boolean':
        return this.#ascii(value ? 'true' : 'false');
      case 'undefined':
        return this.#ascii('null');
      case 'bigint':
        return this.#ascii(value.toString());
      case 'object':
        if (value === null) return this.#ascii('null');
        if (depth >= MAX_DEPTH) throw REFUSED;
        if (Array.isArray(value)) return this.#array(value, depth);
        if (isPlain(value)) return this.#object(value, depth);
        if (value instanceof Error) {
          this.#error(value, depth);
          return;
        }
        throw REFUSED;
      default:
        throw REFUSED;
    }
  }

  #array(array: readonly unknown[], depth: number): void {
    const length = array.length;
    if (length > MAX_ARRAY) throw REFUSED;
    this.#room(2 + length);
    this.#scratch[this.#at++] = 0x5b;
    for (let i = 0; i < length; i++) {
      if (i > 0) {
        this.#room(1);
        this.#scratch[this.#at++] = 0x2c;
      }
      this.#value(array[i], depth + 1);
    }
    this.#room(1);
    this.#scratch[this.#at++] = 0x5d;
  }

  /** A plain object (isPlain), as appendObject writes it. */
  #object(object: object, depth: number): void {
    const record = object as Record<string, unknown>;
    this.#room(1);
    this.#scratch[this.#at++] = 0x7b;
    let first = true;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined) continue;
      if (first) {
        first = false;
        this.#string(key, true);
        this.#room(1);
        this.#scratch[this.#at++] = 0x3a;
        this.#value(value, depth + 1);
      } else {
        this.#member(key, value, depth + 1);
      }
    }
    this.#room(1);
    this.#scratch[this.#at++] = 0x7d;
  }

  /**
   * pino's err object, as json-format's appendError writes the ErrorValue the encoder makes of
   * `error` (encoder.ts #error), reading what it reads: `{"type":..,"message":..,"stack":..,
   * <own enumerable fields>,"aggregateErrors":..,"cause":..}`. Depths as the encoder counts
   * them (fields two below the error, the cause one below), so the depth limit here always
   * comes before the encoder's markers. Returns the message (the `err` rule of messageOf).
   *
   * Refused where the encoder would write a marker or a conversion of its own: a message that
   * is not a string, an AggregateError with an own `aggregateErrors` field (the two keys would
   * merge), and whatever throws (the encoder's '[Throws]').
   */
  #error(error: Error, depth: number): string {
    const type = errorType(error);
    const message = error.message;
    if (typeof message !== 'string') throw REFUSED;
    const stack = error.stack;
    this.#ascii('{"type":');
    this.#string(type, false);
    this.#ascii(',"message":');
    this.#string(message, false);
    // A stack that is not a string is encoded as undefined, and left out.
    if (typeof stack === 'string') {
      this.#ascii(',"stack":');
      this.#string(stack, false);
    }
    const keys = Object.keys(error);
    const aggregated = error instanceof AggregateError ? (error as AggregateError).errors : undefined;
    if (aggregated !== undefined && keys.includes('aggregateErrors')) throw REFUSED;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // message, stack and cause are not encoded as fields; type is encoded and not written.
      if (key === 'message' || key === 'stack' || key === 'cause' || key === 'type') continue;
      const value = (error as unknown as Record<string, unknown>)[key];
      if (value !== undefined) this.#member(key, value, depth + 2);
    }
    if (aggregated !== undefined) this.#member('aggregateErrors', aggregated, depth + 2);
    if (Object.hasOwn(error, 'cause')) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause !== undefined) {
        this.#ascii(',"cause":');
        this.#value(cause, depth + 1);
      }
    }
    this.#room(1);
    this.#scratch[this.#at++] = 0x7d;
    return message;
  }

  // ---- printf (consumer/printf.ts's formatMessage, then json-format's jsonString) -----------

  /**
   * `,"msg":"<the template filled in>"}\n`, written piece by piece: each template slice and each
   * argument is escaped on its own, as each is a string of its own in the record (a lone
   * surrogate at the edge of one stays lone, U+FFFD, and never pairs with the next piece).
   *
   * The filled-in message is not kept (the same template makes other messages), but a template
   * that comes twice in a row with as many arguments is: its escaped slices between the
   * placeholders it fills, and their codes (PrintfTemplate). Then only the arguments are
   * rendered; the slices are copied.
   */
  #printf(template: string | undefined, args: readonly unknown[], argStart: number, argCount: number): void {
    let next = 0;
    const kept = this.#template;
    if (template === undefined) {
      this.#ascii(',"msg":"');
    } else if (kept !== undefined && kept.template === template && kept.argCount === argCount) {
      const { slices, codes } = kept;
      const filled = codes.length;
      for (; next < filled; next++) {
        this.#put(slices[next]!);
        this.#placeholder(codes[next]!, args[argStart + next]);
      }
      this.#put(slices[filled]!);
    } else {
      this.#printfTemplate(template, args, argStart, argCount);
      next = this.#filled;
    }
    // Arguments left over, each after a space (without a template, the first without one).
    for (; next < argCount; next++) {
      if (template !== undefined || next > 0) {
        this.#room(1);
        this.#scratch[this.#at++] = 0x20;
      }
      this.#asString(args[argStart + next]);
    }
    this.#ascii('"}\n');
  }

  /**
   * `,"msg":"` and the template with the placeholders it fills (#filled of them) filled in,
   * as formatMessage's loop: the second time in a row, the template is kept (#printf).
   */
  #printfTemplate(template: string, args: readonly unknown[], argStart: number, argCount: number): void {
    const marks = this.#marks;
    const codes = this.#codes;
    marks[0] = this.#at;
    this.#ascii(',"msg":"');
    let next = 0;
    const length = template.length;
    let copied = 0;
    let i = template.indexOf('%');
    while (i !== -1 && i + 1 < length) {
      const code = template.charCodeAt(i + 1);
      if (code === PERCENT) {
        this.#chars(template, copied, i + 1);
        copied = i + 2;
      } else if (next < argCount && isPlaceholder(code)) {
        this.#chars(template, copied, i);
        // A slice ends where a placeholder starts, and the next starts after its argument.
        marks[2 * next + 1] = this.#at;
        codes[next] = code;
        this.#placeholder(code, args[argStart + next]);
        next++;
        marks[2 * next] = this.#at;
        copied = i + 2;
      }
      i = template.indexOf('%', i + 2);
    }
    this.#chars(template, copied, length);
    marks[2 * next + 1] = this.#at;
    this.#filled = next;
    if (template !== this.#templateSeen || argCount !== this.#templateSeenArgs) {
      this.#templateSeen = template;
      this.#templateSeenArgs = argCount;
      return;
    }
    const slices: Uint8Array[] = [];
    for (let j = 0; j <= next; j++) slices.push(this.#scratch.slice(marks[2 * j], marks[2 * j + 1]));
    this.#template = { template, argCount, slices, codes: codes.slice(0, next) };
  }

  /** printf.ts's renderPlaceholder, for a code isPlaceholder took. */
  #placeholder(code: number, value: unknown): void {
    switch (code) {
      case 115: // s
        return this.#asString(value);
      case 100: // d
        return this.#asNumber(value, false);
      case 105: // i
        return this.#asNumber(value, true);
      case 102: // f
        if (typeof value === 'number') return this.#numberText(value);
        if (typeof value === 'string') return this.#numberText(parseFloat(value));
        if (typeof value === 'bigint') return this.#numberText(parseFloat(value.toString()));
        if (typeof value === 'object' && value !== null) this.#checkOpaque(value);
        else if (typeof value === 'symbol' || typeof value === 'function') throw REFUSED;
        return this.#ascii('NaN');
      default: // j o O
        if (value === undefined) return this.#ascii('undefined');
        return this.#json(value, 0);
    }
  }

  /** printf.ts's asString. */
  #asString(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return value.length < LONG_STRING ? this.#chars(value, 0, value.length) : this.#long(value);
      case 'number':
        return this.#numberText(value);
      case 'bigint':
        this.#ascii(value.toString());
        return this.#ascii('n');
      case 'boolean':
        return this.#ascii(value ? 'true' : 'false');
      case 'undefined':
        return this.#ascii('undefined');
      case 'object':
        if (value === null) return this.#ascii('null');
        if (!Array.isArray(value) && !isPlain(value) && value instanceof Error) {
          // `${type}: ${message}`, two strings of the record.
          const message = value.message;
          if (typeof message !== 'string') throw REFUSED;
          const type = errorType(value);
          this.#chars(type, 0, type.length);
          this.#ascii(': ');
          return this.#chars(message, 0, message.length);
        }
        return this.#json(value, 0);
      default:
        throw REFUSED;
    }
  }

  /** printf.ts's asNumber. */
  #asNumber(value: unknown, truncate: boolean): void {
    if (typeof value === 'number') return this.#numberText(truncate ? Math.trunc(value) : value);
    if (typeof value === 'bigint') {
      this.#ascii(value.toString());
      return this.#ascii('n');
    }
    if (typeof value === 'object' && value !== null) {
      this.#checkOpaque(value);
      return this.#ascii('NaN');
    }
    if (typeof value === 'symbol' || typeof value === 'function') throw REFUSED;
    const n = Number(value);
    this.#numberText(truncate ? Math.trunc(n) : n);
  }

  /**
   * A value printf renders as 'NaN' whatever it holds, once decoded: an array, a plain object
   * or an error.
   * Anything the encoder would turn into something else (a string, through toJSON or a
   * function's name; a number) is refused.
   */
  #checkOpaque(value: object): void {
    if (Array.isArray(value) || isPlain(value)) return;
    if (!(value instanceof Error)) throw REFUSED;
  }

  /** printf.ts's numberText: String(n), but -0 keeps its sign. */
  #numberText(n: number): void {
    if ((n | 0) === n) {
      if (n === 0 && 1 / n < 0) return this.#ascii('-0');
      return this.#int(n);
    }
    this.#ascii(String(n));
  }

  /**
   * The JSON of `value` (appendJsonValue's, what #value writes for a field) as the characters
   * of a JSON string: written as JSON, then its quotes and backslashes escaped in place. That is
   * all the escaping it needs: #value's bytes hold no control character, no raw U+2028/9 and
   * no lone surrogate (each already written as an escape or as U+FFFD).
   */
  #json(value: unknown, depth: number): void {
    const from = this.#at;
    this.#value(value, depth);
    const end = this.#at;
    let scratch = this.#scratch;
    let count = 0;
    for (let p = from; p < end; p++) {
      const byte = scratch[p];
      if (byte === QUOTE || byte === BACKSLASH) count++;
    }
    if (count === 0) return;
    this.#room(count);
    scratch = this.#scratch;
    let write = end + count;
    for (let read = end; read > from; ) {
      const byte = scratch[--read]!;
      scratch[--write] = byte;
      if (byte === QUOTE || byte === BACKSLASH) scratch[--write] = BACKSLASH;
    }
    this.#at = end + count;
  }

  // ---- bytes ---------------------------------------------------------------------------------

  /** Makes room for `bytes` more, growing the scratch buffer; refuses past the limit. */
  #room(bytes: number): void {
    const end = this.#at + bytes;
    if (end <= this.#scratch.length) {
      if (end > this.#limit) throw REFUSED;
      return;
    }
    if (end > this.#limit) throw REFUSED;
    let size = this.#scratch.length * 2;
    while (size < end) size *= 2;
    const bigger = new Uint8Array(new ArrayBuffer(size));
    bigger.set(this.#scratch.subarray(0, this.#at));
    this.#scratch = bigger;
    this.#bytes = bytesOver(bigger);
  }

  #put(bytes: Uint8Array): void {
    const length = bytes.length;
    this.#room(length);
    const scratch = this.#scratch;
    let at = this.#at;
    // Short runs (a message's ending) by a loop, which costs less than a native call here.
    if (length > 8) {
      scratch.set(bytes, at);
      at += length;
    } else {
      for (let i = 0; i < length; i++) scratch[at++] = bytes[i]!;
    }
    this.#at = at;
  }

  /** Text known to be ASCII. */
  #ascii(text: string): void {
    const length = text.length;
    this.#room(length);
    const scratch = this.#scratch;
    let at = this.#at;
    for (let i = 0; i < length; i++) scratch[at++] = text.charCodeAt(i);
    this.#at = at;
  }

  #int(value: number): void {
    this.#room(11);
    this.#at = writeInt32(this.#scratch, this.#at, value);
  }

  /**
   * A JSON string as json-format.ts writes it for the record's string (json-line-string.ts).
   * In a key a lone surrogate is refused.
   */
  #string(text: string, key: boolean): void {
    this.#room(1);
    this.#scratch[this.#at++] = QUOTE;
    if (key || text.length < LONG_STRING) this.#chars(text, 0, text.length, key);
    else this.#long(text);
    this.#room(1);
    this.#scratch[this.#at++] = QUOTE;
  }

  /** What #chars writes for the whole of `text`, which is long, by writeLongJsonChars. */
  #long(text: string): void {
    this.#room(ESCAPED_BYTES_MAX * text.length);
    this.#at = writeLongJsonChars(this.#scratch, this.#bytes.view, this.#at, text);
  }

  /** `text[from..to]` as the characters of a JSON string, without the quotes (writeJsonChars). */
  #chars(text: string, from: number, to: number, key = false): void {
    this.#room(ESCAPED_BYTES_MAX * (to - from));
    const at = writeJsonChars(this.#scratch, this.#at, text, from, to, key);
    if (at === KEY_REFUSED) throw REFUSED;
    this.#at = at;
  }
}

/**
 * encoder.ts's errorType: the constructor's name, else `name`, else 'Error'. (A read that
 * throws, which the encoder makes '[Throws]', throws here, and the call is refused.)
 */
function errorType(error: Error): string {
  const ctor: unknown = error.constructor;
  if (typeof ctor === 'function') {
    const name: unknown = ctor.name;
    if (typeof name === 'string' && name !== '') return name;
  }
  const name: unknown = error.name;
  return typeof name === 'string' ? name : 'Error';
}

/** What the encoder writes as an ERROR (encoder.ts kindOf): not an array, not plain, an Error. */
function isErrorKind(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null && value instanceof Error;
}

/** `%s %d %i %f %j %o %O`: the placeholders printf.ts fills in (any other `%x` stays as written). */
function isPlaceholder(code: number): boolean {
  return code === 115 || code === 100 || code === 105 || code === 102 || code === 106 || code === 111 || code === 79;
}

/** A plain object: what the encoder writes as an OBJECT of its own keys, and nothing else does. */
function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

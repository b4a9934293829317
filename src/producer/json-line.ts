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
 *   here (#printf), each template slice and argument escaped as the record's
 *   strings would be.
 * What is not taken (`LINE_REFUSED`, and the call goes the encoded way):
 * - Maps, Sets, Dates and other toJSON, class instances, functions and symbols, anywhere
 *   (printf arguments included: `%d` of a Date would read its toJSON string);
 * - nesting deeper than MAX_DEPTH (json-line-values.ts), counted as the encoder counts it
 *   (which is also how a cycle ends here, an error's cause chain included);
 * - an error whose message is not a string, or an AggregateError with an own
 *   `aggregateErrors` field;
 * - a key with a lone surrogate (decoding may merge such keys), a field with the key of a
 *   binding (json-format drops the binding), and loggers with a binding named `msg` (kept or
 *   not depending on the message): those never get a LineContext;
 * - a getter that throws, or anything else that throws while the values are read (the encoder
 *   writes '[Throws]' and the like). The encoded way then reads the values again (a getter may
 *   run twice for such a call).
 *
 * This module is the line and the call: the record header, the line's start (level, time, the
 * process keys, the logger's context), the fields, the message and the end, and what is kept
 * between calls. The JSON of values and errors, and the scratch buffer the record is written
 * in, are json-line-values.ts's; the escaping of strings json-line-string.ts's.
 */
import { Flag, HEADER_BYTES, RecordOffset, type Bytes } from '../shared/codec.js';
import { copyBytes } from '../shared/copy.js';
import { isOurs } from '../shared/json-keys.js';
import { LONG_STRING } from './json-line-string.js';
import { errorType, isErrorKind, isPlain, JsonValueWriter, REFUSED } from './json-line-values.js';

/** What `encode()` returns for a call it leaves to the encoder. */
export const LINE_REFUSED = -1;

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

export class JsonLineEncoder {
  /** The scratch buffer the record is written in, and the JSON of values. */
  readonly #out = new JsonValueWriter();
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
    copyBytes(this.#out.bytes, 0, target, offset, bytes);
  }

  /**
   * Renders a logger's name and bindings, or returns undefined when its records cannot be
   * lines (a binding named msg, a value this module refuses).
   */
  context(name: string | undefined, bindings: Readonly<Record<string, unknown>> | undefined): LineContext | undefined {
    const out = this.#out;
    const keys: string[] = [];
    const hasName = name !== undefined;
    out.at = 0;
    out.limit = Number.MAX_SAFE_INTEGER;
    try {
      if (name !== undefined) {
        out.ascii(',"name":');
        out.string(name, false);
      }
      if (bindings !== undefined) {
        for (const key of Object.keys(bindings)) {
          const value = bindings[key];
          if (value === undefined || isOurs(key, hasName, false)) continue;
          if (key === 'msg') return undefined;
          keys.push(key);
          out.member(key, value, 1);
        }
      }
    } catch {
      // REFUSED, or a getter or Proxy trap that threw: this logger's records are encoded.
      return undefined;
    } finally {
      this.#startContext = undefined;
    }
    return { bytes: out.scratch.slice(0, out.at), keys, hasName };
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
    this.#out.limit = limit;
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
      return this.#out.at;
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
    const out = this.#out;
    if (context === this.#startContext && level === this.#startLevel && time === this.#startTime) {
      out.at = this.#startBytes;
      return;
    }
    this.#startContext = undefined;
    const head = out.bytes.view;
    head.setFloat64(RecordOffset.TIME, time, true);
    head.setUint32(RecordOffset.THREAD_ID, this.#threadId, true);
    head.setUint8(RecordOffset.LEVEL, level);
    head.setUint8(RecordOffset.FLAGS, Flag.LINE);
    head.setUint16(RecordOffset.ARG_COUNT, 0, true);
    out.at = HEADER_BYTES;
    out.ascii(`{"level":${level},"time":${Number.isFinite(time) ? String(time) : 'null'}`);
    out.put(this.#processKeys);
    out.put(context.bytes);
    this.#startContext = context;
    this.#startLevel = level;
    this.#startTime = time;
    this.#startBytes = out.at;
  }

  /**
   * `,"msg":"..."}\n`, or `}\n` without a message. Messages are mostly literals, the same string
   * call after call: the ending of one that came twice in a row is kept and copied.
   */
  #end(msg: string | undefined): void {
    const out = this.#out;
    if (msg !== undefined && msg === this.#msg) return out.put(this.#msgBytes);
    const from = out.at;
    if (msg !== undefined) {
      out.ascii(',"msg":');
      out.string(msg, false);
    }
    out.room(2);
    out.scratch[out.at++] = 0x7d;
    out.scratch[out.at++] = 0x0a;
    if (msg === undefined) return;
    if (msg === this.#seen) {
      this.#msg = msg;
      this.#msgBytes = out.scratch.slice(from, out.at);
    }
    this.#seen = msg;
  }

  /** The merging object's members, as json-format writes fields. */
  #fields(fields: object, context: LineContext, hasMsg: boolean): void {
    const out = this.#out;
    if (!isPlain(fields)) throw REFUSED;
    const bound = context.keys;
    const hasName = context.hasName;
    const record = fields as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
      if (bound.length > 0 && bound.includes(key)) throw REFUSED;
      out.member(key, value, 1);
    }
  }

  /**
   * The fields of a call without a message or arguments: as #fields, except that an own `err`
   * that is an error (what the encoder makes an ErrorValue) makes the line's message its
   * message, and the `msg` key ours (messageOf). `err` is read once, before the others, to know.
   * Returns the message, or undefined when there is none.
   */
  #fieldsWithErr(fields: object, context: LineContext): string | undefined {
    const out = this.#out;
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
        out.ascii(',"err":');
        message = out.error(value as Error, 1);
      } else {
        out.member(key, value, 1);
      }
    }
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
      this.#out.ascii(',"msg":"');
    } else if (kept !== undefined && kept.template === template && kept.argCount === argCount) {
      const { slices, codes } = kept;
      const filled = codes.length;
      for (; next < filled; next++) {
        this.#out.put(slices[next]!);
        this.#placeholder(codes[next]!, args[argStart + next]);
      }
      this.#out.put(slices[filled]!);
    } else {
      this.#printfTemplate(template, args, argStart, argCount);
      next = this.#filled;
    }
    // Arguments left over, each after a space (without a template, the first without one).
    for (; next < argCount; next++) {
      if (template !== undefined || next > 0) {
        this.#out.room(1);
        this.#out.scratch[this.#out.at++] = 0x20;
      }
      this.#asString(args[argStart + next]);
    }
    this.#out.ascii('"}\n');
  }

  /**
   * `,"msg":"` and the template with the placeholders it fills (#filled of them) filled in,
   * as formatMessage's loop: the second time in a row, the template is kept (#printf).
   */
  #printfTemplate(template: string, args: readonly unknown[], argStart: number, argCount: number): void {
    const marks = this.#marks;
    const codes = this.#codes;
    marks[0] = this.#out.at;
    this.#out.ascii(',"msg":"');
    let next = 0;
    const length = template.length;
    let copied = 0;
    let i = template.indexOf('%');
    while (i !== -1 && i + 1 < length) {
      const code = template.charCodeAt(i + 1);
      if (code === PERCENT) {
        this.#out.chars(template, copied, i + 1);
        copied = i + 2;
      } else if (next < argCount && isPlaceholder(code)) {
        this.#out.chars(template, copied, i);
        // A slice ends where a placeholder starts, and the next starts after its argument.
        marks[2 * next + 1] = this.#out.at;
        codes[next] = code;
        this.#placeholder(code, args[argStart + next]);
        next++;
        marks[2 * next] = this.#out.at;
        copied = i + 2;
      }
      i = template.indexOf('%', i + 2);
    }
    this.#out.chars(template, copied, length);
    marks[2 * next + 1] = this.#out.at;
    this.#filled = next;
    if (template !== this.#templateSeen || argCount !== this.#templateSeenArgs) {
      this.#templateSeen = template;
      this.#templateSeenArgs = argCount;
      return;
    }
    const slices: Uint8Array[] = [];
    for (let j = 0; j <= next; j++) slices.push(this.#out.scratch.slice(marks[2 * j], marks[2 * j + 1]));
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
        return this.#out.ascii('NaN');
      default: // j o O
        if (value === undefined) return this.#out.ascii('undefined');
        return this.#json(value, 0);
    }
  }

  /** printf.ts's asString. */
  #asString(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return value.length < LONG_STRING ? this.#out.chars(value, 0, value.length) : this.#out.long(value);
      case 'number':
        return this.#numberText(value);
      case 'bigint':
        this.#out.ascii(value.toString());
        return this.#out.ascii('n');
      case 'boolean':
        return this.#out.ascii(value ? 'true' : 'false');
      case 'undefined':
        return this.#out.ascii('undefined');
      case 'object':
        if (value === null) return this.#out.ascii('null');
        if (!Array.isArray(value) && !isPlain(value) && value instanceof Error) {
          // `${type}: ${message}`, two strings of the record.
          const message = value.message;
          if (typeof message !== 'string') throw REFUSED;
          const type = errorType(value);
          this.#out.chars(type, 0, type.length);
          this.#out.ascii(': ');
          return this.#out.chars(message, 0, message.length);
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
      this.#out.ascii(value.toString());
      return this.#out.ascii('n');
    }
    if (typeof value === 'object' && value !== null) {
      this.#checkOpaque(value);
      return this.#out.ascii('NaN');
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
      if (n === 0 && 1 / n < 0) return this.#out.ascii('-0');
      return this.#out.int(n);
    }
    this.#out.ascii(String(n));
  }

  /**
   * The JSON of `value` (appendJsonValue's, what #value writes for a field) as the characters
   * of a JSON string: written as JSON, then its quotes and backslashes escaped in place. That is
   * all the escaping it needs: #value's bytes hold no control character, no raw U+2028/9 and
   * no lone surrogate (each already written as an escape or as U+FFFD).
   */
  #json(value: unknown, depth: number): void {
    const from = this.#out.at;
    this.#out.value(value, depth);
    const end = this.#out.at;
    let scratch = this.#out.scratch;
    let count = 0;
    for (let p = from; p < end; p++) {
      const byte = scratch[p];
      if (byte === QUOTE || byte === BACKSLASH) count++;
    }
    if (count === 0) return;
    this.#out.room(count);
    scratch = this.#out.scratch;
    let write = end + count;
    for (let read = end; read > from; ) {
      const byte = scratch[--read]!;
      scratch[--write] = byte;
      if (byte === QUOTE || byte === BACKSLASH) scratch[--write] = BACKSLASH;
    }
    this.#out.at = end + count;
  }
}

/** `%s %d %i %f %j %o %O`: the placeholders printf.ts fills in (any other `%x` stays as written). */
function isPlaceholder(code: number): boolean {
  return code === 115 || code === 100 || code === 105 || code === 102 || code === 106 || code === 111 || code === 79;
}

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
 *   here (json-line-printf.ts), each template slice and argument escaped as the record's
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
 * With a redaction (record/redact.ts), the fields, the bindings and the printf arguments are
 * redacted as they are written (json-line-values.ts): a redacted value never reaches the line.
 *
 * This module is the line and the call: the record header, the line's start (level, time, the
 * process keys, the logger's context), the fields, the message and the end, and what is kept
 * between calls. The JSON of values and errors, and the scratch buffer the record is written
 * in, are json-line-values.ts's; printf messages json-line-printf.ts's; the escaping of strings
 * json-line-string.ts's.
 */
import { Flag, HEADER_BYTES, type Bytes, writeHeader } from '../record/descriptor.js';
import { copyBytes, copyText } from '../record/copy.js';
import { isOurs } from '../line/json-keys.js';
import { childOf, type Redaction } from '../record/redact.js';
import { PrintfWriter } from './json-line-printf.js';
import { hasOwn, isErrorKind, isPlain, JsonValueWriter, REFUSED } from './json-line-values.js';

/** What `encode()` returns for a call it leaves to the encoder. */
export const LINE_REFUSED = -1;

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** A logger's name and bindings as the line writes them, made once per logger. */
export interface LineContext {
  /**
   * `,"name":"api","worker":1`: after the process keys, before the fields. In a text line
   * (text-line.ts), the extras' opening with the bindings, ` {"worker":1`, or nothing.
   */
  readonly bytes: Uint8Array;
  /** The binding keys written, which a field must not repeat. */
  readonly keys: readonly string[];
  readonly hasName: boolean;
  /** Text lines: the name as each of the template's name fields writes it. */
  readonly names?: readonly Uint8Array[];
}

export class JsonLineEncoder {
  /** The scratch buffer the record is written in, and the JSON of values. */
  readonly #out = new JsonValueWriter();
  /** The message of printf calls, into the same buffer. */
  readonly #printf = new PrintfWriter(this.#out);
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
  readonly #threadId: number;

  constructor(processKeys: string, threadId: number, redaction?: Redaction) {
    this.#processKeys = Buffer.from(processKeys, 'utf8');
    this.#threadId = threadId;
    this.#out.redaction = redaction;
  }

  /** Copies the record encoded last, `bytes` long, to `offset` of `target`. */
  write(target: Bytes, offset: number, bytes: number): void {
    copyBytes(this.#out.bytes, 0, target, offset, bytes);
  }

  /** Copies the line of the record encoded last, `bytes` long (without the header), to `offset` of `target`. */
  writeLine(target: Bytes, offset: number, bytes: number): void {
    copyText(this.#out.bytes, HEADER_BYTES, target, offset, bytes);
  }

  /**
   * Renders a logger's name and bindings, or returns undefined when its records cannot be
   * lines (a binding named msg, a value this module refuses).
   */
  context(name: string | undefined, bindings: Readonly<Record<string, unknown>> | undefined): LineContext | undefined {
    const out = this.#out;
    const keys: string[] = [];
    const hasName = name !== undefined;
    const root = out.redaction?.root;
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
          // A binding `remove` leaves out is no binding: a field of its key clashes with nothing.
          if (out.field(key, value, 1, root)) keys.push(key);
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
        this.#printf.write(msg, args, argStart, argCount);
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
    writeHeader(out.bytes.view, 0, time, this.#threadId, level, Flag.LINE, 0);
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
    const root = out.redaction?.root;
    const record = fields as Record<string, unknown>;
    // for-in walks the own keys in Object.keys order from the map's enum cache, where
    // Object.keys allocates an array per call (56 bytes of garbage for one key).
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue;
      const value = record[key];
      if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
      if (bound.length > 0 && bound.includes(key)) throw REFUSED;
      out.field(key, value, 1, root);
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
    const root = out.redaction?.root;
    const errNode = root === undefined || !hasMsg ? undefined : childOf(root, 'err');
    // An error redacted whole gives no message: the encoder's way decides what the line says.
    if (errNode?.censored === true) throw REFUSED;
    let message: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = i === errAt ? err : record[key];
      if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
      if (bound.length > 0 && bound.includes(key)) throw REFUSED;
      if (i === errAt && hasMsg) {
        out.ascii(',"err":');
        message = out.error(value as Error, 1, errNode);
      } else {
        out.field(key, value, 1, root);
      }
    }
    return message;
  }
}

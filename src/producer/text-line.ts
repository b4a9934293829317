/**
 * Python-style text lines (line/text-format.ts), written by the producer straight from a log
 * call's values, as json-line.ts writes pino's JSON lines: when line lanes carry text lines
 * (handle.text), the common call becomes its finished line without being encoded, decoded or
 * rendered from bytes. Encoding a call and rendering its text from the encoding (text-bytes.ts)
 * cost a producer ~480 ns a record against ~330 this way, and made its bundle 60 KB larger.
 *
 * text-format.ts is the specification: the line is byte for byte what it writes for the record
 * the encoder would have made of the same call (property tests hold the two together). Taken:
 * `info(msg)`, `info(fields, msg)` and `info(fields)` of a logger whose context this module
 * took, with the template's fields other than keys (asctime in any datefmt, name, levelname,
 * message, thread, process, the numbers), and the extras as json-line-values.ts writes JSON.
 * Left to the encoder (LINE_REFUSED, and the call goes the encoded way, still a text line in the
 * lane, rendered by the producer with the general formatter):
 * - templates that name keys (`%(worker)s`), and redaction: the backend keeps record lanes for
 *   them (backend.ts, textLinesOf), and the consumer's byte renderer (text-bytes.ts);
 * - printf arguments; an error among the fields or bindings (its stack takes continuation
 *   lines); a field with the key of a binding; whatever json-line-values.ts refuses (Maps, class
 *   instances, depth, a key with a lone surrogate); extras holding DEL or a C1 control (the
 *   text's JSON escapes them, JSON lines do not); a second asctime cannot render.
 */
import { LINE_REFUSED, type LineContext } from './json-line.js';
import { HEADER_BYTES, type Bytes } from '../record/descriptor.js';
import { copyText } from '../record/copy.js';
import { escapeText } from '../line/text-escape.js';
import { createTextFormatter, type ResolvedTextFormat, type TextFormatContext } from '../line/text-format.js';
import type { LogRecord } from '../record/log-record.js';
import { putMillis, splitTime, type SecondText } from '../line/text-asctime.js';
import { compileSteps, S_ASCTIME, S_BYTES, S_KEY, S_LEVELS, S_MESSAGE, S_NAME, S_NUMBER, S_THREAD, type Step } from '../line/text-steps.js';
import { formatField, headerValue, ROOT_NAME } from '../line/text-values.js';
import { isErrorKind, isPlain, JsonValueWriter, REFUSED, hasOwn } from './json-line-values.js';

/** What a producer writing text lines needs: the writer from values, and the general formatter. */
export interface TextLines {
  /** Undefined when the template names keys, or with a redaction: every call is encoded then. */
  readonly encoder: TextLineEncoder | undefined;
  readonly format: (record: LogRecord) => string;
}

/**
 * The text lines of `format` for a producer thread. producer.ts reaches this module through a
 * namespace import, so that the bundle runs it, and the text formats, only in a thread that
 * writes text lines (build/bundle-entry.mjs).
 */
export function textLinesFor(format: ResolvedTextFormat, context: TextFormatContext, threadId: number, redacted: boolean): TextLines {
  return { encoder: redacted ? undefined : TextLineEncoder.for(format, context, threadId), format: createTextFormatter(format, context) };
}

export class TextLineEncoder {
  /** The scratch buffer the line is written in (after HEADER_BYTES, as json-line.ts's), and the JSON of the extras. */
  readonly #out = new JsonValueWriter();
  readonly #steps: readonly Step[];
  readonly #startSteps: number;
  readonly #extras: boolean;
  /** S_THREAD steps' text for this thread, by step index. */
  readonly #threadTexts: (Uint8Array | undefined)[];
  readonly #threadId: number;
  /** The line start left in the scratch from the last call, and what it was made of. */
  #startContext: LineContext | undefined;
  #startLevel = -1;
  #startSecond = Number.NaN;
  #startBytes = 0;
  /** Where the start's millisecond digits are, in the scratch, and which digit each is (putMillis). */
  #digitAt = new Int32Array(0);
  #digitOf = new Uint8Array(0);
  /** The same, while a start is written. */
  readonly #digitsAt: number[] = [];
  readonly #digitsOf: number[] = [];
  /** The time of the last call, and its second (NaN past what a Date holds) and millisecond. */
  #time = Number.NaN;
  readonly #split = { second: Number.NaN, milli: 0 };
  /** The last message, the step it was written for (its spec), and its text's bytes. */
  #msg: string | undefined;
  #msgStep: Step | undefined;
  #msgBytes = new Uint8Array(0);

  /** Undefined when the template names keys: then every call is encoded (see the top). */
  static for(format: ResolvedTextFormat, context: TextFormatContext, threadId: number): TextLineEncoder | undefined {
    const compiled = compileSteps(format, context);
    if (compiled.steps.some((step) => step.kind === S_KEY)) return undefined;
    return new TextLineEncoder(compiled.steps, compiled.startSteps, format.extras === 'json', threadId);
  }

  private constructor(steps: readonly Step[], startSteps: number, extras: boolean, threadId: number) {
    this.#steps = steps;
    this.#startSteps = startSteps;
    this.#extras = extras;
    this.#threadId = threadId;
    this.#threadTexts = steps.map((step) =>
      step.kind === S_THREAD ? Buffer.from(formatField(headerValue(step.source, 0, 0, threadId), step.spec), 'utf8') : undefined,
    );
  }

  /** Copies the line of the call encoded last, `bytes` long, to `offset` of `target`. */
  writeLine(target: Bytes, offset: number, bytes: number): void {
    copyText(this.#out.bytes, HEADER_BYTES, target, offset, bytes);
  }

  /**
   * A logger's name for each name field, and the extras' opening with its bindings
   * (` {"k":v,...`, empty without bindings), or undefined when its records are encoded (an error
   * among the bindings, a value refused, DEL or a C1 control in them).
   */
  context(name: string | undefined, bindings: Readonly<Record<string, unknown>> | undefined): LineContext | undefined {
    const named = name === undefined ? ROOT_NAME : name.toWellFormed();
    const names = this.#steps.filter((step) => step.kind === S_NAME).map((step) => Buffer.from(formatField(named, step.spec), 'utf8'));
    const out = this.#out;
    const keys: string[] = [];
    out.at = 0;
    out.limit = Number.MAX_SAFE_INTEGER;
    try {
      if (bindings !== undefined) {
        for (const key of Object.keys(bindings)) {
          const value = bindings[key];
          if (value === undefined) continue;
          if (isErrorKind(value)) return undefined;
          if (this.#extras) out.field(key, value, 1, undefined);
          keys.push(key);
        }
      }
    } catch {
      return undefined;
    } finally {
      this.#startContext = undefined;
    }
    const members = out.scratch.slice(0, out.at);
    if (hasEscapedControl(members, 0, members.length)) return undefined;
    // ` {"k":v,...`: the extras' opening with the bindings, as each call writes it.
    const bytes = members.length === 0 ? members : Uint8Array.of(0x20, 0x7b, ...members.subarray(1));
    return { bytes, keys, hasName: name !== undefined, names };
  }

  /**
   * The line of `info(fields, msg)` in the scratch buffer from HEADER_BYTES: returns
   * HEADER_BYTES plus its byte length, at most `limit`, or LINE_REFUSED.
   */
  encode(
    limit: number,
    level: number,
    time: number,
    context: LineContext,
    msg: string | undefined,
    fields: object | undefined,
    _args?: readonly unknown[],
    _argStart?: number,
    argCount = 0,
  ): number {
    if (argCount > 0) return LINE_REFUSED;
    const out = this.#out;
    out.limit = limit;
    try {
      // A thread's calls within one millisecond share their time: split it once.
      if (time !== this.#time) {
        this.#time = time;
        if (!splitTime(time, this.#split)) this.#split.second = Number.NaN;
      }
      const { second, milli } = this.#split;
      const steps = this.#steps;
      this.#start(context, level, second, milli);
      for (let s = this.#startSteps; s < steps.length; s++) this.#step(s, context, level, time, second, milli, msg);
      if (fields !== undefined) this.#fields(fields, context);
      else if (this.#extras && context.bytes.length > 0) this.#extrasOf(undefined, context);
      out.room(1);
      out.scratch[out.at++] = 0x0a;
      return out.at;
    } catch {
      // REFUSED, or a getter or Proxy trap that threw: the encoder reads the values its own way.
      return LINE_REFUSED;
    }
  }

  /**
   * The steps before the first that changes per call (text-steps.ts's start): left in place
   * from the last call when that was of the same logger, level and second, as most calls are;
   * then only the millisecond digits are written.
   */
  #start(context: LineContext, level: number, second: number, milli: number): void {
    const out = this.#out;
    if (context === this.#startContext && level === this.#startLevel && second === this.#startSecond) {
      out.at = this.#startBytes;
      putMillis(out.scratch, 0, this.#digitAt, this.#digitOf, this.#digitAt.length, milli);
      return;
    }
    this.#startContext = undefined;
    this.#digitsAt.length = 0;
    this.#digitsOf.length = 0;
    out.at = HEADER_BYTES;
    for (let s = 0; s < this.#startSteps; s++) this.#step(s, context, level, 0, second, milli, undefined, true);
    this.#digitAt = Int32Array.from(this.#digitsAt);
    this.#digitOf = Uint8Array.from(this.#digitsOf);
    this.#startContext = context;
    this.#startLevel = level;
    this.#startSecond = second;
    this.#startBytes = out.at;
  }

  /** Writes step `s`; `start`: it is part of the line start (its digits are remembered). */
  #step(s: number, context: LineContext, level: number, time: number, second: number, milli: number, msg: string | undefined, start = false): void {
    const out = this.#out;
    const step = this.#steps[s]!;
    switch (step.kind) {
      case S_BYTES:
        return out.put(step.bytes);
      case S_LEVELS:
        return out.put(step.levels[level]!);
      case S_NAME:
        return out.put(context.names![step.slot]!);
      case S_THREAD:
        return out.put(this.#threadTexts[s]!);
      case S_ASCTIME: {
        if (Number.isNaN(second)) throw REFUSED;
        const text: SecondText = step.asctime!.textFor(second);
        if (!text.usable) throw REFUSED;
        const at = out.at;
        out.put(text.bytes);
        putMillis(out.scratch, at, text.digitAt, text.digitOf, text.digitAt.length, milli);
        if (start) {
          for (let k = 0; k < text.digitAt.length; k++) {
            this.#digitsAt.push(at + text.digitAt[k]!);
            this.#digitsOf.push(text.digitOf[k]!);
          }
        }
        return;
      }
      case S_MESSAGE:
        return this.#message(step, msg);
      case S_NUMBER:
        return this.#text(formatField(headerValue(step.source, level, time, this.#threadId), step.spec));
      default:
        throw REFUSED;
    }
  }

  /** The message under the step's spec: messageOf's `msg`, '' without one (errors are refused). */
  #message(step: Step, msg: string | undefined): void {
    const out = this.#out;
    if (msg !== undefined && msg === this.#msg && step === this.#msgStep) return out.put(this.#msgBytes);
    const from = out.at;
    // A lone surrogate is U+FFFD in the record (its UTF-8): `!r` and widths must see that.
    const message = msg === undefined ? '' : msg.isWellFormed() ? msg : msg.toWellFormed();
    this.#text(step.spec === undefined ? escapeText(message) : formatField(message, step.spec));
    if (msg === undefined) return;
    this.#msg = msg;
    this.#msgStep = step;
    this.#msgBytes = out.scratch.slice(from, out.at);
  }

  /** `text` as UTF-8 (a lone surrogate, from a number's formatting never, would be U+FFFD). */
  #text(text: string): void {
    const out = this.#out;
    const length = text.length;
    out.room(3 * length);
    const scratch = out.scratch;
    let at = out.at;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        out.at = at + out.bytes.buffer.write(text.slice(i), at, 'utf8');
        return;
      }
      scratch[at++] = code;
    }
    out.at = at;
  }

  /** The merging object: checked for errors and clashes with bindings, and written as extras. */
  #fields(fields: object, context: LineContext): void {
    if (!isPlain(fields)) throw REFUSED;
    this.#extrasOf(fields as Record<string, unknown>, context);
  }

  /**
   * ` {"k":v,...}`: the bindings (the context's opening), then the fields, as text-format.ts
   * writes the extras; nothing when there are none, or when the format has none (the fields
   * are still checked).
   */
  #extrasOf(fields: Record<string, unknown> | undefined, context: LineContext): void {
    const out = this.#out;
    const extras = this.#extras;
    const opening = context.bytes;
    // Without bindings the first field's comma opens the object, after a space.
    const mark = out.at;
    if (extras) {
      if (opening.length > 0) {
        out.put(opening);
      } else {
        out.room(1);
        out.scratch[out.at++] = 0x20;
      }
    }
    const from = out.at;
    const bound = context.keys;
    if (fields !== undefined) {
      // for-in, as json-line.ts: the own keys in Object.keys order without an array per call.
      for (const key in fields) {
        if (!hasOwn.call(fields, key)) continue;
        const value = fields[key];
        if (value === undefined) continue;
        if (isErrorKind(value)) throw REFUSED;
        // A loop, not includes(): one or two keys, compared by identity mostly.
        for (let b = 0; b < bound.length; b++) if (bound[b] === key) throw REFUSED;
        if (extras) out.field(key, value, 1, undefined);
      }
    }
    if (!extras) return;
    if (hasEscapedControl(out.scratch, from, out.at)) throw REFUSED;
    if (opening.length === 0) {
      if (out.at === from) {
        out.at = mark;
        return;
      }
      out.scratch[from] = 0x7b;
    }
    out.room(1);
    out.scratch[out.at++] = 0x7d;
  }
}

/**
 * Whether `bytes[from .. to)` holds DEL or a C1 control (U+0080-U+009F: C2 80-9F in UTF-8),
 * which the text's JSON escapes (text-escape.ts, jsonSafe) and json-line-values.ts does not.
 */
function hasEscapedControl(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const byte = bytes[i]!;
    if (byte === 0x7f || (byte === 0xc2 && bytes[i + 1]! < 0xa0)) return true;
  }
  return false;
}

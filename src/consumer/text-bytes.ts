/**
 * Text lines (text-format.ts) rendered straight from a record's bytes to the line's bytes, as
 * json-bytes.ts does for the JSON line: no LogRecord, no JavaScript strings per record.
 *
 * text-format.ts is the specification: for every record this renderer takes, it writes exactly
 * the bytes createTextFormatter's line encodes to as UTF-8 (a property test holds the two
 * together). The template is compiled once into a list of steps, each writing bytes:
 * - literal text, joined with the fields that depend only on the level (levelname, level,
 *   levelno, their padding) and those that never change (process, pid, hostname): one copy
 *   per level, made when the renderer is built;
 * - asctime: the datefmt's text for the record's second, made once per distinct second by the
 *   general date formatter (strftime.ts) and the field's spec, with the places of the
 *   millisecond digits found by rendering the same second at two milliseconds; a record costs
 *   a copy and three digits. Any datefmt, local time or UTC;
 * - name ('root' without one), rendered once per logger context (context-cache.ts) with its
 *   padding, beside the context's bindings rendered as extras;
 * - message and the string values of keys the template names: escaped (text-escape.ts) from
 *   the record's UTF-8, padded by UTF-16 units as text-format.ts pads; a spec with a precision
 *   or `r` goes through a string and the formatter's rules;
 * - thread, threadName (kept for the last thread id), created, msecs, time, and keys whose
 *   value is not a string: through the formatter's rules on the JavaScript value;
 * - the extras: bindings, then fields, not named by the template, as one compact JSON object
 *   (appendJsonValue's JSON, with jsonSafe's escapes of DEL and the C1 controls).
 * The steps before the first that changes per record (in the usual templates: asctime, name,
 * the padded level) are kept rendered per context, level, second and thread, with the places
 * of their millisecond digits and the extras' opening beside them (LineStart): most of a
 * line is then one copy by words, three digits, the message (copied four bytes at a time
 * where it needs no escaping) and the fields.
 *
 * It leaves to the general formatter (NOT_RENDERED): printf arguments; errors anywhere in the
 * record (their continuation lines); a field that shadows a binding written in the extras; a
 * key holding U+FFFD (lone surrogates made it, and keys may then have collided); a name or
 * merging value of an unexpected type; a time the Date cannot hold; a datefmt rendering longer
 * than its bound; anything that does not parse (the general path counts it as failed).
 */
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../shared/codec.js';
import type { Value } from '../shared/record.js';
import { ContextCache, CONTEXT_ENTRIES, CONTEXT_INTS, RENDERED_MAX_BYTES, type ContextEntry } from './context-cache.js';
import { decodeValues } from './decoder.js';
import { NOT_RENDERED } from './json-bytes.js';
import type { JsonFormatContext } from './json-format.js';
import { createDateFormatter } from './strftime.js';
import { escapeText } from './text-escape.js';
import type { ResolvedTextFormat } from './text-format.js';
import { parseTemplate, type FieldSpec } from './text-template.js';
import {
  ASCTIME, formatField, headerValue, HOSTNAME, KEY, LEVEL, LEVELNAME, LEVELNO, MESSAGE, NAME, pad, PROCESS, ROOT_NAME, SOURCES, THREAD, THREAD_NAME,
} from './text-values.js';

export { NOT_RENDERED };

/** Returned by the walks when the record is not one this renderer takes. */
const BAIL = -1;
/** Returned by a key lookup that found nothing (or only undefined). */
const NOT_FOUND = -2;

/**
 * The most bytes a record byte becomes where the record's data is written: `\u00XX` for a
 * control character in JSON, `,false` for a FALSE in an array; text escapes take fewer.
 */
const EXPANSION = 6;
/** A field written from a number (created, time, a key's number under `d` or `f`) takes at most this, before padding. */
const NUMBER_MAX_BYTES = 512;
/** Bindings whose keys are remembered for the shadowing check; a context with more goes the general way. */
const MAX_BINDINGS = 64;
/** Copies longer than this go through one native set(); shorter ones through a loop. */
const NATIVE_COPY_FROM = 64;
/** The largest time a Date holds, less a second: the second's rendering must be a valid Date too. */
const TIME_LIMIT = 8.64e15 - 1000;

// Step kinds.
const S_BYTES = 0;
const S_LEVELS = 1;
const S_ASCTIME = 2;
const S_NAME = 3;
const S_MESSAGE = 4;
const S_THREAD = 5;
const S_NUMBER = 6;
const S_KEY = 7;
/** Steps whose bytes depend on the context, level, second and thread alone: a line's start. */
const STARTS: ReadonlySet<number> = new Set([S_BYTES, S_LEVELS, S_ASCTIME, S_NAME, S_THREAD]);

/** One step of a compiled template; one class, so that the loop over steps stays monomorphic. */
class Step {
  /** S_BYTES: the bytes; S_THREAD: the last thread's; S_KEY: the `missing` text, padded. */
  bytes: Uint8Array = EMPTY;
  /** S_LEVELS: the bytes for each level 0-255. */
  levels: readonly Uint8Array[] = [];
  /** The field's source (KEY, ASCTIME, ...) and spec. */
  source = KEY;
  spec: FieldSpec | undefined = undefined;
  /** The spec is written from escaped bytes and padding alone (no precision, not `r`). */
  simple = true;
  width = 0;
  /** 0 left, 1 right, 2 centre. */
  align = 0;
  fill: Uint8Array = SPACE;
  /** S_NAME: which of the context's name renderings. */
  slot = 0;
  /** S_KEY: the key as UTF-8, and whether a record key can equal it at all (lone surrogates: never). */
  key: Uint8Array = EMPTY;
  findable = true;
  /** S_THREAD: the thread id `bytes` is for. */
  thread = -1;
  /** S_ASCTIME: the renderings of the last two seconds, the last used first. */
  text = new AsctimeText();
  other = new AsctimeText();
  /** The most bytes this step writes, beyond EXPANSION per record byte. */
  maxBytes = 0;
  constructor(readonly kind: number) {}
}

/** asctime's text for one second, and where its millisecond digits go. */
class AsctimeText {
  /** NaN: none yet. */
  second = Number.NaN;
  /** Whether `bytes` can be used for `second` (false: its rendering was unexpected or too long). */
  usable = false;
  bytes: Uint8Array = EMPTY;
  digitAt = new Int32Array(0);
  /** Per entry of digitAt: 0 hundreds, 1 tens, 2 units. */
  digitOf = new Uint8Array(0);
}

/**
 * A line's start as rendered for one context entry, level, second and thread (the steps
 * before the first that changes per record), with the places of its millisecond digits; and
 * the extras' opening, ` {` and the bindings, word-aligned after it.
 */
class LineStart {
  entry: ContextEntry | undefined = undefined;
  level = -1;
  second = Number.NaN;
  thread = -1;
  ready = false;
  bytes = new Uint8Array(256);
  words = new Int32Array(this.bytes.buffer);
  length = 0;
  openAt = 0;
  openLength = 0;
  digits = 0;
  digitAt = new Int32Array(8);
  digitOf = new Uint8Array(8);

  addDigit(at: number, which: number): void {
    if (this.digits === this.digitAt.length) {
      const digitAt = new Int32Array(this.digits * 2);
      const digitOf = new Uint8Array(this.digits * 2);
      digitAt.set(this.digitAt);
      digitOf.set(this.digitOf);
      this.digitAt = digitAt;
      this.digitOf = digitOf;
    }
    this.digitAt[this.digits] = at;
    this.digitOf[this.digits] = which;
    this.digits++;
  }
}

/** Line starts kept: as many as contexts. */
const LINE_STARTS = CONTEXT_ENTRIES;
/** Int32Array elements are in the machine's byte order; a DataView is told which that is. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const EMPTY = new Uint8Array(0);
const SPACE = Uint8Array.of(0x20);

// The layout of a context's integers (an entry's `ints`, or the scratch ones on a miss).
/** Flags: CONTEXT_BAILS. */
const I_FLAGS = 0;
/** Where the bindings' extras (`"k":v,"k2":v2`, no braces) are in the rendering, and their length. */
const I_FRAGMENT = 1;
const I_FRAGMENT_LENGTH = 2;
/** The bindings object's tag, from the context's start; -1 without bindings. */
const I_BINDINGS_AT = 3;
/** How many binding keys follow the name renderings (start from the context's start, length). */
const I_BOUND = 4;
/** Per name slot: start and length of its rendering. */
const I_NAMES = 5;
/** The context holds what this renderer does not take: every record of it goes the general way. */
const CONTEXT_BAILS = 1;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const HEX = ascii('0123456789abcdef');
/** Short escapes JSON.stringify uses for these control characters; the rest are \u00XX. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

/**
 * 1 for a UTF-8 byte a text field takes as it is (text-escape.ts). Not: the C0 controls and
 * DEL; 0xC2, which may start a C1 control (C2 80 - C2 9F); 0xE2, which may start U+2028/9.
 */
const TEXT_PLAIN = new Uint8Array(256);
for (let byte = 0x20; byte < 256; byte++) TEXT_PLAIN[byte] = 1;
for (const byte of [0x7f, 0xc2, 0xe2]) TEXT_PLAIN[byte] = 0;

/**
 * 1 for a UTF-8 byte a JSON string of the extras takes as it is. Not: controls, `"` and `\`;
 * DEL and 0xC2 (jsonSafe escapes DEL and C1); 0xE2 (U+2028/9); 0xEF, which may start U+FFFD.
 */
const JSON_PLAIN = new Uint8Array(256);
for (let byte = 0x20; byte < 256; byte++) JSON_PLAIN[byte] = 1;
for (const byte of [QUOTE, BACKSLASH, 0x7f, 0xc2, 0xe2, 0xef]) JSON_PLAIN[byte] = 0;

export class TextLineRenderer {
  /** The line of the last `render()`: `output[0 .. render()'s result)`. */
  output: Bytes = bytesOver(Buffer.allocUnsafe(4096));
  readonly #steps: readonly Step[];
  readonly #extras: boolean;
  /** The template's keys as UTF-8 (well-formed ones only): left out of the extras. */
  readonly #usedKeys: readonly Uint8Array[];
  readonly #nameSlots: readonly Step[];
  /** Root's rendering per name slot. */
  readonly #rootNames: readonly Uint8Array[];
  /** Where the binding keys start in a context's integers. */
  readonly #keysAt: number;
  readonly #formatDate: (ms: number) => string;
  readonly #fixedBytes: number;
  /** How many times the record's data may be written (fields naming it, and the extras). */
  readonly #dataFactor: number;

  /** How many steps make a line's start (see LineStart), and whether it depends on the second or the thread. */
  readonly #startSteps: number;
  readonly #startSecond: boolean;
  readonly #startThread: boolean;
  readonly #hasAsctime: boolean;
  readonly #starts: LineStart[] = Array.from({ length: LINE_STARTS }, () => new LineStart());
  #lastStart = 0;
  #nextStart = 0;
  /** While a line start is rendered: where its millisecond digits go are noted in it. */
  #capture: LineStart | undefined = undefined;
  #captureStart = 0;

  // The record at hand.
  #level = 0;
  #time = 0;
  #thread = 0;
  #second = 0;
  #milli = 0;
  #msgStart = -1;
  #msgBytes = 0;
  #fieldsAt = -1;
  #fieldCount = 0;

  #out: Uint8Array = EMPTY;
  #outFor: Uint8Array | undefined = undefined;
  #outView: DataView = new DataView(new ArrayBuffer(0));
  #at = 0;
  #source: Bytes = bytesOver(EMPTY);
  #src: Uint8Array = EMPTY;
  #view: DataView = new DataView(new ArrayBuffer(0));
  #end = 0;
  /** The context's rendering and integers for the record at hand (an entry's, or the scratch). */
  #ctx: Uint8Array = EMPTY;
  #ctxInts: Int32Array;
  #contextAt = 0;
  /** Where a miss renders the context. */
  #scratch = new Uint8Array(4096);
  #scratchView = new DataView(this.#scratch.buffer);
  readonly #scratchInts: Int32Array;
  /** Set by `#json` when it copied U+FFFD (EF BF BD). */
  #replaced = false;
  /** Set by `#members`: it wrote a member. */
  #wrote = false;
  readonly #contexts = new ContextCache();

  constructor(options: ResolvedTextFormat, context: JsonFormatContext) {
    this.#extras = options.extras === 'json';
    this.#formatDate = createDateFormatter(options.datefmt, options.utc);
    const parts = parseTemplate(options.template, options.style);
    const steps: Step[] = [];
    const usedKeys: Uint8Array[] = [];
    const nameSlots: Step[] = [];
    /** Text and per-level pieces not yet made a step: one function of the level each. */
    let pending: ((level: number) => string)[] = [];
    let pendingLevels = false;
    let dataFactor = this.#extras ? 1 : 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      const pieces = pending;
      const join = (level: number): Uint8Array => Buffer.from(pieces.map((piece) => piece(level)).join(''), 'utf8');
      let step: Step;
      if (pendingLevels) {
        step = new Step(S_LEVELS);
        step.levels = Array.from({ length: 256 }, (_, level) => join(level));
        step.maxBytes = Math.max(...step.levels.map((bytes) => bytes.length));
      } else {
        step = new Step(S_BYTES);
        step.bytes = join(0);
        step.maxBytes = step.bytes.length;
      }
      steps.push(step);
      pending = [];
      pendingLevels = false;
    };
    const hostname = escapeText(context.hostname);
    for (const part of parts) {
      if (typeof part === 'string') {
        pending.push(() => part);
        continue;
      }
      const source = SOURCES.get(part.name) ?? KEY;
      const spec = part.spec;
      switch (source) {
        case LEVELNAME:
        case LEVEL:
        case LEVELNO:
          pending.push((level) => formatField(headerValue(source, level, 0, 0), spec));
          pendingLevels = true;
          continue;
        case PROCESS: {
          const text = formatField(context.pid, spec);
          pending.push(() => text);
          continue;
        }
        case HOSTNAME: {
          const text = formatField(hostname, spec);
          pending.push(() => text);
          continue;
        }
      }
      flush();
      const kind =
        source === ASCTIME ? S_ASCTIME
        : source === NAME ? S_NAME
        : source === MESSAGE ? S_MESSAGE
        : source === THREAD || source === THREAD_NAME ? S_THREAD
        : source === KEY ? S_KEY
        : S_NUMBER;
      const step = new Step(kind);
      step.source = source;
      step.spec = spec;
      if (spec !== undefined) {
        step.simple = spec.type !== 'r' && (spec.precision === undefined || spec.type === 'f');
        step.width = spec.width;
        step.align = spec.align === '>' ? 1 : spec.align === '^' ? 2 : 0;
        step.fill = Buffer.from(spec.fill, 'utf8');
      }
      const padding = 4 * step.width;
      switch (kind) {
        case S_ASCTIME: {
          // Generous for any pattern: every pattern character 8 characters of 3 bytes.
          const datefmt = options.datefmt ?? '%Y-%m-%d %H:%M:%S,000';
          step.maxBytes = 64 + 24 * datefmt.length + padding;
          break;
        }
        case S_NAME:
          step.slot = nameSlots.length;
          nameSlots.push(step);
          step.maxBytes = 16 + padding;
          dataFactor++;
          break;
        case S_MESSAGE:
          step.maxBytes = 16 + padding;
          dataFactor++;
          break;
        case S_KEY: {
          step.findable = part.name.isWellFormed();
          step.key = Buffer.from(part.name, 'utf8');
          if (step.findable) usedKeys.push(step.key);
          step.bytes = Buffer.from(spec === undefined ? options.missing : pad(options.missing, spec, false), 'utf8');
          step.maxBytes = NUMBER_MAX_BYTES + 16 + step.bytes.length + padding;
          dataFactor++;
          break;
        }
        default:
          step.maxBytes = NUMBER_MAX_BYTES + padding;
      }
      steps.push(step);
    }
    flush();
    this.#steps = steps;
    this.#usedKeys = usedKeys;
    this.#nameSlots = nameSlots;
    this.#rootNames = nameSlots.map((step) => Buffer.from(formatField(ROOT_NAME, step.spec), 'utf8'));
    this.#keysAt = I_NAMES + 2 * nameSlots.length;
    this.#scratchInts = new Int32Array(this.#keysAt + 2 * MAX_BINDINGS);
    this.#ctxInts = this.#scratchInts;
    this.#dataFactor = Math.max(1, dataFactor);
    let startSteps = 0;
    while (startSteps < steps.length && STARTS.has(steps[startSteps]!.kind)) startSteps++;
    this.#startSteps = startSteps;
    this.#startSecond = steps.slice(0, startSteps).some((step) => step.kind === S_ASCTIME);
    this.#startThread = steps.slice(0, startSteps).some((step) => step.kind === S_THREAD);
    this.#hasAsctime = steps.some((step) => step.kind === S_ASCTIME);
    // The steps, ` {`, `}` and `\n`.
    this.#fixedBytes = steps.reduce((sum, step) => sum + step.maxBytes, 0) + 8;
  }

  /** The most bytes the line of a record of `length` bytes can take. */
  maxLineBytes(length: number): number {
    return this.#fixedBytes + EXPANSION * this.#dataFactor * length;
  }

  /** Renders the record at `index` into `output`; returns its byte length or NOT_RENDERED. */
  render(source: Bytes, index: number, length: number): number {
    const bound = this.maxLineBytes(length);
    if (bound > this.output.u8.length) {
      let size = this.output.u8.length * 2;
      while (size < bound) size *= 2;
      this.output = bytesOver(Buffer.allocUnsafe(size));
    }
    return this.renderInto(source, index, length, this.output.u8, 0);
  }

  /**
   * Renders the record at `index` into `out` from `start`, where at least `maxLineBytes(length)`
   * bytes must be free; returns the line's byte length, or NOT_RENDERED (then what was written
   * past `start` means nothing).
   */
  renderInto(source: Bytes, index: number, length: number, out: Uint8Array, start: number): number {
    if (length < HEADER_BYTES) return NOT_RENDERED;
    const { u8, view } = source;
    if (view.getUint16(index + RecordOffset.ARG_COUNT, true) !== 0) return NOT_RENDERED;
    const flags = u8[index + RecordOffset.FLAGS]!;
    if ((flags & Flag.LINE) !== 0) return NOT_RENDERED;
    this.#source = source;
    this.#src = u8;
    this.#view = view;
    const end = index + length;
    this.#end = end;

    const level = u8[index + RecordOffset.LEVEL]!;
    const time = view.getFloat64(index + RecordOffset.TIME, true);
    const thread = view.getUint32(index + RecordOffset.THREAD_ID, true);
    this.#level = level;
    this.#time = time;
    this.#thread = thread;
    if (this.#hasAsctime) {
      if (!(time >= -TIME_LIMIT && time <= TIME_LIMIT)) return NOT_RENDERED;
      // As `new Date(time)`: the time is truncated to whole milliseconds.
      const ms = Math.trunc(time);
      let second = Math.floor(ms / 1000);
      let milli = ms - second * 1000;
      // The division may round up near a second's end.
      if (milli < 0) {
        second--;
        milli += 1000;
      } else if (milli >= 1000) {
        second++;
        milli -= 1000;
      }
      this.#second = second;
      this.#milli = milli;
    }

    // The context: name and bindings, rendered before or now.
    let p = index + HEADER_BYTES;
    this.#contextAt = p;
    const entry = this.#contexts.find(u8, p, end);
    if (entry !== undefined) {
      if ((entry.ints[I_FLAGS]! & CONTEXT_BAILS) !== 0) return NOT_RENDERED;
      this.#ctx = entry.rendered;
      this.#ctxInts = entry.ints;
      p += entry.keyLength;
    } else {
      p = this.#context(p);
      if (p === BAIL) return NOT_RENDERED;
    }

    if (p + 5 <= end && u8[p] === Tag.STRING) {
      const msgBytes = view.getUint32(p + 1, true);
      this.#msgStart = p + 5;
      this.#msgBytes = msgBytes;
      p += 5 + msgBytes;
      if (p > end) return NOT_RENDERED;
    } else if (p < end && u8[p] === Tag.UNDEFINED) {
      this.#msgStart = -1;
      this.#msgBytes = 0;
      p++;
    } else {
      return NOT_RENDERED;
    }

    let fieldsAt = -1;
    let fieldCount = 0;
    if ((flags & Flag.HAS_FIELDS) !== 0) {
      if (p + 5 > end || u8[p] !== Tag.OBJECT) return NOT_RENDERED;
      fieldCount = view.getUint32(p + 1, true);
      fieldsAt = p + 5;
    }
    this.#fieldsAt = fieldsAt;
    this.#fieldCount = fieldCount;

    if (out !== this.#outFor) {
      this.#outFor = out;
      this.#outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    }
    this.#out = out;
    this.#at = start;
    const steps = this.#steps;
    let s = 0;
    let lineStart: LineStart | undefined;
    if (entry !== undefined) {
      // The line's start (the steps before the first that changes per record) and the extras'
      // opening, kept per context, level, second and thread: one copy, and the milliseconds.
      lineStart = this.#lineStart(entry, this.#startSecond ? this.#second : 0, this.#startThread ? thread : 0);
      if (lineStart.ready) {
        this.#copyWords(lineStart, 0, lineStart.length);
        const count = lineStart.digits;
        if (count > 0) {
          const milli = this.#milli;
          const tenths = (milli / 10) | 0;
          const hundreds = (milli / 100) | 0;
          const d0 = 0x30 + hundreds;
          const d1 = 0x30 + tenths - hundreds * 10;
          const d2 = 0x30 + milli - tenths * 10;
          const digitAt = lineStart.digitAt;
          const digitOf = lineStart.digitOf;
          for (let k = 0; k < count; k++) {
            const which = digitOf[k]!;
            out[start + digitAt[k]!] = which === 0 ? d0 : which === 1 ? d1 : d2;
          }
        }
        s = this.#startSteps;
      } else {
        lineStart.digits = 0;
        this.#capture = lineStart;
        this.#captureStart = start;
        for (; s < this.#startSteps; s++) {
          if (!this.#step(steps[s]!)) {
            this.#capture = undefined;
            return NOT_RENDERED;
          }
        }
        this.#capture = undefined;
        this.#keepStart(lineStart, start);
      }
    }
    for (; s < steps.length; s++) if (!this.#step(steps[s]!)) return NOT_RENDERED;

    // The extras, and the rest of the record checked.
    if (this.#extras) {
      const at0 = this.#at;
      const ints = this.#ctxInts;
      const fragmentLength = ints[I_FRAGMENT_LENGTH]!;
      if (lineStart !== undefined) {
        this.#copyWords(lineStart, lineStart.openAt, lineStart.openLength);
      } else {
        out[this.#at++] = 0x20;
        out[this.#at++] = 0x7b;
        if (fragmentLength > 0) this.#put(this.#ctx, ints[I_FRAGMENT]!, fragmentLength);
      }
      this.#wrote = fragmentLength > 0;
      if (fieldsAt >= 0) p = this.#members(fieldsAt, fieldCount, FIELDS);
      if (this.#wrote) out[this.#at++] = 0x7d;
      else this.#at = at0;
    } else if (fieldsAt >= 0) {
      p = this.#checkMembers(fieldsAt, fieldCount);
    }
    if (p !== end) return NOT_RENDERED;
    out[this.#at++] = 0x0a;
    return this.#at - start;
  }

  /** Writes one step of the template for the record at hand; false when the record goes the general way. */
  #step(step: Step): boolean {
    switch (step.kind) {
      case S_BYTES:
        this.#put(step.bytes, 0, step.bytes.length);
        return true;
      case S_LEVELS: {
        const bytes = step.levels[this.#level]!;
        this.#put(bytes, 0, bytes.length);
        return true;
      }
      case S_ASCTIME:
        return this.#asctime(step);
      case S_NAME: {
        const ints = this.#ctxInts;
        const at = I_NAMES + 2 * step.slot;
        this.#put(this.#ctx, ints[at]!, ints[at + 1]!);
        return true;
      }
      case S_MESSAGE:
        this.#stringField(step, this.#msgStart, this.#msgBytes);
        return true;
      case S_THREAD: {
        const thread = this.#thread;
        if (step.thread !== thread) {
          step.bytes = Buffer.from(formatField(headerValue(step.source, 0, 0, thread), step.spec), 'utf8');
          step.thread = thread;
        }
        this.#put(step.bytes, 0, step.bytes.length);
        return true;
      }
      case S_NUMBER: {
        this.#text(formatField(headerValue(step.source, 0, this.#time, 0), step.spec));
        return true;
      }
      default:
        return this.#keyField(step, this.#fieldsAt, this.#fieldCount);
    }
  }

  // ---- line starts -------------------------------------------------------------------------------

  /** The line start for the record's context entry and these keys: one kept, or one claimed (not ready). */
  #lineStart(entry: ContextEntry, second: number, thread: number): LineStart {
    const starts = this.#starts;
    const level = this.#level;
    const last = starts[this.#lastStart]!;
    if (last.entry === entry && last.level === level && last.second === second && last.thread === thread) return last;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i]!;
      if (start.entry === entry && start.level === level && start.second === second && start.thread === thread) {
        this.#lastStart = i;
        return start;
      }
    }
    const index = this.#nextStart;
    this.#nextStart = (index + 1) % starts.length;
    this.#lastStart = index;
    const start = starts[index]!;
    start.entry = entry;
    start.level = level;
    start.second = second;
    start.thread = thread;
    start.ready = false;
    return start;
  }

  /** Keeps `out[from .. #at)`, the start just rendered, and the extras' opening in `start`. */
  #keepStart(start: LineStart, from: number): void {
    const length = this.#at - from;
    const ints = this.#ctxInts;
    const fragmentLength = this.#extras ? ints[I_FRAGMENT_LENGTH]! : 0;
    const openAt = (length + 3) & ~3;
    const need = openAt + 2 + fragmentLength + 4;
    if (need > start.bytes.length) {
      let size = start.bytes.length * 2;
      while (size < need) size *= 2;
      start.bytes = new Uint8Array(size);
      start.words = new Int32Array(start.bytes.buffer);
    }
    const bytes = start.bytes;
    const out = this.#out;
    for (let i = 0; i < length; i++) bytes[i] = out[from + i]!;
    start.length = length;
    start.openAt = openAt;
    bytes[openAt] = 0x20;
    bytes[openAt + 1] = 0x7b;
    const ctx = this.#ctx;
    const fragment = ints[I_FRAGMENT]!;
    for (let i = 0; i < fragmentLength; i++) bytes[openAt + 2 + i] = ctx[fragment + i]!;
    start.openLength = 2 + fragmentLength;
    start.ready = true;
  }

  /** Copies `start.bytes[from .. from + length)` (from on a word) to the line, by words. */
  #copyWords(start: LineStart, from: number, length: number): void {
    const view = this.#outView;
    const words = start.words;
    let at = this.#at;
    const whole = length >> 2;
    const first = from >> 2;
    for (let i = 0; i < whole; i++) {
      view.setInt32(at, words[first + i]!, LITTLE_ENDIAN);
      at += 4;
    }
    const bytes = start.bytes;
    const out = this.#out;
    for (let i = whole << 2; i < length; i++) out[at++] = bytes[from + i]!;
    this.#at = at;
  }

  // ---- the context -----------------------------------------------------------------------------

  /**
   * Renders the context at `p` (name renderings, the bindings' extras) into the scratch, keeps
   * it in the context cache when it fits, and points `#ctx` at it. Returns the position after
   * the context, or BAIL.
   */
  #context(p: number): number {
    const u8 = this.#src;
    const end = this.#end;
    const from = p;
    // Where the context ends, checked before anything is rendered: a context that parses but
    // holds what this renderer leaves is then remembered as such.
    let nameStart = -1;
    let nameBytes = 0;
    if (p + 5 <= end && u8[p] === Tag.STRING) {
      nameBytes = this.#u32(p + 1);
      nameStart = p + 5;
      p = nameStart + nameBytes;
      if (p > end) return BAIL;
    } else if (p < end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return BAIL;
    }
    const bindingsAt = p;
    let bindingCount = -1;
    if (p + 5 <= end && u8[p] === Tag.OBJECT) {
      bindingCount = this.#u32(p + 1);
      p = this.#skip(p);
      if (p === BAIL) return BAIL;
    } else if (p < end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return BAIL;
    }
    const to = p;

    // Render into the scratch, which must hold the context's worst case.
    const bound = this.#nameSlots.length * (16 + 4 * 1024) + EXPANSION * (this.#nameSlots.length + 1) * (to - from);
    if (bound > this.#scratch.length) {
      let size = this.#scratch.length * 2;
      while (size < bound) size *= 2;
      this.#scratch = new Uint8Array(size);
      this.#scratchView = new DataView(this.#scratch.buffer);
    }
    const out = this.#out;
    const outView = this.#outView;
    const at = this.#at;
    this.#out = this.#scratch;
    this.#outView = this.#scratchView;
    this.#at = 0;
    const ints = this.#scratchInts;
    ints[I_FLAGS] = 0;
    ints[I_BINDINGS_AT] = bindingCount >= 0 ? bindingsAt - from : -1;
    ints[I_BOUND] = 0;
    const slots = this.#nameSlots;
    for (let s = 0; s < slots.length; s++) {
      ints[I_NAMES + 2 * s] = this.#at;
      if (nameStart < 0) {
        const root = this.#rootNames[s]!;
        this.#put(root, 0, root.length);
      } else {
        this.#stringField(slots[s]!, nameStart, nameBytes);
      }
      ints[I_NAMES + 2 * s + 1] = this.#at - ints[I_NAMES + 2 * s]!;
    }
    ints[I_FRAGMENT] = this.#at;
    this.#wrote = false;
    let q = bindingCount < 0 ? to : this.#extras ? this.#members(bindingsAt + 5, bindingCount, BINDINGS) : this.#checkMembers(bindingsAt + 5, bindingCount);
    ints[I_FRAGMENT_LENGTH] = this.#at - ints[I_FRAGMENT]!;
    const renderedLength = this.#at;
    this.#out = out;
    this.#outView = outView;
    this.#at = at;
    if (q !== to) q = BAIL;

    const entry = this.#contexts.replace(u8, from, to - from);
    if (entry !== undefined) for (const start of this.#starts) if (start.entry === entry) start.entry = undefined;
    const intsUsed = this.#keysAt + 2 * ints[I_BOUND]!;
    if (q === BAIL) {
      // Parsed, but not this renderer's: every record of this context goes the general way.
      if (entry !== undefined) entry.ints[I_FLAGS] = CONTEXT_BAILS;
      return BAIL;
    }
    this.#ctx = this.#scratch;
    this.#ctxInts = ints;
    if (entry !== undefined) {
      if (renderedLength > RENDERED_MAX_BYTES || intsUsed > CONTEXT_INTS) {
        this.#contexts.drop(entry);
      } else {
        const rendered = entry.rendered;
        const scratch = this.#scratch;
        for (let i = 0; i < renderedLength; i++) rendered[i] = scratch[i]!;
        entry.renderedLength = renderedLength;
        const kept = entry.ints;
        for (let i = 0; i < intsUsed; i++) kept[i] = ints[i]!;
      }
    }
    return to;
  }

  // ---- fields ------------------------------------------------------------------------------------

  /**
   * Writes the text at `start` (UTF-8, `bytes` long; start -1: '') as the step's field: escaped
   * and padded from the bytes when the spec allows, else through a string and formatField.
   */
  #stringField(step: Step, start: number, bytes: number): void {
    if (!step.simple) {
      this.#text(formatField(start < 0 ? '' : this.#source.buffer.toString('utf8', start, start + bytes), step.spec));
      return;
    }
    const from = this.#at;
    if (start >= 0) this.#escape(start, bytes);
    if (step.width > 0) this.#pad(step, from);
  }

  /** Pads `out[from .. #at)` to the step's width in UTF-16 units, as text-format.ts's pad(). */
  #pad(step: Step, from: number): void {
    const out = this.#out;
    const to = this.#at;
    let units = 0;
    for (let i = from; i < to; i++) {
      const byte = out[i]!;
      if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
    }
    const room = step.width - units;
    if (room <= 0) return;
    const left = step.align === 0 ? 0 : step.align === 1 ? room : room >> 1;
    const fill = step.fill;
    const fillBytes = fill.length;
    if (left > 0) {
      out.copyWithin(from + left * fillBytes, from, to);
      let at = from;
      for (let i = 0; i < left; i++) for (let j = 0; j < fillBytes; j++) out[at++] = fill[j]!;
    }
    let at = to + left * fillBytes;
    for (let i = left; i < room; i++) for (let j = 0; j < fillBytes; j++) out[at++] = fill[j]!;
    this.#at = at;
  }

  /**
   * asctime: the second's rendering, made once per distinct second (the last two are kept:
   * threads' records interleave around a second's end), with the record's millisecond digits
   * put in. False when the second's rendering is not one this renderer takes.
   */
  #asctime(step: Step): boolean {
    const second = this.#second;
    let text = step.text;
    if (text.second !== second) {
      text = step.other;
      if (text.second !== second) this.#newSecond(step, text, second);
      step.other = step.text;
      step.text = text;
    }
    if (!text.usable) return false;
    const start = this.#at;
    const bytes = text.bytes;
    this.#put(bytes, 0, bytes.length);
    const digitAt = text.digitAt;
    const digitOf = text.digitOf;
    if (digitAt.length > 0) {
      const milli = this.#milli;
      const hundreds = (milli / 100) | 0;
      const tens = ((milli / 10) | 0) - hundreds * 10;
      const units = milli - ((milli / 10) | 0) * 10;
      const out = this.#out;
      for (let k = 0; k < digitAt.length; k++) {
        const which = digitOf[k]!;
        out[start + digitAt[k]!] = 0x30 + (which === 0 ? hundreds : which === 1 ? tens : units);
      }
      const capture = this.#capture;
      if (capture !== undefined) {
        for (let k = 0; k < digitAt.length; k++) capture.addDigit(start - this.#captureStart + digitAt[k]!, digitOf[k]!);
      }
    }
    return true;
  }

  /**
   * The step's text for `second`: rendered at milliseconds 0 and 123, the bytes that differ
   * are the millisecond digits (1, 2, 3 say which); a third rendering, at 987, checks the
   * result. Anything unexpected leaves the second unusable: its records go the general way.
   */
  #newSecond(step: Step, text: AsctimeText, second: number): void {
    text.second = second;
    text.usable = false;
    const base = second * 1000;
    const zero = Buffer.from(formatField(this.#formatDate(base), step.spec), 'utf8');
    const probe = Buffer.from(formatField(this.#formatDate(base + 123), step.spec), 'utf8');
    const check = Buffer.from(formatField(this.#formatDate(base + 987), step.spec), 'utf8');
    if (zero.length !== probe.length || zero.length !== check.length || zero.length > step.maxBytes) return;
    const at: number[] = [];
    const of: number[] = [];
    for (let i = 0; i < zero.length; i++) {
      if (zero[i] === probe[i]) continue;
      const which = probe[i]! - 0x31;
      if (zero[i] !== 0x30 || which < 0 || which > 2) return;
      at.push(i);
      of.push(which);
    }
    const made = Buffer.from(zero);
    for (let k = 0; k < at.length; k++) made[at[k]!] = 0x30 + [9, 8, 7][of[k]!]!;
    if (!made.equals(check)) return;
    text.bytes = zero;
    text.digitAt = Int32Array.from(at);
    text.digitOf = Uint8Array.from(of);
    text.usable = true;
  }

  /** A key the template names: the field's value, else the binding's, else `missing`. */
  #keyField(step: Step, fieldsAt: number, fieldCount: number): boolean {
    let value = NOT_FOUND;
    if (step.findable) {
      if (fieldsAt >= 0) value = this.#find(fieldsAt, fieldCount, step.key);
      if (value === NOT_FOUND) {
        const bindingsAt = this.#ctxInts[I_BINDINGS_AT]!;
        if (bindingsAt >= 0) {
          const at = this.#contextAt + bindingsAt;
          value = this.#find(at + 5, this.#u32(at + 1), step.key);
        }
      }
    }
    if (value === BAIL) return false;
    if (value === NOT_FOUND) {
      this.#put(step.bytes, 0, step.bytes.length);
      return true;
    }
    const src = this.#src;
    const tag = src[value]!;
    if (tag === Tag.STRING) {
      if (value + 5 > this.#end) return false;
      const bytes = this.#u32(value + 1);
      if (value + 5 + bytes > this.#end) return false;
      this.#stringField(step, value + 5, bytes);
      return true;
    }
    const after = this.#check(value);
    if (after === BAIL) return false;
    let decoded: Value;
    try {
      decoded = decodeValues(this.#source, value, after - value)[0];
    } catch {
      return false;
    }
    this.#text(formatField(decoded, step.spec));
    return true;
  }

  /**
   * The value of `key` among the `count` members at `start`: its position, NOT_FOUND (absent or
   * undefined), or BAIL (the object runs off the record, or holds a key with U+FFFD).
   */
  #find(start: number, count: number, key: Uint8Array): number {
    const end = this.#end;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > end) return BAIL;
      const keyBytes = this.#u32(p);
      const at = p + 4;
      const value = at + keyBytes;
      if (value >= end) return BAIL;
      if (this.#hasReplacement(at, keyBytes)) return BAIL;
      if (keyBytes === key.length && this.#sameAs(at, key)) return this.#src[value] === Tag.UNDEFINED ? NOT_FOUND : value;
      p = this.#skip(value);
      if (p === BAIL) return BAIL;
    }
    return NOT_FOUND;
  }

  // ---- the extras --------------------------------------------------------------------------------

  /**
   * Writes the `count` members at `start` as `"key":value`, comma-separated (a comma before the
   * first too when `#wrote` says something was written before), skipping undefined values and
   * the template's keys. Returns the position after the object, or BAIL. For BINDINGS it notes
   * each written key in the scratch integers; for FIELDS a key among those leaves the record to
   * the general formatter (which drops the binding, here already written).
   */
  #members(start: number, count: number, level: number): number {
    const end = this.#end;
    const src = this.#src;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > end) return BAIL;
      const keyBytes = this.#u32(p);
      const key = p + 4;
      const value = key + keyBytes;
      if (value >= end) return BAIL;
      if (src[value] === Tag.UNDEFINED) {
        if (level !== NESTED && this.#hasReplacement(key, keyBytes)) return BAIL;
        p = value + 1;
        continue;
      }
      if (level !== NESTED) {
        if (this.#isUsed(key, keyBytes)) {
          if (this.#hasReplacement(key, keyBytes)) return BAIL;
          p = this.#check(value);
          if (p === BAIL) return BAIL;
          continue;
        }
        if (level === BINDINGS) {
          const ints = this.#scratchInts;
          const bound = ints[I_BOUND]!;
          if (bound === MAX_BINDINGS) return BAIL;
          ints[this.#keysAt + 2 * bound] = key - this.#contextAt;
          ints[this.#keysAt + 2 * bound + 1] = keyBytes;
          ints[I_BOUND] = bound + 1;
        } else if (this.#shadows(key, keyBytes)) {
          return BAIL;
        }
      }
      if (this.#wrote) this.#out[this.#at++] = COMMA;
      this.#replaced = false;
      this.#json(key, keyBytes);
      if (this.#replaced) return BAIL;
      this.#out[this.#at++] = COLON;
      p = this.#value(value);
      if (p === BAIL) return BAIL;
      this.#wrote = true;
    }
    return p;
  }

  /** Whether a field key equals a binding key written in the extras. */
  #shadows(key: number, keyBytes: number): boolean {
    const ints = this.#ctxInts;
    const keysAt = this.#keysAt;
    const bound = ints[I_BOUND]!;
    const src = this.#src;
    const contextAt = this.#contextAt;
    for (let k = 0; k < bound; k++) {
      if (ints[keysAt + 2 * k + 1] !== keyBytes) continue;
      const other = contextAt + ints[keysAt + 2 * k]!;
      let same = true;
      for (let i = 0; i < keyBytes; i++) {
        if (src[other + i] !== src[key + i]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  #isUsed(key: number, keyBytes: number): boolean {
    const used = this.#usedKeys;
    for (let k = 0; k < used.length; k++) {
      const word = used[k]!;
      if (word.length === keyBytes && this.#sameAs(key, word)) return true;
    }
    return false;
  }

  /** Checks the `count` members at `start` without writing them; returns the position after them, or BAIL. */
  #checkMembers(start: number, count: number): number {
    const end = this.#end;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > end) return BAIL;
      const keyBytes = this.#u32(p);
      const key = p + 4;
      if (key + keyBytes >= end) return BAIL;
      if (this.#hasReplacement(key, keyBytes)) return BAIL;
      p = this.#check(key + keyBytes);
      if (p === BAIL) return BAIL;
    }
    return p;
  }

  /** Writes the value at `p` as JSON (undefined as null); returns the position after it, or BAIL. */
  #value(p: number): number {
    const src = this.#src;
    const end = this.#end;
    switch (src[p]) {
      case Tag.UNDEFINED:
      case Tag.NULL:
        this.#put(NULL, 0, 4);
        return p + 1;
      case Tag.FALSE:
        this.#put(FALSE, 0, 5);
        return p + 1;
      case Tag.TRUE:
        this.#put(TRUE, 0, 4);
        return p + 1;
      case Tag.INT32:
        if (p + 5 > end) return BAIL;
        this.#digits(this.#view.getInt32(p + 1, true));
        return p + 5;
      case Tag.FLOAT64: {
        if (p + 9 > end) return BAIL;
        const number = this.#view.getFloat64(p + 1, true);
        if (Number.isFinite(number)) this.#latin1(String(number));
        else this.#put(NULL, 0, 4);
        return p + 9;
      }
      case Tag.STRING: {
        if (p + 5 > end) return BAIL;
        const bytes = this.#u32(p + 1);
        if (p + 5 + bytes > end) return BAIL;
        this.#json(p + 5, bytes);
        return p + 5 + bytes;
      }
      case Tag.BIGINT: {
        if (p + 5 > end) return BAIL;
        const bytes = this.#u32(p + 1);
        const start = p + 5;
        if (start + bytes > end || !this.#canonicalDigits(start, bytes)) return BAIL;
        this.#put(src, start, bytes);
        return start + bytes;
      }
      case Tag.ARRAY: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        if (count > end - p - 5) return BAIL;
        this.#out[this.#at++] = 0x5b;
        let q = p + 5;
        for (let i = 0; i < count; i++) {
          if (i > 0) this.#out[this.#at++] = COMMA;
          q = this.#value(q);
          if (q === BAIL) return BAIL;
        }
        this.#out[this.#at++] = 0x5d;
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        this.#out[this.#at++] = 0x7b;
        const wrote = this.#wrote;
        this.#wrote = false;
        const q = this.#members(p + 5, count, NESTED);
        this.#wrote = wrote;
        if (q === BAIL) return BAIL;
        this.#out[this.#at++] = 0x7d;
        return q;
      }
      default:
        // ERROR, and tags that do not exist: the general formatter's business.
        return BAIL;
    }
  }

  /** BIGINT digits that `BigInt(digits).toString()` gives back as they are. */
  #canonicalDigits(start: number, bytes: number): boolean {
    const src = this.#src;
    if (bytes < 1) return false;
    const negative = src[start] === 0x2d;
    const first = negative ? start + 1 : start;
    const digits = start + bytes - first;
    if (digits < 1 || (src[first] === 0x30 && (digits > 1 || negative))) return false;
    for (let i = first; i < start + bytes; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return false;
    return true;
  }

  /**
   * The position after the value at `p`, without writing it; BAIL when it runs off the end,
   * or (`strict`) when it holds an error or digits the decoder would refuse.
   */
  #skip(p: number, strict = false): number {
    const end = this.#end;
    if (p >= end) return BAIL;
    switch (this.#src[p]) {
      case Tag.UNDEFINED:
      case Tag.NULL:
      case Tag.FALSE:
      case Tag.TRUE:
        return p + 1;
      case Tag.INT32:
        return p + 5 <= end ? p + 5 : BAIL;
      case Tag.FLOAT64:
        return p + 9 <= end ? p + 9 : BAIL;
      case Tag.STRING:
        return this.#skipString(p + 1);
      case Tag.BIGINT: {
        const next = this.#skipString(p + 1);
        if (next === BAIL || !strict) return next;
        const src = this.#src;
        const first = src[p + 5] === 0x2d ? p + 6 : p + 5;
        if (first >= next) return BAIL;
        for (let i = first; i < next; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return BAIL;
        return next;
      }
      case Tag.ARRAY: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        if (count > end - p - 5) return BAIL;
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) q = this.#skip(q, strict);
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) {
          q = this.#skipString(q);
          if (q !== BAIL) q = this.#skip(q, strict);
        }
        return q;
      }
      case Tag.ERROR: {
        if (strict) return BAIL;
        let q = this.#skipString(p + 1);
        if (q !== BAIL) q = this.#skipString(q);
        for (let i = 0; i < 3 && q !== BAIL; i++) q = this.#skip(q);
        return q;
      }
      default:
        return BAIL;
    }
  }

  /** As `#skip`, strict: no errors, digits as the decoder wants them. */
  #check(p: number): number {
    return this.#skip(p, true);
  }

  /** Past a u32 length and that many bytes. */
  #skipString(p: number): number {
    if (p + 4 > this.#end) return BAIL;
    const next = p + 4 + this.#u32(p);
    return next <= this.#end ? next : BAIL;
  }

  // ---- output ------------------------------------------------------------------------------------

  #put(bytes: Uint8Array, from: number, length: number): void {
    const out = this.#out;
    if (length > NATIVE_COPY_FROM && !(bytes.buffer instanceof SharedArrayBuffer)) {
      out.set(bytes.subarray(from, from + length), this.#at);
      this.#at += length;
      return;
    }
    let at = this.#at;
    for (let i = 0; i < length; i++) out[at++] = bytes[from + i]!;
    this.#at = at;
  }

  /** Text known to be ASCII (numbers). */
  #latin1(text: string): void {
    const out = this.#out;
    let at = this.#at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.#at = at;
  }

  /** Any text, as UTF-8 (a lone surrogate as U+FFFD, as Buffer#write encodes it). */
  #text(text: string): void {
    const out = this.#out;
    let at = this.#at;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        out[at++] = code;
        continue;
      }
      if (code < 0x800) {
        out[at++] = 0xc0 | (code >> 6);
        out[at++] = 0x80 | (code & 0x3f);
        continue;
      }
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
          out[at++] = 0xf0 | (code >> 18);
          out[at++] = 0x80 | ((code >> 12) & 0x3f);
          out[at++] = 0x80 | ((code >> 6) & 0x3f);
          out[at++] = 0x80 | (code & 0x3f);
          continue;
        }
        code = 0xfffd;
      }
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    }
    this.#at = at;
  }

  /** An int32 in decimal; `>>> 0` division is exact for it. */
  #digits(value: number): void {
    const out = this.#out;
    let at = this.#at;
    if (value < 0) {
      out[at++] = 0x2d;
      value = -value;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) >>> 0) digits++;
    at += digits;
    this.#at = at;
    do {
      const tenth = (value / 10) >>> 0;
      out[--at] = 0x30 + value - tenth * 10;
      value = tenth;
    } while (value > 0);
  }

  /**
   * Text from UTF-8 bytes, escaped as text-escape.ts's escapeText: `\n` `\r` `\t`, `\xHH` for
   * the other C0 controls, DEL and the C1 controls, `\u2028` `\u2029`.
   */
  #escape(start: number, length: number): void {
    const src = this.#src;
    const out = this.#out;
    let at = this.#at;
    const end = start + length;
    const view = this.#view;
    const outView = this.#outView;
    let i = start;
    while (i < end) {
      // Runs of four bytes that need nothing, by words.
      while (i + 4 <= end) {
        const word = view.getInt32(i, true);
        if (((((word - 0x20202020) & ~word) | (word + 0x01010101) | word) & 0x80808080) !== 0) break;
        outView.setInt32(at, word, true);
        i += 4;
        at += 4;
      }
      const stop = i + 4 < end ? i + 4 : end;
      for (; i < stop; i++) {
        const byte = src[i]!;
        if (TEXT_PLAIN[byte] === 1) {
          out[at++] = byte;
        } else if (byte === 0xc2) {
          const next = i + 1 < end ? src[i + 1]! : 0;
          if (next >= 0x80 && next <= 0x9f) {
            out[at++] = BACKSLASH;
            out[at++] = 0x78;
            out[at++] = HEX[next >> 4]!;
            out[at++] = HEX[next & 15]!;
            i++;
          } else {
            out[at++] = byte;
          }
        } else if (byte === 0xe2) {
          if (i + 2 < end && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
            out[at++] = BACKSLASH;
            out[at++] = 0x75;
            out[at++] = 0x32;
            out[at++] = 0x30;
            out[at++] = 0x32;
            out[at++] = src[i + 2] === 0xa8 ? 0x38 : 0x39;
            i += 2;
          } else {
            out[at++] = byte;
          }
        } else {
          out[at++] = BACKSLASH;
          if (byte === 0x0a) {
            out[at++] = 0x6e;
          } else if (byte === 0x0d) {
            out[at++] = 0x72;
          } else if (byte === 0x09) {
            out[at++] = 0x74;
          } else {
            out[at++] = 0x78;
            out[at++] = HEX[byte >> 4]!;
            out[at++] = HEX[byte & 15]!;
          }
        }
      }
    }
    this.#at = at;
  }

  /**
   * A JSON string from UTF-8 bytes, as the extras write it: JSON.stringify's escapes, U+2028 /
   * U+2029 as appendJsonValue escapes them, DEL and C1 as jsonSafe does (`\u007f`, `\u0085`).
   */
  #json(start: number, length: number): void {
    const src = this.#src;
    const out = this.#out;
    let at = this.#at;
    out[at++] = QUOTE;
    const end = start + length;
    const view = this.#view;
    const outView = this.#outView;
    let i = start;
    while (i < end) {
      // Runs of four bytes that need nothing, by words.
      while (i + 4 <= end) {
        const word = view.getInt32(i, true);
        const quote = word ^ 0x22222222;
        const backslash = word ^ 0x5c5c5c5c;
        const odd = ((word - 0x20202020) & ~word) | (word + 0x01010101) | word | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
        if ((odd & 0x80808080) !== 0) break;
        outView.setInt32(at, word, true);
        i += 4;
        at += 4;
      }
      const stop = i + 4 < end ? i + 4 : end;
      for (; i < stop; i++) {
        const byte = src[i]!;
        if (JSON_PLAIN[byte] === 1) {
          out[at++] = byte;
        } else if (byte === QUOTE || byte === BACKSLASH) {
          out[at++] = BACKSLASH;
          out[at++] = byte;
        } else if (byte === 0xc2) {
          const next = i + 1 < end ? src[i + 1]! : 0;
          if (next >= 0x80 && next <= 0x9f) {
            at = unicodeEscape(out, at, next);
            i++;
          } else {
            out[at++] = byte;
          }
        } else if (byte === 0xe2) {
          if (i + 2 < end && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
            out[at++] = BACKSLASH;
            out[at++] = 0x75;
            out[at++] = 0x32;
            out[at++] = 0x30;
            out[at++] = 0x32;
            out[at++] = src[i + 2] === 0xa8 ? 0x38 : 0x39;
            i += 2;
          } else {
            out[at++] = byte;
          }
        } else if (byte === 0xef) {
          if (i + 2 < end && src[i + 1] === 0xbf && src[i + 2] === 0xbd) this.#replaced = true;
          out[at++] = byte;
        } else {
          const short = SHORT_ESCAPES[byte];
          if (short !== undefined) {
            out[at++] = BACKSLASH;
            out[at++] = short;
          } else {
            at = unicodeEscape(out, at, byte);
          }
        }
      }
    }
    out[at++] = QUOTE;
    this.#at = at;
  }

  /** Whether the key at `key` holds U+FFFD (EF BF BD). */
  #hasReplacement(key: number, keyBytes: number): boolean {
    const src = this.#src;
    const end = key + keyBytes - 2;
    for (let i = key; i < end; i++) if (src[i] === 0xef && src[i + 1] === 0xbf && src[i + 2] === 0xbd) return true;
    return false;
  }

  /** True when the bytes at `key` start with `word` (the caller compared the lengths). */
  #sameAs(key: number, word: Uint8Array): boolean {
    const src = this.#src;
    for (let i = 0; i < word.length; i++) if (src[key + i] !== word[i]) return false;
    return true;
  }

  #u32(p: number): number {
    return this.#view.getUint32(p, true);
  }
}

/** Where `#members()` is: inside a value, or at the top level of the bindings or the fields. */
const NESTED = 0;
const BINDINGS = 1;
const FIELDS = 2;

/** `\u00XX` for a byte below 0x100. */
function unicodeEscape(out: Uint8Array, at: number, code: number): number {
  out[at++] = BACKSLASH;
  out[at++] = 0x75;
  out[at++] = 0x30;
  out[at++] = 0x30;
  out[at++] = HEX[code >> 4]!;
  out[at++] = HEX[code & 15]!;
  return at;
}

/**
 * Text lines (text-format.ts) rendered straight from a record's bytes to the line's bytes, as
 * json-bytes.ts does for the JSON line: no LogRecord, no JavaScript strings per record.
 *
 * text-format.ts is the specification: for every record this renderer takes, it writes exactly
 * the bytes createTextFormatter's line encodes to as UTF-8 (a property test holds the two
 * together). The template is compiled once into steps (text-steps.ts); per record this walks
 * the record, writes the steps, and then the extras:
 * - the logger's context (name and bindings) is rendered once per distinct context
 *   (context-cache.ts): the name for each name step with its padding, and the bindings the
 *   template does not name as the extras' first members;
 * - the steps before the first that changes per record are kept rendered per context, level,
 *   second and thread (text-line-start.ts), so most of a line is one copy by words, the
 *   millisecond digits (text-asctime.ts), the message (escaped from its UTF-8, four bytes at a
 *   time where it needs no escaping) and the fields;
 * - the extras: bindings, then fields, not named by the template, as one compact JSON object
 *   (value-bytes.ts: appendJsonValue's JSON, with jsonSafe's escapes of DEL and the C1 controls).
 *
 * It leaves to the general formatter (NOT_RENDERED): printf arguments; errors anywhere in the
 * record (their continuation lines); a field that shadows a binding written in the extras; a
 * key holding U+FFFD (lone surrogates made it, and keys may then have collided); a name or
 * merging value of an unexpected type; a time the Date cannot hold; a datefmt rendering longer
 * than its bound; anything that does not parse (the general path counts it as failed).
 */
import { Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../record/descriptor.js';
import type { Value } from '../record/log-record.js';
import { ContextCache, CONTEXT_ENTRIES, CONTEXT_INTS, RENDERED_MAX_BYTES } from './context-cache.js';
import { decodeValues } from '../record/decoder.js';
import type { JsonFormatContext } from './json-format.js';
import { SAFE_JSON_ESCAPING } from './line-bytes.js';
import { putMillis, splitTime } from './text-asctime.js';
import type { ResolvedTextFormat } from './text-format.js';
import { LineStarts, type LineStart } from './text-line-start.js';
import { compileSteps, S_ASCTIME, S_BYTES, S_LEVELS, S_MESSAGE, S_NAME, S_NUMBER, S_THREAD, type Step } from './text-steps.js';
import { formatField, headerValue } from './text-values.js';
import { BAIL, EXPANSION, NOT_RENDERED, ValueRenderer } from './value-bytes.js';

export { NOT_RENDERED };

/** Returned by a key lookup that found nothing (or only undefined). */
const NOT_FOUND = -2;

/** Bindings whose keys are remembered for the shadowing check; a context with more goes the general way. */
const MAX_BINDINGS = 64;

/** Line starts kept: as many as contexts. */
const LINE_STARTS = CONTEXT_ENTRIES;

const EMPTY = new Uint8Array(0);

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

export class TextLineRenderer extends ValueRenderer {
  readonly #steps: readonly Step[];
  readonly #extras: boolean;
  /** See CompiledTemplate (text-steps.ts). */
  readonly #usedKeys: readonly Uint8Array[];
  readonly #nameSlots: readonly Step[];
  readonly #rootNames: readonly Uint8Array[];
  readonly #fixedBytes: number;
  readonly #dataFactor: number;
  readonly #startSteps: number;
  readonly #startSecond: boolean;
  readonly #startThread: boolean;
  readonly #hasAsctime: boolean;
  /** Where the binding keys start in a context's integers. */
  readonly #keysAt: number;
  readonly #starts = new LineStarts(LINE_STARTS);
  /** While a line start is rendered: where its millisecond digits go are noted in it. */
  #capture: LineStart | undefined = undefined;
  #captureStart = 0;

  // The record at hand.
  #level = 0;
  #time = 0;
  #thread = 0;
  /** The record's time as asctime renders it (when the template has one). */
  readonly #split = { second: 0, milli: 0 };
  #msgStart = -1;
  #msgBytes = 0;
  #fieldsAt = -1;
  #fieldCount = 0;

  /** The context's rendering and integers for the record at hand (an entry's, or the scratch). */
  #ctx: Uint8Array = EMPTY;
  #ctxInts: Int32Array;
  #contextAt = 0;
  /** Where a miss renders the context. */
  #scratch = new Uint8Array(4096);
  #scratchView = new DataView(this.#scratch.buffer);
  readonly #scratchInts: Int32Array;
  readonly #contexts = new ContextCache();

  constructor(options: ResolvedTextFormat, context: JsonFormatContext) {
    super(SAFE_JSON_ESCAPING);
    this.#extras = options.extras === 'json';
    const compiled = compileSteps(options, context);
    this.#steps = compiled.steps;
    this.#usedKeys = compiled.usedKeys;
    this.#nameSlots = compiled.nameSlots;
    this.#rootNames = compiled.rootNames;
    this.#fixedBytes = compiled.fixedBytes;
    this.#dataFactor = compiled.dataFactor;
    this.#startSteps = compiled.startSteps;
    this.#startSecond = compiled.startSecond;
    this.#startThread = compiled.startThread;
    this.#hasAsctime = compiled.hasAsctime;
    this.#keysAt = I_NAMES + 2 * this.#nameSlots.length;
    this.#scratchInts = new Int32Array(this.#keysAt + 2 * MAX_BINDINGS);
    this.#ctxInts = this.#scratchInts;
  }

  /** The most bytes the line of a record of `length` bytes can take. */
  maxLineBytes(length: number): number {
    return this.#fixedBytes + EXPANSION * this.#dataFactor * length;
  }

  renderInto(source: Bytes, index: number, length: number, out: Uint8Array, start: number): number {
    if (!this.begin(source, index, length, out, start)) return NOT_RENDERED;
    const { u8, view } = source;
    const flags = u8[index + RecordOffset.FLAGS]!;
    if ((flags & Flag.LINE) !== 0) return NOT_RENDERED;
    const end = index + length;

    const level = u8[index + RecordOffset.LEVEL]!;
    const time = view.getFloat64(index + RecordOffset.TIME, true);
    const thread = view.getUint32(index + RecordOffset.THREAD_ID, true);
    this.#level = level;
    this.#time = time;
    this.#thread = thread;
    if (this.#hasAsctime && !splitTime(time, this.#split)) return NOT_RENDERED;

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

    const msgAt = p;
    p = this.pastText(p);
    if (p === BAIL) return NOT_RENDERED;
    const hasMsg = u8[msgAt] === Tag.STRING;
    this.#msgStart = hasMsg ? msgAt + 5 : -1;
    this.#msgBytes = hasMsg ? p - msgAt - 5 : 0;

    let fieldsAt = -1;
    let fieldCount = 0;
    if ((flags & Flag.HAS_FIELDS) !== 0) {
      if (p + 5 > end || u8[p] !== Tag.OBJECT) return NOT_RENDERED;
      fieldCount = view.getUint32(p + 1, true);
      fieldsAt = p + 5;
    }
    this.#fieldsAt = fieldsAt;
    this.#fieldCount = fieldCount;

    const steps = this.#steps;
    let s = 0;
    let lineStart: LineStart | undefined;
    if (entry !== undefined) {
      // The line's start (the steps before the first that changes per record), kept per
      // context, level, second and thread (text-line-start.ts): a copy and the milliseconds,
      // or rendered and kept. (Here, not in a method: V8 then inlined it and less of the rest;
      // text drain record, 7% a line.)
      lineStart = this.#starts.find(entry, level, this.#startSecond ? this.#split.second : 0, this.#startThread ? thread : 0);
      if (lineStart.ready) {
        this.at = lineStart.copyTo(out, this.outView, this.at, 0, lineStart.length);
        if (lineStart.digits > 0) putMillis(out, start, lineStart.digitAt, lineStart.digitOf, lineStart.digits, this.#split.milli);
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
        const ints = this.#ctxInts;
        // A start that is not UTF-8 is not kept: the next record of the context must find it too.
        if (!this.malformed) lineStart.keep(out, start, this.at - start, this.#ctx, ints[I_FRAGMENT]!, this.#extras ? ints[I_FRAGMENT_LENGTH]! : 0);
      }
    }
    for (; s < steps.length; s++) if (!this.#step(steps[s]!)) return NOT_RENDERED;

    // The extras, and the rest of the record checked.
    if (this.#extras) {
      const at0 = this.at;
      const ints = this.#ctxInts;
      const fragmentLength = ints[I_FRAGMENT_LENGTH]!;
      if (lineStart !== undefined) {
        this.at = lineStart.copyTo(out, this.outView, this.at, lineStart.openAt, lineStart.openLength);
      } else {
        out[this.at++] = 0x20;
        out[this.at++] = 0x7b;
        if (fragmentLength > 0) this.put(this.#ctx, ints[I_FRAGMENT]!, fragmentLength);
      }
      this.wrote = fragmentLength > 0;
      if (fieldsAt >= 0) p = this.fields(fieldsAt, fieldCount);
      if (this.wrote) out[this.at++] = 0x7d;
      else this.at = at0;
    } else if (fieldsAt >= 0) {
      p = this.#checkMembers(fieldsAt, fieldCount);
    }
    if (p !== end || this.malformed) return NOT_RENDERED;
    out[this.at++] = 0x0a;
    return this.at - start;
  }

  /** Writes one step of the template for the record at hand; false when the record goes the general way. */
  #step(step: Step): boolean {
    switch (step.kind) {
      case S_BYTES:
        this.put(step.bytes, 0, step.bytes.length);
        return true;
      case S_LEVELS: {
        const bytes = step.levels[this.#level]!;
        this.put(bytes, 0, bytes.length);
        return true;
      }
      case S_ASCTIME:
        return this.#asctime(step);
      case S_NAME: {
        const ints = this.#ctxInts;
        const at = I_NAMES + 2 * step.slot;
        this.put(this.#ctx, ints[at]!, ints[at + 1]!);
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
        this.put(step.bytes, 0, step.bytes.length);
        return true;
      }
      case S_NUMBER: {
        this.utf8(formatField(headerValue(step.source, 0, this.#time, 0), step.spec));
        return true;
      }
      default:
        return this.#keyField(step, this.#fieldsAt, this.#fieldCount);
    }
  }

  // ---- the context -----------------------------------------------------------------------------

  /**
   * Renders the context at `p` (name renderings, the bindings' extras) into the scratch, keeps
   * it in the context cache when it fits, and points `#ctx` at it. Returns the position after
   * the context, or BAIL.
   */
  #context(p: number): number {
    const u8 = this.src;
    const end = this.end;
    const from = p;
    // Where the context ends, checked before anything is rendered: a context that parses but
    // holds what this renderer leaves is then remembered as such.
    p = this.pastText(p);
    if (p === BAIL) return BAIL;
    const nameStart = u8[from] === Tag.STRING ? from + 5 : -1;
    const nameBytes = p - from - 5;
    const bindingsAt = p;
    let bindingCount = -1;
    if (p + 5 <= end && u8[p] === Tag.OBJECT) {
      bindingCount = this.u32(p + 1);
      p = this.skip(p, false, 0);
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
    const out = this.out;
    const outView = this.outView;
    const at = this.at;
    this.out = this.#scratch;
    this.outView = this.#scratchView;
    this.at = 0;
    const ints = this.#scratchInts;
    ints[I_FLAGS] = 0;
    ints[I_BINDINGS_AT] = bindingCount >= 0 ? bindingsAt - from : -1;
    ints[I_BOUND] = 0;
    const slots = this.#nameSlots;
    for (let s = 0; s < slots.length; s++) {
      ints[I_NAMES + 2 * s] = this.at;
      if (nameStart < 0) {
        const root = this.#rootNames[s]!;
        this.put(root, 0, root.length);
      } else {
        this.#stringField(slots[s]!, nameStart, nameBytes);
      }
      ints[I_NAMES + 2 * s + 1] = this.at - ints[I_NAMES + 2 * s]!;
    }
    ints[I_FRAGMENT] = this.at;
    this.wrote = false;
    let q = bindingCount < 0 ? to : this.#extras ? this.bindings(bindingsAt + 5, bindingCount) : this.#checkMembers(bindingsAt + 5, bindingCount);
    ints[I_FRAGMENT_LENGTH] = this.at - ints[I_FRAGMENT]!;
    const renderedLength = this.at;
    this.out = out;
    this.outView = outView;
    this.at = at;
    // Not UTF-8 (line-bytes.ts `malformed`): remembered as a context this renderer leaves.
    if (q !== to || this.malformed) q = BAIL;

    const entry = this.#contexts.replace(u8, from, to - from);
    if (entry !== undefined) this.#starts.forget(entry);
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
      this.utf8(formatField(start < 0 ? '' : this.source.buffer.toString('utf8', start, start + bytes), step.spec));
      return;
    }
    const from = this.at;
    if (start >= 0) this.text(start, bytes);
    if (step.width > 0) this.at = step.pad(this.out, from, this.at);
  }

  /**
   * asctime: the second's text (text-asctime.ts) with the record's millisecond digits put in,
   * and their places noted in a line start being rendered. False when the second's text is
   * not one this renderer takes.
   */
  #asctime(step: Step): boolean {
    const text = step.asctime!.textFor(this.#split.second);
    if (!text.usable) return false;
    const start = this.at;
    const bytes = text.bytes;
    this.put(bytes, 0, bytes.length);
    const digitAt = text.digitAt;
    const digitOf = text.digitOf;
    const count = digitAt.length;
    if (count > 0) {
      putMillis(this.out, start, digitAt, digitOf, count, this.#split.milli);
      const capture = this.#capture;
      if (capture !== undefined) {
        for (let k = 0; k < count; k++) capture.addDigit(start - this.#captureStart + digitAt[k]!, digitOf[k]!);
      }
    }
    return true;
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
          value = this.#find(at + 5, this.u32(at + 1), step.key);
        }
      }
    }
    if (value === BAIL) return false;
    if (value === NOT_FOUND) {
      this.put(step.bytes, 0, step.bytes.length);
      return true;
    }
    const src = this.src;
    const tag = src[value]!;
    if (tag === Tag.STRING) {
      const next = this.pastText(value);
      if (next === BAIL) return false;
      this.#stringField(step, value + 5, next - value - 5);
      return true;
    }
    const after = this.skip(value, true, 1);
    if (after === BAIL) return false;
    let decoded: Value;
    try {
      decoded = decodeValues(this.source, value, after - value)[0];
    } catch {
      return false;
    }
    this.utf8(formatField(decoded, step.spec));
    return true;
  }

  /**
   * The value of `key` among the `count` members at `start`: its position, NOT_FOUND (absent or
   * undefined), or BAIL (the object runs off the record, or holds a key with U+FFFD).
   */
  #find(start: number, count: number, key: Uint8Array): number {
    let p = start;
    for (let i = 0; i < count; i++) {
      const value = this.memberValue(p);
      if (value === BAIL || this.#hasReplacement(p + 4, value - p - 4)) return BAIL;
      if (this.sameAs(p + 4, value - p - 4, key)) return this.src[value] === Tag.UNDEFINED ? NOT_FOUND : value;
      p = this.skip(value, false, 1);
      if (p === BAIL) return BAIL;
    }
    return NOT_FOUND;
  }

  // ---- the extras --------------------------------------------------------------------------------

  /**
   * A binding: left out when undefined or named by the template; its key is noted in the
   * scratch integers (written in the extras, a field may not shadow it).
   */
  protected admitBinding(key: number, keyBytes: number, value: number): number {
    const next = this.#leftOut(key, keyBytes, value);
    if (next !== value) return next;
    const ints = this.#scratchInts;
    const bound = ints[I_BOUND]!;
    if (bound === MAX_BINDINGS) return BAIL;
    ints[this.#keysAt + 2 * bound] = key - this.#contextAt;
    ints[this.#keysAt + 2 * bound + 1] = keyBytes;
    ints[I_BOUND] = bound + 1;
    return value;
  }

  /**
   * A field: left out when undefined or named by the template; one with the key of a binding
   * written in the extras leaves the record to the general formatter (which drops the binding,
   * here already written).
   */
  protected admitField(key: number, keyBytes: number, value: number): number {
    const next = this.#leftOut(key, keyBytes, value);
    if (next !== value) return next;
    return this.#shadows(key, keyBytes) ? BAIL : value;
  }

  /**
   * A top-level member the extras leave out (undefined, or named by the template): the
   * position after its value; else `value`. BAIL for a key with U+FFFD, whether written or not.
   */
  #leftOut(key: number, keyBytes: number, value: number): number {
    if (this.src[value] === Tag.UNDEFINED) return this.#hasReplacement(key, keyBytes) ? BAIL : value + 1;
    if (this.#isUsed(key, keyBytes)) return this.#hasReplacement(key, keyBytes) ? BAIL : this.skip(value, true, 1);
    return value;
  }

  /** Whether a field key equals a binding key written in the extras. */
  #shadows(key: number, keyBytes: number): boolean {
    const ints = this.#ctxInts;
    const keysAt = this.#keysAt;
    const bound = ints[I_BOUND]!;
    const contextAt = this.#contextAt;
    for (let k = 0; k < bound; k++) {
      if (ints[keysAt + 2 * k + 1] === keyBytes && this.sameBytes(contextAt + ints[keysAt + 2 * k]!, key, keyBytes)) return true;
    }
    return false;
  }

  #isUsed(key: number, keyBytes: number): boolean {
    const used = this.#usedKeys;
    for (let k = 0; k < used.length; k++) if (this.sameAs(key, keyBytes, used[k]!)) return true;
    return false;
  }

  /** Checks the `count` members at `start` without writing them; returns the position after them, or BAIL. */
  #checkMembers(start: number, count: number): number {
    let p = start;
    for (let i = 0; i < count; i++) {
      const value = this.memberValue(p);
      if (value === BAIL || this.#hasReplacement(p + 4, value - p - 4)) return BAIL;
      p = this.skip(value, true, 1);
      if (p === BAIL) return BAIL;
    }
    return p;
  }

  /** Whether the key at `key` holds U+FFFD (EF BF BD). */
  #hasReplacement(key: number, keyBytes: number): boolean {
    const src = this.src;
    const end = key + keyBytes - 2;
    for (let i = key; i < end; i++) if (src[i] === 0xef && src[i + 1] === 0xbf && src[i + 2] === 0xbd) return true;
    return false;
  }
}

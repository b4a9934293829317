/**
 * The default JSON line, rendered straight from a record's bytes to the line's bytes: no
 * LogRecord, no JavaScript strings, nothing for the garbage collector. Strings are UTF-8 in the
 * record and UTF-8 in the file, so rendering one is a copy that escapes what JSON needs escaped.
 *
 * json-format.ts is the specification: for every record this renderer takes, it writes exactly
 * the bytes createJsonFormatter's line encodes to (a property test holds the two together). It
 * takes the records that matter for throughput and leaves the rest to the general formatter by
 * returning NOT_RENDERED:
 * - printf arguments (the message must be built as a string first),
 * - errors anywhere in the record (pino's `err` shape, the message taken from `err`),
 * - a field that shadows a binding, and a binding named `msg` (which key survives is decided by
 *   the formatter, and the line here is written in record order, bindings first),
 * - a merging value that is not an object, and anything that does not parse (the general
 *   path counts it as failed).
 *
 * A logger's name and bindings are rendered once per distinct context (context-cache.ts, keyed
 * by the context's bytes, not by thread: a thread that interleaves child loggers still hits),
 * and kept joined to the line's header for the millisecond and level at hand, so the start of
 * most lines is one copy. Lines are written wherever the caller says, with no bounds check per
 * byte: `maxLineBytes()` bounds the line, and the router renders straight into the sink's
 * buffer (`renderInto`), so a line is written once, where it is sent from.
 */
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../shared/codec.js';
import { writeInt32 } from '../shared/digits.js';
import { ContextCache, CONTEXT_INTS, RENDERED_MAX_BYTES, type ContextEntry } from './context-cache.js';
import { renderProcessKeys, type JsonFormatContext } from './json-format.js';

/** What `render()` returns for a record it leaves to the general formatter. */
export const NOT_RENDERED = -1;
/** Returned by the walk when the record is not one this renderer takes. */
const BAIL = -1;

/** Binding keys remembered for the shadowing check; a record with more goes the general way. */
const MAX_BINDINGS = 64;
/** Binding keys a context-cache entry keeps (start and length each); more: not kept. */
const CACHED_BINDINGS = CONTEXT_INTS / 2;
/** ContextEntry.flags: the context has a name. */
const HAS_NAME = 1;
/**
 * The most bytes a record byte becomes: `\u00XX` for a control character, `,false` for a FALSE
 * in an array; every other value and frame byte takes fewer.
 */
const EXPANSION = 6;
/** Copies longer than this go through one native set(); shorter ones through a loop. */
const NATIVE_COPY_FROM = 24;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const HEX = '0123456789abcdef';
/** Short escapes JSON.stringify uses for these control characters; the rest are \u00XX. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const NAME_KEY = ascii(',"name":');
const MSG_KEY = ascii(',"msg":');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

/**
 * 1 for a UTF-8 byte a JSON string takes as it is. Not: controls, `"` and `\`, which are
 * escaped; 0xE2, which may start U+2028/U+2029 (escaped too); 0xEF, which may start U+FFFD.
 */
const PLAIN = new Uint8Array(256);
for (let byte = 0x20; byte < 256; byte++) PLAIN[byte] = 1;
for (const byte of [QUOTE, BACKSLASH, 0xe2, 0xef]) PLAIN[byte] = 0;

/** Keys the line writes itself: a field or binding of that name is skipped (json-format.ts). */
const LEVEL = Buffer.from('level', 'latin1');
const TIME = Buffer.from('time', 'latin1');
const PID = Buffer.from('pid', 'latin1');
const HOSTNAME = Buffer.from('hostname', 'latin1');
const NAME = Buffer.from('name', 'latin1');
const MSG = Buffer.from('msg', 'latin1');

/** Where `#members()` is: inside a value, or at the top level of the bindings or the fields. */
const NESTED = 0;
const BINDINGS = 1;
const FIELDS = 2;
type Level = typeof NESTED | typeof BINDINGS | typeof FIELDS;

export class JsonLineRenderer {
  /** The line of the last `render()`: `output[0 .. render()'s result)`. */
  output: Bytes = bytesOver(Buffer.allocUnsafe(4096));
  readonly #processKeys: string;
  /** What a line may take beyond EXPANSION bytes per record byte: the header's numbers, the process keys. */
  readonly #fixedBytes: number;
  /** Where the line goes, and the position in it. */
  #out: Uint8Array = new Uint8Array(0);
  #at = 0;
  #src: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #end = 0;
  /** Where the record's binding keys are: start and length pairs, for the shadowing check. */
  readonly #bindingKeys = new Int32Array(MAX_BINDINGS * 2);
  /** How many keys `#bindingKeys` holds for the record being rendered. */
  #boundKeys = 0;
  /** Per level: the line's start for the last millisecond seen (see `#header`). */
  readonly #headers: ({ time: number; bytes: Uint8Array } | undefined)[] = [];
  /** Set by `#string` when it copied U+FFFD (EF BF BD), what a lone surrogate turns into. */
  #replaced = false;
  /** Set by `#context`: the context has a name. */
  #hasName = false;
  readonly #contexts = new ContextCache();

  constructor(context: JsonFormatContext) {
    this.#processKeys = renderProcessKeys(context);
    // `{"level":255,"time":` + the longest number String() writes + the process keys + `}\n`.
    this.#fixedBytes = 32 + 25 + Buffer.byteLength(this.#processKeys, 'utf8') + 2;
  }

  /** The most bytes the line of a record of `length` bytes can take. */
  maxLineBytes(length: number): number {
    return this.#fixedBytes + EXPANSION * length;
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
    this.#src = u8;
    this.#view = view;
    this.#out = out;
    const end = index + length;
    this.#end = end;
    this.#at = start;
    this.#boundKeys = 0;
    const level = u8[index + RecordOffset.LEVEL]!;
    const time = view.getFloat64(index + RecordOffset.TIME, true);

    // One pass in record order: name, bindings, message, fields. The line puts the message
    // last, so only its place is noted on the way.
    let p = index + HEADER_BYTES;
    let hasName: boolean;
    const entry = this.#contexts.find(u8, p, end);
    if (entry !== undefined) {
      this.#put(this.#prefix(entry, level, time));
      hasName = (entry.flags & HAS_NAME) !== 0;
      const count = (this.#boundKeys = entry.flags >>> 1);
      const keys = this.#bindingKeys;
      for (let k = 0; k < count * 2; k += 2) {
        keys[k] = p + entry.ints[k]!;
        keys[k + 1] = entry.ints[k + 1]!;
      }
      p += entry.keyLength;
    } else {
      const contextAt = p;
      this.#put(this.#header(level, time));
      const renderedAt = this.#at;
      p = this.#context(p);
      if (p === BAIL) return NOT_RENDERED;
      hasName = this.#hasName;
      this.#remember(contextAt, p, renderedAt, hasName);
    }

    let msgStart = -1;
    let msgBytes = 0;
    if (p + 5 <= end && u8[p] === Tag.STRING) {
      msgBytes = this.#u32(p + 1);
      msgStart = p + 5;
      p = msgStart + msgBytes;
      if (p > end) return NOT_RENDERED;
    } else if (p < end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return NOT_RENDERED;
    }

    if ((u8[index + RecordOffset.FLAGS]! & Flag.HAS_FIELDS) !== 0) {
      if (p + 5 > end || u8[p] !== Tag.OBJECT) return NOT_RENDERED;
      p = this.#members(p + 5, this.#u32(p + 1), FIELDS, hasName, msgStart >= 0);
    }
    if (p !== end) return NOT_RENDERED;
    if (msgStart >= 0) {
      this.#put(MSG_KEY);
      this.#string(msgStart, msgBytes);
    }
    out[this.#at++] = 0x7d;
    out[this.#at++] = 0x0a;
    return this.#at - start;
  }

  /** The name and bindings at `p`, written; returns the position after them, or BAIL. */
  #context(p: number): number {
    const u8 = this.#src;
    const end = this.#end;
    this.#hasName = false;
    if (p + 5 <= end && u8[p] === Tag.STRING) {
      const nameBytes = this.#u32(p + 1);
      if (p + 5 + nameBytes > end) return BAIL;
      this.#hasName = true;
      this.#put(NAME_KEY);
      this.#string(p + 5, nameBytes);
      p += 5 + nameBytes;
    } else if (p < end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return BAIL;
    }
    if (p + 5 <= end && u8[p] === Tag.OBJECT) return this.#members(p + 5, this.#u32(p + 1), BINDINGS, this.#hasName, false);
    if (p < end && u8[p] === Tag.UNDEFINED) return p + 1;
    return BAIL;
  }

  /** Keeps the rendering of the context `[from, to)`, written from `renderedAt`, for the next records. */
  #remember(from: number, to: number, renderedAt: number, hasName: boolean): void {
    const entry = this.#contexts.replace(this.#src, from, to - from);
    if (entry === undefined) return;
    const renderedLength = this.#at - renderedAt;
    const count = this.#boundKeys;
    if (renderedLength > RENDERED_MAX_BYTES || count > CACHED_BINDINGS) {
      this.#contexts.drop(entry);
      return;
    }
    const out = this.#out;
    const rendered = entry.rendered;
    for (let i = 0; i < renderedLength; i++) rendered[i] = out[renderedAt + i]!;
    entry.renderedLength = renderedLength;
    const keys = this.#bindingKeys;
    for (let k = 0; k < count * 2; k += 2) {
      entry.ints[k] = keys[k]! - from;
      entry.ints[k + 1] = keys[k + 1]!;
    }
    entry.flags = (count << 1) | (hasName ? HAS_NAME : 0);
  }

  /** The header and the context's rendering, joined once per level and millisecond. */
  #prefix(entry: ContextEntry, level: number, time: number): Uint8Array {
    if (entry.prefixLevel === level && entry.prefixTime === time) return entry.prefix;
    const header = this.#header(level, time);
    const prefix = new Uint8Array(header.length + entry.renderedLength);
    prefix.set(header);
    prefix.set(entry.rendered.subarray(0, entry.renderedLength), header.length);
    entry.prefix = prefix;
    entry.prefixLength = prefix.length;
    entry.prefixLevel = level;
    entry.prefixTime = time;
    return prefix;
  }

  /**
   * `{"level":30,"time":1700000000123,"pid":123,"hostname":"h"`, kept per level: the records of
   * one millisecond share it.
   */
  #header(level: number, time: number): Uint8Array {
    const cached = this.#headers[level];
    if (cached !== undefined && cached.time === time) return cached.bytes;
    const start = `{"level":${level},"time":${Number.isFinite(time) ? String(time) : 'null'}`;
    const bytes = Buffer.from(start + this.#processKeys, 'utf8');
    this.#headers[level] = { time, bytes };
    return bytes;
  }

  // ---- objects -------------------------------------------------------------------------------

  /**
   * Writes the `count` members of an object at `start`, each `,"key":value` (the first without
   * its comma inside a value), skipping undefined values. Returns the position after the
   * object, or BAIL. At the top level (BINDINGS, FIELDS) it also skips the keys the line writes
   * itself, and leaves the record to the general formatter where that one decides differently:
   * a `msg` binding (kept or dropped depending on the message, which comes later in the record)
   * and a field with the key of a binding written before it (the formatter drops the binding,
   * here already written).
   */
  #members(start: number, count: number, level: Level, hasName: boolean, hasMsg: boolean): number {
    const end = this.#end;
    const keys = this.#bindingKeys;
    let comma = level !== NESTED;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > end) return BAIL;
      const keyBytes = this.#u32(p);
      const key = p + 4;
      const value = key + keyBytes;
      if (value >= end) return BAIL;
      if (this.#src[value] === Tag.UNDEFINED || (level !== NESTED && this.#isOursAt(key, keyBytes, hasName, hasMsg))) {
        p = this.#skip(value);
        if (p === BAIL) return BAIL;
        continue;
      }
      if (level === BINDINGS) {
        if (this.#sameAs(key, keyBytes, MSG) || this.#boundKeys === MAX_BINDINGS) return BAIL;
        keys[this.#boundKeys * 2] = key;
        keys[this.#boundKeys * 2 + 1] = keyBytes;
        this.#boundKeys++;
      } else if (level === FIELDS) {
        for (let k = 0; k < this.#boundKeys; k++) {
          if (keys[k * 2 + 1] === keyBytes && this.#sameBytes(keys[k * 2]!, key, keyBytes)) return BAIL;
        }
      }
      p = this.#member(key, keyBytes, value, comma);
      if (p === BAIL) return BAIL;
      comma = true;
    }
    return p;
  }

  #isOursAt(key: number, keyBytes: number, hasName: boolean, hasMsg: boolean): boolean {
    switch (keyBytes) {
      case 3:
        return this.#sameAs(key, 3, PID) || (hasMsg && this.#sameAs(key, 3, MSG));
      case 4:
        return this.#sameAs(key, 4, TIME) || (hasName && this.#sameAs(key, 4, NAME));
      case 5:
        return this.#sameAs(key, 5, LEVEL);
      case 8:
        return this.#sameAs(key, 8, HOSTNAME);
      default:
        return false;
    }
  }

  /** True when the key at `key` is `word`. */
  #sameAs(key: number, keyBytes: number, word: Uint8Array): boolean {
    if (keyBytes !== word.length) return false;
    const src = this.#src;
    for (let i = 0; i < keyBytes; i++) if (src[key + i] !== word[i]) return false;
    return true;
  }

  #sameBytes(a: number, b: number, length: number): boolean {
    const src = this.#src;
    for (let i = 0; i < length; i++) if (src[a + i] !== src[b + i]) return false;
    return true;
  }

  // ---- values --------------------------------------------------------------------------------

  /** `,"key":value` (without the comma when `comma` is false); returns the position after the value. */
  #member(key: number, keyBytes: number, value: number, comma: boolean): number {
    if (comma) this.#out[this.#at++] = COMMA;
    this.#replaced = false;
    this.#string(key, keyBytes);
    // Keys that had lone surrogates may have become the same key: decoding keeps one of them.
    if (this.#replaced) return BAIL;
    this.#out[this.#at++] = COLON;
    return this.#value(value);
  }

  /** Writes the value at `p` as JSON (undefined as null); returns the position after it. */
  #value(p: number): number {
    const src = this.#src;
    const end = this.#end;
    switch (src[p]) {
      case Tag.UNDEFINED:
      case Tag.NULL:
        this.#put(NULL);
        return p + 1;
      case Tag.FALSE:
        this.#put(FALSE);
        return p + 1;
      case Tag.TRUE:
        this.#put(TRUE);
        return p + 1;
      case Tag.INT32:
        if (p + 5 > end) return BAIL;
        this.#at = writeInt32(this.#out, this.#at, this.#view.getInt32(p + 1, true));
        return p + 5;
      case Tag.FLOAT64: {
        if (p + 9 > end) return BAIL;
        const number = this.#view.getFloat64(p + 1, true);
        if (Number.isFinite(number)) this.#latin1(String(number));
        else this.#put(NULL);
        return p + 9;
      }
      case Tag.STRING: {
        if (p + 5 > end) return BAIL;
        const bytes = this.#u32(p + 1);
        if (p + 5 + bytes > end) return BAIL;
        this.#string(p + 5, bytes);
        return p + 5 + bytes;
      }
      case Tag.BIGINT:
        return this.#bigint(p);
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
        const q = this.#members(p + 5, count, NESTED, false, false);
        if (q === BAIL) return BAIL;
        this.#out[this.#at++] = 0x7d;
        return q;
      }
      default:
        // ERROR, and tags that do not exist: the general formatter's business.
        return BAIL;
    }
  }

  /** BIGINT digits, copied when canonical (what `BigInt(digits).toString()` gives back). */
  #bigint(p: number): number {
    if (p + 5 > this.#end) return BAIL;
    const bytes = this.#u32(p + 1);
    const start = p + 5;
    if (bytes < 1 || start + bytes > this.#end) return BAIL;
    const src = this.#src;
    const negative = src[start] === 0x2d;
    const first = negative ? start + 1 : start;
    const digits = start + bytes - first;
    if (digits < 1 || (src[first] === 0x30 && (digits > 1 || negative))) return BAIL;
    for (let i = first; i < start + bytes; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return BAIL;
    const out = this.#out;
    for (let i = 0; i < bytes; i++) out[this.#at++] = src[start + i]!;
    return start + bytes;
  }

  /** The position after the value at `p`, without writing it; BAIL when it runs off the end. */
  #skip(p: number): number {
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
      case Tag.BIGINT:
        return this.#skipString(p + 1);
      case Tag.ARRAY: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) q = this.#skip(q);
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) {
          q = this.#skipString(q);
          if (q !== BAIL) q = this.#skip(q);
        }
        return q;
      }
      case Tag.ERROR: {
        let q = this.#skipString(p + 1);
        if (q !== BAIL) q = this.#skipString(q);
        for (let i = 0; i < 3 && q !== BAIL; i++) q = this.#skip(q);
        return q;
      }
      default:
        return BAIL;
    }
  }

  /** Past a u32 length and that many bytes. */
  #skipString(p: number): number {
    if (p + 4 > this.#end) return BAIL;
    const next = p + 4 + this.#u32(p);
    return next <= this.#end ? next : BAIL;
  }

  // ---- output --------------------------------------------------------------------------------

  #put(bytes: Uint8Array): void {
    const length = bytes.length;
    const out = this.#out;
    if (length > NATIVE_COPY_FROM) {
      out.set(bytes, this.#at);
      this.#at += length;
      return;
    }
    let at = this.#at;
    for (let i = 0; i < length; i++) out[at++] = bytes[i]!;
    this.#at = at;
  }

  /** Text known to be ASCII (numbers). */
  #latin1(text: string): void {
    const out = this.#out;
    let at = this.#at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.#at = at;
  }

  /**
   * A JSON string from UTF-8 bytes: `"`, `\` and control characters escaped as JSON.stringify
   * escapes them, and U+2028 / U+2029 (E2 80 A8 / A9) as json-format.ts does.
   */
  #string(start: number, length: number): void {
    const src = this.#src;
    const out = this.#out;
    let at = this.#at;
    out[at++] = QUOTE;
    const end = start + length;
    for (let i = start; i < end; i++) {
      const byte = src[i]!;
      if (PLAIN[byte] === 1) {
        out[at++] = byte;
      } else if (byte === 0xef) {
        if (i + 2 < end && src[i + 1] === 0xbf && src[i + 2] === 0xbd) this.#replaced = true;
        out[at++] = byte;
      } else if (byte === QUOTE || byte === BACKSLASH) {
        out[at++] = BACKSLASH;
        out[at++] = byte;
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
        const short = SHORT_ESCAPES[byte];
        if (short !== undefined) {
          out[at++] = short;
        } else {
          out[at++] = 0x75;
          out[at++] = 0x30;
          out[at++] = 0x30;
          out[at++] = HEX.charCodeAt(byte >> 4);
          out[at++] = HEX.charCodeAt(byte & 15);
        }
      }
    }
    out[at++] = QUOTE;
    this.#at = at;
  }

  #u32(p: number): number {
    return this.#view.getUint32(p, true);
  }
}

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
 * - a field that shadows a binding (which of the two survives is decided by the formatter),
 * - a merging value that is not an object, and anything that does not parse (the general
 *   path counts it as failed).
 *
 * Bindings are rendered from the record like fields, not cached per logger: a cache keyed by
 * thread missed on every record of a thread that interleaves child loggers (a child per request
 * is common), and a miss cost more than rendering a few bindings does.
 */
import { Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../shared/codec.js';
import { renderProcessKeys, type JsonFormatContext } from './json-format.js';

/** What `render()` returns for a record it leaves to the general formatter. */
export const NOT_RENDERED = -1;
/** Returned by the walk when the record is not one this renderer takes. */
const BAIL = -1;

/** Binding keys remembered for the shadowing check; a record with more goes the general way. */
const MAX_BINDINGS = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const HEX = '0123456789abcdef';
/** Short escapes JSON.stringify uses for these control characters; the rest are \u00XX. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const LEVEL_KEY = ascii('{"level":');
const TIME_KEY = ascii(',"time":');
const NAME_KEY = ascii(',"name":');
const MSG_KEY = ascii(',"msg":');
const LINE_END = ascii('}\n');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

/** Keys the line writes itself: a field or binding of that name is skipped (json-format.ts). */
const ALWAYS_OURS = ['level', 'time', 'pid', 'hostname'].map(ascii);
const NAME = ascii('name');
const MSG = ascii('msg');

export class JsonLineRenderer {
  /** The rendered line: `output[0 .. render()'s result)`. */
  output: Buffer = Buffer.allocUnsafe(4096);
  readonly #processKeys: Buffer;
  #at = 0;
  #src: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #end = 0;
  /** Where the record's binding keys are: start and length pairs, for the shadowing check. */
  readonly #bindingKeys = new Int32Array(MAX_BINDINGS * 2);
  /** How many keys `#bindingKeys` holds for the record being rendered. */
  #boundKeys = 0;
  #lastTime = -1;
  #lastTimeDigits: Buffer = ascii('0');
  /** Set by `#string` when it copied U+FFFD (EF BF BD), what a lone surrogate turns into. */
  #replaced = false;

  constructor(context: JsonFormatContext) {
    this.#processKeys = Buffer.from(renderProcessKeys(context), 'utf8');
  }

  /** Renders the record at `index` into `output`; returns its byte length or NOT_RENDERED. */
  render(source: Bytes, index: number, length: number): number {
    if (length < HEADER_BYTES) return NOT_RENDERED;
    const { u8, view } = source;
    if (view.getUint16(index + RecordOffset.ARG_COUNT, true) !== 0) return NOT_RENDERED;
    this.#src = u8;
    this.#view = view;
    this.#end = index + length;
    this.#at = 0;
    this.#boundKeys = 0;

    let p = index + HEADER_BYTES;
    let nameStart = -1;
    let nameBytes = 0;
    if (p + 5 <= this.#end && u8[p] === Tag.STRING) {
      nameBytes = this.#u32(p + 1);
      nameStart = p + 5;
      p = nameStart + nameBytes;
    } else if (p < this.#end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return NOT_RENDERED;
    }
    const hasName = nameStart >= 0;
    let bindingCount = 0;
    const bindingsStart = p + 5;
    if (p + 5 <= this.#end && u8[p] === Tag.OBJECT) {
      bindingCount = this.#u32(p + 1);
      p = this.#noteBindingKeys(bindingsStart, bindingCount);
      if (p === BAIL) return NOT_RENDERED;
    } else if (p < this.#end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return NOT_RENDERED;
    }

    let msgStart = -1;
    let msgBytes = 0;
    if (p + 5 <= this.#end && u8[p] === Tag.STRING) {
      msgBytes = this.#u32(p + 1);
      msgStart = p + 5;
      p = msgStart + msgBytes;
      if (p > this.#end) return NOT_RENDERED;
    } else if (p < this.#end && u8[p] === Tag.UNDEFINED) {
      p++;
    } else {
      return NOT_RENDERED;
    }
    const hasMsg = msgStart >= 0;

    const hasFields = (u8[index + RecordOffset.FLAGS]! & Flag.HAS_FIELDS) !== 0;
    let fieldCount = 0;
    if (hasFields) {
      if (p + 5 > this.#end || u8[p] !== Tag.OBJECT) return NOT_RENDERED;
      fieldCount = this.#u32(p + 1);
      p += 5;
      if (this.#boundKeys > 0 && this.#shadowsBinding(p, fieldCount, hasName, hasMsg)) return NOT_RENDERED;
    } else if (p !== this.#end) {
      return NOT_RENDERED;
    }

    this.#copy(LEVEL_KEY);
    this.#digits(u8[index + RecordOffset.LEVEL]!);
    this.#copy(TIME_KEY);
    this.#time(view.getFloat64(index + RecordOffset.TIME, true));
    this.#copy(this.#processKeys);
    if (hasName) {
      this.#copy(NAME_KEY);
      this.#string(nameStart, nameBytes);
    }
    if (bindingCount > 0 && this.#members(bindingsStart, bindingCount, true, hasName, hasMsg) === BAIL) return NOT_RENDERED;
    if (hasFields && this.#members(p, fieldCount, true, hasName, hasMsg) !== this.#end) return NOT_RENDERED;
    if (hasMsg) {
      this.#copy(MSG_KEY);
      this.#string(msgStart, msgBytes);
    }
    this.#copy(LINE_END);
    return this.#at;
  }

  // ---- bindings shadowed by fields ----------------------------------------------------------

  /**
   * Notes where the keys of bindings with a defined value are, and returns the position after
   * the bindings (BAIL when they do not parse or are too many to note).
   */
  #noteBindingKeys(start: number, count: number): number {
    const keys = this.#bindingKeys;
    let noted = 0;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > this.#end) return BAIL;
      const keyBytes = this.#u32(p);
      const value = p + 4 + keyBytes;
      if (value >= this.#end) return BAIL;
      if (this.#src[value] !== Tag.UNDEFINED) {
        if (noted === MAX_BINDINGS) return BAIL;
        keys[noted * 2] = p + 4;
        keys[noted * 2 + 1] = keyBytes;
        noted++;
      }
      p = this.#skip(value);
      if (p === BAIL) return BAIL;
    }
    this.#boundKeys = noted;
    return p;
  }

  /**
   * True when a field that is written has the key of a binding with a defined value. (A key the
   * line writes itself skips both, so it shadows nothing.)
   */
  #shadowsBinding(start: number, count: number, hasName: boolean, hasMsg: boolean): boolean {
    const keys = this.#bindingKeys;
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > this.#end) return true;
      const keyBytes = this.#u32(p);
      const value = p + 4 + keyBytes;
      if (value >= this.#end) return true;
      if (this.#src[value] !== Tag.UNDEFINED && !this.#isOursAt(p + 4, keyBytes, hasName, hasMsg)) {
        for (let k = 0; k < this.#boundKeys; k++) {
          if (keys[k * 2 + 1] === keyBytes && this.#sameBytes(keys[k * 2]!, p + 4, keyBytes)) return true;
        }
      }
      p = this.#skip(value);
      if (p === BAIL) return true;
    }
    return false;
  }

  #sameBytes(a: number, b: number, length: number): boolean {
    const src = this.#src;
    for (let i = 0; i < length; i++) if (src[a + i] !== src[b + i]) return false;
    return true;
  }

  #startsWithKey(start: number, length: number, key: Uint8Array): boolean {
    if (length !== key.length) return false;
    const src = this.#src;
    for (let i = 0; i < length; i++) if (src[start + i] !== key[i]) return false;
    return true;
  }

  // ---- values --------------------------------------------------------------------------------

  /**
   * Writes the `count` members of an object at `start`, each `,"key":value`, skipping undefined
   * values and, at the top level, the keys the line writes itself. Returns the position after.
   */
  #members(start: number, count: number, topLevel: boolean, hasName: boolean, hasMsg: boolean): number {
    let p = start;
    for (let i = 0; i < count; i++) {
      if (p + 4 > this.#end) return BAIL;
      const keyBytes = this.#u32(p);
      const key = p + 4;
      const value = key + keyBytes;
      if (value >= this.#end) return BAIL;
      if (this.#src[value] === Tag.UNDEFINED || (topLevel && this.#isOursAt(key, keyBytes, hasName, hasMsg))) {
        p = this.#skip(value);
      } else {
        p = this.#member(key, keyBytes, value);
      }
      if (p === BAIL) return BAIL;
    }
    return p;
  }

  /** `,"key":value`; returns the position after the value. */
  #member(key: number, keyBytes: number, value: number): number {
    this.#byte(COMMA);
    this.#replaced = false;
    this.#string(key, keyBytes);
    // Keys that had lone surrogates may have become the same key: decoding keeps one of them.
    if (this.#replaced) return BAIL;
    this.#byte(COLON);
    return this.#value(value);
  }

  #isOursAt(key: number, keyBytes: number, hasName: boolean, hasMsg: boolean): boolean {
    for (const ours of ALWAYS_OURS) if (this.#startsWithKey(key, keyBytes, ours)) return true;
    return (hasName && this.#startsWithKey(key, keyBytes, NAME)) || (hasMsg && this.#startsWithKey(key, keyBytes, MSG));
  }

  /** Writes the value at `p` as JSON (undefined as null); returns the position after it. */
  #value(p: number): number {
    const src = this.#src;
    const end = this.#end;
    switch (src[p]) {
      case Tag.UNDEFINED:
      case Tag.NULL:
        this.#copy(NULL);
        return p + 1;
      case Tag.FALSE:
        this.#copy(FALSE);
        return p + 1;
      case Tag.TRUE:
        this.#copy(TRUE);
        return p + 1;
      case Tag.INT32:
        if (p + 5 > end) return BAIL;
        this.#digits(this.#view.getInt32(p + 1, true));
        return p + 5;
      case Tag.FLOAT64: {
        if (p + 9 > end) return BAIL;
        const number = this.#view.getFloat64(p + 1, true);
        if (Number.isFinite(number)) this.#latin1(String(number));
        else this.#copy(NULL);
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
        this.#byte(0x5b);
        let q = p + 5;
        for (let i = 0; i < count; i++) {
          if (i > 0) this.#byte(COMMA);
          q = this.#value(q);
          if (q === BAIL) return BAIL;
        }
        this.#byte(0x5d);
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end) return BAIL;
        const count = this.#u32(p + 1);
        this.#byte(0x7b);
        const mark = this.#at;
        const q = this.#members(p + 5, count, false, false, false);
        if (q === BAIL) return BAIL;
        // Members are written comma first: the object's first comma is dropped.
        if (this.#at > mark) this.output.copyWithin(mark, mark + 1, this.#at--);
        this.#byte(0x7d);
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
    this.#reserve(bytes);
    for (let i = 0; i < bytes; i++) this.output[this.#at++] = src[start + i]!;
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

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.output.length) return;
    let size = this.output.length * 2;
    while (size < this.#at + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.output.copy(bigger, 0, 0, this.#at);
    this.output = bigger;
  }

  #byte(byte: number): void {
    this.#reserve(1);
    this.output[this.#at++] = byte;
  }

  #copy(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    const out = this.output;
    let at = this.#at;
    for (let i = 0; i < bytes.length; i++) out[at++] = bytes[i]!;
    this.#at = at;
  }

  /** Text known to be ASCII (numbers). */
  #latin1(text: string): void {
    this.#reserve(text.length);
    const out = this.output;
    let at = this.#at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.#at = at;
  }

  /** A non-negative or negative integer of at most 16 digits, in decimal. */
  #digits(value: number): void {
    this.#reserve(17);
    const out = this.output;
    let at = this.#at;
    if (value < 0) {
      out[at++] = 0x2d;
      value = -value;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    at += digits;
    this.#at = at;
    do {
      out[--at] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    } while (value > 0);
  }

  /** Milliseconds since the epoch; records of the same millisecond share the digits. */
  #time(time: number): void {
    if (time !== this.#lastTime) {
      if (!Number.isSafeInteger(time) || time < 0) return this.#latin1(Number.isFinite(time) ? String(time) : 'null');
      this.#lastTime = time;
      this.#lastTimeDigits = ascii(String(time));
    }
    this.#copy(this.#lastTimeDigits);
  }

  /**
   * A JSON string from UTF-8 bytes: `"`, `\` and control characters escaped as JSON.stringify
   * escapes them, and U+2028 / U+2029 (E2 80 A8 / A9) as json-format.ts does.
   */
  #string(start: number, length: number): void {
    this.#reserve(2 + 6 * length);
    const src = this.#src;
    const out = this.output;
    let at = this.#at;
    out[at++] = QUOTE;
    const end = start + length;
    for (let i = start; i < end; i++) {
      const byte = src[i]!;
      if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH && byte !== 0xe2 && byte !== 0xef) {
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

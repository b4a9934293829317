/**
 * A record's values written from its bytes straight into a line's bytes, as JSON: the part the
 * two byte renderers share (json-bytes.ts for the JSON line, text-bytes.ts for the text line's
 * extras), on the line and record of line-bytes.ts.
 *
 * - values as JSON (undefined as null), and an object's members, skipping undefined values; at
 *   the top level of the bindings and the fields each member goes past the renderer's
 *   `admitBinding()` or `admitField()` first, which decides what its line does with it (write
 *   it, leave it out, or leave the record to the general formatter);
 * - the walk past a value without writing it, with or without the checks the decoder makes.
 * A record a renderer does not take gets NOT_RENDERED (its general formatter writes the line).
 */
import { bytesOver, MAX_NESTING, Tag, type Bytes } from '../record/descriptor.js';
import { writeInt32 } from './digits.js';
import { LineWriter } from './line-bytes.js';

/** What `render()` returns for a record it leaves to the general formatter. */
export const NOT_RENDERED = -1;
/** Returned by the walks when the record is not one this renderer takes. */
export const BAIL = -1;

/**
 * The most bytes a record byte becomes where it is written as a value: `\u00XX` for a control
 * character in JSON, `,false` for a FALSE in an array; every other value and frame byte takes
 * fewer, and text escapes too.
 */
export const EXPANSION = 6;

/** Where `members()` is: inside a value, or at the top level of the bindings or the fields. */
const NESTED = 0;
const BINDINGS = 1;
const FIELDS = 2;
type Level = typeof NESTED | typeof BINDINGS | typeof FIELDS;

const COMMA = 0x2c;
const COLON = 0x3a;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

export abstract class ValueRenderer extends LineWriter {
  /** The line of the last `render()`: `output[0 .. render()'s result)`. */
  output: Bytes = bytesOver(Buffer.allocUnsafe(4096));
  /** Something was written before the next member: it takes a comma first. */
  protected wrote = false;

  /** The most bytes the line of a record of `length` bytes can take. */
  abstract maxLineBytes(length: number): number;

  /**
   * Renders the record at `index` into `out` from `start`, where at least `maxLineBytes(length)`
   * bytes must be free; returns the line's byte length, or NOT_RENDERED (then what was written
   * past `start` means nothing).
   */
  abstract renderInto(source: Bytes, index: number, length: number, out: Uint8Array, start: number): number;

  /**
   * What the line does with a member of the bindings, whose key is `src[key .. key + keyBytes)`
   * and value at `value`: returns `value` to write it, the position after the value to leave it
   * out, or BAIL. (No constant for "write", and one hook per level rather than a level
   * argument: V8 folds a module's own constants into its code but loads an imported one at
   * each use; JsonLineRenderer.render in a loop took 3% longer a record with them.)
   */
  protected abstract admitBinding(key: number, keyBytes: number, value: number): number;

  /** As `admitBinding()`, for a member of the fields. */
  protected abstract admitField(key: number, keyBytes: number, value: number): number;

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

  // ---- values --------------------------------------------------------------------------------

  /**
   * Writes the `count` members at `start` as `"key":value`, comma-separated (a comma before the
   * first too when `wrote` says something was written before), skipping undefined values; at
   * the top level, as `admitBinding()` or `admitField()` says. Returns the position after the
   * object, or BAIL.
   */
  protected members(start: number, count: number, level: Level, depth = 1): number {
    let wrote = this.wrote;
    let p = start;
    for (let i = 0; i < count; i++) {
      const value = this.memberValue(p);
      if (value === BAIL) return BAIL;
      const key = p + 4;
      const keyBytes = value - key;
      if (level !== NESTED) {
        const next = level === BINDINGS ? this.admitBinding(key, keyBytes, value) : this.admitField(key, keyBytes, value);
        if (next !== value) {
          if (next === BAIL) return BAIL;
          p = next;
          continue;
        }
      } else if (this.src[value] === Tag.UNDEFINED) {
        p = value + 1;
        continue;
      }
      if (wrote) this.out[this.at++] = COMMA;
      this.replaced = false;
      this.jsonString(key, keyBytes);
      // Keys that had lone surrogates may have become the same key: decoding keeps one of them.
      if (this.replaced) return BAIL;
      this.out[this.at++] = COLON;
      p = this.value(value, depth);
      if (p === BAIL) return BAIL;
      wrote = true;
    }
    this.wrote = wrote;
    return p;
  }

  /** The `count` members at `start` of the record's bindings, as `members()` writes them. */
  protected bindings(start: number, count: number): number {
    return this.members(start, count, BINDINGS);
  }

  /** The `count` members at `start` of the record's fields, as `members()` writes them. */
  protected fields(start: number, count: number): number {
    return this.members(start, count, FIELDS);
  }

  /**
   * Writes the value at `p`, within `depth` containers, as JSON (undefined as null); returns the
   * position after it, or BAIL. A container as deep as MAX_NESTING is BAIL, as the decoder
   * refuses it: the recursion is bounded whatever the record's bytes say.
   */
  protected value(p: number, depth: number): number {
    const src = this.src;
    const end = this.end;
    switch (src[p]) {
      case Tag.UNDEFINED:
      case Tag.NULL:
        this.put(NULL, 0, 4);
        return p + 1;
      case Tag.FALSE:
        this.put(FALSE, 0, 5);
        return p + 1;
      case Tag.TRUE:
        this.put(TRUE, 0, 4);
        return p + 1;
      case Tag.INT32:
        if (p + 5 > end) return BAIL;
        this.at = writeInt32(this.out, this.at, this.view.getInt32(p + 1, true));
        return p + 5;
      case Tag.FLOAT64: {
        if (p + 9 > end) return BAIL;
        const number = this.view.getFloat64(p + 1, true);
        if (Number.isFinite(number)) this.latin1(String(number));
        else this.put(NULL, 0, 4);
        return p + 9;
      }
      case Tag.STRING: {
        if (p + 5 > end) return BAIL;
        const bytes = this.u32(p + 1);
        if (p + 5 + bytes > end) return BAIL;
        this.jsonString(p + 5, bytes);
        return p + 5 + bytes;
      }
      case Tag.BIGINT:
        return this.#bigint(p);
      case Tag.ARRAY: {
        if (p + 5 > end) return BAIL;
        const count = this.u32(p + 1);
        if (count > end - p - 5 || depth >= MAX_NESTING) return BAIL;
        this.out[this.at++] = 0x5b;
        let q = p + 5;
        for (let i = 0; i < count; i++) {
          if (i > 0) this.out[this.at++] = COMMA;
          q = this.value(q, depth + 1);
          if (q === BAIL) return BAIL;
        }
        this.out[this.at++] = 0x5d;
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end || depth >= MAX_NESTING) return BAIL;
        const count = this.u32(p + 1);
        this.out[this.at++] = 0x7b;
        const wrote = this.wrote;
        this.wrote = false;
        const q = this.members(p + 5, count, NESTED, depth + 1);
        this.wrote = wrote;
        if (q === BAIL) return BAIL;
        this.out[this.at++] = 0x7d;
        return q;
      }
      default:
        // ERROR, and tags that do not exist: the general formatter's business.
        return BAIL;
    }
  }

  /** BIGINT digits, copied when canonical (what `BigInt(digits).toString()` gives back). */
  #bigint(p: number): number {
    if (p + 5 > this.end) return BAIL;
    const bytes = this.u32(p + 1);
    const start = p + 5;
    if (bytes < 1 || start + bytes > this.end) return BAIL;
    const src = this.src;
    const negative = src[start] === 0x2d;
    const first = negative ? start + 1 : start;
    const digits = start + bytes - first;
    if (digits < 1 || (src[first] === 0x30 && (digits > 1 || negative))) return BAIL;
    for (let i = first; i < start + bytes; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return BAIL;
    // A loop: the record is shared memory, which set() copies byte by byte anyway.
    const out = this.out;
    for (let i = 0; i < bytes; i++) out[this.at++] = src[start + i]!;
    return start + bytes;
  }

  /**
   * The position after the value at `p`, within `depth` containers, without writing it; BAIL
   * when it runs off the end or nests as deep as MAX_NESTING, or (`strict`) when it holds an
   * error or digits the decoder would refuse.
   */
  protected skip(p: number, strict: boolean, depth: number): number {
    const end = this.end;
    if (p >= end) return BAIL;
    const tag = this.src[p]!;
    if (tag >= Tag.ARRAY && tag <= Tag.ERROR && depth >= MAX_NESTING) return BAIL;
    switch (tag) {
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
        const src = this.src;
        const first = src[p + 5] === 0x2d ? p + 6 : p + 5;
        if (first >= next) return BAIL;
        for (let i = first; i < next; i++) if (src[i]! < 0x30 || src[i]! > 0x39) return BAIL;
        return next;
      }
      case Tag.ARRAY: {
        if (p + 5 > end) return BAIL;
        const count = this.u32(p + 1);
        if (count > end - p - 5) return BAIL;
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) q = this.skip(q, strict, depth + 1);
        return q;
      }
      case Tag.OBJECT: {
        if (p + 5 > end) return BAIL;
        const count = this.u32(p + 1);
        let q = p + 5;
        for (let i = 0; i < count && q !== BAIL; i++) {
          q = this.#skipString(q);
          if (q !== BAIL) q = this.skip(q, strict, depth + 1);
        }
        return q;
      }
      case Tag.ERROR: {
        if (strict) return BAIL;
        let q = this.#skipString(p + 1);
        if (q !== BAIL) q = this.#skipString(q);
        for (let i = 0; i < 3 && q !== BAIL; i++) q = this.skip(q, false, depth + 1);
        return q;
      }
      default:
        return BAIL;
    }
  }

  /** Where the value of the member at `p` is (after its key's u32 length and bytes), or BAIL when the member runs off the record. */
  protected memberValue(p: number): number {
    if (p + 4 > this.end) return BAIL;
    const value = p + 4 + this.u32(p);
    return value < this.end ? value : BAIL;
  }

  /**
   * Past the string or undefined at `p` (a name, a message: the string's bytes are then from
   * `p + 5` to the result); BAIL when it is neither or runs off the record.
   */
  protected pastText(p: number): number {
    const end = this.end;
    const tag = p < end ? this.src[p] : -1;
    if (tag === Tag.UNDEFINED) return p + 1;
    if (tag !== Tag.STRING || p + 5 > end) return BAIL;
    const next = p + 5 + this.u32(p + 1);
    return next <= end ? next : BAIL;
  }

  /** Past a u32 length and that many bytes. */
  #skipString(p: number): number {
    if (p + 4 > this.end) return BAIL;
    const next = p + 4 + this.u32(p);
    return next <= this.end ? next : BAIL;
  }

  // ---- output --------------------------------------------------------------------------------

}

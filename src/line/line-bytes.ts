/**
 * The line being written and the record it is written from, for the byte renderers
 * (json-bytes.ts, text-bytes.ts, through value-bytes.ts): LineWriter holds the record at hand
 * (`src`, `view`, `end`) and the line (`out`, `at`), and copies bytes, ASCII and UTF-8 into the
 * line, and strings from the record's UTF-8 in one of three escapings:
 * - JSON as json-format.ts writes it: JSON.stringify's escapes, and U+2028/9 (the JSON line);
 * - the same with DEL and the C1 controls escaped too, as jsonSafe() leaves it (the text
 *   line's extras);
 * - text as escapeText() writes it (text-escape.ts: `\n` `\r` `\t`, `\xHH` for the other
 *   controls, `\u2028` `\u2029`).
 * A renderer extends it, rather than holds one: its own steps write the same line, and on
 * `this` each write is one field access; every record makes dozens.
 */
import { bytesOver, HEADER_BYTES, RecordOffset, type Bytes } from '../record/descriptor.js';

/** Copies longer than this go through one native set(); shorter ones through a loop. */
const NATIVE_COPY_FROM = 24;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const LINE_SEPARATOR = ascii('\\u2028');
const PARAGRAPH_SEPARATOR = ascii('\\u2029');

/** The three escapings of the header, in that order. */
export const JSON_ESCAPING = 0;
export const SAFE_JSON_ESCAPING = 1;
export const TEXT_ESCAPING = 2;
export type Escaping = typeof JSON_ESCAPING | typeof SAFE_JSON_ESCAPING | typeof TEXT_ESCAPING;

const SHORT_JSON_ESCAPES: Readonly<Record<number, string>> = { 8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r' };
const SHORT_TEXT_ESCAPES: Readonly<Record<number, string>> = { 9: 't', 10: 'n', 13: 'r' };

/**
 * Per byte, a bit (1 << escaping) for each escaping that copies it as it is. The others are
 * looked at (`#escapeAt`): every byte from 0x80, which starts a character to check (C2 may start
 * a C1 control, E2 U+2028/9, EF U+FFFD) or is not UTF-8; a byte that has no escape is copied as
 * well. One table for the three, a module
 * constant, rather than one passed in per escaping: the loops over a string's bytes, the
 * hottest of a renderer, then index a table V8 knows.
 */
const PLAIN = new Uint8Array(256);
/** Per escaping: the escape of each byte below 0x20, of DEL, `"` and `\`, and (at its code) of each C1 control. */
const ESCAPES: readonly (readonly (Uint8Array | undefined)[])[] = [JSON_ESCAPING, SAFE_JSON_ESCAPING, TEXT_ESCAPING].map((escaping) => {
  const json = escaping !== TEXT_ESCAPING;
  const controls = escaping !== JSON_ESCAPING;
  const bit = 1 << escaping;
  for (let byte = 0x20; byte < 256; byte++) {
    const special = byte >= 0x80 || (json && (byte === QUOTE || byte === BACKSLASH)) || (controls && byte === 0x7f);
    if (!special) PLAIN[byte]! |= bit;
  }
  const hex = (code: number): string => code.toString(16).padStart(2, '0');
  return Array.from({ length: 256 }, (_, code) => {
    let escape: string | undefined;
    if (code < 0x20) escape = (json ? SHORT_JSON_ESCAPES : SHORT_TEXT_ESCAPES)[code] ?? (json ? `u00${hex(code)}` : `x${hex(code)}`);
    else if (code >= 0x7f && code <= 0x9f && controls) escape = json ? `u00${hex(code)}` : `x${hex(code)}`;
    else if ((code === QUOTE || code === BACKSLASH) && json) escape = String.fromCharCode(code);
    return escape === undefined ? undefined : ascii(`\\${escape}`);
  });
});
const TEXT_PLAIN = 1 << TEXT_ESCAPING;

const EMPTY = new Uint8Array(0);

export abstract class LineWriter {
  /** The record at hand: it ends at `end`. */
  protected source: Bytes = bytesOver(EMPTY);
  protected src: Uint8Array = EMPTY;
  protected view: DataView = new DataView(new ArrayBuffer(0));
  protected end = 0;
  /** Where the line goes, a view of it for whole words, and the position in it. */
  protected out: Uint8Array = EMPTY;
  protected outView: DataView = new DataView(new ArrayBuffer(0));
  protected at = 0;
  /** The memory `outView` views. */
  #outFor: Uint8Array | undefined = undefined;
  /** Set by `#escapeAt()` when it copied U+FFFD (EF BF BD), what a lone surrogate turns into. */
  protected replaced = false;
  /**
   * Set by `#escapeAt()` when a string of the record is not well-formed UTF-8, which no producer
   * writes (Buffer#write makes U+FFFD of a lone surrogate): bytes damaged in the ring. The line
   * is then not the formatter's (its decoder reads U+FFFD there) nor UTF-8, so the renderer
   * leaves the record to the general formatter. Cleared by `begin()`.
   */
  protected malformed = false;
  /** How this line escapes its JSON strings (JSON_ESCAPING or SAFE_JSON_ESCAPING), and its bit in PLAIN. */
  readonly #json: Escaping;
  readonly #jsonPlain: number;

  constructor(json: typeof JSON_ESCAPING | typeof SAFE_JSON_ESCAPING) {
    this.#json = json;
    this.#jsonPlain = 1 << json;
  }

  /**
   * Takes the record `source[index .. index + length)` and the line `out[start ..)`; false for a
   * record no byte renderer takes: shorter than a header, or with printf arguments (the message
   * must be built as a string first).
   */
  protected begin(source: Bytes, index: number, length: number, out: Uint8Array, start: number): boolean {
    if (length < HEADER_BYTES) return false;
    const view = source.view;
    if (view.getUint16(index + RecordOffset.ARG_COUNT, true) !== 0) return false;
    this.source = source;
    this.src = source.u8;
    this.view = view;
    this.end = index + length;
    this.malformed = false;
    if (out !== this.#outFor) this.#viewLine(out);
    this.out = out;
    this.at = start;
    return true;
  }

  /** A new memory for lines: its view. (Apart from `begin()`, which is then small enough for V8 to inline.) */
  #viewLine(out: Uint8Array): void {
    this.#outFor = out;
    this.outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  // ---- output --------------------------------------------------------------------------------

  /** Copies `bytes[from .. from + length)` to the line; `bytes` is not shared memory (set() would copy it byte by byte). */
  protected put(bytes: Uint8Array, from: number, length: number): void {
    const out = this.out;
    if (length > NATIVE_COPY_FROM) {
      out.set(from === 0 && length === bytes.length ? bytes : bytes.subarray(from, from + length), this.at);
      this.at += length;
      return;
    }
    let at = this.at;
    for (let i = 0; i < length; i++) out[at++] = bytes[from + i]!;
    this.at = at;
  }

  /** Text known to be ASCII (numbers). */
  protected latin1(text: string): void {
    const out = this.out;
    let at = this.at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** Any text, as UTF-8 (a lone surrogate as U+FFFD, as Buffer#write encodes it). */
  protected utf8(text: string): void {
    const out = this.out;
    let at = this.at;
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
    this.at = at;
  }

  /** The string whose UTF-8 is `src[start .. start + length)` as a JSON string, in quotes, in the line's escaping. */
  protected jsonString(start: number, length: number): void {
    const src = this.src;
    const out = this.out;
    const bit = this.#jsonPlain;
    let at = this.at;
    out[at++] = QUOTE;
    const end = start + length;
    // Leading runs of four bytes that need nothing by words (as in `text()`, and no quote or
    // backslash either), then a byte at a time from the first that may need escaping. Its own
    // loop, not text()'s nor one shared with it: JsonLineRenderer.render in a loop took 4-8%
    // longer a record with either, keys and values being mostly a few bytes.
    const view = this.view;
    const outView = this.outView;
    let i = start;
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
    for (; i < end; i++) {
      const byte = src[i]!;
      if ((PLAIN[byte]! & bit) !== 0) {
        out[at++] = byte;
        continue;
      }
      if (byte === QUOTE || byte === BACKSLASH) {
        // The common escapes, here rather than by a call.
        out[at++] = BACKSLASH;
        out[at++] = byte;
        continue;
      }
      this.at = at;
      i = this.#escapeAt(i, end, this.#json);
      at = this.at;
    }
    out[at++] = QUOTE;
    this.at = at;
  }

  /** The text whose UTF-8 is `src[start .. start + length)`, escaped as escapeText() escapes it. */
  protected text(start: number, length: number): void {
    const src = this.src;
    const out = this.out;
    const view = this.view;
    const outView = this.outView;
    let at = this.at;
    const end = start + length;
    let i = start;
    while (i < end) {
      // Runs of four bytes that need nothing, by words: none below 0x20 or from 0x7f (DEL, and
      // every byte of a non-ASCII character). A message is mostly printable ASCII.
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
        if ((PLAIN[byte]! & TEXT_PLAIN) !== 0) {
          out[at++] = byte;
          continue;
        }
        this.at = at;
        i = this.#escapeAt(i, end, TEXT_ESCAPING);
        at = this.at;
      }
    }
    this.at = at;
  }

  /**
   * Writes the byte at `i` of a string ending at `end`, one that `escaping` does not copy as it
   * is: its escape, or that of the character it starts, or the character. Returns the index of
   * the character's last byte. Notes U+FFFD in `replaced`, and a byte that starts no
   * well-formed UTF-8 character in `malformed` (it is copied, and the line not used).
   */
  #escapeAt(i: number, end: number, escaping: Escaping): number {
    const src = this.src;
    const byte = src[i]!;
    if (byte >= 0x80) return this.#character(i, end, escaping);
    const escape = ESCAPES[escaping]![byte];
    const out = this.out;
    let at = this.at;
    if (escape === undefined) out[at++] = byte;
    else for (let k = 0; k < escape.length; k++) out[at++] = escape[k]!;
    this.at = at;
    return i;
  }

  /**
   * The character whose UTF-8 starts with the byte at `i` (from 0x80), checked as the Unicode
   * standard's table 3-7 of well-formed sequences has it: the lead byte says how many
   * continuation bytes (0x80-0xBF) follow, and the first of them is narrower after E0 and F0
   * (no overlong forms), ED (no surrogates) and F4 (nothing past U+10FFFF).
   */
  #character(i: number, end: number, escaping: Escaping): number {
    const src = this.src;
    const byte = src[i]!;
    const b1 = i + 1 < end ? src[i + 1]! : 0;
    let last = -1;
    if (byte >= 0xc2 && byte <= 0xdf) {
      if (b1 >= 0x80 && b1 <= 0xbf) last = i + 1;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      const b2 = i + 2 < end ? src[i + 2]! : 0;
      if (b1 >= (byte === 0xe0 ? 0xa0 : 0x80) && b1 <= (byte === 0xed ? 0x9f : 0xbf) && b2 >= 0x80 && b2 <= 0xbf) last = i + 2;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      const b2 = i + 2 < end ? src[i + 2]! : 0;
      const b3 = i + 3 < end ? src[i + 3]! : 0;
      if (b1 >= (byte === 0xf0 ? 0x90 : 0x80) && b1 <= (byte === 0xf4 ? 0x8f : 0xbf) && b2 >= 0x80 && b2 <= 0xbf && b3 >= 0x80 && b3 <= 0xbf) last = i + 3;
    }
    const out = this.out;
    let at = this.at;
    if (last < 0) {
      this.malformed = true;
      out[at++] = byte;
      this.at = at;
      return i;
    }
    let escape: Uint8Array | undefined;
    if (byte === 0xc2) {
      // A C1 control (U+0080-U+009F), escaped where the escaping says so.
      if (b1 <= 0x9f) escape = ESCAPES[escaping]![b1];
    } else if (byte === 0xe2) {
      if (b1 === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) escape = src[i + 2] === 0xa8 ? LINE_SEPARATOR : PARAGRAPH_SEPARATOR;
    } else if (byte === 0xef) {
      if (b1 === 0xbf && src[i + 2] === 0xbd) this.replaced = true;
    }
    if (escape === undefined) for (let k = i; k <= last; k++) out[at++] = src[k]!;
    else for (let k = 0; k < escape.length; k++) out[at++] = escape[k]!;
    this.at = at;
    return last;
  }

  // ---- the record's bytes --------------------------------------------------------------------

  /** True when the key `src[key .. key + keyBytes)` is `word`. */
  protected sameAs(key: number, keyBytes: number, word: Uint8Array): boolean {
    if (keyBytes !== word.length) return false;
    const src = this.src;
    for (let i = 0; i < keyBytes; i++) if (src[key + i] !== word[i]) return false;
    return true;
  }

  /** True when `src[a .. a + length)` and `src[b .. b + length)` hold the same bytes. */
  protected sameBytes(a: number, b: number, length: number): boolean {
    const src = this.src;
    for (let i = 0; i < length; i++) if (src[a + i] !== src[b + i]) return false;
    return true;
  }

  protected u32(p: number): number {
    return this.view.getUint32(p, true);
  }
}

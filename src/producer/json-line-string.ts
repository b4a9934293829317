/**
 * A JavaScript string as the characters of a JSON string, written as UTF-8 bytes: what
 * json-format.ts's jsonString makes of the record's string, byte for byte. Escapes as
 * JSON.stringify writes them, U+2028/9 escaped as well (a line is one line), UTF-8 for the rest,
 * and a lone surrogate as U+FFFD, which is what the encoder's UTF-8 makes of it, so the consumer
 * would see the same.
 *
 * Two writers, by length, because the loop over charCodeAt costs ~5 ns a character here and a
 * stack has hundreds: short strings (keys, most messages and values) by writeJsonChars's loop;
 * long ones by writeLongJsonChars, one native UTF-8 write and then four bytes at a time.
 *
 * Plain functions over a byte array and a position, returning the end: the caller owns the
 * buffer and makes room first (ESCAPED_BYTES_MAX a UTF-16 unit), so the loops check nothing.
 */
import { LITTLE_ENDIAN } from '../record/copy.js';

/** Strings this long or longer go to writeLongJsonChars, shorter ones to writeJsonChars. */
export const LONG_STRING = 32;
/** The most bytes one UTF-16 unit becomes (`\u00XX`): the room a caller makes a unit. */
export const ESCAPED_BYTES_MAX = 6;
/** What writeJsonChars returns for a key it will not write. */
export const KEY_REFUSED = -1;

const INITIAL_UTF8 = 4096;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** The escapes JSON.stringify writes for these control characters; the others are \u00XX. */
const SHORT_ESCAPES: readonly number[] = (() => {
  const escapes: number[] = [];
  escapes[8] = 0x62;
  escapes[9] = 0x74;
  escapes[10] = 0x6e;
  escapes[12] = 0x66;
  escapes[13] = 0x72;
  return escapes;
})();

/**
 * A long string's UTF-8 before it is escaped, as bytes and as the same bytes' words. One for
 * the thread, not one an encoder: it holds a string only while writeLongJsonChars runs, which
 * calls no user code, so no other write can come in between.
 */
let utf8 = Buffer.allocUnsafe(INITIAL_UTF8);
let utf8Words = new Int32Array(utf8.buffer, utf8.byteOffset, utf8.length >> 2);

/**
 * `text[from..to]` as the characters of a JSON string, without the quotes, at `at` of
 * `scratch`; returns the end, or KEY_REFUSED for a lone surrogate when `key` (decoding may merge
 * such keys). `to` is the end of the string for a surrogate pair, as if the slice were a string
 * of its own.
 */
export function writeJsonChars(
  scratch: Uint8Array,
  at: number,
  text: string,
  from: number,
  to: number,
  key: boolean,
): number {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if (code >= 0x20 && code !== QUOTE && code !== BACKSLASH) scratch[at++] = code;
      else at = escapeAscii(scratch, at, code);
    } else if (code < 0x800) {
      scratch[at++] = 0xc0 | (code >> 6);
      scratch[at++] = 0x80 | (code & 0x3f);
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < to ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const point = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        scratch[at++] = 0xf0 | (point >> 18);
        scratch[at++] = 0x80 | ((point >> 12) & 0x3f);
        scratch[at++] = 0x80 | ((point >> 6) & 0x3f);
        scratch[at++] = 0x80 | (point & 0x3f);
        i++;
      } else {
        if (key) return KEY_REFUSED;
        scratch[at++] = 0xef;
        scratch[at++] = 0xbf;
        scratch[at++] = 0xbd;
      }
    } else if (code === 0x2028 || code === 0x2029) {
      at = escapeLineSeparator(scratch, at, code);
    } else {
      scratch[at++] = 0xe0 | (code >> 12);
      scratch[at++] = 0x80 | ((code >> 6) & 0x3f);
      scratch[at++] = 0x80 | (code & 0x3f);
    }
  }
  return at;
}

/**
 * What writeJsonChars writes for the whole of `text`, which is long (not a key), at `at` of
 * `scratch` (`view` is a DataView over the same bytes); returns the end. V8 writes its UTF-8 (a
 * lone surrogate as U+FFFD, as writeJsonChars and the encoder do), then whole words of four
 * bytes that need no escape (no byte below 0x20, no quote, no backslash, no 0xE2, the lead byte
 * of U+2028/9) are copied as words, and the bytes of any other word one at a time.
 * (A stack of 560 characters: 3.1 µs by the loop of writeJsonChars, 0.9 µs this way.)
 */
export function writeLongJsonChars(
  scratch: Uint8Array,
  view: DataView,
  at: number,
  text: string,
): number {
  const length = text.length;
  // At most 3 bytes of UTF-8 per UTF-16 unit.
  if (utf8.length < 3 * length) {
    let size = utf8.length * 2;
    while (size < 3 * length) size *= 2;
    utf8 = Buffer.allocUnsafe(size);
    utf8Words = new Int32Array(utf8.buffer, utf8.byteOffset, size >> 2);
  }
  const bytes = utf8;
  const words = utf8Words;
  const end = (bytes as Buffer & { utf8Write(text: string, offset: number): number }).utf8Write(text, 0);
  let read = 0;
  while (read < end) {
    if ((read & 3) === 0 && read + 4 <= end) {
      const word = words[read >> 2]!;
      // Per byte, exactly (the bit tricks' "has a byte less than n" and "has a zero byte").
      const low = (word - 0x20202020) & ~word;
      const quote = word ^ 0x22222222;
      const slash = word ^ 0x5c5c5c5c;
      const e2 = word ^ 0xe2e2e2e2;
      if (((low | ((quote - 0x01010101) & ~quote) | ((slash - 0x01010101) & ~slash) | ((e2 - 0x01010101) & ~e2)) & 0x80808080) === 0) {
        view.setInt32(at, word, LITTLE_ENDIAN);
        at += 4;
        read += 4;
        continue;
      }
    }
    const byte = bytes[read++]!;
    if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH && byte !== 0xe2) {
      scratch[at++] = byte;
    } else if (byte === 0xe2) {
      // U+2028/9 is E2 80 A8/A9; any other E2 leads a character written as it is.
      const third = bytes[read + 1];
      if (bytes[read] === 0x80 && (third === 0xa8 || third === 0xa9)) {
        at = escapeLineSeparator(scratch, at, third === 0xa8 ? 0x2028 : 0x2029);
        read += 2;
      } else {
        scratch[at++] = byte;
      }
    } else {
      at = escapeAscii(scratch, at, byte);
    }
  }
  return at;
}

/**
 * The escape of an ASCII `code` that JSON escapes (a quote, a backslash, a control character),
 * as JSON.stringify writes it, at `at`; returns the end.
 */
function escapeAscii(scratch: Uint8Array, at: number, code: number): number {
  scratch[at++] = BACKSLASH;
  if (code >= 0x20) {
    scratch[at++] = code;
    return at;
  }
  const short = SHORT_ESCAPES[code];
  if (short !== undefined) {
    scratch[at++] = short;
    return at;
  }
  scratch[at++] = 0x75;
  scratch[at++] = 0x30;
  scratch[at++] = 0x30;
  scratch[at++] = HEX.charCodeAt(code >> 4);
  scratch[at++] = HEX.charCodeAt(code & 15);
  return at;
}

/**
 * `\u2028` or `\u2029` for `separator`, at `at`; returns the end. JSON.stringify leaves the two
 * raw, but JavaScript and some editors break lines at them.
 */
function escapeLineSeparator(scratch: Uint8Array, at: number, separator: number): number {
  scratch[at++] = BACKSLASH;
  scratch[at++] = 0x75;
  scratch[at++] = 0x32;
  scratch[at++] = 0x30;
  scratch[at++] = 0x32;
  scratch[at++] = separator === 0x2028 ? 0x38 : 0x39;
  return at;
}

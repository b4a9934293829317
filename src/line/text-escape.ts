/**
 * What may stand on a line of text output, so that data can never forge a line or drive a
 * terminal: CR, LF, tab, the other C0 controls, DEL, the C1 controls (0x80-0x9f; 0x9b is an
 * 8-bit CSI, 0x85 a line break to some readers), U+2028 and U+2029. ESC (0x1b) is among the C0
 * controls, so a message cannot recolour a terminal or set its title.
 *
 * In text they are written `\n` `\r` `\t` `\u2028` `\u2029` and `\xHH`. The escaping is for
 * safety and is not reversible: a backslash is written as is, so a Windows path stays readable.
 * In JSON (which JSON.stringify already makes free of C0 controls, and appendJsonValue of
 * U+2028/9) DEL and C1 are written `\u00HH`, so that it stays valid JSON.
 *
 * Runs on every value of every text line: the common case is one regex test, no allocation.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const JSON_UNSAFE = /[\u007f-\u009f]/;
const JSON_UNSAFE_ALL = /[\u007f-\u009f]/g;

/** `text` with every unsafe character escaped. */
export function escapeText(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/** `json` with DEL and the C1 controls escaped as JSON escapes. */
export function jsonSafe(json: string): string {
  return JSON_UNSAFE.test(json) ? json.replace(JSON_UNSAFE_ALL, (char) => `\\u00${char.charCodeAt(0).toString(16)}`) : json;
}

/** Where the first unsafe character of `text` is, for an error message; undefined if none. */
export function firstUnsafe(text: string): { readonly index: number; readonly codePoint: number } | undefined {
  const match = UNSAFE.exec(text);
  return match === null ? undefined : { index: match.index, codePoint: match[0].charCodeAt(0) };
}

function escapeChar(char: string): string {
  switch (char) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\u2028':
      return '\\u2028';
    case '\u2029':
      return '\\u2029';
    default:
      return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
}

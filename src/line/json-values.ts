/**
 * JSON values as ringlog writes them inside a line: the values of a JSON line (json-format.ts)
 * and of printf's `%j %o %O` (printf.ts), one writer for both, kept apart from the line so that
 * the two modules do not import each other.
 *
 * A value is always on ONE line: every string (keys included) goes through JSON.stringify, which
 * escapes CR, LF, NUL, the other control characters and lone surrogates; U+2028 and U+2029,
 * which JSON.stringify leaves raw but JavaScript and some editors treat as line breaks, are
 * escaped as well.
 */
import { ErrorValue, type ObjectValue, type Value } from '../record/log-record.js';

/**
 * Appends the JSON for `value` to `out`. Also the renderer of printf's `%j %o %O`.
 *
 * As JSON.stringify, except: a bigint is written as its digits, a raw JSON number (as pino's
 * safe-stable-stringify does); an ErrorValue is written as pino's err object
 * `{"type","message","stack",<its fields>,"cause"}`; a top-level undefined is written as `null`,
 * so the result is always valid JSON. NaN and ±Infinity are `null`; undefined is omitted as an
 * object value and `null` as an array element.
 */
export function appendJsonValue(out: string, value: Value): string {
  switch (typeof value) {
    case 'string':
      return out + jsonString(value);
    case 'number':
      return out + jsonNumber(value);
    case 'bigint':
      return out + value.toString();
    case 'boolean':
      return out + (value ? 'true' : 'false');
    case 'undefined':
      return `${out}null`;
    default:
      if (value === null) return `${out}null`;
      if (Array.isArray(value)) return appendArray(out, value);
      if (value instanceof ErrorValue) return appendError(out, value);
      return appendObject(`${out}{`, value, false) + '}';
  }
}

function appendArray(out: string, values: readonly Value[]): string {
  out += '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out = appendJsonValue(out, values[i]);
  }
  return `${out}]`;
}

/**
 * Appends `"key":value` for each own key of `object` whose value is not undefined, each
 * preceded by a comma except the very first when `comma` is false. `skipErrorKeys` drops the
 * keys an ErrorValue renders itself.
 */
export function appendObject(out: string, object: ObjectValue, comma: boolean, skipErrorKeys = false): string {
  // for...in: decoded objects have a null prototype, so this is exactly the own keys, in
  // insertion order, `__proto__` included as an ordinary key; and it allocates no key array.
  for (const key in object) {
    const value = object[key];
    if (value === undefined) continue;
    if (skipErrorKeys && (key === 'type' || key === 'message' || key === 'stack' || key === 'cause')) continue;
    out = appendJsonValue(`${out}${comma ? ',' : ''}${jsonString(key)}:`, value);
    comma = true;
  }
  return out;
}

export function appendError(out: string, error: ErrorValue): string {
  out += `{"type":${jsonString(error.type)},"message":${jsonString(error.message)}`;
  if (error.stack !== undefined) out += `,"stack":${jsonString(error.stack)}`;
  if (error.fields !== undefined) out = appendObject(out, error.fields, true, true);
  if (error.cause !== undefined) out = appendJsonValue(`${out},"cause":`, error.cause);
  return `${out}}`;
}

// Two regexes: a global one keeps `lastIndex` state between calls, so it must not do `test`.
const HAS_LINE_SEPARATOR = /[\u2028\u2029]/;
const LINE_SEPARATORS = /[\u2028\u2029]/g;

export function jsonString(value: string): string {
  const json = JSON.stringify(value);
  // Rare in logs: the common path costs one scan and allocates no second string.
  return HAS_LINE_SEPARATOR.test(json) ? json.replace(LINE_SEPARATORS, escapeLineSeparator) : json;
}

function escapeLineSeparator(char: string): string {
  return char === '\u2028' ? '\\u2028' : '\\u2029';
}

export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

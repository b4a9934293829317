/**
 * Renders a decoded record as one pino-shaped JSON line, so pino-pretty and every tool that
 * reads pino reads ringlog unchanged:
 *
 *   {"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"worker",<bindings>,<fields>,"msg":"..."}\n
 *
 * Runs in the consumer thread for every record, hundreds of thousands of times a second, so it
 * concatenates into one string and allocates nothing else per record when it can help it.
 *
 * A line is always ONE line: every string (keys included) goes through JSON.stringify, which
 * escapes CR, LF, NUL, the other control characters and lone surrogates; U+2028 and U+2029,
 * which JSON.stringify leaves raw but JavaScript and some editors treat as line breaks, are
 * escaped as well.
 *
 * Each key appears once, because JSON.parse keeps the last duplicate but other readers keep the
 * first, and a line must mean the same thing to all of them:
 * - our keys `level`, `time`, `pid`, `hostname` are always ours, and so are `name` when the
 *   record has a name and `msg` when it has a message: a binding or field with one of those
 *   names is skipped. (Without a message, a field `msg` is written as logged, as pino does.)
 * - a field wins over a binding with the same key: the binding is skipped.
 * - inside a rendered error, `type`, `message`, `stack` and `cause` are the error's own, and
 *   its fields with those names are skipped.
 * Keys whose value is undefined are omitted (as JSON.stringify does) and so never collide.
 */
import { isOurs } from '../../line/json-keys.js';
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../../record/log-record.js';
import { formatMessage } from './printf.js';

export interface JsonFormatContext {
  readonly pid: number;
  readonly hostname: string;
}

/** `,"pid":123,"hostname":"h"`: the same for every line, rendered once. */
export function renderProcessKeys(context: JsonFormatContext): string {
  return `,"pid":${jsonNumber(context.pid)},"hostname":${jsonString(context.hostname)}`;
}

export function createJsonFormatter(context: JsonFormatContext): (record: LogRecord) => string {
  const processKeys = renderProcessKeys(context);

  return function formatJson(record: LogRecord): string {
    const { name, bindings, fields } = record;
    const msg = messageOf(record);
    const hasName = name !== undefined;
    const hasMsg = msg !== undefined;

    let out = `{"level":${jsonNumber(record.level)},"time":${jsonNumber(record.time)}${processKeys}`;
    if (hasName) out += `,"name":${jsonString(name)}`;
    if (bindings !== undefined) {
      for (const key in bindings) {
        const value = bindings[key];
        if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
        if (fields !== undefined && fields[key] !== undefined && Object.hasOwn(fields, key)) continue;
        out = appendJsonValue(`${out},${jsonString(key)}:`, value);
      }
    }
    if (fields !== undefined) {
      for (const key in fields) {
        const value = fields[key];
        if (value === undefined || isOurs(key, hasName, hasMsg)) continue;
        out = appendJsonValue(`${out},${jsonString(key)}:`, value);
      }
    }
    if (msg !== undefined) out += `,"msg":${jsonString(msg)}`;
    return `${out}}\n`;
  };
}

/**
 * A record's message: its template filled in with its arguments (printf.ts), or, when it has
 * neither, the message of its `err` field, as pino does for `log.error(err)`; else undefined.
 * Every formatter takes the message from here, so a line says the same in every format.
 */
export function messageOf(record: LogRecord): string | undefined {
  const msg = formatMessage(record.msg, record.args);
  const { fields } = record;
  if (msg === undefined && record.msg === undefined && fields !== undefined) {
    const err = fields['err'];
    if (err instanceof ErrorValue && Object.hasOwn(fields, 'err')) return err.message;
  }
  return msg;
}

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
function appendObject(out: string, object: ObjectValue, comma: boolean, skipErrorKeys = false): string {
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

function appendError(out: string, error: ErrorValue): string {
  out += `{"type":${jsonString(error.type)},"message":${jsonString(error.message)}`;
  if (error.stack !== undefined) out += `,"stack":${jsonString(error.stack)}`;
  if (error.fields !== undefined) out = appendObject(out, error.fields, true, true);
  if (error.cause !== undefined) out = appendJsonValue(`${out},"cause":`, error.cause);
  return `${out}}`;
}

// Two regexes: a global one keeps `lastIndex` state between calls, so it must not do `test`.
const HAS_LINE_SEPARATOR = /[\u2028\u2029]/;
const LINE_SEPARATORS = /[\u2028\u2029]/g;

function jsonString(value: string): string {
  const json = JSON.stringify(value);
  // Rare in logs: the common path costs one scan and allocates no second string.
  return HAS_LINE_SEPARATOR.test(json) ? json.replace(LINE_SEPARATORS, escapeLineSeparator) : json;
}

function escapeLineSeparator(char: string): string {
  return char === '\u2028' ? '\\u2028' : '\\u2029';
}

function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

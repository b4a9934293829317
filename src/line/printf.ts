/**
 * printf-style messages, as pino and Node's util.format build them: `log.info('took %d ms', 12)`.
 * Runs on decoded values, in the thread that renders the record (the consumer, or a producer
 * whose call json-line-printf.ts leaves to the encoder in line lanes).
 *
 * Placeholders, each taking the next argument:
 * - `%s`  strings as is; numbers via String, except -0 → '-0'; bigint → '123n'; booleans, null
 *         and undefined via String; arrays and objects → the same JSON as `%j`; an error →
 *         'TypeError: message'.
 * - `%d`  Number(value) via String (-0 → '-0'); bigint → '123n'; arrays, objects and errors
 *         → 'NaN'. So '%d' of '42' is '42', of true is '1', of null is '0' (all as
 *         util.format), of undefined is 'NaN'.
 * - `%i`  as `%d`, truncated toward zero with Math.trunc ('%i' of 4.7 is '4'); bigint as is.
 * - `%f`  numbers as `%d`; strings via parseFloat ('3.5px' → '3.5'); bigint as a float
 *         (12n → '12'); anything else → 'NaN'.
 * - `%j` `%o` `%O`  JSON, by the serializer of the JSON lines (appendJsonValue), so a value
 *         reads the same in a message and in a field; undefined → 'undefined', as util.format.
 * - `%%`  a single '%'.
 * Any other '%x' stays as written. A placeholder with no argument left stays as written, and
 * arguments left over are appended, each after a space (strings as is, others as `%s`), as
 * util.format does: nothing logged is lost.
 *
 * With no arguments the template is not a template but the message, returned as is, '%%'
 * included (pino and util.format do the same: `log.info('100%%')` writes '100%%'). This is also
 * the fast path: no scan, no allocation.
 *
 * Without a template, the arguments are joined with spaces (as `util.format(1, 'a')` → '1 a');
 * without either, there is no message (undefined).
 */
import { ErrorValue, type Value } from '../record/log-record.js';
import { appendJsonValue } from './json-values.js';

const PERCENT = 37; // '%'

export function formatMessage(template: string | undefined, args: readonly Value[]): string | undefined {
  if (template === undefined) return args.length === 0 ? undefined : appendRest('', args, 0, false);
  if (args.length === 0) return template;

  let out = '';
  let copied = 0; // template[copied..] is not in `out` yet
  let next = 0; // index of the next argument
  let i = template.indexOf('%');
  while (i !== -1 && i + 1 < template.length) {
    const code = template.charCodeAt(i + 1);
    if (code === PERCENT) {
      out += template.slice(copied, i + 1);
      copied = i + 2;
    } else if (next < args.length) {
      const rendered = renderPlaceholder(code, args[next]);
      if (rendered !== undefined) {
        out += template.slice(copied, i) + rendered;
        copied = i + 2;
        next++;
      }
    }
    i = template.indexOf('%', i + 2);
  }
  out += copied === 0 ? template : template.slice(copied);
  return appendRest(out, args, next, true);
}

/** The text for placeholder `%<code>` applied to `value`, or undefined if `code` is not one. */
function renderPlaceholder(code: number, value: Value): string | undefined {
  switch (code) {
    case 115: // s
      return asString(value);
    case 100: // d
      return asNumber(value, false);
    case 105: // i
      return asNumber(value, true);
    case 102: // f
      if (typeof value === 'number') return numberText(value);
      if (typeof value === 'string') return numberText(parseFloat(value));
      if (typeof value === 'bigint') return numberText(parseFloat(value.toString()));
      return 'NaN';
    case 106: // j
    case 111: // o
    case 79: // O
      return value === undefined ? 'undefined' : appendJsonValue('', value);
    default:
      return undefined;
  }
}

function asString(value: Value): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return numberText(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    default:
      if (value === null) return 'null';
      if (value instanceof ErrorValue) return `${value.type}: ${value.message}`;
      return appendJsonValue('', value);
  }
}

function asNumber(value: Value, truncate: boolean): string {
  if (typeof value === 'bigint') return `${value}n`;
  // Arrays, objects, errors. (Number() would also throw on a null-prototype object.)
  if (typeof value === 'object' && value !== null) return 'NaN';
  const n = Number(value);
  return numberText(truncate ? Math.trunc(n) : n);
}

/** String(n), except that -0 keeps its sign, as util.format prints it. */
function numberText(n: number): string {
  return n === 0 && 1 / n < 0 ? '-0' : String(n);
}

/** Appends args[from..], each after a space (the very first without one when `space` is false). */
function appendRest(out: string, args: readonly Value[], from: number, space: boolean): string {
  for (let i = from; i < args.length; i++) {
    if (space) out += ' ';
    out += asString(args[i]);
    space = true;
  }
  return out;
}

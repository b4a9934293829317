/**
 * Renders a decoded record as a text line in the manner of Python's `logging.Formatter`:
 *
 *   2023-11-14 22:13:20,000 INFO     worker: job done {"requestId":"r-1","jobId":7}\n
 *   2023-11-14 22:13:20,000 ERROR    worker: job failed\n
 *   \tError: boom\n
 *   \t    at run (file:///app/worker.js:8:13)\n
 *   \tCaused by: Error: disk full\n
 *
 * A template (text-template.ts: `{field}` or `%(field)s` style) names the fields of the first
 * line; the record's other bindings and fields follow as one compact JSON object (`extras`), so
 * nothing logged is silently left out; each Error among them follows on continuation lines.
 *
 * One record stays recognisable, whatever it holds: continuation lines, and only they, start
 * with a tab. The first line cannot hold a tab or a line break: the template, the date format
 * and the `missing` text may not contain control characters (checked once, here), and every
 * value, key and stack line is escaped (text-escape.ts: CR, LF, tab, ESC and the other
 * controls, U+2028/2029), so a message can neither forge a line nor recolour a terminal.
 *
 * Fields (Python's LogRecord names, and pino's where they differ):
 *   asctime          the time by `datefmt` (strftime.ts); default `2003-07-08 16:49:45,896`
 *   created          seconds since the epoch, a float (1700000000.123)
 *   msecs            the millisecond part, 0-999 (Python: `%(msecs)03d`)
 *   time             ms since the epoch, as in the JSON lines (pino)
 *   levelname        TRACE DEBUG INFO WARNING ERROR CRITICAL (Python's names; TRACE for 10)
 *   level            trace debug info warn error fatal (pino's labels)
 *   levelno          the level number: pino's 10-60, as in the JSON lines, not Python's 5-50
 *   name             the logger name; 'root' without one, as Python prints
 *   thread           the thread id (threadId, 0 for the main thread)
 *   threadName       'MainThread' for thread 0, as Python; 'Thread-<id>' otherwise
 *   process, pid     the process id
 *   hostname         the host name
 *   message, msg     the message, printf placeholders filled in (as the JSON line's msg;
 *                    unlike Python, whose msg is the unformatted template); '' without one
 *   anything else    a binding or field of that key (fields win over bindings, as in JSON);
 *                    `missing` ('-') when the record has none. Python attributes ringlog has no
 *                    data for (filename, lineno, funcName, module, pathname, relativeCreated,
 *                    processName...) are looked up as keys like any other name.
 * A value that is not a string is written as text: numbers and bigints as digits, booleans and
 * null as words, an Error as `Type: message`, objects and arrays as JSON.
 *
 * Runs for every record the fast paths leave (the consumer's text-bytes.ts, the producers'
 * producer/text-line.ts), in the thread that renders: the template is parsed once, and a record costs
 * a walk over its parts, the record's keys once, and one regex test per value for escaping.
 */
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../record/log-record.js';
import { messageOf, type JsonFormatContext } from './json-format.js';
import { appendJsonValue } from './json-values.js';
import { createDateFormatter } from './strftime.js';
import { escapeText, jsonSafe } from './text-escape.js';
import { checkTemplate, type FieldSpec } from './text-template.js';
import { ASCTIME, formatField, headerValue, headline, HOSTNAME, jsonText, KEY, MESSAGE, NAME, pad, PROCESS, ROOT_NAME, SOURCES } from './text-values.js';

/** How every continuation line (stacks, causes) starts; the first line of a record never holds one. */
export const CONTINUATION = '\t';

/** Cause chains and nested AggregateErrors are followed this deep, then one line says so. */
export const MAX_ERROR_DEPTH = 10;

/** Validated options, with defaults filled in: plain data, so it can be posted to the consumer thread. */
export interface ResolvedTextFormat {
  readonly template: string;
  readonly style: '{' | '%';
  /** undefined: Python's default asctime. */
  readonly datefmt: string | undefined;
  readonly utc: boolean;
  readonly extras: 'json' | 'none';
  readonly missing: string;
}

export type TextFormatContext = JsonFormatContext;

interface Field {
  readonly source: number;
  /** The binding or field key, for KEY. */
  readonly key: string;
  readonly spec: FieldSpec | undefined;
}

/** Whether the template names keys of the record (`%(worker)s`), beside its built-in fields. */
export function namesKeys(options: ResolvedTextFormat): boolean {
  return compileTemplate(options.template, options.style, 'format').some((part) => typeof part !== 'string' && part.source === KEY);
}

/** Builds the formatter for options resolved by config/text-format-options.ts. */
export function createTextFormatter(options: ResolvedTextFormat, context: TextFormatContext): (record: LogRecord) => string {
  const parts = compileTemplate(options.template, options.style, 'format');
  const formatDate = createDateFormatter(options.datefmt, options.utc);
  const { missing } = options;
  const extras = options.extras === 'json';
  const hostname = escapeText(context.hostname);
  const pid = context.pid;
  const usedKeys = new Set<string>();
  for (const part of parts) if (typeof part !== 'string' && part.source === KEY) usedKeys.add(part.key);
  const checkUsed = usedKeys.size > 0;

  /** The value of a field other than KEY. */
  function builtin(source: number, record: LogRecord, message: string): Value {
    switch (source) {
      case ASCTIME:
        return formatDate(record.time);
      case NAME:
        return record.name ?? ROOT_NAME;
      case PROCESS:
        return pid;
      case HOSTNAME:
        return hostname;
      case MESSAGE:
        return message;
      default:
        return headerValue(source, record.level, record.time, record.threadId);
    }
  }

  return function formatText(record: LogRecord): string {
    const message = messageOf(record) ?? '';
    const { bindings, fields } = record;
    let line = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        line += part;
        continue;
      }
      let value: Value;
      if (part.source === KEY) {
        value = lookup(fields, part.key);
        if (value === undefined) value = lookup(bindings, part.key);
        if (value === undefined) {
          line += part.spec === undefined ? missing : pad(missing, part.spec, false);
          continue;
        }
      } else {
        value = builtin(part.source, record, message);
      }
      line += formatField(value, part.spec);
    }

    // One pass over the record's keys: errors for the continuation lines, the rest for extras.
    let json = '';
    let errors: (string | ErrorValue)[] | undefined;
    if (bindings !== undefined) {
      for (const key in bindings) {
        const value = bindings[key];
        if (value === undefined || (fields !== undefined && fields[key] !== undefined && Object.hasOwn(fields, key))) continue;
        if (value instanceof ErrorValue) (errors ??= []).push(key, value);
        else if (extras && !(checkUsed && usedKeys.has(key))) json = appendJsonValue(`${json}${json === '' ? '{' : ','}${jsonKey(key)}:`, value);
      }
    }
    if (fields !== undefined) {
      for (const key in fields) {
        const value = fields[key];
        if (value === undefined) continue;
        if (value instanceof ErrorValue) (errors ??= []).push(key, value);
        else if (extras && !(checkUsed && usedKeys.has(key))) json = appendJsonValue(`${json}${json === '' ? '{' : ','}${jsonKey(key)}:`, value);
      }
    }
    if (json !== '') line += ` ${jsonSafe(`${json}}`)}`;
    line += '\n';
    if (errors !== undefined) {
      for (let i = 0; i < errors.length; i += 2) {
        const key = errors[i] as string;
        line = appendError(line, errors[i + 1] as ErrorValue, key === 'err' ? '' : `${escapeText(key)}: `, 0, 0);
      }
    }
    return line;
  };
}

/** Parses a template into literal text and fields; template errors name `optionPath.template`. */
function compileTemplate(template: string, style: '{' | '%', optionPath: string): (string | Field)[] {
  return checkTemplate(template, style, optionPath).map((part) =>
    typeof part === 'string' ? part : { source: SOURCES.get(part.name) ?? KEY, key: part.name, spec: part.spec },
  );
}

function lookup(object: ObjectValue | undefined, key: string): Value {
  // Decoded objects have a null prototype; hasOwn keeps a hand-made record honest too.
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}

// --- errors --------------------------------------------------------------------------------------

/**
 * Appends an error's continuation lines: its stack (or `Type: message` without one), each line
 * escaped and indented, its own fields as compact JSON at the end of its last line (as Node's
 * inspect shows them after the stack), then the errors of an AggregateError one level deeper
 * (`aggregateErrors[i]: `), then its cause (`Caused by: `), recursively up to MAX_ERROR_DEPTH.
 * A cause or aggregated item that is not an Error is written as JSON.
 */
function appendError(out: string, value: Value, label: string, level: number, depth: number): string {
  const indent = CONTINUATION + '    '.repeat(level);
  if (depth >= MAX_ERROR_DEPTH) return `${out}${indent}${label}[nested errors beyond ${MAX_ERROR_DEPTH} omitted]\n`;
  if (!(value instanceof ErrorValue)) return `${out}${indent}${label}${escapeText(jsonText(value))}\n`;

  let json = '';
  let aggregated: Value[] | undefined;
  const { fields } = value;
  for (const key in fields) {
    const field = fields[key];
    if (field === undefined || key === 'type' || key === 'message' || key === 'stack' || key === 'cause') continue;
    if (key === 'aggregateErrors' && Array.isArray(field)) aggregated = field;
    else json = appendJsonValue(`${json}${json === '' ? '{' : ','}${jsonKey(key)}:`, field);
  }
  const lines = (value.stack || headline(value)).split('\n');
  for (let i = 0; i < lines.length; i++) {
    out += `${indent}${i === 0 ? label : ''}${escapeText(lines[i]!)}`;
    if (i === lines.length - 1 && json !== '') out += ` ${jsonSafe(`${json}}`)}`;
    out += '\n';
  }
  if (aggregated !== undefined) {
    for (let i = 0; i < aggregated.length; i++) out = appendError(out, aggregated[i], `aggregateErrors[${i}]: `, level + 1, depth + 1);
  }
  if (value.cause !== undefined) out = appendError(out, value.cause, 'Caused by: ', level, depth + 1);
  return out;
}

// --- helpers -----------------------------------------------------------------------------------

function jsonKey(key: string): string {
  return appendJsonValue('', key);
}

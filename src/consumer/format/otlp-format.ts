/**
 * An OTLP sink's lines: each record as one OpenTelemetry LogRecord in OTLP/JSON
 * (opentelemetry-proto's logs.proto, JSON mapping), preceded by its instrumentation scope, the
 * logger's name, for the sender to group (forward/http-sender.ts):
 *
 *   "db.pool"\t{"timeUnixNano":"1796492810123000000","observedTimeUnixNano":"...",
 *     "severityNumber":13,"severityText":"WARN","body":{"stringValue":"slow query"},
 *     "attributes":[{"key":"ms","value":{"intValue":"1200"}},...]}\n
 *
 * The scope is a JSON string, so the first tab ends it (JSON escapes a tab inside a string).
 *
 * - Severity as the logs data model maps it: trace 1, debug 5, info 9, warn 13, error 17,
 *   fatal 21 (a level between two takes the next numbers of its range); `severityText` is the
 *   level's name in capitals.
 * - The body is the message (the template filled in, as every format writes it).
 * - Attributes are the bindings and the fields (a field wins over a binding of the same key),
 *   each an AnyValue: strings, booleans, integers (`intValue`, a string, as JSON int64),
 *   doubles, arrays and objects (`arrayValue`, `kvlistValue`); null and undefined are left out.
 *   An Error (`err`, or any field holding one) becomes `exception.type`, `exception.message`
 *   and `exception.stacktrace` (semantic conventions); its own fields and cause follow as a
 *   kvlist under its key. `thread.id` says which thread logged it.
 */
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../../record/log-record.js';
import { messageOf } from '../../line/json-format.js';
import { jsonNumber, jsonString } from '../../line/json-values.js';

const SEVERITIES: readonly (readonly [number, number, string])[] = [
  [60, 21, 'FATAL'],
  [50, 17, 'ERROR'],
  [40, 13, 'WARN'],
  [30, 9, 'INFO'],
  [20, 5, 'DEBUG'],
  [10, 1, 'TRACE'],
];

/** The OTel severity number and text of a pino level number. */
export function severityOf(level: number): { number: number; text: string } {
  for (const [floor, number, text] of SEVERITIES) {
    // A level between two (a custom one) takes the next numbers of its range: 35 is INFO3 (11).
    if (level >= floor) return { number: number + Math.min(3, Math.floor(((level - floor) * 4) / 10)), text };
  }
  return { number: 1, text: 'TRACE' };
}

/** The line of a record: its scope, a tab, its LogRecord. */
export function formatOtlp(record: LogRecord): string {
  const severity = severityOf(record.level);
  const nanos = `${jsonNumber(record.time)}000000`;
  let out = `{"timeUnixNano":"${nanos}","observedTimeUnixNano":"${nanos}","severityNumber":${severity.number},"severityText":"${severity.text}"`;
  const msg = messageOf(record);
  if (msg !== undefined) out += `,"body":{"stringValue":${jsonString(msg)}}`;
  const attributes: string[] = [`{"key":"thread.id","value":{"intValue":"${record.threadId}"}}`];
  const { bindings, fields } = record;
  if (bindings !== undefined) {
    for (const key in bindings) {
      if (fields !== undefined && fields[key] !== undefined && Object.hasOwn(fields, key)) continue;
      addAttribute(attributes, key, bindings[key]);
    }
  }
  if (fields !== undefined) for (const key in fields) addAttribute(attributes, key, fields[key]);
  out += `,"attributes":[${attributes.join(',')}]}`;
  return `${jsonString(record.name ?? '')}\t${out}\n`;
}

/** The line of a finished line (pino through destination()): the line is the body. */
export function frameOtlp(line: string, level: number, time: number): string {
  const severity = severityOf(level);
  const nanos = `${jsonNumber(time)}000000`;
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  return `""\t{"timeUnixNano":"${nanos}","observedTimeUnixNano":"${nanos}","severityNumber":${severity.number},"severityText":"${severity.text}","body":{"stringValue":${jsonString(body)}}}\n`;
}

function addAttribute(out: string[], key: string, value: Value): void {
  if (value === undefined || value === null) return;
  if (value instanceof ErrorValue) {
    out.push(attribute('exception.type', value.type), attribute('exception.message', value.message));
    if (value.stack !== undefined) out.push(attribute('exception.stacktrace', value.stack));
    const rest = errorRest(value);
    if (rest !== undefined) out.push(`{"key":${jsonString(key)},"value":${rest}}`);
    return;
  }
  out.push(`{"key":${jsonString(key)},"value":${anyValue(value)}}`);
}

function attribute(key: string, value: string): string {
  return `{"key":${jsonString(key)},"value":{"stringValue":${jsonString(value)}}}`;
}

/** An error's own fields and cause, as a kvlist; undefined when it has neither. */
function errorRest(error: ErrorValue): string | undefined {
  const values: string[] = [];
  if (error.fields !== undefined) for (const key in error.fields) pushKeyValue(values, key, error.fields[key]);
  if (error.cause !== undefined) pushKeyValue(values, 'cause', error.cause);
  return values.length === 0 ? undefined : `{"kvlistValue":{"values":[${values.join(',')}]}}`;
}

function pushKeyValue(out: string[], key: string, value: Value): void {
  if (value !== undefined && value !== null) out.push(`{"key":${jsonString(key)},"value":${anyValue(value)}}`);
}

/** OTLP/JSON's AnyValue. */
export function anyValue(value: Value): string {
  if (value === undefined || value === null) return '{}';
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${jsonString(value)}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
    case 'bigint':
      return `{"intValue":"${value}"}`;
    case 'number':
      if (Number.isSafeInteger(value)) return `{"intValue":"${value}"}`;
      // JSON has no NaN or Infinity: OTLP/JSON writes them as strings.
      return Number.isFinite(value) ? `{"doubleValue":${value}}` : `{"doubleValue":"${value}"}`;
    default:
  }
  if (Array.isArray(value)) return `{"arrayValue":{"values":[${value.map(anyValue).join(',')}]}}`;
  if (value instanceof ErrorValue) {
    const values = [
      `{"key":"type","value":{"stringValue":${jsonString(value.type)}}}`,
      `{"key":"message","value":{"stringValue":${jsonString(value.message)}}}`,
    ];
    if (value.stack !== undefined) values.push(`{"key":"stack","value":{"stringValue":${jsonString(value.stack)}}}`);
    const rest = errorRest(value);
    if (rest !== undefined) values.push(`{"key":"fields","value":${rest}}`);
    return `{"kvlistValue":{"values":[${values.join(',')}]}}`;
  }
  const values: string[] = [];
  const object = value as ObjectValue;
  for (const key in object) pushKeyValue(values, key, object[key]);
  return `{"kvlistValue":{"values":[${values.join(',')}]}}`;
}

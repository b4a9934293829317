/**
 * Renders a decoded record as one pino-shaped JSON line, so pino-pretty and every tool that
 * reads pino reads ringlog unchanged:
 *
 *   {"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"worker",<bindings>,<fields>,"msg":"..."}\n
 *
 * Runs for every record the fast paths leave (json-bytes.ts in the consumer, json-line.ts in
 * producers), in the thread that renders, up to hundreds of thousands of times a second, so it
 * concatenates into one string and allocates nothing else per record when it can help it.
 *
 * A line is always ONE line: its values are written by json-values.ts, which escapes every line
 * break.
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
import { isOurs } from './json-keys.js';
import { ErrorValue, type LogRecord } from '../record/log-record.js';
import { appendJsonValue, jsonNumber, jsonString } from './json-values.js';
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
  return jsonFormatterWith(renderProcessKeys(context));
}

/** The formatter of lines whose process keys are `processKeys` (renderProcessKeys()'s). */
export function jsonFormatterWith(processKeys: string): (record: LogRecord) => string {
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

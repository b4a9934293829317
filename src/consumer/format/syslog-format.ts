/**
 * A syslog sink's lines: each record as one RFC 5424 message, framed for its transport, around
 * the line of the sink's own formatter (JSON by default):
 *
 *   octet-counting (RFC 6587 3.4.1, the default; also what UDP's datagrams are cut from):
 *     163 <134>1 2026-12-05T17:46:50.123+01:00 web-1 api 4242 db.pool - {"level":30,...,"msg":"hi"}
 *   lf (RFC 6587 3.4.2, non-transparent framing):
 *     <134>1 2026-12-05T17:46:50.123+01:00 web-1 api 4242 db.pool - {"level":30,...}\n
 *
 * - PRI is facility * 8 + severity, the severity from the level: trace and debug 7, info 6,
 *   warn 4, error 3, fatal 2 (levels between round down, as thresholds do).
 * - TIMESTAMP is the record's time in the local zone, to the millisecond, with its offset.
 * - HOSTNAME, APP-NAME, PROCID and MSGID (the logger's name) are printable US-ASCII (33..126;
 *   anything else becomes '_') cut to the RFC's lengths (255, 48, 128, 32); empty is '-'.
 * - No STRUCTURED-DATA ('-'): what the record holds is in the message.
 * - The message is the formatter's line without its newline. With lf framing a newline inside
 *   it (a text formatter's stack trace) would end the message early: it is sent as `#012`, as
 *   rsyslog writes control characters. Octet counting carries it as it is.
 * - A message longer than maxMessageSize (header included) is never cut, which would leave
 *   half a JSON object: a short notice with the same header is sent instead, and counted.
 */
import type { LogRecord } from '../../record/log-record.js';

export interface ResolvedSyslogFormat {
  readonly framing: 'octet-counting' | 'lf';
  /** 0 (kern) to 23 (local7). */
  readonly facility: number;
  /** Sanitized already; '-' for none. */
  readonly appName: string;
  /** The largest SYSLOG-MSG (header and message) in bytes. */
  readonly maxMessageBytes: number;
}

export interface SyslogContext {
  readonly pid: number;
  readonly hostname: string;
}

/** RFC 5424 section 6: the longest HOSTNAME, APP-NAME, PROCID and MSGID. */
export const HOSTNAME_MAX = 255;
export const APP_NAME_MAX = 48;
export const PROCID_MAX = 128;
export const MSGID_MAX = 32;

/** Distinct logger names whose MSGID is kept, as the router keeps routes. */
const MAX_MSGIDS = 1024;

/** The severity (RFC 5424 table 2) of a pino level number. */
export function severityOf(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** A header field: printable US-ASCII, at most `max` characters, '-' (NILVALUE) when empty. */
export function headerField(value: string | undefined, max: number): string {
  if (value === undefined || value === '') return '-';
  let out = '';
  for (const char of value) {
    if (out.length === max) break;
    const code = char.codePointAt(0)!;
    out += code >= 33 && code <= 126 ? char : '_';
  }
  return out;
}

/** `2026-12-05T17:46:50.123+01:00`: local time, to the millisecond, with the offset. */
export function syslogTimestamp(time: number): string {
  const date = new Date(time);
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}` +
    `${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`
  );
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

export interface SyslogFormatter {
  /** The framed message of a decoded record. */
  readonly format: (record: LogRecord) => string;
  /**
   * The framed message of a line that arrived finished (pino through destination(), an
   * aggregator's forwarded lines): its level and time from the record, no logger name.
   */
  readonly frame: (line: string, level: number, time: number) => string;
}

/**
 * `inner` renders the message; `onOversized` counts a message sent as a notice. The MSGID of
 * each name is kept, so that a steady stream from a few loggers does not sanitize each time.
 */
export function createSyslogFormatter(
  resolved: ResolvedSyslogFormat,
  inner: (record: LogRecord) => string,
  context: SyslogContext,
  onOversized: () => void,
): SyslogFormatter {
  const { facility, framing, maxMessageBytes } = resolved;
  // ` HOSTNAME APP-NAME PROCID `: the same for every message.
  const middle = ` ${headerField(context.hostname, HOSTNAME_MAX)} ${resolved.appName} ${headerField(String(context.pid), PROCID_MAX)} `;
  const msgids = new Map<string, string>();
  const msgidOf = (name: string | undefined): string => {
    if (name === undefined) return '-';
    let msgid = msgids.get(name);
    if (msgid === undefined) {
      if (msgids.size >= MAX_MSGIDS) msgids.clear();
      msgid = headerField(name, MSGID_MAX);
      msgids.set(name, msgid);
    }
    return msgid;
  };

  const frame = (line: string, level: number, time: number, name: string | undefined): string => {
    const header = `<${facility * 8 + severityOf(level)}>1 ${syslogTimestamp(time)}${middle}${msgidOf(name)} - `;
    let message = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (framing === 'lf' && message.includes('\n')) message = message.replaceAll('\n', '#012');
    // The header is ASCII: its length is its byte length.
    let bytes = header.length + Buffer.byteLength(message);
    if (bytes > maxMessageBytes) {
      onOversized();
      message = `ringlog: a message of ${bytes} bytes was not sent: over this sink's maxMessageSize of ${maxMessageBytes} bytes (counted in stats().syslogOversized)`;
      // Plain ASCII: cut to fit when the header itself is long, harmless here.
      message = message.slice(0, Math.max(0, maxMessageBytes - header.length));
      bytes = header.length + message.length;
    }
    return framing === 'lf' ? `${header}${message}\n` : `${bytes} ${header}${message}`;
  };

  return {
    format: (record) => frame(inner(record), record.level, record.time, record.name),
    frame: (line, level, time) => frame(line, level, time, undefined),
  };
}

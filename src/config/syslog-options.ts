/**
 * The options of a syslog sink (`sinks: [{ type: 'syslog', host, port, ... }]`), checked here
 * once, in the style of options.ts: every message names the option, what is allowed and what
 * was received.
 */
import { basename, extname } from 'node:path';
import { checkInteger, checkPath } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import {
  OUTBOX_SIZE_DEFAULT,
  SOCKET_PATH_MAX_BYTES,
  SYSLOG_DATAGRAM_SIZE_MAX,
  SYSLOG_MESSAGE_SIZE_DEFAULT,
  SYSLOG_MESSAGE_SIZE_MAX,
  SYSLOG_MESSAGE_SIZE_MIN,
  SYSLOG_PORT_DEFAULT,
} from '../core/limits.js';
import { APP_NAME_MAX, headerField, type ResolvedSyslogFormat } from '../consumer/format/syslog-format.js';
import type { ResolvedSyslogTarget } from '../forward/stream-sender.js';
import { parseByteSize } from './byte-sizes.js';
import { parseOutboxSize } from './forward-options.js';

/** A syslog sink's own options (beside name, level, formatter, loggers). */
export interface SyslogOptions {
  /** 'tcp' (default), 'udp', or 'unix' (a stream Unix socket at `path`). */
  transport?: 'tcp' | 'udp' | 'unix';
  /** The collector's host name or address, for tcp and udp. Default '127.0.0.1'. */
  host?: string;
  /** The collector's port, 1 to 65535. Default 514. */
  port?: number;
  /** The collector's socket path, for transport 'unix' (required then). Example: '/run/syslog-ng/log.sock'. */
  path?: string;
  /** RFC 6587 framing over tcp and unix: 'octet-counting' (default) or 'lf'. UDP sends one message a datagram. */
  framing?: 'octet-counting' | 'lf';
  /** A facility name ('user', 'daemon', 'local0' ... 'local7') or number 0 to 23. Default 'user'. */
  facility?: SyslogFacility | number;
  /** APP-NAME: 1 to 48 printable US-ASCII characters. Default the main script's name without extension, or 'node'. */
  appName?: string;
  /**
   * The largest message, header included: a byte size from 480 bytes to 1MiB (65507 bytes over
   * UDP), and at most a quarter of outboxSize. Default 8KiB (rsyslog's own limit). A longer
   * message is sent as a short notice instead, and counted in stats().syslogOversized.
   */
  maxMessageSize?: number | string;
  /** The outbox between the consumer and the sender thread: a power of two from 64KiB to 256MiB; default 4MiB. */
  outboxSize?: number | string;
}

/** RFC 5424 table 1. */
const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export type SyslogFacility = (typeof FACILITIES)[number];

export const SYSLOG_KEYS = ['transport', 'host', 'port', 'path', 'framing', 'facility', 'appName', 'maxMessageSize', 'outboxSize'] as const;

export interface ResolvedSyslog {
  readonly target: ResolvedSyslogTarget;
  readonly format: ResolvedSyslogFormat;
}

/** Resolves the syslog options of `o` (already checked for unknown keys); `path` prefixes messages. */
export function resolveSyslog(o: Partial<Record<(typeof SYSLOG_KEYS)[number], unknown>>, path: string): ResolvedSyslog {
  const transport = o.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp' && transport !== 'unix') {
    fail(TypeError, `${path}.transport must be 'tcp', 'udp' or 'unix'; received ${show(transport)}`);
  }
  const unix = transport === 'unix';
  if (unix && o.path === undefined) fail(TypeError, `${path}.path is required with transport 'unix': the collector's socket path, such as '/run/syslog-ng/log.sock'`);
  if (!unix && o.path !== undefined) fail(TypeError, `${path}.path is for transport 'unix'; received ${show(o.path)} with transport ${show(transport)}: set transport: 'unix', or give host and port`);
  if (unix && (o.host !== undefined || o.port !== undefined)) {
    fail(TypeError, `${path}.${o.host !== undefined ? 'host' : 'port'} is for transports 'tcp' and 'udp'; transport 'unix' sends to path`);
  }
  const framing = o.framing ?? 'octet-counting';
  if (framing !== 'octet-counting' && framing !== 'lf') {
    fail(TypeError, `${path}.framing must be 'octet-counting' or 'lf'; received ${show(framing)}`);
  }
  if (transport === 'udp' && o.framing !== undefined) {
    fail(TypeError, `${path}.framing applies to transports 'tcp' and 'unix'; UDP sends one message a datagram (RFC 5426)`);
  }
  const outboxBytes = o.outboxSize === undefined ? OUTBOX_SIZE_DEFAULT : parseOutboxSize(o.outboxSize, `${path}.outboxSize`);
  // A message must fit one outbox entry (a quarter of it, forward/outbox.ts), with the entry's
  // 8-byte header and the message's octet count (up to 7 digits and a space).
  const entryMax = outboxBytes / 4 - 16;
  const messageMax = Math.min(transport === 'udp' ? SYSLOG_DATAGRAM_SIZE_MAX : SYSLOG_MESSAGE_SIZE_MAX, entryMax);
  const maxMessageBytes =
    o.maxMessageSize === undefined
      ? Math.min(SYSLOG_MESSAGE_SIZE_DEFAULT, messageMax)
      : parseByteSize(o.maxMessageSize, `${path}.maxMessageSize${messageMax === entryMax ? ' (at most a quarter of outboxSize)' : ''}`, SYSLOG_MESSAGE_SIZE_MIN, messageMax);
  return Object.freeze({
    target: Object.freeze({
      transport,
      host: unix ? '' : checkHost(o.host, `${path}.host`),
      port: unix ? 0 : o.port === undefined ? SYSLOG_PORT_DEFAULT : checkInteger(o.port, `${path}.port`, 1, 65535),
      path: unix ? checkUnixPath(o.path, `${path}.path`) : undefined,
      outboxBytes,
    }),
    format: Object.freeze({
      // UDP's datagrams are cut from octet-counted frames by the sender.
      framing: transport === 'udp' ? 'octet-counting' : framing,
      facility: checkFacility(o.facility, `${path}.facility`),
      appName: o.appName === undefined ? defaultAppName() : checkAppName(o.appName, `${path}.appName`),
      maxMessageBytes,
    }),
  });
}

function checkHost(value: unknown, option: string): string {
  if (value === undefined) return '127.0.0.1';
  if (typeof value !== 'string' || value.length === 0 || /\s/.test(value)) {
    fail(TypeError, `${option} must be a host name or IP address, such as 'logs.example.com' or '10.0.0.5'; received ${show(value)}`);
  }
  return value;
}

function checkUnixPath(value: unknown, option: string): string {
  const path = checkPath(value, option);
  const bytes = Buffer.byteLength(path);
  if (bytes > SOCKET_PATH_MAX_BYTES) {
    fail(RangeError, `${option} must be a socket path of at most ${SOCKET_PATH_MAX_BYTES} bytes once resolved (a limit of Unix sockets); received ${show(value)}, which resolves to ${bytes} bytes`);
  }
  return path;
}

function checkFacility(value: unknown, option: string): number {
  if (value === undefined) return 1;
  if (typeof value === 'number') return checkInteger(value, option, 0, 23);
  const index = FACILITIES.indexOf(value as SyslogFacility);
  if (index === -1) fail(TypeError, `${option} must be a facility name (${FACILITIES.join(', ')}) or a number from 0 to 23; received ${show(value)}`);
  return index;
}

function checkAppName(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,48}$/.test(value)) {
    fail(TypeError, `${option} must be 1 to ${APP_NAME_MAX} printable US-ASCII characters without spaces (RFC 5424 APP-NAME), such as 'billing-api'; received ${show(value)}`);
  }
  return value;
}

/** The main script's name (`server` for `node server.js`), as syslog(3) uses the program's. */
function defaultAppName(): string {
  const script = process.argv[1];
  const name = script === undefined ? '' : basename(script, extname(script));
  return headerField(name === '' ? 'node' : name, APP_NAME_MAX);
}

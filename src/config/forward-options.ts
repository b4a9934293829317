/**
 * The options of a forward sink (`sinks: [{ type: 'forward', address, ... }]`, or the
 * `forward` shorthand) and of `listen`, checked here once, in the style of options.ts.
 */
import { checkInteger, checkPath, checkRecord, isPlainObject } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import {
  MAX_SIZE_MAX,
  OUTBOX_SIZE_DEFAULT,
  OUTBOX_SIZE_MAX,
  OUTBOX_SIZE_MIN,
  SOCKET_PATH_MAX_BYTES,
  SPILL_AFTER_DEFAULT_MS,
  SPILL_MAX_SIZE_DEFAULT,
  SPILL_MAX_SIZE_MIN,
  TIMER_MAX_MS,
} from '../core/limits.js';
import type { ResolvedForward } from '../forward/sender.js';
import { formatBytes, parseByteSize, range, showSize, toBytes } from './byte-sizes.js';

export interface SpillOptions {
  /** The directory of the spill files; default `<address>.spill`. Created mode 0700. */
  path?: string;
  /** The cap of one spill file: a byte size from 64KiB; default 256MiB. Past it, lines are dropped and counted. */
  maxSize?: number | string;
  /** How long the aggregator may be away, or owe acknowledgements, before lines spill: 1 to 2^31-1 ms; default 5000. */
  afterMs?: number;
}

/** A forward sink's own options (beside name, level, formatter, loggers). */
export interface ForwardOptions {
  /** The aggregator's Unix socket (its `listen`); relative paths resolve against the working directory. */
  address: string;
  /** The outbox between this process's consumer and its sender thread: a power of two from 64KiB to 256MiB; default 4MiB. */
  outboxSize?: number | string;
  spill?: SpillOptions;
}

export const FORWARD_KEYS = ['address', 'outboxSize', 'spill'] as const;
const SPILL_KEYS = ['path', 'maxSize', 'afterMs'] as const;

/** Resolves the forward options of `o` (already checked for unknown keys); `path` prefixes messages. */
export function resolveForward(o: Partial<Record<(typeof FORWARD_KEYS)[number], unknown>>, path: string): ResolvedForward {
  const address = checkSocketPath(o.address, `${path}.address`);
  const spill = o.spill === undefined ? {} : checkRecord(o.spill, `${path}.spill`, SPILL_KEYS)!;
  return Object.freeze({
    address,
    outboxBytes: o.outboxSize === undefined ? OUTBOX_SIZE_DEFAULT : parseOutboxSize(o.outboxSize, `${path}.outboxSize`),
    spillDir: spill.path === undefined ? `${address}.spill` : checkPath(spill.path, `${path}.spill.path`),
    spillMaxBytes: spill.maxSize === undefined ? SPILL_MAX_SIZE_DEFAULT : parseByteSize(spill.maxSize, `${path}.spill.maxSize`, SPILL_MAX_SIZE_MIN, MAX_SIZE_MAX),
    spillAfterMs: spill.afterMs === undefined ? SPILL_AFTER_DEFAULT_MS : checkInteger(spill.afterMs, `${path}.spill.afterMs`, 1, TIMER_MAX_MS),
  });
}

/** The `forward` shorthand: an address, or { address, outboxSize?, spill? }. */
export function resolveForwardShorthand(value: unknown): ResolvedForward {
  if (typeof value === 'string') return resolveForward({ address: value }, 'options.forward');
  if (!isPlainObject(value)) {
    fail(TypeError, `options.forward must be the aggregator's socket path or an object { address, outboxSize?, spill? }; received ${show(value)}`);
  }
  return resolveForward(checkRecord(value, 'options.forward', FORWARD_KEYS)!, 'options.forward');
}

/** A socket path: a path that fits sun_path once resolved. */
export function checkSocketPath(value: unknown, option: string): string {
  if (process.platform === 'win32') {
    fail(TypeError, `${option}: forwarding between processes uses Unix sockets, and Windows named pipes are not supported yet`);
  }
  const path = checkPath(value, option);
  const bytes = Buffer.byteLength(path);
  if (bytes > SOCKET_PATH_MAX_BYTES) {
    fail(RangeError, `${option} must be a socket path of at most ${SOCKET_PATH_MAX_BYTES} bytes once resolved (a limit of Unix sockets); received ${show(value)}, which resolves to ${bytes} bytes: use a shorter or relative path`);
  }
  return path;
}

/** An outbox size (forward and syslog sinks). */
export function parseOutboxSize(value: unknown, option: string): number {
  const expected = `${option} must be a power of two from ${range(OUTBOX_SIZE_MIN, OUTBOX_SIZE_MAX)}`;
  const bytes = toBytes(value, expected);
  if (bytes < OUTBOX_SIZE_MIN || bytes > OUTBOX_SIZE_MAX || (bytes & (bytes - 1)) !== 0) {
    fail(RangeError, `${expected}; received ${showSize(value, bytes)}; such as ${formatBytes(OUTBOX_SIZE_DEFAULT)}`);
  }
  return bytes;
}

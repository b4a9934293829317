/**
 * The public options of `createLogBackend(options?)` and `connect(handle, options?)`, and the
 * one place where they are validated (the sinks, formatters and loggers in config/outputs.ts, which this
 * module calls). Everything downstream reads the frozen `ResolvedOptions` and never re-checks a
 * value, so every rule lives here and every rule has a test.
 *
 * Errors thrown here carry `code = 'ERR_RINGLOG_OPTION'` and a message that names the option
 * path, the allowed values and what was received:
 *
 *   ringlog: options.bufferSize must be a power of two from 4KiB to 1GiB (4096 to 1073741824
 *   bytes); received '10MB' (10485760 bytes); use 8MiB or 16MiB
 *
 * Which class is thrown follows Node's own convention (ERR_INVALID_ARG_TYPE / _VALUE are
 * TypeErrors, ERR_OUT_OF_RANGE is a RangeError): a `TypeError` for a value of the wrong type or
 * shape (including a malformed size string, an unknown key, an unknown level name, an empty
 * path), a `RangeError` for a number outside its range (including NaN, negative, fractional,
 * not a power of two, a name that is too long).
 */
import { checkInteger, checkLevel, checkRecord } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import type { LevelOption } from '../core/levels.js';
import {
  BUFFER_SIZE_DEFAULT,
  BUFFER_SIZE_MAX,
  BUFFER_SIZE_MIN,
  CLOSE_TIMEOUT_DEFAULT_MS,
  LANE_DEFAULT_MIN_BYTES,
  LANE_MIN_BYTES,
  LANES_DEFAULT_MAX,
  LANES_DEFAULT_MIN,
  LANES_MAX,
  LEVEL_DEFAULT,
  MAX_RECORD_SIZE_MIN,
  ON_FULL_DEFAULT,
  TIMER_MAX_MS,
} from '../core/limits.js';
import { formatBytes, range, showSize, toBytes } from './byte-sizes.js';
import { resolveOutputs, type FormatterConfig, type LoggerConfig, type SinkConfig } from './outputs.js';
import type { RotateOptions } from './rotate-options.js';
import { checkSocketPath, type ForwardOptions } from './forward-options.js';
import { resolveRedact, type RedactOptions } from './redact-options.js';
import type { RedactConfig } from '../record/redact.js';
import type { ConsumerOptions } from '../consumer/open-router.js';
import { availableParallelism } from 'node:os';

export interface FileOptions {
  /** Log file path; relative paths resolve against process.cwd() at startup. Example: 'logs/app.log'. */
  path: string;
  /**
   * Rotate when the next line would make the file larger than this. A number of bytes or a
   * string such as '50MiB' (see {@link parseByteSize}); from 1KiB ({@link MAX_SIZE_MIN}) to
   * 2^53-1 bytes ({@link MAX_SIZE_MAX}). Default: never rotate.
   */
  maxSize?: number | string;
  /**
   * Rotated files kept (app.log.1 ... app.log.N); the oldest beyond is deleted. An integer from
   * 1 to 100000 ({@link MAX_FILES_MIN}..{@link MAX_FILES_MAX}). Default 5.
   */
  maxFiles?: number;
  /**
   * Whether to `fsync` the file after writing: `false` (default) never, the OS writes when it
   * pleases; `true` after every batch; a number of milliseconds N: at most every N ms while
   * lines are written, and once when the consumer goes idle or closes (1 to 2^31-1).
   */
  fsync?: boolean | number;
  /**
   * Rotation by time and/or size, with date-named files, retention and gzip (rotate-options.ts,
   * README "Rotation"): `{ interval: 'midnight', maxSize: '100MiB', compress: true }`. Given it,
   * maxSize and maxFiles go inside it.
   */
  rotate?: RotateOptions;
  /**
   * Permission bits of the live file, set when it is opened whatever the umask, and so of every
   * rotated and gzipped file: a number such as 0o640 or an octal string such as '0640', at
   * most 0o777 ({@link MODE_MAX}), keeping the owner's write bit (0o200). Default: the
   * umask's, and a file found keeps its own.
   */
  mode?: number | string;
  /**
   * Permission bits of the directories ringlog creates for the file (those that exist keep
   * theirs): as `mode`, with the owner's write and search bits (0o300). Default: the umask's.
   */
  dirMode?: number | string;
  /**
   * `true`: refuse to open the path when it is a symbolic link (O_NOFOLLOW), failing with an
   * ELOOP error that names it, instead of writing wherever the link points. Default false.
   */
  noFollow?: boolean;
}

export interface BackendOptions {
  /**
   * Ring capacity, fixed at startup: a number of bytes or a string such as '8MiB'. A power of
   * two from 4KiB ({@link BUFFER_SIZE_MIN}) to 1GiB ({@link BUFFER_SIZE_MAX}). Default 8MiB.
   */
  bufferSize?: number | string;
  /**
   * Shorthand for one root sink writing JSON lines to a file: a path or file options. Without
   * `file` and `sinks`, lines go to stdout. Not together with `sinks`. Example: 'logs/app.log'.
   */
  file?: string | FileOptions;
  /**
   * The root logger's level: the threshold of every logger without a level of its own (from
   * `loggers`, or given to connect/child). trace, debug, info, warn, error, fatal or silent.
   * Default 'info'.
   */
  level?: LevelOption;
  /**
   * Named formatters for `sinks[].formatter`, besides the built-in 'json' (the default) and
   * 'text'. Example: { detailed: { type: 'text', template: '%(asctime)s %(name)-15s %(message)s', style: '%' } }.
   */
  formatters?: Record<string, FormatterConfig>;
  /**
   * Where lines go, each sink with its own level, formatter and loggers (see config/outputs.ts).
   * Example: [{ type: 'stdout', level: 'info' }, { type: 'file', path: 'logs/app.log' }].
   */
  sinks?: SinkConfig[];
  /** Levels and propagation by dotted logger name. Example: { 'db.pool': { level: 'warn', propagate: false } }. */
  loggers?: Record<string, LoggerConfig>;
  /**
   * Shorthand for one root sink forwarding JSON lines to an aggregator process: its socket path,
   * or { address, outboxSize?, spill? }. Not together with `file` or `sinks`. Example: 'logs/ringlog.sock'.
   */
  forward?: string | ForwardOptions;
  /**
   * Makes this backend an aggregator: it accepts the lines of forwarding processes on this Unix
   * socket and writes them through its root sinks. The socket is created mode 0600; its
   * directory must not be world-writable. Example: 'logs/ringlog.sock'.
   */
  listen?: string;
  /**
   * What a producer does when the ring is full: wait for space ('block', the default) or drop
   * the record and count it ('drop').
   */
  onFull?: 'block' | 'drop';
  /**
   * How many rings (lanes) the buffer is split into, each `bufferSize / lanes` bytes: every
   * producer thread claims in one lane, so threads logging at once on different cores do not
   * fight over one ring's cursor. A power of two from 1 to 16, leaving lanes of at least 4 KiB.
   * Default: the machine's cores (os.availableParallelism()) rounded down to a power of two, at
   * least 4 and at most 8, and at most bufferSize / 1 MiB (so a buffer under 2 MiB has one lane,
   * and the default 8 MiB buffer 4 or 8 lanes).
   */
  lanes?: number;
  /**
   * The largest record, in bytes including its 8-byte frame header: a number or a string such as
   * '64KiB'. From 256 B ({@link MAX_RECORD_SIZE_MIN}) to an eighth of a lane (bufferSize / lanes
   * / 8), which is the default.
   * A larger record is replaced by a one-line notice and counted in `stats().oversized`.
   */
  maxRecordSize?: number | string;
  /**
   * How long `close()` waits for the consumer to write what is left, in ms, before it gives up,
   * counts what was not written and resolves anyway (a disk that hangs). 1 to 2^31-1; default
   * 10000.
   */
  closeTimeoutMs?: number;
  /**
   * Values to redact before they leave the thread that logs, in pino's path syntax: an array of
   * paths, or { paths, censor?, remove? } (config/redact-options.ts). Default: none. Example:
   * { paths: ['password', 'req.headers.authorization', '*.token', 'users[*].ssn'], censor: '[Redacted]' }.
   */
  redact?: readonly string[] | RedactOptions;
}

export interface ResolvedOptions extends ConsumerOptions {
  readonly bufferBytes: number;
  /** How many lanes the buffer is split into (a power of two). */
  readonly lanes: number;
  /** The root logger's level. */
  readonly level: LevelOption;
  readonly onFull: 'block' | 'drop';
  /** The largest frame in the ring, header included. */
  readonly maxRecordBytes: number;
  /** The aggregator's socket path, absolute, or undefined. */
  readonly listen: string | undefined;
  /** The `redact` option, undefined when there is nothing to redact. */
  readonly redact: RedactConfig | undefined;
}

const BACKEND_KEYS = [
  'bufferSize',
  'lanes',
  'file',
  'level',
  'onFull',
  'maxRecordSize',
  'closeTimeoutMs',
  'formatters',
  'sinks',
  'loggers',
  'forward',
  'listen',
  'redact',
] as const;

/** Validates `createLogBackend` options once; the result is deeply frozen and structured-cloneable. */
export function resolveOptions(options?: unknown): ResolvedOptions {
  const o = checkRecord(options, 'options', BACKEND_KEYS);
  const bufferSize = o?.bufferSize;
  const level = o?.level === undefined ? LEVEL_DEFAULT : checkLevel(o.level, 'options.level');
  const onFull = o?.onFull;
  const maxRecordSize = o?.maxRecordSize;
  const closeTimeoutMs = o?.closeTimeoutMs;
  const bufferBytes = bufferSize === undefined ? BUFFER_SIZE_DEFAULT : parseBufferSize(bufferSize);
  const lanes = o?.lanes === undefined ? defaultLanes(bufferBytes) : checkLanes(o.lanes, bufferBytes);
  const outputs = resolveOutputs({ file: o?.file, forward: o?.forward, formatters: o?.formatters, sinks: o?.sinks, loggers: o?.loggers }, level);
  const listen = o?.listen === undefined ? undefined : checkSocketPath(o.listen, 'options.listen');
  if (listen !== undefined) {
    outputs.sinks.forEach((sink, index) => {
      const option = o?.forward !== undefined ? 'options.forward' : `options.sinks[${index}].address`;
      if (sink.forward?.address === listen) fail(TypeError, `${option}: ${listen} is this backend's own listen socket; an aggregator cannot forward to itself`);
    });
    if (outputs.sinks.every((sink) => sink.loggers.length > 0)) {
      fail(TypeError, 'options.listen: forwarded lines are written to the root sinks (those without loggers), and every sink here is attached to loggers; add a root sink');
    }
  }
  return Object.freeze({
    bufferBytes,
    lanes,
    level,
    onFull: onFull === undefined ? ON_FULL_DEFAULT : checkOnFull(onFull),
    maxRecordBytes:
      maxRecordSize === undefined ? bufferBytes / lanes / 8 : parseMaxRecordSize(maxRecordSize, bufferBytes, lanes),
    closeTimeoutMs:
      closeTimeoutMs === undefined
        ? CLOSE_TIMEOUT_DEFAULT_MS
        : checkInteger(closeTimeoutMs, 'options.closeTimeoutMs', 1, TIMER_MAX_MS),
    formats: outputs.formats,
    sinks: outputs.sinks,
    routes: outputs.routes,
    listen,
    redact: resolveRedact(o?.redact),
  });
}

function parseBufferSize(value: unknown): number {
  const expected = `options.bufferSize must be a power of two from ${range(BUFFER_SIZE_MIN, BUFFER_SIZE_MAX)}`;
  const bytes = toBytes(value, expected);
  const powerOfTwo = floorPowerOfTwo(bytes);
  if (bytes < BUFFER_SIZE_MIN || bytes > BUFFER_SIZE_MAX || powerOfTwo !== bytes) {
    // Inside the range, the powers of two around `bytes` are themselves in range (both bounds
    // are powers of two), so the suggestion is always a valid value.
    const hint =
      bytes > BUFFER_SIZE_MIN && bytes < BUFFER_SIZE_MAX
        ? `; use ${formatBytes(powerOfTwo)} or ${formatBytes(powerOfTwo * 2)}`
        : '';
    fail(RangeError, `${expected}; received ${showSize(value, bytes)}${hint}`);
  }
  return bytes;
}

/** The default lane count (see LANES_DEFAULT_MIN in limits.ts for why). */
function defaultLanes(bufferBytes: number): number {
  const cores = Math.max(availableParallelism(), LANES_DEFAULT_MIN);
  return Math.max(1, floorPowerOfTwo(Math.min(cores, LANES_DEFAULT_MAX, bufferBytes / LANE_DEFAULT_MIN_BYTES)));
}

function checkLanes(value: unknown, bufferBytes: number): number {
  const max = Math.min(LANES_MAX, bufferBytes / LANE_MIN_BYTES);
  const expected = `options.lanes must be a power of two from 1 to ${max} (lanes of at least ${formatBytes(LANE_MIN_BYTES)} for a bufferSize of ${formatBytes(bufferBytes)}, and at most ${LANES_MAX})`;
  if (typeof value !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!(Number.isInteger(value) && value >= 1 && value <= max && floorPowerOfTwo(value) === value)) fail(RangeError, `${expected}; received ${show(value)}`);
  return value;
}

/** maxRecordSize: a byte size from 256 B to an eighth of a lane, whose range depends on bufferSize and lanes. */
function parseMaxRecordSize(value: unknown, bufferBytes: number, lanes: number): number {
  const max = bufferBytes / lanes / 8;
  const expected = `options.maxRecordSize must be a byte size from ${MAX_RECORD_SIZE_MIN} bytes to bufferSize / lanes / 8 (${formatBytes(max)} for a bufferSize of ${formatBytes(bufferBytes)} in ${lanes} lane${lanes === 1 ? '' : 's'})`;
  const bytes = toBytes(value, expected);
  if (bytes < MAX_RECORD_SIZE_MIN || bytes > max) fail(RangeError, `${expected}; received ${showSize(value, bytes)}`);
  return bytes;
}

function checkOnFull(value: unknown): 'block' | 'drop' {
  if (value !== 'block' && value !== 'drop') {
    fail(TypeError, `options.onFull must be 'block' or 'drop'; received ${show(value)}`);
  }
  return value;
}

function floorPowerOfTwo(n: number): number {
  if (n < 1) return 0;
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

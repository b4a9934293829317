/**
 * The public options of `createLogBackend(options?)` and `connect(handle, options?)`, and the
 * one place where they are validated. Everything downstream reads the frozen `ResolvedOptions`
 * and never re-checks a value, so every rule lives here and every rule has a test.
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
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { isLevelOption, type LevelOption } from './levels.js';
import { resolveRotate, type ResolvedRotate, type RotateOptions } from './rotate-options.js';

export const OPTION_ERROR_CODE = 'ERR_RINGLOG_OPTION';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Smallest ring: 4 KiB. Below a page, the fixed per-record overhead would dominate and a single
 * stack trace could not fit.
 */
export const BUFFER_SIZE_MIN = 4 * KiB;
/**
 * Largest ring: 1 GiB (2^30). The ring indexes with a bit mask over 32-bit Int32 cursors, and
 * keeping the capacity at or below 2^30 leaves the sign bit free for the wrapped distance.
 */
export const BUFFER_SIZE_MAX = GiB;
/** Default ring: 8 MiB, room for tens of thousands of typical records during a burst. */
export const BUFFER_SIZE_DEFAULT = 8 * MiB;

/** Smallest rotation threshold: 1 KiB, so that a typical line fits in a freshly rotated file. */
export const MAX_SIZE_MIN = KiB;
/** Largest rotation threshold: 2^53-1 bytes, the largest byte offset a JS number holds exactly. */
export const MAX_SIZE_MAX = Number.MAX_SAFE_INTEGER;

export const MAX_FILES_MIN = 1;
/** An upper bound that catches a typo (an extra zero or two) long before the disk fills. */
export const MAX_FILES_MAX = 100_000;
export const MAX_FILES_DEFAULT = 5;

/** Longest logger name: names are copied into every record, so a runaway string is a bug. */
export const NAME_MAX_LENGTH = 256;

export const LEVEL_DEFAULT: LevelOption = 'info';
export const ON_FULL_DEFAULT = 'block';

/**
 * Smallest record limit: 256 bytes, room for the header, a short name and the one-line notice
 * that replaces a record over the limit. The largest (and default) is bufferSize / 8: a frame can
 * cost twice its size at a wrap, and a ring that holds only a few records makes every claim wait.
 */
export const MAX_RECORD_SIZE_MIN = 256;

/** How long close() waits for the consumer before giving up on what is left: 10 s by default. */
export const CLOSE_TIMEOUT_DEFAULT_MS = 10_000;
/** The longest timer Node keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

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
}

export interface BackendOptions {
  /**
   * Ring capacity, fixed at startup: a number of bytes or a string such as '8MiB'. A power of
   * two from 4KiB ({@link BUFFER_SIZE_MIN}) to 1GiB ({@link BUFFER_SIZE_MAX}). Default 8MiB.
   */
  bufferSize?: number | string;
  /** Where records go: a path, file options, or omitted for stdout. Example: 'logs/app.log'. */
  file?: string | FileOptions;
  /** Minimum level: trace, debug, info, warn, error, fatal or silent. Default 'info'. */
  level?: LevelOption;
  /**
   * What a producer does when the ring is full: wait for space ('block', the default) or drop
   * the record and count it ('drop').
   */
  onFull?: 'block' | 'drop';
  /**
   * The largest record, in bytes including its 8-byte frame header: a number or a string such as
   * '64KiB'. From 256 B ({@link MAX_RECORD_SIZE_MIN}) to bufferSize / 8, which is the default.
   * A larger record is replaced by a one-line notice and counted in `stats().oversized`.
   */
  maxRecordSize?: number | string;
  /**
   * How long `close()` waits for the consumer to write what is left, in ms, before it gives up,
   * counts what was not written and resolves anyway (a disk that hangs). 1 to 2^31-1; default
   * 10000.
   */
  closeTimeoutMs?: number;
}

export interface ConnectOptions {
  /** The logger's name, written as `"name"` on every line; at most 256 characters. */
  name?: string;
  /** This thread's minimum level; default: the backend's level. */
  level?: LevelOption;
}

export interface ResolvedFileOptions {
  /** Absolute path. */
  readonly path: string;
  /** Rotation threshold in bytes, or undefined to never rotate. */
  readonly maxFileBytes: number | undefined;
  readonly maxFiles: number;
  /** undefined: never fsync; 0: after every batch; N: at most every N ms, and when idle. */
  readonly fsyncMs: number | undefined;
  /** From `file.rotate`; when given, it replaces maxFileBytes and maxFiles. */
  readonly rotate?: ResolvedRotate | undefined;
}

export interface ResolvedOptions {
  readonly bufferBytes: number;
  /** undefined: write to stdout. */
  readonly file: ResolvedFileOptions | undefined;
  readonly level: LevelOption;
  readonly onFull: 'block' | 'drop';
  /** The largest frame in the ring, header included. */
  readonly maxRecordBytes: number;
  readonly closeTimeoutMs: number;
}

export interface ResolvedConnectOptions {
  readonly name: string | undefined;
  readonly level: LevelOption | undefined;
}

const BACKEND_KEYS = ['bufferSize', 'file', 'level', 'onFull', 'maxRecordSize', 'closeTimeoutMs'] as const;
const FILE_KEYS = ['path', 'maxSize', 'maxFiles', 'fsync', 'rotate'] as const;
const CONNECT_KEYS = ['name', 'level'] as const;
const LEVEL_LIST = 'trace, debug, info, warn, error, fatal or silent';

/** Validates `createLogBackend` options once; the result is deeply frozen. */
export function resolveOptions(options?: unknown): ResolvedOptions {
  const o = checkRecord(options, 'options', BACKEND_KEYS);
  const bufferSize = o?.bufferSize;
  const file = o?.file;
  const level = o?.level;
  const onFull = o?.onFull;
  const maxRecordSize = o?.maxRecordSize;
  const closeTimeoutMs = o?.closeTimeoutMs;
  const bufferBytes = bufferSize === undefined ? BUFFER_SIZE_DEFAULT : parseBufferSize(bufferSize);
  return Object.freeze({
    bufferBytes,
    file: file === undefined ? undefined : resolveFile(file),
    level: level === undefined ? LEVEL_DEFAULT : checkLevel(level, 'options.level'),
    onFull: onFull === undefined ? ON_FULL_DEFAULT : checkOnFull(onFull),
    maxRecordBytes:
      maxRecordSize === undefined ? bufferBytes / 8 : parseMaxRecordSize(maxRecordSize, bufferBytes),
    closeTimeoutMs:
      closeTimeoutMs === undefined
        ? CLOSE_TIMEOUT_DEFAULT_MS
        : checkInteger(closeTimeoutMs, 'options.closeTimeoutMs', 1, TIMER_MAX_MS),
  });
}

/**
 * Validates `connect` options once; the result is frozen. `label` names the options argument in
 * messages: 'options' for connect(handle, options), 'child(bindings, options): options' for child().
 */
export function resolveConnectOptions(options?: unknown, label = 'options'): ResolvedConnectOptions {
  const o = checkRecord(options, label, CONNECT_KEYS);
  const name = o?.name;
  const level = o?.level;
  return Object.freeze({
    name: name === undefined ? undefined : checkName(name, `${label}.name`),
    level: level === undefined ? undefined : checkLevel(level, `${label}.level`),
  });
}

/** Checks a logger name (at most {@link NAME_MAX_LENGTH} characters); `option` names it in messages. */
export function checkName(value: unknown, option: string): string {
  if (typeof value !== 'string') {
    fail(TypeError, `${option} must be a string or undefined; received ${show(value)}`);
  }
  if (value.length > NAME_MAX_LENGTH) {
    fail(
      RangeError,
      `${option} must be at most ${NAME_MAX_LENGTH} characters; received a string of ${value.length}`,
    );
  }
  return value;
}

/** Checks child() bindings: a non-null, non-array object. */
export function checkBindings(value: unknown, option: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(TypeError, `${option} must be an object of key-value pairs, such as { requestId: 'r-1' }; received ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

const UNIT_BYTES: Readonly<Record<string, bigint>> = Object.freeze({
  b: 1n,
  kb: 1n << 10n,
  kib: 1n << 10n,
  mb: 1n << 20n,
  mib: 1n << 20n,
  gb: 1n << 30n,
  gib: 1n << 30n,
  tb: 1n << 40n,
  tib: 1n << 40n,
});

// Digits, an optional fraction, optional spaces, an optional unit; surrounding spaces allowed.
const SIZE_PATTERN = /^\s*(\d+)(?:\.(\d+))?\s*([kmgt]i?b|b)?\s*$/i;

/**
 * Parses a byte size for the option named `option` and checks it lies in `[min, max]`.
 *
 * Accepts a non-negative safe integer number of bytes, or a string: a decimal number with an
 * optional unit, case-insensitive, optionally separated by spaces: '512', '512B', '64 KiB',
 * '8MiB', '1.5GiB'. Units are B, KiB, MiB, GiB, TiB and KB, MB, GB, TB; **KB/MB/GB/TB are
 * 1024-based like KiB/MiB/GiB/TiB**, as logback, log4j and the npm `bytes` package read them,
 * so '8MB' is 8388608 bytes and a valid power-of-two ring. A fraction must come to a whole
 * number of bytes ('1.5KiB' is 1536; '0.1KiB' is rejected). The arithmetic is exact (BigInt).
 */
export function parseByteSize(value: unknown, option: string, min: number, max: number): number {
  const expected = `${option} must be a byte size from ${range(min, max)}`;
  const bytes = toBytes(value, expected);
  if (bytes < min || bytes > max) fail(RangeError, `${expected}; received ${showSize(value, bytes)}`);
  return bytes;
}

const SIZE_FORMS = "given as an integer number of bytes or a string such as '8MiB', '64 KiB' or '512B'";

/** `expected` says what the option must be; the accepted forms are added when the form is wrong. */
function toBytes(value: unknown, expected: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      fail(RangeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
    }
    return value;
  }
  if (typeof value !== 'string') fail(TypeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
  const match = SIZE_PATTERN.exec(value);
  if (match === null) fail(TypeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
  const [, whole = '', fraction = '', unit = 'b'] = match;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * (UNIT_BYTES[unit.toLowerCase()] ?? 1n);
  if (scaled % scale !== 0n) {
    fail(RangeError, `${expected}; received ${show(value)}, which is not a whole number of bytes`);
  }
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(RangeError, `${expected}; received ${show(value)} (${bytes} bytes)`);
  }
  return Number(bytes);
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

/** maxRecordSize: a byte size from 256 B to bufferSize / 8, whose range depends on bufferSize. */
function parseMaxRecordSize(value: unknown, bufferBytes: number): number {
  const max = bufferBytes / 8;
  const expected = `options.maxRecordSize must be a byte size from ${MAX_RECORD_SIZE_MIN} bytes to bufferSize / 8 (${formatBytes(max)} for a bufferSize of ${formatBytes(bufferBytes)})`;
  const bytes = toBytes(value, expected);
  if (bytes < MAX_RECORD_SIZE_MIN || bytes > max) fail(RangeError, `${expected}; received ${showSize(value, bytes)}`);
  return bytes;
}

function resolveFile(value: unknown): ResolvedFileOptions {
  if (typeof value === 'string') {
    return Object.freeze({
      path: checkPath(value, 'options.file'),
      maxFileBytes: undefined,
      maxFiles: MAX_FILES_DEFAULT,
      fsyncMs: undefined,
    });
  }
  if (!isPlainObject(value)) {
    fail(
      TypeError,
      `options.file must be a path string or an object { path, maxSize?, maxFiles?, fsync? }; received ${show(value)}`,
    );
  }
  const o = checkRecord(value, 'options.file', FILE_KEYS) ?? {};
  const maxSize = o.maxSize;
  const maxFiles = o.maxFiles;
  const fsync = o.fsync;
  const path = checkPath(o.path, 'options.file.path');
  return Object.freeze({
    path,
    maxFileBytes:
      maxSize === undefined
        ? undefined
        : parseByteSize(maxSize, 'options.file.maxSize', MAX_SIZE_MIN, MAX_SIZE_MAX),
    maxFiles: maxFiles === undefined ? MAX_FILES_DEFAULT : checkMaxFiles(maxFiles),
    fsyncMs: fsync === undefined ? undefined : resolveFsync(fsync),
    ...(o.rotate === undefined ? {} : { rotate: resolveFileRotate(o.rotate, maxSize, maxFiles, path) }),
  });
}

/** The one hook for rotate-options.ts: `file.rotate`, which takes maxSize and maxFiles in. */
function resolveFileRotate(rotate: unknown, maxSize: unknown, maxFiles: unknown, path: string): ResolvedRotate {
  const flat = maxSize !== undefined ? 'maxSize' : maxFiles !== undefined ? 'maxFiles' : undefined;
  if (flat !== undefined) {
    fail(TypeError, `options.file.${flat} cannot be given with options.file.rotate: write it as options.file.rotate.${flat}`);
  }
  return resolveRotate(rotate, 'options.file.rotate', path);
}

function resolveFsync(value: unknown): number | undefined {
  const option = 'options.file.fsync';
  if (value === false) return undefined;
  if (value === true) return 0;
  if (typeof value !== 'number') {
    fail(TypeError, `${option} must be true, false or an interval in ms from 1 to ${TIMER_MAX_MS}; received ${show(value)}`);
  }
  return checkInteger(value, `${option} (an interval in ms)`, 1, TIMER_MAX_MS);
}

/** An integer number in [min, max]: a TypeError for another type, a RangeError outside. */
function checkInteger(value: unknown, option: string, min: number, max: number): number {
  const expected = `${option} must be an integer from ${min} to ${max}`;
  if (typeof value !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) fail(RangeError, `${expected}; received ${show(value)}`);
  return value;
}

function checkPath(value: unknown, option: string): string {
  const expected = `${option} must be a non-empty path string without NUL characters`;
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    fail(TypeError, `${expected}; received ${show(value)}`);
  }
  return resolve(value);
}

function checkMaxFiles(value: unknown): number {
  const option = 'options.file.maxFiles';
  const expected = `${option} must be an integer from ${MAX_FILES_MIN} to ${MAX_FILES_MAX}`;
  if (typeof value !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!Number.isInteger(value) || value < MAX_FILES_MIN || value > MAX_FILES_MAX) {
    fail(RangeError, `${expected}; received ${show(value)}`);
  }
  return value;
}

/** Checks a level argument or option; `option` names it in the message. */
export function checkLevel(value: unknown, option: string): LevelOption {
  if (!isLevelOption(value)) {
    fail(TypeError, `${option} must be one of ${LEVEL_LIST}; received ${show(value)}`);
  }
  return value;
}

function checkOnFull(value: unknown): 'block' | 'drop' {
  if (value !== 'block' && value !== 'drop') {
    fail(TypeError, `options.onFull must be 'block' or 'drop'; received ${show(value)}`);
  }
  return value;
}

/**
 * Checks that `value` is undefined or a plain object whose own keys are all in `known`, and
 * returns it typed for reading those keys (undefined stays undefined).
 */
function checkRecord<K extends string>(
  value: unknown,
  option: string,
  known: readonly K[],
): Partial<Record<K, unknown>> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    fail(TypeError, `${option} must be an object or undefined; received ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      fail(TypeError, `${option}.${key} is not a known option; known: ${known.join(', ')}`);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws an option error: `ringlog: <message>`, with OPTION_ERROR_CODE (and a cause, if given). */
export function fail(Kind: typeof Error | typeof TypeError | typeof RangeError, message: string, cause?: unknown): never {
  const error = new Kind(`ringlog: ${message}`, cause === undefined ? undefined : { cause });
  (error as Error & { code: string }).code = OPTION_ERROR_CODE;
  throw error;
}

/** How a received value appears in a message: strings quoted, numbers as given (inspect). */
export function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 });
}

function showSize(value: unknown, bytes: number): string {
  return typeof value === 'string' ? `${show(value)} (${bytes} bytes)` : show(value);
}

/** '4KiB to 1GiB (4096 to 1073741824 bytes)', or '1024 to 9007199254740991 bytes' when an end has no unit. */
function range(min: number, max: number): string {
  const a = formatBytes(min);
  const b = formatBytes(max);
  return a.endsWith(' bytes') || b.endsWith(' bytes')
    ? `${min} to ${max} bytes`
    : `${a} to ${b} (${min} to ${max} bytes)`;
}

/** The largest binary unit that divides `bytes` exactly: 4096 → '4KiB', 1000 → '1000 bytes'. */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}

function floorPowerOfTwo(n: number): number {
  if (n < 1) return 0;
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

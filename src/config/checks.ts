/**
 * The small checks every option goes through, shared by options.ts (the core options),
 * config/outputs.ts (sinks, formatters, loggers) and the formatter modules, so that every message has
 * the same shape: `ringlog: <option path> must be <what is allowed>; received <what was given>`,
 * with `code = 'ERR_RINGLOG_OPTION'`.
 *
 * Which class is thrown follows Node's own convention (ERR_INVALID_ARG_TYPE / _VALUE are
 * TypeErrors, ERR_OUT_OF_RANGE is a RangeError): a `TypeError` for a value of the wrong type or
 * shape, a `RangeError` for a number outside its range.
 */
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { isLevelOption, type LevelOption } from '../core/levels.js';

export const OPTION_ERROR_CODE = 'ERR_RINGLOG_OPTION';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const LEVEL_LIST = 'trace, debug, info, warn, error, fatal or silent';

/** Throws an option error: `ringlog: <message>`, with OPTION_ERROR_CODE (and a cause, if given). */
export function fail(Kind: typeof Error | typeof TypeError | typeof RangeError, message: string, cause?: unknown): never {
  const error = new Kind(`ringlog: ${message}`, cause === undefined ? undefined : { cause });
  (error as Error & { code: string }).code = OPTION_ERROR_CODE;
  throw error;
}

/** Smallest rotation threshold: 1 KiB, so that a typical line fits in a freshly rotated file. */
export const MAX_SIZE_MIN = 1024;
/** Largest rotation threshold: 2^53-1 bytes, the largest byte offset a JS number holds exactly. */
export const MAX_SIZE_MAX = Number.MAX_SAFE_INTEGER;
export const MAX_FILES_MIN = 1;
/** An upper bound that catches a typo (an extra zero or two) long before the disk fills. */
export const MAX_FILES_MAX = 100_000;
export const MAX_FILES_DEFAULT = 5;

/** How a received value appears in a message: strings quoted, numbers as given (inspect). */
export function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 });
}

export function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `value` is undefined or a plain object whose own keys are all in `known`, and
 * returns it typed for reading those keys (undefined stays undefined).
 */
export function checkRecord<K extends string>(
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

/** An integer number in [min, max]: a TypeError for another type, a RangeError outside. */
export function checkInteger(value: unknown, option: string, min: number, max: number): number {
  const expected = `${option} must be an integer from ${min} to ${max}`;
  if (typeof value !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) fail(RangeError, `${expected}; received ${show(value)}`);
  return value;
}

/** A non-empty path without NUL, made absolute against the working directory now. */
export function checkPath(value: unknown, option: string): string {
  const expected = `${option} must be a non-empty path string without NUL characters`;
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    fail(TypeError, `${expected}; received ${show(value)}`);
  }
  return resolve(value);
}

/** Checks a level argument or option; `option` names it in the message. */
export function checkLevel(value: unknown, option: string): LevelOption {
  if (!isLevelOption(value)) {
    fail(TypeError, `${option} must be one of ${LEVEL_LIST}; received ${show(value)}`);
  }
  return value;
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
export function toBytes(value: unknown, expected: string): number {
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

export function showSize(value: unknown, bytes: number): string {
  return typeof value === 'string' ? `${show(value)} (${bytes} bytes)` : show(value);
}

/** '4KiB to 1GiB (4096 to 1073741824 bytes)', or '1024 to 9007199254740991 bytes' when an end has no unit. */
export function range(min: number, max: number): string {
  const a = formatBytes(min);
  const b = formatBytes(max);
  return a.endsWith(' bytes') || b.endsWith(' bytes')
    ? `${min} to ${max} bytes`
    : `${a} to ${b} (${min} to ${max} bytes)`;
}

/** The largest binary unit that divides `bytes` exactly: 4096 → '4KiB', 1000 → '1000 bytes'. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}

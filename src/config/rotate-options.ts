/**
 * The rotation options of a file sink (`file.rotate` today, `sinks[i].rotate` in the
 * configuration layer), validated once into plain frozen data that crosses to the consumer
 * thread by structured clone. The file sink (consumer/file-sink.ts) carries them out.
 *
 *   rotate: {
 *     maxSize?:      rotate before a line would make the file larger: bytes or '10MiB' (1KiB..2^53-1)
 *     interval?:     rotate at wall-clock boundaries: '1h', '15m', '1d', 'midnight', 'hourly',
 *                    'daily', '1w', Python's 'S' 'M' 'H' 'D' 'MIDNIGHT' 'W0'..'W6' (schedule.ts)
 *     utc?:          read interval boundaries and name dates on the UTC clock; default false (local)
 *     pattern?:      rotated file name with date tokens, e.g. 'app.%Y-%m-%d.log' (rotated-names.ts)
 *     maxFiles?:     rotated files kept, 0 to 100000; default 5, or no count limit when
 *                    maxTotalSize is given. 0 keeps none (logrotate's `rotate 0`; NOT Python's
 *                    backupCount=0, which keeps all)
 *     maxTotalSize?: bytes all rotated files may take together (1KiB..2^53-1); default no limit
 *     compress?:     false (default) | true | 'gzip' | { level?: 1..9 }: gzip rotated files
 *   }
 *
 * At least one of maxSize and interval must be given; with both, whichever comes first rotates.
 *
 * Names: with a date pattern, a rotated file is named by the start of the period it covers and
 * is never renamed afterwards. Without one: an interval gets Python's default pattern
 * (`app.log.%Y-%m-%d`, finer for shorter intervals: defaultNamePattern); size-only rotation
 * gets numbered names (`app.log.1` newest ... `app.log.N`), unless compress is on: numbered
 * files move at each rotation, possibly while the compressor thread is still reading one (and
 * it would then delete a newer file under the old name), so compression always uses a date
 * pattern, `app.log.%Y-%m-%d` by default (`app.log.2026-11-21`, `.1`, `.2` for later files of
 * the same day).
 *
 * Errors are option errors (code ERR_RINGLOG_OPTION) whose messages name the option by the
 * path given: `sinks[2].rotate.maxFiles must be an integer from 0 to 100000; received -1`.
 *
 * This module must stay free of I/O and threads: options.ts imports it, and producers load
 * options.ts.
 */
import { basename } from 'node:path';
import { isPlainObject } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import { GZIP_LEVEL_DEFAULT, GZIP_LEVEL_MAX, GZIP_LEVEL_MIN, MAX_FILES_DEFAULT, MAX_FILES_MAX, MAX_SIZE_MAX, MAX_SIZE_MIN } from '../core/limits.js';
import { parseByteSize } from './byte-sizes.js';
import { compileNamePattern, defaultNamePattern } from '../consumer/rotate/rotated-names.js';
import { parseInterval } from '../consumer/rotate/schedule.js';
import type { ResolvedRotate } from '../consumer/sink/file-sink.js';

export type { ResolvedRotate };

/** The rotation options as given. */
export interface RotateOptions {
  /** Rotate before a line would make the file larger than this: bytes, or a string such as '50MiB'. */
  maxSize?: number | string;
  /** Rotate at wall-clock boundaries: '1h', '1d', 'midnight', 'W0' ... */
  interval?: string;
  /** Boundaries and dates on the UTC clock instead of local time. Default false. */
  utc?: boolean;
  /** Names of rotated files, with date tokens %Y %m %d %H %M %S: 'app.%Y-%m-%d.log'. */
  pattern?: string;
  /** Rotated files kept, 0 to 100000. Default 5, or no count limit when maxTotalSize is given. */
  maxFiles?: number;
  /** Bytes all rotated files may take together. Default: no limit. */
  maxTotalSize?: number | string;
  /** Gzip rotated files, in a thread of their own. Default false. */
  compress?: boolean | 'gzip' | { level?: number };
}


const ROTATE_KEYS = ['maxSize', 'interval', 'utc', 'pattern', 'maxFiles', 'maxTotalSize', 'compress'] as const;
const COMPRESS_KEYS = ['level'] as const;

/**
 * Validates rotation options; `optionPath` names them in errors ('options.file.rotate',
 * 'sinks[2].rotate'), `livePath` is the live file's path (absolute), whose name the default
 * pattern starts with.
 */
export function resolveRotate(value: unknown, optionPath: string, livePath: string): ResolvedRotate {
  const o = checkObject(value, optionPath, ROTATE_KEYS, '{ maxSize?, interval?, utc?, pattern?, maxFiles?, maxTotalSize?, compress? }');
  const maxFileBytes =
    o.maxSize === undefined ? undefined : parseByteSize(o.maxSize, `${optionPath}.maxSize`, MAX_SIZE_MIN, MAX_SIZE_MAX);
  const interval = o.interval === undefined ? undefined : parseInterval(o.interval, `${optionPath}.interval`);
  if (maxFileBytes === undefined && interval === undefined) {
    fail(TypeError, `${optionPath} must give maxSize, interval or both (without either the file never rotates); received ${show(value)}`);
  }
  const utc = o.utc === undefined ? false : checkBoolean(o.utc, `${optionPath}.utc`);
  const maxTotalBytes =
    o.maxTotalSize === undefined
      ? undefined
      : parseByteSize(o.maxTotalSize, `${optionPath}.maxTotalSize`, MAX_SIZE_MIN, MAX_SIZE_MAX);
  const maxFiles =
    o.maxFiles === undefined
      ? maxTotalBytes === undefined
        ? MAX_FILES_DEFAULT
        : undefined
      : checkMaxFiles(o.maxFiles, `${optionPath}.maxFiles`);
  const compressLevel = resolveCompress(o.compress, `${optionPath}.compress`);
  let pattern: string | undefined;
  if (o.pattern !== undefined) {
    pattern = compileNamePattern(o.pattern, `${optionPath}.pattern`).source;
  } else if (interval !== undefined) {
    pattern = defaultNamePattern(basename(livePath), interval);
  } else if (compressLevel !== undefined) {
    pattern = defaultNamePattern(basename(livePath), parseInterval('1d', `${optionPath}.interval`));
  }
  return Object.freeze({ maxFileBytes, interval, utc, pattern, maxFiles, maxTotalBytes, compressLevel });
}

/** undefined, false: no compression; true, 'gzip': level 6; { level }: that level. */
function resolveCompress(value: unknown, option: string): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || value === 'gzip') return GZIP_LEVEL_DEFAULT;
  const expected = `${option} must be true, false, 'gzip' or { level } with a gzip level from ${GZIP_LEVEL_MIN} to ${GZIP_LEVEL_MAX}`;
  if (!isPlainObject(value)) fail(TypeError, `${expected}; received ${show(value)}`);
  const o = checkObject(value, option, COMPRESS_KEYS, '{ level? }');
  if (o.level === undefined) return GZIP_LEVEL_DEFAULT;
  if (typeof o.level !== 'number') fail(TypeError, `${option}.level must be an integer from ${GZIP_LEVEL_MIN} to ${GZIP_LEVEL_MAX}; received ${show(o.level)}`);
  if (!Number.isInteger(o.level) || o.level < GZIP_LEVEL_MIN || o.level > GZIP_LEVEL_MAX) {
    fail(RangeError, `${option}.level must be an integer from ${GZIP_LEVEL_MIN} to ${GZIP_LEVEL_MAX}; received ${show(o.level)}`);
  }
  return o.level;
}

function checkMaxFiles(value: unknown, option: string): number {
  const expected = `${option} must be an integer from 0 to ${MAX_FILES_MAX} (0 keeps no rotated file)`;
  if (typeof value !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > MAX_FILES_MAX) fail(RangeError, `${expected}; received ${show(value)}`);
  return value;
}

function checkBoolean(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') fail(TypeError, `${option} must be true or false; received ${show(value)}`);
  return value;
}

/** A plain object whose own keys are all in `known`, typed for reading them. */
function checkObject<K extends string>(value: unknown, option: string, known: readonly K[], shape: string): Partial<Record<K, unknown>> {
  if (!isPlainObject(value)) fail(TypeError, `${option} must be an object ${shape}; received ${show(value)}`);
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      fail(TypeError, `${option}.${key} is not a known option; known: ${known.join(', ')}`);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

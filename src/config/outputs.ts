/**
 * Where records go: the `sinks`, the `formatters` that render their lines and the `loggers`'
 * levels, resolved once in the main thread, much as Python's `logging.config.dictConfig` reads
 * its dictionary:
 *
 *   {
 *     level: 'debug',                                     // the root logger (options.ts)
 *     formatters: { detailed: { type: 'text', template: '%(asctime)s %(name)-15s %(message)s', style: '%' } },
 *     sinks: [
 *       { name: 'console', type: 'stdout', level: 'info' },                      // JSON lines
 *       { name: 'all', type: 'file', path: 'logs/app.log', formatter: 'detailed', rotate: { maxSize: '10MB' } },
 *       { name: 'db', type: 'file', path: 'logs/db.log', loggers: ['db'] },       // db, db.pool ...
 *     ],
 *     loggers: { 'db.pool': { level: 'warn', propagate: false } },
 *   }
 *
 * The result is plain, frozen, structured-cloneable data: it crosses to the consumer thread in
 * `workerData` and to producers in the handle. Formatters are data too (a text template, a
 * module specifier); the consumer thread builds the functions from them (consumer/formats.ts).
 * Only the formatters some sink uses are kept, each once, however many sinks share it: sinks
 * that share a formatter share each rendered line.
 *
 * Every error names the option path first, in the style of options.ts:
 *   ringlog: options.sinks[1].formatter: no formatter named 'detaled'; formatters are: detailed, and the built-in json, text
 */
import { checkInteger, checkLevel, checkPath, checkRecord, isPlainObject } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import { constants as fsConstants } from 'node:fs';
import {
  DIR_MODE_OWNER,
  FILE_MODE_OWNER,
  MAX_FILES_DEFAULT,
  MAX_FILES_MAX,
  MAX_FILES_MIN,
  MAX_SIZE_MAX,
  MAX_SIZE_MIN,
  MODE_MAX,
  NAME_MAX_LENGTH,
  TIMER_MAX_MS,
} from '../core/limits.js';
import { parseByteSize } from './byte-sizes.js';
import { resolveRotate, type RotateOptions } from './rotate-options.js';
import type { InnerFormat, ResolvedFormat } from '../consumer/formats.js';
import type { ResolvedFileOptions, ResolvedSink } from '../consumer/open-router.js';
import { resolveFormatterSpecifier } from '../consumer/format/formatter-module.js';
import { resolveTextFormat, type TextFormatOptions } from './text-format-options.js';
import { FORWARD_KEYS, resolveForward, resolveForwardShorthand, type ForwardOptions } from './forward-options.js';
import type { ResolvedForward } from '../forward/sender.js';
import { resolveSyslog, SYSLOG_KEYS, type SyslogOptions } from './syslog-options.js';
import { OTLP_KEYS, resolveOtlp, type OtlpOptions } from './otlp-options.js';
import { levelValue, type LevelOption } from '../core/levels.js';
import { rotatedPath } from '../consumer/rotate/numbered.js';
import type { LoggerRoute, RouteTable, SinkRoute } from '../core/routes.js';

/** The longest fsync interval: Node's longest timer (2^31 - 1 ms). */

/** How a sink's lines look. */
export type FormatterConfig =
  /** pino's JSON line (json-format.ts), the default. */
  | { type: 'json' }
  /** Python-style text (text-format.ts): `template` and `style`, or a `preset`; `datefmt`, `utc`, `extras`, `missing`. */
  | ({ type: 'text' } & TextFormatOptions)
  /**
   * A module exporting `create(options)`, a default function or `format` (formatter-module.ts):
   * a path (relative to the working directory), a file: URL or a package name. `options` go to
   * `create(options)` and must be structured-cloneable.
   */
  | { type: 'module'; module: string; options?: unknown };

interface SinkCommon {
  /** A name for messages; unique among the sinks. Default `sinks[<index>]`. */
  name?: string;
  /** The sink's own minimum level, checked after routing. Default: every level. */
  level?: LevelOption;
  /** The name of a formatter in `formatters`, or the built-in 'json' (default) or 'text'. */
  formatter?: string;
  /**
   * The loggers the sink is attached to: it gets their records and their descendants' (`db`
   * gets `db` and `db.pool`). Default: the root logger, whose sinks get every record that
   * propagates up to it.
   */
  loggers?: string[];
}

export interface StreamSinkConfig extends SinkCommon {
  type: 'stdout' | 'stderr';
}

export interface FileSinkConfig extends SinkCommon {
  type: 'file';
  /** Relative paths resolve against the working directory at startup; the directory is created. */
  path: string;
  /**
   * Rotation by size and/or time, with numbered or date-named files, retention and gzip
   * (rotate-options.ts, README "Rotation"). Default: never rotate.
   */
  rotate?: RotateOptions;
  /** As `file.fsync`: false (default), true (every batch) or an interval in ms. */
  fsync?: boolean | number;
  /** As `file.mode`: the permission bits of the live, rotated and gzipped files. `0o640` */
  mode?: number | string;
  /** As `file.dirMode`: the permission bits of the directories ringlog creates. `0o750` */
  dirMode?: number | string;
  /** As `file.noFollow`: refuse a symlink at the path. Default false. */
  noFollow?: boolean;
}

/**
 * Lines rendered here, written by an aggregator process that owns the files (its `listen`):
 * for many processes logging into one set of files (config/forward-options.ts, README "Many processes").
 */
export interface ForwardSinkConfig extends SinkCommon, ForwardOptions {
  type: 'forward';
}

/**
 * Each record as an RFC 5424 message to a syslog collector (rsyslog, syslog-ng ...), its
 * message the sink's formatter's line (config/syslog-options.ts, README "Syslog").
 */
export interface SyslogSinkConfig extends SinkCommon, SyslogOptions {
  type: 'syslog';
}

/**
 * Each record as an OpenTelemetry LogRecord, exported as OTLP/HTTP JSON to a collector's
 * /v1/logs (config/otlp-options.ts, docs/otlp.md). No formatter: the record is the payload.
 */
export interface OtlpSinkConfig extends Omit<SinkCommon, 'formatter'>, OtlpOptions {
  type: 'otlp';
}

export type SinkConfig = StreamSinkConfig | FileSinkConfig | ForwardSinkConfig | SyslogSinkConfig | OtlpSinkConfig;

export type { ResolvedFileOptions, ResolvedFormat, ResolvedSink };

export interface LoggerConfig {
  /** The level of this logger and its descendants without one of their own. */
  level?: LevelOption;
  /** False: records stop here instead of going on to the ancestors' sinks and the root's. Default true. */
  propagate?: boolean;
}



export interface ResolvedOutputs {
  /** The formatters the sinks use, each once. */
  readonly formats: readonly ResolvedFormat[];
  readonly sinks: readonly ResolvedSink[];
  /** The same sinks and the loggers' settings as routes.ts reads them, for producers and the consumer. */
  readonly routes: RouteTable;
}

/** The parts of the options this module reads; values unchecked. */
export interface OutputsInput {
  readonly file: unknown;
  readonly forward: unknown;
  readonly formatters: unknown;
  readonly sinks: unknown;
  readonly loggers: unknown;
}

const FILE_KEYS = ['path', 'maxSize', 'maxFiles', 'fsync', 'rotate', 'mode', 'dirMode', 'noFollow'] as const;
const STREAM_SINK_KEYS = ['name', 'type', 'level', 'formatter', 'loggers'] as const;
const FILE_SINK_KEYS = ['name', 'type', 'path', 'rotate', 'fsync', 'level', 'formatter', 'loggers', 'mode', 'dirMode', 'noFollow'] as const;
const FORWARD_SINK_KEYS = ['name', 'type', 'level', 'formatter', 'loggers', ...FORWARD_KEYS] as const;
const SYSLOG_SINK_KEYS = ['name', 'type', 'level', 'formatter', 'loggers', ...SYSLOG_KEYS] as const;
const OTLP_SINK_KEYS = ['name', 'type', 'level', 'loggers', ...OTLP_KEYS] as const;
const LOGGER_KEYS = ['level', 'propagate'] as const;
const BUILT_IN_FORMATTERS = ['json', 'text'] as const;

/** Resolves `file` or `sinks`, `formatters` and `loggers`; `rootLevel` is the resolved `options.level`. */
export function resolveOutputs(input: OutputsInput, rootLevel: LevelOption): ResolvedOutputs {
  const defined = resolveFormatters(input.formatters);
  const formats: ResolvedFormat[] = [];
  const formatIndex = new Map<string, number>();
  const useFormat = (name: string): number => {
    let index = formatIndex.get(name);
    if (index === undefined) {
      index = formats.push(defined.get(name) ?? builtIn(name)) - 1;
      formatIndex.set(name, index);
    }
    return index;
  };

  let sinks: ResolvedSink[];
  if (input.forward !== undefined && (input.sinks !== undefined || input.file !== undefined)) {
    const other = input.sinks !== undefined ? 'options.sinks' : 'options.file';
    fail(TypeError, `options.forward cannot be combined with ${other}; give the forward as a sink: { type: 'forward', address }`);
  }
  if (input.sinks !== undefined) {
    if (input.file !== undefined) {
      fail(TypeError, "options.file cannot be combined with options.sinks; give the file as a sink: { type: 'file', path, rotate?, fsync? }");
    }
    // A syslog or OTLP sink's format is its own: syslog's frame around the formatter it names,
    // OTLP's LogRecord.
    const ownFormat = (format: ResolvedFormat): number => formats.push(format) - 1;
    sinks = resolveSinks(input.sinks, defined, useFormat, ownFormat);
  } else {
    const file = input.file === undefined ? undefined : resolveFile(input.file);
    const forward = input.forward === undefined ? undefined : resolveForwardShorthand(input.forward);
    sinks = [
      Object.freeze({
        name: forward !== undefined ? 'forward' : file === undefined ? 'stdout' : 'file',
        kind: forward !== undefined ? ('forward' as const) : file === undefined ? ('stdout' as const) : ('file' as const),
        file,
        forward,
        level: 0,
        loggers: Object.freeze([]),
        formatter: 'json',
        format: useFormat('json'),
      }),
    ];
  }
  const loggers = resolveLoggers(input.loggers);
  const routes: RouteTable = Object.freeze({
    level: levelValue(rootLevel),
    sinks: Object.freeze(sinks.map((sink): SinkRoute => Object.freeze({ level: sink.level, loggers: sink.loggers }))),
    loggers,
  });
  return Object.freeze({ formats: Object.freeze(formats), sinks: Object.freeze(sinks), routes });
}

// ---- formatters ------------------------------------------------------------------------------

function resolveFormatters(value: unknown): Map<string, ResolvedFormat> {
  const formatters = new Map<string, ResolvedFormat>();
  if (value === undefined) return formatters;
  if (!isPlainObject(value)) {
    fail(TypeError, `options.formatters must be an object of named formatters, such as { brief: { type: 'text', preset: 'basic' } }; received ${show(value)}`);
  }
  for (const [name, definition] of Object.entries(value)) {
    formatters.set(name, resolveFormatter(definition, member('options.formatters', name)));
  }
  return formatters;
}

function resolveFormatter(value: unknown, path: string): ResolvedFormat {
  if (!isPlainObject(value)) {
    fail(TypeError, `${path} must be an object { type: 'json' | 'text' | 'module', ... }; received ${show(value)}`);
  }
  const { type, ...rest } = value as Record<string, unknown>;
  switch (type) {
    case 'json':
      checkRecord(value, path, ['type']);
      return Object.freeze({ type: 'json' });
    case 'text':
      return Object.freeze({ type: 'text', text: resolveTextFormat(rest, path) });
    case 'module': {
      const o = checkRecord(value, path, ['type', 'module', 'options'])!;
      return Object.freeze({
        type: 'module',
        module: resolveFormatterSpecifier(o.module, `${path}.module`),
        options: cloneable(o.options, `${path}.options`),
        option: `${path}.module`,
      });
    }
    default:
      fail(TypeError, `${path}.type must be 'json', 'text' or 'module'; received ${show(type)}`);
  }
}

function builtIn(name: string): ResolvedFormat {
  return name === 'text' ? Object.freeze({ type: 'text', text: resolveTextFormat(undefined, 'text') }) : Object.freeze({ type: 'json' });
}

/** A module formatter's options travel to the consumer thread by structured clone: check now. */
function cloneable(value: unknown, path: string): unknown {
  if (value === undefined) return undefined;
  try {
    return structuredClone(value);
  } catch (error) {
    fail(TypeError, `${path} must be structured-cloneable data (it is sent to the consumer thread), such as plain objects, arrays, strings and numbers; received ${show(value)} (${error instanceof Error ? error.message : String(error)})`);
  }
}

// ---- sinks -----------------------------------------------------------------------------------

function resolveSinks(
  value: unknown,
  formatters: ReadonlyMap<string, ResolvedFormat>,
  useFormat: (name: string) => number,
  ownFormat: (format: ResolvedFormat) => number,
): ResolvedSink[] {
  if (!Array.isArray(value)) {
    fail(TypeError, `options.sinks must be an array of sinks, such as [{ type: 'file', path: 'logs/app.log' }]; received ${show(value)}`);
  }
  if (value.length === 0) {
    fail(TypeError, "options.sinks must hold at least one sink; to log nothing, set options.level to 'silent'");
  }
  const sinks: ResolvedSink[] = [];
  const names = new Map<string, string>();
  value.forEach((item: unknown, index) => {
    const path = `options.sinks[${index}]`;
    const sink = resolveSink(item, path, formatters, useFormat, ownFormat);
    const other = names.get(sink.name);
    if (other !== undefined) fail(TypeError, `${path}.name: ${show(sink.name)} is already the name of ${other}; sink names must be unique`);
    names.set(sink.name, path);
    if (sink.file !== undefined) checkFileUnshared(sink.file, `${path}.path`, sinks);
    sinks.push(sink);
  });
  return sinks;
}

function resolveSink(
  value: unknown,
  path: string,
  formatters: ReadonlyMap<string, ResolvedFormat>,
  useFormat: (name: string) => number,
  ownFormat: (format: ResolvedFormat) => number,
): ResolvedSink {
  if (!isPlainObject(value)) {
    fail(TypeError, `${path} must be an object { type: 'stdout' | 'stderr' | 'file' | 'forward' | 'syslog' | 'otlp', ... }; received ${show(value)}`);
  }
  const type = (value as { type?: unknown }).type;
  if (type !== 'stdout' && type !== 'stderr' && type !== 'file' && type !== 'forward' && type !== 'syslog' && type !== 'otlp') {
    fail(TypeError, `${path}.type must be 'stdout', 'stderr', 'file', 'forward', 'syslog' or 'otlp'; received ${show(type)}`);
  }
  const keys = { file: FILE_SINK_KEYS, forward: FORWARD_SINK_KEYS, syslog: SYSLOG_SINK_KEYS, otlp: OTLP_SINK_KEYS, stdout: STREAM_SINK_KEYS, stderr: STREAM_SINK_KEYS }[type];
  type Key = (typeof FILE_SINK_KEYS)[number] | (typeof FORWARD_SINK_KEYS)[number] | (typeof SYSLOG_SINK_KEYS)[number] | (typeof OTLP_SINK_KEYS)[number];
  const o = checkRecord(value, path, keys)! as Partial<Record<Key, unknown>>;
  const name = o.name === undefined ? path.slice('options.'.length) : checkSinkName(o.name, `${path}.name`);
  const formatter = o.formatter === undefined ? 'json' : checkFormatterName(o.formatter, `${path}.formatter`, formatters);
  let file: ResolvedFileOptions | undefined;
  if (type === 'file') {
    const filePath = checkPath(o.path, `${path}.path`);
    file = withRotate(fileOptions(filePath, undefined, undefined, o.fsync, `${path}.rotate`, path), o.rotate, `${path}.rotate`);
    file = withAccess(file, o, path);
  }
  const forward: ResolvedForward | undefined = type === 'forward' ? resolveForward(o, path) : undefined;
  const syslog = type === 'syslog' ? resolveSyslog(o, path) : undefined;
  const otlp = type === 'otlp' ? resolveOtlp(o, path) : undefined;
  // Formatters are json, text or module (resolveFormatter): never a syslog or OTLP format.
  const inner = (formatters.get(formatter) ?? builtIn(formatter)) as InnerFormat;
  return Object.freeze({
    name,
    kind: type,
    file,
    forward,
    ...(syslog === undefined ? {} : { syslog: syslog.target }),
    ...(otlp === undefined ? {} : { otlp }),
    level: o.level === undefined ? 0 : levelValue(checkLevel(o.level, `${path}.level`)),
    loggers: o.loggers === undefined ? Object.freeze([]) : checkLoggerList(o.loggers, `${path}.loggers`),
    formatter,
    format:
      syslog !== undefined
        ? ownFormat(Object.freeze({ type: 'syslog', syslog: syslog.format, inner }))
        : otlp !== undefined
          ? ownFormat(Object.freeze({ type: 'otlp' }))
          : useFormat(formatter),
  });
}

function checkSinkName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(TypeError, `${path} must be a non-empty string; received ${show(value)}`);
  return value;
}

function checkFormatterName(value: unknown, path: string, formatters: ReadonlyMap<string, ResolvedFormat>): string {
  if (typeof value !== 'string') {
    fail(TypeError, `${path} must be the name of a formatter (a key of options.formatters, or the built-in 'json' or 'text'); received ${show(value)}`);
  }
  if (!formatters.has(value) && !(BUILT_IN_FORMATTERS as readonly string[]).includes(value)) {
    const defined = [...formatters.keys()];
    const builtIns = BUILT_IN_FORMATTERS.filter((name) => !formatters.has(name));
    const list = defined.length === 0 ? `the built-in ${builtIns.join(', ')}` : `${defined.join(', ')}, and the built-in ${builtIns.join(', ')}`;
    fail(TypeError, `${path}: no formatter named ${show(value)}; formatters are: ${list}`);
  }
  return value;
}

function checkLoggerList(value: unknown, path: string): readonly string[] {
  if (!Array.isArray(value)) {
    fail(TypeError, `${path} must be an array of logger names, such as ['db', 'http.client']; received ${show(value)}`);
  }
  if (value.length === 0) {
    fail(TypeError, `${path} must name at least one logger; leave it out for a root sink, which gets every logger's records`);
  }
  const names = value.map((name: unknown, index) => checkLoggerName(name, `${path}[${index}]`));
  return Object.freeze([...new Set(names)]);
}

function checkLoggerName(value: unknown, path: string): string {
  const expected = `${path} must be a logger name, a non-empty string of at most ${NAME_MAX_LENGTH} characters such as 'db' or 'http.client'`;
  if (typeof value !== 'string' || value.length === 0) fail(TypeError, `${expected}; received ${show(value)}`);
  if (value.length > NAME_MAX_LENGTH) fail(RangeError, `${expected}; received a string of ${value.length}`);
  return value;
}

/**
 * Two sinks on one file would interleave their buffers and rotate it under each other; a file
 * named like another's rotated files would be renamed or deleted by that rotation.
 */
function checkFileUnshared(file: ResolvedFileOptions, path: string, before: readonly ResolvedSink[]): void {
  before.forEach((other, index) => {
    const theirs = other.file;
    if (theirs === undefined) return;
    const at = `options.sinks[${index}]`;
    const where = other.name === at.slice('options.'.length) ? at : `${at} (${show(other.name)})`;
    if (theirs.path === file.path) fail(TypeError, `${path}: ${file.path} is already written by ${where}; a file can have only one sink`);
    for (const [a, b, owner] of [[theirs, file, where], [file, theirs, 'this sink']] as const) {
      if (a.maxFileBytes !== undefined && isRotatedName(a, b.path)) {
        fail(TypeError, `${path}: ${b.path} is one of the rotated files of ${a.path}, written by ${owner}; use another file name`);
      }
    }
  });
}

function isRotatedName(file: ResolvedFileOptions, path: string): boolean {
  const index = Number(path.slice(file.path.length + 1));
  return path.startsWith(`${file.path}.`) && Number.isInteger(index) && index >= 1 && index <= file.maxFiles && rotatedPath(file.path, index) === path;
}

// ---- the `file` shorthand and file options ---------------------------------------------------

function resolveFile(value: unknown): ResolvedFileOptions {
  if (typeof value === 'string') return fileOptions(checkPath(value, 'options.file'), undefined, undefined, undefined, 'options.file', 'options.file');
  if (!isPlainObject(value)) {
    fail(
      TypeError,
      `options.file must be a path string or an object { path, maxSize?, maxFiles?, fsync? }; received ${show(value)}`,
    );
  }
  const o = checkRecord(value, 'options.file', FILE_KEYS) ?? {};
  if (o.rotate !== undefined) {
    const flat = o.maxSize !== undefined ? 'maxSize' : o.maxFiles !== undefined ? 'maxFiles' : undefined;
    if (flat !== undefined) {
      fail(TypeError, `options.file.${flat} cannot be given with options.file.rotate: write it as options.file.rotate.${flat}`);
    }
  }
  const file = fileOptions(checkPath(o.path, 'options.file.path'), o.maxSize, o.maxFiles, o.fsync, 'options.file', 'options.file');
  return withAccess(withRotate(file, o.rotate, 'options.file.rotate'), o, 'options.file');
}

/** File options with `mode`, `dirMode` and `noFollow` (consumer/sink/file-open.ts), when any is given. */
function withAccess(file: ResolvedFileOptions, o: { mode?: unknown; dirMode?: unknown; noFollow?: unknown }, option: string): ResolvedFileOptions {
  if (o.mode === undefined && o.dirMode === undefined && o.noFollow === undefined) return file;
  return Object.freeze({
    ...file,
    mode: o.mode === undefined ? undefined : checkMode(o.mode, `${option}.mode`, FILE_MODE_OWNER, 'write'),
    dirMode: o.dirMode === undefined ? undefined : checkMode(o.dirMode, `${option}.dirMode`, DIR_MODE_OWNER, 'write and search'),
    noFollow: o.noFollow === undefined ? false : checkNoFollow(o.noFollow, `${option}.noFollow`),
  });
}

/** chmod's three octal digits, written as a string in JSON configuration files (which have no octal numbers). */
const OCTAL_MODE = /^(?:0o|0)?[0-7]{3}$/;

/** A mode of nine permission bits in which the owner keeps `owner` (0o200: write). */
function checkMode(value: unknown, option: string, owner: number, needs: string): number {
  const expected = `${option} must be a mode from 0o000 to 0o${MODE_MAX.toString(8)} that lets the owner ${needs} (0o${owner.toString(8)}): a number such as 0o640, or a string of octal digits such as '0640'`;
  const mode = typeof value === 'string' && OCTAL_MODE.test(value) ? Number.parseInt(value.slice(-3), 8) : value;
  if (typeof mode !== 'number') fail(TypeError, `${expected}; received ${show(value)}`);
  if (!Number.isInteger(mode) || mode < 0 || mode > MODE_MAX || (mode & owner) !== owner) {
    // 640 for 0o640 is the usual slip: its digits say what was meant.
    const octal = Number.isInteger(mode) && mode >= 0 ? ` (0o${mode.toString(8)})` : '';
    const hint = typeof value === 'number' && /^[0-7]{3}$/.test(String(value)) && mode > MODE_MAX ? `; for octal ${value}, write 0o${value} or '0${value}'` : '';
    fail(RangeError, `${expected}; received ${show(value)}${octal}${hint}`);
  }
  return mode;
}

function checkNoFollow(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') fail(TypeError, `${option} must be true or false; received ${show(value)}`);
  // Where open(2) has no O_NOFOLLOW (Windows), the promise could not be kept: say so now.
  if (value && (fsConstants.O_NOFOLLOW as number | undefined) === undefined) {
    fail(TypeError, `${option}: this platform cannot refuse a symlink when opening a file (no O_NOFOLLOW); leave noFollow out`);
  }
  return value;
}

/** File options with `rotate` resolved (rotate-options.ts), which then sets the size and count too. */
function withRotate(file: ResolvedFileOptions, rotate: unknown, option: string): ResolvedFileOptions {
  if (rotate === undefined) return file;
  const resolved = resolveRotate(rotate, option, file.path);
  return Object.freeze({ ...file, maxFileBytes: resolved.maxFileBytes, maxFiles: resolved.maxFiles ?? MAX_FILES_DEFAULT, rotate: resolved });
}

/** `rotatePath` prefixes maxSize and maxFiles in messages, `fsyncPath` fsync. */
function fileOptions(path: string, maxSize: unknown, maxFiles: unknown, fsync: unknown, rotatePath: string, fsyncPath: string): ResolvedFileOptions {
  return Object.freeze({
    path,
    maxFileBytes: maxSize === undefined ? undefined : parseByteSize(maxSize, `${rotatePath}.maxSize`, MAX_SIZE_MIN, MAX_SIZE_MAX),
    maxFiles: maxFiles === undefined ? MAX_FILES_DEFAULT : checkInteger(maxFiles, `${rotatePath}.maxFiles`, MAX_FILES_MIN, MAX_FILES_MAX),
    fsyncMs: fsync === undefined ? undefined : resolveFsync(fsync, `${fsyncPath}.fsync`),
  });
}

function resolveFsync(value: unknown, option: string): number | undefined {
  if (value === false) return undefined;
  if (value === true) return 0;
  if (typeof value !== 'number') {
    fail(TypeError, `${option} must be true, false or an interval in ms from 1 to ${TIMER_MAX_MS}; received ${show(value)}`);
  }
  return checkInteger(value, `${option} (an interval in ms)`, 1, TIMER_MAX_MS);
}

// ---- loggers ---------------------------------------------------------------------------------

function resolveLoggers(value: unknown): Readonly<Record<string, LoggerRoute>> {
  // Null prototype: a logger named `__proto__` or `constructor` is an ordinary key.
  const loggers: Record<string, LoggerRoute> = Object.create(null);
  if (value === undefined) return Object.freeze(loggers);
  if (!isPlainObject(value)) {
    fail(TypeError, `options.loggers must be an object of logger names, such as { 'db.pool': { level: 'warn', propagate: false } }; received ${show(value)}`);
  }
  for (const [name, settings] of Object.entries(value)) {
    const path = member('options.loggers', name);
    if (name === '') fail(TypeError, `${path}: the root logger has no name; its level is options.level`);
    checkLoggerName(name, path);
    if (!isPlainObject(settings)) fail(TypeError, `${path} must be an object { level?, propagate? }; received ${show(settings)}`);
    const o = checkRecord(settings, path, LOGGER_KEYS)!;
    if (o.propagate !== undefined && typeof o.propagate !== 'boolean') {
      fail(TypeError, `${path}.propagate must be true or false; received ${show(o.propagate)}`);
    }
    const propagate = o.propagate ?? true;
    const route: LoggerRoute = o.level === undefined ? { propagate } : { level: levelValue(checkLevel(o.level, `${path}.level`)), propagate };
    Object.defineProperty(loggers, name, { value: Object.freeze(route), enumerable: true });
  }
  return Object.freeze(loggers);
}

/**
 * `options.formatters.brief`, or `options.loggers['foo.bar']` for a key that is not an
 * identifier (or is long: show() shortens it).
 */
function member(path: string, key: string): string {
  return key.length <= 64 && /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${show(key)}]`;
}

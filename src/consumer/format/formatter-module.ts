/**
 * Custom formatters: a function of the decoded record, loaded from a module into the consumer
 * thread (functions do not cross threads, so the configuration names a module, not a function).
 *
 * The contract, for the author of a formatter module:
 *
 *   // my-format.js: a formatter
 *   export default function format(record) {          // or: export function format(record)
 *     return `${record.time} ${record.level} ${record.msg ?? ''}`;
 *   }
 *
 *   // my-format.js: a factory, when the formatter takes options
 *   export function create(options) {                  // may be async
 *     const prefix = options?.prefix ?? '';
 *     return (record) => `${prefix}${record.msg ?? ''}`;
 *   }
 *
 * - The exports are looked at in this order: `create` (a factory, called once at load with the
 *   formatter's options, returning the formatter or a promise of it), then `default`, then
 *   `format` (the formatter itself). Options given to a module that has no `create` are an
 *   error: they would be silently ignored.
 * - The formatter gets a `LogRecord` (src/record/log-record.ts): time, level, threadId, name,
 *   bindings, msg, args (printf arguments, not yet applied), fields. Treat it as read-only.
 * - It returns the text of one record, synchronously; a line feed is appended when the text
 *   does not end with one. What the text holds is the module's business: ringlog does not
 *   escape it (a formatter may write several lines on purpose).
 * - It runs in the consumer thread, once per record: slow work there slows every thread's
 *   logging once the ring fills.
 *
 * The specifier is an absolute or relative path (`./fmt.js`, resolved against the working
 * directory when the options are resolved), a `file:` URL, or a package name, imported as
 * ringlog's own modules would import it.
 *
 * Failures at load reject with an error naming the option and the specifier
 * (`code = 'ERR_RINGLOG_OPTION'`): a TypeError when the module is not found or has no usable
 * export; an Error, with the module's error as `cause`, when importing it or calling `create`
 * throws. Failures per record throw a {@link FormatterError} (see {@link loadFormatterModule}).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail, FormatterError, show } from '../../core/errors.js';
import type { LogRecord } from '../../record/log-record.js';

export type RecordFormatter = (record: LogRecord) => string;

/**
 * The specifier to import: paths become `file:` URLs (relative ones against process.cwd(),
 * now), URLs and package names stay as they are. Throws an option error for a value that is
 * not a non-empty string without NUL. Call it where the options are resolved, in the main
 * thread, so that a relative path means what it meant there.
 */
export function resolveFormatterSpecifier(specifier: unknown, optionPath: string): string {
  if (typeof specifier !== 'string' || specifier.length === 0 || specifier.includes('\0')) {
    fail(TypeError, `${optionPath} must be a module path, file: URL or package name (a non-empty string without NUL); received ${show(specifier)}`);
  }
  if (isPathLike(specifier)) return pathToFileURL(resolve(specifier)).href;
  if (specifier.startsWith('file:')) {
    if (!URL.canParse(specifier)) fail(TypeError, `${optionPath} is not a valid file: URL; received ${show(specifier)}`);
    return specifier;
  }
  return specifier;
}

/**
 * Imports a formatter module and returns its formatter, wrapped: the wrapper returns the
 * formatter's text (with a final line feed), or throws a {@link FormatterError} when the
 * formatter throws or returns anything but a string (a promise included, whose rejection is
 * then caught so that it cannot end the thread as an unhandled rejection).
 *
 * `options` goes to the module's `create(options)`; `optionPath` names the option in errors
 * (for example 'formatters.custom.module').
 */
export async function loadFormatterModule(specifier: string, optionPath: string, options?: unknown): Promise<RecordFormatter> {
  const url = resolveFormatterSpecifier(specifier, optionPath);
  const where = url === specifier ? show(specifier) : `${show(specifier)} (${url})`;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
      fail(TypeError, `${optionPath}: formatter module ${where} was not found: ${describe(error)}`, error);
    }
    fail(Error, `${optionPath}: formatter module ${where} failed to load: ${describe(error)}`, error);
  }

  let format: unknown;
  if ('create' in namespace) {
    const create = namespace['create'];
    if (typeof create !== 'function') {
      fail(TypeError, `${optionPath}: the export 'create' of ${where} must be a function create(options) returning a formatter; received ${show(create)}`);
    }
    try {
      format = await (create as (options: unknown) => unknown)(options);
    } catch (error) {
      fail(Error, `${optionPath}: create() of formatter module ${where} threw: ${describe(error)}`, error);
    }
    if (typeof format !== 'function') {
      fail(TypeError, `${optionPath}: create() of formatter module ${where} must return a function (record) => string; returned ${show(format)}`);
    }
  } else {
    const name = 'default' in namespace ? 'default' : 'format' in namespace ? 'format' : undefined;
    if (name === undefined) {
      const names = Object.keys(namespace);
      fail(
        TypeError,
        `${optionPath}: formatter module ${where} has no formatter: export default function (record) { ... }, export function format(record), or export function create(options); it exports ${names.length === 0 ? 'nothing' : names.join(', ')}`,
      );
    }
    format = namespace[name];
    if (typeof format !== 'function') {
      fail(TypeError, `${optionPath}: the export '${name}' of formatter module ${where} must be a function (record) => string; received ${show(format)}`);
    }
    if (options !== undefined) {
      fail(TypeError, `${optionPath}: options are given, but formatter module ${where} exports no create(options) to take them`);
    }
  }
  return guard(format as (record: LogRecord) => unknown, specifier);
}

/**
 * A formatter that renders with `primary`, and when that fails with a {@link FormatterError}
 * calls `onFailure` (to count it) and renders the record with `fallback` instead, such as the
 * JSON formatter, so that the record is still written. Other errors pass through.
 */
export function withFallback(
  primary: RecordFormatter,
  fallback: RecordFormatter,
  onFailure: (error: FormatterError, record: LogRecord) => void,
): RecordFormatter {
  return function formatWithFallback(record: LogRecord): string {
    try {
      return primary(record);
    } catch (error) {
      if (!(error instanceof FormatterError)) throw error;
      onFailure(error, record);
      return fallback(record);
    }
  };
}

function guard(format: (record: LogRecord) => unknown, specifier: string): RecordFormatter {
  return function formatCustom(record: LogRecord): string {
    let text: unknown;
    try {
      text = format(record);
    } catch (error) {
      throw new FormatterError(`ringlog: formatter ${show(specifier)} threw: ${describe(error)}`, undefined, { cause: error });
    }
    if (typeof text === 'string') return text.endsWith('\n') ? text : `${text}\n`;
    if (isThenable(text)) {
      try {
        // Nobody awaits it: without a handler its rejection would end the consumer thread.
        text.then(undefined, () => {});
      } catch {
        // A thenable whose then throws has no rejection to catch.
      }
      throw new FormatterError(`ringlog: formatter ${show(specifier)} returned a promise; formatters must return a string synchronously`, text);
    }
    throw new FormatterError(`ringlog: formatter ${show(specifier)} returned ${show(text)} instead of a string`, text);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false; // a throwing `then` getter
  }
}

/** `./x.js`, `../x.js`, `/x.js`, `C:\x.js`, `\\server\x.js`, and `.` or `..` themselves. */
function isPathLike(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || /^\.{1,2}[\\/]/.test(specifier) || isAbsolute(specifier) || /^[a-zA-Z]:[\\/]/.test(specifier);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}


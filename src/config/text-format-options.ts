/**
 * The options of a `text` formatter, resolved and checked once in the main thread (config/outputs.ts
 * calls this for each one); the consumer's text-format.ts renders with the result.
 */
import { checkRecord } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import type { ResolvedTextFormat } from '../line/text-format.js';
import { dateFormatProblem } from '../line/strftime.js';
import { checkPrintable, checkTemplate } from '../line/text-template.js';

/** Timestamp, level padded to the longest name so messages align, logger name, message. */
export const DEFAULT_TEMPLATE = '{asctime} {levelname:<8} {name}: {message}';
/** Python's `logging.BASIC_FORMAT`, what `logging.basicConfig()` writes; a `%`-style template. */
export const BASIC_FORMAT = '%(levelname)s:%(name)s:%(message)s';

export const TEXT_PRESETS = Object.freeze({
  default: Object.freeze({ template: DEFAULT_TEMPLATE, style: '{' as const }),
  basic: Object.freeze({ template: BASIC_FORMAT, style: '%' as const }),
});

export interface TextFormatOptions {
  /**
   * A named layout instead of `template` and `style`: 'default' ({@link DEFAULT_TEMPLATE}) or
   * 'basic' (Python's BASIC_FORMAT, `INFO:worker:job done`). Not together with `template`.
   */
  preset?: keyof typeof TEXT_PRESETS | undefined;
  /**
   * The first line of each record, made of text and fields (see text-template.ts for the
   * syntax). Default {@link DEFAULT_TEMPLATE}. Example: '{asctime} [{threadName}] {levelname}
   * {message}', or with style '%': '%(asctime)s %(levelname)-8s %(message)s'.
   */
  template?: string | undefined;
  /** The template's syntax: '{' (str.format, default) or '%' (printf, Python logging's default). Needs `template`. */
  style?: '{' | '%' | undefined;
  /**
   * How `asctime` is written: a strftime pattern (strftime.ts lists the directives), or 'iso'
   * for ISO 8601 with milliseconds and offset. Default: Python's `2003-07-08 16:49:45,896`.
   * Example: '%d/%m/%Y %H:%M:%S'.
   */
  datefmt?: string | undefined;
  /** `asctime` in UTC instead of the process's local time zone (`TZ`). Default false. */
  utc?: boolean | undefined;
  /**
   * The bindings and fields the template does not name: 'json' appends them to the first line
   * as one compact JSON object (as the JSON lines write values), 'none' leaves them out.
   * Errors are written on continuation lines either way. Default 'json'.
   */
  extras?: 'json' | 'none' | undefined;
  /** Written for a key the record does not have. Default '-'. Example: '' or 'n/a'. */
  missing?: string | undefined;
}

const KNOWN_KEYS = ['preset', 'template', 'style', 'datefmt', 'utc', 'extras', 'missing'] as const;

/**
 * Validates text format options once; `optionPath` prefixes every error message (for example
 * 'formatters.console', giving "formatters.console.template: unclosed '{' at index 8 in ...").
 * Errors are TypeErrors (RangeErrors for a width or precision too large) with
 * `code = 'ERR_RINGLOG_OPTION'`. The result is frozen and structured-cloneable.
 */
export function resolveTextFormat(options: unknown, optionPath: string): ResolvedTextFormat {
  const { preset, template, style, datefmt, utc, extras, missing } = checkRecord(options, optionPath, KNOWN_KEYS) ?? {};

  let layout: { template: string; style: '{' | '%' } = TEXT_PRESETS.default;
  if (preset !== undefined) {
    if (preset !== 'default' && preset !== 'basic') fail(TypeError, `${optionPath}.preset must be 'default' or 'basic'; received ${show(preset)}`);
    if (template !== undefined || style !== undefined) fail(TypeError, `${optionPath}.preset cannot be combined with template or style`);
    layout = TEXT_PRESETS[preset];
  }
  if (style !== undefined && style !== '{' && style !== '%') fail(TypeError, `${optionPath}.style must be '{' or '%'; received ${show(style)}`);
  if (template !== undefined) {
    if (typeof template !== 'string') fail(TypeError, `${optionPath}.template must be a string; received ${show(template)}`);
    layout = { template, style: style ?? '{' };
  } else if (style !== undefined) {
    fail(TypeError, `${optionPath}.style is given without ${optionPath}.template; give both, or a preset`);
  }
  checkTemplate(layout.template, layout.style, optionPath);

  if (datefmt !== undefined) {
    if (typeof datefmt !== 'string') fail(TypeError, `${optionPath}.datefmt must be a strftime pattern string or 'iso'; received ${show(datefmt)}`);
    checkPrintable(datefmt, `${optionPath}.datefmt`);
    const problem = dateFormatProblem(datefmt);
    if (problem !== undefined) fail(TypeError, `${optionPath}.datefmt: ${problem.message} in ${show(datefmt)}; ${problem.hint}`);
  }
  if (utc !== undefined && typeof utc !== 'boolean') fail(TypeError, `${optionPath}.utc must be a boolean; received ${show(utc)}`);
  if (extras !== undefined && extras !== 'json' && extras !== 'none') {
    fail(TypeError, `${optionPath}.extras must be 'json' or 'none'; received ${show(extras)}`);
  }
  if (missing !== undefined) {
    if (typeof missing !== 'string') fail(TypeError, `${optionPath}.missing must be a string; received ${show(missing)}`);
    checkPrintable(missing, `${optionPath}.missing`);
  }
  return Object.freeze({
    template: layout.template,
    style: layout.style,
    datefmt,
    utc: utc ?? false,
    extras: extras ?? 'json',
    missing: missing ?? '-',
  });
}

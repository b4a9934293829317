/**
 * The templates of text lines, in Python logging's two usual styles, parsed once into a list
 * of literal text and fields so that rendering a record is a walk over that list (no regex and
 * no parsing per record).
 *
 * `{` style (str.format, the default):
 *   `{name}` a field; `{name:spec}` with a format spec; `{name!r}` / `{name!s}` a conversion;
 *   `{{` and `}}` a literal brace.
 *   spec = [[fill]align][0][width][.precision][type]
 *     align      `<` left, `>` right, `^` centre (extra space on the right, as Python);
 *                without one, numbers go right and text left, as in Python
 *     fill       any one character before the align (`{levelname:.^9}`)
 *     0          zero-pad a number after its sign (`{msecs:03d}`); ignored for text; with an
 *                explicit align it is the fill instead, as in Python (`{x:<05}`)
 *     width      minimum width, at most 1024
 *     .precision digits after the point for `f` (default 6); for text, the maximum length
 *                (`{levelname:.1}` is `I`); not allowed with `d`
 *     type       `s` text, `d` integer (truncated), `f` / `F` fixed-point
 *   Rejected: `=` alignment, sign and `#` `,` `_` options, other types (e e g x o c % n b),
 *   nested fields in a spec (`{x:{w}}`), `!a`, an empty name `{}`, a name with surrounding spaces.
 *   A name is a record field or a key as written: `{a.b}` is the key 'a.b' (no attribute access),
 *   so a key holding `{ } : !` cannot be named.
 *
 * `%` style (printf, Python's `logging` default):
 *   `%(name)[flags][width][.precision]type`, `%%` a literal '%'.
 *     flags      `-` left-align (otherwise right, as printf), `0` zero-pad numbers
 *     width      minimum width, at most 1024
 *     .precision as for `{` style; not allowed with d i u
 *     type       `s` text, `r` JSON (Python's repr), `d` `i` `u` integer, `f` `F` fixed-point
 *   Rejected: flags `#` `+` and space, `*` widths, types e E g G x X o c a, a '%' that starts no
 *   field (`%s` without a name), an unclosed `%(`.
 *
 * `{name!r}` and `%(name)r` render the value as JSON, as ringlog's JSON lines write it.
 *
 * A template must hold at least one field (as Python checks): a template without fields would
 * write the same text for every record. When it holds fields of the other style only, the error
 * says which style to set.
 */
import { fail, show } from '../core/errors.js';
import { firstUnsafe } from './text-escape.js';

/** How a field's value is turned into text and padded. */
export interface FieldSpec {
  /** Padding character; ' ' unless given. */
  readonly fill: string;
  /** undefined: numbers right, text left (`{` style). `%` style always sets one. */
  readonly align: '<' | '>' | '^' | undefined;
  /** Pad numbers with zeros after the sign, up to `width`. */
  readonly zero: boolean;
  /** Minimum width in UTF-16 units; 0 for none. */
  readonly width: number;
  readonly precision: number | undefined;
  /** s text, d integer, f fixed-point, r JSON; undefined: as the value is (text or number). */
  readonly type: 's' | 'd' | 'f' | 'r' | undefined;
}

export interface TemplateField {
  readonly name: string;
  /** undefined: the value's text as is, the common case kept on the fast path. */
  readonly spec: FieldSpec | undefined;
}

/** Literal text (never empty), or a field. */
export type TemplatePart = string | TemplateField;

/** A template that cannot be parsed: `message` says what and where, for an option error. */
export class TemplateError extends Error {
  constructor(
    /** What is wrong and where: "unclosed '{' at index 8". */
    message: string,
    /** What to write instead, or what is supported; '' for none. */
    readonly hint = '',
    /** The problem is a number out of range (width, precision): a RangeError for the caller. */
    readonly outOfRange = false,
  ) {
    super(message);
  }
}

const WIDTH_MAX = 1024;
/** Number#toFixed's limit. */
const PRECISION_MAX = 100;

/** Parses a template; throws a {@link TemplateError}. */
export function parseTemplate(template: string, style: '{' | '%'): TemplatePart[] {
  const parts = style === '{' ? parseBraces(template) : parsePercent(template);
  if (!parts.some((part) => typeof part !== 'string')) {
    const other = style === '{' ? /%\([^)]*\)[-0#+ ]*\d*(?:\.\d*)?[a-zA-Z]/.exec(template) : /\{[^{}]+\}/.exec(template);
    const otherStyle = style === '{' ? '%' : '{';
    throw new TemplateError(
      'has no fields',
      other === null
        ? `write one such as ${style === '{' ? '{message}' : '%(message)s'}`
        : `it looks like a '${otherStyle}'-style template (${other[0]}): set style to '${otherStyle}'`,
    );
  }
  return parts;
}

function parseBraces(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i]!;
    if (char === '}') {
      if (template[i + 1] !== '}') throw new TemplateError(`single '}' at index ${i}`, "write '}}' for a literal '}'");
      text += '}';
      i += 2;
    } else if (char !== '{') {
      text += char;
      i++;
    } else if (template[i + 1] === '{') {
      text += '{';
      i += 2;
    } else {
      const close = template.indexOf('}', i + 1);
      const nested = template.indexOf('{', i + 1);
      if (nested !== -1 && (close === -1 || nested < close)) {
        const colon = template.indexOf(':', i + 1);
        if (colon !== -1 && colon < nested) throw new TemplateError(`nested field in the format spec at index ${nested} is not supported`);
      }
      if (close === -1 || (nested !== -1 && nested < close)) {
        throw new TemplateError(`unclosed '{' at index ${i}`, "write '{{' for a literal '{'");
      }
      if (text !== '') parts.push(text);
      text = '';
      parts.push(braceField(template.slice(i + 1, close), i));
      i = close + 1;
    }
  }
  if (text !== '') parts.push(text);
  return parts;
}

// [[fill]align][0][width][.precision][type]; 'u' so that the fill may be any code point.
const BRACE_SPEC = /^(?:(.)?([<>^]))?(0)?(\d+)?(?:\.(\d+))?([sdfF])?$/u;
const BRACE_SPEC_FORM = '[[fill]align][0][width][.precision][type] with align < > ^ and type s d f';

/** `body` is the text between the braces of the field at `at`. */
function braceField(body: string, at: number): TemplateField {
  const colon = body.indexOf(':');
  const head = colon === -1 ? body : body.slice(0, colon);
  const bang = head.indexOf('!');
  const name = bang === -1 ? head : head.slice(0, bang);
  checkName(name, at);
  let conversion: 's' | 'r' | undefined;
  if (bang !== -1) {
    const given = head.slice(bang + 1);
    if (given !== 's' && given !== 'r') throw new TemplateError(`unsupported conversion '!${given}' at index ${at}`, 'supported: !s, !r');
    conversion = given;
  }
  if (colon === -1) return { name, spec: conversion === 'r' ? JSON_SPEC : undefined };

  const specText = body.slice(colon + 1);
  const match = BRACE_SPEC.exec(specText);
  if (match === null) {
    throw new TemplateError(`unsupported format spec ':${specText}' for '${name}' at index ${at}`, `supported: ${BRACE_SPEC_FORM}`);
  }
  const [, fill, align, zero, width, precision, type] = match;
  let kind: FieldSpec['type'] = type === undefined ? undefined : type === 'F' ? 'f' : (type as 's' | 'd' | 'f');
  if (conversion !== undefined) {
    if (kind === 'd' || kind === 'f') {
      throw new TemplateError(`'!${conversion}' makes text, which type '${type}' cannot format, at index ${at}`);
    }
    kind = conversion;
  }
  return {
    name,
    spec: spec(at, {
      fill: fill ?? (zero !== undefined && align !== undefined ? '0' : ' '),
      align: align as FieldSpec['align'],
      zero: zero !== undefined && align === undefined,
      width,
      precision,
      type: kind,
    }),
  };
}

function parsePercent(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const percent = template.indexOf('%', i);
    if (percent === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, percent);
    const next = template[percent + 1];
    if (next === '%') {
      text += '%';
      i = percent + 2;
      continue;
    }
    if (next !== '(') {
      throw new TemplateError(`'%' at index ${percent} starts no field`, "write a field such as %(message)s, or '%%' for a '%'");
    }
    const close = template.indexOf(')', percent + 2);
    if (close === -1) throw new TemplateError(`unclosed '%(' at index ${percent}`);
    const name = template.slice(percent + 2, close);
    checkName(name, percent);
    const match = PERCENT_SPEC.exec(template.slice(close + 1));
    // The pattern matches at least the empty string.
    const [whole, flags = '', width, precision, type] = match!;
    const shown = `%(${name})${whole}`;
    const badFlag = /[#+ ]/.exec(flags);
    if (badFlag !== null) throw new TemplateError(`unsupported flag '${badFlag[0]}' in '${shown}' at index ${percent}`, 'supported flags: - 0');
    if (type === undefined) {
      const got = template[close + 1 + whole.length];
      if (got === undefined) throw new TemplateError(`'%(${name})' at index ${percent} has no conversion type`, `write %(${name})s`);
      throw new TemplateError(`unsupported conversion '${shown}${got}' at index ${percent}`, 'supported types: s r d i u f F');
    }
    if (text !== '') parts.push(text);
    text = '';
    const left = flags.includes('-');
    parts.push({
      name,
      spec: spec(percent, {
        fill: ' ',
        align: left ? '<' : '>',
        // printf: '-' overrides '0', and '0' pads numbers only.
        zero: !left && flags.includes('0'),
        width,
        // printf: a '.' without digits is precision 0.
        precision: precision === undefined ? undefined : precision === '' ? '0' : precision,
        type: type === 's' || type === 'r' ? type : type === 'f' || type === 'F' ? 'f' : 'd',
      }),
    });
    i = close + 1 + whole.length;
  }
  if (text !== '') parts.push(text);
  return parts;
}

// Flags, width, precision, type; the type is optional here so that its absence gets its own message.
const PERCENT_SPEC = /^([-0#+ ]*)(\d+)?(?:\.(\d*))?([srdiufF])?/;

const JSON_SPEC: FieldSpec = Object.freeze({ fill: ' ', align: undefined, zero: false, width: 0, precision: undefined, type: 'r' });

function checkName(name: string, at: number): void {
  if (name === '') throw new TemplateError(`empty field name at index ${at}`, 'name a field, such as message');
  if (name.trim() !== name) throw new TemplateError(`field name '${name}' at index ${at} has surrounding spaces`);
}

interface SpecText {
  fill: string;
  align: FieldSpec['align'];
  zero: boolean;
  width: string | undefined;
  precision: string | undefined;
  type: FieldSpec['type'];
}

/** Checks the numbers of a spec and freezes it. */
function spec(at: number, given: SpecText): FieldSpec {
  const width = given.width === undefined ? 0 : Number(given.width);
  if (width > WIDTH_MAX) throw new TemplateError(`width ${width} at index ${at} is larger than ${WIDTH_MAX}`, '', true);
  const precision = given.precision === undefined ? undefined : Number(given.precision);
  if (precision !== undefined) {
    if (given.type === 'd') throw new TemplateError(`precision is not allowed with an integer type, at index ${at}`);
    if (precision > PRECISION_MAX) throw new TemplateError(`precision ${precision} at index ${at} is larger than ${PRECISION_MAX}`, '', true);
  }
  return Object.freeze({ fill: given.fill, align: given.align, zero: given.zero, width, precision, type: given.type });
}

/**
 * A template given as an option: parsed, with its errors as option errors naming
 * `optionPath.template` (config/ checks it once; the consumer parses it again, knowing it holds).
 */
export function checkTemplate(template: string, style: '{' | '%', optionPath: string): TemplatePart[] {
  checkPrintable(template, `${optionPath}.template`);
  try {
    return parseTemplate(template, style);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const hint = error.hint === '' ? '' : `; ${error.hint}`;
    return fail(error.outOfRange ? RangeError : TypeError, `${optionPath}.template: ${error.message} in ${show(template)}${hint}`);
  }
}

/** Rejects text the template puts on every first line if it could break or indent that line. */
export function checkPrintable(text: string, option: string): void {
  const unsafe = firstUnsafe(text);
  if (unsafe !== undefined) {
    const code = unsafe.codePoint.toString(16).toUpperCase().padStart(4, '0');
    fail(
      TypeError,
      `${option} must not contain control characters or line breaks (a record's first line is one line, and only continuation lines start with a tab); found U+${code} at index ${unsafe.index} in ${show(text)}`,
    );
  }
}

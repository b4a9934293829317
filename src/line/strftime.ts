/**
 * The `asctime` of text lines: a record's time (ms since the epoch) rendered by a Python
 * `datefmt` pattern, in local time or UTC. Runs in the thread that renders the line (the
 * consumer, or a producer writing text lines into line lanes); every thread of a process has
 * the process's time zone (`TZ`).
 *
 * Three kinds of pattern:
 * - none (undefined): Python logging's default asctime, `2003-07-08 16:49:45,896`
 *   (`%Y-%m-%d %H:%M:%S` then a comma and the milliseconds);
 * - `'iso'`: ISO 8601 with milliseconds and the offset, `2003-07-08T16:49:45.896+02:00`, or with
 *   `Z` in UTC;
 * - a strftime pattern made of text and these directives (C locale: English names):
 *
 *   %Y year, 4 digits     %m month 01-12        %d day 01-31        %e day, space-padded
 *   %y year, 2 digits     %H hour 00-23         %I hour 01-12       %p AM or PM
 *   %M minute 00-59       %S second 00-59       %f microseconds, 6 digits (ms * 1000)
 *   %j day of year 001-366                      %a Mon  %A Monday   %b Jan  %B January
 *   %w weekday 0-6, Sunday 0                    %u weekday 1-7, Monday 1
 *   %z offset +HHMM       %Z zone name (UTC in UTC; otherwise as Intl names it, e.g. CET or GMT+1)
 *   %F = %Y-%m-%d         %T = %H:%M:%S         %% a '%'
 *
 * Everything else after a '%' is rejected when the options are resolved, not written as is:
 * locale forms (%c %x %X) would depend on the machine, week numbers (%U %W %V %G) are rarely
 * what a log wants, and a typo should not reach production as literal text.
 *
 * The pattern is parsed once into parts. Records come in bursts within the same millisecond,
 * so the last rendering is kept and reused for the same time.
 */

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MS_PER_DAY = 86_400_000;

/** The letters a directive may use (%F and %T are expanded when parsing, %% is a '%'). */
const DIRECTIVES = new Set('YymdeHIpMSfjaAbBwuzZ');
const SUPPORTED = `%${[...DIRECTIVES, 'F', 'T', '%'].join(' %')}`;

/** Parts of a parsed pattern: literal text, or a directive letter as its char code. */
type Part = string | number;

/** Not letters a user can write: the milliseconds and the `+02:00` offset of the built-in forms. */
const MILLIS = 0;
const ISO_OFFSET = 1;

const DEFAULT_PARTS: readonly Part[] = [...expand('%Y-%m-%d %H:%M:%S'), ',', MILLIS];
const ISO_PARTS: readonly Part[] = [...expand('%Y-%m-%dT%H:%M:%S'), '.', MILLIS, ISO_OFFSET];

export interface DateFormatProblem {
  /** What and where, for an option error: "unsupported directive '%c' at index 3". */
  readonly message: string;
  /** What to write instead. */
  readonly hint: string;
}

/** What is wrong with a strftime pattern, or undefined when it is valid. `'iso'` is valid. */
export function dateFormatProblem(datefmt: string): DateFormatProblem | undefined {
  const parsed = parse(datefmt);
  return Array.isArray(parsed) ? undefined : (parsed as DateFormatProblem);
}

/**
 * A function from ms since the epoch to text, for a pattern that {@link dateFormatProblem}
 * accepts (throws otherwise). `utc` false renders local time.
 */
export function createDateFormatter(datefmt: string | undefined, utc: boolean): (ms: number) => string {
  const parts = datefmt === undefined ? DEFAULT_PARTS : datefmt === 'iso' ? ISO_PARTS : parse(datefmt);
  if (!Array.isArray(parts)) throw new TypeError(`ringlog: invalid date format: ${(parts as DateFormatProblem).message}`);
  let lastMs = Number.NaN;
  let lastText = '';
  return function formatDate(ms: number): string {
    if (ms !== lastMs) {
      lastText = render(parts, ms, utc);
      lastMs = ms;
    }
    return lastText;
  };
}

function parse(datefmt: string): readonly Part[] | DateFormatProblem {
  if (datefmt === 'iso') return ISO_PARTS;
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < datefmt.length; i++) {
    const char = datefmt[i]!;
    if (char !== '%') {
      text += char;
      continue;
    }
    const letter = datefmt[i + 1];
    if (letter === undefined) return { message: `a lone '%' at index ${i}`, hint: "write '%%' for a '%'" };
    i++;
    if (letter === '%') {
      text += '%';
      continue;
    }
    if (letter === 'F' || letter === 'T') {
      if (text !== '') parts.push(text);
      text = '';
      parts.push(...expand(letter === 'F' ? '%Y-%m-%d' : '%H:%M:%S'));
      continue;
    }
    if (!DIRECTIVES.has(letter)) return { message: `unsupported directive '%${letter}' at index ${i - 1}`, hint: `supported: ${SUPPORTED}` };
    if (text !== '') parts.push(text);
    text = '';
    parts.push(letter.charCodeAt(0));
  }
  if (text !== '') parts.push(text);
  return parts;
}

/** Parts for a pattern known to hold only simple directives separated by single characters. */
function expand(pattern: string): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < pattern.length; i++) {
    parts.push(pattern[i] === '%' ? pattern.charCodeAt(++i) : pattern[i]!);
  }
  return parts;
}

function render(parts: readonly Part[], ms: number, utc: boolean): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(ms); // a corrupt time stays visible as a number
  const year = utc ? date.getUTCFullYear() : date.getFullYear();
  const month = utc ? date.getUTCMonth() : date.getMonth();
  const day = utc ? date.getUTCDate() : date.getDate();
  const hours = utc ? date.getUTCHours() : date.getHours();
  const weekday = utc ? date.getUTCDay() : date.getDay();
  // getTimezoneOffset is minutes *behind* UTC (-60 for UTC+1); offsets are written ahead.
  const offset = utc ? 0 : -date.getTimezoneOffset();
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part) {
      case MILLIS:
        out += pad3(utc ? date.getUTCMilliseconds() : date.getMilliseconds());
        break;
      case ISO_OFFSET:
        out += utc ? 'Z' : offsetText(offset, ':');
        break;
      case 89: // Y
        out += year < 0 ? `-${padStart(-year, 4, '0')}` : padStart(year, 4, '0');
        break;
      case 121: // y
        out += pad2(((year % 100) + 100) % 100);
        break;
      case 109: // m
        out += pad2(month + 1);
        break;
      case 100: // d
        out += pad2(day);
        break;
      case 101: // e
        out += padStart(day, 2, ' ');
        break;
      case 72: // H
        out += pad2(hours);
        break;
      case 73: // I
        out += pad2(hours % 12 === 0 ? 12 : hours % 12);
        break;
      case 112: // p
        out += hours < 12 ? 'AM' : 'PM';
        break;
      case 77: // M
        out += pad2(utc ? date.getUTCMinutes() : date.getMinutes());
        break;
      case 83: // S
        out += pad2(utc ? date.getUTCSeconds() : date.getSeconds());
        break;
      case 102: // f: the record has milliseconds, Python's %f is microseconds
        out += `${pad3(utc ? date.getUTCMilliseconds() : date.getMilliseconds())}000`;
        break;
      case 106: // j: days since 1 January of the same calendar year, counted in UTC so DST cannot skew it
        out += padStart((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / MS_PER_DAY + 1, 3, '0');
        break;
      case 97: // a
        out += DAY_NAMES[weekday]!.slice(0, 3);
        break;
      case 65: // A
        out += DAY_NAMES[weekday]!;
        break;
      case 98: // b
        out += MONTH_NAMES[month]!.slice(0, 3);
        break;
      case 66: // B
        out += MONTH_NAMES[month]!;
        break;
      case 119: // w
        out += String(weekday);
        break;
      case 117: // u
        out += String(weekday === 0 ? 7 : weekday);
        break;
      case 122: // z
        out += offsetText(offset, '');
        break;
      case 90: // Z
        out += utc ? 'UTC' : zoneName(date, offset);
        break;
    }
  }
  return out;
}

/** `+0200` or `+02:00` for 120 minutes ahead of UTC. */
function offsetText(minutes: number, separator: string): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${separator}${pad2(abs % 60)}`;
}

// Asking Intl costs microseconds; a process meets one or two offsets (summer and winter time).
const zoneNames = new Map<number, string>();

function zoneName(date: Date, offset: number): string {
  let name = zoneNames.get(offset);
  if (name === undefined) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date);
    name = parts.find((part) => part.type === 'timeZoneName')?.value ?? offsetText(offset, '');
    zoneNames.set(offset, name);
  }
  return name;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function padStart(n: number, width: number, fill: string): string {
  return String(n).padStart(width, fill);
}

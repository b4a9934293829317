/**
 * Names of rotated files: building them from a date pattern, and finding the rotated files
 * already in the directory (plain or gzipped) so that retention can choose among them.
 *
 * The live file keeps its name (`app.log`), so `tail -F app.log` and log shippers follow it;
 * only rotated files carry a date. Two namings:
 *
 * - numbered (no pattern): `app.log.1` newest ... `app.log.N` oldest, as numbered.ts shifts them.
 * - a date pattern: a file name in the live file's directory, with strftime-like tokens
 *     %Y year (4 digits)   %m month 01-12   %d day 01-31
 *     %H hour 00-23        %M minute 00-59  %S second 00-59      %% a literal %
 *   The tokens used must be %Y and every field coarser than the finest one used (%Y-%m-%d_%H
 *   is fine, %d-%H is not), each at most once, so that a name gives back its period and names
 *   sort by age. Examples for a file of the period starting 2026-11-21 13:00:
 *     'app.log.%Y-%m-%d'      -> app.log.2026-11-21        (Python's suffix style)
 *     'app.%Y-%m-%d.log'      -> app.2026-11-21.log        (keeps the extension for editors)
 *     'app-%Y-%m-%d_%H.log'   -> app-2026-11-21_13.log
 *
 * The date is the start of the period the file covers (schedule.ts `periodStart`), on the wall
 * clock the schedule uses, as in Python. When a period is rotated more than once (size rotation
 * within a day, or a pattern coarser than the interval), later files get a sequence number `.N`
 * right after the last token's text: app.2026-11-21.log, then app.2026-11-21.1.log,
 * app.2026-11-21.2.log. A larger number is a newer file; no file is ever renamed after rotation.
 *
 * A gzipped file is the same name plus `.gz`. While the compressor works, `<name>.gz.tmp`
 * exists too; it is not a rotated file and is never listed.
 */
import { basename, dirname, join } from 'node:path';
import { GZ_SUFFIX } from '../../compress/compress-file.js';
import { fail, show } from '../../core/errors.js';
import type { Interval } from './schedule.js';

const DAY_MS = 86_400_000;

/** What a rotated file's name says about it. */
export interface ParsedName {
  /**
   * Order of the period: for a date pattern, the period's start as wall-clock ms (read with
   * getUTC*); for a numbered name, minus its index (app.log.1 is newer than app.log.2).
   */
  readonly period: number;
  /** 0 for the first file of a period, N for the `.N` that followed; always 0 when numbered. */
  readonly sequence: number;
  /** The name ends with `.gz`. */
  readonly compressed: boolean;
}

export interface NamePattern {
  /** The pattern as given. */
  readonly source: string;
  /** The smallest span the pattern tells apart, in ms (1000 with %S ... 31 days with %m as finest). */
  readonly resolutionMs: number;
  /** The name of the file of the period starting at `periodStart` (wall-clock ms), `sequence` >= 0. */
  format(periodStart: number, sequence: number): string;
  /** What a directory entry's name means, or undefined when the pattern did not make it. */
  parse(name: string): ParsedName | undefined;
}

type Field = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S';

/** Fields from coarsest to finest, with the most a step of each can span. */
const FIELDS: readonly { field: Field; ms: number }[] = [
  { field: 'Y', ms: 366 * DAY_MS },
  { field: 'm', ms: 31 * DAY_MS },
  { field: 'd', ms: DAY_MS },
  { field: 'H', ms: 3_600_000 },
  { field: 'M', ms: 60_000 },
  { field: 'S', ms: 1000 },
];

type Part = { readonly text: string } | { readonly field: Field };

const SEQUENCE = String.raw`(?:\.([1-9]\d{0,8}))?`;
const GZ = String.raw`(\.gz)?`;

/**
 * Checks a date pattern once; `optionPath` names it in errors. TypeErrors with code
 * ERR_RINGLOG_OPTION, as in options.ts.
 */
export function compileNamePattern(pattern: unknown, optionPath: string): NamePattern {
  const expected = `${optionPath} must be a file name with date tokens such as 'app.%Y-%m-%d.log' (tokens %Y %m %d %H %M %S %%)`;
  if (typeof pattern !== 'string' || pattern.length === 0) fail(TypeError, `${expected}; received ${show(pattern)}`);
  if (/[/\\\0]/.test(pattern)) {
    fail(TypeError, `${expected}, without a directory (rotated files stay next to the live file); received ${show(pattern)}`);
  }
  const parts: Part[] = [];
  const used = new Set<Field>();
  let text = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char !== '%') {
      text += char;
      continue;
    }
    const token = pattern[++i];
    if (token === '%') {
      text += '%';
      continue;
    }
    if (token === undefined || !FIELDS.some(({ field }) => field === token)) {
      fail(TypeError, `${expected}; received ${show(pattern)}, whose ${show(`%${token ?? ''}`)} is not a token`);
    }
    const field = token as Field;
    if (used.has(field)) fail(TypeError, `${expected}, each token at most once; received ${show(pattern)}`);
    used.add(field);
    if (text.length > 0) parts.push({ text });
    text = '';
    parts.push({ field });
  }
  if (text.length > 0) parts.push({ text });

  const finest = FIELDS.reduce((last, { field }, index) => (used.has(field) ? index : last), -1);
  if (finest < 0 || FIELDS.slice(0, finest + 1).some(({ field }) => !used.has(field))) {
    fail(
      TypeError,
      `${expected}, using %Y and every field coarser than the finest one used (%Y-%m-%d, not %m-%d), ` +
        `so that names sort by age; received ${show(pattern)}`,
    );
  }
  return new CompiledPattern(pattern, parts, (FIELDS[finest] as { ms: number }).ms);
}

class CompiledPattern implements NamePattern {
  readonly source: string;
  readonly resolutionMs: number;
  readonly #parts: readonly Part[];
  /** Index in #parts after which the sequence number goes. */
  readonly #sequenceAfter: number;
  readonly #regex: RegExp;
  readonly #groups: readonly Field[];

  constructor(source: string, parts: readonly Part[], resolutionMs: number) {
    this.source = source;
    this.resolutionMs = resolutionMs;
    this.#parts = parts;
    this.#sequenceAfter = parts.reduce((last, part, index) => ('field' in part ? index : last), -1);
    const groups: Field[] = [];
    let regex = '^';
    parts.forEach((part, index) => {
      if ('field' in part) {
        groups.push(part.field);
        regex += part.field === 'Y' ? String.raw`(\d{4})` : String.raw`(\d{2})`;
      } else {
        regex += escapeRegex(part.text);
      }
      if (index === this.#sequenceAfter) regex += SEQUENCE;
    });
    this.#regex = new RegExp(`${regex}${GZ}$`);
    this.#groups = groups;
  }

  format(periodStart: number, sequence: number): string {
    const date = new Date(periodStart);
    let name = '';
    this.#parts.forEach((part, index) => {
      name += 'field' in part ? fieldText(date, part.field) : part.text;
      if (index === this.#sequenceAfter && sequence > 0) name += `.${sequence}`;
    });
    return name;
  }

  parse(name: string): ParsedName | undefined {
    const match = this.#regex.exec(name);
    if (match === null) return undefined;
    const values: Record<Field, number> = { Y: 0, m: 1, d: 1, H: 0, M: 0, S: 0 };
    this.#groups.forEach((field, index) => {
      values[field] = Number(match[index + 1]);
    });
    const period = Date.UTC(values.Y, values.m - 1, values.d, values.H, values.M, values.S);
    // Date.UTC carries overflows (13th month, 30 February, 24:00); a real name never has them.
    const date = new Date(period);
    if (this.#groups.some((field, index) => fieldText(date, field) !== match[index + 1])) return undefined;
    const sequence = match[this.#groups.length + 1];
    return {
      period,
      sequence: sequence === undefined ? 0 : Number(sequence),
      compressed: match[this.#groups.length + 2] !== undefined,
    };
  }
}

function fieldText(date: Date, field: Field): string {
  switch (field) {
    case 'Y':
      return String(date.getUTCFullYear()).padStart(4, '0');
    case 'm':
      return pad2(date.getUTCMonth() + 1);
    case 'd':
      return pad2(date.getUTCDate());
    case 'H':
      return pad2(date.getUTCHours());
    case 'M':
      return pad2(date.getUTCMinutes());
    case 'S':
      return pad2(date.getUTCSeconds());
  }
}

/**
 * Python's names for an interval: `<live name>.<suffix>`, the suffix as fine as the interval
 * (%Y-%m-%d for days, then _%H, -%M, -%S), so that every period gets its own name.
 */
export function defaultNamePattern(liveName: string, interval: Interval): string {
  const escaped = liveName.replaceAll('%', '%%');
  const ms = interval.unit === 'day' ? DAY_MS : interval.length;
  const suffix =
    ms % DAY_MS === 0
      ? '%Y-%m-%d'
      : ms % 3_600_000 === 0
        ? '%Y-%m-%d_%H'
        : ms % 60_000 === 0
          ? '%Y-%m-%d_%H-%M'
          : '%Y-%m-%d_%H-%M-%S';
  return `${escaped}.${suffix}`;
}

/**
 * Whether every period of `interval` gets a name of its own under `pattern`; when not, the
 * periods that share a name are told apart by sequence numbers (which still sort by age).
 */
export function patternResolves(pattern: NamePattern, interval: Interval): boolean {
  const ms = interval.unit === 'day' ? interval.length * DAY_MS : interval.length;
  return ms >= pattern.resolutionMs;
}

/** `app.log.N` and `app.log.N.gz`, N >= 1 without leading zeros: what numbered.ts makes. */
export function parseNumberedName(liveName: string, name: string): ParsedName | undefined {
  if (!name.startsWith(`${liveName}.`)) return undefined;
  const match = /^([1-9]\d{0,8})(\.gz)?$/.exec(name.slice(liveName.length + 1));
  if (match === null) return undefined;
  return { period: -Number(match[1]), sequence: 0, compressed: match[2] !== undefined };
}

/** One rotated file: its plain name, its .gz name, or both (a compression that was finishing). */
export interface RotatedFile {
  /** Paths in the live file's directory; deleting the file means deleting all of them. */
  readonly paths: readonly string[];
  /** Bytes on disk, all paths together. */
  readonly bytes: number;
  readonly period: number;
  readonly sequence: number;
  /** A complete .gz exists (the compressor renames it into place only when it is whole). */
  readonly compressed: boolean;
}

/** The part of node:fs that listing uses. */
export interface DirPort {
  readdirSync(path: string): string[];
  statSync(path: string): { size: number; isFile(): boolean };
}

/**
 * The rotated files next to `livePath`, oldest first (by period, then sequence). With a
 * pattern, only names it makes are listed; without one, numbered names. Entries that vanish
 * while listing are skipped, not errors; a plain file that the compressor replaced meanwhile
 * is listed by its .gz.
 */
export function listRotatedFiles(livePath: string, pattern: NamePattern | undefined, fs: DirPort): RotatedFile[] {
  const dir = dirname(livePath);
  const liveName = basename(livePath);
  const byKey = new Map<string, { paths: string[]; bytes: number; period: number; sequence: number; compressed: boolean }>();
  const names = fs.readdirSync(dir);
  const listed = new Set(names);
  for (const name of names) {
    if (name === liveName) continue;
    let parsed = pattern === undefined ? parseNumberedName(liveName, name) : pattern.parse(name);
    if (parsed === undefined) continue;
    let path = join(dir, name);
    let stat: { size: number; isFile(): boolean };
    try {
      stat = fs.statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // A plain file gone since readdir was most likely just compressed: its .gz, renamed into
      // place before the plain file went, was not there yet when readdir ran. Missing it would
      // hide the newest sequence number of its period, and a rotation would take that name again.
      if (parsed.compressed || listed.has(name + GZ_SUFFIX)) continue;
      path += GZ_SUFFIX;
      parsed = { ...parsed, compressed: true };
      try {
        stat = fs.statSync(path);
      } catch (gzError) {
        if ((gzError as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw gzError;
      }
    }
    if (!stat.isFile()) continue;
    const key = `${parsed.period}/${parsed.sequence}`;
    const entry = byKey.get(key);
    if (entry === undefined) {
      byKey.set(key, { paths: [path], bytes: stat.size, period: parsed.period, sequence: parsed.sequence, compressed: parsed.compressed });
    } else {
      entry.paths.push(path);
      entry.bytes += stat.size;
      entry.compressed ||= parsed.compressed;
    }
  }
  return [...byKey.values()]
    .sort((a, b) => a.period - b.period || a.sequence - b.sequence)
    .map((entry) => Object.freeze({ ...entry, paths: Object.freeze(entry.paths.sort()) }));
}

/**
 * The path for rotating the live file of the period starting at `periodStart`: the period's
 * name, with the next sequence number after every file of that period in `files` (from
 * listRotatedFiles), so that neither the name nor its .gz exists and the new file sorts as the
 * newest of its period. Sequence numbers continue after the largest one found rather than fill
 * gaps: retention deletes the oldest, and a reused small number would sort as old.
 */
export function nextRotatedPath(livePath: string, pattern: NamePattern, periodStart: number, files: readonly RotatedFile[]): string {
  let sequence = 0;
  for (const file of files) {
    if (file.period === periodStart && file.sequence >= sequence) sequence = file.sequence + 1;
  }
  return join(dirname(livePath), pattern.format(periodStart, sequence));
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}


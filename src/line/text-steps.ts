/**
 * A text template (text-template.ts) compiled once into the steps that text-bytes.ts writes a
 * line with, each writing bytes:
 * - S_BYTES, S_LEVELS: literal text, joined with the fields that depend only on the level
 *   (levelname, level, levelno, their padding) and those that never change (process, pid,
 *   hostname): one copy per level, made here;
 * - S_ASCTIME: the datefmt's text per second (text-asctime.ts);
 * - S_NAME: the logger name ('root' without one), rendered once per logger context;
 * - S_MESSAGE, and S_KEY for a key the template names: a string escaped and padded from the
 *   record's UTF-8 when the spec allows (`simple`), else through the formatter's rules
 *   (text-values.ts) on the JavaScript value, as are S_THREAD (kept for the last thread id)
 *   and S_NUMBER (created, msecs, time).
 * With them, the bound on a line's bytes, and how many steps make a line's start (those whose
 * bytes depend on the context, level, second and thread alone: text-line-start.ts).
 */
import type { JsonFormatContext } from './json-format.js';
import { createDateFormatter } from './strftime.js';
import { Asctime } from './text-asctime.js';
import { escapeText } from './text-escape.js';
import type { ResolvedTextFormat } from './text-format.js';
import { parseTemplate, type FieldSpec } from './text-template.js';
import {
  ASCTIME, formatField, headerValue, HOSTNAME, KEY, LEVEL, LEVELNAME, LEVELNO, MESSAGE, NAME, pad, PROCESS, ROOT_NAME, SOURCES, THREAD, THREAD_NAME,
} from './text-values.js';

// Step kinds.
export const S_BYTES = 0;
export const S_LEVELS = 1;
export const S_ASCTIME = 2;
export const S_NAME = 3;
export const S_MESSAGE = 4;
export const S_THREAD = 5;
export const S_NUMBER = 6;
export const S_KEY = 7;
/** Steps whose bytes depend on the context, level, second and thread alone: a line's start. */
const STARTS: ReadonlySet<number> = new Set([S_BYTES, S_LEVELS, S_ASCTIME, S_NAME, S_THREAD]);

/** A field written from a number (created, time, a key's number under `d` or `f`) takes at most this, before padding. */
const NUMBER_MAX_BYTES = 512;

const EMPTY = new Uint8Array(0);
const SPACE = Uint8Array.of(0x20);

/** One step of a compiled template; one class, so that the loop over steps stays monomorphic. */
export class Step {
  /** S_BYTES: the bytes; S_THREAD: the last thread's; S_KEY: the `missing` text, padded. */
  bytes: Uint8Array = EMPTY;
  /** S_LEVELS: the bytes for each level 0-255. */
  levels: readonly Uint8Array[] = [];
  /** The field's source (KEY, ASCTIME, ...) and spec. */
  source = KEY;
  spec: FieldSpec | undefined = undefined;
  /** The spec is written from escaped bytes and padding alone (no precision, not `r`). */
  simple = true;
  width = 0;
  /** 0 left, 1 right, 2 centre. */
  align = 0;
  fill: Uint8Array = SPACE;
  /** S_NAME: which of the context's name renderings. */
  slot = 0;
  /** S_KEY: the key as UTF-8, and whether a record key can equal it at all (lone surrogates: never). */
  key: Uint8Array = EMPTY;
  findable = true;
  /** S_THREAD: the thread id `bytes` is for. */
  thread = -1;
  /** S_ASCTIME: its texts per second. */
  asctime: Asctime | undefined = undefined;
  /** The most bytes this step writes, beyond EXPANSION per record byte. */
  maxBytes = 0;
  constructor(readonly kind: number) {}

  /**
   * Pads the field `out[from .. to)` to the step's width in UTF-16 units, as text-format.ts's
   * pad(); returns where the field ends then.
   */
  pad(out: Uint8Array, from: number, to: number): number {
    let units = 0;
    for (let i = from; i < to; i++) {
      const byte = out[i]!;
      if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
    }
    const room = this.width - units;
    if (room <= 0) return to;
    const left = this.align === 0 ? 0 : this.align === 1 ? room : room >> 1;
    const fill = this.fill;
    const fillBytes = fill.length;
    if (left > 0) {
      out.copyWithin(from + left * fillBytes, from, to);
      let at = from;
      for (let i = 0; i < left; i++) for (let j = 0; j < fillBytes; j++) out[at++] = fill[j]!;
    }
    let at = to + left * fillBytes;
    for (let i = left; i < room; i++) for (let j = 0; j < fillBytes; j++) out[at++] = fill[j]!;
    return at;
  }
}

export interface CompiledTemplate {
  readonly steps: readonly Step[];
  /** The template's keys as UTF-8 (well-formed ones only): left out of the extras. */
  readonly usedKeys: readonly Uint8Array[];
  /** The S_NAME steps, by slot, and root's rendering for each. */
  readonly nameSlots: readonly Step[];
  readonly rootNames: readonly Uint8Array[];
  /** The most bytes the steps and the line's punctuation take, beyond EXPANSION per record byte written. */
  readonly fixedBytes: number;
  /** How many times the record's data may be written (fields naming it, and the extras). */
  readonly dataFactor: number;
  /** How many steps make a line's start, and whether it depends on the second or the thread. */
  readonly startSteps: number;
  readonly startSecond: boolean;
  readonly startThread: boolean;
  readonly hasAsctime: boolean;
}

/** Compiles the template of `options` (already validated by resolveTextFormat). */
export function compileSteps(options: ResolvedTextFormat, context: JsonFormatContext): CompiledTemplate {
  const formatDate = createDateFormatter(options.datefmt, options.utc);
  const parts = parseTemplate(options.template, options.style);
  const steps: Step[] = [];
  const usedKeys: Uint8Array[] = [];
  const nameSlots: Step[] = [];
  /** Text and per-level pieces not yet made a step: one function of the level each. */
  let pending: ((level: number) => string)[] = [];
  let pendingLevels = false;
  let dataFactor = options.extras === 'json' ? 1 : 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    const pieces = pending;
    const join = (level: number): Uint8Array => Buffer.from(pieces.map((piece) => piece(level)).join(''), 'utf8');
    let step: Step;
    if (pendingLevels) {
      step = new Step(S_LEVELS);
      step.levels = Array.from({ length: 256 }, (_, level) => join(level));
      step.maxBytes = Math.max(...step.levels.map((bytes) => bytes.length));
    } else {
      step = new Step(S_BYTES);
      step.bytes = join(0);
      step.maxBytes = step.bytes.length;
    }
    steps.push(step);
    pending = [];
    pendingLevels = false;
  };
  const hostname = escapeText(context.hostname);
  for (const part of parts) {
    if (typeof part === 'string') {
      pending.push(() => part);
      continue;
    }
    const source = SOURCES.get(part.name) ?? KEY;
    const spec = part.spec;
    switch (source) {
      case LEVELNAME:
      case LEVEL:
      case LEVELNO:
        pending.push((level) => formatField(headerValue(source, level, 0, 0), spec));
        pendingLevels = true;
        continue;
      case PROCESS: {
        const text = formatField(context.pid, spec);
        pending.push(() => text);
        continue;
      }
      case HOSTNAME: {
        const text = formatField(hostname, spec);
        pending.push(() => text);
        continue;
      }
    }
    flush();
    const kind =
      source === ASCTIME ? S_ASCTIME
      : source === NAME ? S_NAME
      : source === MESSAGE ? S_MESSAGE
      : source === THREAD || source === THREAD_NAME ? S_THREAD
      : source === KEY ? S_KEY
      : S_NUMBER;
    const step = new Step(kind);
    step.source = source;
    step.spec = spec;
    if (spec !== undefined) {
      step.simple = spec.type !== 'r' && (spec.precision === undefined || spec.type === 'f');
      step.width = spec.width;
      step.align = spec.align === '>' ? 1 : spec.align === '^' ? 2 : 0;
      step.fill = Buffer.from(spec.fill, 'utf8');
    }
    const padding = 4 * step.width;
    switch (kind) {
      case S_ASCTIME: {
        // Generous for any pattern: every pattern character 8 characters of 3 bytes.
        const datefmt = options.datefmt ?? '%Y-%m-%d %H:%M:%S,000';
        step.maxBytes = 64 + 24 * datefmt.length + padding;
        step.asctime = new Asctime(formatDate, spec, step.maxBytes);
        break;
      }
      case S_NAME:
        step.slot = nameSlots.length;
        nameSlots.push(step);
        step.maxBytes = 16 + padding;
        dataFactor++;
        break;
      case S_MESSAGE:
        step.maxBytes = 16 + padding;
        dataFactor++;
        break;
      case S_KEY: {
        step.findable = part.name.isWellFormed();
        step.key = Buffer.from(part.name, 'utf8');
        if (step.findable) usedKeys.push(step.key);
        step.bytes = Buffer.from(spec === undefined ? options.missing : pad(options.missing, spec, false), 'utf8');
        step.maxBytes = NUMBER_MAX_BYTES + 16 + step.bytes.length + padding;
        dataFactor++;
        break;
      }
      default:
        step.maxBytes = NUMBER_MAX_BYTES + padding;
    }
    steps.push(step);
  }
  flush();
  let startSteps = 0;
  while (startSteps < steps.length && STARTS.has(steps[startSteps]!.kind)) startSteps++;
  return {
    steps,
    usedKeys,
    nameSlots,
    rootNames: nameSlots.map((step) => Buffer.from(formatField(ROOT_NAME, step.spec), 'utf8')),
    // The steps, ` {`, `}` and `\n`.
    fixedBytes: steps.reduce((sum, step) => sum + step.maxBytes, 0) + 8,
    dataFactor: Math.max(1, dataFactor),
    startSteps,
    startSecond: steps.slice(0, startSteps).some((step) => step.kind === S_ASCTIME),
    startThread: steps.slice(0, startSteps).some((step) => step.kind === S_THREAD),
    hasAsctime: steps.some((step) => step.kind === S_ASCTIME),
  };
}

/**
 * What a text line writes for a template's field (the rules text-format.ts documents): where the
 * field's value comes from, the values taken from the record's header (level names, times,
 * thread names), and a value's text under a format spec (conversion, precision, padding,
 * escaping). The general formatter (text-format.ts) and the byte renderer (text-bytes.ts) both
 * write their fields through these functions, which is what keeps their lines the same.
 */
import { LEVELS, LEVEL_NAMES, type LevelName } from '../core/levels.js';
import { ErrorValue, type Value } from '../record/log-record.js';
import { appendJsonValue } from './json-values.js';
import { escapeText, jsonSafe } from './text-escape.js';
import type { FieldSpec } from './text-template.js';

// Where a field's value comes from. KEY: the record's bindings and fields.
export const KEY = 0;
export const ASCTIME = 1;
export const CREATED = 2;
export const MSECS = 3;
export const TIME = 4;
export const LEVELNAME = 5;
export const LEVEL = 6;
export const LEVELNO = 7;
export const NAME = 8;
export const THREAD = 9;
export const THREAD_NAME = 10;
export const PROCESS = 11;
export const HOSTNAME = 12;
export const MESSAGE = 13;

/** The source of each field name that is not a key. */
export const SOURCES: ReadonlyMap<string, number> = new Map([
  ['asctime', ASCTIME], ['created', CREATED], ['msecs', MSECS], ['time', TIME],
  ['levelname', LEVELNAME], ['level', LEVEL], ['levelno', LEVELNO], ['name', NAME],
  ['thread', THREAD], ['threadName', THREAD_NAME], ['process', PROCESS], ['pid', PROCESS],
  ['hostname', HOSTNAME], ['message', MESSAGE], ['msg', MESSAGE],
]);

/** The name of a record without one, as Python prints the root logger's. */
export const ROOT_NAME = 'root';

const PYTHON_NAMES: Readonly<Record<LevelName, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};
const LEVEL_NAME_OF = new Map<number, string>(LEVEL_NAMES.map((name) => [LEVELS[name], PYTHON_NAMES[name]]));
const LEVEL_LABEL_OF = new Map<number, string>(LEVEL_NAMES.map((name) => [LEVELS[name], name]));

/**
 * The value of a field taken from the record's header: CREATED, MSECS and TIME from its time,
 * LEVELNAME, LEVEL and LEVELNO from its level, THREAD and THREAD_NAME from its thread id.
 */
export function headerValue(source: number, level: number, time: number, threadId: number): Value {
  switch (source) {
    case CREATED:
      return time / 1000;
    case MSECS:
      return ((Math.floor(time) % 1000) + 1000) % 1000;
    case TIME:
      return time;
    case LEVELNAME:
      return LEVEL_NAME_OF.get(level) ?? `Level ${level}`;
    case LEVEL:
      return LEVEL_LABEL_OF.get(level) ?? String(level);
    case LEVELNO:
      return level;
    case THREAD:
      return threadId;
    default:
      // THREAD_NAME
      return threadId === 0 ? 'MainThread' : `Thread-${threadId}`;
  }
}

/** A field's text: `value` as text, escaped, under `spec` when the field has one. */
export function formatField(value: Value, spec: FieldSpec | undefined): string {
  return spec === undefined ? escapeText(plainText(value)) : formatValue(value, spec);
}

/** A value's text before escaping. */
function plainText(value: Value): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return '';
    default:
      if (value === null) return 'null';
      if (value instanceof ErrorValue) return headline(value);
      return appendJsonValue('', value);
  }
}

/** Applies a format spec: conversion, precision, then padding to the width. */
function formatValue(value: Value, spec: FieldSpec): string {
  const { type, precision } = spec;
  const isNumber = typeof value === 'number' || typeof value === 'bigint';
  if (isNumber && (type === 'd' || type === 'f' || type === undefined)) {
    let text: string;
    if (type === 'd') text = typeof value === 'bigint' ? value.toString() : integerText(value as number);
    else if (type === 'f') text = fixedText(Number(value), precision ?? 6);
    else text = precision === undefined ? String(value) : String(value).slice(0, precision);
    return pad(text, spec, true);
  }
  // Text: a non-number under d or f is written as text, not refused (a record must not fail).
  let text = type === 'r' ? jsonText(value) : plainText(value);
  if (precision !== undefined && type !== 'f') text = text.slice(0, precision);
  return pad(escapeText(text), spec, false);
}

function integerText(n: number): string {
  if (!Number.isFinite(n)) return nonFiniteText(n);
  const int = Math.trunc(n);
  // String(1e21) is '1e+21'; an integer conversion should print digits, as Python does.
  return Math.abs(int) < 1e21 ? String(int + 0) : BigInt(int).toString();
}

function fixedText(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : nonFiniteText(n);
}

/** Python's spelling, which is what a `%d`/`%f` user expects. */
function nonFiniteText(n: number): string {
  return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
}

/** Pads `text` to the spec's width in UTF-16 units; `numeric` aligns right and allows zero padding. */
export function pad(text: string, spec: FieldSpec, numeric: boolean): string {
  const room = spec.width - text.length;
  if (room <= 0) return text;
  if (numeric && spec.zero) {
    return text.startsWith('-') ? `-${'0'.repeat(room)}${text.slice(1)}` : '0'.repeat(room) + text;
  }
  const { fill } = spec;
  switch (spec.align ?? (numeric ? '>' : '<')) {
    case '<':
      return text + fill.repeat(room);
    case '>':
      return fill.repeat(room) + text;
    default: {
      const left = room >> 1;
      return fill.repeat(left) + text + fill.repeat(room - left);
    }
  }
}

/** An error as one line: `Type: message`. */
export function headline(error: ErrorValue): string {
  if (error.type === '') return error.message;
  return error.message === '' ? error.type : `${error.type}: ${error.message}`;
}

/** A value as the JSON of the extras: DEL and the C1 controls escaped too. */
export function jsonText(value: Value): string {
  return jsonSafe(appendJsonValue('', value));
}

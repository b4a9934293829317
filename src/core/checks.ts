/**
 * The checks that options go through on every thread that takes options: the main thread's
 * config/ and a worker's connect() (producer/connect-options.ts). Each fails with an option
 * error (core/errors.ts) whose message names the option path, what is allowed and what was
 * received. Which class: a `TypeError` for a value of the wrong type or shape, a `RangeError`
 * for a number outside its range, as Node's own ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE.
 */
import { resolve } from 'node:path';
import { fail, show } from './errors.js';
import { isLevelOption, type LevelOption } from './levels.js';
import { NAME_MAX_LENGTH } from './limits.js';

const LEVEL_LIST = 'trace, debug, info, warn, error, fatal or silent';

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

/** Checks a logger name (at most {@link NAME_MAX_LENGTH} characters); `option` names it in messages. */
export function checkName(value: unknown, option: string): string {
  if (typeof value !== 'string') {
    fail(TypeError, `${option} must be a string or undefined; received ${show(value)}`);
  }
  if (value.length > NAME_MAX_LENGTH) {
    fail(
      RangeError,
      `${option} must be at most ${NAME_MAX_LENGTH} characters; received a string of ${value.length}`,
    );
  }
  return value;
}

/** Checks child() bindings: a non-null, non-array object. */
export function checkBindings(value: unknown, option: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(TypeError, `${option} must be an object of key-value pairs, such as { requestId: 'r-1' }; received ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Checking the errors that invalid options throw (config/options.ts: class, code, message). */
import { expect } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';

/** Runs `fn`, expects it to throw, and returns the error for closer checks. */
export function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error & { code?: unknown };
  }
  throw new Error('expected a throw');
}

/** Expects an option error of class `kind` whose message contains each of `parts`; returns it. */
export function expectOptionError(fn: () => unknown, kind: typeof TypeError | typeof RangeError, ...parts: string[]): Error {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(kind);
  expect(error.code).toBe(ErrorCode.OPTION);
  expect(error.message.startsWith('ringlog: ')).toBe(true);
  for (const part of parts) expect(error.message).toContain(part);
  return error;
}

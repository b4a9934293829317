/**
 * The handle's layout version (src/producer/handle.ts, LAYOUT_VERSION in src/ring/layout.ts):
 * `connect()` takes a handle of its own version, refuses one of another version with an error
 * that names both (ERR_RINGLOG_VERSION, what a user who mixes two ringlog installations meets),
 * and keeps the generic "expects the handle" error for what is not a handle at all.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/core/errors.js';
import { assertHandle, type LogHandle } from '../../../src/producer/handle.js';
import { connect } from '../../../src/producer/logger.js';
import { allocateShared, LAYOUT_VERSION } from '../../../src/ring/layout.js';
import { thrown } from '../../support/option-errors.js';

function handle(): LogHandle {
  return { ringlog: LAYOUT_VERSION, buffer: allocateShared(4096), level: 'info', onFull: 'drop', maxRecordSize: 512 };
}

describe('the handle carries the layout version', () => {
  it('is a positive integer, written once', () => {
    expect(Number.isInteger(LAYOUT_VERSION) && LAYOUT_VERSION > 0).toBe(true);
  });

  it('connect() takes a handle of this version, after a structured clone too', () => {
    expect(() => assertHandle(handle())).not.toThrow();
    expect(connect(structuredClone(handle()), { name: 'w' }).level).toBe('info');
  });

  it.each([LAYOUT_VERSION + 1, LAYOUT_VERSION - 1, 0, 1000])('connect() refuses a handle of version %d, naming both versions', (version) => {
    // As another installation would make it: the version differs, and maybe the shape too.
    const other = { ...handle(), ringlog: version, somethingNew: true };
    const error = thrown(() => connect(other));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.code).toBe(ErrorCode.VERSION);
    expect(error.message).toMatch(/^ringlog: connect\(handle\) received the handle of a backend/);
    expect(error.message).toContain(`shared layout version ${version}`);
    expect(error.message).toContain(`this ringlog reads version ${LAYOUT_VERSION}`);
    expect(error.message).toContain('another ringlog installation');
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['an object without a version', { buffer: new SharedArrayBuffer(8) }],
    ['a version that is not a number', { ...handle(), ringlog: '1' }],
    ['a handle of this version with a bad level', { ...handle(), level: 'loud' }],
  ])('what is not a handle at all (%s) still gets the generic TypeError, without the version code', (_, value) => {
    const error = thrown(() => connect(value));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBeUndefined();
    expect(error.message).toContain('connect(handle) expects the `handle` of a backend made by createLogBackend()');
  });
});

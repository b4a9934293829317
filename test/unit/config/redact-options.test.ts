/**
 * resolveRedact(): the `redact` option as pino takes it (an array of paths, or { paths, censor,
 * remove }), checked once in the main thread; every error names the option and the path.
 */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/config/options.js';
import { CENSOR_DEFAULT, resolveRedact } from '../../../src/config/redact-options.js';
import { assertHandle } from '../../../src/producer/handle.js';
import { allocateShared, LAYOUT_VERSION } from '../../../src/ring/layout.js';
import { expectOptionError } from '../../support/option-errors.js';

describe('resolveRedact: what it accepts', () => {
  it('the short form: an array of paths, pino\'s censor', () => {
    const resolved = resolveRedact(['password', 'req.headers.authorization']);
    expect(resolved).toEqual({ paths: ['password', 'req.headers.authorization'], censor: '[Redacted]', remove: false });
    expect(CENSOR_DEFAULT).toBe('[Redacted]');
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved?.paths)).toBe(true);
  });

  it('the object form, with a censor and remove', () => {
    expect(resolveRedact({ paths: ['*.token', 'users[*].ssn', 'a["b-c"]'], censor: '***', remove: true })).toEqual({
      paths: ['*.token', 'users[*].ssn', 'a["b-c"]'],
      censor: '***',
      remove: true,
    });
    expect(resolveRedact({ paths: ['a'], censor: undefined, remove: undefined })).toEqual({ paths: ['a'], censor: '[Redacted]', remove: false });
  });

  it('nothing to redact: undefined, so producers check nothing', () => {
    expect(resolveRedact(undefined)).toBeUndefined();
    expect(resolveRedact([])).toBeUndefined();
    expect(resolveRedact({ paths: [], censor: 'x' })).toBeUndefined();
  });

  it('through resolveOptions, into a structured-cloneable value that connect() takes in the handle', () => {
    const { redact } = resolveOptions({ redact: ['password'] });
    expect(redact).toEqual({ paths: ['password'], censor: '[Redacted]', remove: false });
    expect(resolveOptions({}).redact).toBeUndefined();
    const handle = { ringlog: LAYOUT_VERSION, buffer: allocateShared(4096), level: 'info', onFull: 'drop', maxRecordSize: 512, redact };
    expect(() => assertHandle(structuredClone(handle))).not.toThrow();
    expect(() => assertHandle({ ...handle, redact: { paths: ['a'], censor: 1, remove: false } })).toThrow(/connect\(handle\) expects/);
  });
});

describe('resolveRedact: what it refuses, naming the option and the path', () => {
  it.each<[unknown, typeof TypeError, string]>([
    ['password', TypeError, "options.redact must be an object or undefined; received 'password'"],
    [{ paths: 'password' }, TypeError, "options.redact.paths must be an array of paths such as ['password', 'req.headers.authorization']; received 'password'"],
    [{}, TypeError, "options.redact.paths must be an array of paths such as ['password', 'req.headers.authorization']; received undefined"],
    [{ paths: ['a'], censr: 'x' }, TypeError, 'options.redact.censr is not a known option; known: paths, censor, remove'],
    [['a', 42], TypeError, 'options.redact[1] must be a path string; received 42'],
    [['a', 'a.b-c'], TypeError, `options.redact[1] is not a valid path ('a.b-c'): at character 3, 'b-c' is not an identifier: write ["b-c"]`],
    [{ paths: ['ok', 'users[*.ssn'] }, TypeError, "options.redact.paths[1] is not a valid path ('users[*.ssn'): at character 8, expected ]"],
    [{ paths: [''] }, TypeError, "options.redact.paths[0] is not a valid path (''): a path cannot be empty"],
    [{ paths: ['a'], censor: () => 'x' }, TypeError, 'options.redact.censor must be a string or undefined (a function cannot be passed to the worker threads that log); received [Function: censor]'],
    [{ paths: ['a'], censor: 0 }, TypeError, 'options.redact.censor must be a string or undefined; received 0'],
    [{ paths: ['a'], remove: 'yes' }, TypeError, "options.redact.remove must be true, false or undefined; received 'yes'"],
  ])('%o', (value, kind, message) => {
    const error = expectOptionError(() => resolveOptions({ redact: value }), kind);
    expect(error.message).toBe(`ringlog: ${message}`);
  });
});

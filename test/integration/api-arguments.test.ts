/**
 * Wrong arguments to every entry point of the public API, table by table: each must fail at once
 * with a TypeError (wrong type or shape) or a RangeError (a number out of range) whose message
 * names the argument or option, says what is allowed and shows what was received. Log calls
 * themselves never throw, whatever they are given.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createLogBackend, destination, type LogBackend, type Logger } from '../../dist/src/index.js';
import { LAYOUT_VERSION } from '../../dist/src/ring/layout.js';
import { tempDir } from '../support/log-files.js';

type Kind = typeof TypeError | typeof RangeError;

/** Expects `error` to be of `kind`, an option error, and to contain every part. */
function expectClear(error: unknown, kind: Kind, parts: readonly string[]): void {
  expect(error).toBeInstanceOf(kind);
  const message = (error as Error).message;
  expect(message.startsWith('ringlog: ')).toBe(true);
  for (const part of parts) expect(message).toContain(part);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// [options, kind, parts of the message: the option, the allowed values, what was received]
const backendOptions: [string, unknown, Kind, string[]][] = [
  ['options itself', 'app.log', TypeError, ['options must be an object or undefined', "received 'app.log'"]],
  ['options itself', [], TypeError, ['options must be an object', 'received []']],
  ['an unknown key', { bufferSiz: 1 }, TypeError, ['options.bufferSiz is not a known option', 'known: bufferSize, lanes, file, level, onFull, maxRecordSize, closeTimeoutMs']],
  ['bufferSize', { bufferSize: true }, TypeError, ['options.bufferSize must be a power of two from 4KiB to 1GiB', 'received true']],
  ['bufferSize', { bufferSize: '3KiB' }, RangeError, ['options.bufferSize must be a power of two', "received '3KiB' (3072 bytes)"]],
  ['bufferSize', { bufferSize: 5000 }, RangeError, ['options.bufferSize', 'received 5000', 'use 4KiB or 8KiB']],
  ['lanes', { lanes: 3 }, RangeError, ['options.lanes must be a power of two from 1 to 16', 'received 3']],
  ['lanes', { bufferSize: '8KiB', lanes: 4 }, RangeError, ['options.lanes must be a power of two from 1 to 2', 'lanes of at least 4KiB for a bufferSize of 8KiB', 'received 4']],
  ['file', { file: 42 }, TypeError, ['options.file must be a path string or an object { path, maxSize?, maxFiles?, fsync? }', 'received 42']],
  ['file.path', { file: { path: '' } }, TypeError, ['options.file.path must be a non-empty path string', "received ''"]],
  ['file.path', { file: { maxSize: '1MiB' } }, TypeError, ['options.file.path must be a non-empty path string', 'received undefined']],
  ['file.maxSize', { file: { path: 'a.log', maxSize: '10 parsecs' } }, TypeError, ['options.file.maxSize must be a byte size from 1024 to 9007199254740991 bytes', "received '10 parsecs'"]],
  ['file.maxSize', { file: { path: 'a.log', maxSize: 10 } }, RangeError, ['options.file.maxSize must be a byte size from 1024 to 9007199254740991 bytes', 'received 10']],
  ['file.maxFiles', { file: { path: 'a.log', maxFiles: '3' } }, TypeError, ['options.file.maxFiles must be an integer from 1 to 100000', "received '3'"]],
  ['file.maxFiles', { file: { path: 'a.log', maxFiles: 0 } }, RangeError, ['options.file.maxFiles must be an integer from 1 to 100000', 'received 0']],
  ['file.fsync', { file: { path: 'a.log', fsync: 'batch' } }, TypeError, ['options.file.fsync must be true, false or an interval in ms', "received 'batch'"]],
  ['file.fsync', { file: { path: 'a.log', fsync: -1 } }, RangeError, ['options.file.fsync (an interval in ms) must be an integer from 1 to 2147483647', 'received -1']],
  ['file: an unknown key', { file: { path: 'a.log', rotation: true } }, TypeError, ['options.file.rotation is not a known option', 'known: path, maxSize, maxFiles, fsync, rotate']],
  ['file.rotate', { file: { path: 'a.log', rotate: true } }, TypeError, ['options.file.rotate must be an object { maxSize?, interval?', 'received true']],
  ['file.rotate', { file: { path: 'a.log', rotate: { interval: '7h' } } }, RangeError, ['options.file.rotate.interval must be whole days, or shorter than a day and divide it evenly', "received '7h'"]],
  ['level', { level: 30 }, TypeError, ['options.level must be one of trace, debug, info, warn, error, fatal or silent', 'received 30']],
  ['onFull', { onFull: 'wait' }, TypeError, ["options.onFull must be 'block' or 'drop'", "received 'wait'"]],
  ['maxRecordSize', { maxRecordSize: {} }, TypeError, ['options.maxRecordSize must be a byte size from 256 bytes to bufferSize / lanes / 8', 'received {}']],
  ['maxRecordSize', { bufferSize: '64KiB', maxRecordSize: '16KiB' }, RangeError, ['options.maxRecordSize', '(8KiB for a bufferSize of 64KiB in 1 lane)', "received '16KiB' (16384 bytes)"]],
  ['maxRecordSize', { maxRecordSize: 100 }, RangeError, ['options.maxRecordSize must be a byte size from 256 bytes', 'received 100']],
  ['closeTimeoutMs', { closeTimeoutMs: '5s' }, TypeError, ['options.closeTimeoutMs must be an integer from 1 to 2147483647', "received '5s'"]],
  ['closeTimeoutMs', { closeTimeoutMs: 0 }, RangeError, ['options.closeTimeoutMs must be an integer from 1 to 2147483647', 'received 0']],
];

describe('createLogBackend(options)', () => {
  it.each(backendOptions)('%s: %o rejects with a clear error', async (_option, options, kind, parts) => {
    const failure = createLogBackend(options as never);
    const error = await failure.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expectClear(error, kind, parts);
    expect(error).toMatchObject({ code: 'ERR_RINGLOG_OPTION' });
  });
});

describe('the other entry points', () => {
  let backend: LogBackend;
  let log: Logger;
  let remove = (): void => {};

  beforeAll(async () => {
    const dir = tempDir();
    remove = dir.remove;
    backend = await createLogBackend({ bufferSize: '64KiB', file: join(dir.dir, 'app.log') });
    log = backend.logger('api');
  });

  afterAll(async () => {
    await backend.close();
    remove();
  });

  const handles: [string, () => unknown][] = [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a string', () => 'handle'],
    ['an object that is not a handle', () => ({ buffer: new SharedArrayBuffer(8) })],
    ['a handle over an ArrayBuffer', () => ({ ...backend.handle, buffer: new ArrayBuffer(4096) })],
    ['a handle with a bad level', () => ({ ...backend.handle, level: 'loud' })],
    ['a handle with a bad onFull', () => ({ ...backend.handle, onFull: 'wait' })],
    ['a handle with a bad maxRecordSize', () => ({ ...backend.handle, maxRecordSize: -1 })],
  ];

  it.each(handles)('connect(handle) with %s: a TypeError that says what a handle is and shows what was received', (_case, make) => {
    expectClear(thrown(() => connect(make())), TypeError, ['connect(handle) expects the `handle` of a backend made by createLogBackend()', 'received']);
  });

  it('connect(handle) with a handle from another version: an error that names both versions, with its own code', () => {
    const error = thrown(() => connect({ ...backend.handle, ringlog: 99 } as never));
    expectClear(error, Error, ['shared layout version 99', `this ringlog reads version ${LAYOUT_VERSION}`, 'another ringlog installation']);
    expect((error as { code?: unknown }).code).toBe('ERR_RINGLOG_VERSION');
  });

  it('destination(handle) names itself in the same errors', () => {
    expectClear(thrown(() => destination({ buffer: new SharedArrayBuffer(8) })), TypeError, ['ringlog: destination(handle) expects the `handle` of a backend made by createLogBackend()', 'received']);
    const error = thrown(() => destination({ ...backend.handle, ringlog: 99 }));
    expectClear(error, Error, ['ringlog: destination(handle) received the handle of a backend with shared layout version 99']);
    expect((error as { code?: unknown }).code).toBe('ERR_RINGLOG_VERSION');
  });

  // [call, kind, parts]
  const calls: [string, (log: Logger, backend: LogBackend) => unknown, Kind, string[]][] = [
    ['connect(handle, options) with options a string', (_l, b) => connect(b.handle, 'debug' as never), TypeError, ['options must be an object or undefined', "received 'debug'"]],
    ['connect(handle, options) with an unknown key', (_l, b) => connect(b.handle, { nmae: 'x' } as never), TypeError, ['options.nmae is not a known option; known: name, level']],
    ['connect(handle, { name: 5 })', (_l, b) => connect(b.handle, { name: 5 as never }), TypeError, ['options.name must be a string or undefined', 'received 5']],
    ['connect(handle, { name: 257 characters })', (_l, b) => connect(b.handle, { name: 'n'.repeat(257) }), RangeError, ['options.name must be at most 256 characters', 'received a string of 257']],
    ['connect(handle, { level: "loud" })', (_l, b) => connect(b.handle, { level: 'loud' as never }), TypeError, ['options.level must be one of trace, debug, info, warn, error, fatal or silent', "received 'loud'"]],
    ['child(null)', (l) => l.child(null as never), TypeError, ['child(bindings): bindings must be an object', 'received null']],
    ['child(undefined)', (l) => l.child(undefined as never), TypeError, ['child(bindings): bindings must be an object', 'received undefined']],
    ['child("str")', (l) => l.child('str' as never), TypeError, ['child(bindings): bindings must be an object', "received 'str'"]],
    ['child(42)', (l) => l.child(42 as never), TypeError, ['child(bindings): bindings must be an object', 'received 42']],
    ['child(["a"])', (l) => l.child(['a'] as never), TypeError, ['child(bindings): bindings must be an object', "received [ 'a' ]"]],
    ['child({}, "debug")', (l) => l.child({}, 'debug' as never), TypeError, ['child(bindings, options): options must be an object or undefined', "received 'debug'"]],
    ['child({}, { level: 10 })', (l) => l.child({}, { level: 10 as never }), TypeError, ['child(bindings, options): options.level must be one of trace, debug, info, warn, error, fatal or silent', 'received 10']],
    ['child({}, { name: null })', (l) => l.child({}, { name: null as never }), TypeError, ['child(bindings, options): options.name must be a string or undefined', 'received null']],
    ['child({}, { name: 300 characters })', (l) => l.child({}, { name: 'n'.repeat(300) }), RangeError, ['child(bindings, options): options.name must be at most 256 characters', 'received a string of 300']],
    ['child({}, { colour: "red" })', (l) => l.child({}, { colour: 'red' } as never), TypeError, ['child(bindings, options): options.colour is not a known option']],
    ['logger.level = "verbose"', (l) => {
      (l as { level: unknown }).level = 'verbose';
    }, TypeError, ['logger.level must be one of trace, debug, info, warn, error, fatal or silent', "received 'verbose'"]],
    ['logger.level = 30', (l) => {
      (l as { level: unknown }).level = 30;
    }, TypeError, ['logger.level must be one of', 'received 30']],
    ['logger.level = undefined', (l) => {
      (l as { level: unknown }).level = undefined;
    }, TypeError, ['logger.level must be one of', 'received undefined']],
    ['isLevelEnabled(30)', (l) => l.isLevelEnabled(30 as never), TypeError, ['isLevelEnabled(level) must be one of trace, debug, info, warn, error, fatal or silent', 'received 30']],
    ['isLevelEnabled("INFO")', (l) => l.isLevelEnabled('INFO' as never), TypeError, ['isLevelEnabled(level) must be one of', "received 'INFO'"]],
    ['isLevelEnabled()', (l) => (l.isLevelEnabled as (level?: unknown) => boolean)(), TypeError, ['isLevelEnabled(level) must be one of', 'received undefined']],
    ['backend.logger(5)', (_l, b) => b.logger(5 as never), TypeError, ['backend.logger(name): name must be a string or undefined', 'received 5']],
    ['backend.logger({})', (_l, b) => b.logger({} as never), TypeError, ['backend.logger(name): name must be a string or undefined', 'received {}']],
    ['backend.logger(1000 characters)', (_l, b) => b.logger('n'.repeat(1000)), RangeError, ['backend.logger(name): name must be at most 256 characters', 'received a string of 1000']],
  ];

  it.each(calls)('%s: a clear error at once', (_call, call, kind, parts) => {
    const error = thrown(() => call(log, backend));
    expectClear(error, kind, parts);
    expect(error).toMatchObject({ code: 'ERR_RINGLOG_OPTION' });
    // The logger is unharmed: its level did not change.
    expect(log.level).toBe('info');
  });

  it('the log methods take anything and never throw', () => {
    const odd: unknown[][] = [
      [],
      [undefined],
      [null],
      [Symbol('s')],
      [42, 43],
      [true],
      [() => 1],
      [10n, '%d', 5],
      ['%s %s %s', 1],
      ['%', '%%', '%z'],
      [{}, 5],
      [{}, {}, {}],
      [new Error('e'), new Error('f')],
      [Object.create(null)],
    ];
    for (const method of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      for (const args of odd) expect(() => (log[method] as (...a: unknown[]) => void)(...args)).not.toThrow();
    }
  });
});

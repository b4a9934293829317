/**
 * resolveRotate(): the rotation options of a file sink, as the configuration layer calls it for
 * `sinks[i].rotate` and options.ts for `file.rotate`. Every error names the option by the path
 * it was given.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/config/options.js';
import { ErrorCode } from '../../../src/core/errors.js';
import { resolveRotate } from '../../../src/config/rotate-options.js';
import { parseInterval } from '../../../src/consumer/rotate/schedule.js';

const live = '/var/log/app.log';
const rotate = (value: unknown) => resolveRotate(value, 'sinks[2].rotate', live);

function expectOptionError(run: () => unknown, kind: typeof TypeError | typeof RangeError, ...parts: string[]): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(kind);
  expect(thrown).toMatchObject({ code: ErrorCode.OPTION });
  for (const part of parts) expect((thrown as Error).message).toContain(part);
}

describe('resolveRotate: what it accepts', () => {
  it('size only: numbered names, 5 files kept, nothing else', () => {
    expect(rotate({ maxSize: '10MiB' })).toEqual({
      maxFileBytes: 10 * 1024 * 1024,
      interval: undefined,
      utc: false,
      pattern: undefined,
      maxFiles: 5,
      maxTotalBytes: undefined,
      compressLevel: undefined,
    });
  });

  it.each([
    ['midnight', 'app.log.%Y-%m-%d'],
    ['1d', 'app.log.%Y-%m-%d'],
    ['W0', 'app.log.%Y-%m-%d'],
    ['hourly', 'app.log.%Y-%m-%d_%H'],
    ['15m', 'app.log.%Y-%m-%d_%H-%M'],
    ['S', 'app.log.%Y-%m-%d_%H-%M-%S'],
  ])('interval %s: dated names by default (%s)', (interval, pattern) => {
    const resolved = rotate({ interval });
    expect(resolved.interval).toEqual(parseInterval(interval, 'x'));
    expect(resolved.pattern).toBe(pattern);
    expect(resolved.maxFileBytes).toBeUndefined();
  });

  it('a % in the live name is escaped in the default pattern', () => {
    expect(resolveRotate({ interval: '1d' }, 'rotate', '/logs/100%.log').pattern).toBe('100%%.log.%Y-%m-%d');
  });

  it('size and time together, a pattern of its own, utc', () => {
    expect(rotate({ maxSize: 4096, interval: '1h', pattern: 'app.%Y-%m-%d_%H.log', utc: true })).toMatchObject({
      maxFileBytes: 4096,
      pattern: 'app.%Y-%m-%d_%H.log',
      utc: true,
    });
  });

  it.each([
    [true, 6],
    ['gzip', 6],
    [{}, 6],
    [{ level: 1 }, 1],
    [{ level: 9 }, 9],
    [false, undefined],
  ])('compress %o: level %s', (compress, level) => {
    expect(rotate({ interval: '1d', compress }).compressLevel).toBe(level);
  });

  it('compression without an interval or pattern still gets dated names: numbered ones move under the compressor', () => {
    expect(rotate({ maxSize: '1MiB', compress: true }).pattern).toBe('app.log.%Y-%m-%d');
    expect(rotate({ maxSize: '1MiB', compress: true, pattern: 'app-%Y%m%d.log' }).pattern).toBe('app-%Y%m%d.log');
  });

  it('retention: maxFiles 0 to 100000, default 5; with maxTotalSize alone, no count limit', () => {
    expect(rotate({ interval: '1d', maxFiles: 0 }).maxFiles).toBe(0);
    expect(rotate({ interval: '1d', maxFiles: 100_000 }).maxFiles).toBe(100_000);
    expect(rotate({ interval: '1d' }).maxFiles).toBe(5);
    expect(rotate({ interval: '1d', maxTotalSize: '1GiB' })).toMatchObject({ maxFiles: undefined, maxTotalBytes: 1024 ** 3 });
    expect(rotate({ interval: '1d', maxTotalSize: 2048, maxFiles: 3 })).toMatchObject({ maxFiles: 3, maxTotalBytes: 2048 });
  });

  it('is frozen plain data that survives a structured clone (it crosses to the consumer thread)', () => {
    const resolved = rotate({ maxSize: '1MiB', interval: 'W4', utc: true, maxTotalSize: '1GiB', compress: { level: 3 } });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(structuredClone(resolved)).toEqual(resolved);
  });
});

describe('resolveRotate: errors name the option path', () => {
  it.each([
    [5, 'sinks[2].rotate must be an object'],
    [null, 'sinks[2].rotate must be an object'],
    [[], 'sinks[2].rotate must be an object'],
    [{ maxsize: 1 }, 'sinks[2].rotate.maxsize is not a known option; known: maxSize, interval, utc, pattern, maxFiles, maxTotalSize, compress'],
    [{}, 'sinks[2].rotate must give maxSize, interval or both'],
    [{ maxFiles: 3 }, 'sinks[2].rotate must give maxSize, interval or both'],
    [{ maxSize: '10 parsecs' }, 'sinks[2].rotate.maxSize must be a byte size'],
    [{ interval: '1 hour' }, "sinks[2].rotate.interval must be like '1h', '1d' or 'midnight'"],
    [{ interval: 3600 }, 'sinks[2].rotate.interval must be a string'],
    [{ interval: '1d', utc: 'yes' }, "sinks[2].rotate.utc must be true or false; received 'yes'"],
    [{ interval: '1d', pattern: 'logs/app.%Y.log' }, 'sinks[2].rotate.pattern must be a file name with date tokens'],
    [{ interval: '1d', pattern: 'app.%m-%d.log' }, 'sinks[2].rotate.pattern must be a file name with date tokens'],
    [{ interval: '1d', maxFiles: '5' }, "sinks[2].rotate.maxFiles must be an integer from 0 to 100000 (0 keeps no rotated file); received '5'"],
    [{ interval: '1d', maxTotalSize: {} }, 'sinks[2].rotate.maxTotalSize must be a byte size'],
    [{ interval: '1d', compress: 'zip' }, "sinks[2].rotate.compress must be true, false, 'gzip' or { level }"],
    [{ interval: '1d', compress: { lvl: 1 } }, 'sinks[2].rotate.compress.lvl is not a known option; known: level'],
    [{ interval: '1d', compress: { level: '9' } }, "sinks[2].rotate.compress.level must be an integer from 1 to 9; received '9'"],
  ])('%o: TypeError %s', (value, message) => {
    expectOptionError(() => rotate(value), TypeError, `ringlog: ${message}`);
  });

  it.each([
    [{ maxSize: 1023 }, 'sinks[2].rotate.maxSize must be a byte size from 1024'],
    [{ interval: '0s' }, 'sinks[2].rotate.interval must be at least 1s'],
    [{ interval: '7h' }, 'sinks[2].rotate.interval must be whole days, or shorter than a day and divide it evenly'],
    [{ interval: '1d', maxFiles: -1 }, 'sinks[2].rotate.maxFiles must be an integer from 0 to 100000 (0 keeps no rotated file); received -1'],
    [{ interval: '1d', maxFiles: 100_001 }, 'sinks[2].rotate.maxFiles must be an integer from 0 to 100000'],
    [{ interval: '1d', maxFiles: 1.5 }, 'sinks[2].rotate.maxFiles must be an integer from 0 to 100000'],
    [{ interval: '1d', maxTotalSize: '1B' }, 'sinks[2].rotate.maxTotalSize must be a byte size from 1024'],
    [{ interval: '1d', compress: { level: 0 } }, 'sinks[2].rotate.compress.level must be an integer from 1 to 9; received 0'],
    [{ interval: '1d', compress: { level: 10 } }, 'sinks[2].rotate.compress.level must be an integer from 1 to 9; received 10'],
  ])('%o: RangeError %s', (value, message) => {
    expectOptionError(() => rotate(value), RangeError, `ringlog: ${message}`);
  });
});

describe('options.file.rotate (the shorthand) and options.sinks[i].rotate', () => {
  it('is resolved with the file path, and absent it changes nothing', () => {
    const file = resolveOptions({ file: { path: 'logs/app.log', rotate: { interval: 'midnight', compress: true } } }).sinks[0]?.file;
    expect(file?.rotate).toMatchObject({ pattern: 'app.log.%Y-%m-%d', compressLevel: 6, maxFiles: 5 });
    expect(file?.path).toBe(resolve('logs/app.log'));
    expect(resolveOptions({ file: { path: 'app.log', maxSize: '1MiB' } }).sinks[0]?.file?.rotate).toBeUndefined();
    expect(Object.isFrozen(file?.rotate)).toBe(true);
  });

  it('sinks[i].rotate is resolved the same way, with its path in messages', () => {
    const sink = resolveOptions({ sinks: [{ type: 'file', path: 'logs/app.log', rotate: { interval: '1h' } }] }).sinks[0];
    expect(sink?.file?.rotate).toMatchObject({ maxFiles: 5 });
    expectOptionError(
      () => resolveOptions({ sinks: [{ type: 'stdout' }, { type: 'file', path: 'a.log', rotate: { maxSize: '1MiB', maxFiles: -1 } }] }),
      RangeError,
      'ringlog: options.sinks[1].rotate.maxFiles must be an integer from 0 to 100000',
    );
  });

  it('names its options under options.file.rotate', () => {
    expectOptionError(
      () => resolveOptions({ file: { path: 'a.log', rotate: { interval: '1d', maxFiles: -1 } } }),
      RangeError,
      'ringlog: options.file.rotate.maxFiles must be an integer from 0 to 100000',
    );
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', rotate: { when: 'D' } } }), TypeError, 'options.file.rotate.when is not a known option');
  });

  it.each([['maxSize', '1MiB'], ['maxFiles', 3]])('refuses file.%s next to file.rotate, saying where it goes', (key, value) => {
    expectOptionError(
      () => resolveOptions({ file: { path: 'a.log', [key]: value, rotate: { interval: '1d' } } }),
      TypeError,
      `ringlog: options.file.${key} cannot be given with options.file.rotate: write it as options.file.rotate.${key}`,
    );
  });
});

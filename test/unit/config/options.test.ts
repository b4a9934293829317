import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUFFER_SIZE_DEFAULT,
  BUFFER_SIZE_MAX,
  BUFFER_SIZE_MIN,
  MAX_FILES_DEFAULT,
  MAX_FILES_MAX,
  MAX_FILES_MIN,
  MAX_SIZE_MAX,
  MAX_SIZE_MIN,
  NAME_MAX_LENGTH,
} from '../../../src/core/limits.js';
import { parseByteSize } from '../../../src/config/byte-sizes.js';
import { resolveOptions } from '../../../src/config/options.js';
import type { ResolvedFileOptions } from '../../../src/config/outputs.js';
import { resolveConnectOptions } from '../../../src/producer/connect-options.js';
import { expectOptionError, thrown } from '../../support/option-errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The file of the one sink that the `file` shorthand makes. */
function fileOf(options: unknown): ResolvedFileOptions | undefined {
  return resolveOptions(options).sinks[0]?.file;
}

/** What the outputs resolve to without `file`, `sinks` or `loggers`: JSON lines on stdout. */
function stdoutOutputs(level: number) {
  return {
    formats: [{ type: 'json' }],
    sinks: [{ name: 'stdout', kind: 'stdout', file: undefined, level: 0, loggers: [], formatter: 'json', format: 0 }],
    routes: { level, sinks: [{ level: 0, loggers: [] }], loggers: {} },
  };
}
const GiB = 1024 * MiB;

/** The default lanes of an 8 MiB buffer on this machine: its cores, at least 4, at most 8. */
const DEFAULT_LANES = availableParallelism() >= 8 ? 8 : 4;

describe('range constants', () => {
  it('have the documented values', () => {
    expect(BUFFER_SIZE_MIN).toBe(4096);
    expect(BUFFER_SIZE_MAX).toBe(2 ** 30);
    expect(BUFFER_SIZE_DEFAULT).toBe(8 * MiB);
    expect(MAX_SIZE_MIN).toBe(1024);
    expect(MAX_SIZE_MAX).toBe(Number.MAX_SAFE_INTEGER);
    expect([MAX_FILES_MIN, MAX_FILES_MAX, MAX_FILES_DEFAULT]).toEqual([1, 100_000, 5]);
    expect(NAME_MAX_LENGTH).toBe(256);
  });
});

describe('resolveOptions defaults', () => {
  it.each([[undefined], [{}], [Object.create(null)], [{ bufferSize: undefined, file: undefined, level: undefined, onFull: undefined }]])(
    'resolves %o to the defaults',
    (options) => {
      expect(resolveOptions(options)).toEqual({
        bufferBytes: 8 * MiB,
        lanes: DEFAULT_LANES,
        level: 'info',
        onFull: 'block',
        maxRecordBytes: MiB / DEFAULT_LANES,
        closeTimeoutMs: 10_000,
        ...stdoutOutputs(30),
      });
    },
  );

  it('resolves a full options object, deeply frozen', () => {
    const resolved = resolveOptions({
      bufferSize: '64KiB',
      file: { path: 'logs/app.log', maxSize: '50MiB', maxFiles: 3 },
      level: 'warn',
      onFull: 'drop',
      maxRecordSize: '1KiB',
      closeTimeoutMs: 2500,
    });
    const file = { path: resolve('logs/app.log'), maxFileBytes: 50 * MiB, maxFiles: 3, fsyncMs: undefined };
    expect(resolved).toEqual({
      bufferBytes: 64 * KiB,
      lanes: 1,
      level: 'warn',
      onFull: 'drop',
      maxRecordBytes: KiB,
      closeTimeoutMs: 2500,
      formats: [{ type: 'json' }],
      sinks: [{ name: 'file', kind: 'file', file, level: 0, loggers: [], formatter: 'json', format: 0 }],
      routes: { level: 40, sinks: [{ level: 0, loggers: [] }], loggers: {} },
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.sinks[0])).toBe(true);
    expect(Object.isFrozen(resolved.sinks[0]?.file)).toBe(true);
    expect(Object.isFrozen(resolved.routes)).toBe(true);
  });

  it('does not keep a reference to the caller object', () => {
    const file = { path: '/tmp/a.log', maxFiles: 2 };
    const resolved = resolveOptions({ file });
    file.maxFiles = 9;
    expect(resolved.sinks[0]?.file?.maxFiles).toBe(2);
  });
});

describe('parseByteSize', () => {
  const parse = (value: unknown): number => parseByteSize(value, 'options.x', 0, Number.MAX_SAFE_INTEGER);

  describe.each([
    [0, 0],
    [4096, 4096],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['512', 512],
    ['512B', 512],
    ['512b', 512],
    ['0', 0],
    ['64 KiB', 64 * KiB],
    ['64kib', 64 * KiB],
    ['64KB', 64 * KiB],
    ['64kb', 64 * KiB],
    ['8MiB', 8 * MiB],
    ['8MB', 8 * MiB],
    ['8mb', 8 * MiB],
    ['10MB', 10 * MiB],
    ['1.5GiB', 1.5 * GiB],
    ['1.5GB', 1.5 * GiB],
    ['2TiB', 2 * 1024 * GiB],
    ['2TB', 2 * 1024 * GiB],
    ['1.25KiB', 1280],
    ['0.5KiB', 512],
    ['  16 MiB  ', 16 * MiB],
    ['007', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('%o', (input, bytes) => {
    it(`is ${bytes} bytes`, () => expect(parse(input)).toBe(bytes));
  });

  it.each([
    ['8M'], ['8 M B'], ['MiB'], [''], [' '], ['-1'], ['-1KiB'], ['1e3'], ['0x10'], ['1.'], ['.5KiB'],
    ['1,5MiB'], ['8PiB'], ['8iB'], ['Infinity'], ['NaN'], ['8MiB!'], ['8 MiB 2'], ['١٢'],
  ])('rejects the malformed string %o with a TypeError', (input) => {
    expectOptionError(() => parse(input), TypeError, 'options.x must be a byte size', `'${input}'`, "'8MiB'");
  });

  it.each([[true], [null], [[]], [{}], [1n], [Symbol('s')], [() => 1]])('rejects the type of %o with a TypeError', (input) => {
    expectOptionError(() => parse(input), TypeError, 'options.x must be a byte size', 'received');
  });

  it.each([[NaN, 'NaN'], [-1, '-1'], [1.5, '1.5'], [Infinity, 'Infinity'], [2 ** 53, '9007199254740992'], [-0.5, '-0.5']])(
    'rejects the number %o with a RangeError',
    (input, shown) => {
      expectOptionError(() => parse(input), RangeError, 'options.x must be a byte size', `received ${shown}`);
    },
  );

  it('rejects a fraction that is not a whole number of bytes', () => {
    expectOptionError(() => parse('0.1KiB'), RangeError, "received '0.1KiB', which is not a whole number of bytes");
    expectOptionError(() => parse('1.5'), RangeError, 'not a whole number of bytes');
    expectOptionError(() => parse('1.5B'), RangeError, 'not a whole number of bytes');
  });

  it('is exact where floating point is not', () => {
    // In doubles 1 + 1e-19 is 1, so a float parser would accept this; the BigInt arithmetic sees
    // that it is not a whole number of bytes.
    expectOptionError(() => parse('1.0000000000000000001KiB'), RangeError, 'not a whole number of bytes');
    expect(parse('3.0000000000000000000MiB')).toBe(3 * MiB);
  });

  it('rejects sizes beyond 2^53-1 bytes', () => {
    expectOptionError(() => parse('8192TiB'), RangeError, "received '8192TiB' (9007199254740992 bytes)");
    expectOptionError(() => parse('99999999999999999999999'), RangeError, 'received');
  });

  it('checks [min, max] and says the range and what was received', () => {
    expectOptionError(() => parseByteSize('1KiB', 'options.y', 2048, 4096), RangeError,
      'options.y must be a byte size from 2KiB to 4KiB (2048 to 4096 bytes)', "received '1KiB' (1024 bytes)");
    expectOptionError(() => parseByteSize(5000, 'options.y', 2048, 4096), RangeError, 'received 5000');
    expectOptionError(() => parseByteSize(7, 'options.y', 1, 3), RangeError, 'from 1 to 3 bytes; received 7');
    expect(parseByteSize('2KiB', 'options.y', 2048, 4096)).toBe(2048);
    expect(parseByteSize(4096, 'options.y', 2048, 4096)).toBe(4096);
  });

  it('agrees with the integer for every integer of bytes and every unit (property)', () => {
    const units = [['', 1], ['B', 1], ['KiB', KiB], ['KB', KiB], ['MiB', MiB], ['mb', MiB], ['GiB', GiB], ['gB', GiB]] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 }), fc.constantFrom(...units), fc.boolean(), (n, [unit, size], space) => {
        expect(parse(`${n}${space ? ' ' : ''}${unit}`)).toBe(n * size);
      }),
    );
  });
});

describe('options.bufferSize', () => {
  it.each([
    [4096, 4096], ['4KiB', 4096], ['4kb', 4096], ['8MB', 8 * MiB], ['1GiB', GiB], [GiB, GiB], ['1024MiB', GiB], ['0.5MiB', 512 * KiB],
  ])('accepts the power of two %o', (input, bytes) => {
    expect(resolveOptions({ bufferSize: input }).bufferBytes).toBe(bytes);
  });

  it('accepts every power of two in range and nothing else nearby (property)', () => {
    for (let p = 12; p <= 30; p++) expect(resolveOptions({ bufferSize: 2 ** p }).bufferBytes).toBe(2 ** p);
    fc.assert(
      fc.property(fc.integer({ min: BUFFER_SIZE_MIN + 1, max: BUFFER_SIZE_MAX - 1 }), (n) => {
        fc.pre((n & (n - 1)) !== 0);
        expectOptionError(() => resolveOptions({ bufferSize: n }), RangeError, 'options.bufferSize', 'power of two');
      }),
    );
  });

  it('suggests the powers of two around a value that is not one', () => {
    expectOptionError(() => resolveOptions({ bufferSize: '10MB' }), RangeError,
      "ringlog: options.bufferSize must be a power of two from 4KiB to 1GiB (4096 to 1073741824 bytes); received '10MB' (10485760 bytes); use 8MiB or 16MiB");
    expectOptionError(() => resolveOptions({ bufferSize: 5000 }), RangeError, 'received 5000; use 4KiB or 8KiB');
    expectOptionError(() => resolveOptions({ bufferSize: GiB - 1 }), RangeError, 'use 512MiB or 1GiB');
    expectOptionError(() => resolveOptions({ bufferSize: '100000' }), RangeError, 'use 64KiB or 128KiB');
  });

  it.each([[2048, 'received 2048'], ['2KiB', "received '2KiB' (2048 bytes)"], [0, 'received 0'], ['2GiB', "received '2GiB' (2147483648 bytes)"], [3 * GiB, 'received 3221225472']])(
    'rejects %o, out of range, without a suggestion',
    (input, received) => {
      const error = thrown(() => resolveOptions({ bufferSize: input }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain('options.bufferSize must be a power of two from 4KiB to 1GiB');
      expect(error.message).toContain(received);
      expect(error.message).not.toContain('use ');
    },
  );

  it.each([['big'], [true], [null], [8n]])('rejects %o with a TypeError', (input) => {
    expectOptionError(() => resolveOptions({ bufferSize: input }), TypeError, 'options.bufferSize must be a power of two from 4KiB to 1GiB', 'received');
  });

  it.each([[NaN], [-4096], [4096.5]])('rejects the number %o with a RangeError', (input) => {
    expectOptionError(() => resolveOptions({ bufferSize: input }), RangeError, 'options.bufferSize', `received ${String(input)}`);
  });
});

describe('options.file', () => {
  it('accepts a path string, resolved against the cwd, with default rotation', () => {
    expect(fileOf({ file: 'app.log' })).toEqual({ path: resolve('app.log'), maxFileBytes: undefined, maxFiles: 5 });
    expect(fileOf({ file: '/var/log/x.log' })?.path).toBe('/var/log/x.log');
  });

  it('accepts an object with defaults for the optional keys', () => {
    expect(fileOf({ file: { path: 'a/../b.log' } })).toEqual({ path: resolve('b.log'), maxFileBytes: undefined, maxFiles: 5 });
    expect(fileOf({ file: { path: 'b.log', maxSize: undefined, maxFiles: undefined } })?.maxFiles).toBe(MAX_FILES_DEFAULT);
  });

  it.each([[5], [null], [true], [['a.log']], [new Map()]])('rejects %o with a TypeError', (input) => {
    expectOptionError(() => resolveOptions({ file: input }), TypeError, 'options.file must be a path string or an object { path, maxSize?, maxFiles?, fsync? }', 'received');
  });

  it.each([
    [{}, 'received undefined'],
    [{ path: '' }, "received ''"],
    [{ path: 5 }, 'received 5'],
    [{ path: 'a\0b' }, "received 'a\\x00b'"],
  ])('rejects the path of %o', (file, received) => {
    expectOptionError(() => resolveOptions({ file }), TypeError, 'options.file.path must be a non-empty path string without NUL characters', received);
  });

  it.each([[''], ['x\0.log']])('rejects the path string %o', (file) => {
    expectOptionError(() => resolveOptions({ file }), TypeError, 'options.file must be a non-empty path string without NUL characters');
  });

  it.each([[1024, 1024], ['1KiB', 1024], ['50MiB', 50 * MiB], ['1.5GB', 1.5 * GiB], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], [10_000, 10_000]])(
    'accepts maxSize %o',
    (maxSize, bytes) => {
      expect(fileOf({ file: { path: 'a.log', maxSize } })?.maxFileBytes).toBe(bytes);
    },
  );

  it.each([[1023, 'received 1023'], ['1000B', "received '1000B' (1000 bytes)"], [0, 'received 0'], ['9000TiB', "received '9000TiB'"]])(
    'rejects maxSize %o, out of range',
    (maxSize, received) => {
      expectOptionError(() => resolveOptions({ file: { path: 'a.log', maxSize } }), RangeError,
        'options.file.maxSize must be a byte size from 1024 to 9007199254740991 bytes;', received);
    },
  );

  it.each([['50 MegaBytes'], [null], [{}]])('rejects maxSize %o with a TypeError', (maxSize) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', maxSize } }), TypeError, 'options.file.maxSize must be a byte size');
  });

  it.each([[1], [5], [100_000]])('accepts maxFiles %o', (maxFiles) => {
    expect(fileOf({ file: { path: 'a.log', maxFiles } })?.maxFiles).toBe(maxFiles);
  });

  it.each([[0, '0'], [100_001, '100001'], [2.5, '2.5'], [NaN, 'NaN'], [-1, '-1'], [Infinity, 'Infinity']])(
    'rejects maxFiles %o with a RangeError',
    (maxFiles, shown) => {
      expectOptionError(() => resolveOptions({ file: { path: 'a.log', maxFiles } }), RangeError,
        `ringlog: options.file.maxFiles must be an integer from 1 to 100000; received ${shown}`);
    },
  );

  it.each([['5', "received '5'"], [null, 'received null'], [5n, 'received 5n']])('rejects maxFiles %o with a TypeError', (maxFiles, received) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', maxFiles } }), TypeError, 'options.file.maxFiles must be an integer from 1 to 100000', received);
  });

  it('rejects unknown keys inside file', () => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', maxfiles: 3 } }), TypeError,
      'ringlog: options.file.maxfiles is not a known option; known: path, maxSize, maxFiles');
  });
});

describe('options.level and options.onFull', () => {
  it.each([['trace'], ['debug'], ['info'], ['warn'], ['error'], ['fatal'], ['silent']])('accepts level %o', (level) => {
    expect(resolveOptions({ level }).level).toBe(level);
  });

  it.each([['INFO', "'INFO'"], ['verbose', "'verbose'"], [30, '30'], [null, 'null'], ['toString', "'toString'"], ['__proto__', "'__proto__'"]])(
    'rejects level %o',
    (level, received) => {
      expectOptionError(() => resolveOptions({ level }), TypeError,
        `ringlog: options.level must be one of trace, debug, info, warn, error, fatal or silent; received ${received}`);
    },
  );

  it.each([['block'], ['drop']])('accepts onFull %o', (onFull) => {
    expect(resolveOptions({ onFull }).onFull).toBe(onFull);
  });

  it.each([['Block', "'Block'"], ['wait', "'wait'"], [true, 'true'], [0, '0']])('rejects onFull %o', (onFull, received) => {
    expectOptionError(() => resolveOptions({ onFull }), TypeError, `ringlog: options.onFull must be 'block' or 'drop'; received ${received}`);
  });
});

describe('the options object itself', () => {
  it.each([[null, 'null'], [5, '5'], ['big', "'big'"], [[], '[]'], [new Date(0), '1970'], [new (class Opts {})(), 'Opts']])(
    'rejects %o',
    (options, received) => {
      expectOptionError(() => resolveOptions(options), TypeError, 'ringlog: options must be an object or undefined; received', received);
    },
  );

  it('rejects an unknown key and lists the known ones', () => {
    expectOptionError(() => resolveOptions({ bufferSiz: 4096 }), TypeError,
      'ringlog: options.bufferSiz is not a known option; known: bufferSize, lanes, file, level, onFull');
  });

  it('rejects an unknown key even when its value is undefined', () => {
    expectOptionError(() => resolveOptions({ levle: undefined }), TypeError, 'options.levle is not a known option');
  });

  it('treats __proto__ as an ordinary unknown key', () => {
    const options = JSON.parse('{"__proto__": {"level": "debug"}}') as unknown;
    expectOptionError(() => resolveOptions(options), TypeError, 'options.__proto__ is not a known option');
  });

  it('rejects an object whose prototype carries the options', () => {
    const options = Object.create(Object.create(null, { level: { value: 'debug', enumerable: true } })) as unknown;
    expectOptionError(() => resolveOptions(options), TypeError, 'options must be an object or undefined');
  });
});

describe('resolveConnectOptions', () => {
  it('resolves undefined and {} to no name and no level, frozen', () => {
    for (const options of [undefined, {}, { name: undefined, level: undefined }]) {
      const resolved = resolveConnectOptions(options);
      expect(resolved).toEqual({ name: undefined, level: undefined });
      expect(Object.isFrozen(resolved)).toBe(true);
    }
  });

  it('accepts a name up to 256 characters and a level', () => {
    expect(resolveConnectOptions({ name: 'worker', level: 'debug' })).toEqual({ name: 'worker', level: 'debug' });
    expect(resolveConnectOptions({ name: 'x'.repeat(256) }).name).toHaveLength(256);
    expect(resolveConnectOptions({ name: '' }).name).toBe('');
  });

  it('rejects a name that is too long, with its length', () => {
    expectOptionError(() => resolveConnectOptions({ name: 'x'.repeat(257) }), RangeError,
      'ringlog: options.name must be at most 256 characters; received a string of 257');
  });

  it.each([[5, '5'], [null, 'null'], [{}, '{}']])('rejects the name %o', (name, received) => {
    expectOptionError(() => resolveConnectOptions({ name }), TypeError, `ringlog: options.name must be a string or undefined; received ${received}`);
  });

  it('rejects a bad level', () => {
    expectOptionError(() => resolveConnectOptions({ level: 'loud' }), TypeError, "options.level must be one of trace, debug, info, warn, error, fatal or silent; received 'loud'");
  });

  it('rejects unknown keys and non-objects', () => {
    expectOptionError(() => resolveConnectOptions({ nmae: 'w' }), TypeError, 'ringlog: options.nmae is not a known option; known: name, level');
    expectOptionError(() => resolveConnectOptions({ bufferSize: 4096 }), TypeError, 'options.bufferSize is not a known option; known: name, level');
    expectOptionError(() => resolveConnectOptions('worker'), TypeError, "options must be an object or undefined; received 'worker'");
  });
});

describe('options.lanes', () => {
  it.each([
    [1, '4KiB'],
    [2, '8KiB'],
    [16, '64KiB'],
    [4, '8MiB'],
  ])('accepts %i with bufferSize %o', (lanes, bufferSize) => {
    expect(resolveOptions({ lanes, bufferSize }).lanes).toBe(lanes);
  });

  it.each([
    [undefined, DEFAULT_LANES],
    ['2MiB', 2],
    ['1MiB', 1],
    ['64KiB', 1],
  ])('defaults with bufferSize %o to %i (the cores, 4 to 8, lanes of 1 MiB or more)', (bufferSize, lanes) => {
    expect(resolveOptions({ bufferSize }).lanes).toBe(lanes);
  });

  it.each([
    [3, '8MiB', 'from 1 to 16', 'received 3'],
    [0, '8MiB', 'from 1 to 16', 'received 0'],
    [32, '8MiB', 'from 1 to 16', 'received 32'],
    [2.5, '8MiB', 'from 1 to 16', 'received 2.5'],
    [4, '8KiB', 'from 1 to 2 (lanes of at least 4KiB for a bufferSize of 8KiB', 'received 4'],
  ])('rejects %o with bufferSize %o with a RangeError naming the range', (lanes, bufferSize, ...parts) => {
    expectOptionError(() => resolveOptions({ lanes, bufferSize }), RangeError, 'ringlog: options.lanes must be a power of two', ...parts);
  });

  it('rejects a string with a TypeError', () => {
    expectOptionError(() => resolveOptions({ lanes: '4' }), TypeError, "options.lanes must be a power of two from 1 to 16", "received '4'");
  });
});

describe('options.maxRecordSize', () => {
  it.each([
    [undefined, '64KiB', 8 * KiB],
    [256, '64KiB', 256],
    ['256B', '4KiB', 256],
    ['1KiB', '64KiB', KiB],
    ['8KiB', '64KiB', 8 * KiB],
    ['64KB', '8MiB', 64 * KiB],
    [MiB / DEFAULT_LANES, '8MiB', MiB / DEFAULT_LANES],
    [undefined, undefined, MiB / DEFAULT_LANES],
    [1000, '64KiB', 1000],
  ])('accepts %o with bufferSize %o as %i bytes', (maxRecordSize, bufferSize, bytes) => {
    expect(resolveOptions({ maxRecordSize, bufferSize }).maxRecordBytes).toBe(bytes);
  });

  it.each([
    [MiB, '8MiB', 1],
    [512 * KiB, '8MiB', 2],
    [undefined, '8MiB', 16, 64 * KiB],
  ])('accepts %o with bufferSize %o in %i lanes', (maxRecordSize, bufferSize, lanes, bytes = maxRecordSize) => {
    expect(resolveOptions({ maxRecordSize, bufferSize, lanes }).maxRecordBytes).toBe(bytes);
  });

  it('rejects a record larger than an eighth of a lane', () => {
    expectOptionError(() => resolveOptions({ maxRecordSize: '64KiB', bufferSize: '1MiB', lanes: 4 }), RangeError,
      "options.maxRecordSize must be a byte size from 256 bytes to bufferSize / lanes / 8 (32KiB for a bufferSize of 1MiB in 4 lanes); received '64KiB' (65536 bytes)");
  });

  it.each([
    [255, '64KiB', 'received 255'],
    [0, '64KiB', 'received 0'],
    ['8KiB', '32KiB', "received '8KiB' (8192 bytes)"],
    [8 * KiB + 1, '64KiB', 'received 8193'],
    ['2MiB', undefined, "received '2MiB' (2097152 bytes)"],
  ])('rejects %o with bufferSize %o with a RangeError naming the range that bufferSize allows', (maxRecordSize, bufferSize, received) => {
    const max = (bufferSize === undefined ? 8 * MiB / DEFAULT_LANES : bufferSize === '64KiB' ? 64 * KiB : 32 * KiB) / 8;
    expectOptionError(
      () => resolveOptions({ maxRecordSize, bufferSize }),
      RangeError,
      'options.maxRecordSize must be a byte size from 256 bytes to bufferSize / lanes / 8',
      `(${max >= MiB ? `${max / MiB}MiB` : `${max / KiB}KiB`} for a bufferSize of`,
      received,
    );
  });

  it.each([[NaN], [-1], [300.5]])('rejects the number %o with a RangeError', (maxRecordSize) => {
    expectOptionError(() => resolveOptions({ maxRecordSize }), RangeError, 'options.maxRecordSize', 'received');
  });

  it.each([['big'], [true], [null], [8n], [{}]])('rejects %o with a TypeError', (maxRecordSize) => {
    expectOptionError(() => resolveOptions({ maxRecordSize }), TypeError, 'options.maxRecordSize must be a byte size', 'received');
  });
});

describe('options.closeTimeoutMs', () => {
  it.each([[1], [500], [10_000], [2 ** 31 - 1]])('accepts %o', (closeTimeoutMs) => {
    expect(resolveOptions({ closeTimeoutMs }).closeTimeoutMs).toBe(closeTimeoutMs);
  });

  it.each([[0, '0'], [-5, '-5'], [1.5, '1.5'], [2 ** 31, '2147483648'], [NaN, 'NaN'], [Infinity, 'Infinity']])(
    'rejects %o with a RangeError',
    (closeTimeoutMs, received) => {
      expectOptionError(() => resolveOptions({ closeTimeoutMs }), RangeError, 'options.closeTimeoutMs must be an integer from 1 to 2147483647', `received ${received}`);
    },
  );

  it.each([['10s', "'10s'"], [null, 'null'], [true, 'true'], [10n, '10n']])('rejects %o with a TypeError', (closeTimeoutMs, received) => {
    expectOptionError(() => resolveOptions({ closeTimeoutMs }), TypeError, 'options.closeTimeoutMs must be an integer', `received ${received}`);
  });
});

describe('options.file.fsync', () => {
  it.each([
    [undefined, undefined],
    [false, undefined],
    [true, 0],
    [1, 1],
    [1000, 1000],
    [2 ** 31 - 1, 2 ** 31 - 1],
  ])('accepts %o as fsyncMs %o', (fsync, fsyncMs) => {
    const file = fileOf({ file: { path: 'a.log', fsync } });
    expect(file?.fsyncMs).toBe(fsyncMs);
  });

  it.each([[0, '0'], [-1, '-1'], [2.5, '2.5'], [NaN, 'NaN'], [2 ** 31, '2147483648']])('rejects the interval %o with a RangeError', (fsync, received) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', fsync } }), RangeError, 'options.file.fsync (an interval in ms) must be an integer from 1 to 2147483647', `received ${received}`);
  });

  it.each([['batch', "'batch'"], [null, 'null'], ['true', "'true'"], [{}, '{}']])('rejects %o with a TypeError', (fsync, received) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', fsync } }), TypeError, 'options.file.fsync must be true, false or an interval in ms', `received ${received}`);
  });
});

describe('options.file and options.sinks[i]: mode, dirMode, noFollow', () => {
  const sinkOf = (options: Record<string, unknown>): ResolvedFileOptions | undefined =>
    resolveOptions({ sinks: [{ type: 'file', path: 'a.log', ...options }] }).sinks[0]?.file;

  it('are left out unless given: the umask decides and links are followed, as before', () => {
    expect(fileOf({ file: 'a.log' })).not.toHaveProperty('mode');
    expect(sinkOf({})).not.toHaveProperty('noFollow');
  });

  it.each([
    [0o640, 0o640],
    [0o600, 0o600],
    [0o777, 0o777],
    [0o200, 0o200],
    ['640', 0o640],
    ['0640', 0o640],
    ['0o660', 0o660],
  ])('mode %o is 0o%o', (mode, expected) => {
    expect(fileOf({ file: { path: 'a.log', mode } })).toMatchObject({ mode: expected, dirMode: undefined, noFollow: false });
    expect(sinkOf({ mode })?.mode).toBe(expected);
  });

  it('dirMode and noFollow, in the shorthand and in a sink', () => {
    expect(fileOf({ file: { path: 'a.log', dirMode: '0750', noFollow: true } })).toMatchObject({ mode: undefined, dirMode: 0o750, noFollow: true });
    expect(sinkOf({ dirMode: 0o700, noFollow: false })).toMatchObject({ dirMode: 0o700, noFollow: false });
  });

  it.each([
    [0o1777, '0o1777'],
    [-1, '-1'],
    [0.5, '0.5'],
    [0o444, '0o444'],
    [0o044, '0o44'],
  ])('mode %o: a RangeError naming the option and the range', (mode, octal) => {
    const message = 'must be a mode from 0o000 to 0o777 that lets the owner write (0o200)';
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', mode } }), RangeError, `options.file.mode ${message}`, 'received');
    const error = expectOptionError(() => sinkOf({ mode }), RangeError, `options.sinks[0].mode ${message}`);
    if (Number.isInteger(mode) && mode >= 0) expect(error.message).toContain(`(${octal})`);
  });

  it('640 written in decimal: the message says how to write it in octal', () => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', mode: 640 } }), RangeError, 'received 640 (0o1200); for octal 640, write 0o640 or \'0640\'');
  });

  it.each([['rw-r-----', "'rw-r-----'"], ['0x1a4', "'0x1a4'"], ['1777', "'1777'"], [null, 'null'], [true, 'true']])('mode %o: a TypeError', (mode, received) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', mode } }), TypeError, 'options.file.mode must be a mode from 0o000 to 0o777', `received ${received}`);
  });

  it.each([[0o600, '0o600'], [0o077, '0o77'], [0o1777, '0o1777']])('dirMode %o: a RangeError (the owner needs write and search)', (dirMode, octal) => {
    expectOptionError(() => sinkOf({ dirMode }), RangeError, 'options.sinks[0].dirMode must be a mode from 0o000 to 0o777 that lets the owner write and search (0o300)', `(${octal})`);
  });

  it.each([['yes', "'yes'"], [1, '1'], [null, 'null']])('noFollow %o: a TypeError', (noFollow, received) => {
    expectOptionError(() => resolveOptions({ file: { path: 'a.log', noFollow } }), TypeError, 'options.file.noFollow must be true or false', `received ${received}`);
    expectOptionError(() => sinkOf({ noFollow }), TypeError, 'options.sinks[0].noFollow must be true or false');
  });
});

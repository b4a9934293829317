/**
 * The declarative configuration (src/config/outputs.ts, src/config-file.ts): sinks, formatters and
 * loggers, given as an object or as a JSON file. Every wrong key or value is refused with a
 * message that starts with its path; what is accepted resolves to frozen, structured-cloneable
 * data: the sinks, the formatters they use (each once) and the route table.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend } from '../../dist/src/index.js';
import { LEVELS, SILENT } from '../../src/core/levels.js';
import { resolveOptions } from '../../src/config/options.js';
import { ErrorCode } from '../../src/core/errors.js';
import { effectiveLevel, sinksFor } from '../../src/core/routes.js';
import { tempDir } from '../support/log-files.js';
import { thrown } from '../support/option-errors.js';

type Kind = typeof TypeError | typeof RangeError;

/** The Python logging cookbook's multiprocessing configuration, as ringlog options. */
const cookbook = {
  level: 'debug',
  formatters: {
    detailed: { type: 'text', template: '%(asctime)s %(name)-15s %(levelname)-8s %(threadName)-10s %(message)s', style: '%' },
    simple: { type: 'text', template: '%(name)-15s %(levelname)-8s %(threadName)-10s %(message)s', style: '%' },
    unused: { type: 'json' },
  },
  sinks: [
    { name: 'console', type: 'stdout', level: 'info', formatter: 'simple' },
    { name: 'file', type: 'file', path: 'logs/mplog.log', formatter: 'detailed', rotate: { maxSize: '10MB', maxFiles: 5 } },
    { name: 'foofile', type: 'file', path: 'logs/mplog-foo.log', loggers: ['foo'], formatter: 'detailed' },
    { name: 'errors', type: 'file', path: 'logs/mplog-errors.log', level: 'error', formatter: 'detailed', fsync: true },
  ],
  loggers: { 'foo.noisy': { level: 'warn', propagate: false } },
} as const;

const file = (path: string, extra: object = {}) => ({ type: 'file', path, ...extra });

// [what, options, class, the message from its start (after 'ringlog: '), more parts]
const refused: [string, unknown, Kind, string, ...string[]][] = [
  ['an unknown top-level key', { handlers: [] }, TypeError, 'options.handlers is not a known option; known: bufferSize, lanes, file, level, onFull, maxRecordSize, closeTimeoutMs, formatters, sinks, loggers'],
  ['file with sinks', { file: 'a.log', sinks: [{ type: 'stdout' }] }, TypeError, 'options.file cannot be combined with options.sinks', "{ type: 'file', path"],
  ['sinks not an array', { sinks: { console: { type: 'stdout' } } }, TypeError, 'options.sinks must be an array of sinks', 'received { console:'],
  ['no sinks', { sinks: [] }, TypeError, 'options.sinks must hold at least one sink', "options.level to 'silent'"],
  ['a sink that is not an object', { sinks: ['stdout'] }, TypeError, "options.sinks[0] must be an object { type: 'stdout' | 'stderr' | 'file' | 'forward' | 'syslog' | 'otlp', ... }; received 'stdout'"],
  ['a sink without type', { sinks: [{ path: 'a.log' }] }, TypeError, "options.sinks[0].type must be 'stdout', 'stderr', 'file', 'forward', 'syslog' or 'otlp'; received undefined"],
  ['an unknown sink type', { sinks: [{ type: 'stdout' }, { type: 'gelf' }] }, TypeError, "options.sinks[1].type must be 'stdout', 'stderr', 'file', 'forward', 'syslog' or 'otlp'; received 'gelf'"],
  ['a file key on a stdout sink', { sinks: [{ type: 'stdout', path: 'a.log' }] }, TypeError, 'options.sinks[0].path is not a known option; known: name, type, level, formatter, loggers'],
  ['an unknown sink key', { sinks: [file('a.log', { maxSize: '1MiB' })] }, TypeError, 'options.sinks[0].maxSize is not a known option; known: name, type, path, rotate, fsync, level, formatter, loggers'],
  ['a file sink without path', { sinks: [{ type: 'file' }] }, TypeError, 'options.sinks[0].path must be a non-empty path string without NUL characters; received undefined'],
  ['rotate.maxFiles -1', { sinks: [{ type: 'stdout' }, file('a.log'), file('b.log', { rotate: { maxSize: '1MiB', maxFiles: -1 } })] }, RangeError, 'options.sinks[2].rotate.maxFiles must be an integer from 0 to 100000 (0 keeps no rotated file); received -1'],
  ['rotate.maxFiles not a number', { sinks: [file('a.log', { rotate: { maxSize: '1MiB', maxFiles: '5' } })] }, TypeError, "options.sinks[0].rotate.maxFiles must be an integer from 0 to 100000 (0 keeps no rotated file); received '5'"],
  ['rotate without a size or an interval', { sinks: [file('a.log', { rotate: { maxFiles: 3 } })] }, TypeError, 'options.sinks[0].rotate must give maxSize, interval or both'],
  ['rotate.maxSize too small', { sinks: [file('a.log', { rotate: { maxSize: '1B' } })] }, RangeError, 'options.sinks[0].rotate.maxSize must be a byte size from 1024 to 9007199254740991 bytes', "received '1B' (1 bytes)"],
  ['rotate.maxSize malformed', { sinks: [file('a.log', { rotate: { maxSize: '10 parsecs' } })] }, TypeError, 'options.sinks[0].rotate.maxSize must be a byte size'],
  ['an unknown rotate key', { sinks: [file('a.log', { rotate: { when: 'midnight' } })] }, TypeError, 'options.sinks[0].rotate.when is not a known option; known: maxSize, interval, utc, pattern, maxFiles, maxTotalSize, compress'],
  ['rotate not an object', { sinks: [file('a.log', { rotate: true })] }, TypeError, 'options.sinks[0].rotate must be an object { maxSize?, interval?, utc?, pattern?, maxFiles?, maxTotalSize?, compress? }; received true'],
  ['fsync a string', { sinks: [file('a.log', { fsync: 'always' })] }, TypeError, "options.sinks[0].fsync must be true, false or an interval in ms from 1 to 2147483647; received 'always'"],
  ['fsync 0', { sinks: [file('a.log', { fsync: 0 })] }, RangeError, 'options.sinks[0].fsync (an interval in ms) must be an integer from 1 to 2147483647; received 0'],
  ['a sink level', { sinks: [{ type: 'stdout', level: 'INFO' }] }, TypeError, "options.sinks[0].level must be one of trace, debug, info, warn, error, fatal or silent; received 'INFO'"],
  ['an unknown formatter', { formatters: cookbook.formatters, sinks: [{ type: 'stdout' }, file('a.log', { formatter: 'detaled' })] }, TypeError,
    "options.sinks[1].formatter: no formatter named 'detaled'; formatters are: detailed, simple, unused, and the built-in json, text"],
  ['an unknown formatter, none defined', { sinks: [{ type: 'stdout', formatter: 'brief' }] }, TypeError, "options.sinks[0].formatter: no formatter named 'brief'; formatters are: the built-in json, text"],
  ['a formatter that is not a name', { sinks: [{ type: 'stdout', formatter: { type: 'text' } }] }, TypeError, "options.sinks[0].formatter must be the name of a formatter (a key of options.formatters, or the built-in 'json' or 'text'); received { type: 'text' }"],
  ['loggers not an array', { sinks: [{ type: 'stdout', loggers: 'foo' }] }, TypeError, "options.sinks[0].loggers must be an array of logger names, such as ['db', 'http.client']; received 'foo'"],
  ['loggers empty', { sinks: [{ type: 'stdout', loggers: [] }] }, TypeError, 'options.sinks[0].loggers must name at least one logger; leave it out for a root sink'],
  ['an empty logger name', { sinks: [{ type: 'stdout', loggers: ['foo', ''] }] }, TypeError, "options.sinks[0].loggers[1] must be a logger name, a non-empty string of at most 256 characters such as 'db' or 'http.client'; received ''"],
  ['a logger name too long', { sinks: [{ type: 'stdout', loggers: ['x'.repeat(257)] }] }, RangeError, 'options.sinks[0].loggers[0] must be a logger name', 'received a string of 257'],
  ['a duplicate sink name', { sinks: [{ name: 'out', type: 'stdout' }, { name: 'out', type: 'stderr' }] }, TypeError, "options.sinks[1].name: 'out' is already the name of options.sinks[0]; sink names must be unique"],
  ['an empty sink name', { sinks: [{ name: '', type: 'stdout' }] }, TypeError, "options.sinks[0].name must be a non-empty string; received ''"],
  ['one file for two sinks', { sinks: [file('logs/a.log', { name: 'a' }), file('logs/../logs/a.log')] }, TypeError,
    `options.sinks[1].path: ${resolve('logs/a.log')} is already written by options.sinks[0] ('a'); a file can have only one sink`],
  ['a file among the rotated files of another', { sinks: [file('a.log', { rotate: { maxSize: '1MiB', maxFiles: 3 } }), file('a.log.2')] }, TypeError,
    `options.sinks[1].path: ${resolve('a.log.2')} is one of the rotated files of ${resolve('a.log')}, written by options.sinks[0]; use another file name`],
  ['a file whose rotated files would overwrite another', { sinks: [file('a.log.1'), file('a.log', { rotate: { maxSize: '1MiB' } })] }, TypeError,
    `options.sinks[1].path: ${resolve('a.log.1')} is one of the rotated files of ${resolve('a.log')}, written by this sink`],
  ['formatters not an object', { formatters: [{ type: 'json' }] }, TypeError, 'options.formatters must be an object of named formatters'],
  ['a formatter that is not an object', { formatters: { brief: 'text' } }, TypeError, "options.formatters.brief must be an object { type: 'json' | 'text' | 'module', ... }; received 'text'"],
  ['a formatter without type', { formatters: { brief: { template: '{message}' } } }, TypeError, "options.formatters.brief.type must be 'json', 'text' or 'module'; received undefined"],
  ['an unknown formatter type', { formatters: { 'my.fmt': { type: 'yaml' } } }, TypeError, "options.formatters['my.fmt'].type must be 'json', 'text' or 'module'; received 'yaml'"],
  ['a key a json formatter does not take', { formatters: { plain: { type: 'json', indent: 2 } } }, TypeError, 'options.formatters.plain.indent is not a known option; known: type'],
  ['a text template that does not parse', { formatters: { detailed: { type: 'text', template: '%(asctime)s %(name', style: '%' } } }, TypeError, 'options.formatters.detailed.template: '],
  ['a text key Python spells differently', { formatters: { detailed: { type: 'text', format: '%(message)s' } } }, TypeError, 'options.formatters.detailed.format is not a known option; known: preset, template'],
  ['a text preset', { formatters: { brief: { type: 'text', preset: 'short' } } }, TypeError, "options.formatters.brief.preset must be 'default' or 'basic'; received 'short'"],
  ['a module formatter without module', { formatters: { mine: { type: 'module' } } }, TypeError, 'options.formatters.mine.module must be a module path, file: URL or package name'],
  ['module options that cannot cross threads', { formatters: { mine: { type: 'module', module: './f.js', options: { f() {} } } } }, TypeError, 'options.formatters.mine.options must be structured-cloneable data'],
  ['an unknown module formatter key', { formatters: { mine: { type: 'module', module: './f.js', opts: {} } } }, TypeError, 'options.formatters.mine.opts is not a known option; known: type, module, options'],
  ['loggers not an object', { loggers: [{ name: 'foo' }] }, TypeError, 'options.loggers must be an object of logger names'],
  ['a logger setting that is not an object', { loggers: { foo: 'warn' } }, TypeError, "options.loggers.foo must be an object { level?, propagate? }; received 'warn'"],
  ['a logger level', { loggers: { 'foo.noisy': { level: 'loud' } } }, TypeError, "options.loggers['foo.noisy'].level must be one of trace, debug, info, warn, error, fatal or silent; received 'loud'"],
  ['a logger propagate', { loggers: { foo: { propagate: 'no' } } }, TypeError, "options.loggers.foo.propagate must be true or false; received 'no'"],
  ['a logger key of Python', { loggers: { foo: { handlers: ['foofile'] } } }, TypeError, 'options.loggers.foo.handlers is not a known option; known: level, propagate'],
  ['the root logger among the loggers', { loggers: { '': { level: 'debug' } } }, TypeError, "options.loggers['']: the root logger has no name; its level is options.level"],
  ['a logger name too long', { loggers: { ['y'.repeat(300)]: {} } }, RangeError, 'options.loggers[', 'received a string of 300'],
];

describe('refused, naming the path first', () => {
  it.each(refused)('%s', (_what, options, kind, start, ...parts) => {
    const error = thrown(() => resolveOptions(options));
    expect(error).toBeInstanceOf(kind);
    expect(error.code).toBe(ErrorCode.OPTION);
    expect(error.message.startsWith(`ringlog: ${start}`)).toBe(true);
    for (const part of parts) expect(error.message).toContain(part);
  });
});

describe('resolved', () => {
  it('the cookbook: each sink with its kind, file, level, loggers and formatter; the formatters used, each once; the route table', () => {
    const resolved = resolveOptions(cookbook);
    expect(resolved.formats).toEqual([
      { type: 'text', text: expect.objectContaining({ template: cookbook.formatters.simple.template, style: '%' }) },
      { type: 'text', text: expect.objectContaining({ template: cookbook.formatters.detailed.template, style: '%' }) },
    ]);
    expect(resolved.sinks).toEqual([
      { name: 'console', kind: 'stdout', file: undefined, level: LEVELS.info, loggers: [], formatter: 'simple', format: 0 },
      {
        name: 'file',
        kind: 'file',
        file: {
          path: resolve('logs/mplog.log'),
          maxFileBytes: 10 * 1024 * 1024,
          maxFiles: 5,
          fsyncMs: undefined,
          rotate: expect.objectContaining({ maxFileBytes: 10 * 1024 * 1024, maxFiles: 5, interval: undefined }),
        },
        level: 0,
        loggers: [],
        formatter: 'detailed',
        format: 1,
      },
      { name: 'foofile', kind: 'file', file: { path: resolve('logs/mplog-foo.log'), maxFileBytes: undefined, maxFiles: 5, fsyncMs: undefined }, level: 0, loggers: ['foo'], formatter: 'detailed', format: 1 },
      { name: 'errors', kind: 'file', file: { path: resolve('logs/mplog-errors.log'), maxFileBytes: undefined, maxFiles: 5, fsyncMs: 0 }, level: LEVELS.error, loggers: [], formatter: 'detailed', format: 1 },
    ]);
    expect(resolved.routes).toEqual({
      level: LEVELS.debug,
      sinks: [
        { level: LEVELS.info, loggers: [] },
        { level: 0, loggers: [] },
        { level: 0, loggers: ['foo'] },
        { level: LEVELS.error, loggers: [] },
      ],
      loggers: { 'foo.noisy': { level: LEVELS.warn, propagate: false } },
    });
    expect(sinksFor(resolved.routes, 'foo.bar')).toEqual([2, 0, 1, 3]);
    expect(sinksFor(resolved.routes, 'foo.noisy.deep')).toEqual([]);
  });

  it('is deeply frozen and survives a structured clone unchanged (it crosses to the consumer thread and into the handle)', () => {
    const resolved = resolveOptions(cookbook);
    const frozen = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      expect(Object.isFrozen(value)).toBe(true);
      for (const inner of Object.values(value)) frozen(inner);
    };
    frozen(resolved);
    expect(structuredClone(resolved)).toEqual(resolved);
  });

  it('a sink without formatter writes JSON; the built-in text needs no definition; a formatter named json replaces the built-in', () => {
    expect(resolveOptions({ sinks: [{ type: 'stderr' }, { type: 'stdout', formatter: 'text' }] }).formats).toEqual([
      { type: 'json' },
      { type: 'text', text: expect.objectContaining({ template: '{asctime} {levelname:<8} {name}: {message}' }) },
    ]);
    const mine = resolveOptions({ formatters: { json: { type: 'text', preset: 'basic' } }, sinks: [{ type: 'stdout' }] });
    expect(mine.formats).toEqual([{ type: 'text', text: expect.objectContaining({ template: '%(levelname)s:%(name)s:%(message)s' }) }]);
  });

  it('a module formatter: its path made a file: URL against the working directory, its options copied', () => {
    const options = { prefix: '> ', nested: [1, 2] };
    const resolved = resolveOptions({ formatters: { mine: { type: 'module', module: './my-format.js', options } }, sinks: [{ type: 'stdout', formatter: 'mine' }] });
    expect(resolved.formats).toEqual([{ type: 'module', module: pathToFileURL(resolve('my-format.js')).href, options, option: 'options.formatters.mine.module' }]);
    options.nested.push(3);
    expect(resolved.formats[0]).toMatchObject({ options: { nested: [1, 2] } });
  });

  it('without sinks: one root JSON sink, to the file or to stdout; loggers work with the shorthand too', () => {
    const resolved = resolveOptions({ file: 'app.log', loggers: { db: { level: 'warn' } } });
    expect(resolved.sinks).toEqual([expect.objectContaining({ kind: 'file', level: 0, loggers: [], format: 0, file: expect.objectContaining({ path: resolve('app.log') }) })]);
    expect(effectiveLevel(resolved.routes, 'db.pool')).toBe(LEVELS.warn);
    expect(resolveOptions({}).sinks).toEqual([expect.objectContaining({ kind: 'stdout', level: 0 })]);
  });

  it('a silent sink level, and loggers named like Object.prototype members, are plain data', () => {
    const resolved = structuredClone(
      resolveOptions({ sinks: [{ type: 'stdout', level: 'silent' }], loggers: { constructor: { level: 'error' }, ['__proto__']: { propagate: false } } }),
    );
    expect(resolved.sinks[0]?.level).toBe(SILENT);
    expect(effectiveLevel(resolved.routes, 'constructor.x')).toBe(LEVELS.error);
    expect(effectiveLevel(resolved.routes, 'toString')).toBe(LEVELS.info);
    expect(sinksFor(resolved.routes, '__proto__')).toEqual([]);
    expect(sinksFor(resolved.routes, 'hasOwnProperty')).toEqual([0]);
  });
});

describe('as a JSON file', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
    try {
      await promise;
    } catch (error) {
      return error as Error & { code?: unknown };
    }
    throw new Error('expected a rejection');
  }

  it('is read and resolved like the object, by path or file: URL', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = join(dir, 'ringlog.json');
    writeFileSync(
      config,
      JSON.stringify({
        level: 'debug',
        formatters: { brief: { type: 'text', preset: 'basic' } },
        sinks: [
          { name: 'all', type: 'file', path: join(dir, 'all.log'), formatter: 'brief' },
          { name: 'db', type: 'file', path: join(dir, 'db.log'), loggers: ['db'] },
        ],
      }),
    );
    for (const source of [config, pathToFileURL(config)]) {
      const backend = await createLogBackend(source);
      backend.logger('db.pool').debug('connected');
      backend.logger('http').info('listening');
      const stats = await backend.close();
      expect(stats).toMatchObject({ recordsWritten: 3, recordsDropped: 0 });
    }
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'all.log'), 'utf8')).toBe('DEBUG:db.pool:connected\nINFO:http:listening\n'.repeat(2));
    expect(readFileSync(join(dir, 'db.log'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).msg)).toEqual(['connected', 'connected']);
  });

  it('a bad value is refused with the file and then the option path', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = join(dir, 'ringlog.json');
    writeFileSync(config, JSON.stringify({ sinks: [{ type: 'stdout' }, { type: 'stderr' }, { type: 'file', path: 'x.log', rotate: { maxSize: '1MiB', maxFiles: -1 } }] }));
    const error = await rejection(createLogBackend(config));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.code).toBe(ErrorCode.OPTION);
    expect(error.message).toBe(`ringlog: ${config}: options.sinks[2].rotate.maxFiles must be an integer from 0 to 100000 (0 keeps no rotated file); received -1`);
    expect(error.stack).toContain(error.message);
  });

  it('a JSON syntax error names the file, the line and the column', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = join(dir, 'broken.json');
    writeFileSync(config, '{\n  "level": "debug",\n  "sinks": [{ "type": "stdout" }],,\n}\n');
    const error = await rejection(createLogBackend(config));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe(ErrorCode.OPTION);
    expect(error.message).toMatch(new RegExp(`^ringlog: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: .*\\(line 3, column 35\\)$`));
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(SyntaxError);
  });

  it('a file that cannot be read is named, with the fs error', async () => {
    const error = await rejection(createLogBackend('/nonexistent/ringlog.json'));
    expect(error.code).toBe(ErrorCode.OPTION);
    expect(error.message).toMatch(/^ringlog: cannot read the configuration file \/nonexistent\/ringlog\.json: ENOENT/);
  });

  it.each<[string | URL, string]>([
    ['app.log', "options must be an object or undefined, or the path or file: URL of a JSON configuration file (ending in .json); received 'app.log'; for a log file, use { file: 'app.log' }"],
    [new URL('https://example.com/ringlog.json'), "received the URL 'https://example.com/ringlog.json'"],
  ])('%s is not taken for a configuration file', async (source, message) => {
    const error = await rejection(createLogBackend(source));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe(ErrorCode.OPTION);
    expect(error.message).toContain(message);
  });
});

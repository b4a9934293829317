import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  loadFormatterModule,
  resolveFormatterSpecifier,
  withFallback,
} from '../../../../src/consumer/format/formatter-module.js';
import { createJsonFormatter } from '../../../../src/line/json-format.js';
import { ErrorCode, FormatterError } from '../../../../src/core/errors.js';
import type { LogRecord } from '../../../../src/record/log-record.js';

// The fixtures are TypeScript, compiled by `npm run build` next to the rest of dist/.
const fixtureUrl = (name: string): string => new URL(`../../../../dist/test/fixtures/formatters/${name}.js`, import.meta.url).href;
const fixturePath = (name: string): string => fileURLToPath(fixtureUrl(name));

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: 1700000000000, level: 30, threadId: 1, name: undefined, bindings: undefined, msg: 'hello', args: [], fields: undefined, ...overrides };
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  expect.unreachable('expected a rejection');
}

describe('resolveFormatterSpecifier', () => {
  it('turns paths into file: URLs, relative ones against the working directory', () => {
    expect(resolveFormatterSpecifier('/opt/app/fmt.js', 'f')).toBe(pathToFileURL('/opt/app/fmt.js').href);
    expect(resolveFormatterSpecifier('./fmt.js', 'f')).toBe(pathToFileURL(`${process.cwd()}/fmt.js`).href);
    expect(resolveFormatterSpecifier('../fmt.js', 'f')).toBe(pathToFileURL(`${process.cwd()}/../fmt.js`).href);
  });

  it('keeps file: URLs and package names as they are', () => {
    expect(resolveFormatterSpecifier('file:///opt/app/fmt.js', 'f')).toBe('file:///opt/app/fmt.js');
    expect(resolveFormatterSpecifier('@acme/log-format', 'f')).toBe('@acme/log-format');
    expect(resolveFormatterSpecifier('fmt.js', 'f')).toBe('fmt.js');
  });

  it.each<[unknown, string]>([
    ['', "ringlog: formatters.custom.module must be a module path, file: URL or package name (a non-empty string without NUL); received ''"],
    [42, 'ringlog: formatters.custom.module must be a module path, file: URL or package name (a non-empty string without NUL); received 42'],
    ['./a\0.js', "received './a\\x00.js'"],
    ['file://[bad', "ringlog: formatters.custom.module is not a valid file: URL; received 'file://[bad'"],
  ])('rejects %o', (specifier, message) => {
    expect(() => resolveFormatterSpecifier(specifier, 'formatters.custom.module')).toThrow(TypeError);
    try {
      resolveFormatterSpecifier(specifier, 'formatters.custom.module');
    } catch (error) {
      expect((error as Error).message).toContain(message);
      expect((error as Error & { code: string }).code).toBe(ErrorCode.OPTION);
    }
  });
});

describe('loadFormatterModule', () => {
  it('takes the default export, and appends the line feed it leaves out', async () => {
    const format = await loadFormatterModule(fixtureUrl('default-function'), 'f');
    expect(format(record({ level: 40, msg: 'careful' }))).toBe('40 careful\n');
  });

  it('takes the named export format, keeping its own line feed', async () => {
    const format = await loadFormatterModule(fixtureUrl('named-format'), 'f');
    expect(format(record())).toBe('named hello\n');
  });

  it('prefers default over format', async () => {
    const format = await loadFormatterModule(fixtureUrl('default-and-format'), 'f');
    expect(format(record())).toBe('default hello\n');
  });

  it('calls create(options) once and uses what it returns, before any default export', async () => {
    const format = await loadFormatterModule(fixtureUrl('factory'), 'f', { prefix: '> ' });
    expect(format(record())).toBe('> hello\n');
    expect(format(record({ msg: 'again' }))).toBe('> again\n');
  });

  it('awaits an async create', async () => {
    expect((await loadFormatterModule(fixtureUrl('async-factory'), 'f'))(record())).toBe('hello!\n');
    expect((await loadFormatterModule(fixtureUrl('async-factory'), 'f', { suffix: '?' }))(record())).toBe('hello?\n');
  });

  it('loads from an absolute path, a relative path and a file: URL alike', async () => {
    const relativePath = `./${relative(process.cwd(), fixturePath('default-function'))}`;
    for (const specifier of [fixturePath('default-function'), relativePath, fixtureUrl('default-function')]) {
      expect((await loadFormatterModule(specifier, 'f'))(record())).toBe('30 hello\n');
    }
  });

  describe('rejects a module it cannot use, naming the option and the specifier', () => {
    it.each<[string, unknown, typeof Error, RegExp]>([
      ['does-not-exist', undefined, TypeError, /^ringlog: formatters\.custom: formatter module '.*does-not-exist\.js' \(file:.*\) was not found: Error: Cannot find module/],
      ['imports-missing', undefined, TypeError, /^ringlog: formatters\.custom: formatter module '.*imports-missing\.js' .* was not found: .*does-not-exist\.js/],
      ['throws-at-import', undefined, Error, /^ringlog: formatters\.custom: formatter module '.*throws-at-import\.js' .* failed to load: Error: broken at import$/],
      ['not-a-function', undefined, TypeError, /^ringlog: formatters\.custom: the export 'default' of formatter module '.*not-a-function\.js' .* must be a function \(record\) => string; received 42$/],
      ['no-formatter', undefined, TypeError, /^ringlog: formatters\.custom: formatter module '.*no-formatter\.js' .* has no formatter: export default function \(record\) \{ \.\.\. \}, export function format\(record\), or export function create\(options\); it exports helper, other$/],
      ['create-not-a-function', undefined, TypeError, /^ringlog: formatters\.custom: the export 'create' of '.*' .* must be a function create\(options\) returning a formatter; received \{ not: 'a function' \}$/],
      ['create-returns-object', undefined, TypeError, /^ringlog: formatters\.custom: create\(\) of formatter module '.*' .* must return a function \(record\) => string; returned \{ format: 'no' \}$/],
      ['factory', { prefix: 1 }, Error, /^ringlog: formatters\.custom: create\(\) of formatter module '.*factory\.js' .* threw: TypeError: prefix must be a string$/],
      ['default-function', { any: 1 }, TypeError, /^ringlog: formatters\.custom: options are given, but formatter module '.*' .* exports no create\(options\) to take them$/],
    ])('%s', async (name, options, Kind, message) => {
      const error = await rejection(loadFormatterModule(fixturePath(name), 'formatters.custom', options));
      expect(error).toBeInstanceOf(Kind);
      if (Kind === Error) expect(error).not.toBeInstanceOf(TypeError);
      expect(error.message).toMatch(message);
      expect(error.code).toBe(ErrorCode.OPTION);
    });

    it('keeps the error of a module or factory that throws as the cause', async () => {
      const atImport = await rejection(loadFormatterModule(fixturePath('throws-at-import'), 'f'));
      expect((atImport.cause as Error).message).toBe('broken at import');
      const inCreate = await rejection(loadFormatterModule(fixturePath('factory'), 'f', {}));
      expect(inCreate.cause).toBeInstanceOf(TypeError);
    });

    it('names a package that is not installed', async () => {
      const error = await rejection(loadFormatterModule('ringlog-no-such-formatter-package', 'formatters.custom'));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^ringlog: formatters\.custom: formatter module 'ringlog-no-such-formatter-package' was not found: /);
    });

    it('rejects a bad specifier before importing anything', async () => {
      const error = await rejection(loadFormatterModule('', 'formatters.custom'));
      expect(error.message).toMatch(/^ringlog: formatters\.custom must be a module path/);
    });
  });
});

describe('a loaded formatter that fails on a record', () => {
  const load = (): Promise<(record: LogRecord) => string> => loadFormatterModule(fixtureUrl('misbehaving'), 'f');

  it('works for the records it can format', async () => {
    expect((await load())(record())).toBe('ok hello\n');
  });

  it.each<[string, RegExp, unknown]>([
    ['throw', /^ringlog: formatter '.*misbehaving\.js' threw: RangeError: cannot format this$/, undefined],
    ['throw-string', /threw: 'a string'$/, undefined],
    ['number', /returned 42 instead of a string$/, 42],
    ['undefined', /returned undefined instead of a string$/, undefined],
  ])('%s: throws a FormatterError saying what happened', async (msg, message, returned) => {
    const format = await load();
    let error: unknown;
    try {
      format(record({ msg }));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(FormatterError);
    expect((error as FormatterError).code).toBe(ErrorCode.FORMATTER);
    expect((error as FormatterError).message).toMatch(message);
    expect((error as FormatterError).returned).toBe(returned);
  });

  it('keeps what the formatter threw as the cause', async () => {
    const format = await load();
    expect(() => format(record({ msg: 'throw' }))).toThrow(expect.objectContaining({ cause: expect.any(RangeError) }));
  });

  it('refuses a promise, and handles its rejection so the thread does not die of it', async () => {
    const format = await load();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      expect(() => format(record({ msg: 'promise' }))).toThrow(/returned a promise; formatters must return a string synchronously/);
      expect(() => format(record({ msg: 'rejected' }))).toThrow(FormatterError);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('withFallback', () => {
  const json = createJsonFormatter({ pid: 1, hostname: 'h' });

  it('renders a record the custom formatter fails on with the fallback, and reports the failure', async () => {
    const failures: [FormatterError, LogRecord][] = [];
    const format = withFallback(await loadFormatterModule(fixtureUrl('misbehaving'), 'f'), json, (error, r) => failures.push([error, r]));
    expect(format(record())).toBe('ok hello\n');
    const failing = record({ msg: 'number' });
    expect(format(failing)).toBe(json(failing));
    expect(failures).toHaveLength(1);
    expect(failures[0]![0]).toBeInstanceOf(FormatterError);
    expect(failures[0]![1]).toBe(failing);
  });

  it('lets other errors through: they are ringlog bugs, not the formatter', () => {
    const format = withFallback(
      () => {
        throw new TypeError('not a formatter failure');
      },
      json,
      () => expect.unreachable(),
    );
    expect(() => format(record())).toThrow('not a formatter failure');
  });
});

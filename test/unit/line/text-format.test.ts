import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { appendJsonValue } from '../../../src/line/json-values.js';
import { BASIC_FORMAT, DEFAULT_TEMPLATE, resolveTextFormat, type TextFormatOptions } from '../../../src/config/text-format-options.js';
import { CONTINUATION, createTextFormatter, MAX_ERROR_DEPTH } from '../../../src/line/text-format.js';
import { ErrorCode } from '../../../src/core/errors.js';
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../../../src/record/log-record.js';

/** A decoded object: null prototype, as the codec makes them. */
function obj(entries: Record<string, Value> | readonly (readonly [string, Value])[]): ObjectValue {
  const out = Object.create(null) as ObjectValue;
  for (const [key, value] of Array.isArray(entries) ? entries : Object.entries(entries)) out[key] = value;
  return out;
}

// 2023-11-14T22:13:20.123Z
const T = 1700000000123;

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: T, level: 30, threadId: 1, name: 'worker', bindings: undefined, msg: 'hello', args: [], fields: undefined, ...overrides };
}

const context = { pid: 123, hostname: 'h' };

/** A formatter; UTC unless the test says otherwise, so expectations hold in every TZ. */
function formatter(options: TextFormatOptions = {}): (record: LogRecord) => string {
  return createTextFormatter(resolveTextFormat({ utc: true, ...options }, 'format'), context);
}

/** The first line of `template` (style '{') for a record, without extras. */
function first(template: string, overrides: Partial<LogRecord> = {}, options: TextFormatOptions = {}): string {
  return formatter({ template, extras: 'none', ...options })(record(overrides)).split('\n')[0]!;
}

function error(type: string, message: string, stack?: string, fields?: ObjectValue, cause?: Value): ErrorValue {
  return new ErrorValue(type, message, stack, fields, cause);
}

describe('createTextFormatter: layout', () => {
  it('writes the default template: time, level padded to 8, name, message, then the extras', () => {
    const line = formatter()(record({ bindings: obj({ requestId: 'r-1' }), fields: obj({ jobId: 7, ms: 12.5 }), msg: 'job done' }));
    expect(line).toBe('2023-11-14 22:13:20,123 INFO     worker: job done {"requestId":"r-1","jobId":7,"ms":12.5}\n');
    expect(DEFAULT_TEMPLATE).toBe('{asctime} {levelname:<8} {name}: {message}');
  });

  it("writes Python's BASIC_FORMAT with preset 'basic'", () => {
    expect(BASIC_FORMAT).toBe('%(levelname)s:%(name)s:%(message)s');
    expect(formatter({ preset: 'basic' })(record({ level: 40 }))).toBe('WARNING:worker:hello\n');
    expect(formatter({ template: BASIC_FORMAT, style: '%' })(record({ name: undefined }))).toBe('INFO:root:hello\n');
  });

  it("writes preset 'default' as no options do", () => {
    expect(formatter({ preset: 'default' })(record())).toBe(formatter()(record()));
  });

  it('ends every record with exactly one line feed', () => {
    expect(formatter({ template: '{message}' })(record({ msg: '' }))).toBe('\n');
  });
});

describe('createTextFormatter: fields', () => {
  it.each<[string, Partial<LogRecord>, string]>([
    ['{asctime}', {}, '2023-11-14 22:13:20,123'],
    ['{created}', {}, '1700000000.123'],
    ['{msecs}', {}, '123'],
    ['{msecs}', { time: T - 123 + 7 }, '7'],
    ['{msecs}', { time: -1 }, '999'],
    ['{time}', {}, '1700000000123'],
    ['{levelno}', {}, '30'],
    ['{name}', {}, 'worker'],
    ['{name}', { name: undefined }, 'root'],
    ['{thread}', { threadId: 7 }, '7'],
    ['{threadName}', { threadId: 0 }, 'MainThread'],
    ['{threadName}', { threadId: 7 }, 'Thread-7'],
    ['{process} {pid}', {}, '123 123'],
    ['{hostname}', {}, 'h'],
    ['{message}', { msg: 'processed %d items in %s', args: [42, 'batch-7'] }, 'processed 42 items in batch-7'],
    ['{msg}', { msg: 'processed %d items', args: [42] }, 'processed 42 items'],
    ['[{message}]', { msg: undefined }, '[]'],
    ['[{message}]', { msg: undefined, args: [1, 'a'] }, '[1 a]'],
    ['{message}', { msg: undefined, fields: obj({ err: error('Error', 'boom', 'Error: boom') }) }, 'boom'],
    ['{message}', { msg: 'given', fields: obj({ err: error('Error', 'boom', 'Error: boom') }) }, 'given'],
  ])('%s of %o is %j', (template, overrides, expected) => {
    expect(first(template, overrides)).toBe(expected);
  });

  it.each<[number, string, string]>([
    [10, 'TRACE', 'trace'],
    [20, 'DEBUG', 'debug'],
    [30, 'INFO', 'info'],
    [40, 'WARNING', 'warn'],
    [50, 'ERROR', 'error'],
    [60, 'CRITICAL', 'fatal'],
    [35, 'Level 35', '35'],
  ])('level %d: levelname %s, level %s', (level, levelname, label) => {
    expect(first('{levelname}|{level}|{levelno}', { level })).toBe(`${levelname}|${label}|${level}`);
  });

  it('takes the message from the same rule as the JSON line', () => {
    const json = createJsonFormatter(context);
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.array(fc.oneof(fc.string(), fc.integer())), (msg, args) => {
        const r = record({ msg, args });
        const parsed = JSON.parse(json(r)) as { msg?: string };
        expect(first('{message}', r)).toBe(parsed.msg === undefined ? '' : escapeLikeText(parsed.msg));
      }),
    );
  });

  describe('keys', () => {
    it('reads bindings and fields by key, fields winning', () => {
      const r = { bindings: obj({ a: 'binding', b: 'only-binding' }), fields: obj({ a: 'field', c: 3 }) };
      expect(first('{a} {b} {c}', r)).toBe('field only-binding 3');
    });

    it("writes '-' for a key the record does not have, or the 'missing' option", () => {
      expect(first('[{requestId}]')).toBe('[-]');
      expect(first('[{requestId}]', {}, { missing: '' })).toBe('[]');
      expect(first('[{requestId:>5}]', {}, { missing: 'n/a' })).toBe('[  n/a]');
      expect(first('[{requestId}]', { fields: obj({ requestId: undefined }) })).toBe('[-]');
    });

    it('reads only own keys: Object.prototype names are missing, __proto__ is a key', () => {
      expect(first('{constructor} {toString} {__proto__}', { fields: obj([['__proto__', 'p']]) })).toBe('- - p');
      // A hand-made record with ordinary objects reads the same.
      expect(first('{constructor} {a}', { fields: { a: 1 } as ObjectValue })).toBe('- 1');
    });

    it('reads a dotted or odd key as written, without attribute access', () => {
      expect(first('{http.method} {a-b} {0}', { fields: obj({ 'http.method': 'GET', 'a-b': 1, '0': 'zero', http: obj({ method: 'POST' }) }) })).toBe('GET 1 zero');
    });

    it('writes values as text: JSON for objects and arrays, Type: message for errors', () => {
      const fields = obj({
        s: 'text',
        n: -1.5,
        z: -0,
        big: 12345678901234567890n,
        t: true,
        nil: null,
        arr: [1, 'a', null],
        o: obj({ k: obj({ v: 1n }) }),
        e: error('TypeError', 'bad', 'TypeError: bad\n    at x'),
        e2: error('', 'only message'),
        e3: error('RangeError', ''),
      });
      expect(first('{s}|{n}|{z}|{big}|{t}|{nil}|{arr}|{o}|{e}|{e2}|{e3}', { fields })).toBe(
        'text|-1.5|0|12345678901234567890|true|null|[1,"a",null]|{"k":{"v":1}}|TypeError: bad|only message|RangeError',
      );
    });

    it('reads built-in names as the built-in, not as a binding of that name', () => {
      expect(first('{name} {level} {message}', { fields: obj({ name: 'n', level: 'l', message: 'm' }) })).toBe('worker info hello');
    });
  });
});

describe("createTextFormatter: format specs, '{' style", () => {
  it.each<[string, Value, string]>([
    ['{v:<8}|', 'INFO', 'INFO    |'],
    ['{v:>8}|', 'INFO', '    INFO|'],
    ['{v:^9}|', 'INFO', '  INFO   |'],
    ['{v:*^9}|', 'INFO', '**INFO***|'],
    ['{v:8}|', 'INFO', 'INFO    |'],
    ['{v:8}|', 42, '      42|'],
    ['{v:<8}|', 42, '42      |'],
    ['{v:2}|', 'longer', 'longer|'],
    ['{v:.1}', 'INFO', 'I'],
    ['{v:5.2}|', 'INFO', 'IN   |'],
    ['{v:03d}', 7, '007'],
    ['{v:03d}', 1234, '1234'],
    ['{v:05d}', -5, '-0005'],
    ['{v:05}', -5, '-0005'],
    ['{v:<05}', 5, '50000'],
    ['{v:d}', 4.7, '4'],
    ['{v:d}', -4.7, '-4'],
    ['{v:d}', -0.5, '0'],
    ['{v:d}', 1e21, '1000000000000000000000'],
    ['{v:d}', 12n, '12'],
    ['{v:d}', NaN, 'nan'],
    ['{v:d}', -Infinity, '-inf'],
    ['{v:5d}', 'abc', 'abc  '],
    ['{v:f}', 1.5, '1.500000'],
    ['{v:.3f}', 1700000000.123, '1700000000.123'],
    ['{v:.0f}', 2.5, '3'],
    ['{v:08.2f}', -3.14159, '-0003.14'],
    ['{v:f}', Infinity, 'inf'],
    ['{v:.1f}', 3n, '3.0'],
    ['{v:f}', 'x', 'x'],
    ['{v:s}', 42, '42'],
    ['{v:.3}', 1234.5, '123'],
    ['{v!r}', 'a"b', '"a\\"b"'],
    ['{v!r}', 1n, '1'],
    ['{v!r:>6}', 'ab', '  "ab"'],
    ['{v!s}', 'ab', 'ab'],
    ['{v:😀>3}', 'a', '😀😀a'],
  ])('%s of %o is %j', (template, v, expected) => {
    expect(first(template, { fields: obj({ v }) })).toBe(expected);
  });

  it('formats the built-ins: {msecs:03d}, {created:.3f}, {levelname:.1}', () => {
    expect(first('{asctime}.{msecs:03d} {created:.3f} {levelname:.1}', { time: T - 120, level: 40 }, { datefmt: '%H:%M:%S' })).toBe('22:13:20.003 1700000000.003 W');
  });
});

describe("createTextFormatter: '%' style", () => {
  const percent = (template: string, overrides: Partial<LogRecord> = {}): string => first(template, overrides, { style: '%' });

  it.each<[string, Partial<LogRecord>, string]>([
    ['%(asctime)s', {}, '2023-11-14 22:13:20,123'],
    ['%(created)f', {}, '1700000000.123000'],
    ['%(created).3f', {}, '1700000000.123'],
    ['%(msecs)d', { time: T - 120 }, '3'],
    ['%(msecs)03d', { time: T - 120 }, '003'],
    ['%(levelname)s', { level: 60 }, 'CRITICAL'],
    ['%(levelname)-8s|', {}, 'INFO    |'],
    ['%(levelname)8s|', {}, '    INFO|'],
    ['%(levelname).1s', {}, 'I'],
    ['%(levelno)s %(levelno)d %(levelno)i %(levelno)u', { level: 20 }, '20 20 20 20'],
    ['%(levelno)5d|%(levelno)-5d|', {}, '   30|30   |'],
    ['%(name)s', { name: undefined }, 'root'],
    ['%(thread)d %(threadName)s', { threadId: 0 }, '0 MainThread'],
    ['%(process)d %(hostname)s', {}, '123 h'],
    ['%(message)s', { msg: 'n=%d', args: [5] }, 'n=5'],
    ['%(requestId)s', {}, '-'],
    ['%(requestId)5s', {}, '    -'],
    ['%(requestId)s', { bindings: obj({ requestId: 'r-1' }) }, 'r-1'],
    ['%(user)r', { fields: obj({ user: obj({ id: 1 }) }) }, '{"id":1}'],
    ['%(user)r', { fields: obj({ user: 'ann' }) }, '"ann"'],
    ['%(n)05d', { fields: obj({ n: -42 }) }, '-0042'],
    ['%(n)-05d|', { fields: obj({ n: 42 }) }, '42   |'],
    ['%(s)05s', { fields: obj({ s: 'ab' }) }, '   ab'],
    ['100%% %(message)s', {}, '100% hello'],
    ['{literal} %(message)s', {}, '{literal} hello'],
  ])('%s of %o is %j', (template, overrides, expected) => {
    expect(percent(template, overrides)).toBe(expected);
  });
});

describe('createTextFormatter: asctime', () => {
  it.each<[string, string]>([
    ['%Y-%m-%d %H:%M:%S', '2023-11-14 22:13:20'],
    ['%d/%m/%Y %H:%M', '14/11/2023 22:13'],
    ['iso', '2023-11-14T22:13:20.123Z'],
  ])('uses datefmt %j', (datefmt, expected) => {
    expect(first('{asctime}', {}, { datefmt })).toBe(expected);
  });

  it('is local time unless utc is set, as Date tells it', () => {
    const local = createTextFormatter(resolveTextFormat({ template: '{asctime}', datefmt: '%Y-%m-%d %H:%M:%S', extras: 'none' }, 'format'), context);
    const d = new Date(T);
    const pad = (n: number): string => String(n).padStart(2, '0');
    expect(local(record())).toBe(`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}\n`);
  });
});

describe('createTextFormatter: extras', () => {
  it('appends the keys the template does not name as one compact JSON object', () => {
    const r = record({ bindings: obj({ requestId: 'r-1', shadowed: 'b', gone: undefined }), fields: obj({ shadowed: 'f', n: 10n, nested: obj({ a: [1, null] }) }) });
    expect(formatter({ template: '{message}' })(r)).toBe('hello {"requestId":"r-1","shadowed":"f","n":10,"nested":{"a":[1,null]}}\n');
    expect(formatter({ template: '{message} {requestId}' })(r)).toBe('hello r-1 {"shadowed":"f","n":10,"nested":{"a":[1,null]}}\n');
    expect(formatter({ template: '{message} {shadowed}' })(r)).toBe('hello f {"requestId":"r-1","n":10,"nested":{"a":[1,null]}}\n');
  });

  it('keeps keys named like built-ins: they are data, and cannot be mistaken inside the object', () => {
    expect(formatter({ template: '{name}: {message}' })(record({ bindings: obj({ name: 'b' }), fields: obj({ msg: 'm', level: 'l' }) }))).toBe(
      'worker: hello {"name":"b","msg":"m","level":"l"}\n',
    );
  });

  it("writes nothing with extras 'none', or when there is nothing left", () => {
    const r = record({ fields: obj({ a: 1 }) });
    expect(formatter({ template: '{message}', extras: 'none' })(r)).toBe('hello\n');
    expect(formatter({ template: '{message} {a}' })(r)).toBe('hello 1\n');
  });

  it('writes values exactly as the JSON line does, and stays valid JSON', () => {
    const fields = obj({ s: 'a\n"b"\u2028\u001b\u007f\u0085', k: obj([['\n', 1]]) });
    const line = formatter({ template: '{message}' })(record({ fields }));
    const extras = line.slice('hello '.length, -1);
    expect(extras).toBe('{"s":"a\\n\\"b\\"\\u2028\\u001b\\u007f\\u0085","k":{"\\n":1}}');
    expect(JSON.parse(extras)).toEqual({ s: 'a\n"b"\u2028\u001b\u007f\u0085', k: { '\n': 1 } });
    expect(extras.replace(/\\u007f|\\u0085/g, '')).toBe(appendJsonValue('', fields).replace(/\u007f|\u0085/g, ''));
  });
});

describe('createTextFormatter: errors', () => {
  const stack = 'Error: boom\n    at run (file:///app/worker.js:8:13)\n    at main (file:///app/main.js:1:1)';

  it('writes the stack on continuation lines that start with a tab; the message comes from the error', () => {
    const line = formatter({ template: '{levelname} {message}' })(record({ level: 50, msg: undefined, fields: obj({ err: error('Error', 'boom', stack) }) }));
    expect(line).toBe('ERROR boom\n\tError: boom\n\t    at run (file:///app/worker.js:8:13)\n\t    at main (file:///app/main.js:1:1)\n');
    expect(CONTINUATION).toBe('\t');
  });

  it('follows the cause chain with Caused by:, causes that are not errors as JSON', () => {
    const root = error('Error', 'disk full', 'Error: disk full\n    at write (fs.js:1:1)', undefined, obj({ code: 'ENOSPC' }));
    const mid = error('RangeError', 'range', undefined, undefined, root);
    expect(formatter({ template: '{message}' })(record({ fields: obj({ err: error('Error', 'top', 'Error: top\n    at f', undefined, mid) }) }))).toBe(
      'hello\n' +
        '\tError: top\n' +
        '\t    at f\n' +
        '\tCaused by: RangeError: range\n' +
        '\tCaused by: Error: disk full\n' +
        '\t    at write (fs.js:1:1)\n' +
        '\tCaused by: {"code":"ENOSPC"}\n',
    );
  });

  it("writes an error's own fields as JSON after its stack, as Node's inspect does", () => {
    const err = error('Error', 'ENOENT', 'Error: ENOENT\n    at open', obj({ code: 'ENOENT', errno: -2, type: 'skipped', message: 'skipped', gone: undefined }));
    expect(formatter({ template: '{message}' })(record({ fields: obj({ err }) }))).toBe('hello\n\tError: ENOENT\n\t    at open {"code":"ENOENT","errno":-2}\n');
  });

  it("lists an AggregateError's errors one level deeper", () => {
    const agg = error(
      'AggregateError',
      'all failed',
      'AggregateError: all failed\n    at main',
      obj({ aggregateErrors: [error('Error', 'one', 'Error: one\n    at a', undefined, error('Error', 'why')), 'not an error'], code: 'E_ALL' }),
      error('Error', 'root'),
    );
    expect(formatter({ template: '{message}' })(record({ msg: undefined, fields: obj({ err: agg }) }))).toBe(
      'all failed\n' +
        '\tAggregateError: all failed\n' +
        '\t    at main {"code":"E_ALL"}\n' +
        '\t    aggregateErrors[0]: Error: one\n' +
        '\t        at a\n' +
        '\t    Caused by: Error: why\n' +
        '\t    aggregateErrors[1]: "not an error"\n' +
        '\tCaused by: Error: root\n',
    );
  });

  it("keeps a field named aggregateErrors that is not an array among the error's fields", () => {
    const err = error('Error', 'x', 'Error: x', obj({ aggregateErrors: 'no' }));
    expect(formatter({ template: '{message}' })(record({ fields: obj({ err }) }))).toBe('hello\n\tError: x {"aggregateErrors":"no"}\n');
  });

  it(`stops after ${MAX_ERROR_DEPTH} nested errors`, () => {
    let err: Value = error('Error', 'deepest');
    for (let i = MAX_ERROR_DEPTH + 2; i > 0; i--) err = error('Error', `e${i}`, undefined, undefined, err);
    const lines = formatter({ template: '{message}' })(record({ fields: obj({ err }) })).split('\n');
    expect(lines).toHaveLength(1 + MAX_ERROR_DEPTH + 1 + 1);
    expect(lines[1]).toBe('\tError: e1');
    expect(lines[MAX_ERROR_DEPTH]).toBe(`\tCaused by: Error: e${MAX_ERROR_DEPTH}`);
    expect(lines[MAX_ERROR_DEPTH + 1]).toBe(`\tCaused by: [nested errors beyond ${MAX_ERROR_DEPTH} omitted]`);
  });

  it('labels an error under another key, in bindings too, and writes every error after the first line', () => {
    const r = record({
      bindings: obj({ ctxErr: error('Error', 'from binding'), shadowed: error('Error', 'shadowed binding') }),
      fields: obj({ err: error('Error', 'main', 'Error: main'), shadowed: 'field', other: error('TypeError', 'second') }),
    });
    expect(formatter({ template: '{message}' })(r)).toBe(
      'hello {"shadowed":"field"}\n\tctxErr: Error: from binding\n\tError: main\n\tother: TypeError: second\n',
    );
  });

  it("writes stacks with extras 'none' too, and with the error also named in the template", () => {
    const r = record({ fields: obj({ err: error('Error', 'boom', stack) }) });
    expect(formatter({ template: '{message}: {err}', extras: 'none' })(r)).toBe(
      'hello: Error: boom\n\tError: boom\n\t    at run (file:///app/worker.js:8:13)\n\t    at main (file:///app/main.js:1:1)\n',
    );
  });

  it('writes Type: message for an error without a stack, and the best it can for empty ones', () => {
    const f = formatter({ template: '{message}' });
    expect(f(record({ fields: obj({ err: error('TypeError', 'no stack') }) }))).toBe('hello\n\tTypeError: no stack\n');
    expect(f(record({ fields: obj({ err: error('TypeError', 'empty stack', '') }) }))).toBe('hello\n\tTypeError: empty stack\n');
    expect(f(record({ fields: obj({ err: error('', '') }) }))).toBe('hello\n\t\n');
  });
});

// --- line safety ---------------------------------------------------------------------------------

/** What escaping does to text, restated for expectations. */
function escapeLikeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : c === '\u2028' ? '\\u2028' : c === '\u2029' ? '\\u2029' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

describe('createTextFormatter: line safety', () => {
  it.each<[string, string]>([
    ['a\nb', 'a\\nb'],
    ['a\r\nb', 'a\\r\\nb'],
    ['a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['tab\there', 'tab\\there'],
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['nul\u0000 bell\u0007 del\u007f', 'nul\\x00 bell\\x07 del\\x7f'],
    ['c1 \u0085 \u009b', 'c1 \\x85 \\x9b'],
    ['back\\slash é 😀 \ud800', 'back\\slash é 😀 \ud800'],
  ])('escapes %j in a message as %j', (msg, expected) => {
    expect(formatter({ template: '{message}' })(record({ msg }))).toBe(`${expected}\n`);
  });

  it('escapes names, keys, values under any spec, and stack lines', () => {
    const f = formatter({ template: '{name} {v:>6} {v!r} %(x)s' });
    const r = record({ name: 'a\nb', fields: obj({ v: '\n', err: error('Error', 'x', 'Error: x\r\n    at \u001b]0;title\u0007') }), bindings: obj({ '\u2028k': 1 }) });
    expect(f(r)).toBe('a\\nb     \\n "\\n" %(x)s {"\\u2028k":1}\n\tError: x\\r\n\t    at \\x1b]0;title\\x07\n');
    const g = formatter({ template: '{message}' });
    expect(g(record({ fields: obj({ 'k\n': error('Error', 'e') }) }))).toBe('hello\n\tk\\n: Error: e\n');
  });

  // Any record: the first line holds no tab and no line break, every other line is a
  // continuation line of one of its errors, and there are exactly as many as its stacks have.
  const nasty = fc.constantFrom('\n', '\r', '\r\n', '\t', '\0', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\ud800', '    ', 'at ', '"', '\\', '%s', '%d', '{', '}', '😀');
  const text = fc.string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('a', ' ', 'Error:')), maxLength: 10 });
  const key = fc.oneof(text, fc.constantFrom('err', 'cause', 'name', 'msg', 'message', 'requestId', 'x', '__proto__', 'aggregateErrors'));
  const { value, error: errorArb } = fc.letrec<{ value: Value; error: ErrorValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      fc.double(),
      fc.bigInt(),
      fc.boolean(),
      fc.constantFrom(null, undefined),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map(obj),
      tie('error'),
    ),
    error: fc
      .record({
        type: fc.oneof(fc.constantFrom('Error', 'TypeError', 'AggregateError', ''), text),
        message: text,
        stack: fc.option(text, { nil: undefined }),
        fields: fc.option(
          fc.oneof(
            fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map(obj),
            fc.array(tie('value'), { maxLength: 3 }).map((errors) => obj({ aggregateErrors: errors })),
          ),
          { nil: undefined },
        ),
        cause: fc.oneof({ depthSize: 'small' }, fc.constant(undefined), tie('error'), tie('value')),
      })
      .map(({ type, message, stack, fields, cause }) => new ErrorValue(type, message, stack, fields, cause)),
  }));
  const objectArb = fc.option(fc.array(fc.tuple(key, fc.oneof(value, errorArb)), { maxLength: 4 }).map(obj), { nil: undefined });
  const recordArb = fc.record({
    time: fc.oneof(fc.integer({ min: 0, max: 4102444800000 }), fc.constantFrom(Number.NaN, -1, 8.64e15 + 1)),
    level: fc.constantFrom(10, 20, 30, 40, 50, 60, 35),
    threadId: fc.nat(),
    name: fc.option(text, { nil: undefined }),
    bindings: objectArb,
    msg: fc.option(text, { nil: undefined }),
    args: fc.array(value, { maxLength: 3 }),
    fields: objectArb,
  });
  const templates = fc.constantFrom<TextFormatOptions>(
    {},
    { preset: 'basic' },
    { template: '{message}' },
    { template: '{message:>12}{x}' },
    { template: '{x} {err} {requestId!r:^20} {name:.3}' },
    { template: '%(message)s %(x)r %(levelno)05d', style: '%' },
    { template: '{message}', extras: 'none', missing: '' },
  );

  /** Continuation lines for one error, restated from the specification. */
  function continuationLines(v: Value, depth: number): number {
    if (depth >= MAX_ERROR_DEPTH || !(v instanceof ErrorValue)) return 1;
    const headline = v.type === '' ? v.message : v.message === '' ? v.type : `${v.type}: ${v.message}`;
    let count = (v.stack || headline).split('\n').length;
    const aggregated = v.fields?.['aggregateErrors'];
    if (Array.isArray(aggregated)) for (const item of aggregated) count += continuationLines(item, depth + 1);
    if (v.cause !== undefined) count += continuationLines(v.cause, depth + 1);
    return count;
  }

  function expectedLines(r: LogRecord): number {
    let count = 1;
    for (const key in r.bindings) {
      const v = r.bindings[key];
      if (v instanceof ErrorValue && !(r.fields !== undefined && r.fields[key] !== undefined)) count += continuationLines(v, 0);
    }
    for (const key in r.fields) if (r.fields[key] instanceof ErrorValue) count += continuationLines(r.fields[key], 0);
    return count;
  }

  it('keeps one record recognisable whatever it holds', () => {
    fc.assert(
      fc.property(recordArb, templates, (r, options) => {
        const out = formatter(options)(r);
        expect(out.endsWith('\n')).toBe(true);
        const lines = out.slice(0, -1).split('\n');
        expect(lines).toHaveLength(expectedLines(r));
        expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        for (const line of lines.slice(1)) {
          expect(line.startsWith(CONTINUATION)).toBe(true);
          expect(line.slice(1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('writes extras that parse back to the values the JSON line has', () => {
    const ours = ['level', 'time', 'pid', 'hostname', 'name', 'msg'];
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 4 }).map(obj), (fields) => {
        const r = record({ fields });
        const json = JSON.parse(createJsonFormatter(context)(r)) as Record<string, unknown>;
        const line = formatter({ template: '{message}' })(r).split('\n')[0]!;
        const extras = (line === 'hello' ? {} : JSON.parse(line.slice('hello '.length))) as Record<string, unknown>;
        const written = Object.keys(fields).filter((k) => fields[k] !== undefined && !(fields[k] instanceof ErrorValue));
        expect(Object.keys(extras)).toEqual(written);
        for (const k of Object.keys(json)) if (!ours.includes(k) && !(fields[k] instanceof ErrorValue)) expect(extras[k]).toEqual(json[k]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('resolveTextFormat', () => {
  it('fills in the defaults, frozen and structured-cloneable', () => {
    const resolved = resolveTextFormat(undefined, 'format');
    expect(resolved).toEqual({ template: DEFAULT_TEMPLATE, style: '{', datefmt: undefined, utc: false, extras: 'json', missing: '-' });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(structuredClone(resolved)).toEqual(resolved);
    expect(resolveTextFormat({}, 'format')).toEqual(resolved);
  });

  it('keeps what is given, and accepts its own output', () => {
    const options = { template: '%(message)s', style: '%', datefmt: 'iso', utc: true, extras: 'none', missing: '' } as const;
    const resolved = resolveTextFormat(options, 'format');
    expect(resolved).toEqual(options);
    expect(resolveTextFormat(resolved, 'format')).toEqual(resolved);
    expect(resolveTextFormat({ preset: 'basic' }, 'format')).toMatchObject({ template: BASIC_FORMAT, style: '%' });
  });

  it.each<[unknown, typeof TypeError | typeof RangeError, string]>([
    [null, TypeError, 'formatters.console must be an object or undefined; received null'],
    ['{message}', TypeError, "formatters.console must be an object or undefined; received '{message}'"],
    [[], TypeError, 'formatters.console must be an object or undefined; received []'],
    [new Map([['template', '{message}']]), TypeError, "formatters.console must be an object or undefined; received Map(1) { 'template' => '{message}' }"],
    [{ format: '{message}' }, TypeError, 'formatters.console.format is not a known option; known: preset, template, style, datefmt, utc, extras, missing'],
    [{ template: 5 }, TypeError, 'formatters.console.template must be a string; received 5'],
    [{ template: '{asctime {message}' }, TypeError, "formatters.console.template: unclosed '{' at index 0 in '{asctime {message}'; write '{{' for a literal '{'"],
    [{ template: '{x:+5}' }, TypeError, "formatters.console.template: unsupported format spec ':+5' for 'x' at index 0 in '{x:+5}'; supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f"],
    [{ template: '{x:2000}' }, RangeError, "formatters.console.template: width 2000 at index 0 is larger than 1024 in '{x:2000}'"],
    [{ template: BASIC_FORMAT }, TypeError, "formatters.console.template: has no fields in '%(levelname)s:%(name)s:%(message)s'; it looks like a '%'-style template (%(levelname)s): set style to '%'"],
    [{ template: '%(levelname)q', style: '%' }, TypeError, "formatters.console.template: unsupported conversion '%(levelname)q' at index 0 in '%(levelname)q'; supported types: s r d i u f F"],
    [{ template: '{message}\n' }, TypeError, "formatters.console.template must not contain control characters or line breaks (a record's first line is one line, and only continuation lines start with a tab); found U+000A at index 9 in '{message}\\n'"],
    [{ template: '{a}\t{b}' }, TypeError, 'found U+0009 at index 3'],
    [{ template: '{a}\u2028' }, TypeError, 'found U+2028 at index 3'],
    [{ template: '{a:\u001b<5}' }, TypeError, 'found U+001B at index 3'],
    [{ style: '$', template: '${message}' }, TypeError, "formatters.console.style must be '{' or '%'; received '$'"],
    [{ style: '%' }, TypeError, 'formatters.console.style is given without formatters.console.template; give both, or a preset'],
    [{ preset: 'pretty' }, TypeError, "formatters.console.preset must be 'default' or 'basic'; received 'pretty'"],
    [{ preset: 'basic', template: '{message}' }, TypeError, 'formatters.console.preset cannot be combined with template or style'],
    [{ datefmt: 1 }, TypeError, "formatters.console.datefmt must be a strftime pattern string or 'iso'; received 1"],
    [{ datefmt: '%Y %c' }, TypeError, "formatters.console.datefmt: unsupported directive '%c' at index 3 in '%Y %c'; supported: %Y"],
    [{ datefmt: '%H\n' }, TypeError, 'formatters.console.datefmt must not contain control characters'],
    [{ utc: 'yes' }, TypeError, "formatters.console.utc must be a boolean; received 'yes'"],
    [{ extras: 'pretty' }, TypeError, "formatters.console.extras must be 'json' or 'none'; received 'pretty'"],
    [{ missing: null }, TypeError, 'formatters.console.missing must be a string; received null'],
    [{ missing: '\t' }, TypeError, 'formatters.console.missing must not contain control characters'],
  ])('rejects %o', (options, Kind, message) => {
    try {
      resolveTextFormat(options, 'formatters.console');
      expect.unreachable();
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(Kind);
      expect((thrown as Error & { code: string }).code).toBe(ErrorCode.OPTION);
      expect((thrown as Error).message).toContain(message);
      expect((thrown as Error).message.startsWith('ringlog: formatters.console')).toBe(true);
    }
  });
});

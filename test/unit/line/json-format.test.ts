import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { appendJsonValue } from '../../../src/line/json-values.js';
import { formatMessage } from '../../../src/line/printf.js';
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../../../src/record/log-record.js';

/** A decoded object: null prototype, as the codec makes them. */
function obj(entries: Record<string, Value> | readonly (readonly [string, Value])[]): ObjectValue {
  const out = Object.create(null) as ObjectValue;
  for (const [key, value] of Array.isArray(entries) ? entries : Object.entries(entries)) out[key] = value;
  return out;
}

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: 1700000000000, level: 30, threadId: 1, name: undefined, bindings: undefined, msg: undefined, args: [], fields: undefined, ...overrides };
}

const format = createJsonFormatter({ pid: 123, hostname: 'h' });
const json = (value: Value): string => appendJsonValue('', value);

/**
 * The top-level keys of a JSON object text, in order and with duplicates (JSON.parse would hide
 * them). Assumes valid JSON.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (depth === 1 && text[end + 1] === ':') keys.push(JSON.parse(text.slice(i, end + 1)) as string);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

/** What JSON.parse should give back for a Value (bigints as the nearest double). */
function toPlain(value: Value): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null; // -0 + 0 is 0
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const out = Object.create(null) as Record<string, unknown>;
  if (value instanceof ErrorValue) {
    out['type'] = value.type;
    out['message'] = value.message;
    if (value.stack !== undefined) out['stack'] = value.stack;
    for (const key in value.fields) {
      const field = value.fields[key];
      if (field !== undefined && !['type', 'message', 'stack', 'cause'].includes(key)) out[key] = toPlain(field);
    }
    if (value.cause !== undefined) out['cause'] = toPlain(value.cause);
    return out;
  }
  for (const key in value) if (value[key] !== undefined) out[key] = toPlain(value[key]);
  return out;
}

// --- arbitraries -------------------------------------------------------------------------------

const nastyChar = fc.constantFrom('\n', '\r', '\0', '\u2028', '\u2029', '\ud800', '\udfff', '"', '\\', '%', '\t', '\u001f', '\u007f', 'é', '😀', '\u00a0');
const anyChar = fc.oneof(nastyChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('a', 'b', ' '));
const text = fc.string({ unit: anyChar, maxLength: 8 });
const key = fc.oneof(
  text,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'level', 'time', 'pid', 'hostname', 'name', 'msg', 'err', 'type', 'message', 'stack', 'cause', 'a', 'b', ''),
);
const primitive = fc.oneof(text, fc.double(), fc.integer(), fc.bigInt(), fc.boolean(), fc.constantFrom(null, undefined, -0, NaN, Infinity, -Infinity, 1e21, 5e-324));

function objectOf(value: fc.Arbitrary<Value>): fc.Arbitrary<ObjectValue> {
  return fc.array(fc.tuple(key, value), { maxLength: 4 }).map(obj);
}

const { value: valueArb } = fc.letrec<{ value: Value; error: ErrorValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, primitive, fc.array(tie('value'), { maxLength: 4 }), objectOf(tie('value')), tie('error')),
  error: fc
    .record({
      type: fc.constantFrom('Error', 'TypeError', 'AggregateError', ''),
      message: text,
      stack: fc.option(text, { nil: undefined }),
      fields: fc.option(objectOf(tie('value')), { nil: undefined }),
      cause: fc.oneof({ depthSize: 'small' }, fc.constant(undefined), tie('error'), tie('value')),
    })
    .map(({ type, message, stack, fields, cause }) => new ErrorValue(type, message, stack, fields, cause)),
}));

/** The JSON subset: no bigint, no ErrorValue, where JSON.stringify is the reference. */
const { value: plainArb } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(text, fc.double(), fc.boolean(), fc.constantFrom(null, undefined)),
    fc.array(tie('value'), { maxLength: 4 }),
    objectOf(tie('value')),
  ),
}));

function escapeLineSeparators(s: string): string {
  return s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// --- value serialization -----------------------------------------------------------------------

describe('appendJsonValue', () => {
  it.each<[Value, string]>([
    ['a', '"a"'],
    ['q"\\', '"q\\"\\\\"'],
    ['\n\r\0\t', '"\\n\\r\\u0000\\t"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\ud800', '"\\ud800"'],
    ['😀', '"😀"'],
    [0, '0'],
    [-0, '0'],
    [1.5, '1.5'],
    [1e21, '1e+21'],
    [NaN, 'null'],
    [Infinity, 'null'],
    [-Infinity, 'null'],
    [123456789012345678901234567890n, '123456789012345678901234567890'],
    [-1n, '-1'],
    [true, 'true'],
    [false, 'false'],
    [null, 'null'],
    [undefined, 'null'],
    [[], '[]'],
    [[1, undefined, 'x', NaN], '[1,null,"x",null]'],
    [obj({}), '{}'],
    [obj({ a: 1, b: undefined, c: [obj({ d: null })] }), '{"a":1,"c":[{"d":null}]}'],
    [obj([['__proto__', 1], ['constructor', 2]]), '{"__proto__":1,"constructor":2}'],
    [obj({ 'k\n"': 'v' }), '{"k\\n\\"":"v"}'],
    [obj({ big: 10n }), '{"big":10}'],
  ])('%o → %s', (value, expected) => {
    expect(json(value)).toBe(expected);
  });

  it('appends to what is there', () => {
    expect(appendJsonValue('x=', [1])).toBe('x=[1]');
  });

  it('renders an error as pino err: type, message, stack, fields, cause', () => {
    const root = new ErrorValue('Error', 'disk', undefined, undefined, undefined);
    const mid = new ErrorValue('RangeError', 'range', 'RangeError: range\n    at f (a.js:1:2)', obj({ code: 'E_RANGE', n: 1n }), root);
    const top = new ErrorValue('Error', 'top', 'Error: top', obj({ status: 500, skipped: undefined }), mid);
    expect(json(top)).toBe(
      '{"type":"Error","message":"top","stack":"Error: top","status":500,' +
        '"cause":{"type":"RangeError","message":"range","stack":"RangeError: range\\n    at f (a.js:1:2)","code":"E_RANGE","n":1,' +
        '"cause":{"type":"Error","message":"disk"}}}',
    );
  });

  it('renders a cause that is not an error, and omits an undefined one', () => {
    expect(json(new ErrorValue('Error', 'm', undefined, undefined, 'because'))).toBe('{"type":"Error","message":"m","cause":"because"}');
    expect(json(new ErrorValue('Error', 'm', undefined, undefined, null))).toBe('{"type":"Error","message":"m","cause":null}');
    expect(json(new ErrorValue('Error', 'm', undefined, undefined, obj({ a: 1 })))).toBe('{"type":"Error","message":"m","cause":{"a":1}}');
  });

  it("keeps the error's own type, message, stack and cause over fields with those names", () => {
    const fields = obj({ type: 'x', message: 'x', stack: 'x', cause: 'x', code: 'E' });
    const e = new ErrorValue('Error', 'm', 's', fields, 'c');
    expect(json(e)).toBe('{"type":"Error","message":"m","stack":"s","code":"E","cause":"c"}');
    expect(topLevelKeys(json(new ErrorValue('Error', 'm', undefined, fields, undefined)))).toEqual(['type', 'message', 'code']);
  });

  it('renders errors inside arrays and objects', () => {
    const e = new ErrorValue('E', 'm', undefined, undefined, undefined);
    expect(json([e, obj({ e })])).toBe('[{"type":"E","message":"m"},{"e":{"type":"E","message":"m"}}]');
  });

  it('is JSON.stringify on the JSON subset, U+2028/U+2029 aside (property)', () => {
    fc.assert(
      fc.property(plainArb, (value) => {
        fc.pre(value !== undefined);
        expect(json(value)).toBe(escapeLineSeparators(JSON.stringify(value)));
      }),
    );
  });

  it('always parses, on one line, and round-trips every Value (property)', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const out = json(value);
        expect(out).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(JSON.parse(out)).toEqual(toPlain(value));
      }),
      { numRuns: 500 },
    );
  });
});

// --- lines ---------------------------------------------------------------------------------------

describe('createJsonFormatter', () => {
  it('writes pino’s keys in pino’s order', () => {
    const line = format(record({ name: 'worker', bindings: obj({ req: 7 }), fields: obj({ user: 'ann' }), msg: 'hello %s', args: ['you'] }));
    expect(line).toBe('{"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"worker","req":7,"user":"ann","msg":"hello you"}\n');
  });

  it('omits name without one and msg without a message', () => {
    expect(format(record())).toBe('{"level":30,"time":1700000000000,"pid":123,"hostname":"h"}\n');
    expect(format(record({ level: 50, fields: obj({ a: 1 }) }))).toBe('{"level":50,"time":1700000000000,"pid":123,"hostname":"h","a":1}\n');
  });

  it('writes an empty message and an empty name', () => {
    expect(format(record({ msg: '', name: '' }))).toBe('{"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"","msg":""}\n');
  });

  it('escapes the context once and for all', () => {
    const f = createJsonFormatter({ pid: 1, hostname: 'a"b\n' });
    expect(f(record({ msg: 'm' }))).toBe('{"level":30,"time":1700000000000,"pid":1,"hostname":"a\\"b\\n","msg":"m"}\n');
  });

  it('joins args as the message when there is no template', () => {
    expect(format(record({ args: ['a', 1] }))).toContain(',"msg":"a 1"}');
  });

  it('keeps a message with placeholders and no args as is', () => {
    expect(format(record({ msg: '100%% %s' }))).toContain(',"msg":"100%% %s"}');
  });

  it("uses err's message as the message when there is none (as pino)", () => {
    const err = new ErrorValue('Error', 'boom', 'Error: boom\n    at x', undefined, undefined);
    expect(format(record({ level: 50, fields: obj({ err }) }))).toBe(
      '{"level":50,"time":1700000000000,"pid":123,"hostname":"h","err":{"type":"Error","message":"boom","stack":"Error: boom\\n    at x"},"msg":"boom"}\n',
    );
    expect(format(record({ fields: obj({ err }), msg: 'custom' }))).toContain(',"msg":"custom"}');
    expect(format(record({ fields: obj({ err }), msg: '' }))).toContain(',"msg":""}');
    expect(format(record({ fields: obj({ err }), args: ['a'] }))).toContain(',"msg":"a"}');
    expect(format(record({ fields: obj({ err: 'not an error' }) }))).not.toContain('"msg"');
    expect(format(record({ bindings: obj({ err }) }))).not.toContain('"msg"');
  });

  it('lets a field win over a binding with the same key', () => {
    const line = format(record({ bindings: obj({ a: 1, b: 2, c: 3 }), fields: obj({ b: 'field' }) }));
    expect(topLevelKeys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'a', 'c', 'b']);
    expect(JSON.parse(line)).toMatchObject({ a: 1, b: 'field', c: 3 });
  });

  it('keeps a binding when the field of that key is undefined (omitted)', () => {
    const line = format(record({ bindings: obj({ b: 2 }), fields: obj({ b: undefined }) }));
    expect(JSON.parse(line)).toMatchObject({ b: 2 });
    expect(topLevelKeys(line).filter((k) => k === 'b')).toHaveLength(1);
  });

  it('keeps ours over bindings and fields named level, time, pid, hostname, name, msg', () => {
    const theirs = obj({ level: 'x', time: 'x', pid: 'x', hostname: 'x', name: 'x', msg: 'x', ok: 1 });
    const line = format(record({ name: 'w', msg: 'm', bindings: theirs, fields: theirs }));
    expect(line).toBe('{"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"w","ok":1,"msg":"m"}\n');
  });

  it('writes their name and msg when the record has none (nothing to be ambiguous with)', () => {
    const line = format(record({ bindings: obj({ name: 'b' }), fields: obj({ msg: 'from fields' }) }));
    expect(line).toBe('{"level":30,"time":1700000000000,"pid":123,"hostname":"h","name":"b","msg":"from fields"}\n');
  });

  it('keeps every line on one line, whatever the strings', () => {
    const nasty = 'a\nb\rc\u2028d\u2029e\0f';
    const line = format(record({ name: nasty, msg: nasty, bindings: obj({ [nasty]: nasty }), fields: obj({ e: new ErrorValue(nasty, nasty, nasty, undefined, undefined) }) }));
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line).not.toMatch(/[\r\u2028\u2029\0]/);
    expect(JSON.parse(line)).toMatchObject({ name: nasty, msg: nasty, [nasty]: nasty });
  });

  it('writes a NaN time or level as null rather than invalid JSON', () => {
    expect(() => JSON.parse(format(record({ time: NaN, level: Infinity })))).not.toThrow();
  });

  const bindingsArb = fc.option(objectOf(valueArb), { nil: undefined });
  const recordArb = fc.record({
    time: fc.integer({ min: 0, max: 2 ** 42 }),
    level: fc.constantFrom(10, 20, 30, 40, 50, 60),
    threadId: fc.nat(),
    name: fc.option(text, { nil: undefined }),
    bindings: bindingsArb,
    msg: fc.option(fc.oneof(text, fc.constantFrom('%s', 'a %d %j %%', '%o')), { nil: undefined }),
    args: fc.array(valueArb, { maxLength: 3 }),
    fields: fc.oneof(bindingsArb, valueArb.map((err) => obj({ err }))),
  });

  it('writes one parseable line with each key once, ours first and msg last (property)', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const line = format(r);
        expect(line.endsWith('}\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(line).not.toMatch(/[\r\u2028\u2029]/);
        const parsed = JSON.parse(line) as Record<string, unknown>;

        const err = r.fields?.['err'];
        const msg = formatMessage(r.msg, r.args) ?? (r.msg === undefined && err instanceof ErrorValue ? err.message : undefined);
        const ours = ['level', 'time', 'pid', 'hostname', ...(r.name === undefined ? [] : ['name']), ...(msg === undefined ? [] : ['msg'])];
        const defined = (o: ObjectValue | undefined): string[] => (o === undefined ? [] : Object.keys(o).filter((k) => o[k] !== undefined && !ours.includes(k)));
        const fieldKeys = defined(r.fields);
        const bindingKeys = defined(r.bindings).filter((k) => !fieldKeys.includes(k));
        const expectedKeys = ['level', 'time', 'pid', 'hostname', ...(r.name === undefined ? [] : ['name']), ...bindingKeys, ...fieldKeys, ...(msg === undefined ? [] : ['msg'])];
        expect(topLevelKeys(line)).toEqual(expectedKeys);

        expect(parsed['level']).toBe(r.level);
        expect(parsed['time']).toBe(r.time);
        expect(parsed['pid']).toBe(123);
        expect(parsed['hostname']).toBe('h');
        if (r.name !== undefined) expect(parsed['name']).toBe(r.name);
        if (msg !== undefined) expect(parsed['msg']).toBe(msg);
        for (const k of bindingKeys) expect(parsed[k]).toEqual(toPlain(r.bindings?.[k]));
        for (const k of fieldKeys) expect(parsed[k]).toEqual(toPlain(r.fields?.[k]));
      }),
      { numRuns: 500 },
    );
  });
});

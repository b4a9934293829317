/**
 * The record codec without threads: the producer's Encoder against the consumer's
 * decoder, over a private buffer. Round trips are checked against a model of the documented
 * conversions, hostile values against the documented placeholders, and truncated or damaged
 * payloads against CorruptRecordError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, decodeRecord, decodeValues } from '../../../src/record/decoder.js';
import { Encoder } from '../../../src/record/encoder.js';
import { bytesOver, HEADER_BYTES, Tag } from '../../../src/record/descriptor.js';
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from '../../../src/record/log-record.js';
import { BIG_LIMIT, canon, encodeRecord, json, key, model, text, toObject, type RecordInput } from '../../support/records.js';

/** The record limit of a 64 KiB ring (bufferSize / 8 minus the frame header), as in the backend. */
const RECORD_LIMIT = 64 * 1024 / 8 - 8;

interface Encoded {
  readonly values: Value[];
  /** What the encoder said it would write. */
  readonly byteLength: number;
  /** The offset `write()` returned, minus where it started. */
  readonly written: number;
}

/** Encodes `values` at `offset` of a fresh buffer and decodes them back. */
function roundTrip(values: readonly unknown[], { limit = BIG_LIMIT, offset = 3 } = {}): Encoded {
  const encoder = new Encoder();
  encoder.begin(limit);
  for (const value of values) encoder.add(value);
  expect(encoder.oversized).toBe(false);
  const byteLength = encoder.byteLength;
  const target = bytesOver(new Uint8Array(offset + byteLength + 16).fill(0xee));
  const end = encoder.write(target, offset);
  return { values: decodeValues(target, offset, end - offset), byteLength, written: end - offset };
}

/** Round trip of one value; also checks that the encoded size is what it wrote. */
function one(value: unknown): Value {
  const { values, byteLength, written } = roundTrip([value]);
  expect(written).toBe(byteLength);
  expect(values).toHaveLength(1);
  return values[0];
}

function expectSame(actual: unknown, expected: unknown): void {
  expect(canon(actual)).toBe(canon(expected));
}

/** A decoded object, for expectations: null prototype, keys in the given order. */
function obj(entries: Record<string, Value>): ObjectValue {
  return Object.assign(Object.create(null) as ObjectValue, entries);
}

// ---- round trips -------------------------------------------------------------------------------

describe('Encoder → decodeValues: round trip', () => {
  it('gives back every JSON-ish value, with the documented conversions, and writes exactly byteLength', () => {
    fc.assert(
      fc.property(fc.array(json, { minLength: 1, maxLength: 4 }), fc.nat({ max: 9 }), (values, offset) => {
        const { values: decoded, byteLength, written } = roundTrip(values, { offset });
        expect(written).toBe(byteLength);
        expectSame(decoded, values.map(model));
      }),
      { numRuns: 500 },
    );
  });

  it.each<[string, unknown, string]>([
    ['int32 max', 2 ** 31 - 1, 'int32'],
    ['int32 min', -(2 ** 31), 'int32'],
    ['just above int32', 2 ** 31, 'float64'],
    ['-0 keeps its sign', -0, 'float64'],
    ['NaN', NaN, 'float64'],
    ['Infinity', Infinity, 'float64'],
    ['-Infinity', -Infinity, 'float64'],
    ['a fraction', 0.1, 'float64'],
  ])('numbers: %s', (_, value, kind) => {
    expectSame(one(value), value);
    const { byteLength } = roundTrip([value]);
    expect(byteLength).toBe(kind === 'int32' ? 5 : 9);
  });

  it('bigints of any size and sign', () => {
    for (const value of [0n, -1n, 2n ** 64n, -(10n ** 40n) - 7n]) expect(one(value)).toBe(value);
  });

  it('turns lone surrogates into U+FFFD and keeps pairs, NUL, CR and LF', () => {
    expect(one('a\ud800b')).toBe('a\ufffdb');
    expect(one('\udc00')).toBe('\ufffd');
    expect(one('x\ud83d\ude00\0\r\n')).toBe('x\u{1f600}\0\r\n');
    const decoded = one({ 'k\ud800': 'v\udfff' });
    expect(Object.keys(decoded as ObjectValue)).toEqual(['k\ufffd']);
  });

  it('decodes objects with a null prototype, so `__proto__` is an ordinary own key', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    const decoded = one(input) as ObjectValue;
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
    expectSame(decoded['__proto__'], obj({ polluted: true }));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('writes short ASCII, long ASCII and multi-byte strings at unaligned offsets', () => {
    const values = ['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'é'.repeat(20), '€'.repeat(100), '\u{1f600}'.repeat(9)];
    for (const offset of [0, 1, 5, 7]) expectSame(roundTrip(values, { offset }).values, values);
  });
});

// ---- hostile values ----------------------------------------------------------------------------

describe('Encoder: hostile values never throw and have a documented result', () => {
  it('a cycle becomes "[Circular]"; a shared but acyclic object is written in full each time', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    a['list'] = [a, { back: a }];
    expectSame(one(a), obj({ name: 'a', self: '[Circular]', list: ['[Circular]', obj({ back: '[Circular]' })] }));

    const shared = { x: 1 };
    expectSame(one({ p: shared, q: shared, r: [shared, shared] }), obj({ p: obj({ x: 1 }), q: obj({ x: 1 }), r: [obj({ x: 1 }), obj({ x: 1 })] }));
  });

  it('a throwing getter becomes "[Throws]" and the other keys are kept', () => {
    const value = {
      before: 1,
      get boom(): never {
        throw new Error('getter');
      },
      after: 2,
    };
    expectSame(one(value), obj({ before: 1, boom: '[Throws]', after: 2 }));
  });

  it('toJSON: used; throwing → "[Throws]"; returning itself → "[Circular]"', () => {
    expect(one({ toJSON: () => 'custom' })).toBe('custom');
    expectSame(one({ a: { toJSON: () => ({ b: 1 }) } }), obj({ a: obj({ b: 1 }) }));
    expect(
      one({
        toJSON(): never {
          throw new Error('toJSON');
        },
      }),
    ).toBe('[Throws]');
    const self = {
      toJSON(): unknown {
        return self;
      },
    };
    expect(one(self)).toBe('[Circular]');
  });

  it('toJSON returning a fresh object with its own toJSON, forever, does not recurse without end', () => {
    // JSON.stringify calls toJSON once and then walks the result, giving '{}'. An encoder that
    // instead counts each toJSON as a level of depth gives '[Object]'. Either is bounded.
    const endless = (): object => ({ toJSON: endless });
    let decoded: Value;
    expect(() => {
      decoded = one(endless());
    }).not.toThrow();
    expect(['{}', '"[Object]"']).toContain(JSON.stringify(decoded));
  });

  it('a Proxy whose ownKeys trap throws becomes "[Unreadable]"', () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys(): never {
          throw new Error('ownKeys');
        },
      },
    );
    expectSame(one({ p: proxy }), obj({ p: '[Unreadable]' }));
  });

  it('a revoked Proxy (object or array) does not make the log call throw', () => {
    // Every operation on a revoked Proxy throws, `instanceof` and Array.isArray included.
    const object = Proxy.revocable({}, {});
    object.revoke();
    const array = Proxy.revocable([1, 2], {});
    array.revoke();
    expectSame(one({ o: object.proxy, a: array.proxy, ok: 1 }), obj({ o: '[Unreadable]', a: '[Unreadable]', ok: 1 }));
  });

  it('a Proxy whose getPrototypeOf trap throws does not make the log call throw', () => {
    const proxy = new Proxy(
      { a: 1 },
      {
        getPrototypeOf(): never {
          throw new Error('getPrototypeOf');
        },
      },
    );
    expect(() => one({ p: proxy })).not.toThrow();
  });

  it('a revoked function Proxy is written as a function with an unreadable name', () => {
    const fn = Proxy.revocable(function named() {}, {});
    fn.revoke();
    expect(one(fn.proxy)).toBe('[Function: [Throws]]');
  });

  it('symbols and functions are written as strings', () => {
    function namedFunction(): void {}
    expectSame(
      one([Symbol('s'), Symbol(), namedFunction, () => {}, class Klass {}, Math.max]),
      ['Symbol(s)', 'Symbol()', '[Function: namedFunction]', '[Function: anonymous]', '[Function: Klass]', '[Function: max]'],
    );
    expectSame(one({ [Symbol('hidden')]: 1, shown: Symbol.iterator }), obj({ shown: 'Symbol(Symbol.iterator)' }));
  });

  it('a Map is an object with String keys; a Set is an array', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'two'],
      [{ k: 1 }, true],
      [null, new Set([1, 'x'])],
    ]);
    expectSame(one(map), obj({ a: 1, '2': 'two', '[object Object]': true, null: [1, 'x'] }));
    expectSame(one(new Set([new Map([['z', 0]])])), [obj({ z: 0 })]);
  });

  it('a class instance gives its own enumerable fields only', () => {
    class Point {
      readonly #secret = 's';
      x: number;
      y = 2;
      constructor(x: number) {
        this.x = x;
      }
      get sum(): number {
        return this.x + this.y + this.#secret.length;
      }
    }
    const point = new Point(1);
    Object.defineProperty(point, 'hidden', { value: 1, enumerable: false });
    expectSame(one(point), obj({ x: 1, y: 2 }));
  });

  it('a Date goes through toJSON (ISO string, null when invalid); a Buffer too', () => {
    expect(one(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02T03:04:05.006Z');
    expect(one(new Date(NaN))).toBeNull();
    expectSame(one(Buffer.from([1, 2, 255])), obj({ type: 'Buffer', data: [1, 2, 255] }));
  });

  it('nesting deeper than 10 levels becomes "[Object]" / "[Array]"', () => {
    let objects: unknown = 'leaf';
    let arrays: unknown = 'leaf';
    for (let i = 0; i < 12; i++) {
      objects = { a: objects };
      arrays = [arrays];
    }
    let o = one(objects);
    let a = one(arrays);
    for (let i = 0; i < 10; i++) {
      o = (o as ObjectValue)['a'];
      a = (a as Value[])[0];
    }
    expect(o).toBe('[Object]');
    expect(a).toBe('[Array]');

    // Exactly 10 levels are kept in full.
    let ten: unknown = 'leaf';
    for (let i = 0; i < 10; i++) ten = { a: ten };
    let t = one(ten);
    for (let i = 0; i < 10; i++) t = (t as ObjectValue)['a'];
    expect(t).toBe('leaf');
  });

  it('an Error: type, message, stack, its extra fields and its cause chain', () => {
    const root = new Error('root cause');
    const middle = new TypeError('middle', { cause: root });
    Object.assign(middle, { code: 'E_MIDDLE', detail: { n: 1 } });
    const top = new RangeError('top', { cause: middle });
    const decoded = one(top);
    expect(decoded).toBeInstanceOf(ErrorValue);
    const e = decoded as ErrorValue;
    expect([e.type, e.message, e.stack, e.fields]).toEqual(['RangeError', 'top', top.stack, undefined]);
    const m = e.cause as ErrorValue;
    expect(m).toBeInstanceOf(ErrorValue);
    expect([m.type, m.message, m.stack]).toEqual(['TypeError', 'middle', middle.stack]);
    expectSame(m.fields, obj({ code: 'E_MIDDLE', detail: obj({ n: 1 }) }));
    const r = m.cause as ErrorValue;
    expect([r.type, r.message, r.cause]).toEqual(['Error', 'root cause', undefined]);
  });

  it('an Error whose cause is itself is "[Circular]"; a non-error cause is kept as is', () => {
    const loop = new Error('loop');
    loop.cause = loop;
    expect((one(loop) as ErrorValue).cause).toBe('[Circular]');
    expectSame((one(new Error('x', { cause: { code: 7 } })) as ErrorValue).cause, obj({ code: 7 }));
  });

  it('an Error with a throwing message getter and a non-string stack', () => {
    const error = new Error('hidden');
    // The stack first: V8 may format the stack's first line from the message when it is redefined.
    Object.defineProperty(error, 'stack', { value: 42 });
    Object.defineProperty(error, 'message', {
      get(): never {
        throw new Error('message getter');
      },
    });
    const decoded = one(error) as ErrorValue;
    expect([decoded.type, decoded.message, decoded.stack]).toEqual(['Error', '[Throws]', undefined]);
  });

  it('an Error subclass is typed by its class name; AggregateError by its own', () => {
    class DatabaseError extends Error {}
    const decoded = one(new DatabaseError('no connection')) as ErrorValue;
    expect([decoded.type, decoded.message]).toEqual(['DatabaseError', 'no connection']);
    const aggregate = one(new AggregateError([new Error('a')], 'several')) as ErrorValue;
    expect([aggregate.type, aggregate.message]).toEqual(['AggregateError', 'several']);
  });
});

// ---- size limits and reuse -----------------------------------------------------------------------

describe('Encoder: the limit and reuse', () => {
  it('a 50 MB string sets oversized (it is not measured byte by byte)', () => {
    const encoder = new Encoder();
    encoder.begin(RECORD_LIMIT);
    encoder.add('x'.repeat(50 * 1024 * 1024));
    expect(encoder.oversized).toBe(true);
    encoder.begin(RECORD_LIMIT);
    encoder.add({ a: '€'.repeat(20 * 1024 * 1024) });
    expect(encoder.oversized).toBe(true);
  });

  it('a value exactly at the limit fits; one byte more does not', () => {
    const encoder = new Encoder();
    encoder.begin(105);
    encoder.add('x'.repeat(100)); // tag + u32 length + 100 bytes
    expect([encoder.byteLength, encoder.oversized]).toEqual([105, false]);
    encoder.begin(104);
    encoder.add('x'.repeat(100));
    expect(encoder.oversized).toBe(true);
  });

  it('begin() resets an encoding that was oversized', () => {
    const encoder = new Encoder();
    encoder.begin(10);
    encoder.add('x'.repeat(100));
    expect(encoder.oversized).toBe(true);
    encoder.begin(BIG_LIMIT);
    encoder.add('ok');
    expect(encoder.oversized).toBe(false);
    const target = bytesOver(new Uint8Array(encoder.byteLength));
    expect(encoder.write(target, 0)).toBe(encoder.byteLength);
    expect(decodeValues(target, 0, encoder.byteLength)).toEqual(['ok']);
  });

  it('stops reading an array once over the limit', () => {
    // 10 000 items of ~100 bytes against a limit of 1000: about ten items can be looked at.
    let reads = 0;
    const items = new Proxy(
      Array.from({ length: 10_000 }, () => 'x'.repeat(100)),
      {
        get(target, property, receiver): unknown {
          if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
          return Reflect.get(target, property, receiver) as unknown;
        },
      },
    );
    const encoder = new Encoder();
    encoder.begin(1000);
    encoder.add(items);
    expect(encoder.oversized).toBe(true);
    expect(reads).toBeLessThan(100);
  });

  it('stops calling getters of an object once over the limit', () => {
    let reads = 0;
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      Object.defineProperty(wide, `k${i}`, {
        enumerable: true,
        get: () => {
          reads++;
          return 'y'.repeat(100);
        },
      });
    }
    const encoder = new Encoder();
    encoder.begin(1000);
    encoder.add(wide);
    expect(encoder.oversized).toBe(true);
    expect(reads).toBeLessThan(100);
  });

  it('reads a getter once: write() replays the first answer, and byteLength matches it', () => {
    let calls = 0;
    const answers = ['short', 'a much, much longer answer than the first one', 'é'.repeat(50)];
    const value = {
      get changing(): string {
        return answers[calls++ % answers.length]!;
      },
      get count(): number {
        return calls;
      },
    };
    const { values, byteLength, written } = roundTrip([value]);
    expect(calls).toBe(1);
    expect(written).toBe(byteLength);
    expectSame(values, [obj({ changing: 'short', count: 1 })]);
  });

  it('reuses its scratch buffer across calls without leaking earlier values', () => {
    const encoder = new Encoder();
    const target = bytesOver(new Uint8Array(4096));
    encoder.begin(BIG_LIMIT);
    encoder.add({ long: 'z'.repeat(200), list: [1, 2, 3] });
    encoder.write(target, 0);
    encoder.begin(BIG_LIMIT);
    encoder.add('second');
    const end = encoder.write(target, 0);
    expect(end).toBe(encoder.byteLength);
    expect(decodeValues(target, 0, end)).toEqual(['second']);
  });
});

// ---- records -----------------------------------------------------------------------------------

const sample: RecordInput = {
  time: 1_700_000_000_123.5,
  threadId: 7,
  level: 40,
  name: 'worker',
  bindings: { requestId: 'r-1', user: { id: 3 } },
  msg: 'took %d ms for %s',
  args: [12.5, 'job'],
  fields: { err: new TypeError('bad') },
};

describe('decodeRecord', () => {
  it('decodes what was laid out as Producer.emit does', () => {
    const { source, length } = encodeRecord(sample);
    const record: LogRecord = decodeRecord(source, 8, length);
    expect([record.time, record.threadId, record.level, record.name, record.msg]).toEqual([1_700_000_000_123.5, 7, 40, 'worker', 'took %d ms for %s']);
    expectSame(record.bindings, obj({ requestId: 'r-1', user: obj({ id: 3 }) }));
    expectSame(record.args, [12.5, 'job']);
    const err = record.fields?.['err'];
    expect(err).toBeInstanceOf(ErrorValue);
    expect((err as ErrorValue).type).toBe('TypeError');
  });

  it('decodes a bare record: no name, bindings, message, arguments or fields', () => {
    const { source, length } = encodeRecord({ time: 1, threadId: 0, level: 30, name: undefined, bindings: undefined, msg: undefined, args: [], fields: undefined });
    const record = decodeRecord(source, 8, length);
    expect(record).toEqual({ time: 1, level: 30, threadId: 0, name: undefined, bindings: undefined, msg: undefined, args: [], fields: undefined });
  });

  it('wraps fields that did not encode as an object under `value`', () => {
    const { source, length } = encodeRecord({ ...sample, fields: { toJSON: () => 'plain' } });
    expectSame(decodeRecord(source, 8, length).fields, obj({ value: 'plain' }));
  });

  it('rejects the record cut at every length with CorruptRecordError', () => {
    const { source, length } = encodeRecord(sample);
    for (let cut = 0; cut < length; cut++) {
      expect(() => decodeRecord(source, 8, cut), `cut at ${cut} of ${length}`).toThrow(CorruptRecordError);
    }
  });

  it('rejects bytes left over after the last value', () => {
    const { source, length } = encodeRecord(sample);
    expect(() => decodeRecord(source, 8, length + 1)).toThrow(CorruptRecordError);
  });

  it('rejects an unknown tag, and a huge array count without allocating it', () => {
    const unknown = encodeRecord({ ...sample, name: undefined });
    unknown.source.u8[8 + HEADER_BYTES] = 0xff; // the name's tag
    expect(() => decodeRecord(unknown.source, 8, unknown.length)).toThrow(CorruptRecordError);

    const huge = encodeRecord({ ...sample, msg: undefined, args: [[1]] });
    // Context, then msg (1 byte), then the array: tag, u32 count.
    const contextBytes = encodeRecord({ ...sample, msg: undefined, args: [], fields: undefined }).length - HEADER_BYTES - 1;
    const at = 8 + HEADER_BYTES + contextBytes + 1;
    expect(huge.source.u8[at]).toBe(Tag.ARRAY);
    huge.source.view.setUint32(at + 1, 0xffffffff, true);
    expect(() => decodeRecord(huge.source, 8, huge.length)).toThrow(CorruptRecordError);
  });

  it('rejects a bigint whose digits are not digits with CorruptRecordError', () => {
    const { source, length } = encodeRecord({ ...sample, args: [123n], fields: undefined });
    const text = source.buffer.toString('latin1', 8, 8 + length);
    const at = 8 + text.lastIndexOf('123');
    source.u8[at + 1] = 'x'.charCodeAt(0);
    expect(() => decodeRecord(source, 8, length)).toThrow(CorruptRecordError);
  });

  it('round-trips arbitrary records, and every truncation of them is rejected', () => {
    const recordInput = fc.record({
      time: fc.double({ noNaN: true }),
      threadId: fc.nat(),
      level: fc.constantFrom(10, 20, 30, 40, 50, 60),
      name: fc.option(text, { nil: undefined }),
      bindings: fc.option(fc.array(fc.tuple(key, json), { maxLength: 3 }).map(toObject), { nil: undefined }),
      msg: fc.option(text, { nil: undefined }),
      args: fc.array(json, { maxLength: 4 }),
      fields: fc.option(fc.array(fc.tuple(key, json), { maxLength: 3 }).map(toObject), { nil: undefined }),
    });
    fc.assert(
      fc.property(recordInput, (input) => {
        const { source, length } = encodeRecord(input);
        const record = decodeRecord(source, 8, length);
        expectSame(
          [record.time, record.threadId, record.level, record.name, record.bindings, record.msg, record.args, record.fields],
          [
            input.time,
            input.threadId,
            input.level,
            input.name?.toWellFormed(),
            // Empty bindings stay an empty object here; the logger sends undefined instead.
            model(input.bindings),
            input.msg?.toWellFormed(),
            input.args.map(model),
            model(input.fields),
          ],
        );
        for (let cut = 0; cut < length; cut++) {
          expect(() => decodeRecord(source, 8, cut)).toThrow(CorruptRecordError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Hostile and odd input through the whole path (producer, ring, consumer thread, file): values
 * that break naive serializers, strings that break naive line formats, and records larger than
 * the limit. Every line must be valid JSON, one line per record, with the documented rendering,
 * and nothing may throw into the caller or hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, type BackendOptions, type LogBackend, type Logger } from '../../dist/src/index.js';
import { tempDir } from '../support/log-files.js';

type Line = Record<string, unknown>;

const open: { backend: LogBackend; remove(): void }[] = [];
afterEach(async () => {
  for (const { backend, remove } of open.splice(0)) {
    await backend.close();
    remove();
  }
});

async function setup(options: Omit<BackendOptions, 'file'> = {}) {
  const { dir, remove } = tempDir();
  const file = join(dir, 'app.log');
  const backend = await createLogBackend({ bufferSize: '64KiB', ...options, file });
  open.push({ backend, remove });
  return { backend, log: backend.logger('h'), text: () => readFileSync(file, 'utf8') };
}

/** Every line of the file, parsed; fails on a torn line, a stray control character or a missing final newline. */
function parse(text: string): Line[] {
  expect(text.endsWith('\n')).toBe(true);
  // No control character (NUL, CR, ESC of an ANSI sequence ...) and no line separator stays raw:
  // only the newline ending each line. (DEL is legal raw JSON and moves no terminal cursor.)
  // eslint-disable-next-line no-control-regex
  expect(text.slice(0, -1)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u2028\u2029]/);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Line);
}

/** Logs with `use`, closes, checks one line per record, returns the lines. */
async function logged(use: (log: Logger) => number, options: Omit<BackendOptions, 'file'> = {}): Promise<Line[]> {
  const { backend, log, text } = await setup(options);
  let records = 0;
  expect(() => {
    records = use(log);
  }).not.toThrow();
  const stats = await backend.close();
  const lines = parse(text());
  expect(lines).toHaveLength(records);
  expect(stats).toMatchObject({ recordsWritten: records, recordsFailed: 0 });
  return lines;
}

class Point {
  #secret = 'hidden';
  x = 1;
  get y(): number {
    return 2;
  }
  reveal(): string {
    return this.#secret;
  }
}

class CustomError extends Error {
  extra = { codes: [1, 2] };
  constructor(message: string) {
    super(message);
    this.name = 'Custom';
  }
}

function cyclic(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: 'a', list: [] };
  (a['list'] as unknown[]).push(a, { back: a });
  a['self'] = a;
  return a;
}

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at['d'] = next;
    at = next;
  }
  return root;
}

const throwing = {
  ok: 1,
  get boom(): never {
    throw new Error('getter');
  },
};

// [case, value, how the field renders after JSON.parse]
const values: [string, () => unknown, unknown][] = [
  ['a cycle through an object and an array', cyclic, { name: 'a', list: ['[Circular]', { back: '[Circular]' }], self: '[Circular]' }],
  ['a shared, acyclic object (written in full each time)', () => {
    const shared = { s: 1 };
    return [shared, shared];
  }, [{ s: 1 }, { s: 1 }]],
  ['BigInt (a JSON number)', () => [1n, -(2n ** 70n)], [1, -(2 ** 70)]],
  ['a Symbol value', () => Symbol('s'), 'Symbol(s)'],
  ['Symbol keys (skipped, as JSON.stringify does)', () => ({ [Symbol('k')]: 1, a: 2 }), { a: 2 }],
  ['a named and an anonymous function', () => [function named() {}, (() => () => {})()], ['[Function: named]', '[Function: anonymous]']],
  ['undefined in an object (omitted) and an array (null)', () => ({ a: undefined, b: [undefined, 1] }), { b: [null, 1] }],
  ['a throwing getter', () => throwing, { ok: 1, boom: '[Throws]' }],
  ['a throwing toJSON', () => ({ toJSON: () => { throw new Error('toJSON'); } }), '[Throws]'],
  ['a toJSON returning itself', () => {
    const o = { toJSON: (): unknown => o };
    return o;
  }, '[Circular]'],
  ['a Date (its toJSON)', () => new Date(0), '1970-01-01T00:00:00.000Z'],
  ['a Map, keys as strings', () => new Map<unknown, unknown>([['a', 1], [{ k: 1 }, 2], [true, 'yes']]), { a: 1, '[object Object]': 2, true: 'yes' }],
  ['a Set (an array)', () => new Set([1, 'two', { three: 3 }]), [1, 'two', { three: 3 }]],
  ['a class instance (own enumerable fields only)', () => new Point(), { x: 1 }],
  ['a null-prototype object', () => Object.assign(Object.create(null) as object, { z: 1 }), { z: 1 }],
  ['a __proto__ key (an own key, no pollution)', () => JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as unknown, { ['__proto__']: { polluted: true }, ok: 1 }],
  ['NaN, ±Infinity (null) and -0', () => [NaN, Infinity, -Infinity, -0], [null, null, null, 0]],
  ['a Buffer (its toJSON)', () => Buffer.from([1, 2]), { type: 'Buffer', data: [1, 2] }],
  ['WeakMap, Promise and RegExp (no own keys)', () => [new WeakMap(), Promise.resolve(1), /x/g], [{}, {}, {}]],
  ['nesting beyond 10 levels', () => nested(15), nested(9)],
  ['a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }, '[Unreadable]'],
];
// The 9th level holds the marker.
(function mark(o: Record<string, unknown>): void {
  if (o['d'] !== undefined && Object.keys(o['d'] as object).length === 0) o['d'] = '[Object]';
  else if (o['d'] !== undefined) mark(o['d'] as Record<string, unknown>);
})(values.find(([name]) => name === 'nesting beyond 10 levels')![2] as Record<string, unknown>);

describe('hostile values', () => {
  it.each(values)('%s, as a field', async (_case, make, expected) => {
    const [line] = await logged((log) => {
      log.info({ v: make() }, 'm');
      return 1;
    });
    expect(line!['v']).toEqual(expected);
    expect(line!['msg']).toBe('m');
  });

  it.each(values)('%s, as a printf argument (%%j %%s %%d) and as the first argument', async (_case, make) => {
    const lines = await logged((log) => {
      log.info('value %j %s %d', make(), make(), make());
      log.info(make() as object, 'as the first argument');
      log.info(make() as object);
      return 3;
    });
    expect(lines[0]!['msg']).toMatch(/^value /);
    // An object is merged; anything else is formatted into the message, as util.format does.
    expect(lines[1]!['msg']).toMatch(/as the first argument$/);
  });

  it('the polluting __proto__ key pollutes nothing, in fields or bindings', async () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const lines = await logged((log) => {
      log.child(hostile).info(hostile, 'm');
      return 1;
    });
    expect(Object.hasOwn(lines[0]!, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('an Error with a cause chain and extra fields; a subclass; an AggregateError', async () => {
    const inner = new TypeError('inner', { cause: 'root cause' });
    const outer = Object.assign(new Error('outer', { cause: inner }), { code: 'E_OUTER', when: new Date(0) });
    const lines = await logged((log) => {
      log.error(outer);
      log.warn({ err: new CustomError('mine') }, 'custom');
      log.error(new AggregateError([new Error('first'), 'second'], 'many'), 'aggregate');
      return 3;
    });
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'outer',
      err: {
        type: 'Error',
        message: 'outer',
        code: 'E_OUTER',
        when: '1970-01-01T00:00:00.000Z',
        cause: { type: 'TypeError', message: 'inner', cause: 'root cause' },
      },
    });
    expect((lines[0]!['err'] as { stack: string }).stack).toMatch(/^Error: outer\n {4}at /);
    expect(lines[1]).toMatchObject({ err: { type: 'CustomError', message: 'mine', name: 'Custom', extra: { codes: [1, 2] } } });
    expect(lines[2]).toMatchObject({ err: { type: 'AggregateError', message: 'many', aggregateErrors: [{ type: 'Error', message: 'first' }, 'second'] } });
  });

  it('a getter that throws while child() copies bindings does not make child() throw', async () => {
    const lines = await logged((log) => {
      log.child(throwing).info('m');
      return 1;
    });
    expect(lines[0]).toMatchObject({ ok: 1, boom: '[Throws]' });
  });
});

describe('hostile strings: still one valid JSON line per record', () => {
  const nasty = [
    'lone high \ud800 and lone low \udc00 surrogates',
    'NUL \0 inside',
    'CR \r LF \n CRLF \r\n',
    'ANSI \u001b[31mred\u001b[0m and a bell \u0007',
    'line separators \u2028 \u2029 and DEL \u007f',
    'quotes " \' and backslashes \\ \\n',
    '{"level":60,"msg":"forged"}\n{"level":60,"msg":"forged again"}',
    'all C0 controls: ' + Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(''),
  ];

  it.each(nasty.map((s) => [JSON.stringify(s).slice(0, 40), s]))('%s in the message, a printf argument, a key, a value, a binding and a name', async (_case, s) => {
    const lines = await logged((log) => {
      log.info(s);
      log.info('arg: %s', s);
      log.info({ [s]: s }, 'key and value');
      log.child({ bound: s }, { name: s }).warn('bound');
      return 4;
    });
    const clean = s.toWellFormed();
    expect(lines[0]!['msg']).toBe(clean);
    expect(lines[1]!['msg']).toBe(`arg: ${clean}`);
    expect(lines[2]![clean]).toBe(clean);
    expect(lines[3]).toMatchObject({ name: clean, bound: clean, msg: 'bound' });
    for (const line of lines) expect(line['level']).not.toBe(60);
  });
});

describe('records larger than the limit', () => {
  // An unnamed logger's record of one message of L ASCII characters: 8 (frame header) +
  // 16 (record header) + 2 (no name, no bindings) + 5 (string tag and length) + L bytes.
  const recordBytes = (length: number): number => 8 + 16 + 2 + 5 + length;

  it.each([[256], [1000], [4096]])('maxRecordSize %i: a record of exactly the limit is written, one byte more becomes the notice; the next records arrive', async (limit) => {
    const { backend, text } = await setup({ maxRecordSize: limit });
    const log = backend.logger();
    const fits = limit - recordBytes(0);
    expect(recordBytes(fits)).toBe(limit);
    log.info('x'.repeat(fits));
    log.warn('x'.repeat(fits + 1));
    log.info('after');
    const stats = await backend.close();
    const lines = parse(text());
    expect(lines.map((line) => line['level'])).toEqual([30, 40, 30]);
    expect(lines[0]!['msg']).toBe('x'.repeat(fits));
    expect(lines[1]!['msg']).toBe(`[ringlog] record of at least ${limit + 1} bytes dropped: records are limited to ${limit} bytes (maxRecordSize)`);
    expect(lines[2]!['msg']).toBe('after');
    expect(stats).toMatchObject({ oversized: 1, recordsWritten: 3, recordsDropped: 1 });
  });

  it('a record larger than the whole ring: the notice, never a hang; and it counts, from a worker thread too', async () => {
    const { backend, text } = await setup({ bufferSize: '4KiB', maxRecordSize: 300 });
    const log = backend.logger();
    const huge = 'y'.repeat(10 * 1024 * 1024);
    log.info({ huge }, 'ten megabytes');
    log.info(['z'.repeat(100), 'z'.repeat(100), 'z'.repeat(100)] as unknown as object, 'many fields');
    const worker = new Worker(
      `const { connect } = await import(${JSON.stringify(new URL('../../dist/src/index.js', import.meta.url).href)});
       const { workerData } = await import('node:worker_threads');
       const log = connect(workerData.handle, { name: 'w' });
       log.error({ blob: 'w'.repeat(1000) }, 'from a worker');
       log.info('worker after');`,
      { eval: true, workerData: { handle: backend.handle } },
    );
    await new Promise((resolve) => worker.once('exit', resolve));
    log.info('after');
    const stats = await backend.close();
    const lines = parse(text());
    expect(lines.map((line) => (line['msg'] as string).slice(0, 30))).toEqual([
      '[ringlog] record of at least 1',
      '[ringlog] record of at least 3',
      '[ringlog] record of at least 1',
      'worker after',
      'after',
    ]);
    expect(lines[2]).toMatchObject({ level: 50 });
    expect(stats).toMatchObject({ oversized: 3, recordsWritten: 5, recordsFailed: 0 });
  });

  it('bindings too large for the limit are replaced by a marker; the records still arrive', async () => {
    const lines = await logged((log) => {
      log.child({ blob: 'b'.repeat(500) }).info('small');
      return 1;
    }, { maxRecordSize: 256 });
    expect(lines[0]).toMatchObject({ bindings: '[Too large]', msg: 'small' });
  });
});
